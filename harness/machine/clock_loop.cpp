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
    for (auto& c : chains_) c = simd::Vec<double>{} + 1.0;
  }
  void run_64() {
    for (int step = 0; step < 8; ++step) {
#pragma GCC unroll 8
      for (auto& c : chains_) c = c * kScale + kOffset;
    }
  }
  ~FmaLoad() {
    // Consumed, so that the compiler keeps the FMAs.
    volatile double sink = 0;
    for (const auto& c : chains_) sink = sink + c[0];
  }

 private:
  static constexpr double kScale = 0.999999, kOffset = 1e-6;  // chains stay near 1
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
  return adds_per_cpu_second(window_s, [&] {
    add_64(x, step);
    fma.run_64();
  });
}

}  // namespace FLOPBENCH_VECTOR_PASS
}  // namespace flopbench::simd

FLOPBENCH_VECTOR_TARGET_END
