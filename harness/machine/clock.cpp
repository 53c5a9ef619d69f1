#include "harness/machine/clock.hpp"

#include <omp.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "harness/machine/probe.hpp"
#include "harness/machine/vector_shape.hpp"

namespace flopbench {
namespace {

template <class T>
double median(std::vector<T> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2.0;
}

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

// Runs the add chain (with the FMA load when asked) for at least `window_s` of this thread's
// CPU time and returns adds per CPU-second. The clock is read every 2^20 adds (~0.3 ms), often
// enough to end close to the window, rarely enough to cost nothing.
double adds_per_second(double window_s, ClockLoad load) {
  constexpr std::uint64_t kChunkTrips = 1 << 14;
  std::uint64_t x = 0;
  std::uint64_t step = 1;
  __asm__ volatile("" : "+r"(step));  // a value the compiler cannot see through
  std::uint64_t adds = 0;
  FmaLoad fma;
  const double start = thread_cpu_seconds();
  double elapsed = 0;
  do {
    switch (load) {
      case ClockLoad::scalar:
        for (std::uint64_t i = 0; i < kChunkTrips; ++i) add_64(x, step);
        break;
      case ClockLoad::vector_fma:
        for (std::uint64_t i = 0; i < kChunkTrips; ++i) {
          add_64(x, step);
          fma.run_64();
        }
        break;
    }
    adds += kChunkTrips * 64;
    elapsed = thread_cpu_seconds() - start;
  } while (elapsed < window_s);
  return static_cast<double>(adds) / elapsed;
}

}  // namespace

double measure_cpu_clock_ghz(int threads, ClockLoad load, ClockSpan span) {
  if (threads <= 0) threads = std::max<int>(1, static_cast<int>(usable_cpus().size()));
  // CPU time already excludes time the thread was descheduled; what is left (interrupts,
  // hypervisor steal, a window that straddles a frequency change) only ever slows a window
  // down. The median of windows, then the median over threads, discards those outliers without
  // cherry-picking the fastest window, which could be a moment when other cores were idle and
  // the boost clock was above the all-core clock.
  const bool settle = span == ClockSpan::settle;
  const int window_count = settle ? 10 : 4;
  std::vector<double> per_thread(static_cast<std::size_t>(threads), 0.0);
#pragma omp parallel num_threads(threads)
  {
    if (settle) adds_per_second(0.05, load);
#pragma omp barrier
    std::vector<double> windows;
    for (int w = 0; w < window_count; ++w) windows.push_back(adds_per_second(0.025, load));
    per_thread[static_cast<std::size_t>(omp_get_thread_num())] = median(windows);
  }
  // A team smaller than asked for (OMP_DYNAMIC, thread limits) leaves zeros behind.
  std::erase(per_thread, 0.0);
  return median(per_thread) / 1e9;
}

}  // namespace flopbench
