// Hand-written SGEMM/DGEMM, C = alpha*A*B + beta*C, column-major: one template for both
// precisions. A block of 256 threads computes a 128 x 128 tile of C, stepping through K eight
// at a time; each thread accumulates an 8 x 8 sub-tile in registers. A and B tiles go through
// shared memory, double-buffered: the global loads of the next K step are in flight while the
// current one is multiplied. Global loads are 16-byte vectors wherever the leading dimension
// keeps them aligned; ragged edges (any M, N, K) fall back to guarded scalar loads that read
// zeros outside the matrices.

#include <cstdint>

#include "harness/registry.hpp"
#include "kernels/device.hpp"

namespace flopbench::cuda {
namespace {

constexpr int kTileM = 128, kTileN = 128, kTileK = 8;
constexpr int kThreadM = 8, kThreadN = 8;
constexpr int kThreadsM = kTileM / kThreadM;               // 16 threads along M
constexpr int kThreads = kThreadsM * (kTileN / kThreadN);  // 256

// 16-byte vectors.
template <class T>
struct Vec;
template <>
struct Vec<float> {
  using type = float4;
  static constexpr int lanes = 4;
  __device__ static void unpack(const float4& v, float* out) {
    out[0] = v.x;
    out[1] = v.y;
    out[2] = v.z;
    out[3] = v.w;
  }
};
template <>
struct Vec<double> {
  using type = double2;
  static constexpr int lanes = 2;
  __device__ static void unpack(const double2& v, double* out) {
    out[0] = v.x;
    out[1] = v.y;
  }
};

// One K step's share of A (a kTileM x kTileK tile) or B (kTileK x kTileN) held by one thread
// between its global load and its shared-memory store.
template <class T>
struct Staged {
  static constexpr int kLanes = Vec<T>::lanes;
  static constexpr int kVectors = kTileM * kTileK / (kThreads * kLanes);  // same for B
  T v[kVectors][kLanes];
};
static_assert(kTileM * kTileK == kTileK * kTileN, "A and B tiles hold the same element count");

// Loads `lanes` elements contiguous in memory starting at (row, col) of a column-major matrix
// with `rows` x `cols` elements; elements outside it read as zero.
template <class T>
__device__ void load_run(const T* __restrict__ matrix, std::int64_t ld, std::int64_t rows,
                         std::int64_t cols, std::int64_t row, std::int64_t col, bool aligned,
                         T* out) {
  constexpr int kLanes = Vec<T>::lanes;
  if (aligned && col < cols && row + kLanes <= rows) {
    Vec<T>::unpack(*reinterpret_cast<const typename Vec<T>::type*>(matrix + row + col * ld), out);
    return;
  }
#pragma unroll
  for (int q = 0; q < kLanes; ++q)
    out[q] = (col < cols && row + q < rows) ? matrix[row + q + col * ld] : T(0);
}

// A tile: rows [m0, m0 + kTileM) x columns [k0, k0 + kTileK). Vector v covers kLanes rows of
// one column, so consecutive threads read consecutive addresses.
template <class T>
__device__ void load_a(const T* __restrict__ a, std::int64_t m, std::int64_t k, std::int64_t m0,
                       std::int64_t k0, bool aligned, Staged<T>& s) {
  constexpr int kLanes = Vec<T>::lanes;
  constexpr int kPerColumn = kTileM / kLanes;
#pragma unroll
  for (int l = 0; l < Staged<T>::kVectors; ++l) {
    const int v = static_cast<int>(threadIdx.x) + l * kThreads;
    load_run(a, m, m, k, m0 + (v % kPerColumn) * kLanes, k0 + v / kPerColumn, aligned, s.v[l]);
  }
}
template <class T>
__device__ void store_a(const Staged<T>& s, T (*tile)[kTileM]) {
  constexpr int kLanes = Vec<T>::lanes;
  constexpr int kPerColumn = kTileM / kLanes;
#pragma unroll
  for (int l = 0; l < Staged<T>::kVectors; ++l) {
    const int v = static_cast<int>(threadIdx.x) + l * kThreads;
#pragma unroll
    for (int q = 0; q < kLanes; ++q)
      tile[v / kPerColumn][(v % kPerColumn) * kLanes + q] = s.v[l][q];
  }
}

// B tile: rows [k0, k0 + kTileK) x columns [n0, n0 + kTileN). Vector v covers kLanes rows (K
// indices) of one column; the tile is stored transposed so the inner loop reads along N.
template <class T>
__device__ void load_b(const T* __restrict__ b, std::int64_t k, std::int64_t n, std::int64_t k0,
                       std::int64_t n0, bool aligned, Staged<T>& s) {
  constexpr int kLanes = Vec<T>::lanes;
  constexpr int kPerColumn = kTileK / kLanes;
#pragma unroll
  for (int l = 0; l < Staged<T>::kVectors; ++l) {
    const int v = static_cast<int>(threadIdx.x) + l * kThreads;
    load_run(b, k, k, n, k0 + (v % kPerColumn) * kLanes, n0 + v / kPerColumn, aligned, s.v[l]);
  }
}
template <class T>
__device__ void store_b(const Staged<T>& s, T (*tile)[kTileN]) {
  constexpr int kLanes = Vec<T>::lanes;
  constexpr int kPerColumn = kTileK / kLanes;
#pragma unroll
  for (int l = 0; l < Staged<T>::kVectors; ++l) {
    const int v = static_cast<int>(threadIdx.x) + l * kThreads;
#pragma unroll
    for (int q = 0; q < kLanes; ++q)
      tile[(v % kPerColumn) * kLanes + q][v / kPerColumn] = s.v[l][q];
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    gemm_kernel(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* __restrict__ a,
                const T* __restrict__ b, T beta, T* __restrict__ c, bool a_aligned,
                bool b_aligned) {
  __shared__ T a_tile[2][kTileK][kTileM];
  __shared__ T b_tile[2][kTileK][kTileN];

  const std::int64_t m0 = static_cast<std::int64_t>(blockIdx.x) * kTileM;
  const std::int64_t n0 = static_cast<std::int64_t>(blockIdx.y) * kTileN;
  // Threads of a warp take neighbouring rows, so that their stores to column-major C coalesce.
  const int row0 = static_cast<int>(threadIdx.x) % kThreadsM * kThreadM;
  const int col0 = static_cast<int>(threadIdx.x) / kThreadsM * kThreadN;

  T acc[kThreadM][kThreadN] = {};
  Staged<T> staged_a, staged_b;
  load_a(a, m, k, m0, 0, a_aligned, staged_a);
  load_b(b, k, n, 0, n0, b_aligned, staged_b);
  store_a(staged_a, a_tile[0]);
  store_b(staged_b, b_tile[0]);
  __syncthreads();

  const std::int64_t steps = (k + kTileK - 1) / kTileK;
  for (std::int64_t step = 0; step < steps; ++step) {
    const int current = static_cast<int>(step & 1);
    const bool more = step + 1 < steps;
    if (more) {
      load_a(a, m, k, m0, (step + 1) * kTileK, a_aligned, staged_a);
      load_b(b, k, n, (step + 1) * kTileK, n0, b_aligned, staged_b);
    }
#pragma unroll
    for (int p = 0; p < kTileK; ++p) {
      T a_frag[kThreadM], b_frag[kThreadN];
#pragma unroll
      for (int r = 0; r < kThreadM; ++r) a_frag[r] = a_tile[current][p][row0 + r];
#pragma unroll
      for (int s = 0; s < kThreadN; ++s) b_frag[s] = b_tile[current][p][col0 + s];
#pragma unroll
      for (int r = 0; r < kThreadM; ++r) {
#pragma unroll
        for (int s = 0; s < kThreadN; ++s) acc[r][s] = fma(a_frag[r], b_frag[s], acc[r][s]);
      }
    }
    // The other buffer was last read in the previous step, which every thread has finished
    // (the barrier below it), so it can be overwritten without a second barrier.
    if (more) {
      store_a(staged_a, a_tile[current ^ 1]);
      store_b(staged_b, b_tile[current ^ 1]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int s = 0; s < kThreadN; ++s) {
    const std::int64_t col = n0 + col0 + s;
    if (col >= n) continue;
#pragma unroll
    for (int r = 0; r < kThreadM; ++r) {
      const std::int64_t row = m0 + row0 + r;
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
    use_device(this->device());
    m_ = in.m;
    n_ = in.n;
    k_ = in.k;
    alpha_ = in.alpha;
    beta_ = in.beta;
    a_ = DeviceBuffer<T>(in.a.span());
    b_ = DeviceBuffer<T>(in.b.span());
    c_ = DeviceBuffer<T>(in.c.span());
    const std::int64_t tiles_n = (n_ + kTileN - 1) / kTileN;
    if (tiles_n > 65535) throw std::invalid_argument("cuda gemm: N is limited to 65535 * 128");
    grid_ = dim3(static_cast<unsigned>((m_ + kTileM - 1) / kTileM), static_cast<unsigned>(tiles_n));
  }

  void run() override {
    this->timed([&](cudaStream_t stream) {
      // A column starts at a multiple of the leading dimension: 16-byte vectors stay aligned
      // when it is a multiple of the vector's lanes (cudaMalloc aligns the base to 256 bytes).
      constexpr int kLanes = Vec<T>::lanes;
      gemm_kernel<T><<<grid_, kThreads, 0, stream>>>(m_, n_, k_, alpha_, a_.data(), b_.data(),
                                                     beta_, c_.data(), m_ % kLanes == 0,
                                                     k_ % kLanes == 0);
      FLOPBENCH_CUDA_CALL(cudaGetLastError());
    });
  }

  void read_c(std::span<T> c) override { c_.download(c); }

  std::vector<std::string> notes() const override {
    return {"CUDA cores (FMA), no tensor cores: 128x128x8 tiles, 8x8 per thread"};
  }

 private:
  std::int64_t m_ = 0, n_ = 0, k_ = 0;
  T alpha_ = 0, beta_ = 0;
  DeviceBuffer<T> a_, b_, c_;
  dim3 grid_;
};

}  // namespace

FLOPBENCH_REGISTER(make_implementation<workloads::Gemm, CudaGemm>(
    {.name = "cuda",
     .device = DeviceKind::gpu,
     .description = "hand-written CUDA kernel: shared-memory tiles, register blocking"}))

}  // namespace flopbench::cuda
