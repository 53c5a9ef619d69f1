#include "kernels/cublas.hpp"

#include <fmt/format.h>

#include <vector>

#include "kernels/cuda_check.hpp"
#include "kernels/device.hpp"
#include "kernels/runtime_library.hpp"

namespace flopbench::cuda {
namespace {

using Loaded = LoadedLibrary<CublasApi>;

Loaded load() {
  Loaded out;
  void* library = open_cuda_library(fmt::format("libcublas.so.{}", CUBLAS_VER_MAJOR), "cuBLAS",
                                    "the CUDA toolkit's cuBLAS", out.reason);
  if (!library) return out;
  const auto bind = [&](const char* symbol, auto& fn) {
    return bind_symbol(library, "libcublas", symbol, fn, out.reason);
  };
  CublasApi& api = out.api;
  const bool all = bind("cublasGetProperty", api.get_property) &&
                   bind("cublasCreate_v2", api.create) && bind("cublasDestroy_v2", api.destroy) &&
                   bind("cublasSetStream_v2", api.set_stream) &&
                   bind("cublasSetPointerMode_v2", api.set_pointer_mode) &&
                   bind("cublasSetMathMode", api.set_math_mode) &&
                   bind("cublasGetMathMode", api.get_math_mode) &&
                   bind("cublasSgemm_v2_64", api.sgemm) && bind("cublasDgemm_v2_64", api.dgemm) &&
                   bind("cublasSdot_v2_64", api.sdot) && bind("cublasDdot_v2_64", api.ddot);
  if (!all) return out;
  out.version = library_version(api.get_property);
  out.ok = true;
  return out;
}

const Loaded& loaded() {
  static const Loaded instance = load();
  return instance;
}

}  // namespace

const CublasApi* cublas() { return loaded().ok ? &loaded().api : nullptr; }
std::string cublas_unavailable_reason() { return loaded().ok ? "" : loaded().reason; }
std::string cublas_version() { return loaded().ok ? loaded().version : ""; }

Implementation with_cublas(Implementation impl) {
  impl.spec.library = "cuBLAS";
  impl.unavailable_reason = [](Precision) { return cublas_unavailable_reason(); };
  return impl;
}

CublasHandle::CublasHandle(const CublasApi& api, int device, cudaStream_t stream)
    : api_(api), device_(device) {
  use_device(device);
  FLOPBENCH_CUDA_CALL(api_.create(&handle_));
  try {
    FLOPBENCH_CUDA_CALL(api_.set_stream(handle_, stream));
  } catch (...) {
    FLOPBENCH_CUDA_CALL_NOEXCEPT(api_.destroy(handle_));
    throw;
  }
}

CublasHandle::~CublasHandle() {
  FLOPBENCH_CUDA_CALL_NOEXCEPT(cudaSetDevice(device_));
  FLOPBENCH_CUDA_CALL_NOEXCEPT(api_.destroy(handle_));
}

std::string math_mode_name(cublasMath_t mode) {
  // The low bits name the mode; the flag above them forbids reduced-precision reductions.
  const int base = static_cast<int>(mode) & 0xf;
  const char* name = "unknown";
  switch (base) {
    case CUBLAS_DEFAULT_MATH:
      name = "CUBLAS_DEFAULT_MATH";
      break;
    case CUBLAS_TENSOR_OP_MATH:
      name = "CUBLAS_TENSOR_OP_MATH";
      break;
    case CUBLAS_PEDANTIC_MATH:
      name = "CUBLAS_PEDANTIC_MATH";
      break;
    case CUBLAS_TF32_TENSOR_OP_MATH:
      name = "CUBLAS_TF32_TENSOR_OP_MATH";
      break;
    case CUBLAS_FP32_EMULATED_BF16X9_MATH:
      name = "CUBLAS_FP32_EMULATED_BF16X9_MATH";
      break;
    case CUBLAS_FP64_EMULATED_FIXEDPOINT_MATH:
      name = "CUBLAS_FP64_EMULATED_FIXEDPOINT_MATH";
      break;
    default:
      break;
  }
  return base == static_cast<int>(mode)
             ? std::string(name)
             : fmt::format("{} with flags 0x{:x}", name, static_cast<int>(mode) & ~0xf);
}

}  // namespace flopbench::cuda
