#pragma once

// One error check for every CUDA runtime call, usable from .cpp and .cu files:
//   FLOPBENCH_CUDA_CALL(cudaMalloc(&p, bytes));          throws flopbench::CudaError
//   FLOPBENCH_CUDA_CALL_NOEXCEPT(cudaFree(p));           destructors only: logs to stderr
// Kernel launches are checked with FLOPBENCH_CUDA_CALL(cudaGetLastError()).

#include <cuda_runtime_api.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace flopbench {

class CudaError : public std::runtime_error {
 public:
  CudaError(cudaError_t code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  cudaError_t code() const noexcept { return code_; }

 private:
  cudaError_t code_;
};

namespace detail {

// "kernels/gemm.cu:42: cudaMalloc(&p, bytes) failed: cudaErrorMemoryAllocation: out of memory"
inline std::string cuda_error_message(cudaError_t code, const char* expression, const char* file,
                                      int line) {
  return std::string(file) + ":" + std::to_string(line) + ": " + expression +
         " failed: " + cudaGetErrorName(code) + ": " + cudaGetErrorString(code);
}

// A failing call also leaves its error as the runtime's "last error"; clearing it keeps a later
// launch check (cudaGetLastError) from reporting this failure a second time. Sticky errors
// (a faulted context) stay whatever is done here.
[[noreturn]] inline void throw_cuda_error(cudaError_t code, const char* expression,
                                          const char* file, int line) {
  static_cast<void>(cudaGetLastError());
  throw CudaError(code, cuda_error_message(code, expression, file, line));
}

inline void log_cuda_error(cudaError_t code, const char* expression, const char* file,
                           int line) noexcept {
  static_cast<void>(cudaGetLastError());
  std::fprintf(stderr, "flopbench: CUDA error during cleanup (ignored): %s:%d: %s failed: %s: %s\n",
               file, line, expression, cudaGetErrorName(code), cudaGetErrorString(code));
}

}  // namespace detail
}  // namespace flopbench

// Macros because they capture the call's text, file and line.
#define FLOPBENCH_CUDA_CALL(expr)                                                               \
  do {                                                                                          \
    const cudaError_t flopbench_cuda_status_ = (expr);                                          \
    if (flopbench_cuda_status_ != cudaSuccess) {                                                \
      ::flopbench::detail::throw_cuda_error(flopbench_cuda_status_, #expr, __FILE__, __LINE__); \
    }                                                                                           \
  } while (false)

#define FLOPBENCH_CUDA_CALL_NOEXCEPT(expr)                                                    \
  do {                                                                                        \
    const cudaError_t flopbench_cuda_status_ = (expr);                                        \
    if (flopbench_cuda_status_ != cudaSuccess) {                                              \
      ::flopbench::detail::log_cuda_error(flopbench_cuda_status_, #expr, __FILE__, __LINE__); \
    }                                                                                         \
  } while (false)
