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
  int without_device = 0;
  for (const auto& r : doc.measurements) {
    ++counts[r.disposition];
    // GPU work on a machine without a GPU: one line below says why, not one row each.
    if (r.device.no_gpu()) {
      ++without_device;
      continue;
    }
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
  std::string out = t.plain() + fmt::format("{} measurements: {}\n", doc.measurements.size(),
                                            list_or(tally, "none"));
  if (without_device > 0) {
    out += fmt::format("{} GPU measurements not run: no CUDA device: {}\n", without_device,
                       doc.environment.gpu.no_device_reason);
  }
  if (const std::string note = incomplete_run_note(doc.run); !note.empty()) {
    out += "incomplete: " + note + "\n";
  }
  return out;
}

}  // namespace flopbench
