#pragma once

// The one-page performance sheet (`flopbench sheet`): the headline numbers of a run on one
// printable A4 page, in English or Chinese, with the conditions that reproduce every number in
// small print. Every figure is read from results.json or derived from it by a formula the sheet
// states (docs/reports.md lists them); nothing is estimated.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/results.hpp"
#include "reports/format.hpp"
#include "reports/printer.hpp"

namespace flopbench {

enum class SheetLanguage { en, zh };
// "en" or "zh"; throws InputError otherwise.
SheetLanguage parse_sheet_language(std::string_view s);

// Machine peak of one device kind at one precision.
//  - measured: each device's best GFLOP/s over its passed `peak` and `gemm` measurements at this
//    precision, summed over the devices of the kind (the GPUs were each measured alone);
//  - theoretical: the inventory's peak, summed over the same kind's devices (empty when any is
//    unknown).
struct PeakFigure {
  DeviceKind kind = DeviceKind::cpu;
  Precision precision = Precision::fp32;
  std::optional<double> measured_gflops;
  std::vector<const MeasurementRecord*> sources;  // the best measurement of each device
  int devices = 0;  // devices of this kind in the inventory that the run was given (--gpus)
  std::optional<double> theoretical_gflops;
  // The sources' own peaks summed, where they cover every device and are below theoretical: the
  // path measured cannot reach the hardware's peak (a CUDA-core kernel on a GPU whose FP64 peak
  // is its tensor cores'). Empty otherwise.
  std::optional<double> path_gflops;
  // A CPU matrix format, whose theoretical is its measurement's own peak (no other is known):
  // the threads that peak counts, where fewer than the machine's cores (`machine_cores`). 0
  // otherwise.
  int peak_threads = 0, machine_cores = 0;
};

// Best STREAM triad bandwidth of one device (the largest passed size, either precision), where
// its vectors are beyond the device's cache (within_cache_note): otherwise it is no figure of the
// memory, and in_cache names it.
struct BandwidthFigure {
  DeviceRef device;
  const MeasurementRecord* source = nullptr;
  const MeasurementRecord* in_cache = nullptr;  // only without a source
};

// One row of the speedup table: a workload at a precision, its last matchup (gpu_vs_cpu: the
// largest problem that passed on both a GPU and the CPU, or each side's best throughput where
// they ran none in common); without a GPU measurement, its largest problem that passed on the CPU
// (no speedup).
struct WorkloadFigure {
  const Group* group = nullptr;
  const MeasurementRecord* gpu = nullptr;  // null: no GPU measurement passed
  const MeasurementRecord* cpu = nullptr;
  Matchup matchup() const { return {group, gpu, cpu}; }  // with a GPU measurement
};

struct SheetFigures {
  // CPU fp32, fp64 and each matrix format measured on it, then the same for the GPUs if any.
  std::vector<PeakFigure> peaks;
  std::vector<WorkloadFigure> workloads;
  std::vector<BandwidthFigure> bandwidth;
};

// Whether a figure of the sheet may come from the measurement: passed, not contended, sampled
// until its stopping rule held (not cut short by an interrupt, its samples no longer drifting),
// and on the CPU run on the threads it was given. Under the conditions the
// sheet names the others a figure would have come from, with why, and counts the rest.
bool headline_worthy(const MeasurementRecord& r);

// groups_of(doc) with only the measurements a figure may come from.
std::vector<Group> headline_groups(const ResultsDocument& doc);

// The figures from the measurements of `groups`: headline_groups(doc) for the sheet's, or
// groups_of(doc) for what they would have been with every passed measurement. `groups` must
// outlive the result.
SheetFigures sheet_figures(const ResultsDocument& doc, const std::vector<Group>& groups);

// The sheet as one self-contained HTML page, sized for A4, written to sheet-<language>.html.
// `print_scale` (0 to 1) shrinks it when printed, so that a sheet with many notes still fits one
// page (`flopbench sheet --pdf` lowers it until Chromium prints one).
class SheetPrinter final : public Printer {
 public:
  explicit SheetPrinter(SheetLanguage language, double print_scale = 1);

 protected:
  std::string do_print(const ResultsDocument& doc) const override;

 private:
  SheetLanguage language_;
  double print_scale_;
};

}  // namespace flopbench
