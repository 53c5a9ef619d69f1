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

}  // namespace flopbench
