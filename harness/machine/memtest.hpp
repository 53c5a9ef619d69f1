#pragma once

// The GPU memory test (`flopbench memtest`): most of a GPU's free memory written and verified
// on the device with the patterns of harness/core/memtest_patterns.hpp, pass after pass, until
// a time box ends. Defined in kernels/memtest.cu; a CPU-only build has a stand-in that says
// the test needs the CUDA build (memtest_unavailable.cpp).

#include <cstdint>
#include <functional>
#include <optional>

#include "harness/core/results.hpp"

namespace flopbench {

struct MemtestSettings {
  std::optional<std::int64_t> bytes;  // how much to test; empty: `fraction` of the free memory
  double fraction = 0.9;
  double duration_s = 60;      // the time box: no new step starts after it
  std::uint64_t seed = 1;      // of the random pattern
  std::function<bool()> stop;  // an interrupt: no new step starts once it returns true
  // Called after each pass with the state so far (from the calling thread).
  std::function<void(const MemtestDevice&)> progress;
};

// Tests GPU `gpu`. Errors of the test itself (allocation, a CUDA error) are in the result's
// `failure`, with what was found before; never throws for them.
MemtestDevice memtest_gpu(int gpu, const MemtestSettings& settings);

// Whether this build has the memory test (the CUDA build).
bool memtest_built();

}  // namespace flopbench
