// The GPU memory test's patterns (harness/core/memtest_patterns.hpp), which the device kernels
// (kernels/memtest.cu) compile too: what each pattern covers, and the same write-then-verify
// over a simulated memory with a stuck bit or a faulty address line; the limits on a test's size
// and how often it reports progress (harness/machine/memtest.hpp). On a GPU, `flopbench memtest`
// end to end (test_cli.cpp) runs them on the device.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <set>
#include <vector>

#include "harness/core/memtest_patterns.hpp"
#include "harness/machine/memtest.hpp"
#include "harness/measure/interrupts.hpp"
#include "harness/measure/memtest_watch.hpp"

namespace flopbench::memtest {
namespace {

constexpr std::uint64_t kWords = 4096;

TEST(MemtestPatterns, WalkingOnesSetEveryBitOfEveryWordOnce) {
  for (std::uint64_t i = 0; i < kWords; ++i) {
    std::uint64_t seen = 0;
    for (int s = 0; s < kWalkingSteps; ++s) {
      const std::uint64_t w = expected_word({Pattern::walking_ones, std::uint64_t(s)}, i);
      ASSERT_EQ(std::popcount(w), 1) << "word " << i << " step " << s;
      ASSERT_EQ(seen & w, 0u) << "word " << i << " has a bit twice";
      seen |= w;
    }
    ASSERT_EQ(seen, ~std::uint64_t{0}) << "word " << i;
  }
  // Neighbours differ within a step, so a write that lands next door shows.
  EXPECT_NE(expected_word({Pattern::walking_ones, 0}, 10),
            expected_word({Pattern::walking_ones, 0}, 11));
}

TEST(MemtestPatterns, OwnAddressDiffersForEveryWordAndComplements) {
  std::set<std::uint64_t> seen;
  for (std::uint64_t i = 0; i < kWords; ++i) {
    const std::uint64_t w = expected_word({Pattern::own_address, 0}, i);
    EXPECT_EQ(w, i * 8);
    EXPECT_EQ(expected_word({Pattern::own_address, 1}, i), ~w);
    seen.insert(w);
  }
  EXPECT_EQ(seen.size(), kWords);
}

TEST(MemtestPatterns, RandomIsReproducibleVariedAndSeeded) {
  const Step a{Pattern::random, 42}, b{Pattern::random, 43};
  std::set<std::uint64_t> seen;
  std::uint64_t bits = 0, differs = 0;
  for (std::uint64_t i = 0; i < kWords; ++i) {
    const std::uint64_t w = expected_word(a, i);
    EXPECT_EQ(w, expected_word(a, i));  // the device regenerates it to verify
    seen.insert(w);
    bits += static_cast<std::uint64_t>(std::popcount(w));
    differs += w != expected_word(b, i);
  }
  EXPECT_EQ(seen.size(), kWords);  // not constant: no repeats at all in 4096 words
  const double mean_bits = double(bits) / kWords;
  EXPECT_GT(mean_bits, 30);  // about half the bits set, as random words have
  EXPECT_LT(mean_bits, 34);
  EXPECT_EQ(differs, kWords);  // another seed, other words
}

TEST(MemtestPatterns, APassRunsEveryPatternWithANewRandomSeed) {
  std::vector<Step> first, second;
  for_each_step(7, 0, [&](Step s) { first.push_back(s); });
  for_each_step(7, 1, [&](Step s) { second.push_back(s); });
  ASSERT_EQ(first.size(), std::size_t(kWalkingSteps) + 3);
  EXPECT_EQ(first[kWalkingSteps].pattern, Pattern::random);
  EXPECT_NE(first[kWalkingSteps].param, second[kWalkingSteps].param);
  EXPECT_EQ(first.back().pattern, Pattern::own_address);
  EXPECT_EQ(pattern_name(Pattern::own_address), "own address");
}

// Memory with one bit stuck, or an address line that sends the writes of some words to others.
struct FaultyMemory {
  std::vector<std::uint64_t> cells = std::vector<std::uint64_t>(kWords);
  std::uint64_t stuck_word = kWords, stuck_mask = 0;
  bool stuck_at_one = false;
  std::uint64_t alias_bit = 0;  // an address line stuck at 1: word i is word i | alias_bit

