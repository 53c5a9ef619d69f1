#pragma once

// Burn-in (`flopbench burn`): one GEMM implementation run again and again on every selected
// device at once, each device on its own thread, on the same seeded inputs each time. Every
// run's output is checked: it must be finite and bit-identical to the first run's (the
// deterministic hand-written kernels, omp and cuda, give the same bits for the same inputs on
// the same device), so any difference is a silent data corruption.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/registry.hpp"
#include "harness/core/types.hpp"

namespace flopbench {

struct BurnTarget {
  const Implementation* implementation = nullptr;  // a GEMM
  DeviceRef device;                                // the CPU or one GPU
};

struct BurnSettings {
  Precision precision = Precision::fp64;
  Problem problem;
  double duration_s = 0;
  std::uint64_t seed = 0;
  double window_s = 1.0;  // one throughput point per window of runs
};

// Throughput of the runs that ended in one window: their FLOPs over their run time.
struct BurnPoint {
  double at_s = 0;  // end of the window, since the burn started
  double gflops = 0;
};

enum class BurnVerdict { ok, faulty, degraded };
std::string_view to_string(BurnVerdict v);  // "OK", "FAULTY", "DEGRADED"

struct BurnDevice {
  DeviceRef device;
  std::string implementation;
  Precision precision = Precision::fp64;
  Problem problem;
  std::int64_t iterations = 0;  // runs checked
  double seconds = 0;           // from the start to the last run's end
  std::vector<BurnPoint> throughput;
  std::string fault;  // "iteration 7: element 3 (row 3, column 0) is nan"; "" when none
  BurnVerdict verdict = BurnVerdict::ok;
  std::string why;  // the verdict's reason; "" for OK

  // The median of the throughput points; 0 when there are none.
  double median_gflops() const;
};

// Runs every target at once until settings.duration_s has passed, an interrupt is requested
// (interrupts.hpp), or that target's run gives a fault, which ends its burn (a failed run is a
// fault too). `progress` is called from the calling thread about once per `progress_s` with
// the devices' state so far and the seconds elapsed.
std::vector<BurnDevice> burn(
    const std::vector<BurnTarget>& targets, const BurnSettings& settings, double progress_s,
    const std::function<void(const std::vector<BurnDevice>&, double elapsed_s)>& progress);

// FAULTY where a fault was seen; DEGRADED where the median throughput is below that of the best
// sibling (same device kind, implementation and precision) by more than `degraded_fraction`;
// OK otherwise.
void judge_burn(std::vector<BurnDevice>& devices, double degraded_fraction);

}  // namespace flopbench
