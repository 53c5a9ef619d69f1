#pragma once

// The timed loop of the clock measurement, one per vector width (clock_loop.cpp).

#include "harness/machine/clock.hpp"
#include "harness/machine/vector_shape.hpp"

namespace flopbench::simd {
inline namespace FLOPBENCH_VECTOR_PASS {

// Runs the add chain (with the FMA load at this pass's vector width when asked) for at least
// `window_s` of this thread's CPU time and returns adds per CPU-second. The clock is read every
// 2^20 adds (~0.3 ms), often enough to end close to the window, rarely enough to cost nothing.
// Each pass defines its own (simd::bytes32::adds_per_second, ...).
double adds_per_second(double window_s, ClockLoad load);

}  // namespace FLOPBENCH_VECTOR_PASS

#if defined(FLOPBENCH_WIDE_VECTOR_PASS)
namespace bytes64 {
double adds_per_second(double window_s, ClockLoad load);  // the wide pass's
}
#endif

}  // namespace flopbench::simd
