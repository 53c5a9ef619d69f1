#pragma once

// RAII owners of CUDA resources, and OnDevice: what every GPU kernel shares (its device, a
// dedicated stream, the CUDA-event timing of run(), the L2 flush of cold measurements).

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

#include "harness/core/kernel.hpp"
#include "harness/core/results.hpp"
#include "kernels/cuda_check.hpp"

namespace flopbench::cuda {

// The runtime's current device belongs to the calling host thread, and a kernel may be called
// from any thread (the runner's, or one per GPU in a machine-aggregate measurement): every entry
// point that touches the device selects it first.
inline void use_device(int device) { FLOPBENCH_CUDA_CALL(cudaSetDevice(device)); }

// The device current on this thread.
inline int current_device() {
  int device = 0;
  FLOPBENCH_CUDA_CALL(cudaGetDevice(&device));
  return device;
}

// Device memory for `count` elements of T, on the device current when it is made.
//
// Setup copies and fills go through the legacy default stream, with which the kernels'
// non-blocking streams do not synchronise, and a copy from pageable memory may return before its
// data has landed: so every setup operation here waits for the device before it returns.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) : device_(current_device()), count_(count) {
    if (count > 0) FLOPBENCH_CUDA_CALL(cudaMalloc(reinterpret_cast<void**>(&data_), bytes()));
  }
  // A copy of `host` in device memory.
  explicit DeviceBuffer(std::span<const T> host) : DeviceBuffer(host.size()) { upload(host); }
  ~DeviceBuffer() {
    if (!data_) return;
    FLOPBENCH_CUDA_CALL_NOEXCEPT(cudaSetDevice(device_));
    FLOPBENCH_CUDA_CALL_NOEXCEPT(cudaFree(data_));
  }
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : device_(other.device_),
        data_(std::exchange(other.data_, nullptr)),
        count_(std::exchange(other.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(device_, other.device_);
    std::swap(data_, other.data_);
    std::swap(count_, other.count_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* data() const { return data_; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }

  // Untimed setup and read-back; each is complete on the device when it returns.
  void upload(std::span<const T> host) {
    if (host.size() != count_) throw std::logic_error("DeviceBuffer::upload: size mismatch");
    use_device(device_);
    FLOPBENCH_CUDA_CALL(cudaMemcpy(data_, host.data(), bytes(), cudaMemcpyHostToDevice));
    FLOPBENCH_CUDA_CALL(cudaDeviceSynchronize());
  }
  void download(std::span<T> host) const {
    if (host.size() != count_) throw std::logic_error("DeviceBuffer::download: size mismatch");
    use_device(device_);
    FLOPBENCH_CUDA_CALL(cudaDeviceSynchronize());
    FLOPBENCH_CUDA_CALL(cudaMemcpy(host.data(), data_, bytes(), cudaMemcpyDeviceToHost));
  }
  // Every byte set to `byte`.
  void fill(unsigned char byte) {
    use_device(device_);
    FLOPBENCH_CUDA_CALL(cudaMemset(data_, byte, bytes()));
    FLOPBENCH_CUDA_CALL(cudaDeviceSynchronize());
  }
  // All bits set: NaN in float and double, so an output element a kernel never writes fails
  // verification instead of passing with a stale value.
  void poison() { fill(0xff); }

 private:
  int device_ = 0;
  T* data_ = nullptr;
  std::size_t count_ = 0;
};

// What an end-to-end run copies (OnDevice::end_to_end): an input from the harness's host array
// to the device, and a result from the device back to the host.
struct HostInput {
  void* device;
  const void* host;
  std::size_t bytes;
};
struct DeviceResult {
  void* device;
  std::size_t bytes;
};

// A GEMM's operands on the device, copied from its inputs (the hand-written and cuBLAS GEMMs).
template <class T>
struct DeviceGemm {
  explicit DeviceGemm(const GemmInputs<T>& in)
      : m(in.m),
        n(in.n),
        k(in.k),
        alpha(in.alpha),
        beta(in.beta),
        a(in.a.span()),
        b(in.b.span()),
        c(in.c.span()) {}
  std::int64_t m, n, k;
  T alpha, beta;
  DeviceBuffer<T> a, b, c;

  // What an end-to-end GEMM copies: A, B and, where beta reads it, the initial C from `in`; then
  // C back.
  std::vector<HostInput> inputs_from(const GemmInputs<T>& in) const {
    std::vector<HostInput> inputs = {{a.data(), in.a.data(), a.bytes()},
                                     {b.data(), in.b.data(), b.bytes()}};
    if (in.beta != T(0)) inputs.push_back({c.data(), in.c.data(), c.bytes()});
    return inputs;
  }
  std::vector<DeviceResult> results() const { return {{c.data(), c.bytes()}}; }
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
  explicit Stream(int device) : device_(device) {
    use_device(device);
    FLOPBENCH_CUDA_CALL(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  }
  ~Stream() {
    FLOPBENCH_CUDA_CALL_NOEXCEPT(cudaSetDevice(device_));
    FLOPBENCH_CUDA_CALL_NOEXCEPT(cudaStreamDestroy(stream_));
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  int device_;
  cudaStream_t stream_ = nullptr;
};

class Event {
 public:
  explicit Event(int device) : device_(device) {
    use_device(device);
    FLOPBENCH_CUDA_CALL(cudaEventCreate(&event_));
  }
  ~Event() {
    FLOPBENCH_CUDA_CALL_NOEXCEPT(cudaSetDevice(device_));
    FLOPBENCH_CUDA_CALL_NOEXCEPT(cudaEventDestroy(event_));
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  int device_;
  cudaEvent_t event_ = nullptr;
};

// Threads per block of the streaming kernels (reductions, triad, peak).
inline constexpr int kStreamingThreads = 256;

// Blocks of kStreamingThreads threads of `kernel` that fit on the device at once: the grid of
// a grid-stride kernel that fills every SM in a single wave.
template <class Kernel>
int resident_blocks(int device, Kernel* kernel) {
  use_device(device);  // the occupancy query is about the current device
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

// Queues a kernel that keeps the stream busy for about 50 microseconds. Queued ahead of a timed
// run's start event, it makes the start and the run's own launch reach an already busy GPU, so
// the launch latency of the run is not in its time.
void hold_stream(int device, cudaStream_t stream);

// The launch latency of an empty kernel on `device` (inventory.hpp, launch_latency()).
LaunchLatency measure_launch_latency(int device);

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
      l2_scratch_.fill(0);
    }
  }

  std::optional<double> device_seconds_of_last_run() const override { return last_seconds_; }

  bool has_end_to_end() const override { return !inputs_.empty(); }

  // The copies in, the launch and the copies out, queued on the kernel's stream, then one wait:
  // what the host's clock around it sees is what an application waits for.
  //
  // The first run from each kind of host memory is the one the runner verifies, untimed. Before
  // it, the device's copies of the inputs and its results are poisoned, so that an input copy
  // that never lands, or a result this run does not write, fails verification instead of leaving
  // an earlier run's identical data in place; after it, the result that reached the host must
  // equal the device's, which is what verification reads.
  void run_end_to_end(HostMemory memory) override {
    use_device(device_);
    HostSide& host = host_side(memory);
    const bool verified_run = !std::exchange(host.ran, true);
    if (verified_run) {
      for (const HostInput& in : inputs_)
        FLOPBENCH_CUDA_CALL(cudaMemsetAsync(in.device, 0xff, in.bytes, stream()));
      for (const DeviceResult& out : results_)
        FLOPBENCH_CUDA_CALL(cudaMemsetAsync(out.device, 0xff, out.bytes, stream()));
    }
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      FLOPBENCH_CUDA_CALL(cudaMemcpyAsync(inputs_[i].device, host.inputs[i], inputs_[i].bytes,
                                          cudaMemcpyHostToDevice, stream()));
    }
    end_to_end_ = true;
    this->run();
    for (std::size_t i = 0; i < results_.size(); ++i) {
      FLOPBENCH_CUDA_CALL(cudaMemcpyAsync(host.results[i], results_[i].device, results_[i].bytes,
                                          cudaMemcpyDeviceToHost, stream()));
    }
    FLOPBENCH_CUDA_CALL(cudaStreamSynchronize(stream()));
    if (verified_run) check_results_reached_host(host);
  }

  // A cold run's L2 flush, finished before it returns. A warm run's hold is left out: it hides
  // the launch from the events only while it is still running, and the host's interval that
  // calls for this holds the launch anyway.
  void prepare_run() override {
    use_device(device_);
    if (l2_scratch_.size() > 0) flush_l2(l2_scratch_, stream());
    FLOPBENCH_CUDA_CALL(cudaStreamSynchronize(stream()));
    prepared_ = true;
  }

 protected:
  int device() const { return device_; }
  cudaStream_t stream() const { return stream_.get(); }

  // Names what an end-to-end run copies, in setup: each input from the harness's host array to
  // the device, then each result back. A kernel that names nothing has no end-to-end run.
  void end_to_end(std::vector<HostInput> inputs, std::vector<DeviceResult> results) {
    inputs_ = std::move(inputs);
    results_ = std::move(results);
    pinned_ = {};
    pageable_ = {};
  }

  // The timed region of run(): launch(stream) between two events on the kernel's stream, then
  // wait for it. `launch` checks its own launches. Unless prepare_run() came first, the L2 flush
  // of a cold run and a short hold are queued ahead of the start event, so that the time is the
  // work's, not the launch latency's.
  template <class Launch>
  void timed(Launch&& launch) {
    use_device(device_);
    // An end-to-end run is timed by its caller, from before its copies to after its result.
    if (std::exchange(end_to_end_, false)) {
      launch(stream());
      return;
    }
    if (!std::exchange(prepared_, false)) {
      // The hold follows the flush too: a flush of a large L2 lasts only some 25 µs, less than
      // the host may take to queue a reduction's several launches behind the start event.
      if (l2_scratch_.size() > 0) flush_l2(l2_scratch_, stream());
      hold_stream(device_, stream());
    }
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
  bool prepared_ = false;    // prepare_run() has padded the next run
  bool end_to_end_ = false;  // run_end_to_end() is running run(): launch, do not time

  // The host side of end-to-end runs from one kind of host memory, made on first use: pinned
  // inputs are copies of the harness's arrays; pageable inputs are those arrays themselves.
  struct HostSide {
    bool ready = false;
    bool ran = false;                 // an end-to-end run from this memory has been made
    std::vector<const void*> inputs;  // each input's source
    std::vector<void*> results;       // each result's destination
    std::vector<std::unique_ptr<PinnedBuffer<unsigned char>>> pinned;
    std::vector<std::vector<unsigned char>> pageable;
  };
  HostSide& host_side(HostMemory memory) {
    const bool pinned = memory == HostMemory::pinned;
    HostSide& side = pinned ? pinned_ : pageable_;
    if (side.ready) return side;
    const auto host_bytes = [&](std::size_t bytes) -> unsigned char* {
      if (pinned)
        return side.pinned.emplace_back(std::make_unique<PinnedBuffer<unsigned char>>(bytes))
            ->data();
      return side.pageable.emplace_back(bytes).data();
    };
    for (const HostInput& in : inputs_) {
      if (pinned) {
        unsigned char* copy = host_bytes(in.bytes);
        std::memcpy(copy, in.host, in.bytes);
        side.inputs.push_back(copy);
      } else {
        side.inputs.push_back(in.host);
      }
    }
    for (const DeviceResult& r : results_) side.results.push_back(host_bytes(r.bytes));
    side.ready = true;
    return side;
  }
  void check_results_reached_host(const HostSide& host) const {
    for (std::size_t i = 0; i < results_.size(); ++i) {
      std::vector<unsigned char> on_device(results_[i].bytes);
      FLOPBENCH_CUDA_CALL(cudaMemcpy(on_device.data(), results_[i].device, results_[i].bytes,
                                     cudaMemcpyDeviceToHost));
      if (std::memcmp(on_device.data(), host.results[i], results_[i].bytes) != 0)
        throw std::runtime_error(
            "end-to-end run: the result copied back to host memory differs from the device's");
    }
  }
  std::vector<HostInput> inputs_;
  std::vector<DeviceResult> results_;
  HostSide pinned_, pageable_;
};

}  // namespace flopbench::cuda
