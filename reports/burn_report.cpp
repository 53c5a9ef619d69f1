#include "reports/burn_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <optional>

#include "harness/core/catalog.hpp"
#include "reports/format.hpp"

namespace flopbench {
namespace {

constexpr double kWidth = 760;
constexpr double kLeft = 70;  // the value axis's labels and title are left of this
constexpr double kPlotWidth = 560;
constexpr double kPlotHeight = 170;
constexpr double kTop = 8;
constexpr double kAxisHeight = 32;
constexpr double kLegendRow = 16;
constexpr std::array kColours = {"#3b8f3b", "#2f6db5", "#b5642f", "#7b3fb5",
                                 "#b53f6d", "#2f9fa5", "#8a7a00", "#555555"};

// Ticks from 0 to a round value at or above `max` (four to eight of them): a step of a seventh
// of the range, rounded up, overshoots the range by less than one step.
std::vector<double> ticks_to(double max) {
  max = chartable_top(max);
  const double step = nice_step(max / 7);
  const auto steps = static_cast<int>(std::ceil(max / step - 0.001));
  std::vector<double> ticks;
  for (int i = 0; i <= steps; ++i) ticks.push_back(i * step);
  return ticks;
}

// 100 * fraction, with a drop that rounds to zero shown as 0.0%, not -0.0%.
double percent_without_negative_zero(double fraction) {
  const double percent = 100 * fraction;
  return std::abs(percent) < 0.05 ? 0.0 : percent;
}

std::string precision_heading(const BurnDevice& d) {
  return fmt::format("{}, gemm {}", precision_label(d.precision), d.problem.label());
}

// The devices burned at each precision, in burn order.
std::vector<std::vector<const BurnDevice*>> by_precision(const BurnResult& burn) {
  std::vector<std::vector<const BurnDevice*>> out;
  for (const BurnDevice& d : burn.devices) {
    const auto it = std::find_if(out.begin(), out.end(), [&](const auto& group) {
      return group.front()->precision == d.precision;
    });
    if (it == out.end()) {
      out.push_back({&d});
    } else {
      it->push_back(&d);
    }
  }
  return out;
}

Table burn_table(const BurnResult& burn) {
  Table t{{{"device"},
           {"precision"},
           {"verdict"},
           {"runs", true},
           {"seconds", true},
           {"busy", true},
           {"median", true},
           {"drop", true},
           {"throttled", true},
           {"others' CPUs", true},
           {"why"}},
          {}};
  for (const BurnDevice& d : burn.devices) {
    t.rows.push_back(
        {d.device.label(), std::string(precision_label(d.precision)),
         std::string(to_string(d.verdict)), fmt::format("{}", d.runs()),
         fmt::format("{:.1f}", d.seconds),
         d.busy_share() ? fmt::format("{:.0f}%", 100 * *d.busy_share()) : std::string("-"),
         d.median_gflops() ? fmt::format("{:.1f} {}", *d.median_gflops(),
                                         headline_unit(Bound::compute, d.precision))
                           : std::string("-"),
         d.throughput_drop()
             ? fmt::format("{:.1f}%", percent_without_negative_zero(*d.throughput_drop()))
             : std::string("-"),
         d.telemetry.empty() ? "-"
         : d.throttling_unread().empty()
             ? fmt::format("{} of {}", d.throttled_readings(), d.telemetry_readings())
             : std::string("not read"),
         d.most_foreign_cpus() ? fmt::format("{:.2f}", *d.most_foreign_cpus()) : "-", d.why});
  }
  return t;
}

// A stress test's first problem: its run interrupted, or without an end ("the burn", "the
// memory test").
std::vector<std::string> run_problems(const RunInfo& run, std::string_view test) {
  if (run.interrupted) return {"interrupted"};
  if (run.finished_utc.empty()) return {fmt::format("{} did not finish (no end time)", test)};
  return {};
}

}  // namespace

std::vector<std::string> burn_problems(const BurnResult& burn, const RunInfo& run) {
  std::vector<std::string> problems = run_problems(run, "the burn");
  if (burn.devices.empty()) {
    problems.push_back("no device burned");
  } else {
    for (const Precision p : burn.precisions_not_burned())
      problems.push_back(fmt::format("{} not burned", precision_label(p)));
  }
  for (const BurnDevice& d : burn.devices) {
    const std::string which = fmt::format("{} {}", d.device.label(), precision_label(d.precision));
    if (d.verdict != BurnVerdict::ok) {
      problems.push_back(
          fmt::format("{} {}{}", which, to_string(d.verdict), d.why.empty() ? "" : ": " + d.why));
    } else if (d.seconds < burn.duration_s) {
      problems.push_back(
          fmt::format("{} burned {:.1f} of its {:g} s", which, d.seconds, burn.duration_s));
    }
  }
  if (!burn.telemetry_stopped.empty())
    problems.push_back("GPU telemetry stopped: " + burn.telemetry_stopped);
  return problems;
}

std::vector<std::string> memtest_problems(const MemtestResult& memtest, const RunInfo& run) {
  std::vector<std::string> problems = run_problems(run, "the memory test");
  if (memtest.devices.empty()) problems.push_back("no GPU tested");
  for (const MemtestDevice& d : memtest.devices) {
    if (d.passed()) continue;
    std::vector<std::string> why;
    if (!d.completed()) why.push_back(d.incomplete_reason());
    if (d.bad_words > 0) why.push_back(counted(static_cast<double>(d.bad_words), "bad word"));
    for (const FactRise& r : d.memory_error_rises) {
      why.push_back(fmt::format("{} rose from {} to {}", r.fact,
                                fact_text(HealthFact::of(r.before)),
                                fact_text(HealthFact::of(r.after))));
    }
    // ", " within a GPU's problem: lists of problems are joined with "; ".
    problems.push_back(fmt::format("{} {}: {}", d.device, d.verdict(), fmt::join(why, ", ")));
  }
  return problems;
}

namespace {

// PASS when nothing kept the burn from passing (burn_problems); FAIL when a device was FAULTY,
// DEGRADED or UNSUPPORTED, or the telemetry stopped, whatever else happened; otherwise (the burn
// interrupted or unfinished, a device cut short or never checked, none at all) INCOMPLETE, which
// is no pass either: however OK what ran was, it did not burn for the duration.
std::string burn_verdict_word(const BurnResult& burn, const RunInfo& run) {
  const std::vector<std::string> problems = burn_problems(burn, run);
  if (problems.empty()) return "PASS";
  const bool failed =
      !burn.telemetry_stopped.empty() || std::ranges::any_of(burn.devices, [](const BurnDevice& d) {
        return d.verdict != BurnVerdict::ok && d.verdict != BurnVerdict::unchecked;
      });
  return failed ? "FAIL" : fmt::format("INCOMPLETE ({})", problems.front());
}

}  // namespace

std::string burn_summary(const BurnResult& burn, const RunInfo& run) {
  const auto count = [&](BurnVerdict v) {
    return std::count_if(burn.devices.begin(), burn.devices.end(),
                         [&](const BurnDevice& d) { return d.verdict == v; });
  };
  const auto unsupported = count(BurnVerdict::unsupported);
  const auto unchecked = count(BurnVerdict::unchecked);
  return fmt::format(
      "{}: {} of {:g} s each: {} OK, {} FAULTY, {} DEGRADED (below the best "
      "sibling by more than {:.0f}%, or throttled){}{}. GPU telemetry: {}{}.",
      burn_verdict_word(burn, run), counted(burn.devices.size(), "device burn"), burn.duration_s,
      count(BurnVerdict::ok), count(BurnVerdict::faulty), count(BurnVerdict::degraded),
      100 * burn.degraded_fraction,
      unsupported > 0 ? fmt::format(", {} UNSUPPORTED (not burned)", unsupported) : "",
      unchecked > 0 ? fmt::format(", {} UNCHECKED (not two iterations compared)", unchecked) : "",
      burn.telemetry_source.empty() ? "none" : burn.telemetry_source,
      burn.telemetry_stopped.empty() ? "" : ", stopped: " + burn.telemetry_stopped);
}

namespace {

// One chart of a quantity for every device of a precision that has it.
std::string telemetry_chart(const std::vector<const BurnDevice*>& devices, std::string_view title,
                            std::string_view unit, double t_end,
                            const std::function<std::optional<double>(const GpuTelemetry&)>& get) {
  std::vector<TimeSeries> series;
  for (const BurnDevice* d : devices) {
    TimeSeries s{d->device.label(), {}};
    for (const BurnTelemetry& t : d->telemetry) {
      if (const auto v = get(t.reading)) s.points.emplace_back(t.at_s, *v);
    }
    if (!s.points.empty()) series.push_back(std::move(s));
  }
  return time_series_svg(title, unit, series, t_end);
}

// The CPU's foreign load (other processes, steal) and, where known, its clock.
std::string cpu_load_chart(const std::vector<const BurnDevice*>& devices, double t_end) {
  std::vector<TimeSeries> load, clock;
  for (const BurnDevice* d : devices) {
    if (d->cpu_load.empty()) continue;
    const std::string name = d->device.label();
    TimeSeries other{name + " other processes", {}}, steal{name + " steal", {}}, mhz{name, {}};
    for (const CpuBurnReading& r : d->cpu_load) {
      other.points.emplace_back(r.at_s, r.other_cpus);
      steal.points.emplace_back(r.at_s, r.steal_cpus);
      if (r.clock_mhz) mhz.points.emplace_back(r.at_s, *r.clock_mhz);
    }
    load.push_back(std::move(other));
    load.push_back(std::move(steal));
    if (!mhz.points.empty()) clock.push_back(std::move(mhz));
  }
  return time_series_svg("foreign load", "CPUs", load, t_end) +
         time_series_svg("CPU clock", "MHz", clock, t_end);
}

}  // namespace

std::string time_series_svg(std::string_view title, std::string_view unit,
                            const std::vector<TimeSeries>& series, double t_end) {
  double t_max = t_end, v_max = 0;
  bool any = false;
  for (const TimeSeries& s : series) {
    for (const auto& [t, v] : s.points) {
      t_max = std::max(t_max, t);
      v_max = std::max(v_max, v);
      any = true;
    }
  }
  if (!any) return "";
  const std::vector<double> xs = ticks_to(t_max), ys = ticks_to(v_max);
  const double x_hi = xs.back(), y_hi = ys.back();
  const auto px = [&](double t) { return kLeft + t / x_hi * kPlotWidth; };
  const auto py = [&](double v) {
    return kTop + (1 - std::clamp(v / y_hi, 0.0, 1.0)) * kPlotHeight;
  };
  const double bottom = kTop + kPlotHeight;
  const double legend_top = bottom + kAxisHeight + 12;
  const double height = legend_top + kLegendRow * static_cast<double>(series.size());
  std::string out = fmt::format(
      "<svg class=\"chart\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" "
      "aria-label=\"{2}\">\n",
      kWidth, height, html_escape(title));
  const std::vector<std::string> x_labels = tick_labels(xs), y_labels = tick_labels(ys);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    out += fmt::format(
        "<line class=\"grid\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        px(xs[i]), kTop, bottom, bottom + 13, x_labels[i]);
  }
  for (std::size_t i = 0; i < ys.size(); ++i) {
    out += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        kLeft, py(ys[i]), kLeft + kPlotWidth, kLeft - 4, py(ys[i]) + 4, y_labels[i]);
  }
  out += fmt::format(
      "<text x=\"{0:.1f}\" y=\"{1}\" text-anchor=\"middle\">seconds since the start</text>\n"
      "<text transform=\"translate(14 {2:.1f}) rotate(-90)\" text-anchor=\"middle\">{3}</text>\n",
      kLeft + kPlotWidth / 2, bottom + kAxisHeight - 4, kTop + kPlotHeight / 2,
      html_escape(fmt::format("{} ({})", title, unit)));
  double legend_y = legend_top;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const TimeSeries& s = series[i];
    const std::string_view colour = kColours[i % kColours.size()];
    std::string path;
    for (const auto& [t, v] : s.points) {
      path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "" : " ", px(t), py(v));
    }
    out += fmt::format(
        "<g><title>{0}</title><polyline points=\"{1}\" fill=\"none\" stroke=\"{2}\" "
        "stroke-width=\"1.8\"/>",
        html_escape(s.label), path, colour);
    if (s.points.size() == 1) {
      out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"/>",
                         px(s.points[0].first), py(s.points[0].second), colour);
    }
    out += fmt::format(
        "</g>\n<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"1.8\"/><text x=\"{4}\" y=\"{5:.1f}\">{6}</text>\n",
        kLeft, legend_y, kLeft + 22, colour, kLeft + 27, legend_y + 4, html_escape(s.label));
    legend_y += kLegendRow;
  }
  return out + "</svg>\n";
}

