// The table at the end of `flopbench run` and `flopbench report`: the ConsoleSummaryPrinter.

#include <fmt/format.h>

#include <map>
#include <string_view>
#include <vector>

#include "reports/burn_report.hpp"
#include "reports/console.hpp"
#include "reports/format.hpp"

namespace flopbench {

namespace {

// A burn-in's or memory test's results have no measurements: its headline, as report.md's, and
// what kept it from passing, a line each.
std::string stress_summary(std::string_view what, const std::string& headline,
                           const std::vector<std::string>& problems) {
  std::string out = fmt::format("{}: {}\n", what, headline);
  for (const std::string& p : problems) out += "  " + p + "\n";
  return out;
}

}  // namespace

std::string ConsoleSummaryPrinter::do_print(const ResultsDocument& doc) const {
  if (doc.measurements.empty() && doc.burn) {
    return stress_summary("burn-in", burn_summary(*doc.burn, doc.run),
                          burn_problems(*doc.burn, doc.run));
  }
  if (doc.measurements.empty() && doc.memtest) {
    return stress_summary("memory test", memtest_summary(*doc.memtest, doc.run),
                          memtest_problems(*doc.memtest, doc.run));
  }
  Table t;
  t.columns = {{"workload"},     {"precision"},        {"implementation"}, {"device"}, {"problem"},
               {"median", true}, {"throughput", true}, {"% peak", true},   {"result"}};
  std::map<Disposition, int> counts;
  std::size_t not_run = 0;
  for (const auto& r : doc.measurements) {
    // GPU work on a machine without a GPU: counted as not run, with a line below per reason, not
    // a row each (nor among the unsupported, which the rows list).
    if (r.device.no_gpu()) {
      ++not_run;
      continue;
    }
    ++counts[r.disposition];
    const bool ok = median_s(r).has_value();
    t.rows.push_back({display_name(r.workload, r.precision), std::string(to_string(r.precision)),
                      implementation_label(r), r.device.label(), r.problem.label(),
                      ok ? duration(r.stats->median) : "-", ok ? throughput(headline(r)) : "-",
                      ok ? percent(r.percent_of_peak) : "-", result_text(r)});
  }
  std::vector<std::string> tally;
  for (const auto& [disposition, count] : counts) {
    tally.push_back(fmt::format("{} {}", count, to_string(disposition)));
  }
  if (not_run > 0) tally.push_back(fmt::format("{} not run", not_run));
  const auto measurements = [](std::size_t n) { return n == 1 ? "measurement" : "measurements"; };
  const std::size_t n = doc.measurements.size();
  std::string out =
      t.plain() + fmt::format("{} {}: {}\n", n, measurements(n), list_or(tally, "none"));
  for (const std::string& line : not_run_without_gpu(doc)) out += line + "\n";
  if (const std::string note = incomplete_run_note(doc.run); !note.empty()) {
    out += "incomplete: " + note + "\n";
  }
  return out;
}

}  // namespace flopbench
