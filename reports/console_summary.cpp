// The table at the end of `flopbench run` and `flopbench report`: the ConsoleSummaryPrinter.

#include <fmt/format.h>

#include <map>

#include "reports/console.hpp"
#include "reports/format.hpp"

namespace flopbench {

std::string ConsoleSummaryPrinter::do_print(const ResultsDocument& doc) const {
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
