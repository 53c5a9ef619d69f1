#pragma once

// Burn-in (`flopbench burn`): a GEMM implementation per device run again and again on every
// selected device at once, each device on its own thread. Each iteration sets the kernel up
// afresh on the same seeded inputs and runs it a fixed number of times back to back (C = alpha AB
// + beta C in place; beta = -1 keeps a wrong value from one run in C to the last run of an odd
// number, INT8's beta = 0 overwrites it). Every iteration's output is checked: it must be finite
// and bit-identical to the first iteration's (the hand-written kernels, omp and cuda, are
// deterministic; cuBLASLt with one algorithm and its own workspace gives the same bits run after
// run on one GPU, and so does oneDNN's matmul on one CPU with the same threads), so any
// difference is a silent data corruption.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/registry.hpp"
#include "harness/core/results.hpp"
#include "harness/core/types.hpp"
#include "harness/core/workloads.hpp"

namespace flopbench {

struct BurnTarget {
  const Implementation* implementation = nullptr;  // a GEMM
  DeviceRef device;                                // the CPU or one GPU
};

// A fault injected on purpose, for tests of the whole command (docs/acceptance.md, "Testing a
// burn"): the CPU target's output as read back after iteration `iteration` has element 3 changed by
// one ulp (`wrong`) or set to NaN (`nan`), as a silent data corruption would change it.
struct InjectedBurnFault {
  InjectedFault kind = InjectedFault::none;
  std::int64_t iteration = 0;
};
// FLOPBENCH_BURN_INJECT_FAULT: "wrong:N" or "nan:N" (iteration N, from 1); unset or empty: none.
// Throws InputError for any other value.
InjectedBurnFault injected_burn_fault_from_environment();

struct BurnSettings {
  Precision precision = Precision::fp64;
  Problem problem;
  double duration_s = 0;
  std::uint64_t seed = 0;
  double window_s = 1.0;  // one throughput point per window of runs
  // About how long an iteration's runs take at least: one iteration is the kernel set up afresh
  // on the inputs, as many back-to-back runs as fill this (sized once, from the faster of two
  // runs), and a check of the output. Where nine times the setup and check is longer, the runs
  // fill that, up to a tenth of duration_s. 0: one run per iteration.
  double iteration_s = 0.5;
  // A GPU none of whose iterations ended for this long (or for ten of its mean iterations, or
  // of what its sizing runs predict for the first, where that is longer; its setup may take ten
  // times this) is hung: FAULTY, and its thread, stuck in the device, is left behind.
  double hang_s = 60;
  // Points per series at most (results.hpp, kBurnSeriesPoints); a longer burn merges them.
  std::size_t series_points = kBurnSeriesPoints;
  InjectedBurnFault inject;
};

// What a burn reports while it runs, from the calling thread.
struct BurnObserver {
  double progress_s = 10;
  // Every progress_s with the devices' state so far and the seconds elapsed.
  std::function<void(const std::vector<BurnDevice>&, double elapsed_s)> progress;
  // Reads the GPUs' telemetry; called about once a second on a thread of its own, each reading
  // (device "gpu<N>") joining that GPU's series. Empty: no telemetry.
  std::function<std::vector<GpuTelemetry>()> telemetry;
  // Reads the CPU's load since its last call, on the same thread and schedule, the reading
  // joining the CPU's `cpu_load` (its at_s is set here). Empty, or nullopt: no reading.
  std::function<std::optional<CpuBurnReading>()> cpu_load;
  // Hears, once, from the calling thread and with none of the burn's locks held, that a call of
  // `telemetry` (or `cpu_load`) made `since_s` into the burn has not returned for
  // settings.hang_s (NVML blocked by a hung driver): no reading follows (should that call
  // return, its reading is dropped and no reader is called again), and when the burn ends it is
  // left running, as a hung GPU's thread is (interrupts.hpp, leave_running), so the readers must
  // hold what they read by value. Empty: not told.
  std::function<void(double since_s)> telemetry_stopped;
};

// n of a burn's n x n x n GEMM when --size does not say: 2048, and 8192 at the matrix precisions
// where a GPU burns (its tensor-core GEMMs at 2048 last some tens of microseconds on a recent
// GPU, too short to keep it loaded between launches). A CPU burning alone keeps 2048: 8192 at
// BF16 was one 11-second run on two cores, so a short burn had one iteration and no second to
// compare it with. A CPU burning beside GPUs runs their size, unless none of `burning_gpus` is
// new enough for the precision's tensor cores (oldest_tensor_core_gpu): those end `unsupported`
// and the CPU burns alone.
std::int64_t default_burn_size(Precision precision, const std::vector<GpuDevice>& burning_gpus);

// Runs every target at once until settings.duration_s has passed, an interrupt is requested
// (interrupts.hpp), or that target's run gives a fault, which ends its burn (a failed run is a
// fault too, and so is a GPU that stops responding: settings.hang_s). A target that cannot run the
// precision here (UnsupportedHere, kernel.hpp) ends at once with the verdict `unsupported` and the
// reason. `progress` is called from the calling thread about once per `progress_s` with the
// devices' state so far and the seconds elapsed.
std::vector<BurnDevice> burn(const std::vector<BurnTarget>& targets, const BurnSettings& settings,
                             const BurnObserver& observer);

inline std::vector<BurnDevice> burn(
    const std::vector<BurnTarget>& targets, const BurnSettings& settings, double progress_s,
    const std::function<void(const std::vector<BurnDevice>&, double elapsed_s)>& progress) {
  return burn(targets, settings, BurnObserver{.progress_s = progress_s, .progress = progress});
}

// UNSUPPORTED stays; FAULTY where a fault was seen; DEGRADED where a telemetry reading had a
// reason that slows the device beyond its power cap (thermal or hardware slowdown, a power
// brake); UNCHECKED where no iteration was checked (setting up, or interrupted); DEGRADED where
// the median throughput is below that of the best sibling (same device kind, implementation and
// precision, and for GPUs the same model as `gpus` names them: an L4 is no H100's sibling) by
// more than `degraded_fraction`; OK otherwise, a device without a throughput point yet (a
// progress line's, checked before its first window ended) included.
void judge_burn(std::vector<BurnDevice>& devices, double degraded_fraction,
                const GpuInventory& gpus = {});

}  // namespace flopbench
