#pragma once

// Judging a results document against a spec: one verdict per criterion and GPU, plus the
// built-in criteria (docs/acceptance.md).

#include <optional>
#include <string>
#include <vector>

#include "harness/core/results.hpp"
#include "reports/acceptance/metric.hpp"
#include "reports/acceptance/spec.hpp"

namespace flopbench {

// What a measured-rate metric reads on one device.
struct Reading {
  std::optional<double> value;
  const MeasurementRecord* record = nullptr;
  std::string why_not;  // when there is no value
};

// The value of `m` on `device`, from the measurement it names: the largest problem's best
// passed one.
Reading read_metric(const ResultsDocument& doc, const Metric& m, const DeviceRef& device);

// The failed `spec.applies` verdict of a machine the spec is not for, saying why.
CriterionVerdict spec_not_for_machine(std::string reason, std::string description);

// Judges `doc` against `spec`, adding the built-in criteria (docs/acceptance.md): every
// measurement verified, no throttling, no GPU far behind its siblings. A spec of no rows (a
// fleet's node that the spec asks nothing of) is judged by the built-in criteria alone.
// A criterion that a contended measurement misses warns instead of failing, saying so.
AcceptanceResult judge(const Spec& spec, const ResultsDocument& doc, const std::string& spec_label,
                       const std::string& checked_utc);

// The measurements (indices into doc.measurements) that a criterion missed while they were
// contended and that were measured only once: `check` measures these again, once, before its
// verdict, as a fleet's node health checks retry a failed probe before condemning the node.
std::vector<std::size_t> contended_misses(const Spec& spec, const ResultsDocument& doc);

}  // namespace flopbench
