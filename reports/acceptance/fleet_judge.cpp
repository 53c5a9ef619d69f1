#include "reports/acceptance/fleet_judge.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "reports/acceptance/judge.hpp"

namespace flopbench {
namespace {

// A reason names at most this many nodes; the fleet report lists every one.
constexpr std::size_t kNamedInReason = 10;

std::string named(const std::vector<std::string>& which) {
  if (which.size() <= kNamedInReason) return fmt::format("{}", fmt::join(which, "; "));
  return fmt::format("{}; and {} more (fleet.md lists each)",
                     fmt::join(which.begin(), which.begin() + kNamedInReason, "; "),
                     which.size() - kNamedInReason);
}

// A fleet criterion: `measured == bound`.
CriterionVerdict equals(std::string metric, double measured, double bound, std::string bound_text,
                        Severity severity, std::string description,
                        const std::vector<std::string>& which) {
  CriterionVerdict v;
  v.metric = std::move(metric);
  v.comparator = "==";
  v.bound_text = std::move(bound_text);
  v.measured = measured;
  v.bound = bound;
  v.severity = severity;
  v.description = std::move(description);
  const bool ok = measured == bound;
  v.verdict = ok ? Verdict::pass : severity == Severity::fail ? Verdict::fail : Verdict::warn;
  if (!ok) {
    v.reason = which.empty() ? "not equal to the bound"
                             : fmt::format("not equal to the bound: {}", named(which));
  }
  return v;
}

// "cpu cpu.sgemm.omp 256x256x256 -30.0%": where an outlier is, and how far from the median.
std::string outlier_text(const Outlier& o) {
  return fmt::format("{} {} {:+.1f}%", o.device.label(), o.metric->name, o.deviation_percent);
}

// A node's verdict when no spec could be chosen for it: one failed criterion, saying why.
AcceptanceResult no_spec_verdict(const std::string& spec_label, const std::string& checked_utc,
                                 std::string why) {
  AcceptanceResult result;
  result.spec = spec_label;
  result.checked_utc = checked_utc;
  result.criteria.push_back(spec_not_for_machine(std::move(why), "a spec for this node"));
  result.passed = false;
  return result;
}

// The spec's rows that results of `kind` (RunInfo::kind) answer: those read from results of that
// kind, and the machine's facts, which results of every kind record. A host's run is judged on
// the rate rows, its burn-in on the burn.* rows, and neither fails the other's.
Spec rows_for(const Spec& spec, std::string_view kind) {
  Spec rows = spec;
  std::erase_if(rows.criteria, [&](const Criterion& c) {
    const std::string_view of = c.metric.results_kind();
    return !of.empty() && of != kind;
  });
  return rows;
}

// What a host's spec asks of each kind of results, and which kinds the host's merged results are.
struct HostKinds {
  const FleetNode* first = nullptr;  // the host's first reporting node: a missing kind fails it
  std::set<std::string_view> merged;
  struct Asked {
    std::string spec;     // the first spec's label (`--spec auto` may choose one per node)
    std::set<int> lines;  // the rows' lines
  };
  std::map<std::string_view, Asked> asked;  // by kind
};

}  // namespace

void judge_fleet(FleetRecord& fleet,
                 const std::function<SpecChoice(const ResultsDocument&)>& spec_of,
                 const std::string& fleet_spec_label, const std::string& checked_utc) {
  const FleetAnalysis a = analyse_fleet(fleet);
  // Each reporting node's spec, and what the specs of each host's nodes ask of it.
  std::map<const FleetNode*, std::optional<SpecChoice>> spec_choices;
  std::map<std::string, HostKinds> hosts;  // by host_key; a host-less result by its input
  const auto host_of = [&](const FleetNode& n) -> HostKinds& {
    return hosts[n.host.empty() ? n.source : host_key(n.host)];
  };
  for (auto& n : fleet.nodes) {
    if (!n.reporting()) continue;
    HostKinds& host = host_of(n);
    if (!host.first) host.first = &n;
    host.merged.insert(n.results->run.kind());
    std::optional<SpecChoice>& choice = spec_choices[&n];
    try {
      choice = spec_of(*n.results);
    } catch (const NoSpecForMachine& e) {
      // `auto` ships no spec for this node's GPU: it fails, the others are judged.
      n.results->acceptance = no_spec_verdict(fleet_spec_label, checked_utc, e.what());
      continue;
    }
    for (const Criterion& c : choice->spec.criteria) {
      if (c.metric.results_kind().empty()) continue;
      auto& asked = host.asked[c.metric.results_kind()];
      if (asked.lines.empty()) asked.spec = choice->label;
      asked.lines.insert(c.line);
    }
  }

  std::vector<std::string> failed;
  for (auto& n : fleet.nodes) {
    if (n.reporting()) {
      if (const auto& choice = spec_choices[&n]) {
        n.results->acceptance = judge(rows_for(choice->spec, n.results->run.kind()), *n.results,
                                      choice->label, checked_utc);
      }
      AcceptanceResult& verdict = *n.results->acceptance;
      std::vector<std::string> why;
      if (!verdict.passed) why.push_back("its check failed");
      // A host without results of a kind its spec has rows for (a burn-in's, say) fails: its
      // first node says so, as a failed criterion of its verdict.
      if (const HostKinds& host = host_of(n); host.first == &n) {
        std::vector<std::string> missing;
        for (const auto& [kind, asked] : host.asked) {
          if (host.merged.contains(kind)) continue;
          missing.push_back(
              fmt::format("no {} of the host was merged, and {} has {} for one ({}line {})",
                          kind_name(kind), asked.spec, counted(double(asked.lines.size()), "row"),
                          asked.lines.size() > 1 ? "the first on " : "", *asked.lines.begin()));
        }
        if (!missing.empty()) {
          why.insert(why.end(), missing.begin(), missing.end());
          verdict.criteria.push_back(equals(
              "fleet.results_missing", double(missing.size()), 0, "0", Severity::fail,
              "built-in: the host's results include every kind that its spec has rows for (a "
              "run, a burn-in, a memory test)",
              missing));
          verdict.passed = false;
        }
      }
      // A burn-in or memory test that did not pass fails its node whatever its spec asked, as it
      // fails the merge: a spec without `memtest.failed`, say, would pass a GPU whose ECC
      // counts rose. It is a failed criterion of the node's own verdict, so that its Check column
      // and JUnit testsuite say FAIL too. Every problem is named: "interrupted" alone would hide
      // the bad words after it.
      std::vector<std::string> problems;
      for (const std::string_view test : {kBurnIn, kMemoryTest}) {
        if (const auto of_test = a.stress_problems_of(n, test); !of_test.empty()) {
          why.push_back(fmt::format("its {} did not pass: {}", test, fmt::join(of_test, "; ")));
          for (const std::string& p : of_test) problems.push_back(fmt::format("{}: {}", test, p));
        }
      }
      if (!problems.empty()) {
        verdict.criteria.push_back(equals(
            "fleet.stress_problems", double(problems.size()), 0, "0", Severity::fail,
            "built-in: the node's burn-in and memory test, where it ran them, passed", problems));
        verdict.passed = false;
      }
      // Likewise a node the fleet's outlier rules single out: its own Check column and JUnit
      // testsuite say FAIL, and say where.
      std::vector<std::string> its_outliers;
      for (const auto& o : a.outliers) {
        if (o.node == &n) its_outliers.push_back(outlier_text(o));
      }
      if (!its_outliers.empty()) {
        why.push_back(fmt::format("an outlier of the fleet: {}", fmt::join(its_outliers, "; ")));
        verdict.criteria.push_back(equals(
            "fleet.outliers", double(its_outliers.size()), 0, "0", Severity::fail,
            fmt::format("built-in: no device of the node an outlier of the fleet (threshold {:g}%)",
                        fleet.threshold_percent),
            its_outliers));
        verdict.passed = false;
      }
      if (!why.empty())
        failed.push_back(fmt::format("{} ({})", node_label(n), fmt::join(why, "; ")));
    } else if (n.superseded.empty()) {
      failed.push_back(fmt::format("{} ({})", node_label(n), n.problem));
    }
  }

  // Without --expect-hosts, every node given to merge: each host once, each unreadable input
  // (not a missing rank that a rerun stands in for).
  std::set<std::string> given;
  for (const auto& n : fleet.nodes) {
    if (n.host.empty() && !n.superseded.empty()) continue;  // a missing rank stood in for
    given.insert(n.host.empty() ? n.source : host_key(n.host));
  }
  const int expected = fleet.expected_nodes.value_or(int(given.size()));
  std::vector<std::string> outliers;
  for (const auto& o : a.outliers) {
    outliers.push_back(fmt::format("{} {}", node_label(*o.node), outlier_text(o)));
  }

  AcceptanceResult result;
  result.spec = fleet_spec_label;
  result.checked_utc = checked_utc;
  result.criteria = {
      equals("fleet.nodes_reporting", a.nodes_reporting, expected,
             fleet.expected_nodes ? "expected" : "nodes given", Severity::fail,
             "built-in: every expected node reported results", a.missing_hosts),
      equals("fleet.nodes_failed", double(failed.size()), 0, "0", Severity::fail,
             "built-in: every node reported, passed its check and any stress test it ran, and was "
             "no outlier",
             failed),
      equals("fleet.outliers", double(a.outliers.size()), 0, "0", Severity::fail,
             fmt::format("built-in: no node or GPU an outlier of the fleet (threshold {:g}%)",
                         fleet.threshold_percent),
             outliers),
      equals("fleet.versions", double(a.versions.size()), 1, "1", Severity::warn,
             "built-in: every node ran the same flopbench", a.versions),
  };
  result.passed = std::none_of(result.criteria.begin(), result.criteria.end(),
                               [](const auto& v) { return v.verdict == Verdict::fail; });
  fleet.acceptance = std::move(result);
}

}  // namespace flopbench
