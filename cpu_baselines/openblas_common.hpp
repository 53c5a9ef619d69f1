#pragma once

// OpenBLAS is optional: without it its implementations are registered as unsupported, so runs
// say why instead of leaving the comparison line out.

#include <fmt/format.h>
#include <omp.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "harness/core/registry.hpp"

#if FLOPBENCH_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace flopbench {

inline ImplementationSpec openblas_spec(std::string description) {
  ImplementationSpec spec{.name = "openblas",
                          .device = DeviceKind::cpu,
                          .description = std::move(description),
                          .library = "OpenBLAS"};
#if FLOPBENCH_HAVE_OPENBLAS
  // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ... Cooperlake": the version and the kernels chosen.
  const std::string_view config = openblas_get_config();
  spec.library_version = config.substr(config.starts_with("OpenBLAS ") ? 9 : 0);
#endif
  return spec;
}

inline const char* kNoOpenBlas =
    "flopbench was built without OpenBLAS (install libopenblas-dev and rebuild)";

#if FLOPBENCH_HAVE_OPENBLAS
// OpenBLAS runs its own thread pool: give it the thread count the rest of the run uses.
inline void use_openmp_thread_count() { openblas_set_num_threads(omp_get_max_threads()); }

// The kernels OpenBLAS runs, and whether the environment chose them: OPENBLAS_CORETYPE (which
// some images set) overrides OpenBLAS's own detection, and can hold it to half the vector width
// of the CPU (Haswell's AVX2 on an AVX-512 CPU), which its figures then reflect.
inline std::vector<std::string> openblas_notes() {
  const char* forced = std::getenv("OPENBLAS_CORETYPE");
  const std::string core = openblas_get_corename();
  if (forced != nullptr && *forced != '\0') {
    return {fmt::format("OpenBLAS kernels: {}, with OPENBLAS_CORETYPE={} set", core, forced)};
  }
  return {fmt::format("OpenBLAS kernels: {}, its own choice for this CPU", core)};
}
#endif

}  // namespace flopbench
