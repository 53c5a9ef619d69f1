// cuBLAS dot (Sdot/Ddot), the library reference for the hand-written dot. The result stays in
// device memory (pointer mode device), as the other reductions' results do, so that the timed
// region holds no copy back to the host.

#include "harness/core/registry.hpp"
#include "kernels/cublas.hpp"
#include "kernels/device.hpp"

namespace flopbench::cuda {
namespace {

template <class T>
class CublasDot final : public OnDevice<ReductionKernel<T>> {
 public:
  explicit CublasDot(int device)
      : OnDevice<ReductionKernel<T>>(device, Cache::cold),
        api_(*cublas()),
        handle_(api_, device, this->stream()),
        result_(1) {
    FLOPBENCH_CUDA_CALL(api_.set_pointer_mode(handle_.get(), CUBLAS_POINTER_MODE_DEVICE));
  }

  void setup(const VectorInputs<T>& in) override {
    use_device(this->device());
    n_ = in.n;
    x_ = DeviceBuffer<T>(in.x.span());
    y_ = DeviceBuffer<T>(in.y.span());
    result_.poison();
    this->end_to_end({{x_.data(), in.x.data(), x_.bytes()}, {y_.data(), in.y.data(), y_.bytes()}},
                     {{result_.data(), result_.bytes()}});
  }

  void run() override {
    this->timed([&](cudaStream_t) {
      if constexpr (std::is_same_v<T, float>) {
        FLOPBENCH_CUDA_CALL(
            api_.sdot(handle_.get(), n_, x_.data(), 1, y_.data(), 1, result_.data()));
      } else {
        FLOPBENCH_CUDA_CALL(
            api_.ddot(handle_.get(), n_, x_.data(), 1, y_.data(), 1, result_.data()));
      }
    });
  }

  T result() override {
    T value{};
    result_.download(std::span<T>(&value, 1));
    return value;
  }

 private:
  const CublasApi& api_;
  CublasHandle handle_;
  std::int64_t n_ = 0;
  DeviceBuffer<T> x_, y_, result_;
};

}  // namespace

FLOPBENCH_REGISTER(with_cublas(make_implementation<workloads::Dot, CublasDot>(
    {.name = "cublas", .device = DeviceKind::gpu, .description = "cuBLAS Sdot/Ddot"})))

}  // namespace flopbench::cuda
