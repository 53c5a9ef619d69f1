#include "reports/output_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <tuple>

#include <nlohmann/json.hpp>

#include "harness/statistics.hpp"
#include "harness/workloads.hpp"
#include "reports/results_json.hpp"

namespace flopbench {
namespace {

using nlohmann::json;

// ---- facts about measurements ---------------------------------------------------------------

bool passed(const MeasurementRecord& r) { return r.disposition == Disposition::passed; }
bool on_gpu(const MeasurementRecord& r) { return r.device.starts_with("gpu"); }

// Memory-bound workloads: GB/s is their headline number.
bool bandwidth_bound(std::string_view workload) {
  const WorkloadInfo* w = lookup_workload(workload);
  return w && w->bandwidth_bound;
}
// Their compulsory bytes say nothing about their speed.
bool compute_bound(std::string_view workload) {
  const WorkloadInfo* w = lookup_workload(workload);
  return w && !w->bandwidth_bound;
}

auto problem_order(const Problem& p) { return std::tuple(p.m, p.n, p.k); }

struct Throughput {
  double value;
  std::string_view unit;
};

// The number a reader compares first: GB/s for memory-bound workloads, GFLOP/s otherwise.
std::optional<Throughput> headline(const MeasurementRecord& r) {
  const bool bandwidth = bandwidth_bound(r.workload);
  const auto& first = bandwidth ? r.gbytes_per_s : r.gflops;
  const auto& second = bandwidth ? r.gflops : r.gbytes_per_s;
  if (first) return Throughput{*first, bandwidth ? "GB/s" : "GFLOP/s"};
  if (second && !compute_bound(r.workload)) {
    return Throughput{*second, bandwidth ? "GFLOP/s" : "GB/s"};
  }
  return std::nullopt;
}

// A median that may be compared: only passed measurements report their timing.
std::optional<double> median_s(const MeasurementRecord& r) {
  if (!passed(r) || !r.stats || r.stats->samples == 0) return std::nullopt;
  return r.stats->median;
}

// Measurements of one workload at one precision, in order of problem size; the groups come in
// the order the document first mentions them.
struct Group {
  std::string workload;
  Precision precision;
  std::vector<const MeasurementRecord*> records;
};

std::vector<Group> groups_of(const ResultsDocument& doc) {
  std::vector<Group> groups;
  for (const auto& r : doc.measurements) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
      return g.workload == r.workload && g.precision == r.precision;
    });
    if (it == groups.end()) it = groups.insert(groups.end(), Group{r.workload, r.precision, {}});
    it->records.push_back(&r);
  }
  for (auto& g : groups) {
    std::stable_sort(g.records.begin(), g.records.end(), [](const auto* a, const auto* b) {
      return problem_order(a->problem) < problem_order(b->problem);
    });
  }
  return groups;
}

std::string group_title(const Group& g) {
  return fmt::format("{} ({})", display_name(g.workload, g.precision), to_string(g.precision));
}

// ---- number formatting ------------------------------------------------------------------------

// At least three significant digits, never in exponent notation: 66908, 512, 51.2, 5.12, 0.512.
std::string short_number(double v) {
  if (!std::isfinite(v)) return fmt::format("{}", v);
  const double a = std::fabs(v);
  const int decimals = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return fmt::format("{:.{}f}", v, decimals);
}

std::string duration(double s) {
  const double a = std::fabs(s);
  if (a >= 1 || a == 0 || !std::isfinite(s)) return short_number(s) + " s";
  if (a >= 1e-3) return short_number(s * 1e3) + " ms";
  if (a >= 1e-6) return short_number(s * 1e6) + " µs";
  return short_number(s * 1e9) + " ns";
}

std::string throughput(const std::optional<Throughput>& t) {
  return t ? fmt::format("{} {}", short_number(t->value), t->unit) : "-";
}

std::string optional_value(const std::optional<double>& v) { return v ? short_number(*v) : "-"; }

std::string percent(const std::optional<double>& v) { return v ? fmt::format("{:.1f}%", *v) : "-"; }

std::string ratio(double v) { return fmt::format("{:.2f}×", v); }

