// cuBLAS SGEMM/DGEMM, the reference the hand-written kernel is judged against. SGEMM runs in
// true FP32: the handle's math mode is CUBLAS_DEFAULT_MATH, which does not use TF32, and the
// mode read back from the handle is recorded. DGEMM is left to cuBLAS, which uses FP64 tensor
// cores where the GPU has them; its % of peak is then judged against the tensor-core peak.

#include <cstdlib>

#include "harness/core/registry.hpp"
#include "harness/machine/peak_model.hpp"
#include "kernels/cublas.hpp"
#include "kernels/device.hpp"

namespace flopbench::cuda {
namespace {

// Environment variables that change which arithmetic cuBLAS uses behind the math mode.
constexpr const char* kMathEnvironment[] = {
    "NVIDIA_TF32_OVERRIDE", "CUBLAS_EMULATE_SINGLE_PRECISION", "CUBLAS_EMULATION_STRATEGY"};

template <class T>
class CublasGemm final : public OnDevice<GemmKernel<T>> {
 public:
  explicit CublasGemm(int device)
      : OnDevice<GemmKernel<T>>(device, Cache::warm),
        api_(*cublas()),
        handle_(api_, device, this->stream()) {
    FLOPBENCH_CUDA_CALL(api_.set_pointer_mode(handle_.get(), CUBLAS_POINTER_MODE_HOST));
    FLOPBENCH_CUDA_CALL(api_.set_math_mode(handle_.get(), CUBLAS_DEFAULT_MATH));
    cublasMath_t mode{};
    FLOPBENCH_CUDA_CALL(api_.get_math_mode(handle_.get(), &mode));
    notes_.push_back("math mode " + math_mode_name(mode));
    if constexpr (std::is_same_v<T, float>) {
      notes_.emplace_back("true FP32: TF32 off");
    } else {
      cudaDeviceProp prop{};
      FLOPBENCH_CUDA_CALL(cudaGetDeviceProperties(&prop, device));
      tensor_cores_ = has_fp64_tensor_cores(prop.major, prop.minor);
      notes_.emplace_back(tensor_cores_ ? "FP64 tensor cores apply (cuBLAS's choice); % of peak "
                                          "is against the tensor-core FP64 peak"
                                        : "no FP64 tensor cores on this GPU: CUDA-core FP64");
    }
    for (const char* name : kMathEnvironment) {
      if (const char* value = std::getenv(name)) notes_.push_back(std::string(name) + "=" + value);
    }
  }

  void setup(const GemmInputs<T>& in) override {
    use_device(this->device());
    gemm_.emplace(in);
    this->end_to_end(gemm_->inputs_from(in), gemm_->results());
  }

  void run() override {
    DeviceGemm<T>& g = *gemm_;
    this->timed([&](cudaStream_t) {
      const auto gemm = [&] {
        if constexpr (std::is_same_v<T, float>) {
          return api_.sgemm;
        } else {
          return api_.dgemm;
        }
      }();
      FLOPBENCH_CUDA_CALL(gemm(handle_.get(), CUBLAS_OP_N, CUBLAS_OP_N, g.m, g.n, g.k, &g.alpha,
                               g.a.data(), g.m, g.b.data(), g.k, &g.beta, g.c.data(), g.m));
    });
  }

  void read_c(std::span<T> c) override { gemm_->c.download(c); }
  std::vector<std::string> notes() const override { return notes_; }
  bool may_use_fp64_tensor_cores() const override { return tensor_cores_; }

 private:
  const CublasApi& api_;
  CublasHandle handle_;
  std::vector<std::string> notes_;
  bool tensor_cores_ = false;
  std::optional<DeviceGemm<T>> gemm_;
};

}  // namespace

FLOPBENCH_REGISTER(with_cublas(make_implementation<workloads::Gemm, CublasGemm>(
    {.name = "cublas", .device = DeviceKind::gpu, .description = "cuBLAS SGEMM/DGEMM"})))

}  // namespace flopbench::cuda
