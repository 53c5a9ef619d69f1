// Hand-written OpenMP GEMM in the Goto/BLIS structure:
//
//   for each NC-wide block of B and C           (B block: KC x NC, lives in L3)
//     for each KC-deep slice of A and B           pack the B block into NR-wide panels
//       for each MC-tall block of A (parallel)    pack it into MR-tall panels (lives in L2)
//         for each NR panel x MR panel              the micro-kernel: an MR x NR tile of C in
//                                                   registers, KC rank-1 updates from L1
//
// The micro-kernel is written once with GCC vector extensions; its vector width is its pass's
// (harness/machine/vector_shape.hpp): 512-bit with AVX-512, 256-bit with AVX2, 128-bit otherwise.
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu_baselines/blocking.hpp"
#include "cpu_baselines/simd.hpp"
#include "harness/core/registry.hpp"
#include "harness/machine/inventory.hpp"
#include "harness/machine/probe.hpp"

namespace flopbench {

FLOPBENCH_VECTOR_CODE_BEGIN
namespace {

using simd::kVectorBytes;

// The register tile: MR rows (two vectors) x NR columns of accumulators. NR fills the register
// file: 2 * NR accumulators, two A vectors and a broadcast B value (AVX-512: 24 + 3 of 32;
// AVX2: 12 + 3 of 16).
template <class T>
struct Tile {
  using Vec = simd::Vec<T>;
  static constexpr int kLanes = simd::kLanes<T>;
  static constexpr int MR = 2 * kLanes;
  static constexpr int NR = simd::kVectorRegisters == 32 ? 12 : 6;
};

// Cache blocking from this machine's caches: the B micro-panel (KC x NR), reused by every A
// micro-panel, takes half of L1 (the A micro-panel streams from L2); the packed A block
// (MC x KC) half of L2; the packed B block (KC x NC) half of the L3 share of one thread.
template <class T>
BlockBudget block_budget(int threads) {
  using Tl = Tile<T>;
  std::int64_t l1 = 32 << 10, l2 = 512 << 10, l3 = 8 << 20;  // if the machine says nothing
  for (const auto& c : cpu_caches(usable_cpus())) {
    if (c.type == "Instruction" || c.size_bytes <= 0) continue;
    if (c.level == 1) l1 = c.size_bytes;
    if (c.level == 2) l2 = c.size_bytes;
    if (c.level == 3) l3 = c.size_bytes * std::max(1, c.instances);
  }
  const auto size = static_cast<std::int64_t>(sizeof(T));
  return {.kc_bound = std::max<std::int64_t>(8, l1 / 2 / (Tl::NR * size) / 8 * 8),
          .a_elements = l2 / 2 / size,
          .b_elements = l3 / 2 / std::max(1, threads) / size};
}

// Packs rows [i0, i0+mc) x cols [p0, p0+kc) of column-major A (leading dimension lda) into
// MR-tall panels, each stored k-major (MR consecutive values per k), zero-padded at the bottom.
template <class T>
void pack_a(const T* a, std::int64_t lda, std::int64_t mc, std::int64_t kc, T* packed) {
  constexpr int MR = Tile<T>::MR;
  for (std::int64_t i = 0; i < mc; i += MR) {
    const std::int64_t rows = std::min<std::int64_t>(MR, mc - i);
    for (std::int64_t p = 0; p < kc; ++p) {
      const T* src = a + i + p * lda;
      std::int64_t r = 0;
      for (; r < rows; ++r) packed[r] = src[r];
      for (; r < MR; ++r) packed[r] = T(0);
      packed += MR;
    }
  }
}

// Packs a kc x nc block of column-major B into NR-wide panels, each stored k-major (NR
// consecutive values per k), zero-padded on the right. Panels are independent: packed in
// parallel by the threads of the enclosing region.
template <class T>
void pack_b_panels(const T* b, std::int64_t ldb, std::int64_t kc, std::int64_t nc, T* packed) {
  constexpr int NR = Tile<T>::NR;
  const std::int64_t panels = (nc + NR - 1) / NR;
#pragma omp for schedule(static)
  for (std::int64_t panel = 0; panel < panels; ++panel) {
    const std::int64_t j = panel * NR;
    const std::int64_t cols = std::min<std::int64_t>(NR, nc - j);
    T* dst = packed + panel * NR * kc;
    for (std::int64_t p = 0; p < kc; ++p) {
      std::int64_t c = 0;
      for (; c < cols; ++c) dst[c] = b[p + (j + c) * ldb];
      for (; c < NR; ++c) dst[c] = T(0);
      dst += NR;
    }
  }
}

// acc = A_panel * B_panel over kc steps, all in registers.
template <class T>
[[gnu::always_inline]] inline void micro_kernel(std::int64_t kc, const T* a, const T* b,
                                                typename Tile<T>::Vec (&acc)[Tile<T>::NR][2]) {
  using Tl = Tile<T>;
  using Vec = typename Tl::Vec;
  for (auto& column : acc) column[0] = column[1] = Vec{};
  for (std::int64_t p = 0; p < kc; ++p) {
    const Vec a0 = simd::load(a), a1 = simd::load(a + Tl::kLanes);
#pragma GCC unroll 16
    for (int j = 0; j < Tl::NR; ++j) {
      acc[j][0] += a0 * b[j];
      acc[j][1] += a1 * b[j];
    }
    a += Tl::MR;
    b += Tl::NR;
  }
}

// C tile (rows x cols at c, leading dimension ldc) = alpha * acc + beta * C; with first ==
// false (a later KC slice) beta is 1. beta == 0 never reads C, as BLAS defines.
template <class T>
void store_tile(const typename Tile<T>::Vec (&acc)[Tile<T>::NR][2], T* c, std::int64_t ldc,
                std::int64_t rows, std::int64_t cols, T alpha, T beta) {
  using Tl = Tile<T>;
  alignas(kVectorBytes) T tile[Tl::NR][Tl::MR];
  std::memcpy(tile, acc, sizeof tile);
  for (std::int64_t j = 0; j < cols; ++j) {
    T* cj = c + j * ldc;
    if (beta == T(0)) {
#pragma omp simd
      for (std::int64_t i = 0; i < rows; ++i) cj[i] = alpha * tile[j][i];
    } else {
#pragma omp simd
      for (std::int64_t i = 0; i < rows; ++i) cj[i] = alpha * tile[j][i] + beta * cj[i];
    }
  }
}

template <class T>
class OmpGemm final : public GemmKernel<T> {
  using Tl = Tile<T>;

