#include "reports/html_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "reports/acceptance_report.hpp"
#include "reports/burn_report.hpp"
#include "reports/crossover.hpp"
#include "reports/format.hpp"
#include "reports/utf8.hpp"

namespace flopbench {
namespace {

// Fonts present on most systems, CJK ones included so that Chinese text (the sheet) renders
// without a downloaded font.
constexpr std::string_view kBaseCss = R"(:root { --cpu: #2f6db5; --gpu: #3b8f3b; --ratio: #b5642f; }
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans",
  "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
  font-size: 14px; line-height: 1.4; color: #1a1a1a; background: #fff;
  max-width: 1100px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 18px; border-bottom: 1px solid #bbb; margin: 28px 0 8px; padding-bottom: 2px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 12.5px; }
th, td { border: 1px solid #d0d0d0; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font-family: ui-monospace, "DejaVu Sans Mono", "Noto Sans Mono", monospace;
  font-size: 12px; background: #f4f4f4; padding: 0 3px; overflow-wrap: anywhere; }
.note { color: #555; font-size: 12.5px; }
.pass { color: #1d6b1d; font-weight: 600; }
.fail { color: #a31515; font-weight: 600; }
.warn { color: #8a5a00; font-weight: 600; }
.banner { border: 1px solid #999; border-left-width: 6px; padding: 6px 12px; margin: 10px 0; }
.banner.fail { border-color: #a31515; }
.banner.pass { border-color: #1d6b1d; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 4px 0 12px; }
svg.chart text { font-size: 11px; fill: #1a1a1a; }
svg.chart .grid { stroke: #dcdcdc; stroke-width: 1; }
svg.chart .marker { stroke: #a31515; stroke-width: 1.2; stroke-dasharray: 4 3; }
svg.chart .value { paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg.chart .cpu { fill: var(--cpu); }
svg.chart .gpu { fill: var(--gpu); }
svg.chart .ratio { fill: var(--ratio); }
.key { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px; }
.key.cpu { background: var(--cpu); } .key.gpu { background: var(--gpu); }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 11px; }
  h2 { break-after: avoid; }
  table, svg.chart, .banner { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)";

// report.html's own: eight GPUs' UUIDs are wider than the page, so the cells of the health
// tables wrap rather than the page scroll sideways.
constexpr std::string_view kReportCss = R"(.health td { overflow-wrap: anywhere; }
.health td:first-child, .health th:first-child { white-space: nowrap; }
)";

// ---- charts -----------------------------------------------------------------------------------

constexpr double kChartWidth = 760;
constexpr double kLabelWidth = 270;  // labels end here, right-aligned
constexpr double kPlotWidth = 380;   // then the bars; their values follow them
constexpr double kRowHeight = 20;
constexpr double kBarHeight = 13;
constexpr double kTop = 6;
constexpr double kAxisHeight = 30;

std::string_view css_class(BarKind kind) {
  switch (kind) {
    case BarKind::cpu:
      return "cpu";
    case BarKind::gpu:
      return "gpu";
    case BarKind::ratio:
      return "ratio";
  }
  return "cpu";
}

// Maps values to x offsets in [0, kPlotWidth] and lists the grid lines.
struct Axis {
  bool log = false;
  double lo = 0, hi = 1;  // the domain; log: powers of ten
  std::vector<double> ticks;

  // Where v lies along the axis, from 0 to 1.
  double fraction(double v) const {
    const double f =
        log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : v / hi;
    return std::clamp(f, 0.0, 1.0);
  }
  double x(double v) const { return fraction(v) * kPlotWidth; }
};

// From the power of ten at or below min_value to the one at or above max_value.
Axis log_axis(double min_value, double max_value) {
  Axis a;
  a.log = true;
  // The top is 1e308 at the most, the largest power of ten a double holds (unless the bottom is
  // that already): above it (a file's 1.7e308 GFLOP/s) it would be infinite.
  const double lo = std::floor(std::log10(min_value));
  const double hi = std::max(lo + 1, std::min(308.0, std::ceil(std::log10(max_value))));
  a.lo = std::pow(10.0, lo);
  a.hi = std::pow(10.0, hi);
  for (double e = lo; e <= hi; ++e) a.ticks.push_back(std::pow(10.0, e));
  return a;
}

Axis axis_for(double min_value, double max_value) {
  // A log axis needs every value above 0 (a 0 would start its ticks at minus infinity).
  if (min_value > 0 && max_value / min_value > kLogScaleRange) {
    return log_axis(min_value, max_value);
  }
  max_value = chartable_top(max_value);
  Axis a;
  const double step = nice_step(max_value / 5);
  a.hi = std::ceil(max_value / step) * step;
  // Rounded up past the largest double (a file's 1.7e308 GFLOP/s), the top would be infinite,
  // and counting ticks up to it would never end: the axis ends at the value itself then.
  if (!std::isfinite(a.hi)) a.hi = max_value;
  const auto steps = static_cast<int>(std::floor(a.hi / step * (1 + 1e-9)));
  for (int i = 0; i <= steps; ++i) a.ticks.push_back(i * step);
  return a;
}

// ---- the sweep's chart: time per run against size, both axes logarithmic ----------------------

constexpr double kSweepLeft = 78;  // the time axis's labels and title are left of this
constexpr double kSweepPlotWidth = 600;
constexpr double kSweepPlotHeight = 260;
constexpr double kSweepLegendRow = 16;  // the legend, below the plot: a row per line and marker
constexpr std::array kLineColours = {"#2f6db5", "#3b8f3b", "#b5642f", "#7b3fb5",
                                     "#b53f6d", "#2f9fa5", "#8a7a00", "#555555"};

struct SweepLine {
  std::string label;  // "openblas · cpu", "cublas · gpu0 · GPU device time, ..."
  bool gpu = false;   // drawn dashed
  std::vector<std::pair<double, double>> points;  // (size, median time), ascending size
};

struct SweepMarker {
  double size;
  std::string label;
};

std::string sweep_chart_svg(const std::string& title, std::string_view size_unit,
                            const std::vector<SweepLine>& lines,
                            const std::vector<SweepMarker>& markers) {
  double size_lo = 0, size_hi = 0, time_lo = 0, time_hi = 0;
  bool first = true;
  for (const auto& line : lines) {
    for (const auto& [size, time] : line.points) {
      size_lo = first ? size : std::min(size_lo, size);
      size_hi = first ? size : std::max(size_hi, size);
      time_lo = first ? time : std::min(time_lo, time);
      time_hi = first ? time : std::max(time_hi, time);
      first = false;
    }
  }
  if (first) return "";
  const Axis xs = log_axis(size_lo, size_hi);
  const Axis ys = log_axis(time_lo, time_hi);
  const auto px = [&](double size) { return kSweepLeft + xs.fraction(size) * kSweepPlotWidth; };
  const auto py = [&](double time) { return kTop + (1 - ys.fraction(time)) * kSweepPlotHeight; };
  const double bottom = kTop + kSweepPlotHeight;
  const double legend_top = bottom + kAxisHeight + 14;
  const double height =
      legend_top + kSweepLegendRow * static_cast<double>(lines.size() + markers.size());

  std::string out = fmt::format(
      "<svg class=\"chart\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "role=\"img\" aria-label=\"{2}\">\n",
      kChartWidth, height, html_escape(title));
  const std::vector<std::string> size_labels = tick_labels(xs.ticks);
  for (std::size_t i = 0; i < xs.ticks.size(); ++i) {
    out += fmt::format(
        "<line class=\"grid\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        px(xs.ticks[i]), kTop, bottom, bottom + 13, size_labels[i]);
  }
  for (const double t : ys.ticks) {
    out += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        kSweepLeft, py(t), kSweepLeft + kSweepPlotWidth, kSweepLeft - 4, py(t) + 4,
        html_escape(duration(t)));
  }
  out += fmt::format(
      "<text x=\"{0:.1f}\" y=\"{1}\" text-anchor=\"middle\">{2} (log scale)</text>\n"
      "<text transform=\"translate(12 {3:.1f}) rotate(-90)\" text-anchor=\"middle\">time per "
      "run (log scale)</text>\n",
      kSweepLeft + kSweepPlotWidth / 2, bottom + kAxisHeight - 4, html_escape(size_unit),
      kTop + kSweepPlotHeight / 2);
  for (const auto& m : markers) {
    out += fmt::format(
        "<g><title>{0}</title><line class=\"marker\" x1=\"{1:.1f}\" y1=\"{2}\" "
        "x2=\"{1:.1f}\" y2=\"{3}\"/></g>\n",
        html_escape(m.label), px(m.size), kTop, bottom);
  }
  const double legend_x = kSweepLeft;
  double legend_y = legend_top;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    const std::string_view colour = kLineColours[i % kLineColours.size()];
    const std::string dash = line.gpu ? " stroke-dasharray=\"6 3\"" : "";
    std::string path;
    for (const auto& [size, time] : line.points)
      path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "" : " ", px(size), py(time));
    out += fmt::format(
        "<g><title>{0}</title><polyline points=\"{1}\" fill=\"none\" stroke=\"{2}\" "
        "stroke-width=\"1.8\"{3}/>",
        html_escape(line.label), path, colour, dash);
    for (const auto& [size, time] : line.points) {
      out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.2\" fill=\"{}\"/>", px(size),
                         py(time), colour);
    }
    out += fmt::format(
        "</g>\n<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" "
        "stroke=\"{3}\" stroke-width=\"1.8\"{4}/><text x=\"{5:.1f}\" y=\"{6:.1f}\">{7}</text>\n",
        legend_x, legend_y, legend_x + 22, colour, dash, legend_x + 27, legend_y + 4,
        html_escape(line.label));
    legend_y += kSweepLegendRow;
  }
  for (const auto& m : markers) {
    out += fmt::format(
        "<line class=\"marker\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" "
        "y2=\"{1:.1f}\"/><text x=\"{3:.1f}\" y=\"{4:.1f}\">{5}</text>\n",
        legend_x, legend_y, legend_x + 22, legend_x + 27, legend_y + 4, html_escape(m.label));
    legend_y += kSweepLegendRow;
  }
  return out + "</svg>\n";
}

// ---- the report's sections ----------------------------------------------------------------------

std::string facts_table(const Facts& facts) {
  std::string out = "<table>\n";
  for (const auto& [label, value] : facts) {
    out += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", html_escape(label), html_escape(value));
  }
  return out + "</table>\n";
}

std::string header_section(const ResultsDocument& doc) {
  const auto& env = doc.environment;
  const auto& run = doc.run;
  std::string out =
      fmt::format("<h1>flopbench {} report</h1>\n", html_escape(or_unknown(env.flopbench_version)));
  if (const std::string note = incomplete_run_note(run); !note.empty()) {
    out += fmt::format("<p class=\"banner fail\"><strong>Incomplete:</strong> {}</p>\n",
                       html_escape(note));
  }
  Facts facts = {
      {"Date (UTC)",
       fmt::format("{} to {}", or_unknown(run.started_utc), or_unknown(run.finished_utc))},
      {"Host", host_text(env)},
  };
  // As report.md: the launcher's task, and which run of a --repeat this is.
  if (!run.launch.launcher.empty()) facts.emplace_back("Task", launch_text(run.launch));
  facts.emplace_back("Command", shell_command(run.command_line));
  if (run.replicate) facts.emplace_back("Replicate", replicate_text(run));
  facts.insert(facts.end(), {{"Run", fmt::format("profile {}, seed {}, {}", or_unknown(run.profile),
                                                 run.seed, counted(run.threads, "thread"))},
                             {"Build", build_text(env)},
                             {"Libraries", list_or(library_items(env), "none recorded")},
                             {"OpenMP", list_or(openmp_items(env), "none recorded")}});
  out += facts_table(facts);
  return out;
}

std::string verdict_class(Verdict verdict) {
  switch (verdict) {
    case Verdict::pass:
      return "pass";
    case Verdict::fail:
      return "fail";
    case Verdict::warn:
      return "warn";
  }
  throw std::logic_error("unknown verdict");
}

std::string acceptance_section(const AcceptanceResult& a) {
  std::string out = "<h2 id=\"acceptance\">Acceptance</h2>\n";
  out += fmt::format(
      "<p class=\"banner {}\"><strong>{}</strong>: {} criteria judged against spec "
      "<code>{}</code> at {}: {}.</p>\n",
      a.passed ? "pass" : "fail", a.passed ? "Accepted" : "Not accepted", a.criteria.size(),
      html_escape(a.spec), html_escape(or_unknown(a.checked_utc)), html_escape(criteria_counts(a)));
  out +=
      "<table>\n<thead><tr><th>Criterion</th><th>Requirement</th><th class=\"num\">Measured</th>"
      "<th class=\"num\">Bound</th><th class=\"num\">Margin</th><th>Severity</th><th>Verdict</th>"
      "<th>Reason</th></tr></thead>\n<tbody>\n";
  for (const auto& c : a.criteria) {
    const VerdictTexts texts = verdict_texts(c);
    out += fmt::format(
        "<tr><td><code>{}</code>{}</td><td>{} {}</td><td class=\"num\">{}</td><td "
        "class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"{}\">{}</td>"
        "<td>{}</td></tr>\n",
        html_escape(c.metric),
        c.description.empty()
            ? ""
            : "<br><span class=\"note\">" + html_escape(c.description) + "</span>",
        html_escape(c.comparator), html_escape(c.bound_text), html_escape(texts.measured),
        html_escape(texts.bound), html_escape(texts.margin), to_string(c.severity),
        verdict_class(c.verdict), to_string(c.verdict), html_escape(c.reason));
  }
  out += "</tbody>\n</table>\n";
  if (!a.not_applied.empty()) {
    out +=
        "<p class=\"note\">Not judged, the spec's rows for GPUs this run did not have:</p>\n<ul>\n";
    for (const auto& row : a.not_applied) out += "<li>" + html_escape(row) + "</li>\n";
    out += "</ul>\n";
  }
  return out;
}

std::string legend() {
  return "<p class=\"note\">Bars:<span class=\"key cpu\"></span>CPU<span class=\"key "
         "gpu\"></span>GPU</p>\n";
}

std::string glance_section(const ResultsDocument& doc, const std::vector<Group>& groups) {
  std::string out = "<h2 id=\"gpu-vs-cpu\">GPU vs CPU</h2>\n";
  const auto matchups = gpu_vs_cpu(groups);
  const std::string no_gpu = no_gpu_reason(doc.environment.gpu);
  if (!no_gpu.empty()) {
    out += fmt::format("<p class=\"banner\">No CUDA device: {}. CPU figures only.</p>\n",
                       html_escape(no_gpu));
  }
  if (matchups.empty()) {
    if (no_gpu.empty()) {
      out +=
          "<p>No workload passed on both a GPU and the CPU, so there is no speedup to show.</p>\n";
    }
    return out;
  }
  out += fmt::format("<p>{} The dashed line is 1×.</p>\n", html_escape(kGpuVsCpuIntro));
  BarChart chart{"GPU/CPU speedup", "speedup (×)", {}, 1.0};
  for (const auto& m : matchups) {
    // Each side's own size is in the table below.
    const std::string label =
        m.one_problem() ? fmt::format("{} {}", group_title(*m.group), m.gpu->problem.label())
                        : group_title(*m.group);
    chart.bars.push_back({label, m.speedup(), ratio(m.speedup()), BarKind::ratio});
  }
  return out + bar_chart_svg(chart) + gpu_vs_cpu_table(doc.environment, groups).html();
}

std::string matrix_section(const std::vector<Group>& groups) {
  const auto figures = matrix_figures(groups);
  if (figures.empty()) return "";
  return fmt::format("<h2 id=\"matrix\">Matrix (tensor) throughput</h2>\n<p>{}</p>\n{}",
                     html_escape(kMatrixIntro), matrix_table(figures).html());
}

// The sweep: per workload and precision, every implementation's time against size with the
// crossovers marked, then each crossover's table.
std::string crossover_section(const ResultsDocument& doc, const std::vector<Group>& groups) {
  const auto found = crossovers(doc);
  if (found.empty()) return "";
  std::string out =
      "<h2 id=\"crossover\">Crossover: where the GPU beats the CPU</h2>\n<p>Median time per run "
      "against problem size, both axes logarithmic: a solid line per CPU implementation, a dashed "
      "one per GPU implementation and timing. The crossover is the smallest size from which the "
      "GPU is faster than the fastest CPU implementation at every larger size measured, "
      "interpolated between grid points (dashed red line); speedup = CPU median / GPU "
      "median.</p>\n";
  for (const std::string& latency : launch_latency_sentences(doc.environment.gpu))
    out += fmt::format("<p>{}</p>\n", html_escape(latency));
  for (const auto& g : groups) {
    std::vector<const Crossover*> mine;
    for (const auto& c : found) {
      if (c.workload == g.workload && c.precision == g.precision) mine.push_back(&c);
    }
    if (mine.empty()) continue;
    std::vector<SweepLine> lines;
    for (const auto* r : g.records) {
      if (!median_s(*r) || machine_aggregate(*r)) continue;
      std::string label = fmt::format("{} · {}", r->implementation, r->device);
      if (on_gpu(*r)) label += " · " + gpu_timing_text(r->timing);
      auto line = std::find_if(lines.begin(), lines.end(),
                               [&](const SweepLine& l) { return l.label == label; });
      if (line == lines.end()) line = lines.insert(lines.end(), {label, on_gpu(*r), {}});
      line->points.emplace_back(sweep_size(r->problem), *median_s(*r));
    }
    std::vector<SweepMarker> markers;
    std::string sentences;
    for (const auto* c : mine) {
      if (c->finding.size) {
        markers.push_back(
            {*c->finding.size, fmt::format("crossover, {}: {}", gpu_timing_text(c->gpu_timing),
                                           crossover_size_text(*c))});
      }
      sentences += fmt::format("<li>{}: {}</li>\n", html_escape(gpu_timing_text(c->gpu_timing)),
                               html_escape(crossover_sentence(*c)));
    }
    for (auto& line : lines) std::sort(line.points.begin(), line.points.end());
    const std::string title = "Time per run of " + group_title(g);
    const bool matrix = info(g.workload).size_kind == SizeKind::matrix;
    out +=
        fmt::format("<h3>{}</h3>\n<ul>\n{}</ul>\n{}", html_escape(group_title(g)), sentences,
                    sweep_chart_svg(title, matrix ? "n (n × n × n)" : "elements", lines, markers));
    for (const auto* c : mine) {
      out += fmt::format("<p class=\"note\">{}</p>\n{}", html_escape(crossover_title(*c)),
                         crossover_table(*c).html());
    }
  }
  return out;
}

std::string throughput_section(const std::vector<Group>& groups) {
  std::string out =
      "<h2 id=\"throughput\">Throughput</h2>\n<p>Median throughput of every passed measurement: "
      "GB/s for memory-bound workloads, GFLOP/s otherwise. An axis marked log is "
      "logarithmic.</p>\n" +
      legend();
  bool any = false;
  for (const auto& g : groups) {
    BarChart chart{"Throughput of " + group_title(g), "", {}, std::nullopt};
    for (const auto* r : g.records) {
      const auto h = headline(*r);
      if (!median_s(*r) || !h || h->value <= 0) continue;
      chart.axis = std::string(h->unit);
      chart.bars.push_back(
          {fmt::format("{} · {} · {}", implementation_label(*r), r->device, r->problem.label()),
           h->value, throughput(h), on_gpu(*r) ? BarKind::gpu : BarKind::cpu});
    }
    if (chart.bars.empty()) continue;
    any = true;
    out += fmt::format("<h3>{}</h3>\n{}", html_escape(group_title(g)), bar_chart_svg(chart));
  }
  return any ? out : out + "<p>No measurement passed.</p>\n";
}

std::string peak_section(const std::vector<Group>& groups) {
  BarChart chart{"Percent of theoretical peak", "% of theoretical peak", {}, 100.0};
  for (const auto& g : groups) {
    for (const auto* r : g.records) {
      // A % of the peak workload's measured rate (no theoretical peak known) is not of this
      // chart: the results table shows it with its basis.
      if (!median_s(*r) || !r->percent_of_peak || *r->percent_of_peak <= 0 ||
          r->peak.is_measured_ceiling()) {
        continue;
      }
      chart.bars.push_back(
          {fmt::format("{} {} · {} · {}", workload_title(r->workload, r->precision),
                       implementation_label(*r), r->device, r->problem.label()),
           *r->percent_of_peak, percent(r->percent_of_peak),
           on_gpu(*r) ? BarKind::gpu : BarKind::cpu});
    }
  }
  if (chart.bars.empty()) return "";
  return "<h2 id=\"peak\">Percent of theoretical peak</h2>\n<p>GFLOP/s divided by the theoretical "
         "peak of what the measurement ran on: its device, counting only the CPU threads it used "
         "(a small GEMM runs on one), and for a matrix format the path it took (tensor cores, "
         "AMX). The inventory gives the FP32 and FP64 peaks' bases, the results table each "
         "measurement's own; the dashed line is 100%.</p>\n" +
         legend() + bar_chart_svg(chart);
}

std::string inventory_section(const Environment& env) {
  std::string out =
      "<h2 id=\"inventory\">Inventory</h2>\n<h3>CPU</h3>\n" + facts_table(cpu_facts(env.cpu));
  const auto& gpu = env.gpu;
  out += "<h3>GPUs</h3>\n";
  if (const auto versions = cuda_versions(gpu); !versions.empty()) {
    out += fmt::format("<p>{}.</p>\n", html_escape(versions));
  }
  if (gpu.devices.empty()) {
    out += fmt::format("<p>No CUDA device: {}</p>\n", html_escape(no_gpu_reason(gpu)));
    return out;
  }
  return out + facts_table(gpu_facts(gpu));
}

// As report.md's: the host's facts, then a table per group of GPU facts, a column per GPU.
std::string health_section(const Environment& env) {
  if (!env.health) return "";
  const MachineHealth& h = *env.health;
  std::string out = fmt::format("<h2 id=\"health\">Health</h2>\n<p>{}</p>\n<h3>Host facts</h3>\n{}",
                                html_escape(kHealthIntro), facts_table(health_host_facts(h)));
  if (h.gpus.empty()) return out;
  Facts gpus;
  for (const auto& g : h.gpus) gpus.emplace_back(health_gpu_label(h, g), health_gpu_text(g));
  out += "<h3>GPU facts</h3>\n" + facts_table(gpus);
  out += "<div class=\"health\">\n";
  for (const Table& t : gpu_health_tables(h)) out += t.html();
  return out + "</div>\n";
}

std::string results_section(const ResultsDocument& doc, const std::vector<Group>& groups) {
  std::string out =
      "<h2 id=\"results\">Results</h2>\n<p>Median time per run; throughput from the median. Only "
      "passed measurements report numbers.</p>\n";
  if (const std::string sampling = sampling_text(doc); !sampling.empty())
    out += "<p>" + html_escape(sampling) + "</p>\n";
  if (groups.empty()) return out + "<p>No measurements.</p>\n";
  for (const std::string& line : not_run_without_gpu(doc))
    out += "<p>" + html_escape(line) + ".</p>\n";
  for (const auto& g : without_gpu_less_work(groups)) {
    out += fmt::format("<h3>{}</h3>\n{}", html_escape(group_title(g)), group_table(g).html());
    std::string notes;
    for (const std::string& note : group_notes(g, doc.environment))
      notes += "<li>" + html_escape(note) + "</li>\n";
    if (!notes.empty())
      out += "<p class=\"note\">Notes:</p>\n<ul class=\"note\">\n" + notes + "</ul>\n";
  }
  return out;
}

std::string not_passed_section(const ResultsDocument& doc) {
  std::string items;
  for (const auto& r : doc.measurements) {
    if (passed(r) || r.device.no_gpu()) continue;
    items += fmt::format("<li>{}: {}</li>\n", html_escape(where(r)), html_escape(result_text(r)));
  }
  for (const std::string& line : not_run_without_gpu(doc))
    items += "<li>" + html_escape(line) + "</li>\n";
  return "<h2 id=\"not-passed\">Not passed</h2>\n" +
         (items.empty() ? "<p>Every measurement passed.</p>\n" : "<ul>\n" + items + "</ul>\n");
}

}  // namespace

std::string html_page(std::string_view lang, std::string_view title, std::string_view css,
                      std::string_view body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta "
      "name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n"
      "<style>\n{}{}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
      lang, html_escape(title), kBaseCss, css, body);
}

std::string bar_chart_svg(const BarChart& chart) {
  if (chart.bars.empty()) return "";
  double lo = chart.bars.front().value, hi = lo;
  std::size_t longest_label = 0;  // in characters
  for (const auto& b : chart.bars) {
    lo = std::min(lo, b.value);
    hi = std::max(hi, b.value);
    longest_label = std::max(longest_label, code_points(b.label));
  }
  if (chart.marker) hi = std::max(hi, *chart.marker);
  Axis axis = axis_for(lo, hi);
  // A log axis spans a marker below the bars too: where every speedup is 10× or more, a marker
  // of 1× held to the axis's start would sit on its "10" tick. (A linear one starts at 0.)
  if (chart.marker && axis.log && *chart.marker < lo) axis = axis_for(*chart.marker, hi);
  const double plot_height = kRowHeight * static_cast<double>(chart.bars.size());
  const double height = kTop + plot_height + kAxisHeight;
  // The labels end here, right-aligned: wide enough for the longest (an 11 px sans-serif
  // character averages some 6 px; an eight-GPU aggregate's GEMM label runs to 90 characters),
  // else the SVG's edge would cut it. The page scales a wider chart down.
  const double label_width = std::max(kLabelWidth, 6.2 * static_cast<double>(longest_label) + 12);
  const double width = kChartWidth - kLabelWidth + label_width;

  std::string out = fmt::format(
      "<svg class=\"chart\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" role=\"img\" aria-label=\"{2}\">\n",
      width, height, html_escape(chart.title));
  const std::vector<std::string> labels = tick_labels(axis.ticks);
  for (std::size_t i = 0; i < axis.ticks.size(); ++i) {
    const double x = label_width + axis.x(axis.ticks[i]);
    out += fmt::format(
        "<line class=\"grid\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        x, kTop, kTop + plot_height, kTop + plot_height + 13, labels[i]);
  }
  out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}{}</text>\n",
                     label_width + kPlotWidth / 2, height - 4, html_escape(chart.axis),
                     axis.log ? " (log scale)" : "");
  // The marker first: a bar's value, often just past it (99.6 % beside 100 %), is drawn over it.
  if (chart.marker) {
    const double x = label_width + axis.x(*chart.marker);
    out += fmt::format(
        "<line class=\"marker\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\"/>\n", x, kTop,
        kTop + plot_height);
  }
  for (std::size_t i = 0; i < chart.bars.size(); ++i) {
    const auto& b = chart.bars[i];
    const double y = kTop + kRowHeight * static_cast<double>(i);
    const double w = std::max(1.0, axis.x(b.value));
    out += fmt::format(
        "<g><title>{0}: {1}</title><text x=\"{2}\" y=\"{3:.1f}\" text-anchor=\"end\">{0}</text>"
        "<rect class=\"{4}\" x=\"{5}\" y=\"{6:.1f}\" width=\"{7:.1f}\" height=\"{8}\"/>"
        "<text class=\"value\" x=\"{9:.1f}\" y=\"{3:.1f}\">{1}</text></g>\n",
        html_escape(b.label), html_escape(b.value_text), label_width - 8, y + kBarHeight - 2,
        css_class(b.kind), label_width, y + (kRowHeight - kBarHeight) / 2, w, kBarHeight,
        label_width + w + 5);
  }
  return out + "</svg>\n";
}

std::string HtmlPrinter::do_print(const ResultsDocument& doc) const {
  const auto groups = groups_of(doc);
  std::string body = header_section(doc);
  if (doc.acceptance) body += acceptance_section(*doc.acceptance);
  if (doc.burn) body += burn_html_section(*doc.burn, doc.run);
  if (doc.memtest) body += memtest_html_section(*doc.memtest, doc.run);
  if (doc.measurements.empty() && (doc.burn || doc.memtest)) {
    // A burn's or memory test's results: no measurements to chart.
    body += inventory_section(doc.environment) + health_section(doc.environment);
  } else {
    body += glance_section(doc, groups) + matrix_section(groups) + crossover_section(doc, groups) +
            throughput_section(groups) + peak_section(groups) + inventory_section(doc.environment) +
            health_section(doc.environment) + results_section(doc, groups) +
            not_passed_section(doc);
  }
  body +=
      "<h2 id=\"regenerating\">Regenerating</h2>\n<p>Every file of a results directory but "
      "results.json is generated from results.json: <code>flopbench report "
      "&lt;dir&gt;/results.json</code> writes them again.</p>\n";
  return html_page(
      "en",
      fmt::format("flopbench {} report: {}", or_unknown(doc.environment.flopbench_version),
                  or_unknown(doc.environment.host)),
      kReportCss, body);
}

}  // namespace flopbench
