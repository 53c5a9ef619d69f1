#pragma once

// cuBLASLt, loaded at run time with dlopen like cuBLAS (kernels/cublas.hpp) and for the same
// reasons: it belongs to the machine's CUDA installation, a machine without it still runs
// everything else, and the implementations through it say why they cannot run.

#include <cublasLt.h>
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <utility>

#include "harness/core/registry.hpp"
#include "kernels/cuda_check.hpp"

namespace flopbench::cuda {

// The entry points flopbench uses, with the signatures of the cublasLt.h it was built with.
struct CublasLtApi {
  decltype(&cublasLtGetProperty) get_property = nullptr;
  decltype(&cublasLtCreate) create = nullptr;
  decltype(&cublasLtDestroy) destroy = nullptr;
  decltype(&cublasLtMatmulDescCreate) desc_create = nullptr;
  decltype(&cublasLtMatmulDescDestroy) desc_destroy = nullptr;
  decltype(&cublasLtMatmulDescSetAttribute) desc_set = nullptr;
  decltype(&cublasLtMatrixLayoutCreate) layout_create = nullptr;
  decltype(&cublasLtMatrixLayoutDestroy) layout_destroy = nullptr;
  decltype(&cublasLtMatmulPreferenceCreate) preference_create = nullptr;
  decltype(&cublasLtMatmulPreferenceDestroy) preference_destroy = nullptr;
  decltype(&cublasLtMatmulPreferenceSetAttribute) preference_set = nullptr;
  decltype(&cublasLtMatmulAlgoGetHeuristic) heuristic = nullptr;
  decltype(&cublasLtMatmulAlgoConfigGetAttribute) algo_config_get = nullptr;
  decltype(&cublasLtMatmul) matmul = nullptr;
};

// Loads cuBLASLt once: libcublasLt.so.<major of the toolkit flopbench was built with> through
// the loader's path, then from the build's toolkit directory. nullptr when it cannot be loaded.
const CublasLtApi* cublaslt();
// Why cublaslt() is nullptr; "" when it loaded.
std::string cublaslt_unavailable_reason();
// "13.0.2" for the loaded library; "" when none is loaded.
std::string cublaslt_version();

// An implementation through cuBLASLt: names the library, and reports the implementation
// unsupported, with the reason, where cuBLASLt cannot be loaded.
Implementation with_cublaslt(Implementation impl);

// A cuBLASLt handle, made with `device` current.
class CublasLtHandle {
 public:
  CublasLtHandle(const CublasLtApi& api, int device);
  ~CublasLtHandle();
  CublasLtHandle(const CublasLtHandle&) = delete;
  CublasLtHandle& operator=(const CublasLtHandle&) = delete;
  cublasLtHandle_t get() const { return handle_; }

 private:
  const CublasLtApi& api_;
  int device_;
  cublasLtHandle_t handle_ = nullptr;
};

// Owners of cuBLASLt's descriptors: made by `create`, freed by `destroy`.
template <class Handle>
class LtDescriptor {
 public:
  using Destroy = cublasStatus_t (*)(Handle);
  LtDescriptor() = default;
  LtDescriptor(Handle handle, Destroy destroy) : handle_(handle), destroy_(destroy) {}
  ~LtDescriptor() {
    if (handle_) FLOPBENCH_CUDA_CALL_NOEXCEPT(destroy_(handle_));
  }
  LtDescriptor(LtDescriptor&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)), destroy_(other.destroy_) {}
  LtDescriptor& operator=(LtDescriptor&& other) noexcept {
    std::swap(handle_, other.handle_);
    std::swap(destroy_, other.destroy_);
    return *this;
  }
  LtDescriptor(const LtDescriptor&) = delete;
  LtDescriptor& operator=(const LtDescriptor&) = delete;
  Handle get() const { return handle_; }

 private:
  Handle handle_ = nullptr;
  Destroy destroy_ = nullptr;
};

using MatmulDesc = LtDescriptor<cublasLtMatmulDesc_t>;
using MatrixLayout = LtDescriptor<cublasLtMatrixLayout_t>;
using MatmulPreference = LtDescriptor<cublasLtMatmulPreference_t>;

MatmulDesc make_matmul_desc(const CublasLtApi& api, cublasComputeType_t compute,
                            cudaDataType_t scale);
// A column-major rows x cols matrix of `type` with leading dimension ld.
MatrixLayout make_layout(const CublasLtApi& api, cudaDataType_t type, std::int64_t rows,
                         std::int64_t cols, std::int64_t ld);
MatmulPreference make_preference(const CublasLtApi& api);

// Sets a descriptor attribute from a value of the type cublasLt.h documents for it; a refusal
// names the attribute by its cublasLt.h enum value.
template <class T>
void set_attribute(const CublasLtApi& api, cublasLtMatmulDesc_t desc,
                   cublasLtMatmulDescAttributes_t attribute, const T& value) {
  with_error_context(
      [&] { FLOPBENCH_CUDA_CALL(api.desc_set(desc, attribute, &value, sizeof(value))); },
      [&] {
        return fmt::format("matmul descriptor attribute {} ({} bytes)", static_cast<int>(attribute),
                           sizeof(value));
      });
}
template <class T>
void set_attribute(const CublasLtApi& api, cublasLtMatmulPreference_t preference,
                   cublasLtMatmulPreferenceAttributes_t attribute, const T& value) {
  with_error_context(
      [&] {
        FLOPBENCH_CUDA_CALL(api.preference_set(preference, attribute, &value, sizeof(value)));
      },
      [&] {
        return fmt::format("matmul preference attribute {} ({} bytes)", static_cast<int>(attribute),
                           sizeof(value));
      });
}

}  // namespace flopbench::cuda
