#include "harness/measure/burn.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "harness/core/catalog.hpp"
#include "harness/core/kernel.hpp"
#include "harness/machine/telemetry.hpp"
#include "harness/measure/interrupts.hpp"

namespace flopbench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// One run of the kernel: its run time, the device's own (CUDA events) where the kernel has it,
// as the runner times GPU work, else the host's; and the host's time around it, which on a GPU
// also holds the launch, the padding queued before the start event and the wait for the end.
struct RunTimes {
  double run_s = 0, host_s = 0;
};
RunTimes timed_run(Trial& trial) {
  const auto before = Clock::now();
  trial.kernel().run();
  const double host_s = seconds_between(before, Clock::now());
  return {trial.kernel().device_seconds_of_last_run().value_or(host_s), host_s};
}

// What an iteration is sized from (runs_per_iteration): two sizing runs, each on freshly set up
// inputs, and the faster counts, as does the faster set-up: the first pays what happens once (a
// GPU module's lazy loading, the first touch of the output's pages, the thread team's start),
// and either may be stalled by a busy host, which would leave every iteration a run or two long.
// The second run is also the one whose output is checked against the reference (burn_one).
struct SizingRuns {
  double run_host_s = 0;  // the faster sizing run's; 0 when it took no measurable time
  double rearm_s = 0;     // the faster of the two set-ups before them
};
SizingRuns sizing_runs(Trial& trial) {
  const auto timed_rearm = [&] {
    const auto before = Clock::now();
    trial.rearm();
    return seconds_between(before, Clock::now());
  };
  const double first_rearm_s = timed_rearm();
  const double first_s = timed_run(trial).host_s;
  const double rearm_s = std::min(first_rearm_s, timed_rearm());
  return {std::min(first_s, timed_run(trial).host_s), rearm_s};
}

// What the check of an iteration costs: the sizing run's output checked three times, the faster
// of the last two timed (the first allocates and faults in the buffers it keeps; either other
// may be stalled by a busy host), then forgotten, so that the first iteration's output is still
// the yardstick. A difference between two reads of one output is a fault of the read-back
// itself, returned in `fault`.
struct CheckCost {
  double seconds = 0;
  std::string fault;
};
CheckCost check_cost(Trial& trial) {
  CheckCost cost{.fault = trial.repeat_fault()};
  for (int timed = 0; timed < 2 && cost.fault.empty(); ++timed) {
    const auto before = Clock::now();
    cost.fault = trial.repeat_fault();
    const double seconds = seconds_between(before, Clock::now());
    cost.seconds = timed == 0 ? seconds : std::min(cost.seconds, seconds);
  }
  trial.forget_first_output();
  return cost;
}

