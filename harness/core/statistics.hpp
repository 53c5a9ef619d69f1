#pragma once

#include <limits>
#include <span>
#include <string>
#include <vector>

#include "harness/core/results.hpp"

namespace flopbench {

// Sorts ascending, NaNs last: values read from a results file may be NaN ("nan"), and std::sort
// with `<` on them is undefined behaviour, not merely an odd order. less_nan_last is the order.
bool less_nan_last(double a, double b);
void sort_numbers(std::vector<double>& values);

// Median, min, max, mean, sample standard deviation and coefficient of variation.
// Empty input gives samples == 0 and zeros elsewhere.
Statistics compute_statistics(std::span<const double> samples);

// The median of `values` (the mean of the middle two of an even count); 0 for none.
double median_of(std::vector<double> values);

// What a value is judged against among its peers (a GPU among its siblings, a node in a fleet):
// their middle value, and of an even count the lower of the middle two, so that a value more
// than some fraction below it is that far below most of them. The mean of the middle two would
// judge two equal values against a fast third: of 100, 100 and 125, each 100 would be 11 % below
// the others' 112.5. `sorted` ascending, with the value at `left_out` not counted (two values
// or more); lower_median_of takes them all, unsorted (one value or more).
double lower_median_without(const std::vector<double>& sorted, std::size_t left_out);
double lower_median_of(std::vector<double> values);

// How far the samples moved while they were taken: the median of their later half over the
// median of their earlier half, less 1 (positive: they got slower); 0 for fewer than 4 samples.
double drift_of(std::span<const double> samples);

// When to stop taking samples of one measurement. Sampling continues until, after a round,
//  - at least min_samples were taken, min_measured_s of measured time has accumulated, the
//    CV is at most target_cv and the drift at most max_drift either way -> "converged";
//  - or max_samples were taken                                       -> "max_samples";
//  - or time_limit_s of wall time has passed since sampling started  -> "time_limit".
struct StoppingRule {
  int min_samples = 10;
  int max_samples = 100;
  double min_measured_s = 0.5;
  double target_cv = 0.02;
  double time_limit_s = 10.0;
  double max_drift = std::numeric_limits<double>::infinity();
};

// The rule that ends sampling, or "" to go on. measured_s is the sum of the sample times times
// their iteration counts; elapsed_s the wall time since sampling started.
std::string stopping_reason(const StoppingRule& rule, std::span<const double> samples,
                            double measured_s, double elapsed_s);

}  // namespace flopbench
