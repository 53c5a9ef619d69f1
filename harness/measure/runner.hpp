#pragma once

// The runner: turns a selection into a plan of measurements and runs each one — untimed setup,
// a first run that warms up and is verified, then samples taken with Google Benchmark's run
// loop until the stopping rule holds. Measurement problems become dispositions, never aborts.

#include <functional>
#include <string>
#include <vector>

#include "harness/core/registry.hpp"
#include "harness/core/results.hpp"
#include "harness/core/sizes.hpp"
#include "harness/core/statistics.hpp"
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

// Parses a --gpus value: "all", or comma-separated indices ("0,2"). InputError on bad text.
std::optional<std::vector<int>> parse_gpus(std::string_view text);

// Parses a --workloads value ("gemm,sum", "sgemm"); InputError on unknown names.
std::vector<WorkloadChoice> parse_workloads(std::string_view comma_separated);

struct MeasurementRequest {
  const Implementation* implementation = nullptr;
  Precision precision = Precision::fp32;
  Problem problem;
  // The CPU, one GPU, the machine aggregate (several GPUs at once), or GPU work with no GPU to
  // run on.
  DeviceRef device;
};

// Every measurement the selection asks for, in report order: for GPU implementations, one per
// selected GPU, and for gemm and peak on two or more GPUs also the machine aggregate. Throws
// InputError for unknown implementation names or GPU indices, selections that match nothing,
// and explicit sizes that do not fit in the available memory.
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

class TelemetrySource;
// The GPU telemetry source that measurements read, opened on first use: NVML, else nvidia-smi.
// nullptr, with the reason in *why_not, when neither can be used.
TelemetrySource* gpu_telemetry(std::string* why_not = nullptr);

// "throttled: gpu0 sw_power_cap (after)" when a telemetry reading of a record shows a reason
// that lowers the clocks of a busy GPU; "" otherwise. measure() adds it to the record's notes,
// where the acceptance check's throttle criterion reads it.
std::string throttle_note(const MeasurementRecord& r);

// Ctrl-C (SIGINT) and SIGTERM: the first one asks the run to stop after the current kernel
// run, keeping what was measured; a second one ends the process at once.
void install_interrupt_handler();
bool interrupt_requested();

// Memory this process may still allocate (MemAvailable), or 0 when unknown.
std::int64_t available_memory_bytes();

}  // namespace flopbench
