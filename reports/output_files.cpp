#include "reports/output_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "harness/core/statistics.hpp"
#include "harness/core/workloads.hpp"
#include "reports/acceptance_report.hpp"
#include "reports/format.hpp"
#include "reports/html_report.hpp"
#include "reports/results_json.hpp"

namespace flopbench {
namespace {

using nlohmann::json;

// ---- Markdown ---------------------------------------------------------------------------------

// An inline code span that survives backticks in its text.
std::string code(std::string_view s) {
  std::size_t longest = 0, run = 0;
  for (char c : s) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(longest + 1, '`');
  const bool space = !s.empty() && (s.front() == '`' || s.back() == '`');
  return fmt::format("{0}{1}{2}{1}{0}", fence, space ? " " : "", s);
}

std::string header_section(const ResultsDocument& doc) {
  const auto& env = doc.environment;
  const auto& run = doc.run;
  std::string out = fmt::format("# flopbench {} report (commit {})\n\n",
                                or_unknown(env.flopbench_version), or_unknown(env.git_commit));
  if (run.interrupted) {
    out +=
        "> **Interrupted:** the run was stopped before it finished; measurements it did not "
        "take are listed as skipped.\n\n";
  }
  out += fmt::format("- Date: {} to {} (UTC)\n", or_unknown(run.started_utc),
                     or_unknown(run.finished_utc));
  out += fmt::format("- Host: {} ({}, kernel {})\n", or_unknown(env.host), or_unknown(env.os),
                     or_unknown(env.kernel));
  out += fmt::format("- Command: {}\n", code(shell_command(run.command_line)));
  out += fmt::format("- Profile: {}, seed {}, threads {}\n", or_unknown(run.profile), run.seed,
                     run.threads);
  out += fmt::format("- Build: {}, {}, flags {}\n", or_unknown(env.compiler),
                     or_unknown(env.build_type), code(env.compiler_flags));
  std::vector<std::string> items;
  for (const auto& [name, version] : env.libraries) items.push_back(name + " " + version);
  out += fmt::format("- Libraries: {}\n", list_or(items, "none recorded"));
  items.clear();
  for (const auto& [name, value] : env.openmp_env) {
    items.push_back(fmt::format("{}={}", name, value.empty() ? "(unset)" : value));
  }
  out += fmt::format("- OpenMP: {}\n", list_or(items, "none recorded"));
  return out;
}

std::string inventory_section(const Environment& env) {
  std::string out = "\n## Inventory\n\n### CPU\n\n";
  for (const auto& [label, value] : cpu_facts(env.cpu)) {
    out += fmt::format("- {}: {}\n", label, value);
  }

  const auto& gpu = env.gpu;
  out += "\n### GPUs\n\n";
  if (gpu.cuda_built) {
    out += fmt::format("CUDA runtime {}, driver {}.\n\n", or_unknown(gpu.runtime_version),
                       gpu.driver_version.empty() ? "none" : gpu.driver_version);
  }
  if (gpu.devices.empty()) out += fmt::format("No CUDA device: {}\n", no_gpu_reason(gpu));
  for (const auto& d : gpu.devices) {
    out += fmt::format("- gpu{}: {}\n", d.index, gpu_description(d));
  }
  return out;
}

std::string group_section(const Group& g) {
  const Table t = group_table(g);
  std::string notes;
  for (const auto* r : g.records) {
    for (const auto& note : r->notes) {
      notes += fmt::format("- {} on {}, {}: {}\n", r->implementation, r->device, r->problem.label(),
                           note);
    }
  }
  std::string out = fmt::format("\n### {}\n\n{}", group_title(g), t.markdown());
  if (!notes.empty()) out += "\nNotes:\n\n" + notes;
  return out;
}

std::string gpu_vs_cpu_section(const std::vector<Group>& groups) {
  const Table t = gpu_vs_cpu_table(groups);
  if (t.rows.empty()) return "";
  return "\n## GPU vs CPU\n\nThe fastest passed GPU implementation against the fastest passed CPU "
         "implementation on the same problem (speedup = CPU median / GPU median).\n\n" +
         t.markdown();
}

std::string openblas_table(const std::vector<Group>& groups) {
  Table t;
  t.columns = {{"Workload"},         {"Problem"},        {"Implementation"}, {"Device"},
               {"Throughput", true}, {"OpenBLAS", true}, {"Ratio", true}};
  for (const auto& g : groups) {
    for (const auto* r : g.records) {
      const auto* reference = fastest(g.records, r->problem,
                                      [](const auto& x) { return x.implementation == "openblas"; });
      const auto mine = headline(*r);
      const auto theirs = reference ? headline(*reference) : std::nullopt;
      if (r == reference || !median_s(*r) || !mine || !theirs || mine->unit != theirs->unit) {
        continue;
      }
      t.rows.push_back({group_title(g), r->problem.label(), r->implementation, r->device.label(),
                        throughput(mine), throughput(theirs), ratio(mine->value / theirs->value)});
    }
  }
  if (t.rows.empty()) return "";
  return "\n### Relative to OpenBLAS\n\nEach implementation's throughput divided by OpenBLAS's on "
         "the same problem and precision.\n\n" +
         t.markdown();
}

std::string stream_table(const std::vector<Group>& groups) {
  Table t;
  t.columns = {{"Workload"},          {"Problem"},
               {"Implementation"},    {"Device"},
               {"GB/s", true},        {"STREAM triad GB/s", true},
               {"STREAM size", true}, {"Ratio", true}};
  for (const auto& g : groups) {
    const auto reference_workload = info(g.workload).bandwidth_reference;
    if (!reference_workload) continue;
    for (const auto* r : g.records) {
      if (!median_s(*r) || !r->gbytes_per_s) continue;
      const auto* reference =
          bandwidth_reference(groups, *reference_workload, r->device, r->precision);
      if (!reference) continue;
      t.rows.push_back({group_title(g), r->problem.label(), r->implementation, r->device.label(),
                        short_number(*r->gbytes_per_s), short_number(*reference->gbytes_per_s),
                        reference->problem.label(),
                        ratio(*r->gbytes_per_s / *reference->gbytes_per_s)});
    }
  }
  if (t.rows.empty()) return "";
  return "\n### Relative to STREAM triad\n\nEach implementation's GB/s divided by the STREAM triad "
         "GB/s of the same device and precision (its largest passed size).\n\n" +
         t.markdown();
}

std::string not_passed_section(const ResultsDocument& doc) {
  std::string out = "\n## Not passed\n\n";
  std::string items;
  for (const auto& r : doc.measurements) {
    if (passed(r)) continue;
    items += fmt::format("- {}: {}\n", where(r), result_text(r));
  }
  return out + (items.empty() ? "Every measurement passed.\n" : items);
}

// ---- Google Benchmark ---------------------------------------------------------------------------

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
          {"load_avg", json::array()},
          {"library_build_type", env.build_type == "Debug" ? "debug" : "release"},
          {"json_schema_version", 1},
          {"flopbench_version", env.flopbench_version},
          {"flopbench_git_commit", env.git_commit}};
}

