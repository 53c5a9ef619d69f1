#pragma once

// The CPU clock, measured rather than read: cloud VMs rarely expose cpufreq, and the brand
// string's base clock is not what the cores run at.

#include <vector>

namespace flopbench {

// What the cores run while their clock is measured. Intel parts with AVX-512 (and some with
// AVX2) lower the clock under wide vector FMA load, so the peak model uses the vector clock,
// measured under the same FMA width as the `peak` workload.
enum class ClockLoad {
  scalar,      // the dependent integer adds alone
  vector_fma,  // the adds beside independent FMAs at the vector kernels' width (vector_shape.hpp)
};

// How long the clock is measured.
enum class ClockSpan {
  settle,   // a 50 ms warm-up that lets an idle core ramp up, then 10 windows of 25 ms (~0.3 s)
  recheck,  // 4 windows of 25 ms and no warm-up (~0.1 s): right after work that kept the cores busy
};

// The all-core clock in GHz, measured: every usable CPU (or `threads` of them when > 0) runs a
// chain of dependent integer adds at once for the span's CPU time; one add completes per cycle,
// so adds per CPU-second per thread is the clock. Under ClockLoad::vector_fma each block of 64
// adds is interleaved with 32 vector FMAs, which run on the FMA ports beside the add chain and
// hold the core at its vector clock. Returns the median over threads of each thread's median
// window, the threads that measured it (each asked for, on a thread of its own, unless the system
// would not start one) and the CPUs they were allowed (one core each, or all the process's).
struct ClockReading {
  double ghz = 0;
  int threads = 0;
  std::vector<int> cpus;
};
ClockReading measure_cpu_clock(int threads = 0, ClockLoad load = ClockLoad::scalar,
                               ClockSpan span = ClockSpan::settle);

// The threads the vector clock runs for work on `threads` threads of a machine with `cores`
// physical cores (0: unknown): one per core at most, each pinned to a core of its own for the
// measurement (the first usable CPU of each core in sysfs; unpinned where the topology is
// unreadable). Two SMT siblings share a core's FMA pipes: where the two loads together fill
// them, each sibling's adds, retiring in order behind its FMAs, would run below the clock.
inline int vector_clock_threads(int threads, int cores) {
  return cores > 0 && cores < threads ? cores : threads;
}

// Whether a measured clock can be a CPU's (0.2-10 GHz): outside, the measurement went wrong.
inline bool plausible_cpu_clock(double ghz) { return ghz > 0.2 && ghz < 10; }

}  // namespace flopbench
