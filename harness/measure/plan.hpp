#pragma once

// Planning: turns what the user selected into the list of measurements to run, in report order.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/registry.hpp"
#include "harness/core/results.hpp"
#include "harness/core/sizes.hpp"
#include "harness/core/workloads.hpp"

namespace flopbench {

// What the user asked for; empty lists mean "all".
struct Selection {
  std::vector<WorkloadChoice> workloads;
  std::vector<std::string> implementations;
  std::vector<Precision> precisions;
  std::vector<SizeSpec> sizes;  // empty: the profile's sizes
  Profile profile = Profile::standard;
  std::optional<std::vector<int>> gpus;  // GPU indices; empty optional: every GPU
};

struct MeasurementRequest {
  const Implementation* implementation = nullptr;
  Precision precision = Precision::fp32;
  Problem problem;
  // The CPU, one GPU, the machine aggregate (several GPUs at once), or GPU work with no GPU to
  // run on.
  DeviceRef device;
  // Why a default size was chosen, where the device decided it (GPU sizes); recorded as a note.
  std::string size_basis;
  // GPU work timed end to end by the host (Kernel::run_end_to_end), from this host memory;
  // empty: the kernel's own time (CUDA events), or the CPU's.
  std::optional<HostMemory> end_to_end;
};

// The GPUs to run on: all of them (sel.gpus empty), or the selected ones, which must exist
// (InputError).
std::vector<int> selected_gpus(const Selection& sel, const GpuInventory& inventory);

using RequestFilter = std::function<bool(const MeasurementRequest&)>;

// Every measurement the selection asks for, in report order: for GPU implementations, one per
// selected GPU, and for gemm and peak on two or more GPUs also the machine aggregate; in a sweep,
// each GPU measurement also end to end from pinned and from pageable host memory. A precision
// selected by name also gives the implementations that lack it (where another implementation of
// the workload has it) a request, which measure() records as unsupported. Only the requests
// `keep` holds for (all without one) are planned, as `check` keeps those its spec needs. Throws
// InputError for unknown implementation names or GPU indices, selections that match nothing
// or only implementations that lack the precision, and sizes kept that do not fit in the
// available memory.
std::vector<MeasurementRequest> plan_measurements(const Selection& selection,
                                                  const Environment& env,
                                                  const RequestFilter& keep = {});

}  // namespace flopbench
