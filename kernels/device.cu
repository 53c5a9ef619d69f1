#include "kernels/device.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
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

namespace {

// A number of each device, computed on its first use and kept: hold_stream() and flush_l2() pad
// every timed run, and on an H200 (driver 580, in a VM) cudaDeviceGetAttribute's clock rate
// took 376 us a call (the other attributes and the occupancy query under 1 us): 0.7 ms of host
// time a run with the rest, in which the GPU idled; a burn's GPU was busy 61 % of the time.
class PerDevice {
 public:
  template <class Compute>
  int get(int device, Compute&& compute) {
    const std::lock_guard lock(mutex_);
    if (const auto known = values_.find(device); known != values_.end()) return known->second;
    const int value = compute();
    values_.emplace(device, value);
    return value;
  }

 private:
  std::mutex mutex_;
  std::map<int, int> values_;
};

// Queues a spin of about `microseconds` (at the GPU's maximum clock; longer below it).
void spin_for(int device, cudaStream_t stream, long long microseconds) {
  static PerDevice clock_khz;
  const int khz = clock_khz.get(device, [&] {
    int value = 0;
    FLOPBENCH_CUDA_CALL(cudaDeviceGetAttribute(&value, cudaDevAttrClockRate, device));
    return value;
  });
  spin<<<1, 1, 0, stream>>>(static_cast<long long>(khz) * microseconds / 1000);
  FLOPBENCH_CUDA_CALL(cudaGetLastError());
}

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
  // 50 ms of work first, so that an idle GPU's clocks have ramped up before anything is timed.
  spin_for(device, stream.get(), 50'000);
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

  // Back to back: a spin ahead of the start event holds the stream while the host queues a
  // batch, so that the events time how fast the GPU starts queued kernels, not how fast the host
  // submits them. A batch is timed only if its start event was still pending once all of it was
  // queued; else it is queued again behind a longer spin. Batches of 500 stay below the queue
  // depth at which a launch would wait for the GPU.
  constexpr int kBatch = 500;
  constexpr long long kFirstHoldUs = 10'000, kLongestHoldUs = 640'000;
  const Event start(device), stop(device);
  double device_ms = 0;
  for (int queued = 0; queued < kLaunches; queued += kBatch) {
    for (long long hold_us = kFirstHoldUs;; hold_us *= 2) {
      spin_for(device, stream.get(), hold_us);
      FLOPBENCH_CUDA_CALL(cudaEventRecord(start.get(), stream.get()));
      for (int i = 0; i < kBatch; ++i) launch();
      FLOPBENCH_CUDA_CALL(cudaEventRecord(stop.get(), stream.get()));
      const cudaError_t started = cudaEventQuery(start.get());
      if (started != cudaErrorNotReady) FLOPBENCH_CUDA_CALL(started);
      static_cast<void>(cudaGetLastError());  // a pending event is no error to report later
      FLOPBENCH_CUDA_CALL(cudaEventSynchronize(stop.get()));
      if (started == cudaErrorNotReady) {
        float ms = 0;
        FLOPBENCH_CUDA_CALL(cudaEventElapsedTime(&ms, start.get(), stop.get()));
        device_ms += static_cast<double>(ms);
        break;
      }
      if (hold_us >= kLongestHoldUs) {
        throw std::runtime_error(
            "500 empty kernels could not be queued while a 640 ms spin held the stream (a slow "
            "host, or a driver whose launch queue holds fewer): the back-to-back launch time "
            "cannot be told from the host's");
      }
    }
  }
  return {*middle, device_ms * 1e3 / kLaunches, kLaunches};
}

void hold_stream(int device, cudaStream_t stream) { spin_for(device, stream, 50); }

void flush_l2(const DeviceBuffer<int>& scratch, cudaStream_t stream) {
  const int device = current_device();
  static_assert(sizeof(int4) == 4 * sizeof(int));
  const std::size_t vectors = scratch.size() / 4;
  // The sink is the buffer itself: never written, as kImpossible is never the XOR of zeros.
  static PerDevice flush_blocks;
  const int blocks = flush_blocks.get(device, [&] { return resident_blocks(device, read_all); });
  read_all<<<blocks, kStreamingThreads, 0, stream>>>(reinterpret_cast<const int4*>(scratch.data()),
                                                     vectors, scratch.data());
  FLOPBENCH_CUDA_CALL(cudaGetLastError());
}

}  // namespace flopbench::cuda