// One benchmark instance: the rows Google Benchmark writes for a benchmark run with
// --benchmark_repetitions, one repetition per flopbench sample.
void add_google_benchmark_rows(const MeasurementRecord& r, int family, int instance,
                               json& benchmarks) {
  const std::string name = fmt::format("{}/{}/{}/{}/{}", r.workload, r.implementation, r.device,
                                       to_string(r.precision), r.problem.label());
  const auto n = r.samples_s.size();
  // cpu_time is the host's view of the same sample (for GPU work, the launching thread's wall
  // time); a document without one per sample falls back to the sample itself.
  const auto host_s = r.host_wall_s.size() == n ? r.host_wall_s : r.samples_s;
  std::vector<double> flops_rate, bytes_rate;
  for (double s : r.samples_s) {
    flops_rate.push_back(r.flops / s);
    bytes_rate.push_back(r.bytes / s);
  }
  const json common = {
      {"name", name},     {"family_index", family}, {"per_family_instance_index", instance},
      {"run_name", name}, {"repetitions", n},       {"threads", std::max(1, r.threads)},
      {"time_unit", "ns"}};
  for (std::size_t i = 0; i < n; ++i) {
    json row = common;
    row["run_type"] = "iteration";
    row["repetition_index"] = i;
    row["iterations"] = std::max<std::int64_t>(1, r.iterations_per_sample);
    row["real_time"] = r.samples_s[i] * 1e9;
    row["cpu_time"] = host_s[i] * 1e9;
    if (r.flops > 0) row["FLOPS"] = flops_rate[i];
    if (r.bytes > 0) row["bytes_per_second"] = bytes_rate[i];
    benchmarks.push_back(std::move(row));
  }

  const Statistics real = r.stats.value_or(compute_statistics(r.samples_s));
  const Statistics cpu = compute_statistics(host_s);
  const Statistics flops = compute_statistics(flops_rate);
  const Statistics bytes_per_s = compute_statistics(bytes_rate);
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

std::string JsonPrinter::do_print(const ResultsDocument& doc) const {
  // Invalid UTF-8 (a mangled CPU model string, say) must not stop the results being written.
  return to_json(doc).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string CsvPrinter::do_print(const ResultsDocument& doc) const {
  // RFC 4180 quoting (csv_field); LF line ends.
  const auto num = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.6g}", *v) : std::string();
  };
  std::string out =
      "workload,display_name,implementation,device,precision,problem,m,n,k,disposition,reason,"
      "threads,samples,median_s,min_s,max_s,mean_s,stddev_s,cv,gflops,gbytes_per_s,peak_gflops,"
      "percent_of_peak,stopping_rule,verification_error_ratio\n";
  for (const auto& r : doc.measurements) {
    const auto stat = [&](double Statistics::*member) {
      return r.stats ? num(r.stats.value().*member) : std::string();
    };
    const std::vector<std::string> cells = {std::string(to_string(r.workload)),
                                            display_name(r.workload, r.precision),
                                            r.implementation,
                                            r.device.label(),
                                            std::string(to_string(r.precision)),
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
                                            r.verification ? num(r.verification->error_ratio) : ""};
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += ',';
      out += csv_field(cells[i]);
    }
    out += "\n";
  }
  return out;
}

