#pragma once

// OpenBLAS is optional: without it its implementations are registered as unsupported, so runs
// say why instead of leaving the comparison line out.

#include <omp.h>

#include <string>

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
#endif

}  // namespace flopbench