 public:
  void setup(const GemmInputs<T>& in) override {
    in_ = &in;
    c_ = HostBuffer<T>(in.c.size());
    T* c = c_.data();
    const T* c0 = in.c.data();
    const auto size = static_cast<std::int64_t>(in.c.size());
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < size; ++i) c[i] = c0[i];

    // Below a few MFLOP the threads' barriers (two per KC slice) cost more than they save, so
    // small products run on one thread, as the BLAS libraries do.
    constexpr double kParallelFlops = 1 << 22;
    threads_ =
        2.0 * static_cast<double>(in.m) * static_cast<double>(in.n) * static_cast<double>(in.k) <
                kParallelFlops
            ? 1
            : omp_get_max_threads();
    cuts_ = cut_gemm(in.m, in.n, in.k, block_budget<T>(threads_), Tl::MR, Tl::NR, threads_);
    packed_b_ = HostBuffer<T>(static_cast<std::size_t>(cuts_.k.widest() * cuts_.n.packed_width()));
    packed_a_.clear();
    for (int t = 0; t < threads_; ++t) {
      packed_a_.emplace_back(static_cast<std::size_t>(cuts_.m.packed_width() * cuts_.k.widest()));
    }
  }

  void run() override {
    const GemmInputs<T>& in = *in_;
    const std::int64_t m = in.m, k = in.k;
    const Cuts m_cuts = cuts_.m, k_cuts = cuts_.k, n_cuts = cuts_.n;
    T* c = c_.data();
#pragma omp parallel num_threads(threads_)
    {
      T* packed_a = packed_a_[static_cast<std::size_t>(omp_get_thread_num())].data();
      for (std::int64_t jb = 0; jb < n_cuts.count; ++jb) {
        const std::int64_t jc = n_cuts.start(jb), nc = n_cuts.width(jb);
        for (std::int64_t pb = 0; pb < k_cuts.count; ++pb) {
          const std::int64_t pc = k_cuts.start(pb), kc = k_cuts.width(pb);
          const T beta = pb == 0 ? in.beta : T(1);
          pack_b_panels(in.b.data() + pc + jc * k, k, kc, nc,
                        packed_b_.data());  // ends in a barrier
#pragma omp for schedule(static)
          for (std::int64_t ib = 0; ib < m_cuts.count; ++ib) {
            const std::int64_t ic = m_cuts.start(ib), mc = m_cuts.width(ib);
            pack_a(in.a.data() + ic + pc * m, m, mc, kc, packed_a);
            macro_kernel(packed_a, mc, nc, kc, c + ic + jc * m, m, in.alpha, beta);
          }
        }
      }
    }
  }