std::string bytes(std::int64_t b) {
  static constexpr std::array<std::string_view, 5> kUnits{"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  std::size_t unit = 0;
  while (v >= 1024 && unit + 1 < kUnits.size()) {
    v /= 1024;
    ++unit;
  }
  return v == std::floor(v) ? fmt::format("{:.0f} {}", v, kUnits[unit])
                            : fmt::format("{:.1f} {}", v, kUnits[unit]);
}

std::string peak_text(const Peak& p) {
  std::string text = p.gflops ? short_number(*p.gflops) + " GFLOP/s" : "unknown";
  if (!p.basis.empty()) text += fmt::format(" ({})", p.basis);
  return text;
}

std::string or_unknown(const std::string& s) { return s.empty() ? "unknown" : s; }

std::string list_or(const std::vector<std::string>& items, std::string_view none) {
  return items.empty() ? std::string(none) : fmt::format("{}", fmt::join(items, ", "));
}

// ---- text tables ------------------------------------------------------------------------------

// Display width of UTF-8 text: one column per code point (our text has no wide characters).
std::size_t width(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string pad(std::string_view s, std::size_t w, bool right) {
  const std::string fill(w > width(s) ? w - width(s) : 0, ' ');
  return right ? fill + std::string(s) : std::string(s) + fill;
}

struct Column {
  std::string title;
  bool right = false;  // numbers align right
};

// Cells are plain text; Markdown escaping happens when rendering.
struct Table {
  std::vector<Column> columns;
  std::vector<std::vector<std::string>> rows;

  std::vector<std::size_t> widths(std::size_t minimum,
                                  const std::vector<std::vector<std::string>>& cells) const {
    std::vector<std::size_t> w(columns.size(), minimum);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      w[c] = std::max(w[c], width(columns[c].title));
      for (const auto& row : cells) w[c] = std::max(w[c], width(row[c]));
    }
    return w;
  }

  std::string markdown() const {
    // A pipe ends a cell and a newline ends the table.
    const auto escape = [](const std::string& s) {
      std::string out;
      for (char c : s) {
        if (c == '|') {
          out += "\\|";
        } else {
          out += c == '\n' || c == '\r' ? ' ' : c;
        }
      }
      return out;
    };
    std::vector<std::vector<std::string>> cells;
    for (const auto& row : rows) {
      cells.emplace_back();
      for (const auto& cell : row) cells.back().push_back(escape(cell));
    }
    const auto w = widths(3, cells);
    std::string out = "|";
    for (std::size_t c = 0; c < columns.size(); ++c) {
      out += fmt::format(" {} |", pad(columns[c].title, w[c], columns[c].right));
    }
    out += "\n|";
    for (std::size_t c = 0; c < columns.size(); ++c) {
      out += fmt::format(" {}{} |", std::string(w[c] - 1, '-'), columns[c].right ? ':' : '-');
    }
    out += "\n";
    for (const auto& row : cells) {
      out += "|";
      for (std::size_t c = 0; c < columns.size(); ++c) {
        out += fmt::format(" {} |", pad(row[c], w[c], columns[c].right));
      }
      out += "\n";
    }
    return out;
  }

  std::string plain() const {
    const auto w = widths(0, rows);
    const auto line = [&](const auto& cell_of) {
      std::string out;
      for (std::size_t c = 0; c < columns.size(); ++c) {
        const bool last = c + 1 == columns.size();
        out += pad(cell_of(c), last && !columns[c].right ? 0 : w[c], columns[c].right);
        out += last ? "\n" : "  ";
      }
      return out;
    };
    std::string out = line([&](std::size_t c) { return columns[c].title; });
    for (const auto& row : rows) out += line([&](std::size_t c) { return row[c]; });
    return out;
  }
};

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

// The command line as a shell would need it typed.
std::string shell_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) ||
             std::string_view("_-+=/.,:@%").find(c) != std::string_view::npos;
    });
    if (plain) {
      out += arg;
      continue;
    }
    out += '\'';
    for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

std::string where(const MeasurementRecord& r) {
  return fmt::format("{} {} on {}, {}", display_name(r.workload, r.precision), r.implementation,
                     r.device, r.problem.label());
}

