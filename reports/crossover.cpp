#include "reports/crossover.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace flopbench {
namespace {

// A grid size: a whole number of elements or a cube's side.
std::string size_text(double size) { return fmt::format("{:.0f}", size); }

}  // namespace

CrossoverFinding find_crossover(std::span<const CrossoverPoint> points) {
  if (points.empty()) {
    return {std::nullopt, "not reached: no size was measured on both the CPU and the GPU"};
  }
  const auto gpu_faster = [](const CrossoverPoint& p) { return p.gpu_s < p.cpu_s; };
  std::size_t from = points.size();  // the GPU is faster from this point to the largest
  while (from > 0 && gpu_faster(points[from - 1])) --from;
  if (from == points.size()) {
    return {std::nullopt,
            fmt::format("not reached: the CPU is as fast or faster at the largest size, {}",
                        size_text(points.back().size))};
  }
  if (from == 0) {
    return {points.front().size,
            fmt::format("the GPU is faster at every size, from the smallest, {}",
                        size_text(points.front().size))};
  }
  // Times follow power laws in the size, piecewise: a straight line on log-log axes.
  const CrossoverPoint& a = points[from - 1];
  const CrossoverPoint& b = points[from];
  const double ra = std::log(a.gpu_s / a.cpu_s);  // >= 0: the CPU as fast or faster
  const double rb = std::log(b.gpu_s / b.cpu_s);  // < 0: the GPU faster
  const double t = ra / (ra - rb);
  const double size = std::exp(std::log(a.size) + t * (std::log(b.size) - std::log(a.size)));
  return {
      size,
      fmt::format("interpolated (log-log) between {} and {}", size_text(a.size), size_text(b.size)),
      std::pair(a.size, b.size)};
}

double sweep_size(const Problem& p) {
  if (!p.is_matrix()) return static_cast<double>(p.n);
  return std::cbrt(static_cast<double>(p.m) * static_cast<double>(p.n) * static_cast<double>(p.k));
}

std::optional<double> Crossover::Point::speedup() const {
  if (!gpu) return std::nullopt;
  return *median_s(*cpu) / *median_s(*gpu);
}

namespace {

bool one_gpu(const MeasurementRecord& r) { return on_gpu(r) && !machine_aggregate(r); }

// Why a group has no GPU figure: the first GPU measurement that did not pass says, else the
// inventory's reason for having no GPU.
std::string no_gpu_basis(const Group& g, const GpuInventory& gpu) {
  for (const auto* r : g.records) {
    if (on_gpu(*r) && !passed(*r)) {
      return fmt::format("not reached: no GPU measurement passed ({}: {})",
                         to_string(r->disposition), r->reason);
    }
  }
  if (const std::string why = no_gpu_reason(gpu); !why.empty())
    return fmt::format("not reached: no GPU measurement (no CUDA device: {})", why);
  return "not reached: no GPU measurement in this run";
}

}  // namespace

