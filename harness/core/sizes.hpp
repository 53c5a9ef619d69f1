#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "harness/core/catalog.hpp"
#include "harness/core/types.hpp"

namespace flopbench {

// One --sizes entry: "N" (an N x N x N GEMM, or N vector elements) or "MxNxK" (GEMM only).
// A count may end in K, M or G (binary: 2^10, 2^20, 2^30). Zero, negative, non-numeric and
// overflowing values throw InputError naming the entry.
struct SizeSpec {
  std::int64_t m = 0, n = 0, k = 0;  // m == k == 0: a single count
  bool is_triple() const { return m > 0; }
  bool operator==(const SizeSpec&) const = default;
};

SizeSpec parse_size(std::string_view text);
std::vector<SizeSpec> parse_sizes(std::string_view comma_separated);

// The most steps a peak chain takes: its value counts them exactly in FP32 (an integer start
// below 2^10 plus one per step stays below 2^24), so that verification sees every skipped step.
inline constexpr std::int64_t kMaxChainSteps = (std::int64_t{1} << 24) - 1024;

// The problem a size means for a workload: a single count N is N x N x N for a matrix workload
// and N elements (or chain steps, at most kMaxChainSteps) otherwise; a triple for a non-matrix
// workload throws InputError.
Problem to_problem(const SizeSpec& size, const WorkloadInfo& workload);

}  // namespace flopbench