  void write(std::uint64_t i, std::uint64_t v) { cells[i | alias_bit] = v; }
  std::uint64_t read(std::uint64_t i) const {
    const std::uint64_t v = cells[i | alias_bit];
    if (i != stuck_word) return v;
    return stuck_at_one ? v | stuck_mask : v & ~stuck_mask;
  }
};

struct Bad {
  std::uint64_t index, expected, actual;
};

std::vector<Bad> run_pass(FaultyMemory& m, Pattern only, std::uint64_t pass = 0) {
  std::vector<Bad> bad;
  for_each_step(1, pass, [&](Step s) {
    if (s.pattern != only) return;
    run_step_on_host(m, kWords, s, [&](std::uint64_t i, std::uint64_t e, std::uint64_t a) {
      bad.push_back({i, e, a});
    });
  });
  return bad;
}

TEST(MemtestSimulation, HealthyMemoryPassesEveryPattern) {
  FaultyMemory m;
  for (const Pattern p : {Pattern::walking_ones, Pattern::random, Pattern::own_address}) {
    EXPECT_TRUE(run_pass(m, p).empty()) << pattern_name(p);
  }
}

TEST(MemtestSimulation, AStuckBitIsCaughtWithItsWordAndValues) {
  for (const bool at_one : {false, true}) {
    FaultyMemory m;
    m.stuck_word = 777;
    m.stuck_mask = std::uint64_t{1} << 5;
    m.stuck_at_one = at_one;
    const auto bad = run_pass(m, Pattern::walking_ones);
    // Stuck at 0: only the step that sets bit 5 of word 777 sees it; stuck at 1: every other.
    ASSERT_EQ(bad.size(), at_one ? 63u : 1u) << at_one;
    for (const Bad& b : bad) {
      EXPECT_EQ(b.index, 777u);
      EXPECT_EQ(b.expected ^ b.actual, m.stuck_mask);
    }
    // A random word has the stuck bit's other value half the time: over passes (a new seed
    // each) the random pattern finds it too.
    int found = 0;
    for (std::uint64_t pass = 0; pass < 8; ++pass)
      found += !run_pass(m, Pattern::random, pass).empty();
    EXPECT_GT(found, 0);
    EXPECT_LT(found, 8);
  }
}

// A bit stuck at 1 fails 63 steps of a pass: each counts, but its word is recorded once, and a
// second bad word found later is recorded too (before, the first word's 63 records filled the
// 64 slots in the first pass, and a second word was never named).
TEST(MemtestSimulation, EachBadWordIsRecordedOnceWhateverItsSteps) {
  FaultyMemory m;
  m.stuck_word = 777;
  m.stuck_mask = std::uint64_t{1} << 5;
  m.stuck_at_one = true;
  MemtestDevice d;
  const auto record_pass = [&] {
    for_each_step(1, 0, [&](Step s) {
      if (s.pattern != Pattern::walking_ones) return;
      std::vector<MemtestError> step_found;
      run_step_on_host(m, kWords, s, [&](std::uint64_t i, std::uint64_t e, std::uint64_t a) {
        step_found.push_back({std::string(pattern_name(s.pattern)), std::int64_t(i * 8), e, a});
      });
      record_bad_words(d, std::int64_t(step_found.size()), step_found);
    });
  };
  record_pass();
  EXPECT_EQ(d.bad_words, 63);
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors[0].offset, 777 * 8);
  m.stuck_word = 2000;  // another word goes bad
  record_pass();
  EXPECT_EQ(d.bad_words, 126);
  ASSERT_EQ(d.errors.size(), 2u);
  EXPECT_EQ(d.errors[1].offset, 2000 * 8);
  // Never more than kMemtestMaxErrors words.
  std::vector<MemtestError> many;
  for (int i = 0; i < 2 * kMemtestMaxErrors; ++i) many.push_back({"random", 8 * (5000 + i), 1, 0});
  record_bad_words(d, std::int64_t(many.size()), many);
  EXPECT_EQ(d.errors.size(), std::size_t(kMemtestMaxErrors));
  EXPECT_EQ(d.bad_words, 126 + 2 * kMemtestMaxErrors);
}

TEST(MemtestSimulation, AnAddressFaultIsCaughtByTheAddressPattern) {
  FaultyMemory m;
  m.alias_bit = 256;  // a stuck address line: word i and word i | 256 are one cell
  const auto bad = run_pass(m, Pattern::own_address);
  // Each pair's cell holds the last write, to the word with bit 8 set, so every word with the
  // bit clear reads its partner's address: half the words.
  ASSERT_EQ(bad.size(), 2 * kWords / 2);  // twice: the address and its complement
  EXPECT_EQ(bad[0].index, 0u);
  EXPECT_EQ(bad[0].actual, 256u * 8);
  EXPECT_FALSE(run_pass(m, Pattern::random).empty());
  // Walking ones alone would miss it: the partner's word is the same (256 is a multiple of 64).
  EXPECT_TRUE(run_pass(m, Pattern::walking_ones).empty());
}

constexpr std::int64_t kMiB = std::int64_t{1} << 20;
constexpr std::int64_t kGiB = std::int64_t{1} << 30;

// The driver keeps the larger of 1 GiB and 2 % of the GPU: an H200's 141 GB leaves it 2.6 GiB.
TEST(MemtestSize, LeavesTheDriverRoom) {
  EXPECT_EQ(memtest_driver_reserve(16 * kGiB), kGiB);
  const std::int64_t h200 = 143771090944;  // 133.9 GiB, as cudaMemGetInfo gives it
  EXPECT_EQ(memtest_driver_reserve(h200), h200 / 50);
  const std::int64_t free = h200 - 600 * kMiB;
  EXPECT_EQ(memtest_too_large(free - h200 / 50, free, h200), "");
  const std::string refused = memtest_too_large(free - h200 / 50 + 8, free, h200);
  EXPECT_NE(refused.find("GiB asked for"), std::string::npos) << refused;
  EXPECT_NE(refused.find("leaving the driver 2.68 GiB"), std::string::npos) << refused;
  EXPECT_NE(memtest_too_large(free, free, h200), "");
  // A small GPU: 1 GiB.
  EXPECT_EQ(memtest_too_large(14 * kGiB, 15 * kGiB, 16 * kGiB), "");
  EXPECT_NE(memtest_too_large(14 * kGiB + 8, 15 * kGiB, 16 * kGiB), "");
  // Less free than the driver must keep: whatever the size (a fraction of it comes out negative).
  EXPECT_EQ(memtest_too_large(-kGiB / 2, kGiB / 2, 16 * kGiB),
            "0.50 GiB free, no more than the driver must keep (1.00 GiB: the larger of 1 GiB and 2 "
            "% of the GPU's 16.00 GiB)");
}

// Under 4 x the L2 the test reads the cache: refused, with both sizes. An unknown L2 (0) is not.
TEST(MemtestSize, ATestThatFitsTheCacheIsRefused) {
  const std::int64_t l2 = 50 * kMiB;               // an H200's
  EXPECT_EQ(memtest_too_small(kGiB / 4, l2), "");  // test_cli.cpp's size
  EXPECT_EQ(memtest_too_small(4 * l2, l2), "");
  const std::string refused = memtest_too_small(4 * l2 - 8, l2);
  EXPECT_NE(refused.find("200.0 MiB is smaller than 4 x this GPU's 50.0 MiB L2 cache"),
            std::string::npos)
      << refused;
  EXPECT_NE(refused.find("the cache, not the memory"), std::string::npos) << refused;
  EXPECT_NE(memtest_too_small(0, l2), "");
  EXPECT_EQ(memtest_too_small(kMiB, 0), "");
}

// Progress is reported at most once a second, however short a pass.
TEST(MemtestProgress, AtMostOnceASecond) {
  MemtestPacer pacer;
  int due = 0;
  // 15 s of passes of 1/64 s (as a small test's on a fast GPU; exact in binary).
  for (int pass = 1; pass <= 15 * 64; ++pass) due += pacer.due(pass / 64.0);
  EXPECT_EQ(due, 15);
  MemtestPacer slow;
  EXPECT_TRUE(slow.due(30));  // a pass of 30 s reports at once
  EXPECT_TRUE(slow.due(60));
  EXPECT_FALSE(slow.due(60.5));
}

// A GPU that stops ending steps is taken for hung, after the setup's allowance, then after the
// larger of a minute and twenty of its longest steps; a slow GPU with long steps is not.
TEST(MemtestWatchdog, SilenceIsHungOnlyBeyondWhatAStepCouldTake) {
  EXPECT_EQ(memtest_silence(kMemtestFirstStepS - 1, std::nullopt, 0), "");
  const std::string setup = memtest_silence(kMemtestFirstStepS + 1, std::nullopt, 0);
  EXPECT_NE(setup.find("no step of the test ended in 301 s"), std::string::npos) << setup;
  // Steps of 0.1 s: a minute of silence.
  EXPECT_EQ(memtest_silence(10 + kMemtestQuietS - 1, 10, 0.1), "");
  const std::string quiet = memtest_silence(10 + kMemtestQuietS + 1, 10, 0.1);
  EXPECT_NE(quiet.find("no step of the test ended for 61 s (the last at 10.0 s"), std::string::npos)
      << quiet;
  EXPECT_NE(quiet.find("the GPU may be hung"), std::string::npos);
  // Steps of 5 s: twenty of them.
  EXPECT_EQ(memtest_silence(10 + 99, 10, 5), "");
  EXPECT_NE(memtest_silence(10 + 101, 10, 5), "");
}

// The watchdog's clock: steps of 1 s and polls every second for 10 s, then the process stopped
// for 100 s inside a step (Ctrl-Z, a scheduler's suspend: continued once; or a pause of the whole
// VM, which no SIGCONT ends). `step_done_first`: after the stop, the GPU's thread records its step
// before the watchdog polls, or after.
MemtestWatch stopped_in_a_step(bool step_done_first, int continued) {
  MemtestWatch watch(1, 0, 1);
  for (int t = 1; t <= 10; ++t) {
    watch.step_done(0, t, 0);
    watch.poll(t + 0.5, 0);
  }
  // Stopped at 10.6 s, on again at 110.6 s: the step under way ends at 110.7 s.
  if (step_done_first) {
    watch.step_done(0, 110.7, continued);
    watch.poll(111, continued);
  } else {
    watch.poll(110.8, continued);
    watch.step_done(0, 111, continued);
  }
  return watch;
}

// Polls every second from `raw_s` on until the watch takes the GPU for hung; returns its clock
// then, stops taken out (0 when not within `limit_s`).
double hung_at(MemtestWatch& watch, double raw_s, int continued, double limit_s = 1000) {
  for (const double end = raw_s + limit_s; raw_s < end; raw_s += 1) {
    watch.poll(raw_s, continued);
    if (!watch.silence(0).empty()) return watch.now_s();
  }
  return 0;
}

// A stop is no silence of the GPU's, and the step it fell in is no step's time: that would make
// twenty of the longest step (2000 s) the silence a hang needs. Whichever of the GPU's thread and
// the watchdog sees the stop first, and whether a SIGCONT or only the gap shows it, a GPU that then
// ends no step is hung a minute after its last one, as before the stop.
TEST(MemtestWatchdog, AStopIsNeitherSilenceNorAStep) {
  for (const bool step_done_first : {true, false}) {
    for (const int continued : {1, 0}) {
      SCOPED_TRACE(fmt::format("step first {}, continued {}", step_done_first, continued));
      MemtestWatch watch = stopped_in_a_step(step_done_first, continued);
      EXPECT_EQ(watch.silence(0), "");
      EXPECT_NEAR(watch.now_s(), 11.5, 0.1);  // the stop taken out
      const double last_step_s = step_done_first ? 11.2 : 11.7;
      EXPECT_NEAR(hung_at(watch, 112, continued), last_step_s + kMemtestQuietS, 1.01);
      // A stop seen by its gap alone is taken as its gap less a poll period: up to that much
      // slack can stay in the step it fell in.
      EXPECT_NE(watch.silence(0).find("the longest took 1."), std::string::npos)
          << watch.silence(0);
    }
  }
}

// A step recorded between two stops that one poll takes out moves back no further than that poll's
// previous one; a later stop does not move it again.
TEST(MemtestWatchdog, AStepBetweenTwoStopsIsNoSilence) {
  MemtestWatch twice(1, 0, 1);
  for (int t = 1; t <= 10; ++t) {
    twice.step_done(0, t, 0);
    twice.poll(t + 0.5, 0);
  }
  twice.step_done(0, 110.7, 1);  // on again at 110.6 s, stopped again at 110.8 s for 100 s
  twice.poll(211, 2);
  EXPECT_EQ(twice.silence(0), "");
  EXPECT_NEAR(hung_at(twice, 212, 2), 10.5 + kMemtestQuietS, 1.01);

  MemtestWatch later = stopped_in_a_step(true, 1);  // its last step at 11.2 s
  for (double raw_s = 112; raw_s <= 116; raw_s += 1) later.poll(raw_s, 1);
  later.poll(217, 2);  // stopped again for 100 s, no step since the last poll
  EXPECT_NEAR(hung_at(later, 218, 2), 11.2 + kMemtestQuietS, 1.01);
}

// After an interrupt a test stops after its step: one that has not returned a few seconds later
// is taken for hung, inside the grace after which the process ends itself, so that what was
// found is written first (before, the watchdog waited for a minute's silence).
TEST(MemtestWatchdog, ATestThatDoesNotStopAfterAnInterruptIsHung) {
  MemtestWatch watch(1, 0, 1);
  for (int t = 1; t <= 10; ++t) {
    watch.step_done(0, t, 0);
    watch.poll(t + 0.5, 0);
  }
  watch.interrupted();  // at 10.5 s
  EXPECT_EQ(watch.silence(0), "");
  watch.poll(14, 0);
  watch.interrupted();  // the first time is kept
  EXPECT_EQ(watch.silence(0), "");
  watch.poll(10.5 + MemtestWatch::kInterruptWaitS, 0);
  const std::string why = watch.silence(0);
  EXPECT_NE(why.find("did not stop within 5 s of the interrupt (its last step ended at 10.0 s)"),
            std::string::npos)
      << why;
  EXPECT_LT(MemtestWatch::kInterruptWaitS + 1, kInterruptGraceSeconds);

  // The wait is real time, as the grace is: a stop after the interrupt counts.
  MemtestWatch stopped(1, 0, 1);
  stopped.step_done(0, 1, 0);
  stopped.poll(1.5, 0);
  stopped.interrupted();
  stopped.poll(7, 1);  // continued after a 5.5 s stop
  EXPECT_NE(stopped.silence(0).find("of the interrupt"), std::string::npos);
  // A test still allocating stops at its next 1 GiB piece: the same wait holds.
  MemtestWatch allocating(1, 0, 1);
  allocating.poll(1, 0);
  allocating.interrupted();
  allocating.poll(5.5, 0);
  EXPECT_EQ(allocating.silence(0), "");
  allocating.poll(6, 0);
  EXPECT_NE(allocating.silence(0).find("of the interrupt (no step had ended)"), std::string::npos)
      << allocating.silence(0);
}

// A stop that no SIGCONT ends (a pause of the whole VM) shows as a gap between polls, when it is
// longer than MemtestWatch::kStopGapS; a short one shows by its SIGCONT.
TEST(MemtestWatchdog, AStopIsSeenByItsGapOrByItsContinuation) {
  MemtestWatch paused(1, 0, 1);
  paused.step_done(0, 1, 0);
  paused.poll(1.5, 0);
  paused.poll(101.5, 0);  // no poll for 100 s
  EXPECT_NEAR(paused.now_s(), 2.5, 1e-9);
  MemtestWatch continued(1, 0, 1);
  continued.step_done(0, 1, 0);
  continued.poll(1.5, 0);
  continued.poll(4.5, 1);  // a 2 s stop
  EXPECT_NEAR(continued.now_s(), 2.5, 1e-9);
  MemtestWatch neither(1, 0, 1);
  neither.poll(1.5, 0);
  neither.poll(4.5, 0);  // a slow poll, no stop
  EXPECT_NEAR(neither.now_s(), 4.5, 1e-9);
}

}  // namespace
}  // namespace flopbench::memtest
