#pragma once

// The course of `flopbench burn` over its precisions, one after the other: what each burns, what
// a device's fault keeps from the next one, the health facts read around each, and the lines it
// prints. The command's parsing and device lookup stay in cli_burn.cpp; the course reaches the
// GEMMs, the GPUs' telemetry and health facts and the results file only through what it is given,
// so that tests can stand in for GPUs that hang, lose their CUDA context or log an XID. (The
// CPU's load it reads from /proc itself, as a burn of the CPU does.)

#include <cstdio>
#include <functional>
#include <memory>
#include <vector>

#include "harness/core/results.hpp"
#include "harness/core/types.hpp"
#include "harness/machine/telemetry.hpp"
#include "harness/measure/burn.hpp"

namespace flopbench {

// One precision's burn: each device's GEMM at it, and the settings.
struct BurnStage {
  std::vector<BurnTarget> targets;
  BurnSettings settings;
};

struct BurnCourse {
  std::vector<Precision> precisions;  // burned in this order
  std::vector<DeviceRef> devices;     // burned at the first precision
  double progress_s = 10;
  double degraded_fraction = 0.1;
  // The stage of a precision for the devices still burning (their GEMMs, the size they share).
  std::function<BurnStage(Precision, const std::vector<DeviceRef>&)> stage;
  // What runs a stage: burn.hpp's burn().
  std::function<std::vector<BurnDevice>(const std::vector<BurnTarget>&, const BurnSettings&,
                                        const BurnObserver&)>
      burn;
  // The machine's health facts now (gpu_health.hpp's collect_health).
  std::function<MachineHealth()> health;
  // The GPUs' telemetry, read while a precision burns a GPU; null where there is none. Abandoned
  // (held, never shut down: the driver could block that too) once it stops answering or a GPU
  // stops responding; the caller keeps its own reference where it should outlive the course.
  std::shared_ptr<TelemetrySource> telemetry;
  // Saves the results document; called whenever the burn's part of it changed.
  std::function<void()> save;
  std::FILE* out = stdout;  // where the progress and the verdicts are printed
};

// The inventory's records of the GPUs among `devices` (each a single GPU or the CPU), in their
// order.
std::vector<GpuDevice> gpus_among(const std::vector<DeviceRef>& devices,
                                  const GpuInventory& inventory);

// Burns each precision in turn into doc.burn->devices (doc.burn must be set; judge_burn gives the
// verdicts, doc.environment.gpu naming the GPUs' models), printing the progress and each
// device's verdict, until the precisions run out, an interrupt is requested or no device is left.
// A GPU that stopped responding, or whose CUDA context a fault lost, burns no later precision.
// After each precision that burned a GPU its health facts are read again (the first "before" is
// doc.environment.health) and a rise of an error count is that GPU's fault, unless a GPU hung, at
// this precision or an earlier one, or the telemetry stopped answering: then nothing is read
// through NVML again, which could block as well. Returns whether the burn failed: a device ended
// other than OK, or the telemetry stopped (doc.burn->telemetry_stopped says when).
bool burn_each_precision(BurnCourse course, ResultsDocument& doc);

}  // namespace flopbench
