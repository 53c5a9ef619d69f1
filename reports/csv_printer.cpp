// results.csv and crossover.csv: the CsvPrinter and the CrossoverCsvPrinter.

#include <fmt/format.h>

#include <optional>

#include "reports/crossover.hpp"
#include "reports/format.hpp"
#include "reports/output_files.hpp"

namespace flopbench {
namespace {

std::string num(const std::optional<double>& v) {
  return v ? fmt::format("{:.6g}", *v) : std::string();
}

// RFC 4180 quoting (csv_field); LF line ends.
std::string csv_row(const std::vector<std::string>& cells) {
  std::string out;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out += ',';
    out += csv_field(cells[i]);
  }
  return out + "\n";
}

}  // namespace

std::string CsvPrinter::do_print(const ResultsDocument& doc) const {
  std::string out =
      "workload,display_name,implementation,device,precision,timing,problem,m,n,k,disposition,"
      "reason,"
      "threads,samples,median_s,min_s,max_s,mean_s,stddev_s,cv,gflops,gbytes_per_s,peak_gflops,"
      "percent_of_peak,stopping_rule,verification_error_ratio,caveats\n";
  for (const auto& r : doc.measurements) {
    const auto stat = [&](double Statistics::*member) {
      return r.stats ? num(r.stats.value().*member) : std::string();
    };
    const std::vector<std::string> cells = {
        std::string(to_string(r.workload)),
        display_name(r.workload, r.precision),
        r.implementation,
        r.device.label(),
        std::string(to_string(r.precision)),
        r.timing,
        r.problem.label(),
        fmt::format("{}", r.problem.m),
        fmt::format("{}", r.problem.n),
        fmt::format("{}", r.problem.k),
        std::string(to_string(r.disposition)),
        r.reason,
        fmt::format("{}", r.threads),
        r.stats ? fmt::format("{}", r.stats->samples) : "",
        stat(&Statistics::median),
        stat(&Statistics::min),
        stat(&Statistics::max),
        stat(&Statistics::mean),
        stat(&Statistics::stddev),
        stat(&Statistics::cv),
        num(r.gflops),
        num(r.gbytes_per_s),
        num(r.peak.gflops),
        num(r.percent_of_peak),
        r.stopping_rule,
        r.verification ? num(r.verification->error_ratio) : "",
        passed(r) ? fmt::format("{}", fmt::join(caveats(doc.environment, r), "; ")) : ""};
    out += csv_row(cells);
  }
  return out;
}

std::string CrossoverCsvPrinter::do_print(const ResultsDocument& doc) const {
  std::string out =
      "workload,display_name,precision,gpu_timing,crossover_size,crossover_basis,problem,size,"
      "cpu_implementation,cpu_median_s,gpu_implementation,gpu_device,gpu_median_s,speedup,"
      "cpu_caveats,gpu_caveats\n";
  for (const Crossover& c : crossovers(doc)) {
    for (const auto& p : c.points) {
      out +=
          csv_row({std::string(to_string(c.workload)), display_name(c.workload, c.precision),
                   std::string(to_string(c.precision)), c.gpu_timing, num(c.finding.size),
                   c.finding.basis, p.problem.label(), fmt::format("{:.0f}", p.size()),
                   p.cpu->implementation, num(median_s(*p.cpu)), p.gpu ? p.gpu->implementation : "",
                   p.gpu ? p.gpu->device.label() : "", p.gpu ? num(median_s(*p.gpu)) : "",
                   num(p.speedup()), fmt::format("{}", fmt::join(disturbance_flags(*p.cpu), "; ")),
                   p.gpu ? fmt::format("{}", fmt::join(disturbance_flags(*p.gpu), "; ")) : ""});
    }
  }
  return out;
}

}  // namespace flopbench
