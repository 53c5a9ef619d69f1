#pragma once

// OpenBLAS is optional: without it its implementations are registered as unsupported, so runs
// say why instead of leaving the comparison line out.

#include <omp.h>

#include <string>

#include "harness/registry.hpp"

#if FLOPBENCH_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace flopbench {

inline ImplementationSpec openblas_spec(std::string description) {
  return {
    .name = "openblas", .device = DeviceKind::cpu, .description = std::move(description),
    .library = "OpenBLAS",
#if FLOPBENCH_HAVE_OPENBLAS
    .library_version = openblas_get_config()
#else
    .library_version = ""
#endif
  };
}

inline const char* kNoOpenBlas =
    "flopbench was built without OpenBLAS (install libopenblas-dev and rebuild)";

#if FLOPBENCH_HAVE_OPENBLAS
// OpenBLAS runs its own thread pool: give it the thread count the rest of the run uses.
inline void use_openmp_thread_count() { openblas_set_num_threads(omp_get_max_threads()); }
#endif

}  // namespace flopbench