// Runs per iteration: enough back-to-back runs that re-arming (the kernel's setup, with its
// uploads on a GPU) and checking (reading C back, comparing it on the host) take a small share of
// the burn, so that a GPU stays loaded. Sized once, from the host's time of a run (what the
// iteration's length is made of: a run of a few microseconds on a GPU still costs its launch and
// wait), and then kept: every iteration must compute the same thing for its output to be the
// first iteration's bit for bit. An odd number: with beta = -1 (Gemm::make_inputs) C alternates
// between C0 and alpha A B - C0, and after an even number of runs the product cancels, with any
// error that every run repeats, so that the check would see C0.
//
// An iteration's runs fill `iteration_s`, and also kIdleRatio times what re-arming and checking
// an iteration take, in which the device idles: an H200 burning the hand-written DGEMM at
// 8192^3 in half-second iterations was busy 44 % of the time, each iteration's re-arming and
// check (1.5 GB uploaded from pageable memory, 512 MB read back and compared) taking some 0.6 s.
// That longer iteration is held to a tenth of the burn, so that a short burn is still checked
// some ten times. 0 (iteration_s): one run per iteration.
constexpr double kIdleRatio = 9;
// How long past its duration a burn lets an iteration run at least (burn_one): runs a few times
// slower than sized (two burns sharing a host's CPUs) still finish theirs.
constexpr double kLeastOverrun_s = 10;
struct Sizing {
  std::int64_t runs = 1;
  double run_host_s = 0;  // of the faster sizing run; 0 when it took no measurable time
};
Sizing runs_per_iteration(const SizingRuns& measured, double check_s,
                          const BurnSettings& settings) {
  const double host_s = measured.run_host_s;
  if (!(host_s > 0)) return {};
  if (settings.iteration_s <= 0) return {1, host_s};
  const double idle_s = measured.rearm_s + check_s;
  const double iteration_s =
      std::max(settings.iteration_s, std::min(kIdleRatio * idle_s, settings.duration_s / 10));
  const std::int64_t runs = std::clamp<std::int64_t>(
      static_cast<std::int64_t>(std::ceil(iteration_s / host_s)), 1, 999'999);
  return {runs % 2 == 1 ? runs : runs + 1, host_s};
}

// When a device's burn last showed life, for telling a hung GPU from a slow one.
struct Heartbeat {
  double armed_s = -1;              // since the start: its setup and sizing runs ended; -1 before
  double expected_iteration_s = 0;  // its runs per iteration times the faster sizing run's time
};

// One target's loop; `out` and `beat` are shared with the calling thread under `mutex`. A device
// declared hung (out.hung) while a run was under way stops at the end of that run, recording
// nothing more; `stop` (the burn ended early) ends it after the run in progress.
void burn_one(const BurnTarget& target, const BurnSettings& settings, Clock::time_point start,
              BurnDevice& out, Heartbeat& beat, std::mutex& mutex, const std::atomic<bool>& stop) {
  // Not over a hung device's: its fault says it stopped responding, whatever its run then threw.
  const auto record_fault = [&](std::string fault, bool context_lost = false) {
    const std::lock_guard lock(mutex);
    if (out.hung) return;
    out.fault = std::move(fault);
    out.context_lost = context_lost;
  };
  try {
    const int gpu = target.device.on_gpu() ? target.device.gpus.at(0) : -1;
    const auto trial =
        target.implementation->make_trial(settings.precision, settings.problem, settings.seed, gpu);
    const double flops = trial->flops();
    const SizingRuns measured = sizing_runs(*trial);
    // Later iterations are compared with the first bit for bit: a device that gives the same
    // wrong bits every time would pass that. The second sizing run's output against the reference,
    // first.
    if (const Verification v = trial->verify(); !v.passed) {
      return record_fault(
          fmt::format("the output before the first iteration is wrong: error {:.3g} exceeds the "
                      "allowed {:.3g} ({})",
                      v.max_error, v.tolerance, v.method));
    }
    const CheckCost check = check_cost(*trial);
    if (!check.fault.empty()) {
      return record_fault(
          fmt::format("the output before the first iteration differed between two reads of it: {}",
                      check.fault));
    }
    const Sizing sizing = runs_per_iteration(measured, check.seconds, settings);
    const std::int64_t runs = sizing.runs;
    const double expected_iteration_s = static_cast<double>(runs) * sizing.run_host_s;
    {
      const std::lock_guard lock(mutex);
      out.runs_per_iteration = runs;
      beat.armed_s = seconds_between(start, Clock::now());
      beat.expected_iteration_s = expected_iteration_s;
    }
    // The runs of an iteration are fixed (its output is compared bit for bit), so that runs far
    // slower than sized (other work on a busy host stalling the CPU's thread team at each run, a
    // throttled device) could stretch one iteration, and the burn, many times over: an iteration
    // still running this long after the duration is stopped unfinished, and left unchecked.
    const double overrun_s =
        std::max({kLeastOverrun_s, settings.duration_s / 4, 3 * expected_iteration_s});
    double window_run_s = 0, window_flops = 0;
    auto window_start = Clock::now();
    for (std::int64_t iteration = 1;; ++iteration) {
      trial->rearm();
      double run_s = 0;
      bool interrupted = false;
      std::string cut_short;
      for (std::int64_t r = 0; r < runs; ++r) {
        // Before the first run too: an interrupt during setup and sizing must not wait for a whole
        // first iteration (one long run on a slow device).
        if (interrupt_requested() || stop) {
          interrupted = true;  // an unfinished iteration is left unchecked
          break;
        }
        // After a run: the figures below are of runs, and an iteration starts at least one.
        if (const double past = seconds_between(start, Clock::now()) - settings.duration_s;
            r > 0 && past >= overrun_s) {
          interrupted = true;
          cut_short = fmt::format(
              "iteration {} was stopped unfinished {:.1f} s past the {:g} s duration: {} of its {} "
              "runs took {:.1f} s, {:.0f} times what the sizing runs predicted (other work on the "
              "host, a throttled device, or the process stopped)",
              iteration, past, settings.duration_s, r, runs, run_s,
              sizing.run_host_s > 0 ? run_s / (static_cast<double>(r) * sizing.run_host_s) : 0.0);
          window_run_s += run_s;  // its slow runs count in the throughput
          window_flops += flops * static_cast<double>(r);
          break;
        }
        run_s += timed_run(*trial).run_s;
      }
      const bool inject = !target.device.on_gpu() && settings.inject.iteration == iteration;
      const std::string fault =
          interrupted ? ""
                      : trial->repeat_fault(inject ? settings.inject.kind : InjectedFault::none);
      const auto after = Clock::now();
      if (!interrupted) {
        window_run_s += run_s;
        window_flops += flops * static_cast<double>(runs);
      }
      const double elapsed = seconds_between(start, after);
      const bool window_done = seconds_between(window_start, after) >= settings.window_s;
      const bool last = interrupted || !fault.empty() || elapsed >= settings.duration_s ||
                        interrupt_requested() || stop;
      {
        const std::lock_guard lock(mutex);
        if (out.hung) return;
        if (!interrupted) {
          out.iterations = iteration;
          out.busy_s += run_s;
        }
        out.seconds = elapsed;
        out.cut_short = cut_short;
        if ((window_done || last) && window_run_s > 0) {
          add_to_series(
              out.throughput,
              {.at_s = elapsed, .gflops = window_flops / window_run_s / 1e9, .run_s = window_run_s},
              settings.series_points);
        }
        if (!fault.empty()) out.fault = fmt::format("iteration {}: {}", iteration, fault);
      }
      if (last) return;
      if (window_done) {
        window_run_s = window_flops = 0;
        window_start = after;
      }
    }
  } catch (const UnsupportedHere& e) {
    // The device cannot run this precision (or shape): not a fault of the device, and not a
    // burn either.
    const std::lock_guard lock(mutex);
    if (out.hung) return;  // declared hung in its setup: that stands
    out.verdict = BurnVerdict::unsupported;
    out.why = e.what();
  } catch (const GpuError& e) {
    record_fault(fmt::format("failed: {}{}", e.what(),
                             e.context_lost() ? " (its CUDA context is lost)" : ""),
                 e.context_lost());
  } catch (const std::exception& e) {
    record_fault(fmt::format("failed: {}", e.what()));
  }
}

// The throttling reasons (telemetry.hpp) the device's readings had, in order of name: with the
// count of readings that had one, what makes a burn DEGRADED. A GPU at its power cap under
// sustained GEMM runs as specified (a 70 W card always does, an H100 often) and is not
// throttled; a lowered power limit is a health criterion, and a slow GPU falls behind its
// siblings.
std::vector<std::string> throttling_reasons(const BurnDevice& d) {
  std::set<std::string> reasons;
  for (const BurnTelemetry& t : d.telemetry) {
    for (const std::string& r : t.reading.clock_event_reasons) {
      if (is_throttling_reason(r)) reasons.insert(r);
    }
  }
  return {reasons.begin(), reasons.end()};
}

bool finished(const BurnDevice& d, double duration_s) {
  return !d.fault.empty() || d.verdict == BurnVerdict::unsupported || d.seconds >= duration_s;
}

}  // namespace

