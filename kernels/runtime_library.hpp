#pragma once

// What the loaders of the CUDA libraries flopbench loads at run time with dlopen share (cuBLAS,
// kernels/cublas.hpp; cuBLASLt, kernels/cublaslt.hpp): finding the library, binding its entry
// points, and reading its version.

#include <dlfcn.h>
#include <fmt/format.h>
#include <library_types.h>

#include <string>
#include <string_view>
#include <vector>

namespace flopbench::cuda {

// A library's entry points once loaded, with its version, or why it could not be loaded.
template <class Api>
struct LoadedLibrary {
  Api api;
  bool ok = false;
  std::string reason;
  std::string version;
};

// Opens `soname` ("libcublas.so.13") through the loader's path, which includes the executable's
// RUNPATH, then from the build's toolkit directory. The library stays loaded for the life of the
// process: handles may outlive any owner here. nullptr, with why in `reason`, when it cannot be
// found; `install` says what to install.
inline void* open_cuda_library(const std::string& soname, std::string_view display,
                               std::string_view install, std::string& reason) {
  std::vector<std::string> errors;
  for (const std::string& path : {soname, std::string(FLOPBENCH_CUDA_LIBRARY_DIR) + "/" + soname}) {
    if (void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) return library;
    errors.emplace_back(dlerror());
  }
  reason = fmt::format(
      "{} could not be loaded ({}); install {} or put its directory in "
      "LD_LIBRARY_PATH",
      display, fmt::join(errors, "; "), install);
  return nullptr;
}

// Binds `fn` to `symbol` of `library`; false, with why in `reason`, when the library lacks it.
template <class Fn>
bool bind_symbol(void* library, std::string_view library_name, const char* symbol, Fn& fn,
                 std::string& reason) {
  fn = reinterpret_cast<Fn>(dlsym(library, symbol));
  if (!fn) reason = fmt::format("{} has no symbol {}", library_name, symbol);
  return fn != nullptr;
}

// "13.1.0" from a library's GetProperty entry point; "" when it cannot say.
template <class GetProperty>
std::string library_version(GetProperty get_property) {
  int major = 0, minor = 0, patch = 0;
  if (get_property(MAJOR_VERSION, &major) != 0 || get_property(MINOR_VERSION, &minor) != 0 ||
      get_property(PATCH_LEVEL, &patch) != 0) {
    return "";
  }
  return fmt::format("{}.{}.{}", major, minor, patch);
}

}  // namespace flopbench::cuda
