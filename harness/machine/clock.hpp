#pragma once

// The CPU clock, measured rather than read: cloud VMs rarely expose cpufreq, and the brand
// string's base clock is not what the cores run at.

namespace flopbench {

// What the cores run while their clock is measured. Intel parts with AVX-512 (and some with
// AVX2) lower the clock under wide vector FMA load, so the peak model uses the vector clock,
// measured under the same FMA width as the `peak` workload.
enum class ClockLoad {
  scalar,      // the dependent integer adds alone
  vector_fma,  // the adds interleaved with independent FMAs at the build's vector width
};

// The all-core clock in GHz, measured: every usable CPU (or `threads` of them when > 0) runs a
// chain of dependent integer adds at once for ~0.3 s of CPU time; one add completes per cycle,
// so adds per CPU-second per thread is the clock. Under ClockLoad::vector_fma each block of 64
// adds is interleaved with 64 vector FMAs, which run on the FMA ports beside the add chain and
// hold the core at its vector clock. Returns the median over threads of each thread's median
// window.
double measure_cpu_clock_ghz(int threads = 0, ClockLoad load = ClockLoad::scalar);

}  // namespace flopbench
