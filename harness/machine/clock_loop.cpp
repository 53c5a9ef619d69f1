// The timed loops of the clock measurement (clock.cpp), compiled for each vector width
// (vector_shape.hpp): the FMA load runs at the width of the kernels whose clock it measures.
#include "harness/machine/clock_loop.hpp"

#include <time.h>

#include <cstdint>

FLOPBENCH_VECTOR_TARGET_BEGIN

namespace flopbench::simd {
inline namespace FLOPBENCH_VECTOR_PASS {
namespace {

// 64 dependent register-register adds (1-cycle latency on every core in the peak table). In
// assembly so that the chain stays in one register at any optimisation level: at -O0 a C++
// `x += 1` goes through memory and measures store forwarding, not the clock. Adding a register
// rather than an immediate keeps renamers that fold add-immediate chains (Golden Cove and later)
// from running the chain faster than one add per cycle.
inline void add_64(std::uint64_t& x, std::uint64_t step) {
#if defined(__x86_64__)
  __asm__ volatile(".rept 64\n\tadd %1, %0\n\t.endr" : "+r"(x) : "r"(step));
#elif defined(__aarch64__)
  __asm__ volatile(".rept 64\n\tadd %0, %0, %1\n\t.endr" : "+r"(x) : "r"(step));
#else
  // The empty asm makes each result opaque, so the compiler cannot fold the chain (needs -O1+).
  for (int i = 0; i < 64; ++i) {
    x += step;
    __asm__ volatile("" : "+r"(x));
  }
#endif
}

// This thread's CPU time: the time it actually ran, so that other processes sharing its core
// (a parallel build, say) do not read as a slower clock.
double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Independent FMA chains beside the add chain: 8 chains of 8 steps per block of 64 adds is one FMA
// per cycle, enough to hold an AVX-512 frequency licence, while leaving the ports the adds need.
class FmaLoad {
 public:
  FmaLoad() {
    // From a volatile, so that the compiler cannot see that 1 is the chains' fixed point (1 x
    // 0.999999 + 1e-6 rounds to 1): GCC saw it, folded the chains away, and the clock was
    // measured beside no FMA at all.
    volatile double start = 1.0;
    for (auto& c : chains_) c = simd::Vec<double>{} + start;
  }
  // 64 dependent adds of `step` to `x` beside 64 FMAs.
  void add_64_beside_fmas(std::uint64_t& x, std::uint64_t step) {
#if defined(__x86_64__) && defined(__FMA__)
    // In assembly, as add_64 is, so that the chains stay in registers at any optimisation level
    // and under any instrumentation (in C++, a sanitizer's checks of their loads and stores held
    // the adds to a seventh of the clock), and 8 adds and 8 FMAs at a time: a run of 64 adds and
    // then 64 FMAs filled the schedulers' queues with one kind, and the adds ran at half the
    // clock on Zen. Each FMA is c = c x scale + offset (AT&T vfmadd132pd: its last operand times
    // the first, plus the second), on ymm or zmm registers as the pass's vectors are.
    __asm__ volatile(
        ".rept 8\n\t"
        "add %11, %8\n\tadd %11, %8\n\tadd %11, %8\n\tadd %11, %8\n\t"
        "add %11, %8\n\tadd %11, %8\n\tadd %11, %8\n\tadd %11, %8\n\t"
        "vfmadd132pd %9, %10, %0\n\tvfmadd132pd %9, %10, %1\n\t"
        "vfmadd132pd %9, %10, %2\n\tvfmadd132pd %9, %10, %3\n\t"
        "vfmadd132pd %9, %10, %4\n\tvfmadd132pd %9, %10, %5\n\t"
        "vfmadd132pd %9, %10, %6\n\tvfmadd132pd %9, %10, %7\n\t"
        ".endr"
        : "+v"(chains_[0]), "+v"(chains_[1]), "+v"(chains_[2]), "+v"(chains_[3]), "+v"(chains_[4]),
          "+v"(chains_[5]), "+v"(chains_[6]), "+v"(chains_[7]), "+r"(x)
        : "v"(scale_), "v"(offset_), "r"(step));
#else
    add_64(x, step);
    for (int s = 0; s < 8; ++s) {
#pragma GCC unroll 8
      for (auto& c : chains_) c = c * scale_ + offset_;
    }
#endif
  }
  ~FmaLoad() {
    // Consumed, so that the compiler keeps the FMAs.
    volatile double sink = 0;
    for (const auto& c : chains_) sink = sink + c[0];
  }

 private:
  const simd::Vec<double> scale_ = simd::Vec<double>{} + 0.999999;
  const simd::Vec<double> offset_ = simd::Vec<double>{} + 1e-6;
  simd::Vec<double> chains_[8];
};

// Runs `block_of_64_adds` for at least `window_s` of this thread's CPU time and returns adds per
// CPU-second.
template <class Block>
double adds_per_cpu_second(double window_s, Block block_of_64_adds) {
  constexpr std::uint64_t kChunkTrips = 1 << 14;
  std::uint64_t adds = 0;
  const double start = thread_cpu_seconds();
  double elapsed = 0;
  do {
    for (std::uint64_t i = 0; i < kChunkTrips; ++i) block_of_64_adds();
    adds += kChunkTrips * 64;
    elapsed = thread_cpu_seconds() - start;
  } while (elapsed < window_s);
  return static_cast<double>(adds) / elapsed;
}

}  // namespace

double adds_per_second(double window_s, ClockLoad load) {
  std::uint64_t x = 0;
  std::uint64_t step = 1;
  __asm__ volatile("" : "+r"(step));  // a value the compiler cannot see through
  if (load == ClockLoad::scalar) {
    // No vector register is touched: a wide one could move an Intel core to a lower clock.
    return adds_per_cpu_second(window_s, [&] { add_64(x, step); });
  }
  FmaLoad fma;
  return adds_per_cpu_second(window_s, [&] { fma.add_64_beside_fmas(x, step); });
}

}  // namespace FLOPBENCH_VECTOR_PASS
}  // namespace flopbench::simd

FLOPBENCH_VECTOR_TARGET_END
