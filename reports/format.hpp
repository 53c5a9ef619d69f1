#pragma once

// What the human-readable outputs (report.md, report.html, the performance sheet, the console
// summary) share: facts read off measurements, number formatting, and the tables they all show.
// Kept in one place so that every output says the same thing about the same document.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "harness/core/results.hpp"

namespace flopbench {

// ---- facts about measurements ---------------------------------------------------------------

inline bool passed(const MeasurementRecord& r) { return r.disposition == Disposition::passed; }
// A wrong result or an error: what fails a run (exit 1) and `check`'s run.unverified.
inline bool unverified(const MeasurementRecord& r) {
  return r.disposition == Disposition::incorrect || r.disposition == Disposition::failed;
}
inline bool on_gpu(const MeasurementRecord& r) { return r.device.on_gpu(); }
// Several GPUs at once: the machine's figure, not one GPU's.
inline bool machine_aggregate(const MeasurementRecord& r) { return r.device.machine_aggregate(); }
// Memory-bound workloads: GB/s is their headline number; a compute-bound workload's compulsory
// bytes say nothing about its speed.
inline bool bandwidth_bound(const MeasurementRecord& r) {
  return r.workload_info().bound == Bound::bandwidth;
}

// Smaller problems first: by the work (M·N·K; a vector's length), then by shape.
inline auto problem_order(const Problem& p) {
  const double work = p.is_matrix() ? double(p.m) * double(p.n) * double(p.k) : double(p.n);
  return std::tuple(work, p.m, p.n, p.k);
}

struct Throughput {
  double value;
  std::string_view unit;
};

// The number a reader compares first: GB/s for memory-bound workloads, GFLOP/s otherwise.
std::optional<Throughput> headline(const MeasurementRecord& r);

// A median that may be compared: only passed measurements report their timing.
std::optional<double> median_s(const MeasurementRecord& r);

// Measurements of one workload at one precision, in order of problem size; the groups come in
// the order the document first mentions them.
struct Group {
  WorkloadId workload;
  Precision precision;
  std::vector<const MeasurementRecord*> records;
};

std::vector<Group> groups_of(const ResultsDocument& doc);

// GPU work on a machine without a GPU is said once per reason, "25 GPU measurements not run:
// no CUDA device: ...", not a row or an item each: those lines, and the groups without those
// measurements (a group of nothing else left out), as results tables show them.
std::vector<std::string> not_run_without_gpu(const ResultsDocument& doc);
std::vector<Group> without_gpu_less_work(std::vector<Group> groups);

// How the run took its samples (run.sampling) and how many measurements stopped short of the
// noise target, at the sample cap or the time limit, whose Samples cells say so (samples_text):
// "" when results.json recorded no rule and none stopped short.
std::string sampling_text(const ResultsDocument& doc);
// A measurement's sample count, with what ended its sampling where that was not the noise target:
// "100 (cap)", "3 (time limit)", "4 (interrupted)".
std::string samples_text(const MeasurementRecord& r);

// "SGEMM (fp32)", "peak (fp64)": a workload's display name with its precision, so that no two
// precisions of one workload read alike.
std::string workload_title(WorkloadId workload, Precision precision);
std::string group_title(const Group& g);

// The problems of a group, in its order, each once.
std::vector<Problem> problems_of(const Group& g);

// Fastest passed measurement among `records` of `problem` for which `keep` holds.
template <class Keep>
const MeasurementRecord* fastest(const std::vector<const MeasurementRecord*>& records,
                                 const Problem& problem, Keep keep) {
  const MeasurementRecord* best = nullptr;
  for (const auto* r : records) {
    if (r->problem != problem || !keep(*r) || !median_s(*r)) continue;
    if (!best || *median_s(*r) < *median_s(*best)) best = r;
  }
  return best;
}

// The measurement of `reference` (the STREAM triad) that a device's bandwidth at a precision is
// judged against: its largest passed problem.
const MeasurementRecord* bandwidth_reference(const std::vector<Group>& groups, WorkloadId reference,
                                             const DeviceRef& device, Precision precision);

// How a GPU run was timed when it was timed end to end by the host (`timing`
// "end_to_end_pinned", "end_to_end_pageable"): "end to end from pinned host memory"; "" for a
// kernel's own timing (the host's clock on the CPU, CUDA events on a GPU).
std::string end_to_end_text(const std::string& timing);
// The implementation, and how it was timed when that was end to end: "cublas, end to end from
// pinned host memory". Rows of one implementation timed two ways differ by it.
std::string implementation_label(const MeasurementRecord& r);
// "SGEMM omp on cpu, 256x256x256".
std::string where(const MeasurementRecord& r);
// "passed", "passed (contended, above peak)" for a figure the notes qualify, or the disposition
// with its reason.
std::string result_text(const MeasurementRecord& r);
// What qualifies a passed figure (its disturbance_flags, and above peak): the notes say why.
std::vector<std::string> figure_flags(const MeasurementRecord& r);
// What disturbed a measurement while it ran, so that no figure of the sheet may come from it
// (headline_worthy) and a crossover on its time is no like-for-like comparison: "contended",
// "interrupted" (cut short), "still drifting", "fewer threads".
std::vector<std::string> disturbance_flags(const MeasurementRecord& r);
// Its flags and "partly cache" where its vectors are within 4 x its device's largest cache
// (within_cache): what makes a ratio to or from the figure no like-for-like comparison.
std::vector<std::string> caveats(const Environment& env, const MeasurementRecord& r);
// "text (flag, flag)", or the text alone without flags.
std::string with_flags(std::string text, const std::vector<std::string>& flags);
// The headline throughput, with its flags in parentheses: where a figure stands for its group
// (the GPU vs CPU and matrix tables), far from the results table that flags it.
std::string flagged_throughput(const MeasurementRecord& r);

// ---- number formatting ------------------------------------------------------------------------

// At least three significant digits, never in exponent notation: 66908, 512, 51.2, 5.12, 0.512;
// `more_decimals` more after the point.
std::string short_number(double v, int more_decimals = 0);

// Charts' linear axes: the smallest of 1, 2, 5 x 10^k that is at least v (v a positive normal
// number), and the top a chart can count its ticks to from 0: `max` itself, or 1 where it is not
// a finite number of at least 1e-300 (a corrupt file's), whose steps would be 0 or infinite.
double nice_step(double v);
double chartable_top(double max);
// One axis's tick labels, in one notation: as "{:g}" prints them where none needs an exponent,
// else each as a mantissa and a plain exponent ("5e5", "1e6", "1.5e6"), where "{:g}" would mix
// "100000" with "1e+06".
std::vector<std::string> tick_labels(const std::vector<double>& ticks);
// The decimals short_number gives v: 0 from 100, 1 from 10, 2 from 1, below 1 three significant
// digits (at least three decimals, at most nine).
int short_number_decimals(double v);

// Markdown renders raw HTML and entities, and the text of a Markdown output comes from results
// files: a "<script>" in a reason or a host name must show as text, so every '<' becomes "&lt;",
// and an '&' that begins an entity ("&lt;" in a host name) "&amp;". (Inside a code span these
// show as written, a fair price: a command line with '<', or with an entity, is rare.)
std::string without_raw_html(std::string_view s);
// Text from a results file on one line of a line-based output (a Markdown line, a spec's
// comment): a line break in a host name would start a line of its own (a heading, a row), so
// every control character becomes a space.
std::string one_line(std::string text);

// A criterion's measured value and resolved bound as a verdict table shows them ("2517 GB/s",
// "2.51%", a count as "2"; "-" when absent): short numbers, with as many more decimals as it
// takes for two different values not to read the same. And its margin ("+3.2%", "-0.004%").
struct VerdictTexts {
  std::string measured, bound, margin;
};
VerdictTexts verdict_texts(const CriterionVerdict& v);
// A time with a unit that keeps it readable: "2.50 ms", "20.0 µs".
std::string duration(double s);
// "1678 GFLOP/s", or "-".
std::string throughput(const std::optional<Throughput>& t);
std::string optional_value(const std::optional<double>& v);
std::string percent(const std::optional<double>& v);
// The coefficient of variation as a percentage, "2.35%" at `decimals`; "n/a" for a single sample,
// which has no spread (results.json records 0 for it).
std::string cv_text(const Statistics& s, int decimals);
// A speedup or other ratio: "50.00×"; "<0.01×" for one above 0 that two decimals would show as 0.
std::string ratio(double v);
// Binary units: "48 KiB", "1.5 GiB".
std::string bytes(std::int64_t b);
// "1280 GFLOP/s (8 cores x ...)", or "unknown".
// "1234 GFLOP/s (basis)", in GOP/s at INT8; "unknown (why)".
std::string peak_text(const Peak& p, Precision precision = Precision::fp32);
std::string or_unknown(const std::string& s);
// Why a run's results are incomplete (interrupted, or ended without finishing), one sentence;
// "" for a complete run. Every output of an incomplete run says so.
std::string incomplete_run_note(const RunInfo& run);
std::string list_or(const std::vector<std::string>& items, std::string_view none);
// The command line as a shell would need it typed.
std::string shell_command(const std::vector<std::string>& argv);

// ---- inventory --------------------------------------------------------------------------------
// The one wording of the machine inventory (inventory_facts.cpp), shared by `flopbench info`,
// report.md, report.html and the sheet.

using Facts = std::vector<std::pair<std::string, std::string>>;

// "node-17 (Debian GNU/Linux 12, kernel 6.1.0)".
std::string host_text(const Environment& env);
// "rank 2 of 4 (openmpi, job 81, local rank 0)", or "started directly".
std::string launch_text(const Launch& launch);
// "run 2 of 3 of one run --repeat 3 (each a results directory of its own: compare them as
// replicates)";
// "" for a run of its own.
std::string replicate_text(const RunInfo& run);
// "flopbench 0.1.0 (commit 0123abc), GNU 12.2.0, Release, flags -O3".
std::string build_text(const Environment& env);
// The CPU, one (label, value) pair per fact, in the order reports list them.
Facts cpu_facts(const CpuInventory& cpu);
// "this process may use 1 of the 2 online CPUs" where its affinity (taskset, a cpuset) holds it
// to fewer CPUs than are online; "" otherwise.
std::string usable_of_online(const CpuInventory& cpu);
// "CUDA runtime 12.4, driver 12.4", or "" in a build without CUDA.
std::string cuda_versions(const GpuInventory& gpu);
// One ("gpu0", description) pair per GPU: name, compute capability, SMs, memory, peaks.
Facts gpu_facts(const GpuInventory& gpu);
// Why there is no GPU to report ("" when there is one).
std::string no_gpu_reason(const GpuInventory& gpu);
// "eigen 3.4.0", one item per library, and the NVIDIA driver's release where the health facts
// read it ("NVIDIA driver 550.54.15"; the "CUDA driver" library is the CUDA version it supports).
std::vector<std::string> library_items(const Environment& env);
// "OMP_PLACES=(unset)", one item per OpenMP variable.
std::vector<std::string> openmp_items(const Environment& env);

// ---- health facts -----------------------------------------------------------------------------
// The one wording and order of the health facts (harness/core/health.hpp), shared by
// `flopbench info`, report.md and report.html.

// The host's facts in kHostHealthFacts' order ("cpu.count", "96"), then where the GPU facts
// ("gpu facts", "from nvml", or "unknown: <why>") and the XID errors ("kernel log") were read.
Facts health_host_facts(const MachineHealth& h);
// "NVIDIA H100 80GB HBM3, PCI 00000000:17:00.0 (10de:2330)", and for a GPU CUDA does not see
// "; NVML index 1, CUDA does not see it".
std::string health_gpu_text(const GpuHealth& g);
// A GPU of the health facts as every output and `check` name it: "gpu<index>", by CUDA's index,
// or NVML's where CUDA sees no GPU; "nvml<NVML index>" for one CUDA does not see beside others
// it does, since its NVML index may be another GPU's CUDA index.
std::string health_gpu_label(const MachineHealth& h, const GpuHealth& g);

// A GPU fact to show: its name and the title of its group.
struct HealthFactRow {
  std::string name;        // "ecc.uncorrected_volatile"
  std::string_view group;  // "Memory errors"
};
// The facts of `gpus` to show, in kGpuHealthFacts' order (each of them, recorded or not), then
// those a GPU records that this version does not know (a newer file's), by name, under "Other
// facts".
std::vector<HealthFactRow> gpu_health_rows(const std::vector<const GpuHealth*>& gpus);
// A GPU's fact as shown: "12", the text, or "unknown: <why>" ("unknown: not recorded" when the
// file lacks it). Never blank.
std::string gpu_fact_text(const GpuHealth& g, const std::string& name);

// ---- tables -----------------------------------------------------------------------------------

struct Column {
  std::string title;
  bool right = false;  // numbers align right
};

// Cells are plain text; escaping happens when rendering.
struct Table {
  std::vector<Column> columns;
  std::vector<std::vector<std::string>> rows;

