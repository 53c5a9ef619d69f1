#include "app/burn_course.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <utility>

#include "harness/core/catalog.hpp"
#include "harness/core/health.hpp"
#include "harness/machine/load_sampler.hpp"
#include "harness/measure/interrupts.hpp"

namespace flopbench {
namespace {

// A telemetry source that stopped answering, or that read a GPU that stopped responding, is never
// shut down (nvmlShutdown, dlclose): the driver that stalled it could stall that too, on this
// thread or on the sampler's when its call returns. Held here, never destroyed (the process may
// exit without waiting for that call).
void abandon(std::shared_ptr<TelemetrySource> source) {
  static auto* const abandoned = new std::vector<std::shared_ptr<TelemetrySource>>();
  abandoned->push_back(std::move(source));
}

void print_progress(std::FILE* out, const std::vector<BurnDevice>& so_far, double elapsed_s) {
  for (const BurnDevice& d : so_far) {
    std::string telemetry;
    if (!d.telemetry.empty()) {
      const GpuTelemetry& t = d.telemetry.back().reading;
      const auto part = [](const std::optional<double>& v, std::string_view unit) {
        return v ? fmt::format(", {:.0f} {}", *v, unit) : std::string();
      };
      telemetry = part(t.sm_clock_mhz, "MHz") + part(t.temperature_c, "C") + part(t.power_w, "W") +
                  (t.throttled ? ", throttled" : "");
    }
    if (!d.cpu_load.empty()) {
      const CpuBurnReading& r = d.cpu_load.back();
      telemetry =
          fmt::format(", other processes {:.2f} CPUs, steal {:.2f}{}", r.other_cpus, r.steal_cpus,
                      r.clock_mhz ? fmt::format(", {:.0f} MHz", *r.clock_mhz) : "");
    }
    fmt::print(out, "  [{:>5.0f} s] {:<5} {} runs, {} {}{}{}\n", elapsed_s, d.device.label(),
               d.runs(),
               d.throughput.empty() ? "-" : fmt::format("{:.1f}", d.throughput.back().gflops),
               headline_unit(Bound::compute, d.precision), telemetry,
               d.fault.empty() ? "" : ", FAULT: " + d.fault);
  }
  std::fflush(out);
}

}  // namespace

std::vector<GpuDevice> gpus_among(const std::vector<DeviceRef>& devices,
                                  const GpuInventory& inventory) {
  std::vector<GpuDevice> out;
  for (const DeviceRef& d : devices) {
    if (!d.on_gpu()) continue;
    for (const GpuDevice& g : inventory.devices) {
      if (g.index == d.gpus.at(0)) out.push_back(g);
    }
  }
  return out;
}

bool burn_each_precision(BurnCourse course, ResultsDocument& doc) {
  const GpuInventory& inventory = doc.environment.gpu;
  std::vector<DeviceRef>& to_burn = course.devices;
  std::shared_ptr<TelemetrySource>& source = course.telemetry;
  std::FILE* const out = course.out;
  bool any_bad = false;
  // The health facts before each precision's burn, to see what rose during it.
  MachineHealth health_before = doc.environment.health.value_or(MachineHealth{});
  for (std::size_t at = 0; at < course.precisions.size(); ++at) {
    if (interrupt_requested() || to_burn.empty()) break;
    const Precision precision = course.precisions[at];
    const bool last_precision = at + 1 == course.precisions.size();
    const BurnStage stage = course.stage(precision, to_burn);
    const std::vector<GpuDevice> gpus = gpus_among(to_burn, inventory);
    fmt::print(
        out,
        "burning {} at {} for {:g} s: gemm {} ({}), the output checked after every iteration "
        "(at least half a second of runs)\n",
        fmt::join(stage.targets | std::views::transform([&](const BurnTarget& t) {
                    // The CPU burns on the run's threads, which need not be all its CPUs.
                    return t.device.on_gpu() || doc.run.threads <= 0
                               ? t.device.label()
                               : fmt::format("{} ({})", t.device.label(),
                                             counted(doc.run.threads, "thread"));
                  }),
                  ", "),
        precision_label(precision), stage.settings.duration_s, stage.settings.problem.label(),
        fmt::join(stage.targets | std::views::transform(
                                      [](const BurnTarget& t) { return t.implementation->name(); }),
                  ", "));
    std::fflush(out);
    const std::size_t earlier = doc.burn->devices.size();  // the earlier precisions' devices
    const auto keep = [&](std::vector<BurnDevice> devices) {
      judge_burn(devices, course.degraded_fraction, inventory);
      doc.burn->devices.resize(earlier);
      doc.burn->devices.insert(doc.burn->devices.end(), devices.begin(), devices.end());
      course.save();
    };
    BurnObserver observer{.progress_s = course.progress_s,
                          .progress = [&](const std::vector<BurnDevice>& so_far, double elapsed_s) {
                            print_progress(out, so_far, elapsed_s);
                            keep(so_far);
                          }};
    // The readers hold what they read by value: a call that does not return is left running. A
    // silence of the sampler is the GPU telemetry's where there is some (a CPU burn's /proc/stat
    // read does not wait on a driver).
    if (source && !gpus.empty()) {
      observer.telemetry = [source, gpus] { return source->read(gpus); };
      observer.telemetry_stopped = [&](double since_s) {
        abandon(source);  // first: whichever way the burn ends, even by an exception
        doc.burn->telemetry_stopped = fmt::format(
            "{} stopped answering {:.1f} s into the {} burn (no reading for {:.0f} s; a hung "
            "driver?): no GPU telemetry or health fact was read after it",
            doc.burn->telemetry_source, since_s, precision_label(precision), stage.settings.hang_s);
        fmt::print(out, "GPU telemetry stopped: {}\n", doc.burn->telemetry_stopped);
        std::fflush(out);
      };
    }
    if (std::ranges::any_of(stage.targets,
                            [](const BurnTarget& t) { return !t.device.on_gpu(); })) {
      // Read by the burn's sampler thread only.
      observer.cpu_load =
          [cpu_load = std::make_shared<CpuLoadReader>()]() -> std::optional<CpuBurnReading> {
        const std::optional<LoadInterval> load = cpu_load->next();
        if (!load) return std::nullopt;
        return CpuBurnReading{.other_cpus = load->other_cpus,
                              .steal_cpus = load->steal_cpus,
                              .clock_mhz = cpufreq_mean_mhz()};
      };
    }
    keep(course.burn(stage.targets, stage.settings, observer));
    // Once the source stopped answering, at this precision or an earlier one, nothing reads
    // through it again (abandoned), nor reads the health facts (NVML).
    const bool telemetry_stopped = !doc.burn->telemetry_stopped.empty();
    if (telemetry_stopped) {
      source.reset();
      any_bad = true;
    }
    // Read again unless a GPU stopped responding, at this precision or an earlier one: an NVML
    // call on it could block as well.
    const bool hung = std::ranges::any_of(doc.burn->devices, &BurnDevice::hung);
    if (!gpus.empty() && !hung && !telemetry_stopped) {
      const MachineHealth health_after = course.health();
      std::vector<BurnDevice> devices(
          doc.burn->devices.begin() + static_cast<std::ptrdiff_t>(earlier),
          doc.burn->devices.end());
      bool rose = false;
      for (BurnDevice& d : devices) {
        if (!d.device.on_gpu() || d.verdict == BurnVerdict::unsupported || !d.fault.empty())
          continue;
        const int gpu = d.device.gpus.at(0);
        if (const auto what =
                error_rises(cuda_gpu_facts(health_before, gpu), cuda_gpu_facts(health_after, gpu));
            !what.empty()) {
          d.fault = fmt::format("during the burn: {}", fmt::join(what, "; "));
          rose = true;
        }
      }
      if (rose) keep(std::move(devices));
      health_before = health_after;
    }
    for (std::size_t i = earlier; i < doc.burn->devices.size(); ++i) {
      const BurnDevice& d = doc.burn->devices[i];
      fmt::print(out, "{:<5} {} {:<8} {} runs in {:.1f} s{}{}{}\n", d.device.label(),
                 precision_label(precision), to_string(d.verdict), d.runs(), d.seconds,
                 d.busy_share() ? fmt::format(" (busy {:.0f}%)", 100 * *d.busy_share()) : "",
                 d.median_gflops() ? fmt::format(", median {:.1f} {}", *d.median_gflops(),
                                                 headline_unit(Bound::compute, precision))
                                   : "",
                 d.why.empty() ? "" : ": " + d.why);
      any_bad = any_bad || d.verdict != BurnVerdict::ok;
      if (d.burns_no_further()) {
        // Its thread is stuck in the device, or its CUDA context is gone: the GPU burns no
        // further precision, and its telemetry is not read again (on a hung GPU an NVML call
        // could block as well).
        if (!last_precision) {
          fmt::print(out, "{} {}: it burns no further precision\n", d.device.label(),
                     d.hung ? "stopped responding" : "lost its CUDA context");
        }
        std::erase(to_burn, d.device);
        if (d.hung && source) abandon(source);
      }
    }
    std::fflush(out);
  }
  return any_bad;
}

}  // namespace flopbench
