// Hand-written OpenMP GEMM: blocked for the caches, register-tiled so the inner loop is a run of
// independent SIMD multiply-adds. (A packed Goto/BLIS kernel is the next step.)
#include <omp.h>

#include <algorithm>

#include "harness/registry.hpp"

namespace flopbench {
namespace {

// Blocks of C (kRowBlock x kColBlock) are the unit of parallel work; the A panel of one depth
// block (kRowBlock x kDepthBlock: 256 KiB in fp32) stays in L2 while the columns stream by.
constexpr std::int64_t kRowBlock = 256;
constexpr std::int64_t kColBlock = 128;
constexpr std::int64_t kDepthBlock = 256;
// A register tile is kTileRows x kTileCols of C: 4 columns of two 64-byte vectors each keeps
// eight independent accumulators in flight on AVX-512 (FMA latency 4 x 2 pipes).
constexpr std::int64_t kTileCols = 4;
template <class T>
constexpr std::int64_t kTileRows = 128 / sizeof(T);

// C[i.., j..] += alpha * A[i.., p0:p1] * B[p0:p1, j..] for one register tile. With Full the tile
// bounds are compile-time constants, so the compiler keeps acc in registers.
template <class T, bool Full>
void tile(const GemmInputs<T>& in, T* c, std::int64_t i, std::int64_t j, std::int64_t rows,
          std::int64_t cols, std::int64_t p0, std::int64_t p1) {
  constexpr std::int64_t R = kTileRows<T>;
  if constexpr (Full) {
    rows = R;
    cols = kTileCols;
  }
  const std::int64_t m = in.m, k = in.k;
  T acc[kTileCols][R] = {};
  for (std::int64_t p = p0; p < p1; ++p) {
    const T* a = in.a.data() + i + p * m;
#pragma GCC unroll 4
    for (std::int64_t jj = 0; jj < cols; ++jj) {
      const T b = in.b[static_cast<std::size_t>(p + (j + jj) * k)];
#pragma omp simd
      for (std::int64_t ii = 0; ii < rows; ++ii) acc[jj][ii] += a[ii] * b;
    }
  }
  for (std::int64_t jj = 0; jj < cols; ++jj) {
    T* cj = c + i + (j + jj) * m;
#pragma omp simd
    for (std::int64_t ii = 0; ii < rows; ++ii) cj[ii] += in.alpha * acc[jj][ii];
  }
}

template <class T>
class OmpGemm final : public GemmKernel<T> {
 public:
  void setup(const GemmInputs<T>& in) override {
    in_ = &in;
    c_ = HostBuffer<T>(in.c.size());
    T* c = c_.data();
    const T* c0 = in.c.data();
    const auto size = static_cast<std::int64_t>(in.c.size());
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < size; ++i) c[i] = c0[i];
  }

  void run() override {
    const GemmInputs<T>& in = *in_;
    const std::int64_t m = in.m, n = in.n, k = in.k;
    T* c = c_.data();
    const std::int64_t row_blocks = (m + kRowBlock - 1) / kRowBlock;
    const std::int64_t col_blocks = (n + kColBlock - 1) / kColBlock;
#pragma omp parallel for collapse(2) schedule(static)
    for (std::int64_t jb = 0; jb < col_blocks; ++jb) {
      for (std::int64_t ib = 0; ib < row_blocks; ++ib) {
        const std::int64_t i0 = ib * kRowBlock, i1 = std::min(m, i0 + kRowBlock);
        const std::int64_t j0 = jb * kColBlock, j1 = std::min(n, j0 + kColBlock);
        for (std::int64_t j = j0; j < j1; ++j) {
#pragma omp simd
          for (std::int64_t i = i0; i < i1; ++i) c[i + j * m] *= in.beta;
        }
        for (std::int64_t p0 = 0; p0 < k; p0 += kDepthBlock) {
          const std::int64_t p1 = std::min(k, p0 + kDepthBlock);
          for (std::int64_t j = j0; j < j1; j += kTileCols) {
            const std::int64_t cols = std::min(kTileCols, j1 - j);
            for (std::int64_t i = i0; i < i1; i += kTileRows<T>) {
              const std::int64_t rows = std::min(kTileRows<T>, i1 - i);
              if (rows == kTileRows<T> && cols == kTileCols) {
                tile<T, true>(in, c, i, j, rows, cols, p0, p1);
              } else {
                tile<T, false>(in, c, i, j, rows, cols, p0, p1);
              }
            }
          }
        }
      }
    }
  }

  void read_c(std::span<T> out) override { std::copy_n(c_.data(), out.size(), out.data()); }

 private:
  const GemmInputs<T>* in_ = nullptr;
  HostBuffer<T> c_;
};

}  // namespace

FLOPBENCH_REGISTER(make_implementation<workloads::Gemm, OmpGemm>(
    {.name = "omp",
     .device = DeviceKind::cpu,
     .description = "hand-written OpenMP: cache-blocked, register-tiled SIMD"}))

}  // namespace flopbench
