// Hand-written SGEMM/DGEMM, C = alpha*A*B + beta*C, column-major: one template for both
// precisions. A block of 256 threads computes a 128 x 128 tile of C, stepping through K eight
// at a time; each thread accumulates an 8 x 8 sub-tile in registers. A and B tiles go through
// shared memory, double-buffered: the global loads of the next K step are in flight while the
// current one is multiplied. When both leading dimensions keep 16-byte vectors aligned, every
// global load of A and B is one 16-byte vector; otherwise a kernel of its own uses guarded
// scalar loads. Either way, elements outside the matrices (any M, N, K) read as zeros.

#include <cstdint>

#include "harness/core/registry.hpp"
#include "kernels/device.hpp"
#include "kernels/vec16.cuh"

namespace flopbench::cuda {
namespace {

constexpr int kTileM = 128, kTileN = 128, kTileK = 8;
constexpr int kThreadsM = 16, kThreadsN = 16;    // threads of a block along M and N
constexpr int kThreads = kThreadsM * kThreadsN;  // 256
// Each thread computes 8 x 8 elements of C: two runs of 4 rows, 64 apart, by two runs of 4
// columns, 64 apart. Interleaved so that the 16 threads along M read 16 consecutive 4-element
// pieces of a shared-memory row (no bank conflicts) and store to consecutive addresses of C.
constexpr int kRun = 4, kRuns = 2, kRunStride = 64;
constexpr int kThreadM = kRun * kRuns, kThreadN = kRun * kRuns;
static_assert(kThreadsM * kThreadM == kTileM && kRunStride * kRuns == kTileM);
static_assert(kThreadsN * kThreadN == kTileN && kRunStride * kRuns == kTileN);

// The tile row (or column) of this thread's i-th row (or column) of C, for i < kThreadM.
__device__ int thread_offset(int thread, int i) {
  return i / kRun * kRunStride + thread * kRun + i % kRun;
}

// One K step's share of A (a kTileM x kTileK tile) or B (kTileK x kTileN) held by one thread
// between its global load and its shared-memory store: kVectors 16-byte vectors.
template <class T>
struct Staged {
  static constexpr int kLanes = Vec16<T>::lanes;
  static constexpr int kVectors = kTileM * kTileK / (kThreads * kLanes);
  T v[kVectors][kLanes];
};
static_assert(kTileM * kTileK == kTileK * kTileN, "A and B tiles hold the same element count");

// Where vector l of this thread lies in a column-major tile of kRows rows: consecutive threads
// take consecutive vectors down a column, so that their global loads are contiguous.
template <class T, int kRows>
struct TileSlot {
  static constexpr int kPerColumn = kRows / Vec16<T>::lanes;
  __device__ explicit TileSlot(int l)
      : row(((static_cast<int>(threadIdx.x) + l * kThreads) % kPerColumn) * Vec16<T>::lanes),
        col((static_cast<int>(threadIdx.x) + l * kThreads) / kPerColumn) {}
  int row, col;
};

// Loads `lanes` elements contiguous in memory starting at (row, col) of a column-major matrix
// of `rows` x `cols` elements (leading dimension `rows`); elements outside it read as zero.
// kAligned: `rows` and `row` are multiples of the lanes, so the run lies wholly inside the matrix
// or wholly outside, and it is one 16-byte load. That path is a kernel of its own, and the load
// is __ldg's inline PTX, because with a scalar path beside it, or a plain vector dereference, the
// compiler split A's 16-byte loads into 4 + 4 + 8 bytes. The load is made unconditionally (from
// the matrix's first run when this one is outside) and its lanes selected: branching around it
// made ptxas spill in the FP32 kernel.
template <class T, bool kAligned>
__device__ void load_run(const T* __restrict__ matrix, std::int64_t rows, std::int64_t cols,
                         std::int64_t row, std::int64_t col, T* out) {
  constexpr int kLanes = Vec16<T>::lanes;
  if constexpr (kAligned) {
    const bool inside = col < cols && row < rows;
    unpack(__ldg(reinterpret_cast<const typename Vec16<T>::type*>(matrix +
                                                                  (inside ? row + col * rows : 0))),
           out);
#pragma unroll
    for (int q = 0; q < kLanes; ++q) out[q] = inside ? out[q] : T(0);
  } else {
#pragma unroll
    for (int q = 0; q < kLanes; ++q)
      out[q] = (col < cols && row + q < rows) ? matrix[row + q + col * rows] : T(0);
  }
}

// The tile of kRows rows whose first element is (row0, col0): A's tiles are kTileM x kTileK,
// B's kTileK x kTileN.
template <class T, int kRows, bool kAligned>
__device__ void load_tile(const T* __restrict__ matrix, std::int64_t rows, std::int64_t cols,
                          std::int64_t row0, std::int64_t col0, Staged<T>& s) {
#pragma unroll
  for (int l = 0; l < Staged<T>::kVectors; ++l) {
    const TileSlot<T, kRows> at(l);
    load_run<T, kAligned>(matrix, rows, cols, row0 + at.row, col0 + at.col, s.v[l]);
  }
}

// Both tiles are kept K-major in shared memory, [k][m] and [k][n], so that the inner loop reads
// a row of each: an A tile as it was loaded (its columns are K), a B tile transposed (its rows
// are K).
template <class T, int kRows, bool kTranspose, int kInner>
__device__ void store_tile(const Staged<T>& s, T (*tile)[kInner]) {
#pragma unroll
  for (int l = 0; l < Staged<T>::kVectors; ++l) {
    const TileSlot<T, kRows> at(l);
#pragma unroll
    for (int q = 0; q < Staged<T>::kLanes; ++q) {
      if constexpr (kTranspose) {
        tile[at.row + q][at.col] = s.v[l][q];
      } else {
        tile[at.col][at.row + q] = s.v[l][q];
      }
    }
  }
}

// FP32 fits two blocks per SM in 128 registers a thread; FP64's accumulators need more.
// kAligned: both leading dimensions (M for A, K for B) are multiples of the vector lanes.
template <class T, bool kAligned>
__global__ void __launch_bounds__(kThreads, sizeof(T) == 4 ? 2 : 1)
    gemm_kernel(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* __restrict__ a,
                const T* __restrict__ b, T beta, T* __restrict__ c) {
  __shared__ T a_tile[2][kTileK][kTileM];
  __shared__ T b_tile[2][kTileK][kTileN];

  const std::int64_t m0 = static_cast<std::int64_t>(blockIdx.x) * kTileM;
  const std::int64_t n0 = static_cast<std::int64_t>(blockIdx.y) * kTileN;
  const int thread_m = static_cast<int>(threadIdx.x) % kThreadsM;
  const int thread_n = static_cast<int>(threadIdx.x) / kThreadsM;

  T acc[kThreadM][kThreadN] = {};
  Staged<T> staged_a, staged_b;
  load_tile<T, kTileM, kAligned>(a, m, k, m0, 0, staged_a);
  load_tile<T, kTileK, kAligned>(b, k, n, 0, n0, staged_b);
  store_tile<T, kTileM, false>(staged_a, a_tile[0]);
  store_tile<T, kTileK, true>(staged_b, b_tile[0]);
  __syncthreads();

  const std::int64_t steps = (k + kTileK - 1) / kTileK;
  for (std::int64_t step = 0; step < steps; ++step) {
    const int current = static_cast<int>(step & 1);
    const bool more = step + 1 < steps;
    if (more) {
      load_tile<T, kTileM, kAligned>(a, m, k, m0, (step + 1) * kTileK, staged_a);
      load_tile<T, kTileK, kAligned>(b, k, n, (step + 1) * kTileK, n0, staged_b);
    }
#pragma unroll
    for (int p = 0; p < kTileK; ++p) {
      T a_frag[kThreadM], b_frag[kThreadN];
#pragma unroll
      for (int r = 0; r < kThreadM; ++r) a_frag[r] = a_tile[current][p][thread_offset(thread_m, r)];
#pragma unroll
      for (int s = 0; s < kThreadN; ++s) b_frag[s] = b_tile[current][p][thread_offset(thread_n, s)];
#pragma unroll
      for (int r = 0; r < kThreadM; ++r) {
#pragma unroll
        for (int s = 0; s < kThreadN; ++s) acc[r][s] = fma(a_frag[r], b_frag[s], acc[r][s]);
      }
    }
    // The other buffer was last read in the previous step, which every thread has finished
    // (the barrier below it), so it can be overwritten without a second barrier.
    if (more) {
      store_tile<T, kTileM, false>(staged_a, a_tile[current ^ 1]);
      store_tile<T, kTileK, true>(staged_b, b_tile[current ^ 1]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int s = 0; s < kThreadN; ++s) {
    const std::int64_t col = n0 + thread_offset(thread_n, s);
    if (col >= n) continue;
#pragma unroll
    for (int r = 0; r < kThreadM; ++r) {
      const std::int64_t row = m0 + thread_offset(thread_m, r);
      if (row >= m) continue;
      T& out = c[row + col * m];
      // BLAS semantics: with beta == 0, C is not read (it may hold NaN).
      out = beta == T(0) ? alpha * acc[r][s] : fma(alpha, acc[r][s], beta * out);
    }
  }
}

template <class T>
class CudaGemm final : public OnDevice<GemmKernel<T>> {
 public:
  explicit CudaGemm(int device) : OnDevice<GemmKernel<T>>(device, Cache::warm) {}

  void setup(const GemmInputs<T>& in) override {
    if ((in.n + kTileN - 1) / kTileN > 65535)
      throw std::invalid_argument("cuda gemm: N is limited to 65535 * 128");
    use_device(this->device());
    gemm_.emplace(in);
    this->end_to_end(gemm_->inputs_from(in), gemm_->results());
  }

  void run() override {
    const DeviceGemm<T>& g = *gemm_;
    const dim3 grid(static_cast<unsigned>((g.m + kTileM - 1) / kTileM),
                    static_cast<unsigned>((g.n + kTileN - 1) / kTileN));
    this->timed([&](cudaStream_t stream) {
      // A column starts at a multiple of the leading dimension: 16-byte vectors stay aligned
      // when it is a multiple of the vector's lanes (cudaMalloc aligns the base to 256 bytes).
      constexpr int kLanes = Vec16<T>::lanes;
      const auto kernel =
          g.m % kLanes == 0 && g.k % kLanes == 0 ? gemm_kernel<T, true> : gemm_kernel<T, false>;
      kernel<<<grid, kThreads, 0, stream>>>(g.m, g.n, g.k, g.alpha, g.a.data(), g.b.data(), g.beta,
                                            g.c.data());
      FLOPBENCH_CUDA_CALL(cudaGetLastError());
    });
  }

  void read_c(std::span<T> c) override { gemm_->c.download(c); }

  std::vector<std::string> notes() const override {
    return {"CUDA cores (FMA), no tensor cores: 128x128x8 tiles, 8x8 per thread"};
  }

 private:
  std::optional<DeviceGemm<T>> gemm_;
};

}  // namespace

FLOPBENCH_REGISTER(make_implementation<workloads::Gemm, CudaGemm>(
    {.name = "cuda",
     .device = DeviceKind::gpu,
     .description = "hand-written CUDA kernel: shared-memory tiles, register blocking"}))

}  // namespace flopbench::cuda
