#pragma once

// The patterns of the GPU memory test (`flopbench memtest`, kernels/memtest.cu), as functions
// that both the device and the host compile: the device writes a word's expected value and
// later checks it against what it reads, with no copy to the host; the host tests
// (tests/test_memtest.cpp) check the patterns themselves and run the same write-then-verify
// over a simulated faulty memory.
//
// Memory is tested as 64-bit words. Each pattern step writes every word, then reads every word
// back and compares it with the value the step wrote:
//   walking ones   64 steps; in step s, word i holds the single bit (i + s) mod 64, so over the
//                  steps every word has every bit set once and cleared 63 times (a bit stuck at
//                  0 or 1 fails a step), and neighbouring words differ;
//   random         a counter-based pseudo-random word of (seed, i): regenerated on the device to
//                  verify, a new seed each pass; catches coupling between cells and bits;
//   own address    word i holds its byte offset, then the offset's complement: a write that
//                  lands on another word (a stuck or shorted address line) leaves a word holding
//                  another's address.

#include <cstdint>
#include <string_view>

#if defined(__CUDACC__)
#define FLOPBENCH_HOST_DEVICE __host__ __device__
#else
#define FLOPBENCH_HOST_DEVICE
#endif

namespace flopbench::memtest {

enum class Pattern : std::uint32_t { walking_ones, random, own_address };

// One write-then-verify step: a pattern and its parameter (the walking-ones shift, the random
// seed, 0 or 1 for the address or its complement).
struct Step {
  Pattern pattern = Pattern::walking_ones;
  std::uint64_t param = 0;
};

inline constexpr int kWalkingSteps = 64;

inline std::string_view pattern_name(Pattern p) {
  switch (p) {
    case Pattern::walking_ones:
      return "walking ones";
    case Pattern::random:
      return "random";
    case Pattern::own_address:
      return "own address";
  }
  return "unknown";
}

// SplitMix64's finaliser: a bijection of 64-bit words whose output bits each depend on every
// input bit, so consecutive counters give unrelated words.
FLOPBENCH_HOST_DEVICE inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// The value word `index` (counted from the start of the tested memory) holds in `step`.
FLOPBENCH_HOST_DEVICE inline std::uint64_t expected_word(Step step, std::uint64_t index) {
  switch (step.pattern) {
    case Pattern::walking_ones:
      return std::uint64_t{1} << ((index + step.param) & 63);
    case Pattern::random:
      return mix64(index ^ mix64(step.param));
    case Pattern::own_address: {
      const std::uint64_t offset = index * sizeof(std::uint64_t);
      return step.param == 0 ? offset : ~offset;
    }
  }
  return 0;
}

// Whether a word read back is what `step` wrote; `*expected` gets what that was.
FLOPBENCH_HOST_DEVICE inline bool word_ok(Step step, std::uint64_t index, std::uint64_t actual,
                                          std::uint64_t* expected) {
  *expected = expected_word(step, index);
  return actual == *expected;
}

// The steps of one pass, in order: kWalkingSteps walking ones, one random (seeded from `seed`
// and the pass), the address and its complement. `f(step)` for each.
template <class F>
void for_each_step(std::uint64_t seed, std::uint64_t pass, F&& f) {
  for (int s = 0; s < kWalkingSteps; ++s) {
    f(Step{Pattern::walking_ones, static_cast<std::uint64_t>(s)});
  }
  f(Step{Pattern::random, mix64(seed) ^ pass});
  f(Step{Pattern::own_address, 0});
  f(Step{Pattern::own_address, 1});
}

// The host's version of one step over a memory with write(i, v) and read(i): what the device
// kernels do, for tests. `bad(index, expected, actual)` for each word that reads back wrong;
// returns how many did.
template <class Memory, class OnBad>
std::int64_t run_step_on_host(Memory& memory, std::uint64_t words, Step step, OnBad&& bad) {
  for (std::uint64_t i = 0; i < words; ++i) memory.write(i, expected_word(step, i));
  std::int64_t count = 0;
  for (std::uint64_t i = 0; i < words; ++i) {
    std::uint64_t expected = 0;
    const std::uint64_t actual = memory.read(i);
    if (!word_ok(step, i, actual, &expected)) {
      ++count;
      bad(i, expected, actual);
    }
  }
  return count;
}

}  // namespace flopbench::memtest