std::string burn_markdown_section(const BurnResult& burn, const RunInfo& run) {
  std::string out =
      fmt::format("\n## Burn-in\n\n{}\n\n{}", burn_summary(burn, run), burn_table(burn).markdown());
  out +=
      "\nThe per-second throughput, GPU telemetry and CPU load are in results.json "
      "(`burn.devices[].throughput`, `.telemetry`, `.cpu_load`) and charted in report.html; a "
      "series keeps " +
      std::to_string(kBurnSeriesPoints) + " points, so a burn of over " +
      std::to_string(kBurnSeriesPoints / 60) +
      " minutes merges seconds into longer points. "
      "Busy: the share of the burn's time spent in runs (the device's own time on a GPU); the rest "
      "went to setting the kernel up again, checking its output and, on a GPU, launching and "
      "waiting. Median: of the throughput points; drop: from the first quarter of the burn to the "
      "last; "
      "throttled: GPU telemetry readings with a throttling reason; others' CPUs: the most CPU "
      "time that other processes and other guests (steal) took in one point of the CPU's "
      "burn.\n";
  return out;
}

std::string burn_html_section(const BurnResult& burn, const RunInfo& run) {
  std::string out = fmt::format("<h2 id=\"burn\">Burn-in</h2>\n<p class=\"banner {}\">{}</p>\n{}",
                                burn_problems(burn, run).empty() ? "pass" : "fail",
                                html_escape(burn_summary(burn, run)), burn_table(burn).html());
  for (const auto& devices : by_precision(burn)) {
    out += fmt::format("<h3>{}</h3>\n", html_escape(precision_heading(*devices.front())));
    // Every chart of a precision spans its whole burn, so that a dip in one lines up with the
    // others' readings at that time.
    double t_end = 0;
    for (const BurnDevice* d : devices) t_end = std::max(t_end, d->seconds);
    std::vector<TimeSeries> rates;
    for (const BurnDevice* d : devices) {
      TimeSeries s{d->device.label(), {}};
      for (const BurnPoint& p : d->throughput) s.points.emplace_back(p.at_s, p.gflops);
      rates.push_back(std::move(s));
    }
    out += time_series_svg("throughput", headline_unit(Bound::compute, devices.front()->precision),
                           rates, t_end);
    out += telemetry_chart(devices, "SM clock", "MHz", t_end,
                           [](const GpuTelemetry& t) { return t.sm_clock_mhz; });
    out += telemetry_chart(devices, "temperature", "°C", t_end,
                           [](const GpuTelemetry& t) { return t.temperature_c; });
    out += telemetry_chart(devices, "power", "W", t_end,
                           [](const GpuTelemetry& t) { return t.power_w; });
    out += cpu_load_chart(devices, t_end);
  }
  return out;
}

