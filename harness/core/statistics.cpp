#include "harness/core/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace flopbench {
namespace {

double median_of_sorted(const std::vector<double>& sorted) {
  if (sorted.empty()) return 0;
  const std::size_t n = sorted.size();
  return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

}  // namespace

bool less_nan_last(double a, double b) { return a < b || (std::isnan(b) && !std::isnan(a)); }

void sort_numbers(std::vector<double>& values) {
  std::sort(values.begin(), values.end(), less_nan_last);
}

double median_of(std::vector<double> values) {
  sort_numbers(values);
  return median_of_sorted(values);
}

double lower_median_without(const std::vector<double>& sorted, std::size_t left_out) {
  const std::size_t others = sorted.size() - 1;
  const std::size_t middle = (others - 1) / 2;
  return sorted[middle < left_out ? middle : middle + 1];
}

double lower_median_of(std::vector<double> values) {
  sort_numbers(values);
  return values[(values.size() - 1) / 2];
}

Statistics compute_statistics(std::span<const double> samples) {
  Statistics s;
  s.samples = static_cast<std::int64_t>(samples.size());
  if (samples.empty()) return s;
  std::vector<double> sorted(samples.begin(), samples.end());
  sort_numbers(sorted);
  const std::size_t n = sorted.size();
  s.min = sorted.front();
  s.max = sorted.back();
  s.median = median_of_sorted(sorted);
  s.mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(n);
  if (n > 1) {
    double sq = 0;
    for (double x : sorted) sq += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(sq / static_cast<double>(n - 1));
  }
  s.cv = s.mean > 0 ? s.stddev / s.mean : 0;
  return s;
}

double drift_of(std::span<const double> samples) {
  const std::size_t half = samples.size() / 2;
  if (half < 2) return 0;
  const double earlier = median_of({samples.begin(), samples.begin() + half});
  const double later = median_of({samples.end() - half, samples.end()});
  return earlier > 0 ? later / earlier - 1 : 0;
}

std::string stopping_reason(const StoppingRule& rule, std::span<const double> samples,
                            double measured_s, double elapsed_s) {
  const auto n = static_cast<int>(samples.size());
  if (n >= rule.min_samples && measured_s >= rule.min_measured_s &&
      compute_statistics(samples).cv <= rule.target_cv &&
      std::abs(drift_of(samples)) <= rule.max_drift) {
    return "converged";
  }
  if (n >= rule.max_samples) return "max_samples";
  if (elapsed_s >= rule.time_limit_s) return "time_limit";
  return "";
}

}  // namespace flopbench
