#pragma once

// Judging a fleet (docs/fleet.md): every node against its spec, as `check` judges one run, and
// the fleet criteria over all of them.

#include <functional>
#include <string>

#include "reports/acceptance/spec.hpp"
#include "reports/fleet.hpp"

namespace flopbench {

struct SpecChoice {
  Spec spec;
  std::string label;  // recorded in the verdict: the file, or "auto: <file>"
};

// Records each reporting node's verdict in its results (judged on the spec's rows for its kind of
// results and the machine's facts, RowsJudged::of_its_kind; where the host has no result of a
// kind that the rows for its GPUs ask for, the verdict of the result whose spec asked fails, or
// warns, by fleet.<kind>_merged) and the fleet's in fleet.acceptance:
//   fleet.nodes_reporting == expected (merge's --expect-hosts, else every node given to merge),
//   fleet.nodes_failed == 0 (a node whose check failed, whose burn-in or memory test did not
//   pass, or that has a problem),
//   fleet.outliers == 0, and, as a warning, fleet.versions == 1.
// fleet.acceptance->passed holds when no fail-severity criterion of the fleet or of a node
// failed.
void judge_fleet(FleetRecord& fleet,
                 const std::function<SpecChoice(const ResultsDocument&)>& spec_of,
                 const std::string& fleet_spec_label, const std::string& checked_utc);

}  // namespace flopbench