std::vector<Crossover> crossovers(const ResultsDocument& doc) {
  std::vector<Crossover> out;
  if (doc.run.profile != to_string(Profile::sweep)) return out;
  for (const Group& g : groups_of(doc)) {
    // The GPU runs other work than the CPU at the same size: the times do not compare.
    if (info(g.workload).counted_flops) continue;
    std::vector<Problem> sizes;
    for (const Problem& p : problems_of(g)) {
      if (fastest(g.records, p, [](const auto& r) { return !on_gpu(r); })) sizes.push_back(p);
    }
    if (sizes.empty()) continue;
    std::sort(sizes.begin(), sizes.end(),
              [](const Problem& a, const Problem& b) { return sweep_size(a) < sweep_size(b); });
    std::vector<std::string> timings;  // of the passed GPU measurements, in document order
    for (const auto* r : g.records) {
      if (one_gpu(*r) && median_s(*r) &&
          std::find(timings.begin(), timings.end(), r->timing) == timings.end()) {
        timings.push_back(r->timing);
      }
    }
    if (timings.empty()) timings.push_back("");
    for (const std::string& timing : timings) {
      Crossover c{g.workload, g.precision, timing, {}, {}};
      std::vector<CrossoverPoint> both;
      for (const Problem& p : sizes) {
        const auto* cpu = fastest(g.records, p, [](const auto& r) { return !on_gpu(r); });
        const auto* gpu =
            fastest(g.records, p, [&](const auto& r) { return one_gpu(r) && r.timing == timing; });
        c.points.push_back({p, cpu, gpu});
        if (gpu) both.push_back({sweep_size(p), *median_s(*cpu), *median_s(*gpu)});
      }
      if (timing.empty()) {
        c.finding = {std::nullopt, no_gpu_basis(g, doc.environment.gpu)};
      } else {
        c.finding = find_crossover(both);
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::vector<const Crossover*> headline_crossovers(const std::vector<Crossover>& all) {
  const auto rank = [](const Crossover& c) {
    const std::array preference = {"end_to_end_pinned", "end_to_end_pageable", "device_events"};
    const auto at = std::find(preference.begin(), preference.end(), c.gpu_timing);
    return at - preference.begin();  // "" and unknown timings last
  };
  std::vector<const Crossover*> out;
  for (const Crossover& c : all) {
    const auto same = std::find_if(out.begin(), out.end(), [&](const Crossover* o) {
      return o->workload == c.workload && o->precision == c.precision;
    });
    if (same == out.end()) {
      out.push_back(&c);
    } else if (rank(c) < rank(**same)) {
      *same = &c;
    }
  }
  return out;
}

std::string gpu_timing_text(const std::string& timing) {
  if (timing.empty()) return "no GPU";
  if (timing == "device_events") return "GPU device time, transfers excluded";
  if (const std::string how = end_to_end_text(timing); !how.empty())
    return fmt::format("GPU {}, transfers included", how);
  return "GPU " + timing;
}

std::vector<std::string> launch_latency_sentences(const GpuInventory& gpu) {
  std::vector<std::string> out;
  for (const GpuDevice& d : gpu.devices) {
    if (!d.launch_latency) continue;
    const LaunchLatency& l = *d.launch_latency;
    out.push_back(fmt::format(
        "Launch latency of an empty kernel on gpu{}: {:.1f} µs to launch and wait, {:.1f} µs per "
        "launch back to back ({} launches each).",
        d.index, l.synchronous_us, l.back_to_back_us, l.launches));
  }
  return out;
}

std::string crossover_title(const Crossover& c) {
  return fmt::format("{}, {}", workload_title(c.workload, c.precision),
                     gpu_timing_text(c.gpu_timing));
}

double crossover_size_shown(const CrossoverFinding& finding) {
  const double size = finding.size.value_or(0);
  if (!finding.between || !(size > 0)) return size;
  const double unit = std::pow(10.0, std::max(0.0, std::floor(std::log10(size)) - 2));
  return std::ceil(size / unit) * unit;
}

std::string crossover_size_text(const Crossover& c) {
  if (!c.finding.size) return "not reached";
  const double size = crossover_size_shown(c.finding);
  if (info(c.workload).size_kind == SizeKind::matrix)
    return fmt::format("n {} {:.0f}", c.finding.between ? "≈" : "=", size);
  return fmt::format("{}{:.0f} elements", c.finding.between ? "≈ " : "", size);
}

std::size_t flagged_points(const Crossover& c) {
  if (c.gpu_timing.empty()) return 0;
  return static_cast<std::size_t>(
      std::count_if(c.points.begin(), c.points.end(), [](const auto& p) {
        return !disturbance_flags(*p.cpu).empty() || (p.gpu && !disturbance_flags(*p.gpu).empty());
      }));
}

std::string crossover_sentence(const Crossover& c) {
  const std::string found = c.finding.size
                                ? fmt::format("{} ({})", crossover_size_text(c), c.finding.basis)
                                : c.finding.basis;
  const std::size_t flagged = flagged_points(c);
  if (flagged == 0) return found;
  return fmt::format(
      "{}; at {} of its {} sizes a time is flagged (see the table): there the "
      "comparison is not like for like",
      found, flagged, c.points.size());
}

Table crossover_table(const Crossover& c) {
  Table t;
  t.columns = {{"Problem"},     {"Fastest CPU"},      {"CPU median", true},
               {"Fastest GPU"}, {"GPU median", true}, {"Speedup", true}};
  for (const auto& p : c.points) {
    const auto speedup = p.speedup();
    const auto time = [](const MeasurementRecord& r) {
      return with_flags(duration(*median_s(r)), disturbance_flags(r));
    };
    t.rows.push_back({p.problem.label(), p.cpu->implementation, time(*p.cpu),
                      p.gpu ? fmt::format("{} ({})", p.gpu->implementation, p.gpu->device) : "-",
                      p.gpu ? time(*p.gpu) : "-", speedup ? ratio(*speedup) : "-"});
  }
  return t;
}

}  // namespace flopbench
