// Host<->device copy bandwidth with cudaMemcpyAsync, both directions, from pinned (page-locked)
// and from pageable host memory. Pageable copies go through the driver's staging buffers, so
// the gap between the two is part of what a user wants to know about a machine.

#include <cstring>

#include "harness/core/registry.hpp"
#include "kernels/device.hpp"

namespace flopbench::cuda {
namespace {

enum class Direction { host_to_device, device_to_host };

template <class T, Direction kDirection, HostMemory kHost>
class Copy : public OnDevice<TransferKernel<T>> {
 public:
  explicit Copy(int device) : OnDevice<TransferKernel<T>>(device, Cache::warm) {}

  void setup(const VectorInputs<T>& in) override {
    use_device(this->device());
    const auto n = static_cast<std::size_t>(in.n);
    bytes_ = n * sizeof(T);
    device_ = DeviceBuffer<T>(n);
    // The host buffer is this thread's, first touched here: on the GPU's NUMA node, where the
    // runner runs the thread that drives a GPU, not where the OpenMP team put the generated input.
    if constexpr (kHost == HostMemory::pinned) {
      pinned_.emplace(n);
      host_ = pinned_->data();
    } else {
      pageable_ = HostBuffer<T>(n);
      host_ = pageable_.data();
    }
    if constexpr (kDirection == Direction::host_to_device) {
      std::memcpy(host_, in.x.data(), bytes_);
      device_.poison();
    } else {
      device_.upload(in.x.span());
      // Touch every page and poison it: the copy must write every element.
      std::memset(host_, 0xff, bytes_);
    }
  }

  void run() override {
    // cudaMemcpyAsync copies pageable memory into the driver's staging buffers as it is called,
    // without waiting for the stream: behind a hold, a copy that fits in them would be staged
    // before the start event and read as fast as a pinned one. From an idle stream, unheld, the
    // staging is timed.
    if constexpr (kDirection == Direction::host_to_device && kHost == HostMemory::pageable) {
      this->prepare_run();
    }
    this->timed([&](cudaStream_t stream) {
      if constexpr (kDirection == Direction::host_to_device) {
        FLOPBENCH_CUDA_CALL(
            cudaMemcpyAsync(device_.data(), host_, bytes_, cudaMemcpyHostToDevice, stream));
      } else {
        FLOPBENCH_CUDA_CALL(
            cudaMemcpyAsync(host_, device_.data(), bytes_, cudaMemcpyDeviceToHost, stream));
      }
    });
  }

  void read_destination(std::span<T> out) override {
    if constexpr (kDirection == Direction::host_to_device) {
      device_.download(out);
    } else {
      std::memcpy(out.data(), host_, bytes_);
    }
  }

  std::vector<std::string> notes() const override {
    return {kHost == HostMemory::pinned ? "pinned host memory (cudaMallocHost)"
                                        : "pageable host memory"};
  }

 private:
  DeviceBuffer<T> device_;
  std::optional<PinnedBuffer<T>> pinned_;
  HostBuffer<T> pageable_;
  T* host_ = nullptr;  // the host buffer: pinned_'s or pageable_'s
  std::size_t bytes_ = 0;
};

template <class T>
class HostToDevicePinned final : public Copy<T, Direction::host_to_device, HostMemory::pinned> {
 public:
  using Copy<T, Direction::host_to_device, HostMemory::pinned>::Copy;
};
template <class T>
class HostToDevicePageable final : public Copy<T, Direction::host_to_device, HostMemory::pageable> {
 public:
  using Copy<T, Direction::host_to_device, HostMemory::pageable>::Copy;
};
template <class T>
class DeviceToHostPinned final : public Copy<T, Direction::device_to_host, HostMemory::pinned> {
 public:
  using Copy<T, Direction::device_to_host, HostMemory::pinned>::Copy;
};
template <class T>
class DeviceToHostPageable final : public Copy<T, Direction::device_to_host, HostMemory::pageable> {
 public:
  using Copy<T, Direction::device_to_host, HostMemory::pageable>::Copy;
};

ImplementationSpec copy_spec(std::string name, std::string description) {
  return {
      .name = std::move(name), .device = DeviceKind::gpu, .description = std::move(description)};
}

}  // namespace

// A copy moves bytes: one element type (float) is enough.
FLOPBENCH_REGISTER(make_implementation<workloads::Transfer, HostToDevicePinned, float>(
    copy_spec("h2d-pinned", "host-to-device cudaMemcpyAsync from pinned memory")))
FLOPBENCH_REGISTER(make_implementation<workloads::Transfer, HostToDevicePageable, float>(
    copy_spec("h2d-pageable", "host-to-device cudaMemcpyAsync from pageable memory")))
FLOPBENCH_REGISTER(make_implementation<workloads::Transfer, DeviceToHostPinned, float>(
    copy_spec("d2h-pinned", "device-to-host cudaMemcpyAsync into pinned memory")))
FLOPBENCH_REGISTER(make_implementation<workloads::Transfer, DeviceToHostPageable, float>(
    copy_spec("d2h-pageable", "device-to-host cudaMemcpyAsync into pageable memory")))

}  // namespace flopbench::cuda