InjectedBurnFault injected_burn_fault_from_environment() {
  const char* value = std::getenv("FLOPBENCH_BURN_INJECT_FAULT");
  if (value == nullptr || *value == '\0') return {};
  const std::string_view text(value);
  const auto bad = [&] {
    return InputError(fmt::format(
        "FLOPBENCH_BURN_INJECT_FAULT={}: expected wrong:N or nan:N (N the iteration to corrupt, "
        "from 1)",
        text));
  };
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) throw bad();
  const std::string_view kind = text.substr(0, colon), number = text.substr(colon + 1);
  InjectedBurnFault out;
  if (kind == "wrong") {
    out.kind = InjectedFault::wrong;
  } else if (kind == "nan") {
    out.kind = InjectedFault::nan;
  } else {
    throw bad();
  }
  const auto [end, ec] =
      std::from_chars(number.data(), number.data() + number.size(), out.iteration);
  if (ec != std::errc() || end != number.data() + number.size() || out.iteration < 1) throw bad();
  return out;
}

std::int64_t default_burn_size(Precision precision, const std::vector<GpuDevice>& burning_gpus) {
  const auto oldest = oldest_tensor_core_gpu(precision);
  const bool gpu_burns = std::ranges::any_of(burning_gpus, [&](const GpuDevice& g) {
    return !oldest || std::pair{g.cc_major, g.cc_minor} >= *oldest;
  });
  return is_matrix_precision(precision) && gpu_burns ? 8192 : 2048;
}