std::string memtest_size_text(const MemtestDevice& d, int decimals) {
  const auto gib = [&](std::int64_t bytes) {
    return fmt::format("{:.{}f} GiB", static_cast<double>(bytes) / (1LL << 30), decimals);
  };
  if (d.bytes_asked > 0 && d.bytes_asked != d.bytes_tested) {
    return fmt::format("{} of {} asked", gib(d.bytes_tested), gib(d.bytes_asked));
  }
  return gib(d.bytes_tested);
}

std::string memtest_memory_errors_text(const MemtestDevice& d) {
  std::vector<std::string> parts;
  for (const FactRise& r : d.memory_error_rises) {
    parts.push_back(fmt::format("{} {} to {}", r.fact, fact_text(HealthFact::of(r.before)),
                                fact_text(HealthFact::of(r.after))));
  }
  if (!d.ecc_not_compared.empty()) parts.push_back(d.ecc_not_compared);
  return parts.empty() ? "none rose" : fmt::format("{}", fmt::join(parts, "; "));
}

namespace {

Table memtest_table(const MemtestResult& m) {
  Table t{{{"device"},
           {"verdict"},
           {"tested", true},
           {"passes", true},
           {"seconds", true},
           {"bad words", true},
           {"memory-error counts"},
           {"patterns"},
           {"why incomplete"}},
          {}};
  for (const MemtestDevice& d : m.devices) {
    t.rows.push_back({d.device, std::string(d.verdict()), memtest_size_text(d, 2),
                      fmt::format("{}", d.passes), fmt::format("{:.1f}", d.seconds),
                      fmt::format("{}", d.bad_words), memtest_memory_errors_text(d),
                      fmt::format("{}", fmt::join(d.patterns, ", ")),
                      d.completed() ? "" : d.incomplete_reason()});
  }
  return t;
}

Table memtest_errors(const MemtestResult& m) {
  Table t{{{"device"}, {"pattern"}, {"byte offset", true}, {"expected"}, {"read"}}, {}};
  for (const MemtestDevice& d : m.devices) {
    for (const MemtestError& e : d.errors) {
      t.rows.push_back({d.device, e.pattern, fmt::format("{:#x}", e.offset),
                        fmt::format("{:#018x}", e.expected), fmt::format("{:#018x}", e.actual)});
    }
  }
  return t;
}

}  // namespace

