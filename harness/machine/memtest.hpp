#pragma once

// The GPU memory test (`flopbench memtest`): most of a GPU's free memory written and verified
// on the device with the patterns of harness/core/memtest_patterns.hpp, pass after pass, until
// a time box ends. Defined in kernels/memtest.cu; a CPU-only build has a stand-in that says
// the test needs the CUDA build (memtest_unavailable.cpp).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/results.hpp"

namespace flopbench {

struct MemtestSettings {
  std::optional<std::int64_t> bytes;  // how much to test; empty: `fraction` of the free memory
  double fraction = 0.9;
  // The time box, from when the memory is allocated: no new step starts after it once a pass of
  // every pattern is complete (a test without one would have tested nothing whole).
  double duration_s = 60;
  std::uint64_t seed = 1;      // of the random pattern
  std::function<bool()> stop;  // an interrupt: no new step starts once it returns true
  // Called after a pass with the state so far (from the calling thread), at most once every
  // kMemtestProgressPeriodS: a small test's pass takes milliseconds. The caller has the final
  // state from memtest_gpu.
  std::function<void(const MemtestDevice&)> progress;
  // Called after each step (one pattern written and verified over the whole test), from the
  // calling thread: the sign of life a watchdog needs (memtest_silence).
  std::function<void()> step_done;
};

// Why a memory test that shows no sign of life is taken for hung, "" while it is not: no step
// ended within kMemtestFirstStepS of its start (allocating and preparing the memory), or none
// within the larger of kMemtestQuietS and 20 times its longest step since the last one. Times
// in seconds since the test started; `last_step_s` empty before the first step ends.
inline constexpr double kMemtestFirstStepS = 300;
inline constexpr double kMemtestQuietS = 60;
std::string memtest_silence(double now_s, std::optional<double> last_step_s, double longest_step_s);

inline constexpr double kMemtestProgressPeriodS = 1.0;

// Whether a progress report is due at `now_s`: the first after kMemtestProgressPeriodS, then
// no sooner than that after the last one that was due.
class MemtestPacer {
 public:
  bool due(double now_s) {
    if (now_s - last_s_ < kMemtestProgressPeriodS) return false;
    last_s_ = now_s;
    return true;
  }

 private:
  double last_s_ = 0;
};

// The free memory a test leaves to the driver on a GPU of `total_bytes`: the larger of 1 GiB
// and 2 % of it (its own allocations, and what loading a module or creating a context takes
// while the test holds the rest).
std::int64_t memtest_driver_reserve(std::int64_t total_bytes);

// Why a test of `bytes` cannot be made with `free_bytes` of `total_bytes` free: more than the
// free memory less memtest_driver_reserve. "" when it can.
std::string memtest_too_large(std::int64_t bytes, std::int64_t free_bytes,
                              std::int64_t total_bytes);

// Why `bytes` is too small to test a GPU whose L2 cache has `l2_bytes`: under
// kMemtestCacheMultiple times the L2, most reads hit the cache, not the memory. "" when it is
// not (or the L2 size is unknown, 0).
inline constexpr int kMemtestCacheMultiple = 4;
std::string memtest_too_small(std::int64_t bytes, std::int64_t l2_bytes);

// Adds what one step found to `d`: `count` bad words to its bad_words, and those of `found` (the
// step's first records, each word once in a step) whose word d.errors does not hold yet, up to
// kMemtestMaxErrors. A bit stuck at 1 fails 63 of the 64 walking-ones steps: counted in each, it
// is recorded once, and leaves room for the next bad word.
void record_bad_words(MemtestDevice& d, std::int64_t count, const std::vector<MemtestError>& found);

// Tests GPU `gpu`. Errors of the test itself (allocation, a CUDA error) are in the result's
// `failure`, with what was found before; never throws for them.
MemtestDevice memtest_gpu(int gpu, const MemtestSettings& settings);

// Whether this build has the memory test (the CUDA build).
bool memtest_built();

}  // namespace flopbench
