#include "kernels/cublas.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <library_types.h>

#include <vector>

#include "kernels/cuda_check.hpp"
#include "kernels/device.hpp"

namespace flopbench::cuda {
namespace {

struct Loaded {
  CublasApi api;
  bool ok = false;
  std::string reason;
  std::string version;
};

template <class Fn>
bool bind(void* library, const char* symbol, Fn& fn, std::string& reason) {
  fn = reinterpret_cast<Fn>(dlsym(library, symbol));
  if (!fn) reason = fmt::format("libcublas has no symbol {}", symbol);
  return fn != nullptr;
}

Loaded load() {
  Loaded out;
  const std::string soname = fmt::format("libcublas.so.{}", CUBLAS_VER_MAJOR);
  std::vector<std::string> errors;
  void* library = nullptr;
  for (const std::string& path : {soname, std::string(FLOPBENCH_CUDA_LIBRARY_DIR) + "/" + soname}) {
    library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library) break;
    errors.emplace_back(dlerror());
  }
  if (!library) {
    out.reason = fmt::format(
        "cuBLAS could not be loaded ({}); install the CUDA toolkit's cuBLAS "
        "or put its directory in LD_LIBRARY_PATH",
        fmt::join(errors, "; "));
    return out;
  }
  // The library stays loaded for the life of the process: handles may outlive any owner here.
  CublasApi& api = out.api;
  const bool all = bind(library, "cublasGetProperty", api.get_property, out.reason) &&
                   bind(library, "cublasCreate_v2", api.create, out.reason) &&
                   bind(library, "cublasDestroy_v2", api.destroy, out.reason) &&
                   bind(library, "cublasSetStream_v2", api.set_stream, out.reason) &&
                   bind(library, "cublasSetPointerMode_v2", api.set_pointer_mode, out.reason) &&
                   bind(library, "cublasSetMathMode", api.set_math_mode, out.reason) &&
                   bind(library, "cublasGetMathMode", api.get_math_mode, out.reason) &&
                   bind(library, "cublasSgemm_v2_64", api.sgemm, out.reason) &&
                   bind(library, "cublasDgemm_v2_64", api.dgemm, out.reason) &&
                   bind(library, "cublasSdot_v2_64", api.sdot, out.reason) &&
                   bind(library, "cublasDdot_v2_64", api.ddot, out.reason);
  if (!all) return out;
  int major = 0, minor = 0, patch = 0;
  if (api.get_property(MAJOR_VERSION, &major) == CUBLAS_STATUS_SUCCESS &&
      api.get_property(MINOR_VERSION, &minor) == CUBLAS_STATUS_SUCCESS &&
      api.get_property(PATCH_LEVEL, &patch) == CUBLAS_STATUS_SUCCESS) {
    out.version = fmt::format("{}.{}.{}", major, minor, patch);
  }
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
