#pragma once

// RAII owners of CUDA resources, and OnDevice: what every GPU kernel shares (its device, a
// dedicated stream, the CUDA-event timing of run(), the L2 flush of cold measurements).

#include <cuda_runtime_api.h>

#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <utility>

#include "kernels/cuda_check.hpp"

namespace flopbench::cuda {

// The runtime's current device belongs to the calling host thread, and a kernel may be called
// from any thread (the runner's, or one per GPU in a machine-aggregate measurement): every entry
// point that touches the device selects it first.
inline void use_device(int device) { FLOPBENCH_CUDA_CALL(cudaSetDevice(device)); }

// Device memory for `count` elements of T.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) : count_(count) {
    if (count > 0) FLOPBENCH_CUDA_CALL(cudaMalloc(reinterpret_cast<void**>(&data_), bytes()));
  }
  // A copy of `host` in device memory.
  explicit DeviceBuffer(std::span<const T> host) : DeviceBuffer(host.size()) { upload(host); }
  ~DeviceBuffer() {
    if (data_) FLOPBENCH_CUDA_CALL_NOEXCEPT(cudaFree(data_));
  }
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(count_, other.count_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* data() const { return data_; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }

  // Synchronous copies, for untimed setup and read-back.
  void upload(std::span<const T> host) {
    if (host.size() != count_) throw std::logic_error("DeviceBuffer::upload: size mismatch");
    FLOPBENCH_CUDA_CALL(cudaMemcpy(data_, host.data(), bytes(), cudaMemcpyHostToDevice));
  }
  void download(std::span<T> host) const {
    if (host.size() != count_) throw std::logic_error("DeviceBuffer::download: size mismatch");
    FLOPBENCH_CUDA_CALL(cudaMemcpy(host.data(), data_, bytes(), cudaMemcpyDeviceToHost));
  }
  // All bits set: NaN in float and double, so an output element a kernel never writes fails
  // verification instead of passing with a stale value.
  void poison() { FLOPBENCH_CUDA_CALL(cudaMemset(data_, 0xff, bytes())); }

 private:
  T* data_ = nullptr;
  std::size_t count_ = 0;
};

// Page-locked host memory, which the GPU's copy engines reach directly.
template <class T>
class PinnedBuffer {
 public:
  explicit PinnedBuffer(std::size_t count) : count_(count) {
    FLOPBENCH_CUDA_CALL(cudaMallocHost(reinterpret_cast<void**>(&data_), count * sizeof(T)));
  }
  ~PinnedBuffer() { FLOPBENCH_CUDA_CALL_NOEXCEPT(cudaFreeHost(data_)); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  T* data() const { return data_; }
  std::span<T> span() const { return {data_, count_}; }

 private:
  T* data_ = nullptr;
  std::size_t count_ = 0;
};

// A non-blocking stream of its own, so nothing else on the device (the legacy default stream
// included) serialises with the timed work.
class Stream {
 public:
  explicit Stream(int device) {
    use_device(device);
    FLOPBENCH_CUDA_CALL(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  }
  ~Stream() { FLOPBENCH_CUDA_CALL_NOEXCEPT(cudaStreamDestroy(stream_)); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

class Event {
 public:
  explicit Event(int device) {
    use_device(device);
    FLOPBENCH_CUDA_CALL(cudaEventCreate(&event_));
  }
  ~Event() { FLOPBENCH_CUDA_CALL_NOEXCEPT(cudaEventDestroy(event_)); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

// Threads per block of the streaming kernels (reductions, triad, peak).
inline constexpr int kStreamingThreads = 256;

// Blocks of kStreamingThreads threads of `kernel` that fit on the device at once: the grid of
// a grid-stride kernel that fills every SM in a single wave.
template <class Kernel>
int resident_blocks(int device, Kernel* kernel) {
  int sms = 0, per_sm = 0;
  FLOPBENCH_CUDA_CALL(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  FLOPBENCH_CUDA_CALL(cudaOccupancyMaxActiveBlocksPerMultiprocessor(
      &per_sm, reinterpret_cast<const void*>(kernel), kStreamingThreads, 0));
  return sms * per_sm;
}

// Reads a buffer twice the size of L2 so that the next kernel finds none of its data there.
// Reading rather than writing leaves no dirty lines whose write-back would land in the next
// kernel's timed region.
void flush_l2(const DeviceBuffer<int>& scratch, cudaStream_t stream);

enum class Cache {
  warm,  // compute-bound work: its data may stay in L2 from run to run
  cold,  // bandwidth work: L2 is flushed before every run, outside the timed events
};

// The shared part of every GPU kernel: `Base` is the workload's kernel interface
// (GemmKernel<T>, ...). The constructor takes the device index the registry passes.
template <class Base>
class OnDevice : public Base {
 public:
  OnDevice(int device, Cache cache)
      : device_(device), stream_(device), start_(device), stop_(device) {
    if (cache == Cache::cold) {
      int l2_bytes = 0;
      FLOPBENCH_CUDA_CALL(cudaDeviceGetAttribute(&l2_bytes, cudaDevAttrL2CacheSize, device));
      l2_scratch_ = DeviceBuffer<int>(2 * static_cast<std::size_t>(l2_bytes) / sizeof(int));
      FLOPBENCH_CUDA_CALL(cudaMemset(l2_scratch_.data(), 0, l2_scratch_.bytes()));
    }
  }

  std::optional<double> device_seconds_of_last_run() const override { return last_seconds_; }

 protected:
  int device() const { return device_; }
  cudaStream_t stream() const { return stream_.get(); }

  // The timed region of run(): launch(stream) between two events on the kernel's stream, then
  // wait for it. `launch` checks its own launches.
  template <class Launch>
  void timed(Launch&& launch) {
    use_device(device_);
    if (l2_scratch_.size() > 0) flush_l2(l2_scratch_, stream());
    FLOPBENCH_CUDA_CALL(cudaEventRecord(start_.get(), stream()));
    launch(stream());
    FLOPBENCH_CUDA_CALL(cudaEventRecord(stop_.get(), stream()));
    FLOPBENCH_CUDA_CALL(cudaEventSynchronize(stop_.get()));
    float ms = 0;
    FLOPBENCH_CUDA_CALL(cudaEventElapsedTime(&ms, start_.get(), stop_.get()));
    last_seconds_ = static_cast<double>(ms) * 1e-3;
  }

 private:
  int device_;
  Stream stream_;
  Event start_, stop_;
  DeviceBuffer<int> l2_scratch_;
  std::optional<double> last_seconds_;
};

}  // namespace flopbench::cuda
