#pragma once

// `flopbench compare A.json B.json`: how each measurement changed from run A to run B, with a
// verdict that accounts for the noise between runs, not only within one. A side may be several
// runs of the same command (replicates). docs/methodology.md ("Comparing runs") explains the
// rule and how its noise floor was measured.

#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/catalog.hpp"
#include "harness/core/results.hpp"

namespace flopbench {

// Two-sided Mann-Whitney U test of samples a against b, normal approximation with tie and
// continuity corrections. `u` is the U statistic of a (pairs with a < b count 1, ties 1/2).
// The samples must be numbers (no NaN): judge() says "inconclusive" before testing others.
struct MannWhitney {
  double u = 0;
  double z = 0;
  double p_value = 1;
};
MannWhitney mann_whitney_u(std::span<const double> a, std::span<const double> b);

enum class Change { faster, slower, same, inconclusive };
std::string_view to_string(Change c);

struct CompareRule {
  // The noise floor between two single runs of the same command: changes of the median time
  // smaller than this (a fraction) are "same" whatever the test on the samples says, because
  // samples of one run share its clocks, memory placement and co-tenants, and runs drift apart
  // by more than their samples spread. Measured with scripts/noise-floor.py on a quiet 2-vCPU
  // cloud VM (docs/methodology.md, "Comparing runs"): the largest drift between 8 runs was
  // 27 % for compute-bound work and 86 % for memory-bound work; CI machines later showed 56 %
  // (Eigen DGEMM 256^3) and 76 % (omp SGEMM 256^3, uncontended) between two runs of one command.
  // The floors sit above them, and apply
  // either way: B is slower or faster only when one median exceeds the other by more. These are
  // the defaults; `compare --noise-floor` sets a quieter machine's, as the script measures them.
  double cpu_compute_floor = 1.00;
  double cpu_bandwidth_floor = 1.00;
  // Event-timed GPU work drifts far less than CPU work on a VM: between two quick runs of one
  // H200 (docs/methodology.md, "Comparing runs"), 65 medians moved by 0.17 % (the median) and at
  // most 4.3 % (SGEMM 16^3). GPU work timed end to end by the host (a sweep's transfers and
  // launch) has the CPU's floors, as do copies from or to pageable host memory, which the driver
  // stages through a host memcpy: they moved by up to 24 % between the same two runs.
  double gpu_noise_floor = 0.05;
  // With replicates, the noise is what the runs show (the widest spread of their medians on
  // either side), but never below this.
  double replicate_floor = 0.02;
  // Significance level of the U test.
  double alpha = 0.05;
  // Fewer samples on either side are too few for the U test (with 5 and 5, complete separation
  // gives p = 0.012 under the normal approximation). A measurement slow enough to reach its time
  // limit has so few, and the slower B is, the fewer: there, a change beyond the noise floor
  // with every sample of B beyond every sample of A is still faster or slower (judge).
  std::size_t min_samples = 5;

