#pragma once

// The CPU clock, measured rather than read: cloud VMs rarely expose cpufreq, and the brand
// string's base clock is not what the cores run at.

namespace flopbench {

// The all-core clock in GHz, measured: every usable CPU (or `threads` of them when > 0) runs a
// chain of dependent integer adds at once for ~0.3 s of CPU time; one add completes per cycle,
// so adds per CPU-second per thread is the clock. Returns the median over threads of each
// thread's median window. A scalar measurement: on Intel parts with AVX-512 frequency licences
// the vector clock can be lower, which the measured `peak` workload shows.
double measure_cpu_clock_ghz(int threads = 0);

}  // namespace flopbench
