#pragma once

// One error check for every CUDA runtime and cuBLAS call, usable from .cpp and .cu files:
//   FLOPBENCH_CUDA_CALL(cudaMalloc(&p, bytes));          throws flopbench::CudaError
//   FLOPBENCH_CUDA_CALL(cublas.sgemm(handle, ...));      the same, for a cublasStatus_t
//   FLOPBENCH_CUDA_CALL_NOEXCEPT(cudaFree(p));           destructors only: logs to stderr
// Kernel launches are checked with FLOPBENCH_CUDA_CALL(cudaGetLastError()) right after the launch.

#include <cublas_api.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "harness/core/kernel.hpp"

namespace flopbench {

namespace detail {

// The errors after which "any further CUDA work will return the same error" (driver_types.h):
// the context of the current device is lost until the process ends.
constexpr bool loses_context(cudaError_t code) {
  switch (code) {
    case cudaErrorECCUncorrectable:
    case cudaErrorNvlinkUncorrectable:
    case cudaErrorContained:
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchTimeout:
    case cudaErrorAssert:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorLaunchFailure:
    case cudaErrorTensorMemoryLeak:
    case cudaErrorExternalDevice:
    case cudaErrorMpsClientTerminated:
      return true;
    default:
      return false;
  }
}

// The device current on this thread, which a lost context belongs to; -1 if unknown.
inline int device_of_lost_context(cudaError_t code) {
  int device = -1;
  if (!loses_context(code) || cudaGetDevice(&device) != cudaSuccess) return -1;
  return device;
}

}  // namespace detail

class CudaError : public GpuError {
 public:
  // code is cudaSuccess when the failing call was a cuBLAS one.
  CudaError(cudaError_t code, const std::string& message)
      : GpuError(message, detail::loses_context(code), detail::device_of_lost_context(code)),
        code_(code) {}
  cudaError_t code() const noexcept { return code_; }

 private:
  cudaError_t code_;
};

namespace detail {

// cuBLAS has cublasGetStatusString, but cuBLAS is loaded at run time (kernels/cublas.hpp) and
// may be what failed to load; the names are those of cublas_api.h.
inline const char* cublas_status_name(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR:
      return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR:
      return "CUBLAS_STATUS_LICENSE_ERROR";
  }
  return "unknown cuBLAS status";
}

inline std::string describe(cudaError_t code) {
  return std::string(cudaGetErrorName(code)) + ": " + cudaGetErrorString(code);
}
inline std::string describe(cublasStatus_t status) {
  return std::string(cublas_status_name(status)) + " (" + std::to_string(static_cast<int>(status)) +
         ")";
}

// "kernels/gemm.cu:42: cudaMalloc(&p, bytes) failed: cudaErrorMemoryAllocation: out of memory"
template <class Status>
std::string call_error_message(Status status, const char* expression, const char* file, int line) {
  return std::string(file) + ":" + std::to_string(line) + ": " + expression +
         " failed: " + describe(status);
}

// A failing call also leaves its error as the runtime's "last error"; clearing it keeps a later
// launch check (cudaGetLastError) from reporting this failure a second time. Sticky errors
// (a faulted context) stay whatever is done here.
inline void check_call(cudaError_t code, const char* expression, const char* file, int line) {
  if (code == cudaSuccess) return;
  static_cast<void>(cudaGetLastError());
  throw CudaError(code, call_error_message(code, expression, file, line));
}
// A library call that fails after a fault (CUBLAS_STATUS_EXECUTION_FAILED, say) may be the first
// to see that the context is lost. cuBLAS and cuBLASLt carry a CUDA runtime of their own, so
// this runtime's last error does not know; a synchronise asks the context itself, and a lost
// one answers with its sticky error (on this error path the wait costs nothing that matters).
inline void check_call(cublasStatus_t status, const char* expression, const char* file, int line) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  const cudaError_t sticky = cudaDeviceSynchronize();
  static_cast<void>(cudaGetLastError());
  if (loses_context(sticky)) {
    throw CudaError(sticky,
                    call_error_message(status, expression, file, line) + "; " + describe(sticky));
  }
  throw CudaError(cudaSuccess, call_error_message(status, expression, file, line));
}

// A lost context fails every cleanup call after it (a memory test frees some hundred buffers):
// only the first such failure of each GPU is logged (cleanup runs on the GPU it frees).
inline void log_call_error(cudaError_t code, const char* expression, const char* file,
                           int line) noexcept {
  if (code == cudaSuccess) return;
  static_cast<void>(cudaGetLastError());
  // One flag per GPU, GPUs beyond sharing the one before last; the last for an unknown GPU.
  constexpr int kFlags = 64;
  static std::array<std::atomic<bool>, kFlags> lost_context_logged{};
  int device = -1;
  if (cudaGetDevice(&device) != cudaSuccess) device = -1;
  const bool lost = loses_context(code);
  const auto slot =
      static_cast<std::size_t>(device < 0 ? kFlags - 1 : std::min(device, kFlags - 2));
  if (lost && lost_context_logged[slot].exchange(true)) return;
  const std::string on = device >= 0 ? " on gpu" + std::to_string(device) : "";
  std::fprintf(stderr, "flopbench: CUDA error during cleanup%s (ignored%s): %s\n", on.c_str(),
               lost ? "; later ones of its lost context are not shown" : "",
               call_error_message(code, expression, file, line).c_str());
}
inline void log_call_error(cublasStatus_t status, const char* expression, const char* file,
                           int line) noexcept {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  std::fprintf(stderr, "flopbench: cuBLAS error during cleanup (ignored): %s\n",
               call_error_message(status, expression, file, line).c_str());
}

}  // namespace detail
}  // namespace flopbench

namespace flopbench {

// Runs `call`; a CudaError it throws is thrown again with context() and ": " before its message,
// for failures whose call text alone does not say what was being done (which precision, shape,
// attribute). context() is called only on a failure, so `call` may be a hot path.
template <class Call, class Context>
decltype(auto) with_error_context(Call&& call, Context&& context) {
  try {
    return call();
  } catch (const CudaError& e) {
    throw CudaError(e.code(), context() + ": " + e.what());
  }
}

}  // namespace flopbench

// Macros because they capture the call's text, file and line.
#define FLOPBENCH_CUDA_CALL(expr) ::flopbench::detail::check_call((expr), #expr, __FILE__, __LINE__)
#define FLOPBENCH_CUDA_CALL_NOEXCEPT(expr) \
  ::flopbench::detail::log_call_error((expr), #expr, __FILE__, __LINE__)