  // GPU work has the GPU floor, the machine aggregate too: the host times it, from its release
  // of every GPU to the last one's end, but what it times is the GPUs' work (the padding is
  // queued before the release). A sweep's end-to-end timings, mostly the host's own transfers
  // and launch, and copies from or to pageable host memory have the CPU's.
  double noise_floor(const MeasurementRecord& r) const {
    const bool pageable_copy = r.workload == WorkloadId::transfer &&
                               r.implementation.find("pageable") != std::string::npos;
    if (r.device.on_gpu() && !r.timing.starts_with("end_to_end") && !pageable_copy) {
      return gpu_noise_floor;
    }
    return info(r.workload).bound == Bound::bandwidth ? cpu_bandwidth_floor : cpu_compute_floor;
  }
};

struct Judgement {
  Change verdict = Change::inconclusive;
  double time_ratio = 0;          // median B / median A: < 1 is faster
  std::optional<double> p_value;  // empty when too few samples to test, or with replicates
  double noise = 0;               // the change (a fraction) below which it is "same"
  std::string reason;             // why inconclusive; "" otherwise
};

// The verdict on the samples (seconds per run) of one run of A and one of B: "same" within
// `noise_floor`; beyond it, faster or slower when the U test on the samples is significant, or,
// with fewer than rule.min_samples on a side, when every sample of B is beyond the floor from A's
// median and beyond every sample of A, and the chance of that separation, 2 / C(a + b, a) (then
// p_value), is below 0.5.
// Inconclusive when either median is not a positive number.
Judgement judge(std::span<const double> a, std::span<const double> b, double noise_floor,
                const CompareRule& rule = {});

// The verdict on replicates: the median time of each run of A and of B (at least two each).
// "same" within the noise the runs show (the larger median over the smaller within a side);
// beyond it, faster or slower when every run of B is faster (or slower) than every run of A;
// otherwise inconclusive. The runs show the noise between runs only when they are enough that
// such a separation is unlikely by chance (2 / C(a + b, a) < rule.alpha: not 2 against up to 7,
// nor 3 against 3 or 4; compare_results gives alpha over the measurements it judges) and when the
// two sides were `interleaved` in time: runs of one side taken one after the other share their
// session's drift (the machine's clocks, memory placement, co-tenants), which their spread
// cannot show. Otherwise `one_run_floor` is the least noise.
Judgement judge_replicates(std::span<const double> a_medians, std::span<const double> b_medians,
                           double one_run_floor, bool interleaved, const CompareRule& rule = {});

// One measurement present in the first run of each side: same workload, implementation, device,
// precision, problem, timing and CPU threads.
struct Comparison {
  const MeasurementRecord* a = nullptr;  // in the first run of A
  const MeasurementRecord* b = nullptr;  // in the first run of B
  double a_median = 0, b_median = 0;     // median time; over runs, the median of their medians
  Judgement judgement;  // inconclusive, with the reason, unless it passed in every run
  // Passed in every run of A and not in some run of B (a wrong answer, an error): how that
  // run of B ended, "incorrect: <why>"; "" otherwise.
  std::string broken;
  // The runs of B (from 1) that lack it, where B has several runs and its first has it: lost in
  // them, as a measurement only in A is lost in B; and whether one of them lacks its GPU.
  std::vector<std::size_t> missing_in_b_runs;
  bool missing_with_its_gpu = false;
  // How the implementation ran differently in A and B, which a change in time may come from
  // rather than the code: "vectors of 512 bits in A, 256 in B", "B ran on fewer threads than it
  // was given, A did not" (ran_differently); empty when alike or unknown.
  std::vector<std::string> ran_differently;
};

struct CompareResult {
  // Runs that did not finish (killed, interrupted), "B run 2: <incomplete_run_note>": what they
  // lack is missing, not measured less.
  std::vector<std::string> incomplete_a, incomplete_b;
  std::size_t runs_a = 1, runs_b = 1;
  bool replicates() const { return runs_a > 1; }  // two or more runs a side
  // "A ran its CPU work with 2 threads and B with 1: ...": why measurements went unpaired.
  std::string threads_differ;
  // "A and B ran on different hardware (gpu0: NVIDIA H100 ... in A, NVIDIA L4 in B): ...": a
  // change in time that may be the hardware's, not the code's; "" where the CPU model and each
  // GPU both measured on are the same.
  std::string hardware_differs;
  // The GPUs A measured on that a run of B's machine does not have (lost_gpus), and a line that
  // says so, "B run 2 saw no GPU (no CUDA device: ...), where A measured on GPUs" or "B has no
  // gpu7 (its machine has 7 GPUs), where A measured on it": a machine that lost a GPU measured
  // nothing on it, which is no smaller selection, so A's measurements on it that B lacks are
  // lost, --allow-missing or not (lost_measurements). Empty and "" otherwise.
  std::set<int> lost_gpus;
  std::string gpus_lost_in_b;
  // Whether the runs of A and of B were taken in turns, A, B, A, B, ... (replicates;
  // judge_replicates).
  bool interleaved = false;
  // Replicates: the measurements judged on their runs (passed in every run, none contended), and
  // the level their runs' separation must be below to stand for the drift between runs: alpha
  // over their number, so that the same code measured in turns is called faster or slower
  // somewhere, by chance, at most once in 1/alpha comparisons.
  std::size_t judged_on_runs = 0;
  double runs_level = 0;
  std::vector<Comparison> matched;  // in A's order
  // GPU work that neither side had a GPU to run (two runs on machines without one), by A's
  // reason ("no CUDA device: ..."): counted, not compared.
  std::map<std::string, std::size_t> run_on_neither;
  std::vector<const MeasurementRecord*> only_a;  // in A, not in B
  std::vector<const MeasurementRecord*> only_b;  // in B, not in A
  // Geometric mean of time_ratio over the matched measurements that were judged: passed in
  // every run of both sides, none contended.
  std::optional<double> geomean_time_ratio;
  std::size_t geomean_of = 0;  // how many ratios it is the mean of
};

// One run on each side is judged on its samples (judge); two or more on each side, on the
// runs' medians (judge_replicates). Throws InputError for one run on one side and several on
// the other.
CompareResult compare_results(std::span<const ResultsDocument> a,
                              std::span<const ResultsDocument> b, const CompareRule& rule = {});
CompareResult compare_results(const ResultsDocument& a, const ResultsDocument& b,
                              const CompareRule& rule = {});

// The comparison as an aligned table and a summary, for the console.
std::string compare_text(const CompareResult& result, const CompareRule& rule = {});

// Whether a comparison was left inconclusive because a side was contended (its reason "A
// contended", "B contended": unfit's), so that no slowdown of it was judged.
bool contended(const Comparison& c);
// Measurements judged slower whose median time grew by more than `percent`.
std::vector<const Comparison*> regressions(const CompareResult& result, double percent);
// Measurements whose median time grew by more than `percent` that were not judged slower: within
// the noise between runs (`same`), or inconclusive for a reason other than contention (partly
// cache bandwidth, runs that overlap). `--fail-on-regression` passes them, and says so.
std::vector<const Comparison*> unjudged_slowdowns(const CompareResult& result, double percent);
// Whether no measurement in both A and B got a verdict (faster, slower or same): none matched, or
// every one inconclusive.
bool judged_nothing(const CompareResult& result);

// Measurements that passed in A and that B broke (`Comparison::broken`) or lacks, each as
// "<where>, <precision>: <what became of it in B>" (`lacking`: whether a measurement B lacks
// counts; a GPU measurement B lacks because it saw no GPU always does): with a run of B that did
// not finish (CompareResult::incomplete_b), what `--fail-on-regression` fails on besides
// slowdowns.
std::vector<std::string> lost_measurements(const CompareResult& result, bool lacking);

}  // namespace flopbench
