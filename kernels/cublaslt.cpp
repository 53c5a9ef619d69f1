#include "kernels/cublaslt.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <library_types.h>

#include <vector>

#include "kernels/device.hpp"

namespace flopbench::cuda {
namespace {

struct Loaded {
  CublasLtApi api;
  bool ok = false;
  std::string reason;
  std::string version;
};

template <class Fn>
bool bind(void* library, const char* symbol, Fn& fn, std::string& reason) {
  fn = reinterpret_cast<Fn>(dlsym(library, symbol));
  if (!fn) reason = fmt::format("libcublasLt has no symbol {}", symbol);
  return fn != nullptr;
}

Loaded load() {
  Loaded out;
  const std::string soname = fmt::format("libcublasLt.so.{}", CUBLAS_VER_MAJOR);
  std::vector<std::string> errors;
  void* library = nullptr;
  for (const std::string& path : {soname, std::string(FLOPBENCH_CUDA_LIBRARY_DIR) + "/" + soname}) {
    library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library) break;
    errors.emplace_back(dlerror());
  }
  if (!library) {
    out.reason = fmt::format(
        "cuBLASLt could not be loaded ({}); install the CUDA toolkit's cuBLAS (libcublasLt) "
        "or put its directory in LD_LIBRARY_PATH",
        fmt::join(errors, "; "));
    return out;
  }
  // The library stays loaded for the life of the process, as cuBLAS does (kernels/cublas.cpp).
  CublasLtApi& api = out.api;
  const bool all =
      bind(library, "cublasLtGetProperty", api.get_property, out.reason) &&
      bind(library, "cublasLtCreate", api.create, out.reason) &&
      bind(library, "cublasLtDestroy", api.destroy, out.reason) &&
      bind(library, "cublasLtMatmulDescCreate", api.desc_create, out.reason) &&
      bind(library, "cublasLtMatmulDescDestroy", api.desc_destroy, out.reason) &&
      bind(library, "cublasLtMatmulDescSetAttribute", api.desc_set, out.reason) &&
      bind(library, "cublasLtMatrixLayoutCreate", api.layout_create, out.reason) &&
      bind(library, "cublasLtMatrixLayoutDestroy", api.layout_destroy, out.reason) &&
      bind(library, "cublasLtMatmulPreferenceCreate", api.preference_create, out.reason) &&
      bind(library, "cublasLtMatmulPreferenceDestroy", api.preference_destroy, out.reason) &&
      bind(library, "cublasLtMatmulPreferenceSetAttribute", api.preference_set, out.reason) &&
      bind(library, "cublasLtMatmulAlgoGetHeuristic", api.heuristic, out.reason) &&
      bind(library, "cublasLtMatmulAlgoConfigGetAttribute", api.algo_config_get, out.reason) &&
      bind(library, "cublasLtMatmul", api.matmul, out.reason);
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

const CublasLtApi* cublaslt() { return loaded().ok ? &loaded().api : nullptr; }
std::string cublaslt_unavailable_reason() { return loaded().ok ? "" : loaded().reason; }
std::string cublaslt_version() { return loaded().ok ? loaded().version : ""; }

Implementation with_cublaslt(Implementation impl) {
  impl.spec.library = "cuBLASLt";
  impl.unavailable_reason = [](Precision) { return cublaslt_unavailable_reason(); };
  return impl;
}

CublasLtHandle::CublasLtHandle(const CublasLtApi& api, int device) : api_(api), device_(device) {
  use_device(device);
  FLOPBENCH_CUDA_CALL(api_.create(&handle_));
}

CublasLtHandle::~CublasLtHandle() {
  FLOPBENCH_CUDA_CALL_NOEXCEPT(cudaSetDevice(device_));
  FLOPBENCH_CUDA_CALL_NOEXCEPT(api_.destroy(handle_));
}

MatmulDesc make_matmul_desc(const CublasLtApi& api, cublasComputeType_t compute,
                            cudaDataType_t scale) {
  cublasLtMatmulDesc_t desc = nullptr;
  FLOPBENCH_CUDA_CALL(api.desc_create(&desc, compute, scale));
  return {desc, api.desc_destroy};
}

MatrixLayout make_layout(const CublasLtApi& api, cudaDataType_t type, std::int64_t rows,
                         std::int64_t cols, std::int64_t ld) {
  cublasLtMatrixLayout_t layout = nullptr;
  FLOPBENCH_CUDA_CALL(api.layout_create(&layout, type, static_cast<std::uint64_t>(rows),
                                        static_cast<std::uint64_t>(cols), ld));
  return {layout, api.layout_destroy};
}

MatmulPreference make_preference(const CublasLtApi& api) {
  cublasLtMatmulPreference_t preference = nullptr;
  FLOPBENCH_CUDA_CALL(api.preference_create(&preference));
  return {preference, api.preference_destroy};
}

}  // namespace flopbench::cuda
