#include "kernels/device.hpp"

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

}  // namespace

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