// PASS when nothing kept the memory test from passing (memtest_problems), as merge judges it;
// FAIL when a GPU failed (MemtestDevice::failed: bad words, a memory-error count risen, an
// error, no response), whatever else happened; otherwise (the test interrupted or unfinished, a
// GPU without a complete pass, none tested) INCOMPLETE, which is no pass either, however many
// passes its GPUs had completed. The GPUs' own verdicts are counted after it, INCOMPLETE where
// any is.
std::string memtest_summary(const MemtestResult& m, const RunInfo& run) {
  const std::vector<std::string> problems = memtest_problems(m, run);
  const std::string verdict = problems.empty() ? "PASS"
                              : std::ranges::any_of(m.devices, &MemtestDevice::failed)
                                  ? "FAIL"
                                  : fmt::format("INCOMPLETE ({})", problems.front());
  const auto count = [&](std::string_view v) {
    return std::ranges::count_if(m.devices,
                                 [&](const MemtestDevice& d) { return d.verdict() == v; });
  };
  const auto incomplete = count("INCOMPLETE");
  return fmt::format("{}: {} tested for up to {:g} s each: {} PASS, {} FAIL{}.", verdict,
                     counted(m.devices.size(), "GPU"), m.duration_s, count("PASS"), count("FAIL"),
                     incomplete > 0 ? fmt::format(", {} INCOMPLETE", incomplete) : "");
}

std::string memtest_markdown_section(const MemtestResult& m, const RunInfo& run) {
  std::string out = fmt::format("\n## GPU memory test\n\n{}\n\n{}", memtest_summary(m, run),
                                memtest_table(m).markdown());
  const Table errors = memtest_errors(m);
  if (!errors.rows.empty()) out += "\nFirst bad words:\n\n" + errors.markdown();
  return out;
}

std::string memtest_html_section(const MemtestResult& m, const RunInfo& run) {
  std::string out =
      fmt::format("<h2 id=\"memtest\">GPU memory test</h2>\n<p class=\"banner {}\">{}</p>\n{}",
                  memtest_problems(m, run).empty() ? "pass" : "fail",
                  html_escape(memtest_summary(m, run)), memtest_table(m).html());
  const Table errors = memtest_errors(m);
  if (!errors.rows.empty()) out += "<h3>First bad words</h3>\n" + errors.html();
  return out;
}

}  // namespace flopbench
