// Hand-written sum and dot: 16-byte vector loads in a grid-stride loop, four vectors in flight
// per thread, a warp-shuffle reduction per block, then one block that adds the block partials.
// Deterministic: the grid depends only on the device, each thread adds its elements in a fixed
// order and no atomics are used, so the same input gives the same bits on every run.

#include <cstdint>

#include "harness/core/registry.hpp"
#include "kernels/device.hpp"
#include "kernels/vec16.cuh"

namespace flopbench::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kUnroll = 4;

// Adds x (or x*y for dot) of one vector into the per-lane accumulators.
template <bool kDot>
__device__ void accumulate(const float4& x, const float4& y, float* acc) {
  if constexpr (kDot) {
    acc[0] = fmaf(x.x, y.x, acc[0]);
    acc[1] = fmaf(x.y, y.y, acc[1]);
    acc[2] = fmaf(x.z, y.z, acc[2]);
    acc[3] = fmaf(x.w, y.w, acc[3]);
  } else {
    acc[0] += x.x;
    acc[1] += x.y;
    acc[2] += x.z;
    acc[3] += x.w;
  }
}
template <bool kDot>
__device__ void accumulate(const double2& x, const double2& y, double* acc) {
  if constexpr (kDot) {
    acc[0] = fma(x.x, y.x, acc[0]);
    acc[1] = fma(x.y, y.y, acc[1]);
  } else {
    acc[0] += x.x;
    acc[1] += x.y;
  }
}

// The sum over the block of each thread's `value`, valid in thread 0. Fixed order.
template <class T>
__device__ T block_sum(T value) {
  __shared__ T warp_sums[kStreamingThreads / kWarp];
#pragma unroll
  for (int offset = kWarp / 2; offset > 0; offset /= 2)
    value += __shfl_down_sync(0xffffffffu, value, offset);
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  const int warp = static_cast<int>(threadIdx.x) / kWarp;
  if (lane == 0) warp_sums[warp] = value;
  __syncthreads();
  if (warp == 0) {
    value = lane < kStreamingThreads / kWarp ? warp_sums[lane] : T(0);
#pragma unroll
    for (int offset = kWarp / 2; offset > 0; offset /= 2)
      value += __shfl_down_sync(0xffffffffu, value, offset);
  }
  return value;
}

// partials[blockIdx.x] = this block's share of sum(x) or sum(x * y). y is unused for sum.
template <class T, bool kDot>
__global__ void __launch_bounds__(kStreamingThreads)
    partial_reduce(const T* __restrict__ x, const T* __restrict__ y, std::int64_t n,
                   T* __restrict__ partials) {
  using V = typename Vec16<T>::type;
  constexpr int kLanes = Vec16<T>::lanes;
  const auto* xv = reinterpret_cast<const V*>(x);
  const auto* yv = reinterpret_cast<const V*>(kDot ? y : x);
  const std::int64_t vectors = n / kLanes;
  const std::int64_t thread = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;

  T acc[kLanes] = {};
  std::int64_t i = thread;
  for (; i + (kUnroll - 1) * stride < vectors; i += kUnroll * stride) {
    V xs[kUnroll], ys[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      xs[u] = xv[i + u * stride];
      if constexpr (kDot) ys[u] = yv[i + u * stride];
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      if constexpr (kDot) {
        accumulate<true>(xs[u], ys[u], acc);
      } else {
        accumulate<false>(xs[u], xs[u], acc);
      }
    }
  }
  for (; i < vectors; i += stride) accumulate<kDot>(xv[i], yv[i], acc);
  // The n % kLanes elements after the last whole vector.
  T value = 0;
#pragma unroll
  for (int q = 0; q < kLanes; ++q) value += acc[q];
  const std::int64_t tail = vectors * kLanes + thread;
  if (tail < n) {
    if constexpr (kDot) {
      value = fma(x[tail], y[tail], value);
    } else {
      value += x[tail];
    }
  }

  value = block_sum(value);
  if (threadIdx.x == 0) partials[blockIdx.x] = value;
}

// *result = the sum of `count` partials, in one block.
template <class T>
__global__ void __launch_bounds__(kStreamingThreads)
    final_reduce(const T* __restrict__ partials, int count, T* __restrict__ result) {
  T value = 0;
  for (int i = static_cast<int>(threadIdx.x); i < count; i += kStreamingThreads)
    value += partials[i];
  value = block_sum(value);
  if (threadIdx.x == 0) *result = value;
}

template <class T, bool kDot>
class CudaReduction : public OnDevice<ReductionKernel<T>> {
 public:
  explicit CudaReduction(int device)
      : OnDevice<ReductionKernel<T>>(device, Cache::cold),
        blocks_(resident_blocks(device, partial_reduce<T, kDot>)),
        partials_(static_cast<std::size_t>(blocks_)),
        result_(1) {}

  void setup(const VectorInputs<T>& in) override {
    use_device(this->device());
    n_ = in.n;
    x_ = DeviceBuffer<T>(in.x.span());
    if (kDot) y_ = DeviceBuffer<T>(in.y.span());
    result_.poison();
    std::vector<HostInput> inputs = {{x_.data(), in.x.data(), x_.bytes()}};
    if (kDot) inputs.push_back({y_.data(), in.y.data(), y_.bytes()});
    this->end_to_end(std::move(inputs), {{result_.data(), result_.bytes()}});
  }

  void run() override {
    this->timed([&](cudaStream_t stream) {
      partial_reduce<T, kDot>
          <<<blocks_, kStreamingThreads, 0, stream>>>(x_.data(), y_.data(), n_, partials_.data());
      FLOPBENCH_CUDA_CALL(cudaGetLastError());
      final_reduce<T>
          <<<1, kStreamingThreads, 0, stream>>>(partials_.data(), blocks_, result_.data());
      FLOPBENCH_CUDA_CALL(cudaGetLastError());
    });
  }

  T result() override {
    T value{};
    result_.download(std::span<T>(&value, 1));
    return value;
  }

  std::vector<std::string> notes() const override {
    return {"deterministic: " + std::to_string(blocks_) + " blocks of " +
            std::to_string(kStreamingThreads) + " threads, fixed summation order"};
  }

 private:
  int blocks_;
  std::int64_t n_ = 0;
  DeviceBuffer<T> x_, y_, partials_, result_;
};

template <class T>
class CudaSum final : public CudaReduction<T, false> {
 public:
  using CudaReduction<T, false>::CudaReduction;
};
template <class T>
class CudaDot final : public CudaReduction<T, true> {
 public:
  using CudaReduction<T, true>::CudaReduction;
};

}  // namespace

FLOPBENCH_REGISTER(make_implementation<workloads::Sum, CudaSum>(
    {.name = "cuda",
     .device = DeviceKind::gpu,
     .description = "hand-written CUDA kernel: vector loads, warp shuffles, deterministic"}))
FLOPBENCH_REGISTER(make_implementation<workloads::Dot, CudaDot>(
    {.name = "cuda",
     .device = DeviceKind::gpu,
     .description = "hand-written CUDA kernel: vector loads, warp shuffles, deterministic"}))

}  // namespace flopbench::cuda
