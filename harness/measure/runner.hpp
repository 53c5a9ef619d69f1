#pragma once

// The runner: runs each planned measurement (plan.hpp) — untimed setup, a first run that warms
// up and is verified, then samples taken with Google Benchmark's run loop until the stopping rule
// holds. Measurement problems become dispositions, never aborts.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/results.hpp"
#include "harness/core/statistics.hpp"
#include "harness/measure/plan.hpp"

namespace flopbench {

struct RunSettings {
  StoppingRule rule;
  double min_sample_s = 0.02;  // minimum time of one sample (back-to-back runs of the kernel)
  std::uint64_t seed = 0;

  // What results.json records of these settings.
  Sampling recorded() const {
    return {rule.min_samples,    rule.max_samples, min_sample_s,
            rule.min_measured_s, rule.target_cv,   rule.time_limit_s};
  }
};
RunSettings settings_for(Profile profile, std::uint64_t seed);

// Runs one measurement end to end. Never throws for problems of the measurement itself.
MeasurementRecord measure(const MeasurementRequest& request, const RunSettings& settings,
                          const Environment& env);

// Where a passed compute-bound record has no theoretical peak (a CPU neither the peak table nor
// its ISA extensions identify), the best rate of the `peak` workload among `records` on the same
// device, precision and threads becomes its ceiling, with a basis that starts "measured". A record
// with no such measurement keeps its unknown peak and the reason.
void apply_measured_ceilings(std::vector<MeasurementRecord>& records);

// GPUs whose CUDA context a fault has left unusable (GpuError::context_lost()), each with
// where and why. No further CUDA work can run on them in this process, so measure() records
// their later measurements as skipped with that reason instead of letting each fail at its
// first CUDA call under a misleading name. Process-wide, as the CUDA contexts are.
class LostGpus {
 public:
  void add(int gpu, std::string why);
  std::optional<std::string> why(int gpu) const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::map<int, std::string> why_;
};
LostGpus& lost_gpus();

class TelemetrySource;
// The GPU telemetry source that measurements read, opened on first use: NVML, else nvidia-smi.
// nullptr, with the reason in *why_not, when neither can be used.
TelemetrySource* gpu_telemetry(std::string* why_not = nullptr);

// "throttled: gpu0 hw_thermal_slowdown (during: 3 of 40 readings)" when a telemetry reading of a
// record (before, during or after its samples) shows a reason that lowers the clocks of a busy GPU;
// "" otherwise. measure() adds it to the record's notes, where the acceptance check's throttle
// criterion reads it.
std::string throttle_note(const MeasurementRecord& r);

// "power cap: gpu0 (during: 30 of 40 readings)" when a telemetry reading of a record showed a
// GPU at its power cap (before, during or after its samples); "" otherwise. Not throttling (it is
// how a busy GPU runs as specified) but the reason its clocks, and a compute-bound rate, can sit
// below the peak's. measure() adds it to the record's notes.
std::string power_cap_note(const MeasurementRecord& r);

// "contended: other processes used 0.95 CPUs ..." when the record's load says contended; ""
// otherwise. measure() adds it to the record's notes, which every report shows.
std::string contention_note(const MeasurementRecord& r);

// "fewer threads: its 2 threads kept 1.01 CPUs busy ..." when the record's threads kept fewer
// CPUs busy than they were given (MeasurementRecord::ran_on_fewer_threads); "" otherwise.
// measure() adds it to the record's notes.
std::string fewer_threads_note(const MeasurementRecord& r);

// "above the theoretical peak by 1.8 %: ..." when a record's rate exceeds its theoretical peak:
// for a CPU whose clock was measured, the cores ran faster than when the run measured it (a
// cloud VM's clock moves), unless the clock measured again after the samples (clock_after_ghz)
// moved by far less than the excess, against `cpu`'s clock; otherwise the peak model is too low
// for the device. "" otherwise. measure() adds it to the record's notes.
std::string above_peak_note(const MeasurementRecord& r, const CpuInventory& cpu);

// "narrow vectors: 256-bit (OpenBLAS's Haswell kernels, ...), where the peak counts 2 x 512-bit
// FMA units a core: at most 50 % of it is within reach" when a CPU record's FP32 or FP64 kernels
// ran vectors too narrow to reach the whole of its theoretical peak (vector_reach); ""
// otherwise. measure() adds it to the record's notes, and `check` gives it with a criterion
// whose lower bound the record missed.
std::string narrow_vectors_note(const MeasurementRecord& r, const VectorWidth& width,
                                const CpuInventory& cpu);

// How far the clock measured after a CPU measurement may be from the one its peak assumes
// before it is noted: on a quiet VM the two agreed within 0.3 % (docs/methodology.md).
inline constexpr double kClockMovedFraction = 0.02;

// "clock moved: 4.49 GHz on this measurement's 2 threads right after its samples, +4.2 % from the
// 4.31 GHz its peak assumes (measured as the run started)" when the record's clock_after_ghz is
// further than kClockMovedFraction from the run's vector clock; "clock differs: ..." when the
// measurement used fewer threads than the CPUs that clock was measured on, whose cores may
// simply boost higher; "" otherwise. measure() adds it to the record's notes.
std::string clock_note(const MeasurementRecord& r, const CpuInventory& cpu);

// Where this process may not run on any CPU of GPU `gpu`'s NUMA node (a job bound to the other
// socket), its host buffers are on another node and a copy to or from them crosses the link
// between the sockets: "host memory on another NUMA node: ..."; "" otherwise, or where the node's
// CPUs are unknown. The runner notes it on transfers and end-to-end timings.
std::string far_from_gpu_note(const Environment& env, int gpu);

}  // namespace flopbench
