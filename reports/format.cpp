#include "reports/format.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <map>

#include <stdexcept>

#include "reports/utf8.hpp"

namespace flopbench {
namespace {

std::string pad(std::string_view s, std::size_t w, bool right) {
  const std::string fill(w > code_points(s) ? w - code_points(s) : 0, ' ');
  return right ? fill + std::string(s) : std::string(s) + fill;
}

std::vector<std::size_t> column_widths(const std::vector<Column>& columns, std::size_t minimum,
                                       const std::vector<std::vector<std::string>>& cells) {
  std::vector<std::size_t> w(columns.size(), minimum);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    w[c] = std::max(w[c], code_points(columns[c].title));
    for (const auto& row : cells) w[c] = std::max(w[c], code_points(row[c]));
  }
  return w;
}

}  // namespace

// ---- facts about measurements ---------------------------------------------------------------

std::optional<Throughput> headline(const MeasurementRecord& r) {
  switch (r.workload_info().bound) {
    case Bound::bandwidth:
      if (r.gbytes_per_s) return Throughput{*r.gbytes_per_s, headline_unit(Bound::bandwidth)};
      // A copy has no FLOPs; a reduction without a byte count still has its FLOP rate.
      if (r.gflops) return Throughput{*r.gflops, headline_unit(Bound::compute, r.precision)};
      return std::nullopt;
    case Bound::compute:
      if (r.gflops) return Throughput{*r.gflops, headline_unit(Bound::compute, r.precision)};
      return std::nullopt;
  }
  throw std::logic_error("unknown bound");
}

std::optional<double> median_s(const MeasurementRecord& r) {
  if (!passed(r) || !r.stats || r.stats->samples == 0) return std::nullopt;
  return r.stats->median;
}

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

std::vector<std::string> not_run_without_gpu(const ResultsDocument& doc) {
  std::map<std::string, std::size_t> by_reason;
  for (const auto& r : doc.measurements) {
    if (r.device.no_gpu()) ++by_reason[r.reason];
  }
  std::vector<std::string> lines;
  for (const auto& [reason, count] : by_reason) {
    lines.push_back(
        fmt::format("{} not run: {}", counted(count, "GPU measurement"), one_line(reason)));
  }
  return lines;
}

std::vector<Group> without_gpu_less_work(std::vector<Group> groups) {
  for (Group& g : groups)
    std::erase_if(g.records, [](const auto* r) { return r->device.no_gpu(); });
  std::erase_if(groups, [](const Group& g) { return g.records.empty(); });
  return groups;
}

namespace {

// What ended a measurement's sampling where that was not its noise target; "" where it was.
std::string_view stopped_short(const MeasurementRecord& r) {
  if (r.stopping_rule == "max_samples") return "cap";
  if (r.stopping_rule == "time_limit") return "time limit";
  if (r.stopping_rule == "interrupted") return "interrupted";
  return "";
}

// "5 ms", "2 s": a profile's round figure as it was set.
std::string round_seconds(double s) {
  return s >= 1 ? fmt::format("{:g} s", s) : fmt::format("{:g} ms", s * 1e3);
}

}  // namespace

std::string samples_text(const MeasurementRecord& r) {
  if (!r.stats) return "-";
  const std::string_view why = stopped_short(r);
  return why.empty() ? fmt::format("{}", r.stats->samples)
                     : fmt::format("{} ({})", r.stats->samples, why);
}

