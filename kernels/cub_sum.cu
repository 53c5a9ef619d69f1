// CUB's DeviceReduce::Sum: the library reference for the hand-written sum.

#include <cub/device/device_reduce.cuh>

#include <cstdint>

#include "harness/core/registry.hpp"
#include "kernels/device.hpp"

namespace flopbench::cuda {
namespace {

template <class T>
class CubSum final : public OnDevice<ReductionKernel<T>> {
 public:
  explicit CubSum(int device) : OnDevice<ReductionKernel<T>>(device, Cache::cold), result_(1) {}

  void setup(const VectorInputs<T>& in) override {
    use_device(this->device());
    n_ = in.n;
    x_ = DeviceBuffer<T>(in.x.span());
    result_.poison();
    // Temporary storage is sized once, outside the timed region.
    std::size_t bytes = 0;
    FLOPBENCH_CUDA_CALL(
        cub::DeviceReduce::Sum(nullptr, bytes, x_.data(), result_.data(), n_, this->stream()));
    scratch_ = DeviceBuffer<unsigned char>(bytes);
    this->end_to_end({{x_.data(), in.x.data(), x_.bytes()}}, {{result_.data(), result_.bytes()}});
  }

  void run() override {
    this->timed([&](cudaStream_t stream) {
      std::size_t bytes = scratch_.size();
      FLOPBENCH_CUDA_CALL(
          cub::DeviceReduce::Sum(scratch_.data(), bytes, x_.data(), result_.data(), n_, stream));
    });
  }

  T result() override {
    T value{};
    result_.download(std::span<T>(&value, 1));
    return value;
  }

 private:
  std::int64_t n_ = 0;
  DeviceBuffer<T> x_, result_;
  DeviceBuffer<unsigned char> scratch_;
};

}  // namespace

FLOPBENCH_REGISTER(make_implementation<workloads::Sum, CubSum>(
    {.name = "cub",
     .device = DeviceKind::gpu,
     .description = "CUB DeviceReduce::Sum",
     .library = "CUB",
     .library_version = std::to_string(CUB_VERSION / 100000) + "." +
                        std::to_string(CUB_VERSION / 100 % 1000) + "." +
                        std::to_string(CUB_VERSION % 100)}))

}  // namespace flopbench::cuda