  std::string markdown() const;
  std::string plain() const;  // aligned text for the console
  std::string html() const;   // a <table>, cells escaped
};

// One row per measurement of a group: problem, implementation, device, median, throughputs,
// % of peak, CV, samples and the result. A column appears only when some row has a value for it.
Table group_table(const Group& g);
// The notes under a group's table (report.md, report.html): each measurement's own ("omp on cpu,
// 256x256x256: ..."), then the peak each % of peak is of where it is not the inventory's for its
// device, once per device and basis ("peak on cpu: 923 GFLOP/s (...)"): a matrix format's (the
// inventory gives only FP32's and FP64's), a machine aggregate's, a run on fewer threads than the
// cores', a measured ceiling.
std::vector<std::string> group_notes(const Group& g, const Environment& env);

// The passed measurement of highest throughput (headline) among a group's on one GPU (the machine
// aggregate is no GPU's) or on the CPU, timed on the device (no end-to-end timing); null if none.
const MeasurementRecord* best_throughput(const Group& g, DeviceKind kind);

// A GPU against the CPU on a workload at a precision. On a problem both ran: the fastest passed
// implementation on one GPU against the fastest passed CPU one. Where they ran none in common
// (each profile sizes a problem to fill its device: GEMM 8192 on a data-centre GPU, 1024 on the
// CPU) or the kernel counts its own work (peak): each side's best_throughput, at the sizes its
// device ran.
struct Matchup {
  const Group* group;
  const MeasurementRecord* gpu;
  const MeasurementRecord* cpu;
  // Both ran one problem, the same work.
  bool one_problem() const;
  // GPU throughput / CPU throughput: on one problem, CPU median / GPU median.
  double speedup() const;
  // The problem; or, of two, `each_its_own` with the GPU's ({0}) and the CPU's ({1}): "each its
  // own: GPU 8192x8192x8192, CPU 1024x1024x1024"; or for peak "2097152 (each device's own work)".
  std::string problem_text(std::string_view each_its_own = "each its own: GPU {0}, CPU {1}") const;
};

// Every matchup, groups in order: a group's problems in order, or its one matchup of each side's
// best throughput where it has no problem in common.
std::vector<Matchup> gpu_vs_cpu(const std::vector<Group>& groups);

// What the speedups compare, one paragraph for report.md and report.html.
inline constexpr std::string_view kGpuVsCpuIntro =
    "The fastest passed GPU implementation against the fastest passed CPU implementation on the "
    "same problem: speedup = CPU median / GPU median = GPU throughput / CPU throughput. Where the "
    "two ran no problem in common (each profile sizes a problem to fill its device) or the "
    "kernel counts its own work (peak), each side's passed measurement of highest throughput at "
    "the sizes its device ran, and speedup = GPU throughput / CPU throughput.";

// The matchups as a table, a problem within either side's cache marked "(partly cache)"
// (within_cache). No rows when there are none.
Table gpu_vs_cpu_table(const Environment& env, const std::vector<Group>& groups);

// Matrix throughput (is_matrix_precision: TF32, BF16, FP16, FP8, INT8), dense: per precision
// that passed on either side, the passed GEMM of highest throughput on the CPU and on one GPU, each
// at the sizes its device ran (GPU sizes are larger), so their ratio compares the devices' best,
// not one problem.
struct MatrixFigure {
  Precision precision;
  const MeasurementRecord* cpu;  // null: none passed
  const MeasurementRecord* gpu;  // null: none passed
  std::optional<double> gpu_over_cpu() const;
};
std::vector<MatrixFigure> matrix_figures(const std::vector<Group>& groups);
// What the matrix table shows, one paragraph for report.md and report.html.
inline constexpr std::string_view kMatrixIntro =
    "GEMM in the matrix formats, dense (no structured sparsity): the passed measurement of "
    "highest throughput on the CPU and on one GPU, each at the sizes its device ran; GPU / CPU is "
    "the ratio of the two throughputs. INT8 counts operations (GOP/s).";
// Precision, then each side's implementation, throughput and % of peak, then GPU / CPU.
Table matrix_table(const std::vector<MatrixFigure>& figures);

// The GPU health facts of report.md and report.html: a table per group of facts (its title heads
// the first column), a row per fact and a column per GPU ("gpu0"), so that the GPUs of a
// machine compare across. Empty when no GPU is listed.
std::vector<Table> gpu_health_tables(const MachineHealth& h);
// What the reports' health section shows, one paragraph.
inline constexpr std::string_view kHealthIntro =
    "What NVML (or nvidia-smi), the kernel log and the operating system said about the host and "
    "its GPUs when the command started, as results.json records them (environment.health; "
    "docs/acceptance.md, \"Health facts\", says what each fact means and how a spec judges it). "
    "A fact that could not be read says why.";

// Text for HTML element content and attribute values.
std::string html_escape(std::string_view s);

// One CSV field, RFC 4180: quoted when it holds a comma, quote or line break, or starts or ends
// with white space (which a reader may trim); quotes inside doubled. Text starting with = + - @
// gets a leading apostrophe, so that a spreadsheet shows it rather than evaluating it.
std::string csv_field(std::string_view s);

}  // namespace flopbench
