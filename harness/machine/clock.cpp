#include "harness/machine/clock.hpp"

#include <algorithm>
#include <barrier>
#include <optional>
#include <set>
#include <system_error>
#include <thread>
#include <vector>

#include "harness/core/statistics.hpp"
#include "harness/machine/clock_loop.hpp"
#include "harness/machine/probe.hpp"

namespace flopbench {
namespace {

// Adds per CPU-second: beside FMAs, from the pass of clock_loop.cpp whose vector width the
// kernels run (vector_shape.hpp); alone, from the build's own pass.
double adds_per_second(double window_s, ClockLoad load) {
#if defined(FLOPBENCH_WIDE_VECTOR_PASS)
  if (load == ClockLoad::vector_fma && simd::dispatched_vector_bytes() == 64) {
    return simd::bytes64::adds_per_second(window_s, load);
  }
#endif
  return simd::adds_per_second(window_s, load);
}

}  // namespace

ClockReading measure_cpu_clock(int threads, ClockLoad load, ClockSpan span) {
  if (threads <= 0) threads = std::max<int>(1, static_cast<int>(usable_cpus().size()));
  // CPU time already excludes time the thread was descheduled; what is left (interrupts,
  // hypervisor steal, a window that straddles a frequency change) only ever slows a window
  // down. The median of windows, then the median over threads, discards those outliers without
  // cherry-picking the fastest window, which could be a moment when other cores were idle and
  // the boost clock was above the all-core clock.
  const bool settle = span == ClockSpan::settle;
  const int window_count = settle ? 10 : 4;
  // Each thread's median window and the CPUs it was allowed; empty for one not started.
  struct ThreadReading {
    double adds_per_second;
    std::vector<int> cpus;
  };
  const auto slots = static_cast<std::size_t>(threads);
  std::vector<std::optional<ThreadReading>> per_thread(slots);
  // Beside FMAs, each thread on a core of its own: two SMT siblings would share its FMA pipes.
  // Otherwise on any of the process's CPUs: a thread starts with its creator's mask, which
  // OMP_PROC_BIND narrows to one place.
  const std::vector<int> core_cpus = usable_cpu_of_each_core();
  const std::vector<int> usable = usable_cpus();
  const bool pin = load == ClockLoad::vector_fma && static_cast<int>(core_cpus.size()) >= threads;
  std::barrier settled(threads);
  const auto measure = [&](int t) {
    const auto i = static_cast<std::size_t>(t);
    const ScopedAffinity placed(pin ? std::vector{core_cpus[i]} : usable);
    if (settle) adds_per_second(0.05, load);
    settled.arrive_and_wait();
    std::vector<double> windows;
    for (int w = 0; w < window_count; ++w) windows.push_back(adds_per_second(0.025, load));
    per_thread[i] = ThreadReading{median_of(windows), thread_affinity()};
  };
  // Threads of its own, not an OpenMP team: the clock is the cores', and a team can be smaller
  // than asked for (OMP_THREAD_LIMIT, OMP_DYNAMIC, a call from inside a parallel region), which
  // measured one core's clock while the text said "on 2 cores".
  {
    std::vector<std::jthread> others;
    try {
      for (int t = 1; t < threads; ++t) others.emplace_back(measure, t);
    } catch (const std::system_error&) {
      // A thread the system would not start (a limit on processes): the others do not wait for
      // it, and the reading counts the threads that measured.
      for (auto t = others.size() + 1; t < slots; ++t) settled.arrive_and_drop();
    }
    measure(0);
  }
  ClockReading reading;
  std::vector<double> rates;
  std::set<int> cpus;
  for (const auto& t : per_thread) {
    if (!t) continue;  // not started
    rates.push_back(t->adds_per_second);
    cpus.insert(t->cpus.begin(), t->cpus.end());
  }
  reading.ghz = median_of(rates) / 1e9;
  reading.threads = static_cast<int>(rates.size());
  reading.cpus.assign(cpus.begin(), cpus.end());
  return reading;
}

}  // namespace flopbench
