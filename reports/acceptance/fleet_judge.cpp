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

// What the specs of a host's results ask of each kind of results: by kind and spec file, the
// rows that apply to the host, the strictest of their severities, and the result whose spec asked
// first, which fails (or warns) where the host has no result of that kind.
struct Asked {
  std::size_t asker = 0;  // index into fleet.nodes
  std::set<int> lines;
  Severity severity = Severity::warn;
};
struct HostKinds {
  std::set<std::string_view> merged;
  std::map<std::pair<std::string_view, std::string>, Asked> asked;
};

}  // namespace

void judge_fleet(FleetRecord& fleet,
                 const std::function<SpecChoice(const ResultsDocument&)>& spec_of,
                 const std::string& fleet_spec_label, const std::string& checked_utc) {
  const FleetAnalysis a = analyse_fleet(fleet);
  // Each reporting node's spec, and what the specs of each host's results ask of it.
  std::vector<std::optional<SpecChoice>> choices(fleet.nodes.size());
  std::map<std::string, HostKinds> hosts;  // by host_key
  for (std::size_t i = 0; i < fleet.nodes.size(); ++i) {
    FleetNode& n = fleet.nodes[i];
    if (!n.reporting()) continue;
    try {
      choices[i] = spec_of(*n.results);
    } catch (const NoSpecForMachine& e) {
      // `auto` ships no spec for this node's GPU: it fails, the others are judged.
      n.results->acceptance = no_spec_verdict(fleet_spec_label, checked_utc, e.what());
    }
    if (n.host.empty()) continue;  // a result of no known host: no host's other results
    HostKinds& host = hosts[host_key(n.host)];
    host.merged.insert(n.results->run.kind());
    if (!choices[i]) continue;
    for (const Criterion& c : choices[i]->spec.criteria) {
      if (c.metric.results_kind.empty() || !row_applies(c, *n.results)) continue;
      Asked& asked =
          host.asked.try_emplace({c.metric.results_kind, choices[i]->spec.file}, Asked{i})
              .first->second;
      asked.lines.insert(c.line);
      if (c.severity == Severity::fail) asked.severity = Severity::fail;
    }
  }
  // Where a host has no result of a kind its spec has rows for, the result whose spec asked says
  // so, by a built-in criterion of its verdict.
  struct MissingKind {
    std::string text;
    CriterionVerdict verdict;
  };
  std::vector<std::vector<MissingKind>> kinds_missing(fleet.nodes.size());
  for (const auto& [key, host] : hosts) {
    for (const auto& [kind_and_spec, asked] : host.asked) {
      const auto& [kind, spec_file] = kind_and_spec;
      if (host.merged.contains(kind)) continue;
      const std::size_t rows = asked.lines.size();
      std::string text = fmt::format(
          "{} has {} for a {} ({}line {}), and no {} of the host is among the results merged",
          spec_file, counted(double(rows), "row"), kind_name(kind), rows > 1 ? "the first on " : "",
          *asked.lines.begin(), kind_name(kind));
      CriterionVerdict verdict =
          equals(fmt::format("fleet.{}_merged", kind), 0, 1, "1", asked.severity,
                 fmt::format("built-in: the host has a {} among the results merged, as its spec "
                             "has rows for one",
                             kind_name(kind)),
                 {text});
      kinds_missing[asked.asker].push_back({std::move(text), std::move(verdict)});
    }
  }

  std::vector<std::string> failed;
  for (std::size_t i = 0; i < fleet.nodes.size(); ++i) {
    FleetNode& n = fleet.nodes[i];
    if (n.reporting()) {
      if (const auto& choice = choices[i]) {
        n.results->acceptance =
            judge(choice->spec, *n.results, choice->label, checked_utc, RowsJudged::of_its_kind);
      }
      AcceptanceResult& verdict = *n.results->acceptance;
      std::vector<std::string> why;
      if (!verdict.passed) why.push_back("its check failed");
      for (MissingKind& missing : kinds_missing[i]) {
        if (missing.verdict.verdict == Verdict::fail) {
          why.push_back(std::move(missing.text));
          verdict.passed = false;
        }
        verdict.criteria.push_back(std::move(missing.verdict));
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
