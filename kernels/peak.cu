// Register-only FMA chains on every SM: the achievable compute peak of the GPU's CUDA cores.

#include <cstdint>

#include "harness/core/registry.hpp"
#include "kernels/device.hpp"

namespace flopbench::cuda {
namespace {

// Independent chains per thread: with every SM full of warps, eight chains keep the FMA
// pipelines busy through their latency.
constexpr int kChains = 8;

template <class T>
__device__ void opaque(T& value) {
  // Hides each chain's start from the compiler, which would otherwise see identical chains and
  // compute one of them.
  if constexpr (std::is_same_v<T, float>) {
    asm volatile("" : "+f"(value));
  } else {
    asm volatile("" : "+d"(value));
  }
}

template <class T>
__global__ void __launch_bounds__(kStreamingThreads)
    fma_chains(std::int64_t iterations, T a, T b, T x0, T* __restrict__ out) {
  T x[kChains];
#pragma unroll
  for (int c = 0; c < kChains; ++c) {
    x[c] = x0;
    opaque(x[c]);
  }
  // Unrolled so that loop control takes a negligible share of the issue slots.
#pragma unroll 16
  for (std::int64_t it = 0; it < iterations; ++it) {
#pragma unroll
    for (int c = 0; c < kChains; ++c) x[c] = fma(x[c], a, b);
  }
  const std::int64_t thread = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
#pragma unroll
  for (int c = 0; c < kChains; ++c) out[thread * kChains + c] = x[c];
}

template <class T>
class CudaPeak final : public OnDevice<PeakKernel<T>> {
 public:
  explicit CudaPeak(int device)
      : OnDevice<PeakKernel<T>>(device, Cache::warm),
        blocks_(resident_blocks(device, fma_chains<T>)) {}

  void setup(const PeakInputs<T>& in) override {
    use_device(this->device());
    in_ = in;
    values_ = DeviceBuffer<T>(chains());
    values_.poison();
  }

  void run() override {
    this->timed([&](cudaStream_t stream) {
      fma_chains<T><<<blocks_, kStreamingThreads, 0, stream>>>(in_.iterations, in_.a, in_.b, in_.x0,
                                                               values_.data());
      FLOPBENCH_CUDA_CALL(cudaGetLastError());
    });
  }

  double flops_per_run() const override {
    return 2.0 * static_cast<double>(chains()) * static_cast<double>(in_.iterations);
  }

  std::vector<T> chain_values() override {
    std::vector<T> values(chains());
    values_.download(values);
    return values;
  }

  std::vector<std::string> notes() const override {
    return {std::to_string(blocks_) + " blocks x " + std::to_string(kStreamingThreads) +
            " threads x " + std::to_string(kChains) + " chains, CUDA cores (FMA)"};
  }

 private:
  std::size_t chains() const {
    return static_cast<std::size_t>(blocks_) * kStreamingThreads * kChains;
  }

  int blocks_;
  PeakInputs<T> in_;
  DeviceBuffer<T> values_;
};

}  // namespace

FLOPBENCH_REGISTER(make_implementation<workloads::Peak, CudaPeak>(
    {.name = "cuda",
     .device = DeviceKind::gpu,
     .description = "register-only FMA chains on every SM"}))

}  // namespace flopbench::cuda