std::string result_text(const MeasurementRecord& r) {
  const auto d = std::string(to_string(r.disposition));
  return passed(r) || r.reason.empty() ? d : fmt::format("{}: {}", d, r.reason);
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
  const auto& cpu = env.cpu;
  std::string out = "\n## Inventory\n\n### CPU\n\n";
  out += fmt::format("- Model: {} ({}, {}; family {}, model {}, stepping {})\n",
                     or_unknown(cpu.model), or_unknown(cpu.vendor),
                     or_unknown(cpu.microarchitecture), cpu.family, cpu.model_number, cpu.stepping);
  out += fmt::format("- Cores: {} physical, {} logical, in {} socket(s)\n", cpu.cores,
                     cpu.logical_cpus, cpu.sockets);
  out += fmt::format("- SIMD: {}\n", list_or(cpu.simd, "none"));
  std::vector<std::string> caches;
  for (const auto& c : cpu.caches) {
    caches.push_back(
        fmt::format("L{} {} {} ×{}", c.level, c.type, bytes(c.size_bytes), c.instances));
  }
  out += fmt::format("- Caches: {}\n", list_or(caches, "unknown"));
  out += fmt::format("- Memory: {}\n", bytes(cpu.memory_bytes));
  out += fmt::format("- Clock: {} (source: {})\n",
                     cpu.clock_ghz ? fmt::format("{:.2f} GHz", *cpu.clock_ghz) : "unknown",
                     or_unknown(cpu.clock_source));
  out += fmt::format("- Peak FP32: {}\n", peak_text(cpu.peak_fp32));
  out += fmt::format("- Peak FP64: {}\n", peak_text(cpu.peak_fp64));

  const auto& gpu = env.gpu;
  out += "\n### GPUs\n\n";
  if (gpu.cuda_built) {
    out += fmt::format("CUDA runtime {}, driver {}.\n\n", or_unknown(gpu.runtime_version),
                       gpu.driver_version.empty() ? "none" : gpu.driver_version);
  }
  if (gpu.devices.empty()) {
    const std::string reason = !gpu.no_device_reason.empty() ? gpu.no_device_reason
                               : gpu.cuda_built              ? "none found"
                                                             : "this build has no CUDA support";
    out += fmt::format("No CUDA device: {}\n", reason);
  }
  for (const auto& d : gpu.devices) {
    out += fmt::format(
        "- gpu{}: {}, compute capability {}.{}, {} SMs at {:.0f} MHz, {} memory ({}-bit bus, "
        "{:.0f} MHz), L2 {}, ECC {}, PCI {}; peak FP32 {}, peak FP64 {}\n",
        d.index, or_unknown(d.name), d.cc_major, d.cc_minor, d.sm_count, d.sm_clock_mhz,
        bytes(d.memory_bytes), d.memory_bus_width_bits, d.memory_clock_mhz, bytes(d.l2_bytes),
        d.ecc_enabled ? "on" : "off", or_unknown(d.pci_bus_id), peak_text(d.peak_fp32),
        peak_text(d.peak_fp64));
  }
  return out;
}

std::string group_section(const Group& g) {
  const auto any = [&](auto has) { return std::any_of(g.records.begin(), g.records.end(), has); };
  const bool bandwidth = bandwidth_bound(g.workload);
  const bool show_gbs =
      !compute_bound(g.workload) && any([](const auto* r) { return r->gbytes_per_s.has_value(); });
  const bool show_gflops = any([](const auto* r) { return r->gflops.has_value(); });
  const bool show_peak = any([](const auto* r) { return r->percent_of_peak.has_value(); });

  Table t;
  t.columns = {{"Problem"}, {"Implementation"}, {"Device"}, {"Median", true}};
  // The memory-bound workloads lead with GB/s.
  if (show_gbs && bandwidth) t.columns.push_back({"GB/s", true});
  if (show_gflops) t.columns.push_back({"GFLOP/s", true});
  if (show_gbs && !bandwidth) t.columns.push_back({"GB/s", true});
  if (show_peak) t.columns.push_back({"% of peak", true});
  t.columns.insert(t.columns.end(), {{"CV", true}, {"Samples", true}, {"Result"}});

  std::string notes;
  for (const auto* r : g.records) {
    const bool ok = median_s(*r).has_value();
    std::vector<std::string> row = {r->problem.label(), r->implementation, r->device,
                                    ok ? duration(r->stats->median) : "-"};
    const auto value = [&](const std::optional<double>& v) {
      row.push_back(ok ? optional_value(v) : "-");
    };
    if (show_gbs && bandwidth) value(r->gbytes_per_s);
    if (show_gflops) value(r->gflops);
    if (show_gbs && !bandwidth) value(r->gbytes_per_s);
    if (show_peak) row.push_back(ok ? percent(r->percent_of_peak) : "-");
    row.push_back(ok ? fmt::format("{:.2f}%", r->stats->cv * 100) : "-");
    row.push_back(ok ? fmt::format("{}", r->stats->samples) : "-");
    row.push_back(result_text(*r));
    t.rows.push_back(std::move(row));
    for (const auto& note : r->notes) {
      notes += fmt::format("- {} on {}, {}: {}\n", r->implementation, r->device, r->problem.label(),
                           note);
    }
  }
  std::string out = fmt::format("\n### {}\n\n{}", group_title(g), t.markdown());
  if (!notes.empty()) out += "\nNotes:\n\n" + notes;
  return out;
}

// Fastest passed measurement among `records` for which `keep` holds.
template <class Keep>
const MeasurementRecord* fastest(const std::vector<const MeasurementRecord*>& records,
                                 const Problem& problem, Keep keep) {
  const MeasurementRecord* best = nullptr;
  for (const auto* r : records) {
    if (r->problem != problem || !keep(*r) || !median_s(*r)) continue;
    if (!best || *median_s(*r) < *median_s(*best)) best = r;
  }
  return best;
}

std::vector<Problem> problems_of(const Group& g) {
  std::vector<Problem> problems;
  for (const auto* r : g.records) {
    if (std::find(problems.begin(), problems.end(), r->problem) == problems.end()) {
      problems.push_back(r->problem);
    }
  }
  return problems;
}