std::vector<BurnDevice> burn(const std::vector<BurnTarget>& targets, const BurnSettings& settings,
                             const BurnObserver& observer) {
  // What the device threads share with this one. Owned jointly: a thread stuck in a hung GPU is
  // left running when the burn returns, and must still find it.
  struct Shared {
    std::vector<BurnTarget> targets;
    BurnSettings settings;
    Clock::time_point start;
    std::mutex mutex;
    std::vector<BurnDevice> devices;
    std::vector<Heartbeat> beats;
    std::vector<char> returned;     // per device: its thread has returned
    std::atomic<bool> stop{false};  // the burn has ended: threads still running stop
  };
  const auto shared = std::make_shared<Shared>();
  shared->targets = targets;
  shared->settings = settings;
  for (const BurnTarget& t : targets) {
    shared->devices.push_back({.device = t.device,
                               .implementation = t.implementation->name(),
                               .precision = settings.precision,
                               .problem = settings.problem});
  }
  shared->beats.assign(targets.size(), {});
  shared->returned.assign(targets.size(), 0);
  std::vector<BurnDevice>& devices = shared->devices;
  std::mutex& mutex = shared->mutex;
  const auto start = shared->start = Clock::now();
  std::vector<std::thread> threads;
  // However burn() ends, no thread is left joinable: one waiting on a hung GPU, or all of them
  // when an exception ends the burn early (a progress reader that cannot write), is left
  // running, and the process told to end without waiting for it (leave_running).
  struct LeaveBehind {
    std::vector<std::thread>& threads;
    std::atomic<bool>& stop;
    ~LeaveBehind() {
      stop = true;
      for (std::thread& t : threads) leave_running(t);
    }
  } leave_behind{threads, shared->stop};
  // OpenMP's settings are each thread's own, and a new thread starts from the defaults: the
  // calling thread's (settle_thread_team) go to the device threads, whose CPU GEMM forks teams.
  const int team = omp_get_max_threads();
  const bool dynamic = omp_get_dynamic() != 0;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    threads.emplace_back([shared, i, team, dynamic] {
      omp_set_dynamic(dynamic ? 1 : 0);
      omp_set_num_threads(team);
      burn_one(shared->targets[i], shared->settings, shared->start, shared->devices[i],
               shared->beats[i], shared->mutex, shared->stop);
      const std::lock_guard lock(shared->mutex);
      shared->returned[i] = 1;
    });
  }
  // A GPU thread that shows no life for longer than it could take is waiting on a hung device:
  // FAULTY, and left behind. Its setup (inputs generated and uploaded, the sizing runs) may take
  // ten times hang_s; its first iteration hang_s or ten times what the sizing runs predict; a
  // later one hang_s or ten of its mean iterations. A process that was stopped for a while
  // (Ctrl-Z, a scheduler's suspend) wakes to a silence that is no GPU's: silences are counted
  // from its resumption, seen as a SIGCONT, or as a gap between two of these polls (every
  // 100 ms, the time a progress reader takes left out: writing results.json to a slow disk is no
  // stop). A pause of the whole VM or a frozen cgroup sends no SIGCONT: it shows as a gap, unless
  // it fell in a progress reader's time.
  const double stop_gap_s = std::clamp(settings.hang_s / 2, 0.5, 5.0);
  double last_poll_s = 0, resumed_s = 0;
  int continued = times_continued();
  const auto declare_hung = [&](double now_s) {
    const int now_continued = times_continued();
    if (now_s - last_poll_s > stop_gap_s || now_continued != continued) resumed_s = now_s;
    last_poll_s = now_s;
    continued = now_continued;
    for (std::size_t i = 0; i < devices.size(); ++i) {
      BurnDevice& d = devices[i];
      const Heartbeat& beat = shared->beats[i];
      if (!d.device.on_gpu() || d.hung || shared->returned[i] != 0) continue;
      std::string silence;
      if (beat.armed_s < 0) {
        if (now_s - resumed_s < 10 * settings.hang_s) continue;
        silence = fmt::format(
            "its setup (inputs, upload, sizing runs and checks) has not ended after {:.0f} s",
            now_s);
      } else if (d.iterations == 0) {
        const double silent_s = now_s - std::max(beat.armed_s, resumed_s);
        if (silent_s < std::max(settings.hang_s, 10 * beat.expected_iteration_s)) continue;
        silence = fmt::format("its first iteration has not ended after {:.0f} s", silent_s);
      } else {
        const double mean_iteration_s = (d.seconds - beat.armed_s) / double(d.iterations);
        const double silent_s = now_s - std::max(d.seconds, resumed_s);
        if (silent_s < std::max(settings.hang_s, 10 * mean_iteration_s)) continue;
        silence = fmt::format(
            "no iteration ended for {:.0f} s (the last at {:.1f} s, after {} "
            "iterations)",
            silent_s, d.seconds, d.iterations);
      }
      d.hung = true;
      if (d.fault.empty()) d.fault = fmt::format("no response: {}; the GPU may be hung", silence);
    }
  };
  // Telemetry on a thread of its own: an nvidia-smi query takes a good part of a second, and
  // must delay neither the progress lines nor the end of the burn. A source that does not answer
  // for hang_s (NVML blocked by a hung driver) is reported once (observer.telemetry_stopped) and,
  // at the end, left behind as a hung GPU's thread is: its state is owned jointly, and once the
  // burn has ended or the silence was reported, the call's return ends the thread, its reading
  // dropped and neither reader called again.
  struct TelemetryThread {
    std::mutex mutex;
    std::condition_variable changed;
    bool stop = false;
    bool done = false;            // the thread has returned
    double reading_since_s = -1;  // a reader's call in progress began then; -1: none
    bool reported = false;        // the silence was news once (newly_silent)
  };
  const auto sampling = std::make_shared<TelemetryThread>();
  std::thread sampler;
  // Whether the reader called at `since_s` has been silent for hang_s, counted from the
  // process's last resumption (declare_hung's resumed_s).
  const auto silent = [&](double now_s) {
    return sampling->reading_since_s >= 0 &&
           now_s - std::max(sampling->reading_since_s, resumed_s) > settings.hang_s;
  };
  // With sampling->mutex held: when the reader's call began, the first time its silence is
  // seen. The observer hears of it after the locks are released (tell_stopped): what it does
  // (print, write files) may take time, or throw.
  const auto newly_silent = [&](double now_s) -> std::optional<double> {
    if (!silent(now_s) || sampling->reported) return std::nullopt;
    sampling->reported = true;
    return sampling->reading_since_s;
  };
  const auto tell_stopped = [&](std::optional<double> since_s) {
    if (since_s && observer.telemetry_stopped) observer.telemetry_stopped(*since_s);
  };
  const auto stop_sampler = [&] {
    if (!sampler.joinable()) return;
    std::unique_lock lock(sampling->mutex);
    sampling->stop = true;
    sampling->changed.notify_all();
    // The read in progress ends first, unless it is silent for hang_s.
    while (!sampling->done) {
      const double now_s = seconds_between(start, Clock::now());
      if (silent(now_s)) {
        const std::optional<double> since_s = newly_silent(now_s);
        leave_running(sampler);
        lock.unlock();
        tell_stopped(since_s);
        return;
      }
      sampling->changed.wait_for(lock, std::chrono::milliseconds(100));
    }
    lock.unlock();
    sampler.join();
  };
  // Every way out stops the sampler, a progress reader that throws included; on that way the
  // exception on its way out is the one to keep, not the observer's while it hears of a stop.
  struct OnExit {
    const decltype(stop_sampler)& run;
    ~OnExit() {
      try {
        run();
      } catch (...) {  // escaping a destructor while unwinding would end the process
      }
    }
  } stop_on_exit{stop_sampler};
  if (observer.telemetry || observer.cpu_load) {
    sampler = std::thread([shared, sampling, telemetry = observer.telemetry,
                           cpu_load = observer.cpu_load] {
      const auto end = [&] {
        const std::lock_guard lock(sampling->mutex);
        sampling->done = true;
        sampling->changed.notify_all();
      };
      // Calls one reader, unless the burn has ended; false when it has by the call's end, or
      // the call was silent long enough to be reported (its late reading is not kept).
      const auto call = [&](const auto& reader, auto& into) {
        {
          const std::lock_guard lock(sampling->mutex);
          if (sampling->stop) return false;
          sampling->reading_since_s = seconds_between(shared->start, Clock::now());
        }
        if (reader) into = reader();
        const std::lock_guard lock(sampling->mutex);
        sampling->reading_since_s = -1;
        return !sampling->stop && !sampling->reported;
      };
      auto next = Clock::now();
      for (;;) {
        std::vector<GpuTelemetry> readings;
        std::optional<CpuBurnReading> cpu;
        if (!call(telemetry, readings) || !call(cpu_load, cpu)) return end();
        const double at = seconds_between(shared->start, Clock::now());
        {
          const std::lock_guard lock(shared->mutex);
          for (BurnDevice& d : shared->devices) {
            if (finished(d, shared->settings.duration_s)) continue;
            if (!d.device.on_gpu() && cpu) {
              CpuBurnReading point = *cpu;
              point.at_s = at;
              add_to_series(d.cpu_load, point, shared->settings.series_points);
            }
            for (const GpuTelemetry& r : readings) {
              if (d.device.on_gpu() && d.device.label() == r.device) {
                add_to_series(d.telemetry,
                              {.at_s = at, .reading = r, .throttled_readings = r.throttled ? 1 : 0},
                              shared->settings.series_points);
              }
            }
          }
        }
        next += std::chrono::seconds(1);
        std::unique_lock lock(sampling->mutex);
        if (sampling->changed.wait_until(lock, next, [&] { return sampling->stop; })) {
          lock.unlock();
          return end();
        }
      }
    });
  }
  // Wake every 100 ms: a short burn, or an interrupt, must not wait for a whole progress period.
  auto next_progress = start + std::chrono::duration<double>(observer.progress_s);
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::optional<std::vector<BurnDevice>> snapshot;
    std::optional<double> stopped_since_s;
    bool over = false;
    {
      const std::lock_guard lock(mutex);
      const double now_s = seconds_between(start, Clock::now());
      declare_hung(now_s);
      {
        const std::lock_guard sampling_lock(sampling->mutex);
        stopped_since_s = newly_silent(now_s);
      }
      over = interrupt_requested() || std::ranges::all_of(devices, [&](const BurnDevice& d) {
               return finished(d, settings.duration_s);
             });
      if (!over && Clock::now() >= next_progress && observer.progress) snapshot = devices;
    }
    // Outside the locks: the observer may print and write files (time left out of the stop
    // gap, as a progress reader's is).
    if (stopped_since_s) {
      tell_stopped(stopped_since_s);
      const std::lock_guard lock(mutex);
      last_poll_s = seconds_between(start, Clock::now());
    }
    if (over) break;
    if (!snapshot) continue;
    observer.progress(*snapshot, seconds_between(start, Clock::now()));
    next_progress += std::chrono::duration<double>(observer.progress_s);
    {
      const std::lock_guard lock(mutex);
      last_poll_s = seconds_between(start, Clock::now());
    }
  }
  stop_sampler();
  // Each thread ends after its run in progress; one that waits on a hung GPU is left running.
  for (;;) {
    {
      const std::lock_guard lock(mutex);
      declare_hung(seconds_between(start, Clock::now()));
      bool waiting = false;
      for (std::size_t i = 0; i < devices.size(); ++i) {
        waiting = waiting || (shared->returned[i] == 0 && !devices[i].hung);
      }
      if (!waiting) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::lock_guard lock(mutex);
  for (std::size_t i = 0; i < threads.size(); ++i) {
    if (shared->returned[i] != 0) threads[i].join();  // the others: leave_behind
  }
  return devices;
}

void judge_burn(std::vector<BurnDevice>& devices, double degraded_fraction,
                const GpuInventory& gpus) {
  // A GPU's model, "" where the inventory does not name it (then any GPU may be its sibling).
  const auto model = [&](const DeviceRef& device) -> std::string {
    const GpuDevice* g = device.gpus.size() == 1 ? gpus.find(device.gpus.front()) : nullptr;
    return g ? g->name : "";
  };
  const auto same_model = [&](const DeviceRef& a, const DeviceRef& b) {
    const std::string ma = model(a), mb = model(b);
    return ma.empty() || mb.empty() || ma == mb;
  };
  for (BurnDevice& d : devices) {
    if (d.verdict == BurnVerdict::unsupported) continue;  // its reason stands
    if (!d.fault.empty()) {
      d.verdict = BurnVerdict::faulty;
      d.why = d.fault;
      continue;
    }
    // One reading is not enough: NVML documents that HW Slowdown may show during a P-state or
    // clock change, as when a burn starts; a GPU that throttles does so for seconds.
    if (const int readings = d.throttled_readings(); readings >= 2) {
      d.verdict = BurnVerdict::degraded;
      d.why = fmt::format("throttled ({}) in {} of {} telemetry readings",
                          fmt::join(throttling_reasons(d), ", "), readings, d.telemetry_readings());
      continue;
    }
    // Nothing to compare with a sibling, nor to call OK: a progress line's device still setting
    // up, or one interrupted before its first iteration's check. Nor one iteration alone: the
    // first is what the others are compared with, so its output was only found finite.
    if (d.iterations < 2) {
      d.verdict = BurnVerdict::unchecked;
      d.why = d.iterations == 0 ? "no iteration was checked"
                                : "one iteration: its output was finite, but no second was "
                                  "compared with it";
      continue;
    }
    const std::string_view unread = d.throttling_unread();
    const std::string throttling_note =
        unread.empty() ? "" : fmt::format("throttling not checked: {} was read", unread);
    // A progress line's device whose first throughput window (settings.window_s) has not ended:
    // its output is checked, its speed not known yet. A burn's end always has its point.
    const std::optional<double> median = d.median_gflops();
    if (!median) {
      d.verdict = BurnVerdict::ok;
      d.why = "no throughput point yet: not compared with its siblings";
      if (!throttling_note.empty()) d.why += "; " + throttling_note;
      continue;
    }
    double best = 0;  // siblings without a point yet have no say
    const BurnDevice* best_sibling = nullptr;
    for (const BurnDevice& sibling : devices) {
      if (sibling.fault.empty() && sibling.verdict != BurnVerdict::unsupported &&
          sibling.device.kind == d.device.kind && sibling.implementation == d.implementation &&
          sibling.precision == d.precision && same_model(sibling.device, d.device) &&
          sibling.median_gflops().value_or(0) > best) {
        best = *sibling.median_gflops();
        best_sibling = &sibling;
      }
    }
    if (best_sibling && *median < (1 - degraded_fraction) * best) {
      d.verdict = BurnVerdict::degraded;
      const std::string of_model = model(d.device);
      d.why =
          fmt::format("median {:.1f} {}, {:.0f}% below the best sibling's {:.1f} ({}{})", *median,
                      headline_unit(Bound::compute, d.precision), 100 * (1 - *median / best), best,
                      best_sibling->device.label(), of_model.empty() ? "" : ", also " + of_model);
    } else {
      d.verdict = BurnVerdict::ok;
      d.why = throttling_note;
    }
  }
  // A last iteration stopped unfinished says so, whatever the verdict, after its reason.
  for (BurnDevice& d : devices) {
    if (d.cut_short.empty() || d.verdict == BurnVerdict::unsupported) continue;
    d.why += (d.why.empty() ? "" : "; ") + d.cut_short;
  }
}

}  // namespace flopbench
