#pragma once

// Where the GPU starts to win: for a sweep (profile `sweep`: each workload over a geometric grid
// of sizes on every device), the smallest size from which the GPU beats the fastest CPU
// implementation at every larger size measured, interpolated between grid points. Derived from
// the measurements alone, like every output; results.json carries it for readers
// (docs/results-schema.md, "crossovers").

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "reports/format.hpp"

namespace flopbench {

// One size measured on both sides: the fastest CPU median and the GPU's.
struct CrossoverPoint {
  double size = 0;  // n of an n x n x n GEMM, elements of a vector
  double cpu_s = 0;
  double gpu_s = 0;
};

struct CrossoverFinding {
  std::optional<double> size;  // empty: not reached
  std::string basis;           // how it was found, or why it was not
  // The sizes measured either side of an interpolated size (the CPU as fast or faster at the
  // first, the GPU faster at the second); empty where the size is one measured.
  std::optional<std::pair<double, double>> between;
};

// The smallest size s such that the GPU is faster (gpu_s < cpu_s) at the first grid point at or
// above s and at every larger one. Between the last point where the CPU was as fast or faster
// and the next, s is where the line through the two points of log(gpu_s / cpu_s) against
// log(size) crosses zero. The GPU faster at every point gives the smallest size; slower or
// equal at the largest, or no points, gives "not reached". `points` ascend in size.
CrossoverFinding find_crossover(std::span<const CrossoverPoint> points);

// n for an n x n x n GEMM (the cube root of m * n * k in general), the element count of a
// vector: the size a sweep's axis shows.
double sweep_size(const Problem& p);

// One workload and precision of a sweep against the GPU timed one way.
struct Crossover {
  WorkloadId workload;
  Precision precision;
  // The `timing` of the GPU measurements compared ("device_events"); "" when no GPU
  // measurement passed, and so the crossover was not reached.
  std::string gpu_timing;
  struct Point {
    Problem problem;
    const MeasurementRecord* cpu;  // the fastest passed CPU measurement
    const MeasurementRecord* gpu;  // the fastest passed one-GPU measurement; null: none passed
    double size() const { return sweep_size(problem); }
    std::optional<double> speedup() const;  // CPU median / GPU median
  };
  std::vector<Point> points;  // every size that passed on the CPU, ascending
  CrossoverFinding finding;
};

// Every crossover of a sweep document, in report order; none when the run was not a sweep.
// Workloads whose GPU does other work than the CPU at a size (FLOPs counted by the kernel) have
// none. The points refer into `doc`, which must outlive them.
std::vector<Crossover> crossovers(const ResultsDocument& doc);
std::vector<Crossover> crossovers(const ResultsDocument&&) = delete;

// One crossover per workload and precision, for a line on the sheet: end to end from pinned
// memory where it was measured (what an application that keeps its data in pinned memory
// waits for, transfers included), else end to end from pageable memory, else on device time,
// else the one that says there was no GPU.
std::vector<const Crossover*> headline_crossovers(const std::vector<Crossover>& all);
std::vector<const Crossover*> headline_crossovers(const std::vector<Crossover>&&) = delete;

// One sentence per GPU whose launch latency the run measured (a sweep measures it): "Launch
// latency of an empty kernel on gpu0: 4.1 µs to launch and wait, 2.3 µs per launch back to
// back (2000 launches each)."
std::vector<std::string> launch_latency_sentences(const GpuInventory& gpu);

// "device time", ...: how the GPU measurements of a crossover were timed, for people.
std::string gpu_timing_text(const std::string& timing);
// "SGEMM (fp32), GPU device time": what a crossover compares.
std::string crossover_title(const Crossover& c);
// The size a report shows for a crossover found: a size measured as it is; one interpolated
// between two measured sizes, an estimate, rounded up to three significant figures (the GPU is
// never claimed faster below it): 161.3 is 162, 2345678.9 is 2350000.
double crossover_size_shown(const CrossoverFinding& finding);
// "n = 64" for GEMM, "4096 elements" for vectors where the size was measured, "n ≈ 301" and
// "≈ 2350000 elements" where it was interpolated; "not reached".
std::string crossover_size_text(const Crossover& c);
// How many sizes of `c` have a time that was disturbed (disturbance_flags: contended, cut short,
// still drifting, fewer threads), on either side: there the comparison is not like for like,
// and a contended CPU moves the crossover towards smaller sizes. 0 without a GPU measurement,
// whose crossover is not reached whatever the CPU's times.
std::size_t flagged_points(const Crossover& c);
// "n ≈ 301 (interpolated (log-log) between 256 and 512)", or why it was not reached; then how
// many of its sizes have a flagged time, where any has.
std::string crossover_sentence(const Crossover& c);
// One row per size: problem, fastest CPU and its median, the GPU's, speedup, each time with its
// disturbance flags; for report.md and report.html.
Table crossover_table(const Crossover& c);

}  // namespace flopbench
