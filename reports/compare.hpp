#pragma once

// `flopbench compare A.json B.json`: how each measurement changed from run A to run B, with a
// verdict that accounts for noise. docs/reports.md explains the rule and its statistics.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/results.hpp"

namespace flopbench {

// Two-sided Mann-Whitney U test of samples a against b, normal approximation with tie and
// continuity corrections. `u` is the U statistic of a (pairs with a < b count 1, ties 1/2).
struct MannWhitney {
  double u = 0;
  double z = 0;
  double p_value = 1;
};
MannWhitney mann_whitney_u(std::span<const double> a, std::span<const double> b);

enum class Change { faster, slower, same, inconclusive };
std::string_view to_string(Change c);

struct CompareRule {
  // Changes of the median time smaller than this (a fraction) are "same" whatever the test says:
  // smaller ones are within run-to-run drift of clocks and memory placement.
  double same_below = 0.02;
  // Significance level of the U test.
  double alpha = 0.05;
  // Fewer samples on either side: "inconclusive". With 5 and 5, complete separation gives
  // p = 0.012 under the normal approximation, so a real change can be detected.
  std::size_t min_samples = 5;
};

struct Judgement {
  Change verdict = Change::inconclusive;
  double time_ratio = 0;          // median B / median A: < 1 is faster
  std::optional<double> p_value;  // empty when too few samples to test
  std::string reason;             // why inconclusive; "" otherwise
};

// The verdict on samples (seconds per run) of A and B.
Judgement judge(std::span<const double> a, std::span<const double> b, const CompareRule& rule = {});

// One measurement present in both documents: same workload, implementation, device, precision
// and problem.
struct Comparison {
  const MeasurementRecord* a = nullptr;
  const MeasurementRecord* b = nullptr;
  Judgement judgement;  // inconclusive, with the reason, unless both passed
};

struct CompareResult {
  std::vector<Comparison> matched;               // in A's order
  std::vector<const MeasurementRecord*> only_a;  // in A, not in B
  std::vector<const MeasurementRecord*> only_b;  // in B, not in A
  // Geometric mean of time_ratio over the matched measurements that passed in both.
  std::optional<double> geomean_time_ratio;
  std::size_t geomean_of = 0;  // how many ratios it is the mean of
};

CompareResult compare_results(const ResultsDocument& a, const ResultsDocument& b,
                              const CompareRule& rule = {});

// The comparison as an aligned table and a summary, for the console.
std::string compare_text(const CompareResult& result, const CompareRule& rule = {});

// Measurements judged slower whose median time grew by more than `percent`.
std::vector<const Comparison*> regressions(const CompareResult& result, double percent);

}  // namespace flopbench