std::string sampling_text(const ResultsDocument& doc) {
  const std::optional<Sampling>& rule = doc.run.sampling;
  std::size_t shown = 0, at_cap = 0, at_limit = 0;
  bool gpu_timed = false;
  std::map<std::string_view, double> longer;  // workloads whose samples are longer, by name
  for (const auto& r : doc.measurements) {
    if (!median_s(r)) continue;
    ++shown;
    at_cap += r.stopping_rule == "max_samples";
    at_limit += r.stopping_rule == "time_limit";
    gpu_timed = gpu_timed || r.timed_by_the_gpu();
    if (rule && r.workload_info().min_sample_s > rule->min_sample_s)
      longer.emplace(r.workload_info().name, r.workload_info().min_sample_s);
  }
  std::string out;
  if (rule) {
    std::vector<std::string> longer_texts;
    for (const auto& [name, s] : longer)
      longer_texts.push_back(fmt::format("{}: {}", name, round_seconds(s)));
    out = fmt::format(
        "Each sample is the mean time of a batch of back-to-back runs lasting at least {}{}; "
        "sampling stopped once their CV was at most {:g}%{} after at least {} samples and {} of "
        "runs, else at {} samples or after {} (the {} profile's rule; docs/methodology.md, "
        "\"One measurement\").",
        round_seconds(rule->min_sample_s),
        longer_texts.empty() ? "" : fmt::format(" ({})", fmt::join(longer_texts, ", ")),
        100 * rule->target_cv,
        gpu_timed ? fmt::format(" (timed on a GPU, with a drift within {:g}% as well)",
                                50 * rule->target_cv)
                  : "",
        rule->min_samples, round_seconds(rule->min_measured_s), rule->max_samples,
        round_seconds(rule->time_limit_s), doc.run.profile);
  }
  if (at_cap + at_limit == 0) return out;
  std::vector<std::string> where, marks;
  if (at_cap > 0) {
    where.push_back(
        fmt::format("{}at the {} cap", at_limit > 0 ? fmt::format("{} ", at_cap) : "",
                    rule ? fmt::format("{}-sample", rule->max_samples) : std::string("sample")));
    marks.emplace_back("\"(cap)\"");
  }
  if (at_limit > 0) {
    where.push_back(
        fmt::format("{}at the time limit", at_cap > 0 ? fmt::format("{} ", at_limit) : ""));
    marks.emplace_back("\"(time limit)\"");
  }
  const std::string stopped =
      where.size() == 1
          ? fmt::format("stopped {}, before the stopping rule held", where[0])
          : fmt::format("stopped before the stopping rule held, {}", fmt::join(where, " and "));
  return out + (out.empty() ? "" : " ") +
         fmt::format(
             "{} of {} {}: their Samples read {}, and their CV (or a note that their "
             "samples still drifted) says how far from it they were.",
             at_cap + at_limit, counted(shown, "measurement"), stopped, fmt::join(marks, " or "));
}

std::string workload_title(WorkloadId workload, Precision precision) {
  return fmt::format("{} ({})", display_name(workload, precision), to_string(precision));
}

std::string group_title(const Group& g) { return workload_title(g.workload, g.precision); }

std::vector<Problem> problems_of(const Group& g) {
  std::vector<Problem> problems;
  for (const auto* r : g.records) {
    if (std::find(problems.begin(), problems.end(), r->problem) == problems.end()) {
      problems.push_back(r->problem);
    }
  }
  return problems;
}

