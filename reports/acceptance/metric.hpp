#pragma once

// The metric grammar of acceptance specs: metric names, the quantities they measure and the
// units a spec may write their values in. Every metric name is documented in docs/acceptance.md.

#include <optional>
#include <string>
#include <string_view>

#include "harness/core/results.hpp"

namespace flopbench {

enum class Quantity { gflops, tflops, gbytes_per_s, percent_of_peak, count };

// A parsed metric name: "<device>.<kernel>.<implementation>.<quantity>"
// ("gpu.sgemm.cublas.tflops", "cpu.stream_fp64.omp.gbytes_per_s"), a fact of the machine or the
// run ("gpu.count", "cpu.cores", "run.complete"), a fact of a run's measurements
// ("run.unverified", "run.throttled", "run.contended"), a burn-in's or memory test's (burn.*,
// memtest.*: burn_metrics.hpp), or a health fact: a GPU's ("gpu.ecc.uncorrected_volatile", judged
// on each GPU) or the host's ("cpu.count", "memory.gib", "numa.nodes", "pci.nvidia_gpus");
// harness/core/health.hpp lists them.
struct Metric {
  std::string name;
  // The CPU, one named GPU, or a GPU with no index: each GPU on its own. Unused by machine facts.
  DeviceRef device;
  std::optional<WorkloadId> workload;  // empty for machine facts
  Precision precision = Precision::fp32;
  std::string implementation;
  Quantity quantity = Quantity::count;
  // A health fact's name in MachineHealth ("ecc.uncorrected_volatile", "cpu.count"); "" for
  // the other metrics. The device says whose: each GPU's (gpu) or the host's (cpu).
  std::string health_fact;

  // The kind of results (RunInfo::kind) the metric is read from: a run's (its measurements), a
  // burn-in's, a memory test's; "" for what results of every kind record (gpu.count, cpu.cores,
  // run.complete, the health facts).
  std::string_view results_kind;

  bool measured_rate() const { return workload.has_value(); }
  bool health() const { return !health_fact.empty(); }
};

// Throws InputError naming what is wrong with the name (no position: callers add it).
Metric parse_metric(std::string_view name);
// The last part of a metric name that measures `q`: "tflops", "gbytes_per_s"; "" for a count.
std::string_view quantity_name(Quantity q);
// The unit measured values of a quantity are in: "TFLOP/s", "GB/s", "%", "".
std::string_view unit_of(Quantity q);

// The factor that converts a value written in `unit` to the unit of `q`; nullopt when `unit`
// is not one of `q`'s. Units are case-sensitive so that a typo cannot turn GB/s into Gb/s.
std::optional<double> scale_to(Quantity q, std::string_view unit);
// The units a value of `q` may be written in, for error messages: "GB/s or TB/s".
std::string_view expected_units(Quantity q);

}  // namespace flopbench
