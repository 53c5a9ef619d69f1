#pragma once

// cuBLAS, loaded at run time with dlopen rather than linked: it is over 500 MB and belongs to the
// machine's CUDA installation, so a machine without it still runs everything else, and its
// implementations say why they cannot run (README, "Packages").

#include <cublas_api.h>

#include <string>

#include "harness/core/registry.hpp"

namespace flopbench::cuda {

// The entry points flopbench uses, with the signatures of the cublas_api.h it was built with.
struct CublasApi {
  decltype(&cublasGetProperty) get_property = nullptr;
  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasDestroy_v2) destroy = nullptr;
  decltype(&cublasSetStream_v2) set_stream = nullptr;
  decltype(&cublasSetPointerMode_v2) set_pointer_mode = nullptr;
  decltype(&cublasSetMathMode) set_math_mode = nullptr;
  decltype(&cublasGetMathMode) get_math_mode = nullptr;
  decltype(&cublasSgemm_v2_64) sgemm = nullptr;
  decltype(&cublasDgemm_v2_64) dgemm = nullptr;
  decltype(&cublasSdot_v2_64) sdot = nullptr;
  decltype(&cublasDdot_v2_64) ddot = nullptr;
};

// Loads cuBLAS once: libcublas.so.<major of the toolkit flopbench was built with> through the
// loader's path (which includes the executable's RUNPATH), then from the build's toolkit
// directory. nullptr when it cannot be loaded.
const CublasApi* cublas();
// Why cublas() is nullptr; "" when it loaded.
std::string cublas_unavailable_reason();
// "13.0.2" for the loaded library; "" when none is loaded.
std::string cublas_version();

// An implementation through cuBLAS: names the library, and reports the implementation
// unsupported, with the reason, where cuBLAS cannot be loaded.
Implementation with_cublas(Implementation impl);

// A cuBLAS handle on `device`, issuing its work on `stream`.
class CublasHandle {
 public:
  CublasHandle(const CublasApi& api, int device, cudaStream_t stream);
  ~CublasHandle();
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  cublasHandle_t get() const { return handle_; }

 private:
  const CublasApi& api_;
  int device_;
  cublasHandle_t handle_ = nullptr;
};

// The math mode a handle runs in, by its cublas_api.h name ("CUBLAS_DEFAULT_MATH", ...).
std::string math_mode_name(cublasMath_t mode);

}  // namespace flopbench::cuda
