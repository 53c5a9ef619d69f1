#include "reports/fleet_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <ranges>
#include <set>
#include <utility>

#include "reports/acceptance_report.hpp"
#include "reports/format.hpp"
#include "reports/html_report.hpp"
#include "reports/output_files.hpp"
#include "reports/results_json.hpp"

namespace flopbench {
namespace {

// One node's CPU or GPU, as the node tables show it.
struct UnitRow {
  const FleetNode* node;
  std::string device;  // "cpu", "gpu1", "gpu0+gpu1"; "-" for a node with nothing to compare
  int metrics = 0;
  // Deviation in percent from the median of the metric's other values, of its lowest value.
  std::optional<double> lowest;
  std::string lowest_metric;
  int outliers = 0;
};

std::vector<UnitRow> unit_rows(const FleetRecord& fleet, const FleetAnalysis& a) {
  std::map<std::pair<const FleetNode*, std::string>, UnitRow> units;
  for (const auto& m : a.metrics) {
    for (const auto& v : m.values) {
      auto& u = units.try_emplace({v.node, v.device.label()}, UnitRow{v.node, v.device.label()})
                    .first->second;
      ++u.metrics;
      // A metric only this device measured was compared with nothing.
      if (m.values.size() >= 2 && (!u.lowest || v.vs_others_percent < *u.lowest)) {
        u.lowest = v.vs_others_percent;
        u.lowest_metric = m.name;
      }
    }
  }
  for (const auto& o : a.outliers) ++units.at({o.node, o.device.label()}).outliers;
  std::vector<UnitRow> rows;
  for (const auto& n : fleet.nodes) {
    const auto first = units.lower_bound({&n, ""});
    if (first == units.end() || first->first.first != &n) {
      rows.push_back({&n, "-"});
      continue;
    }
    for (auto it = first; it != units.end() && it->first.first == &n; ++it) {
      rows.push_back(it->second);
    }
  }
  return rows;
}

// "8 incorrect measurements", "6 incorrect and 2 failed measurements", "1 failed measurement".
std::string unverified_text(const std::vector<UnverifiedMeasurement>& which) {
  const auto incorrect = std::count_if(which.begin(), which.end(), [](const auto& u) {
    return u.record->disposition == Disposition::incorrect;
  });
  const auto failed = static_cast<std::ptrdiff_t>(which.size()) - incorrect;
  const std::string_view noun = which.size() == 1 ? "measurement" : "measurements";
  if (incorrect == 0) return fmt::format("{} failed {}", failed, noun);
  if (failed == 0) return fmt::format("{} incorrect {}", incorrect, noun);
  return fmt::format("{} incorrect and {} failed {}", incorrect, failed, noun);
}

std::vector<UnverifiedMeasurement> unverified_of(const FleetAnalysis& a, const FleetNode& n) {
  std::vector<UnverifiedMeasurement> of;
  std::copy_if(a.unverified.begin(), a.unverified.end(), std::back_inserter(of),
               [&](const auto& u) { return u.node == &n; });
  return of;
}

// Why a node that reported fails the merge: its incorrect or failed measurements, a stress test
// that did not pass, a run that did not finish; empty when none of these.
std::vector<std::string> merge_failures_of(const FleetAnalysis& a, const FleetNode& n) {
  std::vector<std::string> failures;
  if (const auto unverified = unverified_of(a, n); !unverified.empty())
    failures.push_back(unverified_text(unverified));
  for (const std::string_view test : {kBurnIn, kMemoryTest}) {
    if (const auto problems = a.stress_problems_of(n, test); !problems.empty())
      failures.push_back(
          fmt::format("{} not passed: {}", test, counted(problems.size(), "problem")));
  }
  if (std::find(a.unfinished.begin(), a.unfinished.end(), &n) != a.unfinished.end())
    failures.push_back("the run did not finish");
  return failures;
}

std::string status_of(const FleetAnalysis& a, const FleetNode& n) {
  if (!n.problem.empty()) return "FAIL: " + n.problem;
  if (!n.superseded.empty()) return "superseded: " + n.superseded;
  std::string status = n.rerun ? "reported (rerun)" : "reported";
  for (const std::string& failure : merge_failures_of(a, n)) status += "; " + failure;
  return status;
}

Table stress_problems_table(const FleetAnalysis& a) {
  Table t;
  t.columns = {{"Node"}, {"Test"}, {"Problem"}};
  for (const StressProblem& p : a.stress_problems)
    t.rows.push_back({node_label(*p.node), std::string(p.test), p.problem});
  return t;
}

Table unfinished_table(const FleetAnalysis& a) {
  Table t;
  t.columns = {{"Node"}, {"Run"}};
  for (const FleetNode* n : a.unfinished)
    t.rows.push_back({node_label(*n), incomplete_run_note(n->results->run)});
  return t;
}

// PASS or FAIL once `check` judged the fleet (a node without results fails); "" before, and for
// a node a rerun replaced, which is not judged.
std::string check_of(const FleetRecord& fleet, const FleetNode& n) {
  if (!fleet.acceptance || !n.superseded.empty()) return "";
  return n.reporting() && n.results->acceptance && n.results->acceptance->passed ? "PASS" : "FAIL";
}

std::string deviation_text(double percent) { return fmt::format("{:+.1f}%", percent); }

Table nodes_table(const FleetRecord& fleet, const FleetAnalysis& a,
                  const std::vector<UnitRow>& rows) {
  Table t;
  t.columns = {{"Node"},
               {"Device"},
               {"Status"},
               {"Metrics", true},
               {"Lowest vs the others", true},
               {"Lowest metric"},
               {"Outliers", true}};
  if (fleet.acceptance) t.columns.push_back({"Check"});
  for (const auto& r : rows) {
    std::vector<std::string> row = {node_label(*r.node),
                                    r.device,
                                    status_of(a, *r.node),
                                    std::to_string(r.metrics),
                                    r.lowest ? deviation_text(*r.lowest) : "-",
                                    r.lowest_metric,
                                    std::to_string(r.outliers)};
    if (fleet.acceptance) row.push_back(check_of(fleet, *r.node));
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table outliers_table(const FleetAnalysis& a) {
  Table t;
  t.columns = {{"Node"},
               {"Device"},
               {"Metric"},
               {"Value", true},
               {"Median judged against", true},
               {"Deviation", true},
               {"Rule"}};
  for (const auto& o : a.outliers) {
    t.rows.push_back({node_label(*o.node), o.device.label(), o.metric->name,
                      fmt::format("{} {}", short_number(o.value), o.metric->unit),
                      fmt::format("{} {}", short_number(o.median), o.metric->unit),
                      deviation_text(o.deviation_percent), o.rule});
  }
  return t;
}

Table unverified_table(const FleetAnalysis& a) {
  Table t;
  t.columns = {{"Node"}, {"Measurement"}, {"Result"}};
  for (const auto& u : a.unverified) {
    t.rows.push_back({node_label(*u.node), where(*u.record), result_text(*u.record)});
  }
  return t;
}

Table medians_table(const FleetAnalysis& a) {
  Table t;
  t.columns = {{"Metric"},    {"Values", true}, {"Median", true},
               {"Min", true}, {"Max", true},    {"MAD", true}};
  for (const auto& m : a.metrics) {
    const auto [lo, hi] = std::minmax_element(
        m.values.begin(), m.values.end(),
        [](const FleetValue& x, const FleetValue& y) { return x.value < y.value; });
    t.rows.push_back({m.name, std::to_string(m.values.size()),
                      fmt::format("{} {}", short_number(m.median), m.unit), short_number(lo->value),
                      short_number(hi->value), short_number(m.mad)});
  }
  return t;
}

// "3 of 4 expected nodes reported (missing: node-9); 1 input failed; 2 outliers".
std::string summary_line(const FleetRecord& fleet, const FleetAnalysis& a) {
  std::string s = a.nodes_expected ? fmt::format("{} of {} expected nodes reported",
                                                 a.nodes_reporting, *a.nodes_expected)
                                   : counted(a.nodes_reporting, "node") + " reported";
  if (!a.missing_hosts.empty()) {
    s += fmt::format(" (reported nothing: {})", fmt::join(a.missing_hosts, ", "));
  }
  // Results read: not an input that could not be, nor a node or rank that reported nothing.
  const auto read =
      std::ranges::count_if(fleet.nodes, [](const FleetNode& n) { return n.results.has_value(); });
  s += fmt::format("; {} merged, {} failed, set aside or missing", counted(read, "result"),
                   a.failed.size());
  if (!a.superseded.empty()) s += fmt::format("; {} replaced by a rerun", a.superseded.size());
  if (!a.unverified.empty()) {
    std::set<const FleetNode*> nodes;
    for (const auto& u : a.unverified) nodes.insert(u.node);
    s += fmt::format("; {} on {}", unverified_text(a.unverified), counted(nodes.size(), "node"));
  }
  for (const std::string& count : a.stress_problem_counts()) s += "; " + count;
  if (!a.unfinished.empty()) {
    s += fmt::format("; runs not finished on {}", counted(a.unfinished.size(), "node"));
  }
  s += fmt::format("; {} at a {:g}% threshold", counted(a.outliers.size(), "outlier"),
                   fleet.threshold_percent);
  return s;
}

std::string fleet_verdict_line(const FleetRecord& fleet) {
  if (!fleet.acceptance) return "";
  // Nodes, as the summary counts them: a host's ranks (or its run and its burn-in) are one node,
  // failed where any of them failed. A missing rank or an unreadable input has no host: counted
  // apart, as it reported nothing.
  std::map<std::string, bool> failed;  // by host_key
  int without_host = 0;
  for (const auto& n : fleet.nodes) {
    if (!n.superseded.empty()) continue;
    if (n.host.empty()) {
      ++without_host;
      continue;
    }
    bool& node_failed = failed[host_key(n.host)];
    node_failed = node_failed || check_of(fleet, n) != "PASS";
  }
  return fmt::format(
      "{}: {} of {} failed their check{}; spec {}, checked {}",
      fleet.acceptance->passed ? "PASS" : "FAIL",
      std::ranges::count(failed | std::views::values, true), counted(failed.size(), "node"),
      without_host == 0 ? ""
      : without_host == 1
          ? ", and 1 missing rank or unreadable input reported nothing"
          : fmt::format(", and {} missing ranks or unreadable inputs reported nothing",
                        without_host),
      fleet.acceptance->spec, fleet.acceptance->checked_utc);
}

Table fleet_criteria_table(const AcceptanceResult& r) {
  Table t;
  t.columns = {{"Verdict"}, {"Criterion"}, {"Measured", true}, {"Reason"}};
  for (const auto& v : r.criteria) {
    t.rows.push_back({std::string(to_string(v.verdict)),
                      fmt::format("{} {} {}", v.metric, v.comparator, v.bound_text),
                      v.measured ? fmt::format("{:g}", *v.measured) : "-", v.reason});
  }
  return t;
}

std::string method_text(const FleetAnalysis& a) {
  return fmt::format(
      "Every metric is one workload, precision, implementation and problem size on a node's CPU, "
      "on one of its GPUs, or on its GPUs at once, in its headline unit (GFLOP/s, or GB/s for "
      "memory-bound work); only passed measurements count. An outlier is below the median of the "
      "metric's other values by more than the threshold, or outside the fleet's spread: a robust "
      "z-score (0.6745 × deviation / median absolute deviation) beyond {} with a deviation over "
      "{:g}%, in a metric of {} values or more.",
      a.spread_z_limit > kRobustZLimit
          ? fmt::format("{:.2f} ({:g}, raised for the number of values judged: normal noise "
                        "alone crosses it somewhere with a chance of {:g})",
                        a.spread_z_limit, kRobustZLimit, kSpreadFalseOutlierChance)
          : fmt::format("{:g}", kRobustZLimit),
      kMinOutlierDeviationPercent, kMinValuesForSpread);
}

// The units with the lowest values against the median of the others, lowest first.
constexpr std::size_t kChartRows = 40;

std::string lowest_chart(const std::vector<UnitRow>& rows) {
  std::vector<const UnitRow*> measured;
  for (const auto& r : rows) {
    if (r.lowest) measured.push_back(&r);
  }
  if (measured.empty()) return "";
  std::stable_sort(measured.begin(), measured.end(),
                   [](const UnitRow* x, const UnitRow* y) { return *x->lowest < *y->lowest; });
  if (measured.size() > kChartRows) measured.resize(kChartRows);
  BarChart chart{
      "Lowest value against the median of the others", "% of the others' median", {}, 100};
  for (const auto* r : measured) {
    const double percent = 100 + *r->lowest;
    chart.bars.push_back({fmt::format("{} {}", node_label(*r->node), r->device),
                          std::max(percent, 0.1), fmt::format("{:.1f}%", percent),
                          r->device == "cpu" ? BarKind::cpu : BarKind::gpu});
  }
  return fmt::format(
      "<h2 id=\"lowest\">Lowest against the median</h2>\n<p>Each node's CPU and GPUs at their "
      "lowest metric, as a percentage of the median of that metric's other values{}; the dashed "
      "line is that median.</p>\n{}",
      rows.size() > kChartRows ? fmt::format(" (the {} lowest)", kChartRows) : "",
      bar_chart_svg(chart));
}

// The flopbench versions the nodes ran, for the reports' "Versions:" line.
std::string versions_text(const FleetAnalysis& a) {
  return a.versions.empty() ? "none (no node reported)"
                            : fmt::format("{}", fmt::join(a.versions, "; "));
}

}  // namespace

std::string FleetJsonPrinter::do_print(const FleetRecord& fleet) const {
  return to_json(fleet).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string FleetCsvPrinter::do_print(const FleetRecord& fleet) const {
  const FleetAnalysis a = analyse_fleet(fleet);
  std::string out =
      "node,host,rank,source,device,status,problem,metrics,lowest_vs_median_percent,"
      "lowest_metric,outliers,check,unverified\n";
  for (const auto& r : unit_rows(fleet, a)) {
    const FleetNode& n = *r.node;
    std::string rank;
    if (n.results && n.results->run.launch.rank) rank = std::to_string(*n.results->run.launch.rank);
    // Failed as the merge fails it: a node without results, or one whose results fail it.
    const std::vector<std::string> failures = merge_failures_of(a, n);
    const std::string problem = !n.problem.empty() ? n.problem
                                : !n.superseded.empty()
                                    ? n.superseded
                                    : fmt::format("{}", fmt::join(failures, "; "));
    const std::string status = !n.superseded.empty() ? "superseded"
                               : problem.empty()     ? "reported"
                                                     : "failed";
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(node_label(n)),
                       csv_field(n.host), rank, csv_field(n.source), r.device, status,
                       csv_field(problem), r.metrics,
                       r.lowest ? fmt::format("{:.2f}", *r.lowest) : "", csv_field(r.lowest_metric),
                       r.outliers, check_of(fleet, n), unverified_of(a, n).size());
  }
  return out;
}

std::string FleetMarkdownPrinter::do_print(const FleetRecord& fleet) const {
  const FleetAnalysis a = analyse_fleet(fleet);
  // Host names, which these lines quote, stay on their line.
  std::string out = fmt::format("# flopbench fleet report\n\nMerged {}: {}.\n",
                                one_line(fleet.merged_utc), one_line(summary_line(fleet, a)));
  if (fleet.acceptance) out += fmt::format("\n**{}**\n", one_line(fleet_verdict_line(fleet)));
  for (const auto& note : a.notes) out += fmt::format("\n> {}\n", one_line(note));
  out += fmt::format("\nVersions: {}.\n\n{}\n", one_line(versions_text(a)), method_text(a));
  if (fleet.acceptance) {
    out += "\n## Fleet criteria\n\n" + fleet_criteria_table(*fleet.acceptance).markdown();
  }
  out += "\n## Nodes\n\n" + nodes_table(fleet, a, unit_rows(fleet, a)).markdown();
  out += "\n## Incorrect or failed measurements\n\n";
  out += a.unverified.empty() ? "None.\n" : unverified_table(a).markdown();
  if (!a.stress_problems.empty())
    out += "\n## Stress tests not passed\n\n" + stress_problems_table(a).markdown();
  if (!a.unfinished.empty()) out += "\n## Runs not finished\n\n" + unfinished_table(a).markdown();
  out += "\n## Outliers\n\n";
  out += a.outliers.empty() ? "None.\n" : outliers_table(a).markdown();
  const Table medians = medians_table(a);
  out += "\n## Fleet medians\n\n" + (medians.rows.empty() ? "None.\n" : medians.markdown());
  return without_raw_html(out);
}

std::string FleetHtmlPrinter::do_print(const FleetRecord& fleet) const {
  const FleetAnalysis a = analyse_fleet(fleet);
  const auto rows = unit_rows(fleet, a);
  const bool bad = !a.failed.empty() || !a.unverified.empty() || !a.stress_problems.empty() ||
                   !a.unfinished.empty() || !a.outliers.empty() ||
                   (a.nodes_expected && a.nodes_reporting != *a.nodes_expected) ||
                   (fleet.acceptance && !fleet.acceptance->passed);
  std::string body = fmt::format(
      "<h1>flopbench fleet report</h1>\n<p class=\"note\">Merged {}</p>\n"
      "<div class=\"banner {}\">{}</div>\n",
      html_escape(fleet.merged_utc), bad ? "fail" : "pass", html_escape(summary_line(fleet, a)));
  if (fleet.acceptance) {
    body += fmt::format("<p class=\"{}\">{}</p>\n", fleet.acceptance->passed ? "pass" : "fail",
                        html_escape(fleet_verdict_line(fleet)));
  }
  for (const auto& note : a.notes) {
    body += fmt::format("<div class=\"banner fail\">{}</div>\n", html_escape(note));
  }
  body += fmt::format("<p class=\"note\">Versions: {}. {}</p>\n", html_escape(versions_text(a)),
                      html_escape(method_text(a)));
  if (fleet.acceptance) {
    body += "<h2 id=\"criteria\">Fleet criteria</h2>\n" +
            fleet_criteria_table(*fleet.acceptance).html();
  }
  body += "<h2 id=\"unverified\">Incorrect or failed measurements</h2>\n";
  body += a.unverified.empty() ? "<p>None.</p>\n" : unverified_table(a).html();
  if (!a.stress_problems.empty())
    body += "<h2 id=\"stress\">Stress tests not passed</h2>\n" + stress_problems_table(a).html();
  if (!a.unfinished.empty())
    body += "<h2 id=\"unfinished\">Runs not finished</h2>\n" + unfinished_table(a).html();
  body += "<h2 id=\"outliers\">Outliers</h2>\n";
  body += a.outliers.empty() ? "<p>None.</p>\n" : outliers_table(a).html();
  body += lowest_chart(rows);
  body += "<h2 id=\"nodes\">Nodes</h2>\n" + nodes_table(fleet, a, rows).html();
  const Table medians = medians_table(a);
  body += "<h2 id=\"medians\">Fleet medians</h2>\n" +
          (medians.rows.empty() ? "<p>None.</p>\n" : medians.html());
  return html_page("en", "flopbench fleet report", "", body);
}

std::string FleetConsolePrinter::do_print(const FleetRecord& fleet) const {
  const FleetAnalysis a = analyse_fleet(fleet);
  // One line each: a host name, a path or a reason read from the nodes' files may hold a line
  // break, which would split a line in two.
  const auto label = [](const FleetNode& n) { return one_line(node_label(n)); };
  std::string out = one_line(summary_line(fleet, a)) + "\n";
  for (const auto* n : a.failed)
    out += fmt::format("FAIL {}: {}\n", label(*n), one_line(n->problem));
  for (const auto* n : a.superseded)
    out += fmt::format("superseded {}: {}\n", label(*n), one_line(n->superseded));
  // Each node's first few; fleet.md lists them all.
  constexpr std::size_t kNamed = 3;
  for (const auto& n : fleet.nodes) {
    const auto unverified = unverified_of(a, n);
    if (unverified.empty()) continue;
    std::vector<std::string> named;
    for (std::size_t i = 0; i < std::min(kNamed, unverified.size()); ++i) {
      const MeasurementRecord& r = *unverified[i].record;
      named.push_back(one_line(fmt::format("{} ({})", where(r), result_text(r))));
    }
    out += fmt::format(
        "FAIL {}: {}: {}{}\n", label(n), unverified_text(unverified), fmt::join(named, "; "),
        unverified.size() > kNamed ? fmt::format("; and {} more", unverified.size() - kNamed) : "");
  }
  for (const StressProblem& p : a.stress_problems)
    out += fmt::format("FAIL {}: {}: {}\n", label(*p.node), p.test, one_line(p.problem));
  for (const FleetNode* n : a.unfinished)
    out += fmt::format("FAIL {}: {}\n", label(*n), incomplete_run_note(n->results->run));
  for (const auto& o : a.outliers) {
    out += fmt::format("outlier {} {}: {} {} {} ({} from {} {}: {})\n", label(*o.node),
                       o.device.label(), one_line(o.metric->name), short_number(o.value),
                       o.metric->unit, deviation_text(o.deviation_percent), short_number(o.median),
                       o.metric->unit, o.rule);
  }
  for (const auto& note : a.notes) out += "note: " + one_line(note) + "\n";
  return out;
}

std::string FleetJunitPrinter::do_print(const FleetRecord& fleet) const {
  if (!fleet.acceptance) return "";
  std::vector<JunitSuite> suites;
  // A testsuite's name is its node's label, and where two share one, a set-aside one's (a second
  // result of a host) has its source too: CI tools merge or overwrite testsuites of one name.
  std::map<std::string, int> labels;
  for (const auto& n : fleet.nodes) {
    if (n.superseded.empty()) ++labels[node_label(n)];
  }
  const auto suite_name = [&](const FleetNode& n) {
    const std::string label = node_label(n);
    return labels[label] > 1 && !n.problem.empty() && !n.source.empty()
               ? fmt::format("{} ({})", label, n.source)
               : label;
  };
  for (const auto& n : fleet.nodes) {
    if (!n.superseded.empty()) continue;  // not judged: its rerun's testsuite stands for it
    if (n.results && n.results->acceptance && n.problem.empty()) {
      suites.push_back(junit_testsuite(*n.results->acceptance, suite_name(n), n.host));
      continue;
    }
    // A node without a verdict fails as a whole: it reported nothing usable.
    AcceptanceResult reported;
    reported.spec = fleet.acceptance->spec;
    reported.checked_utc = fleet.acceptance->checked_utc;
    CriterionVerdict v;
    v.metric = "node.reported";
    v.comparator = "==";
    v.bound_text = "true";
    v.reason = n.problem;
    v.description = "the node reported results";
    reported.criteria.push_back(std::move(v));
    suites.push_back(junit_testsuite(reported, suite_name(n), n.host));
  }
  suites.push_back(junit_testsuite(*fleet.acceptance, "fleet", ""));
  return junit_document(suites);
}

std::vector<std::unique_ptr<FleetPrinter>> fleet_printers() {
  std::vector<std::unique_ptr<FleetPrinter>> printers;
  printers.push_back(std::make_unique<FleetJsonPrinter>());
  printers.push_back(std::make_unique<FleetCsvPrinter>());
  printers.push_back(std::make_unique<FleetMarkdownPrinter>());
  printers.push_back(std::make_unique<FleetHtmlPrinter>());
  return printers;
}

void write_fleet_outputs(const FleetRecord& fleet, const std::filesystem::path& dir) {
  for (const auto& p : fleet_printers())
    write_file_atomically(dir / p->file_name(), p->print(fleet));
}

}  // namespace flopbench
