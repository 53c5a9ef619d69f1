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

// Whether spec row `c` applies to the machine `doc` is from: a row for `any`, or keyed to a GPU
// model the machine has (for a rate or burn of each GPU, one of those the run was given), or
// that its health facts name where CUDA sees none.
bool row_applies(const Criterion& c, const ResultsDocument& doc);

// Which of a spec's rows judge a results document: every row (`check` of one results file: a
// burn.* row fails on a run's results), or those read from results of its kind
// (Metric::results_kind) and from results of every kind (a fleet's check, where a host's other
// results answer the rest).
enum class RowsJudged { every_row, of_its_kind };

// Judges `doc` against `spec`, adding the built-in criteria (docs/acceptance.md): the run
// finished; for a run's results (not a burn-in's or memory test's, which have no measurements),
// every measurement verified, no throttling, no GPU far behind its siblings. A criterion that a
// contended measurement misses warns instead of failing, saying so. Whether the spec is for this
// machine is judged on all of its rows, whatever `rows` judges.
AcceptanceResult judge(const Spec& spec, const ResultsDocument& doc, const std::string& spec_label,
                       const std::string& checked_utc, RowsJudged rows = RowsJudged::every_row);

// The measurements (indices into doc.measurements) that a criterion missed while they were
// contended and that were measured only once: `check` measures these again, once, before its
// verdict, as a fleet's node health checks retry a failed probe before condemning the node.
std::vector<std::size_t> contended_misses(const Spec& spec, const ResultsDocument& doc);

}  // namespace flopbench
