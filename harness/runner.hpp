#pragma once

// The runner: turns a selection into a plan of measurements and runs each one — untimed setup,
// a first run that warms up and is verified, then samples taken with Google Benchmark's run
// loop until the stopping rule holds. Measurement problems become dispositions, never aborts.

#include <functional>
#include <string>
#include <vector>

#include "harness/registry.hpp"
#include "harness/results.hpp"
#include "harness/sizes.hpp"
#include "harness/statistics.hpp"
#include "harness/workloads.hpp"

namespace flopbench {

struct WorkloadChoice {
  std::string workload;           // canonical name
  std::optional<Precision> only;  // "sgemm" / "dgemm" restrict gemm to one precision
};

// What the user asked for; empty lists mean "all".
struct Selection {
  std::vector<WorkloadChoice> workloads;
  std::vector<std::string> implementations;
  std::vector<Precision> precisions;
  std::vector<SizeSpec> sizes;  // empty: the profile's sizes
  Profile profile = Profile::standard;
};

// Parses a --workloads value ("gemm,sum", "sgemm"); InputError on unknown names.
std::vector<WorkloadChoice> parse_workloads(std::string_view comma_separated);

struct MeasurementRequest {
  const Implementation* implementation = nullptr;
  Precision precision = Precision::fp32;
  Problem problem;
  std::string device;     // "cpu", "gpu0", ...; "gpu" when there is no GPU to run on
  int device_index = -1;  // the GPU, or -1
};

// Every measurement the selection asks for, in report order. Throws InputError for unknown
// implementation names, selections that match nothing, and explicit sizes that do not fit in
// the available memory.
std::vector<MeasurementRequest> plan_measurements(const Selection& selection,
                                                  const Environment& env);

struct RunSettings {
  StoppingRule rule;
  double min_sample_s = 0.02;  // minimum time of one sample (back-to-back runs of the kernel)
  std::uint64_t seed = 0;
};
RunSettings settings_for(Profile profile, std::uint64_t seed);

// Runs one measurement end to end. Never throws for problems of the measurement itself.
MeasurementRecord measure(const MeasurementRequest& request, const RunSettings& settings,
                          const Environment& env);

// Ctrl-C (SIGINT) and SIGTERM: the first one asks the run to stop after the current kernel
// run, keeping what was measured; a second one ends the process at once.
void install_interrupt_handler();
bool interrupt_requested();

// Memory this process may still allocate (MemAvailable), or 0 when unknown.
std::int64_t available_memory_bytes();

}  // namespace flopbench
