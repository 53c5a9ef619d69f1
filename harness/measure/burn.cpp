#include "harness/measure/burn.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "harness/core/workloads.hpp"
#include "harness/measure/interrupts.hpp"

namespace flopbench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// One target's loop; `out` is shared with the progress reader under `mutex`.
void burn_one(const BurnTarget& target, const BurnSettings& settings, Clock::time_point start,
              BurnDevice& out, std::mutex& mutex) {
  const auto record_fault = [&](std::string fault) {
    const std::lock_guard lock(mutex);
    out.fault = std::move(fault);
  };
  try {
    const int gpu = target.device.on_gpu() ? target.device.gpus.at(0) : -1;
    const auto trial =
        target.implementation->make_trial(settings.precision, settings.problem, settings.seed, gpu);
    const double flops = trial->flops();
    double window_run_s = 0, window_flops = 0;
    auto window_start = Clock::now();
    for (std::int64_t iteration = 1;; ++iteration) {
      trial->rearm();
      const auto before = Clock::now();
      trial->kernel().run();
      const auto after = Clock::now();
      const std::string fault = trial->repeat_fault();
      window_run_s += seconds_between(before, after);
      window_flops += flops;
      const double elapsed = seconds_between(start, after);
      const bool window_done = seconds_between(window_start, after) >= settings.window_s;
      const bool last = !fault.empty() || elapsed >= settings.duration_s || interrupt_requested();
      {
        const std::lock_guard lock(mutex);
        out.iterations = iteration;
        out.seconds = elapsed;
        if ((window_done || last) && window_run_s > 0) {
          out.throughput.push_back({elapsed, window_flops / window_run_s / 1e9});
        }
        if (!fault.empty()) out.fault = fmt::format("iteration {}: {}", iteration, fault);
      }
      if (last) return;
      if (window_done) {
        window_run_s = window_flops = 0;
        window_start = after;
      }
    }
  } catch (const std::exception& e) {
    record_fault(fmt::format("failed: {}", e.what()));
  }
}

}  // namespace

std::string_view to_string(BurnVerdict v) {
  switch (v) {
    case BurnVerdict::ok:
      return "OK";
    case BurnVerdict::faulty:
      return "FAULTY";
    case BurnVerdict::degraded:
      return "DEGRADED";
  }
  throw std::logic_error("unknown burn verdict");
}

double BurnDevice::median_gflops() const {
  if (throughput.empty()) return 0;
  std::vector<double> rates;
  for (const BurnPoint& p : throughput) rates.push_back(p.gflops);
  std::sort(rates.begin(), rates.end());
  const std::size_t mid = rates.size() / 2;
  return rates.size() % 2 == 1 ? rates[mid] : (rates[mid - 1] + rates[mid]) / 2;
}

std::vector<BurnDevice> burn(
    const std::vector<BurnTarget>& targets, const BurnSettings& settings, double progress_s,
    const std::function<void(const std::vector<BurnDevice>&, double elapsed_s)>& progress) {
  std::vector<BurnDevice> devices;
  for (const BurnTarget& t : targets) {
    devices.push_back({.device = t.device,
                       .implementation = t.implementation->name(),
                       .precision = settings.precision,
                       .problem = settings.problem});
  }
  std::mutex mutex;
  const auto start = Clock::now();
  std::vector<std::jthread> threads;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    threads.emplace_back([&, i] { burn_one(targets[i], settings, start, devices[i], mutex); });
  }
  // Wake every 100 ms: a short burn, or an interrupt, must not wait for a whole progress period.
  auto next_progress = start + std::chrono::duration<double>(progress_s);
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::lock_guard lock(mutex);
    const bool all_done = std::ranges::all_of(devices, [&](const BurnDevice& d) {
      return !d.fault.empty() || d.seconds >= settings.duration_s;
    });
    if (all_done || interrupt_requested()) break;
    if (Clock::now() >= next_progress) {
      progress(devices, seconds_between(start, Clock::now()));
      next_progress += std::chrono::duration<double>(progress_s);
    }
  }
  threads.clear();  // joins: each ends after its run in progress
  return devices;
}

void judge_burn(std::vector<BurnDevice>& devices, double degraded_fraction) {
  for (BurnDevice& d : devices) {
    if (!d.fault.empty()) {
      d.verdict = BurnVerdict::faulty;
      d.why = d.fault;
      continue;
    }
    double best = 0;
    for (const BurnDevice& sibling : devices) {
      if (sibling.fault.empty() && sibling.device.kind == d.device.kind &&
          sibling.implementation == d.implementation && sibling.precision == d.precision) {
        best = std::max(best, sibling.median_gflops());
      }
    }
    const double median = d.median_gflops();
    if (median < (1 - degraded_fraction) * best) {
      d.verdict = BurnVerdict::degraded;
      d.why = fmt::format("median {:.1f} GFLOP/s, {:.0f}% below the best sibling's {:.1f}", median,
                          100 * (1 - median / best), best);
    } else {
      d.verdict = BurnVerdict::ok;
      d.why.clear();
    }
  }
}

}  // namespace flopbench
