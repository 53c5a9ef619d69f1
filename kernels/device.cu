#include "kernels/device.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

namespace flopbench::cuda {
namespace {

// Never true for the zeroed scratch buffer; the store it guards keeps the loads alive.
constexpr int kImpossible = 0x5eed;

__global__ void read_all(const int4* __restrict__ data, std::size_t count, int* sink) {
  int acc = 0;
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < count;
       i += std::size_t{gridDim.x} * blockDim.x) {
    const int4 v = data[i];
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (acc == kImpossible) *sink = acc;
}

// Spins for `cycles` SM clock cycles.
__global__ void spin(long long cycles) {
  const long long start = clock64();
  while (clock64() - start < cycles) {
  }
}

__global__ void empty() {}

}  // namespace

LaunchLatency measure_launch_latency(int device) {
  constexpr int kWarmUp = 100;  // the first launches load the module and set up the context
  constexpr int kLaunches = 2000;
  const Stream stream(device);
  const auto launch = [&] {
    empty<<<1, 1, 0, stream.get()>>>();
    FLOPBENCH_CUDA_CALL(cudaGetLastError());
  };
  for (int i = 0; i < kWarmUp; ++i) launch();
  FLOPBENCH_CUDA_CALL(cudaStreamSynchronize(stream.get()));

  std::vector<double> each_us(kLaunches);
  for (double& us : each_us) {
    const auto start = std::chrono::steady_clock::now();
    launch();
    FLOPBENCH_CUDA_CALL(cudaStreamSynchronize(stream.get()));
    us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  }
  const auto middle = each_us.begin() + kLaunches / 2;
  std::nth_element(each_us.begin(), middle, each_us.end());

  const Event start(device), stop(device);
  FLOPBENCH_CUDA_CALL(cudaEventRecord(start.get(), stream.get()));
  for (int i = 0; i < kLaunches; ++i) launch();
  FLOPBENCH_CUDA_CALL(cudaEventRecord(stop.get(), stream.get()));
  FLOPBENCH_CUDA_CALL(cudaEventSynchronize(stop.get()));
  float ms = 0;
  FLOPBENCH_CUDA_CALL(cudaEventElapsedTime(&ms, start.get(), stop.get()));
  return {*middle, static_cast<double>(ms) * 1e3 / kLaunches, kLaunches};
}

void hold_stream(int device, cudaStream_t stream) {
  int khz = 0;
  FLOPBENCH_CUDA_CALL(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device));
  constexpr long long kMicroseconds = 50;
  spin<<<1, 1, 0, stream>>>(static_cast<long long>(khz) * kMicroseconds / 1000);
  FLOPBENCH_CUDA_CALL(cudaGetLastError());
}

void flush_l2(const DeviceBuffer<int>& scratch, cudaStream_t stream) {
  const int device = current_device();
  static_assert(sizeof(int4) == 4 * sizeof(int));
  const std::size_t vectors = scratch.size() / 4;
  // The sink is the buffer itself: never written, as kImpossible is never the XOR of zeros.
  read_all<<<resident_blocks(device, read_all), kStreamingThreads, 0, stream>>>(
      reinterpret_cast<const int4*>(scratch.data()), vectors, scratch.data());
  FLOPBENCH_CUDA_CALL(cudaGetLastError());
}

}  // namespace flopbench::cuda