  void read_c(std::span<T> out) override { std::copy_n(c_.data(), out.size(), out.data()); }
  std::optional<int> threads_used() const override { return threads_; }
  // Registered only in the pass that runs (simd::this_pass_runs).
  std::optional<VectorWidth> vector_width() const override {
    return simd::vector_dispatch().width();
  }

  std::vector<std::string> notes() const override {
    return {fmt::format(
        "packed {}x{} register tile of {}-bit vectors; MC {} KC {} NC {} (the widest of "
        "{}, {} and {} blocks); {} thread(s)",
        Tl::MR, Tl::NR, kVectorBytes * 8, cuts_.m.widest(), cuts_.k.widest(), cuts_.n.widest(),
        cuts_.m.count, cuts_.k.count, cuts_.n.count, threads_)};
  }

 private:
  // Every MR x NR tile of an mc x nc block of C from the packed A block and B panels.
  void macro_kernel(const T* packed_a, std::int64_t mc, std::int64_t nc, std::int64_t kc, T* c,
                    std::int64_t ldc, T alpha, T beta) const {
    typename Tl::Vec acc[Tl::NR][2];
    for (std::int64_t j = 0; j < nc; j += Tl::NR) {
      const T* b_panel = packed_b_.data() + (j / Tl::NR) * Tl::NR * kc;
      for (std::int64_t i = 0; i < mc; i += Tl::MR) {
        micro_kernel<T>(kc, packed_a + (i / Tl::MR) * Tl::MR * kc, b_panel, acc);
        store_tile<T>(acc, c + i + j * ldc, ldc, std::min<std::int64_t>(Tl::MR, mc - i),
                      std::min<std::int64_t>(Tl::NR, nc - j), alpha, beta);
      }
    }
  }

  const GemmInputs<T>* in_ = nullptr;
  HostBuffer<T> c_;
  int threads_ = 1;
  GemmCuts cuts_;
  HostBuffer<T> packed_b_;
  std::vector<HostBuffer<T>> packed_a_;  // one per thread
};

}  // namespace
FLOPBENCH_VECTOR_CODE_END

FLOPBENCH_REGISTER_IF(
    simd::this_pass_runs(),
    make_implementation<workloads::Gemm, OmpGemm>(
        {.name = "omp",
         .device = DeviceKind::cpu,
         .description =
             "hand-written OpenMP: packed Goto/BLIS blocking, SIMD register-tile kernel"}))

}  // namespace flopbench
