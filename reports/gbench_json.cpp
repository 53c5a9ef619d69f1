// google-benchmark.json: the GoogleBenchmarkPrinter.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "harness/core/statistics.hpp"
#include "reports/format.hpp"
#include "reports/output_files.hpp"

namespace flopbench {
namespace {

using nlohmann::json;

// Google Benchmark's load_avg is the machine's load average when the run started; flopbench
// reads the 1-minute load average during every measurement, and gives the median of those.
json load_average(const ResultsDocument& doc) {
  std::vector<double> medians;
  for (const auto& r : doc.measurements) {
    if (r.load && r.load->readings > 0) medians.push_back(r.load->load_average.median);
  }
  if (medians.empty()) return json::array();
  return json::array({compute_statistics(medians).median});
}

json google_benchmark_context(const ResultsDocument& doc) {
  const auto& env = doc.environment;
  json caches = json::array();
  for (const auto& c : env.cpu.caches) {
    caches.push_back({{"type", c.type},
                      {"level", c.level},
                      {"size", c.size_bytes},
                      {"num_sharing", c.shared_by_cpus}});
  }
  return {{"date", doc.run.started_utc},
          {"host_name", env.host},
          {"executable", doc.run.command_line.empty() ? "flopbench" : doc.run.command_line.front()},
          {"num_cpus", env.cpu.logical_cpus},
          {"mhz_per_cpu", env.cpu.clock_ghz ? std::llround(*env.cpu.clock_ghz * 1000) : 0},
          {"cpu_scaling_enabled", false},
          {"caches", caches},
          {"load_avg", load_average(doc)},
          {"library_build_type", env.build_type == "Debug" ? "debug" : "release"},
          {"json_schema_version", 1},
          {"flopbench_version", env.flopbench_version},
          {"flopbench_git_commit", env.git_commit}};
}

// One benchmark instance: one "iteration" row holding the median sample, then the aggregates of
// the samples, as Google Benchmark writes them with --benchmark_repetitions (mean, median,
// stddev, cv). Not one row per sample: compare.py's OVERALL_GEOMEAN averages over every
// iteration row, so measurements with more samples would weigh more, and its U test would treat
// the samples of one run as independent, which they are not (docs/methodology.md, "Comparing
// runs"). One row per measurement also keeps the file, and the memory to make it, independent of
// the sample count.
// "gemm/cublas/gpu0/fp32", and a sweep's end-to-end timing after it ("…/end_to_end_pinned"), so
// that every measurement has a name of its own.
std::string google_benchmark_family(const MeasurementRecord& r) {
  return fmt::format("{}/{}/{}/{}{}", r.workload, r.implementation, r.device,
                     to_string(r.precision),
                     end_to_end_text(r.timing).empty() ? "" : "/" + r.timing);
}

void add_google_benchmark_rows(const Environment& env, const MeasurementRecord& r, int family,
                               int instance, json& benchmarks) {
  const std::string name = fmt::format("{}/{}", google_benchmark_family(r), r.problem.label());
  const auto n = r.samples_s.size();
  // cpu_time is the host's view of the same sample (for GPU work, the launching thread's wall
  // time); a document without one per sample falls back to the sample itself.
  const auto& host_s = r.host_wall_s.size() == n ? r.host_wall_s : r.samples_s;
  const Statistics real = r.stats.value_or(compute_statistics(r.samples_s));
  const Statistics cpu = compute_statistics(host_s);
  // Rates are per-sample counters in Google Benchmark: their aggregates are over the samples'
  // rates, so the mean rate is not the rate of the mean time.
  const auto rates = [&](double amount) {
    std::vector<double> out;
    out.reserve(n);
    for (double s : r.samples_s) out.push_back(amount / s);
    return compute_statistics(out);
  };
  const Statistics flops = rates(r.flops), bytes_per_s = rates(r.bytes);
  json common = {
      {"name", name},     {"family_index", family}, {"per_family_instance_index", instance},
      {"run_name", name}, {"repetitions", n},       {"threads", std::max(1, r.threads)},
      {"time_unit", "ns"}};
  // What qualifies the figure ("contended", "partly cache"), where Google Benchmark's JSON keeps a
  // benchmark's own remark (State::SetLabel), so that the file does not pass for clean figures.
  // (compare.py does not print labels.)
  if (const auto flags = caveats(env, r); !flags.empty()) {
    common["label"] = fmt::format("{}", fmt::join(flags, ", "));
  }

  json median = common;
  median["run_type"] = "iteration";
  median["repetition_index"] = 0;
  median["iterations"] = std::max<std::int64_t>(1, r.iterations_per_sample);
  median["real_time"] = real.median * 1e9;
  median["cpu_time"] = cpu.median * 1e9;
  if (r.flops > 0) median["FLOPS"] = r.flops / real.median;
  if (r.bytes > 0) median["bytes_per_second"] = r.bytes / real.median;
  benchmarks.push_back(std::move(median));

  const auto pick = [](const Statistics& s, std::string_view aggregate) {
    return aggregate == "mean"     ? s.mean
           : aggregate == "median" ? s.median
           : aggregate == "stddev" ? s.stddev
                                   : s.cv;
  };
  for (std::string_view aggregate : {"mean", "median", "stddev", "cv"}) {
    // Google Benchmark writes cv as a plain fraction, not scaled to the time unit.
    const bool is_cv = aggregate == "cv";
    const double scale = is_cv ? 1 : 1e9;
    json row = common;
    row["name"] = fmt::format("{}_{}", name, aggregate);
    row["run_type"] = "aggregate";
    row["aggregate_name"] = aggregate;
    row["aggregate_unit"] = is_cv ? "percentage" : "time";
    row["iterations"] = n;
    row["real_time"] = pick(real, aggregate) * scale;
    row["cpu_time"] = pick(cpu, aggregate) * scale;
    if (r.flops > 0) row["FLOPS"] = pick(flops, aggregate);
    if (r.bytes > 0) row["bytes_per_second"] = pick(bytes_per_s, aggregate);
    benchmarks.push_back(std::move(row));
  }
}

}  // namespace

std::string GoogleBenchmarkPrinter::do_print(const ResultsDocument& doc) const {
  // A family is one (workload, implementation, device, precision); its instances are the
  // problem sizes, numbered in document order.
  std::map<std::string, std::pair<int, int>> families;  // name -> (family index, instances)
  json benchmarks = json::array();
  for (const auto& r : doc.measurements) {
    if (!passed(r) || r.samples_s.empty()) continue;
    auto [it, inserted] =
        families.try_emplace(google_benchmark_family(r), static_cast<int>(families.size()), 0);
    add_google_benchmark_rows(doc.environment, r, it->second.first, it->second.second++,
                              benchmarks);
  }
  const json out = {{"context", google_benchmark_context(doc)}, {"benchmarks", benchmarks}};
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace flopbench
