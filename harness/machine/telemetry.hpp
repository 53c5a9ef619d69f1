#pragma once

// GPU telemetry around each measurement (docs/methodology.md, "On the GPU"): SM and memory clocks,
// temperature, power and the active clock event ("throttle") reasons. NVML is loaded at run time
// with dlopen, so a build needs neither nvml.h nor a driver; where NVML is missing, nvidia-smi
// is run instead.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/results.hpp"

namespace flopbench {

// The fields flopbench asks nvidia-smi for, in this order. Drivers older than the rename of
// throttle reasons to clock event reasons (in the R535 branch) reject
// clocks_event_reasons.active; they are asked for clocks_throttle_reasons.active instead.
inline constexpr std::string_view kNvidiaSmiQuery =
    "pci.bus_id,clocks.sm,clocks.mem,temperature.gpu,power.draw,clocks_event_reasons.active";

// Names of the NVML clock event reason bits set in `mask` ("gpu_idle", "sw_power_cap", ...,
// lowest bit first); a bit NVML does not document is named "unknown_0x<bit>".
std::vector<std::string> clock_event_reason_names(std::uint64_t mask);

// Whether a reason slows a busy GPU beyond how it is specified to run: hardware slowdown,
// software or hardware thermal slowdown, power brake. Running at the power cap (sw_power_cap) is
// not: it is how a busy data-centre GPU runs under dense GEMM (a lowered power limit is a health
// fact, and a GPU slowed by it falls behind its siblings), and measurements note it apart
// (at_power_cap). Idle, application and display clock settings and sync boost are not
// throttling, nor is a bit nvml.h does not define (unknown_0x...).
bool is_throttling_reason(std::string_view name);

// Whether a reading shows the GPU at its power cap (sw_power_cap).
inline bool at_power_cap(const GpuTelemetry& t) {
  return std::ranges::find(t.clock_event_reasons, "sw_power_cap") != t.clock_event_reasons.end();
}

// Whether two PCI bus ids name the same device: CUDA writes "0000:17:00.0", nvidia-smi
// "00000000:17:00.0". The domain is compared as a number, the rest case-insensitively.
bool same_pci_bus_id(std::string_view a, std::string_view b);

struct NvidiaSmiReading {
  std::string pci_bus_id;
  GpuTelemetry telemetry;  // source "nvidia-smi"; device left empty for the caller to name
};

// Parses the output of `nvidia-smi --query-gpu=<kNvidiaSmiQuery> --format=csv,nounits`, header
// line included; the reasons column may be clocks_event_reasons.active or
// clocks_throttle_reasons.active. A value nvidia-smi cannot give ("[N/A]", "[Not Supported]")
// stays empty. Throws InputError saying what is wrong with a malformed header or row, and where.
std::vector<NvidiaSmiReading> parse_nvidia_smi_csv(std::string_view csv);

class TelemetrySource {
 public:
  virtual ~TelemetrySource() = default;
  virtual std::string name() const = 0;  // "nvml" or "nvidia-smi"
  // The state of these GPUs now, each with device "gpu<index>", in their order; a GPU that
  // could not be read has no reading. One query for all of them (one nvidia-smi run), so that
  // the readings are taken together. Never throws.
  virtual std::vector<GpuTelemetry> read(const std::vector<GpuDevice>& gpus) = 0;
};

// The environment variable naming the NVML library to load instead of libnvidia-ml.so.1 (a path;
// tests point it at a stand-in library), and the library that is loaded: its value when set.
inline constexpr const char* kNvmlLibraryEnv = "FLOPBENCH_NVML_LIBRARY";
std::string nvml_library();

// Runs `args` (the program found on PATH) with stdin and stderr on /dev/null and returns what it
// wrote to stdout; nullopt, with why in `error`, when it cannot start, exits with an error,
// outlives `timeout` or writes more than 1 MiB (then it is killed).
std::optional<std::string> run_for_output(std::vector<std::string> args,
                                          std::chrono::milliseconds timeout, std::string& error);

// NVML when libnvidia-ml.so.1 loads and initialises; otherwise nvidia-smi when it runs and its
// output parses; otherwise nullptr, with why neither worked (one line) in *why_not.
std::unique_ptr<TelemetrySource> open_telemetry_source(std::string* why_not = nullptr);

}  // namespace flopbench