std::string MarkdownPrinter::do_print(const ResultsDocument& doc) const {
  const auto groups = groups_of(doc);
  std::string out = header_section(doc) + inventory_section(doc.environment);
  out += AcceptanceMarkdownPrinter().print(doc);
  out +=
      "\n## Results\n\nMedian time per run; throughput from the median. Only passed "
      "measurements report numbers.\n";
  if (groups.empty()) out += "\nNo measurements.\n";
  for (const auto& g : groups) out += group_section(g);
  out += gpu_vs_cpu_section(groups);
  const std::string ratios = openblas_table(groups) + stream_table(groups);
  if (!ratios.empty()) out += "\n## Reference ratios\n" + ratios;
  out += not_passed_section(doc);
  out +=
      "\n## Regenerating\n\nEvery other file in this directory is generated from results.json: "
      "`flopbench report <dir>/results.json` writes them again.\n";
  return out;
}

std::string GoogleBenchmarkPrinter::do_print(const ResultsDocument& doc) const {
  // A family is one (workload, implementation, device, precision); its instances are the
  // problem sizes, numbered in document order.
  std::map<std::string, std::pair<int, int>> families;  // name -> (family index, instances)
  json benchmarks = json::array();
  for (const auto& r : doc.measurements) {
    if (!passed(r) || r.samples_s.empty()) continue;
    const std::string family =
        fmt::format("{}/{}/{}/{}", r.workload, r.implementation, r.device, to_string(r.precision));
    auto [it, inserted] = families.try_emplace(family, static_cast<int>(families.size()), 0);
    add_google_benchmark_rows(r, it->second.first, it->second.second++, benchmarks);
  }
  const json out = {{"context", google_benchmark_context(doc)}, {"benchmarks", benchmarks}};
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::vector<std::unique_ptr<Printer>> output_printers(bool include_results_json) {
  std::vector<std::unique_ptr<Printer>> printers;
  if (include_results_json) printers.push_back(std::make_unique<JsonPrinter>());
  printers.push_back(std::make_unique<CsvPrinter>());
  printers.push_back(std::make_unique<MarkdownPrinter>());
  printers.push_back(std::make_unique<GoogleBenchmarkPrinter>());
  printers.push_back(std::make_unique<HtmlPrinter>());
  return printers;
}

std::string console_summary(const ResultsDocument& doc) {
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
                      r.implementation, r.device.label(), r.problem.label(),
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
  return out;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  const auto error = [&](int err) {
    return InputError(fmt::format("cannot write {}: {}", path.string(), std::strerror(err)));
  };
  // A hidden temporary next to the target: rename() is atomic only within one file system.
  static std::atomic<unsigned> counter{0};
  std::filesystem::path temp;
  int fd = -1;
  while (fd < 0) {
    temp = path.parent_path() /
           fmt::format(".{}.tmp.{}.{}", path.filename().string(), ::getpid(), counter++);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) throw error(errno);
  }
  const auto give_up = [&](int err) {
    ::close(fd);
    ::unlink(temp.c_str());
    return error(err);
  };
  for (std::size_t done = 0; done < content.size();) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw give_up(errno);
    done += static_cast<std::size_t>(n);
  }
  // Flush before the rename, or a crash could leave the new name on an empty file.
  if (::fsync(fd) != 0) throw give_up(errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw error(err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw error(err);
  }
}

void write_outputs(const ResultsDocument& doc, const std::filesystem::path& dir,
                   bool include_results_json) {
  for (const auto& printer : output_printers(include_results_json)) {
    write_file_atomically(dir / printer->file_name(), printer->print(doc));
  }
}

}  // namespace flopbench
