#pragma once

// The environment every result file records (docs/methodology.md, "Environment"): build, host, CPU
// and GPU inventory. cpu_inventory() runs the readers of probe.hpp and cpuid_caches.hpp on this
// machine and measures the clock (clock.hpp).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/results.hpp"

namespace flopbench {

// The caches of the logical CPUs `cpus` (the online or the usable ones): from sysfs
// (read_caches), else from CPUID with instances counted over `cpus`.
std::vector<CacheLevel> cpu_caches(const std::vector<int>& cpus);

CpuInventory cpu_inventory();

// Defined in kernels/gpu_inventory.cpp (CUDA build) or
// harness/machine/gpu_inventory_unavailable.cpp.
// Never throws: a CUDA failure empties devices and says why in no_device_reason.
GpuInventory gpu_inventory();

// The launch latency of an empty kernel on GPU `index` (CUDA build; nullopt in a CPU-only build).
// Throws CudaError when the GPU fails. Defined beside gpu_inventory().
std::optional<LaunchLatency> launch_latency(int index);

// The free memory of GPU `index` as its driver reports it, with this process's context there
// (created by the call where there was none): what an allocation can still have. nullopt in a
// CPU-only build. Throws CudaError when the GPU fails. Defined beside gpu_inventory().
std::optional<std::int64_t> gpu_free_memory_bytes(int index);

// Versions of the GPU libraries loaded at run time (cuBLAS), or why one could not be loaded; empty
// in a CPU-only build. Defined beside gpu_inventory().
std::map<std::string, std::string> gpu_libraries();

// This machine's host name; "" when it has none.
std::string host_name();

// The variables of `envp` (an environ-style array) that steer the threading of OpenMP (OMP_*,
// GOMP_*, KMP_*), OpenBLAS (OPENBLAS_*), MKL (MKL_*) and the hand-written kernels' vector width
// (FLOPBENCH_MAX_VECTOR_BITS), name -> value; OMP_NUM_THREADS,
// OMP_PROC_BIND, OMP_PLACES and OMP_DYNAMIC are always there, "" when unset.
std::map<std::string, std::string> threading_environment(const char* const* envp);

// Build facts, host, OS, library versions, OpenMP environment, CPU and GPU inventory.
// extra_libraries (Eigen, OpenBLAS, cuBLAS versions from the implementations) are added to the
// libraries this file knows, replacing any of the same name. A FLOPBENCH_MAX_VECTOR_BITS the
// vector kernels cannot obey (vector_shape.hpp) is an InputError, raised before anything is
// measured.
Environment collect_environment(const std::map<std::string, std::string>& extra_libraries);

}  // namespace flopbench