std::string gpu_vs_cpu_section(const std::vector<Group>& groups) {
  Table t;
  t.columns = {{"Workload"}, {"Problem"},          {"Best GPU"},     {"GPU median", true},
               {"Best CPU"}, {"CPU median", true}, {"Speedup", true}};
  for (const auto& g : groups) {
    for (const auto& p : problems_of(g)) {
      const auto* gpu = fastest(g.records, p, on_gpu);
      const auto* cpu = fastest(g.records, p, [](const auto& r) { return !on_gpu(r); });
      if (!gpu || !cpu) continue;
      t.rows.push_back(
          {group_title(g), p.label(), fmt::format("{} ({})", gpu->implementation, gpu->device),
           duration(gpu->stats->median), fmt::format("{} ({})", cpu->implementation, cpu->device),
           duration(cpu->stats->median), ratio(cpu->stats->median / gpu->stats->median)});
    }
  }
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
    if (g.workload != "gemm" && g.workload != "dot") continue;
    for (const auto* r : g.records) {
      const auto* reference = fastest(g.records, r->problem,
                                      [](const auto& x) { return x.implementation == "openblas"; });
      const auto mine = headline(*r);
      const auto theirs = reference ? headline(*reference) : std::nullopt;
      if (r == reference || !median_s(*r) || !mine || !theirs || mine->unit != theirs->unit) {
        continue;
      }
      t.rows.push_back({group_title(g), r->problem.label(), r->implementation, r->device,
                        throughput(mine), throughput(theirs), ratio(mine->value / theirs->value)});
    }
  }
  if (t.rows.empty()) return "";
  return "\n### Relative to OpenBLAS\n\nEach implementation's throughput divided by OpenBLAS's on "
         "the same problem and precision.\n\n" +
         t.markdown();
}

// The STREAM triad bandwidth of a device at a precision: its largest passed problem.
const MeasurementRecord* stream_reference(const std::vector<Group>& groups,
                                          const std::string& device, Precision precision) {
  const MeasurementRecord* best = nullptr;
  for (const auto& g : groups) {
    if (g.workload != "stream" || g.precision != precision) continue;
    for (const auto* r : g.records) {
      if (r->device != device || !median_s(*r) || !r->gbytes_per_s) continue;
      if (!best || problem_order(best->problem) < problem_order(r->problem) ||
          (best->problem == r->problem && *best->gbytes_per_s < *r->gbytes_per_s)) {
        best = r;
      }
    }
  }
  return best;
}

std::string stream_table(const std::vector<Group>& groups) {
  Table t;
  t.columns = {{"Workload"},          {"Problem"},
               {"Implementation"},    {"Device"},
               {"GB/s", true},        {"STREAM triad GB/s", true},
               {"STREAM size", true}, {"Ratio", true}};
  for (const auto& g : groups) {
    if (g.workload != "sum" && g.workload != "dot") continue;
    for (const auto* r : g.records) {
      if (!median_s(*r) || !r->gbytes_per_s) continue;
      const auto* reference = stream_reference(groups, r->device, r->precision);
      if (!reference) continue;
      t.rows.push_back({group_title(g), r->problem.label(), r->implementation, r->device,
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
  // RFC 4180 quoting; LF line ends.
  const auto field = [](const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  };
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
    const std::vector<std::string> cells = {r.workload,
                                            display_name(r.workload, r.precision),
                                            r.implementation,
                                            r.device,
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
      out += field(cells[i]);
    }
    out += "\n";
  }
  return out;
}

std::string MarkdownPrinter::do_print(const ResultsDocument& doc) const {
  const auto groups = groups_of(doc);
  std::string out = header_section(doc) + inventory_section(doc.environment);
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
  return printers;
}

std::string console_summary(const ResultsDocument& doc) {
  Table t;
  t.columns = {{"workload"},     {"precision"},        {"implementation"}, {"device"}, {"problem"},
               {"median", true}, {"throughput", true}, {"% peak", true},   {"result"}};
  std::map<Disposition, int> counts;
  for (const auto& r : doc.measurements) {
    const bool ok = median_s(r).has_value();
    t.rows.push_back({display_name(r.workload, r.precision), std::string(to_string(r.precision)),
                      r.implementation, r.device, r.problem.label(),
                      ok ? duration(r.stats->median) : "-", ok ? throughput(headline(r)) : "-",
                      ok ? percent(r.percent_of_peak) : "-", result_text(r)});
    ++counts[r.disposition];
  }
  std::vector<std::string> tally;
  for (const auto& [disposition, count] : counts) {
    tally.push_back(fmt::format("{} {}", count, to_string(disposition)));
  }
  return t.plain() +
         fmt::format("{} measurements: {}\n", doc.measurements.size(), list_or(tally, "none"));
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