const MeasurementRecord* bandwidth_reference(const std::vector<Group>& groups, WorkloadId reference,
                                             const DeviceRef& device, Precision precision) {
  const MeasurementRecord* best = nullptr;
  for (const auto& g : groups) {
    if (g.workload != reference || g.precision != precision) continue;
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

std::string end_to_end_text(const std::string& timing) {
  if (timing == "end_to_end_pinned") return "end to end from pinned host memory";
  if (timing == "end_to_end_pageable") return "end to end from pageable host memory";
  return "";
}

std::string implementation_label(const MeasurementRecord& r) {
  const std::string how = end_to_end_text(r.timing);
  return how.empty() ? r.implementation : fmt::format("{}, {}", r.implementation, how);
}

std::string where(const MeasurementRecord& r) {
  return fmt::format("{} {} on {}, {}", workload_title(r.workload, r.precision),
                     implementation_label(r), r.device, r.problem.label());
}

std::vector<std::string> disturbance_flags(const MeasurementRecord& r) {
  std::vector<std::string> flags;
  if (r.contended()) flags.emplace_back("contended");
  if (r.stopping_rule == "interrupted") flags.emplace_back("interrupted");
  // Its median is not what the device sustains once settled (runner.cpp, sample()).
  if (r.still_drifting()) flags.emplace_back("still drifting");
  // A library that kept fewer CPUs busy than it was given threads (OpenBLAS's SDOT on one).
  if (r.ran_on_fewer_threads()) flags.emplace_back("fewer threads");
  return flags;
}

std::vector<std::string> figure_flags(const MeasurementRecord& r) {
  std::vector<std::string> flags = disturbance_flags(r);
  // Above a theoretical peak (runner.hpp's above_peak_note says why); a ceiling measured by the
  // peak workload is only another measurement, and another's best sample can pass it.
  if (r.percent_of_peak && *r.percent_of_peak > 100 && !r.peak.is_measured_ceiling())
    flags.emplace_back("above peak");
  return flags;
}

std::vector<std::string> caveats(const Environment& env, const MeasurementRecord& r) {
  std::vector<std::string> flags = figure_flags(r);
  if (within_cache(env, r)) flags.emplace_back("partly cache");
  return flags;
}

std::string with_flags(std::string text, const std::vector<std::string>& flags) {
  return flags.empty() ? text : fmt::format("{} ({})", text, fmt::join(flags, ", "));
}

std::string result_text(const MeasurementRecord& r) {
  const auto d = std::string(to_string(r.disposition));
  if (!passed(r)) return r.reason.empty() ? d : fmt::format("{}: {}", d, r.reason);
  return with_flags(d, figure_flags(r));
}

std::string flagged_throughput(const MeasurementRecord& r) {
  return with_flags(throughput(headline(r)), figure_flags(r));
}

// ---- number formatting ------------------------------------------------------------------------

int short_number_decimals(double v) {
  const double a = std::fabs(v);
  if (a >= 100) return 0;
  if (a >= 10) return 1;
  if (a >= 1) return 2;
  // Below 1, three significant digits (0.0123, and 0.000123, which three decimals gave as 0.000),
  // at least three decimals and at most nine.
  if (a == 0) return 3;
  return std::clamp(2 - static_cast<int>(std::floor(std::log10(a))), 3, 9);
}

double nice_step(double v) {
  const double decade = std::pow(10.0, std::floor(std::log10(v)));
  for (const double m : {1.0, 2.0, 5.0}) {
    if (m * decade >= v) return m * decade;
  }
  return 10 * decade;
}

double chartable_top(double max) { return std::isfinite(max) && max >= 1e-300 ? max : 1; }

std::vector<std::string> tick_labels(const std::vector<double>& ticks) {
  std::vector<std::string> labels;
  for (const double t : ticks) labels.push_back(fmt::format("{:g}", t));
  if (std::none_of(labels.begin(), labels.end(),
                   [](const std::string& l) { return l.find('e') != std::string::npos; })) {
    return labels;
  }
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    if (ticks[i] == 0 || !std::isfinite(ticks[i])) continue;  // "0"; "inf" as printed
    int exponent = static_cast<int>(std::floor(std::log10(std::fabs(ticks[i]))));
    std::string mantissa = fmt::format("{:.3g}", ticks[i] / std::pow(10.0, exponent));
    if (mantissa == "10" || mantissa == "-10") {  // 9.9996e5 rounds to 1e6
      mantissa.pop_back();
      ++exponent;
    }
    labels[i] = fmt::format("{}e{}", mantissa, exponent);
  }
  return labels;
}

std::string short_number(double v, int more_decimals) {
  if (!std::isfinite(v)) return fmt::format("{}", v);
  return fmt::format("{:.{}f}", v, short_number_decimals(v) + more_decimals);
}

std::string without_raw_html(std::string_view s) {
  // Whether an entity starts at `at`: '&', a name or '#' and digits, ';' ("&lt;", "&#60;").
  const auto entity_at = [&](std::size_t at) {
    std::size_t end = at + 1;
    if (end < s.size() && s[end] == '#') ++end;
    const std::size_t name = end;
    while (end < s.size() && std::isalnum(static_cast<unsigned char>(s[end])) != 0) ++end;
    return end > name && end < s.size() && s[end] == ';';
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    // Only an '&' that begins an entity: "R&D" reads as written, in a code span as well.
    const bool entity = s[i] == '&' && entity_at(i);
    out += s[i] == '<' ? "&lt;" : entity ? "&amp;" : std::string(1, s[i]);
  }
  return out;
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return text;
}

VerdictTexts verdict_texts(const CriterionVerdict& v) {
  const auto text = [&](const std::optional<double>& x, int more) -> std::string {
    if (!x) return "-";
    if (!std::isfinite(*x)) return fmt::format("{}", *x);
    // A count or a fact without a unit (memory.gib, burn.duration_s): whole numbers as they are,
    // others to six significant digits, not to a double's seventeen.
    if (v.unit.empty()) {
      if (*x == std::round(*x) && std::fabs(*x) < 1e15) return fmt::format("{:.0f}", *x);
      return fmt::format("{:.{}g}", *x, 6 + more);
    }
    const std::string number = short_number(*x, more);
    return v.unit == "%" ? number + "%" : number + " " + v.unit;
  };
  VerdictTexts t;
  for (int more = 0; more <= 6; ++more) {
    t.measured = text(v.measured, more);
    t.bound = text(v.bound, more);
    if (t.measured != t.bound || !v.measured || !v.bound || *v.measured == *v.bound) break;
  }
  if (v.margin_percent) {
    const double m = *v.margin_percent;
    // Exactly on the bound has no side (a strict bound it fails): no sign, not "+0.0%".
    t.margin = m == 0                ? std::string("0.0%")
               : std::fabs(m) < 0.05 ? fmt::format("{:+.1g}%", m)
                                     : fmt::format("{:+.1f}%", m);
  } else {
    t.margin = "-";
  }
  return t;
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

std::string cv_text(const Statistics& s, int decimals) {
  if (s.samples < 2) return "n/a";
  return fmt::format("{:.{}f}%", s.cv * 100, decimals);
}

std::string ratio(double v) {
  // Under 0.01 (a GPU far slower than the CPU at a small size) two decimals would read 0.00.
  if (v > 0 && v < 0.01) return "<0.01×";
  return fmt::format("{:.2f}×", v);
}

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

std::string peak_text(const Peak& p, Precision precision) {
  std::string text = p.gflops ? fmt::format("{} {}", short_number(*p.gflops),
                                            headline_unit(Bound::compute, precision))
                              : "unknown";
  if (!p.basis.empty()) text += fmt::format(" ({})", p.basis);
  return text;
}

std::string or_unknown(const std::string& s) { return s.empty() ? "unknown" : s; }

std::string list_or(const std::vector<std::string>& items, std::string_view none) {
  return items.empty() ? std::string(none) : fmt::format("{}", fmt::join(items, ", "));
}

std::string incomplete_run_note(const RunInfo& run) {
  const auto note = [&](std::string_view interrupted, std::string_view unfinished) {
    return std::string(run.interrupted ? interrupted : run.finished_utc.empty() ? unfinished : "");
  };
  // A burn-in and a memory test have no measurements to list as skipped or missing.
  if (run.profile == kBurnProfile) {
    return note(
        "the burn-in was interrupted before its duration ended: it is no pass, whatever its "
        "devices' verdicts until then.",
        "the burn-in did not finish (it was killed, or is still under way): its series end at the "
        "last progress line, and it is no pass.");
  }
  if (run.profile == kMemtestProfile) {
    return note(
        "the memory test was interrupted before it finished: it is no pass, whatever its GPUs' "
        "verdicts until then.",
        "the memory test did not finish (it was killed, or is still under way): its figures are "
        "those of the last pass it wrote, and it is no pass.");
  }
  return note(
      "the run was interrupted before it finished; measurements it did not take are listed as "
      "skipped.",
      "the run did not finish (it was killed, or is still under way); measurements after the last "
      "one listed are missing.");
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

// ---- tables -----------------------------------------------------------------------------------

std::string Table::markdown() const {
  // A pipe ends a cell and a newline ends the table; no control character reaches the file.
  const auto escape = [](const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '|') {
        out += "\\|";
      } else {
        out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
      }
    }
    return out;
  };
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : rows) {
    cells.emplace_back();
    for (const auto& cell : row) cells.back().push_back(escape(cell));
  }
  const auto w = column_widths(columns, 3, cells);
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

std::string Table::plain() const {
  const auto w = column_widths(columns, 0, rows);
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
  // A line break or a tab in a cell (a reason from a results file) would break its row; other
  // control characters are the console's to strip (strip_terminal_controls).
  const auto on_its_row = [](std::string cell) {
    std::replace_if(
        cell.begin(), cell.end(),
        [](char c) { return c != ' ' && std::isspace(static_cast<unsigned char>(c)) != 0; }, ' ');
    return cell;
  };
  for (const auto& row : rows) out += line([&](std::size_t c) { return on_its_row(row[c]); });
  return out;
}

std::string Table::html() const {
  const auto cell = [](std::string_view tag, const Column& col, const std::string& text) {
    return fmt::format("<{0}{1}>{2}</{0}>", tag, col.right ? " class=\"num\"" : "",
                       html_escape(text));
  };
  std::string out = "<table>\n<thead><tr>";
  for (const auto& col : columns) out += cell("th", col, col.title);
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (std::size_t c = 0; c < columns.size(); ++c) out += cell("td", columns[c], row[c]);
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

std::vector<Table> gpu_health_tables(const MachineHealth& h) {
  std::vector<const GpuHealth*> gpus;
  for (const auto& g : h.gpus) gpus.push_back(&g);
  std::vector<Table> tables;
  if (gpus.empty()) return tables;
  for (const auto& row : gpu_health_rows(gpus)) {
    // A group's table is where its first fact is, and holds all of its facts.
    auto t = std::find_if(tables.begin(), tables.end(),
                          [&](const Table& x) { return x.columns.front().title == row.group; });
    if (t == tables.end()) {
      t = tables.emplace(tables.end());
      t->columns.push_back({std::string(row.group)});
      for (const auto* g : gpus) t->columns.push_back({health_gpu_label(h, *g)});
    }
    std::vector<std::string> cells = {row.name};
    for (const auto* g : gpus) cells.push_back(gpu_fact_text(*g, row.name));
    t->rows.push_back(std::move(cells));
  }
  return tables;
}

std::vector<std::string> group_notes(const Group& g, const Environment& env) {
  std::vector<std::string> notes, peaks;
  // The inventory's peak of the record's device, where it has one: a matrix format has none, nor
  // has a machine aggregate of several GPUs.
  const auto inventory_peak = [&](const MeasurementRecord& r) -> const Peak* {
    if (r.device.kind == DeviceKind::cpu) return peak_at(env.cpu, g.precision);
    if (r.device.gpus.size() != 1) return nullptr;
    for (const GpuDevice& d : env.gpu.devices) {
      if (d.index == r.device.gpus.front()) return peak_at(d, g.precision);
    }
    return nullptr;
  };
  for (const auto* r : g.records) {
    const Peak* listed = inventory_peak(*r);
    const bool as_listed =
        listed && listed->gflops == r->peak.gflops && listed->basis == r->peak.basis;
    if (!as_listed && r->percent_of_peak && r->peak.gflops) {
      const std::string peak =
          fmt::format("peak on {}: {} {} ({})", r->device, short_number(*r->peak.gflops),
                      headline_unit(Bound::compute, g.precision), r->peak.basis);
      if (std::find(peaks.begin(), peaks.end(), peak) == peaks.end()) peaks.push_back(peak);
    }
    for (const auto& note : r->notes) {
      notes.push_back(fmt::format("{} on {}, {}: {}", implementation_label(*r), r->device,
                                  r->problem.label(), note));
    }
  }
  notes.insert(notes.end(), peaks.begin(), peaks.end());
  return notes;
}

Table group_table(const Group& g) {
  const auto any = [&](auto has) { return std::any_of(g.records.begin(), g.records.end(), has); };
  const bool bandwidth = info(g.workload).bound == Bound::bandwidth;
  const bool show_gbs = bandwidth && any([](const auto* r) { return r->gbytes_per_s.has_value(); });
  const bool show_gflops = any([](const auto* r) { return r->gflops.has_value(); });
  const bool show_peak = any([](const auto* r) { return r->percent_of_peak.has_value(); });

  Table t;
  t.columns = {{"Problem"}, {"Implementation"}, {"Device"}, {"Median", true}};
  // The memory-bound workloads lead with GB/s.
  if (show_gbs && bandwidth) t.columns.push_back({"GB/s", true});
  if (show_gflops)
    t.columns.push_back({std::string(headline_unit(Bound::compute, g.precision)), true});
  if (show_gbs && !bandwidth) t.columns.push_back({"GB/s", true});
  if (show_peak) t.columns.push_back({"% of peak", true});
  t.columns.insert(t.columns.end(), {{"CV", true}, {"Samples", true}, {"Result"}});

  for (const auto* r : g.records) {
    const bool ok = median_s(*r).has_value();
    std::vector<std::string> row = {r->problem.label(), implementation_label(*r), r->device.label(),
                                    ok ? duration(r->stats->median) : "-"};
    const auto value = [&](const std::optional<double>& v) {
      row.push_back(ok ? optional_value(v) : "-");
    };
    if (show_gbs && bandwidth) value(r->gbytes_per_s);
    if (show_gflops) value(r->gflops);
    if (show_gbs && !bandwidth) value(r->gbytes_per_s);
    if (show_peak) row.push_back(ok ? percent(r->percent_of_peak) : "-");
    row.push_back(ok ? cv_text(*r->stats, 2) : "-");
    row.push_back(ok ? samples_text(*r) : "-");
    row.push_back(result_text(*r));
    t.rows.push_back(std::move(row));
  }
  return t;
}

const MeasurementRecord* best_throughput(const Group& g, DeviceKind kind) {
  const MeasurementRecord* best = nullptr;
  for (const MeasurementRecord* r : g.records) {
    if (r->device.kind != kind || !median_s(*r) || !headline(*r) || machine_aggregate(*r) ||
        !end_to_end_text(r->timing).empty())
      continue;
    if (!best || headline(*best)->value < headline(*r)->value) best = r;
  }
  return best;
}

bool Matchup::one_problem() const {
  return !info(group->workload).counted_flops && gpu->problem == cpu->problem;
}

double Matchup::speedup() const {
  if (one_problem()) return cpu->stats->median / gpu->stats->median;
  return headline(*gpu)->value / headline(*cpu)->value;
}

std::string Matchup::problem_text(std::string_view each_its_own) const {
  if (one_problem()) return gpu->problem.label();
  // peak's chains are as long on both, but each device runs as many as fill it.
  if (gpu->problem == cpu->problem) return gpu->problem.label() + " (each device's own work)";
  return fmt::format(fmt::runtime(each_its_own), gpu->problem.label(), cpu->problem.label());
}

std::vector<Matchup> gpu_vs_cpu(const std::vector<Group>& groups) {
  std::vector<Matchup> out;
  for (const auto& g : groups) {
    const std::size_t before = out.size();
    if (!info(g.workload).counted_flops) {
      for (const auto& p : problems_of(g)) {
        // Device time, as best_throughput's: an end-to-end run is the crossover's business.
        const auto* gpu = fastest(g.records, p, [](const auto& r) {
          return on_gpu(r) && !machine_aggregate(r) && end_to_end_text(r.timing).empty();
        });
        const auto* cpu = fastest(g.records, p, [](const auto& r) { return !on_gpu(r); });
        if (gpu && cpu) out.push_back({&g, gpu, cpu});
      }
    }
    if (out.size() > before) continue;
    const auto* gpu = best_throughput(g, DeviceKind::gpu);
    const auto* cpu = best_throughput(g, DeviceKind::cpu);
    if (gpu && cpu && headline(*cpu)->value > 0) out.push_back({&g, gpu, cpu});
  }
  return out;
}

Table gpu_vs_cpu_table(const Environment& env, const std::vector<Group>& groups) {
  Table t;
  t.columns = {{"Workload"},     {"Problem"},
               {"Best GPU"},     {"GPU throughput", true},
               {"Best CPU"},     {"CPU throughput", true},
               {"Speedup", true}};
  for (const auto& m : gpu_vs_cpu(groups)) {
    // The speedup holds at this size; the GB/s of a side within its cache are not memory's.
    const bool partly_cache = within_cache(env, *m.gpu) || within_cache(env, *m.cpu);
    t.rows.push_back(
        {group_title(*m.group), m.problem_text() + (partly_cache ? " (partly cache)" : ""),
         fmt::format("{} ({})", implementation_label(*m.gpu), m.gpu->device),
         flagged_throughput(*m.gpu), fmt::format("{} ({})", m.cpu->implementation, m.cpu->device),
         flagged_throughput(*m.cpu), ratio(m.speedup())});
  }
  return t;
}

std::optional<double> MatrixFigure::gpu_over_cpu() const {
  if (!gpu || !cpu || !gpu->gflops || !cpu->gflops || *cpu->gflops <= 0) return std::nullopt;
  return *gpu->gflops / *cpu->gflops;
}

std::vector<MatrixFigure> matrix_figures(const std::vector<Group>& groups) {
  std::vector<MatrixFigure> out;
  for (const auto& g : groups) {
    if (g.workload != WorkloadId::gemm || !is_matrix_precision(g.precision)) continue;
    const MatrixFigure f{g.precision, best_throughput(g, DeviceKind::cpu),
                         best_throughput(g, DeviceKind::gpu)};
    if (f.cpu || f.gpu) out.push_back(f);  // a format nothing ran is in the results tables
  }
  return out;
}

Table matrix_table(const std::vector<MatrixFigure>& figures) {
  Table t;
  t.columns = {{"Precision"}, {"Best CPU"},  {"CPU", true},           {"CPU % of peak", true},
               {"Best GPU"},  {"GPU", true}, {"GPU % of peak", true}, {"GPU / CPU", true}};
  const auto side = [](const MeasurementRecord* r) -> std::array<std::string, 3> {
    if (!r) return {"-", "-", "-"};
    return {fmt::format("{} ({}, {})", r->implementation, r->device, r->problem.label()),
            flagged_throughput(*r), percent(r->percent_of_peak)};
  };
  for (const auto& f : figures) {
    const auto cpu = side(f.cpu);
    const auto gpu = side(f.gpu);
    const auto r = f.gpu_over_cpu();
    t.rows.push_back({std::string(precision_label(f.precision)), cpu[0], cpu[1], cpu[2], gpu[0],
                      gpu[1], gpu[2], r ? ratio(*r) : "-"});
  }
  return t;
}

std::string csv_field(std::string_view s) {
  // A text cell that starts like a formula would run as one in a spreadsheet: a leading
  // apostrophe keeps it text (OWASP's guard, tab and carriage return included). Numbers ("-1.5",
  // "-inf") stay as they are.
  if (!s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos) {
    const std::string text(s);
    char* end = nullptr;
    std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) return csv_field("'" + text);
  }
  const bool padded = !s.empty() && (std::isspace(static_cast<unsigned char>(s.front())) ||
                                     std::isspace(static_cast<unsigned char>(s.back())));
  if (s.find_first_of(",\"\r\n") == std::string_view::npos && !padded) return std::string(s);
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace flopbench
