#pragma once

// Fleets: the results of many nodes (one task each, or one per GPU) merged into one record, and
// what that record says about them: the fleet median of every metric and the outliers
// (docs/fleet.md). The record keeps every input, a node that reported nothing or unreadable
// results included, so that a dead node shows; the analysis is derived from it alone.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/results.hpp"

namespace flopbench {

// 2 added a node's `rerun` and `superseded`: a reader of version 1 would take a superseded
// result for one that counts. Version 1 records are read as records without reruns.
inline constexpr int kFleetSchemaVersion = 2;

// A node's burn series hold at most this many points in the fleet record (thin_series): a long
// burn's 2048 points a series make an 8-GPU node some 11 MB, and a few dozen such nodes a
// fleet.json past the input limit. Counts stay exact; what is derived from the points
// (burn.<device>.throughput_drop, the median throughput) comes from the coarser series
// (docs/fleet.md).
inline constexpr std::size_t kFleetBurnSeriesPoints = 64;

// One task of the fleet: its results, or why there are none.
struct FleetNode {
  std::string source;  // the directory or file given to merge; "" for an expected host's absence
  std::string host;    // from the results, else the expected host's name; "" when unknown
  std::optional<ResultsDocument> results;  // empty when the node reported nothing readable
  std::string problem;  // why the node fails the fleet: no results, or results set aside
  bool rerun = false;   // given to merge as a rerun (--rerun)
  // Why a rerun replaces this node, "" when none does: a result of a host that a rerun reported,
  // or a rank of an earlier job that wrote nothing, which a rerun host stands for. Neither judged
  // nor failed; kept, so that the fleet record shows what the rerun replaced.
  std::string superseded;
  bool reporting() const { return results.has_value() && problem.empty() && superseded.empty(); }
};

struct FleetRecord {
  int fleet_schema_version = kFleetSchemaVersion;
  std::string merged_utc;
  double threshold_percent = 10;            // below the fleet median by more than this: an outlier
  std::optional<int> expected_nodes;        // hosts that should report, when merge was told
  std::vector<std::string> expected_hosts;  // their names, when a file gave them
  std::vector<FleetNode> nodes;             // ordered by host and rank; unreadable ones last
  std::optional<AcceptanceResult> acceptance;  // the fleet criteria, once `check` judged it
  UnknownFields unknown_fields;
};

// Reads every input (a results directory or a results.json file) into a record. An input that
// cannot be read, a second result of the same host, rank, step and kind, and each expected host
// without a result become nodes with a problem; no input is dropped. `expected_hosts` may be empty.
// `reruns` are inputs too: each host that one of them reported has its results among `inputs`
// superseded, as have the missing ranks of an earlier job that the rerun hosts can stand for
// (docs/fleet.md, "Rerunning nodes").
FleetRecord merge_results(const std::vector<std::filesystem::path>& inputs,
                          std::optional<int> expected_nodes,
                          const std::vector<std::string>& expected_hosts, double threshold_percent,
                          const std::string& merged_utc,
                          const std::vector<std::filesystem::path>& reruns = {});

// A record whose node is marked superseded without a rerun in it that could have replaced it (a
// result: a rerun of its host and kind; a missing rank: a rerun that counts) is refused
// (InputError): a superseded node is never judged, so an edited record could pass a node by
// marking it. So is a rerun marked superseded.
void check_superseded(const FleetRecord& fleet);

// A host name as fleets compare it: host names are case-insensitive (RFC 4343).
std::string host_key(std::string_view host);

// Host names, one a line ('#' starts a comment): the --expect-hosts file. InputError when the
// file cannot be read or names no host.
std::vector<std::string> read_host_list(const std::filesystem::path& path);

// "node-7 rank 3", "node-7", or the source of an unreadable input.
std::string node_label(const FleetNode& node);

// A metric compared across the fleet: one workload, precision, implementation and problem on the
// CPU, on one GPU, or on a node's GPUs at once, in its headline unit.
struct FleetValue {
  const FleetNode* node;
  DeviceRef device;
  double value;
  // The median of the metric's other values (of an even count the lower middle one:
  // statistics.hpp, lower_median_without), which the threshold rule judges it against, and
  // its deviation from it in percent (negative below); 0 and 0 for a metric's only value.
  double others_median = 0;
  double vs_others_percent = 0;
};
struct FleetMetric {
  std::string name;  // "cpu.sgemm.omp 256x256x256", "gpu.stream_fp32.cuda 67108864"
  std::string unit;  // "GFLOP/s" or "GB/s"
  std::vector<FleetValue> values;
  double median = 0;
  double mad = 0;  // median absolute deviation from the median
};

// A measurement of a node that reported which gave a wrong result or an error.
struct UnverifiedMeasurement {
  const FleetNode* node;
  const MeasurementRecord* record;
};

// A stress test of a node that reported which did not pass: a burn-in's (burn_problems: a device
// FAULTY, DEGRADED, UNSUPPORTED or UNCHECKED, one interrupted, its GPU telemetry stopped) or a
// memory test's (memtest_problems: bad words, a GPU without a complete pass).
struct StressProblem {
  const FleetNode* node;
  std::string_view test;  // kBurnIn or kMemoryTest (results.hpp)
  std::string problem;
};

struct Outlier {
  const FleetNode* node;
  DeviceRef device;
  const FleetMetric* metric;
  double value;
  // The median the rule judged it against, and the deviation from it in percent (negative
  // below): the median of the metric's other values for the threshold rule, the fleet median for
  // the spread rule.
  double median;
  double deviation_percent;
  std::string rule;  // which rule flagged it, naming that median
};

// A robust z-score (0.6745 · deviation / MAD, Iglewicz and Hoaglin) beyond this is outside the
// fleet's spread, when the deviation also exceeds kMinOutlierDeviationPercent (below that,
// run-to-run noise of a single measurement can explain it) and the metric has at least
// kMinValuesForSpread values (the MAD of fewer is one of two deviations, too fragile to judge by).
// A fleet that judges more values than about a hundred raises it (spread_z_limit).
inline constexpr double kRobustZLimit = 3.5;
inline constexpr double kMinOutlierDeviationPercent = 2;
inline constexpr std::size_t kMinValuesForSpread = 5;
// The chance, over all the values the spread rule judges, that normal noise alone puts one of
// them beyond the limit: 3.5 holds that for about a hundred values; a fleet of 64 nodes with 8
// GPUs and 20 metrics judges some 10,000, of which about five healthy GPUs would cross 3.5.
inline constexpr double kSpreadFalseOutlierChance = 0.05;

// The robust z limit for a fleet whose spread rule judges `values` values: kRobustZLimit, or
// where more is needed, the z that a normal value exceeds either way with chance
// kSpreadFalseOutlierChance / values (4.6 for 10,000).
double spread_z_limit(std::size_t values);

struct FleetAnalysis {
  // Distinct hosts (host_key) with usable results; with a list of hosts, the listed ones found.
  int nodes_reporting = 0;
  std::optional<int> nodes_expected;         // from merge's --expect-hosts
  std::vector<std::string> missing_hosts;    // expected by name, reported nothing
  std::vector<const FleetNode*> failed;      // nodes with a problem
  std::vector<const FleetNode*> superseded;  // nodes a rerun replaced
  // Incorrect or failed measurements of the nodes that reported, in node order: no metric
  // counts them, so without this list a node whose GPU gave wrong results would pass unseen.
  std::vector<UnverifiedMeasurement> unverified;
  // The same for burn-ins and memory tests, which have no metric either: a node whose GPU
  // corrupted data in its burn, or whose memory has bad words, would otherwise merge as a
  // healthy one.
  std::vector<StressProblem> stress_problems;
  // "burn-ins not passed on 2 nodes", "memory tests not passed on 1 node": a line for each test
  // with problems.
  std::vector<std::string> stress_problem_counts() const;
  // The problems of `node`'s `test` (kBurnIn or kMemoryTest), in order; none when it passed or
  // was not run.
  std::vector<std::string> stress_problems_of(const FleetNode& node, std::string_view test) const;
  // Nodes whose run did not finish (killed or interrupted: incomplete_run_note) and was no
  // stress test, whose problems would say so: the measurements it never took are no metric, so a
  // node that died half-way would otherwise merge as a healthy one.
  std::vector<const FleetNode*> unfinished;
  std::vector<FleetMetric> metrics;       // in the order the nodes first mention them
  std::vector<Outlier> outliers;          // in node order
  double spread_z_limit = kRobustZLimit;  // as the spread rule applied it to this fleet
  std::vector<std::string> versions;      // "flopbench 0.1.0 (commit abc): 3 nodes", each once
  std::vector<std::string> notes;         // mixed versions or schemas, said in words
};

// The analysis keeps pointers into `fleet`, which must outlive it.
FleetAnalysis analyse_fleet(const FleetRecord& fleet);
FleetAnalysis analyse_fleet(FleetRecord&&) = delete;  // it would point into a temporary

}  // namespace flopbench
