#pragma once

// What a health-fact criterion reads (docs/acceptance.md, "Health facts"): the host's fact once,
// or a GPU's fact on each GPU the row applies to. The judge (judge.cpp) turns each reading into
// a verdict; one without a value cannot pass.

#include <optional>
#include <string>
#include <vector>

#include "harness/core/results.hpp"
#include "reports/acceptance/spec.hpp"

namespace flopbench {

struct FactReading {
  std::string metric;           // "gpu0.xid.count", "numa.nodes"
  std::optional<double> value;  // empty when unknown
  std::string unknown;          // "unknown: <why>" when there is no value
};

// The readings of `c`, a health-fact criterion (c.metric.health()); nullopt when the row applies
// to no GPU of the machine (a row keyed to other GPUs: not applied).
std::optional<std::vector<FactReading>> read_health_metric(const Criterion& c,
                                                           const ResultsDocument& doc);

// The GPUs the health facts name where CUDA sees none (a build without CUDA, a broken CUDA
// install), each with its index, name and PCI ids: a row keyed to one of them applies to the
// machine, and what it measures on a GPU is missing (not measured), never skipped. Empty where
// CUDA sees a GPU or no health facts were recorded.
std::vector<GpuDevice> gpus_only_health_names(const Environment& env);
// Who named them: "NVML" or "nvidia-smi".
std::string health_gpu_source(const MachineHealth& h);

}  // namespace flopbench
