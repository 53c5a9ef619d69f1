#include "kernels/cublaslt.hpp"

#include <fmt/format.h>

#include <vector>

#include "kernels/device.hpp"
#include "kernels/runtime_library.hpp"

namespace flopbench::cuda {
namespace {

using Loaded = LoadedLibrary<CublasLtApi>;

Loaded load() {
  Loaded out;
  void* library = open_cuda_library(fmt::format("libcublasLt.so.{}", CUBLAS_VER_MAJOR), "cuBLASLt",
                                    "the CUDA toolkit's cuBLAS (libcublasLt)", out.reason);
  if (!library) return out;
  const auto bind = [&](const char* symbol, auto& fn) {
    return bind_symbol(library, "libcublasLt", symbol, fn, out.reason);
  };
  CublasLtApi& api = out.api;
  const bool all = bind("cublasLtGetProperty", api.get_property) &&
                   bind("cublasLtCreate", api.create) && bind("cublasLtDestroy", api.destroy) &&
                   bind("cublasLtMatmulDescCreate", api.desc_create) &&
                   bind("cublasLtMatmulDescDestroy", api.desc_destroy) &&
                   bind("cublasLtMatmulDescSetAttribute", api.desc_set) &&
                   bind("cublasLtMatrixLayoutCreate", api.layout_create) &&
                   bind("cublasLtMatrixLayoutDestroy", api.layout_destroy) &&
                   bind("cublasLtMatmulPreferenceCreate", api.preference_create) &&
                   bind("cublasLtMatmulPreferenceDestroy", api.preference_destroy) &&
                   bind("cublasLtMatmulPreferenceSetAttribute", api.preference_set) &&
                   bind("cublasLtMatmulAlgoGetHeuristic", api.heuristic) &&
                   bind("cublasLtMatmulAlgoConfigGetAttribute", api.algo_config_get) &&
                   bind("cublasLtMatmul", api.matmul);
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
