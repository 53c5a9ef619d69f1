#pragma once

// Parsers of the selection options that `run` and `check` share.

#include <optional>
#include <string_view>
#include <vector>

#include "harness/core/catalog.hpp"

namespace flopbench {

// Parses a --gpus value: "all", or comma-separated indices ("0,2"). InputError on bad text.
std::optional<std::vector<int>> parse_gpus(std::string_view text);

// Parses a --workloads value ("gemm,sum", "sgemm"); InputError on unknown names.
std::vector<WorkloadChoice> parse_workloads(std::string_view comma_separated);

}  // namespace flopbench
