// The timed loops of the clock measurement (clock.cpp), compiled for each vector width
// (vector_shape.hpp): the FMA load runs at the width of the kernels whose clock it measures.
// FLOPBENCH_CLOCK_LOOP_CXX_FALLBACK compiles the FMA load's C++ fallback on x86 with FMA too,
// for tests/clock_fma_load.py alone.
#include "harness/machine/clock_loop.hpp"

#include <time.h>

#include <cstdint>

FLOPBENCH_VECTOR_TARGET_BEGIN

namespace flopbench::simd {
inline namespace FLOPBENCH_VECTOR_PASS {
namespace {

// `blocks` (at least 1) blocks of 64 dependent register-register adds of `step` to `x` (1-cycle
// latency on every core in the peak table). In assembly, loop included, so that the chain stays
// in one register at any optimisation level: at -O0 a C++ `x += 1` goes through memory and
// measures store forwarding, not the clock, and a loop in C++ around the asm let GCC copy the
// chain's register in and out of each block, two moves per 64 adds on the chain's path. Adding a
// register rather than an immediate keeps renamers that fold add-immediate chains (Golden Cove
// and later) from running the chain faster than one add per cycle.
inline void add_blocks(std::uint64_t& x, std::uint64_t step, std::uint64_t blocks) {
  if (blocks == 0) return;  // the loop below counts down to 0 after its first block
#if defined(__x86_64__)
  __asm__ volatile(
      "1:\n\t"
      ".rept 64\n\tadd %[step], %[x]\n\t.endr\n\t"
      "dec %[blocks]\n\tjnz 1b"
      : [x] "+r"(x), [blocks] "+r"(blocks)
      : [step] "r"(step)
      : "cc");
#elif defined(__aarch64__)
  __asm__ volatile(
      "1:\n\t"
      ".rept 64\n\tadd %[x], %[x], %[step]\n\t.endr\n\t"
      "subs %[blocks], %[blocks], #1\n\tb.ne 1b"
      : [x] "+r"(x), [blocks] "+r"(blocks)
      : [step] "r"(step)
      : "cc");
#else
  // The empty asm makes each result opaque, so the compiler cannot fold the chain (needs -O1+).
  for (std::uint64_t b = 0; b < blocks; ++b) {
    for (int i = 0; i < 64; ++i) {
      x += step;
      __asm__ volatile("" : "+r"(x));
    }
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

// `blocks` (at least 1) blocks of 64 dependent adds of `step` to `x`, each beside 32 FMAs on 8
// independent chains: one FMA every other cycle, about the density of heavy vector instructions
// above which Intel's frequency licences respond by published measurements on Skylake-SP (not
// verified), while leaving the FMA pipes room. At one FMA per cycle, the adds of 2 threads ran at
// half the clock (1.24 GHz against 2.3 under adds alone) in 3 of 8 measurements in a row on a
// 2-vCPU Zen 1 VM, and a thread alone never did: a hypervisor that puts two vCPUs on one core's
// two hardware threads shares its FMA pipes between them, and a load that fills the pipes
// holds back the adds retiring behind it. (Later runs, at either density, did not halve: it
// depends on where the vCPUs are placed.)
void add_blocks_beside_fmas(std::uint64_t& x, std::uint64_t step, std::uint64_t blocks) {
  if (blocks == 0) return;  // the loop below counts down to 0 after its first block
  // The chains start from a volatile, so that the compiler cannot see that 1 is their fixed
  // point (1 x 0.999999 + 1e-6 rounds to 1): GCC saw it, folded them away, and the clock was
  // measured beside no FMA at all.
  volatile double one = 1.0;
  const simd::Vec<double> scale = simd::Vec<double>{} + 0.999999;
  const simd::Vec<double> offset = simd::Vec<double>{} + 1e-6;
  // Locals, not an array, so that they live in registers for the whole run even under a
  // sanitizer, which keeps a local array in memory and checks each load and store; each from a
  // start of its own, or the compiler computes one chain for the eight.
  const auto chain = [&](int i) { return simd::Vec<double>{} + (one + i * 1e-9); };
  simd::Vec<double> c0 = chain(0), c1 = chain(1), c2 = chain(2), c3 = chain(3), c4 = chain(4),
                    c5 = chain(5), c6 = chain(6), c7 = chain(7);
#if defined(__x86_64__) && defined(__FMA__) && !defined(FLOPBENCH_CLOCK_LOOP_CXX_FALLBACK)
  // In assembly, as add_blocks is and for its reasons, so that the chains also stay in registers
  // under any instrumentation (in C++, a sanitizer's checks of their loads and stores held the
  // adds to a seventh of the clock), and 8 adds and 4 FMAs at a time: 64 adds and then their
  // FMAs filled the schedulers' queues with one kind, and the adds ran at half the clock on Zen.
  // Each FMA is c = c x scale + offset (AT&T vfmadd132pd: its last operand times the first, plus
  // the second), on ymm or zmm registers as the pass's vectors are.
  __asm__ volatile(
      "1:\n\t"
      ".rept 4\n\t"
      "add %[step], %[x]\n\tadd %[step], %[x]\n\tadd %[step], %[x]\n\tadd %[step], %[x]\n\t"
      "add %[step], %[x]\n\tadd %[step], %[x]\n\tadd %[step], %[x]\n\tadd %[step], %[x]\n\t"
      "vfmadd132pd %[scale], %[offset], %[c0]\n\tvfmadd132pd %[scale], %[offset], %[c1]\n\t"
      "vfmadd132pd %[scale], %[offset], %[c2]\n\tvfmadd132pd %[scale], %[offset], %[c3]\n\t"
      "add %[step], %[x]\n\tadd %[step], %[x]\n\tadd %[step], %[x]\n\tadd %[step], %[x]\n\t"
      "add %[step], %[x]\n\tadd %[step], %[x]\n\tadd %[step], %[x]\n\tadd %[step], %[x]\n\t"
      "vfmadd132pd %[scale], %[offset], %[c4]\n\tvfmadd132pd %[scale], %[offset], %[c5]\n\t"
      "vfmadd132pd %[scale], %[offset], %[c6]\n\tvfmadd132pd %[scale], %[offset], %[c7]\n\t"
      ".endr\n\t"
      "dec %[blocks]\n\tjnz 1b"
      : [c0] "+v"(c0), [c1] "+v"(c1), [c2] "+v"(c2), [c3] "+v"(c3), [c4] "+v"(c4), [c5] "+v"(c5),
        [c6] "+v"(c6), [c7] "+v"(c7), [x] "+r"(x), [blocks] "+r"(blocks)
      : [scale] "v"(scale), [offset] "v"(offset), [step] "r"(step)
      : "cc");
#else
  for (std::uint64_t b = 0; b < blocks; ++b) {
    add_blocks(x, step, 1);
    const auto fma = [&](simd::Vec<double>& c) { c = c * scale + offset; };
#pragma GCC unroll 4
    for (int s = 0; s < 4; ++s) {
      fma(c0), fma(c1), fma(c2), fma(c3), fma(c4), fma(c5), fma(c6), fma(c7);
    }
  }
#endif
  // Consumed, so that the compiler keeps the FMAs.
  volatile double sink = (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7)[0];
  (void)sink;
}

// Runs `run_blocks(n)`, which does n blocks of 64 adds, for at least `window_s` of this thread's
// CPU time and returns adds per CPU-second.
template <class Blocks>
double adds_per_cpu_second(double window_s, Blocks run_blocks) {
  constexpr std::uint64_t kChunkBlocks = 1 << 14;
  std::uint64_t adds = 0;
  const double start = thread_cpu_seconds();
  double elapsed = 0;
  do {
    run_blocks(kChunkBlocks);
    adds += kChunkBlocks * 64;
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
    return adds_per_cpu_second(window_s,
                               [&](std::uint64_t blocks) { add_blocks(x, step, blocks); });
  }
  return adds_per_cpu_second(
      window_s, [&](std::uint64_t blocks) { add_blocks_beside_fmas(x, step, blocks); });
}

}  // namespace FLOPBENCH_VECTOR_PASS
}  // namespace flopbench::simd

FLOPBENCH_VECTOR_TARGET_END
