#pragma once

// Parsers of the selection options that `run` and `check` share.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/catalog.hpp"
#include "harness/core/health.hpp"
#include "harness/core/results.hpp"

namespace flopbench {

// Parses a --gpus value: "all", comma-separated indices ("0,2"), or "local-rank": the GPU whose
// index is the task's local rank in `launch`, so that a launcher's tasks on a node each take
// one GPU. InputError on bad text, and for local-rank without a local rank.
std::optional<std::vector<int>> parse_gpus(std::string_view text, const Launch& launch = {});

// This process's GpuVisibility, read from its environment.
GpuVisibility gpu_visibility_here();

// The error of a command that is to use every GPU (`--gpus all`) where CUDA sees some but not all
// of the GPUs the process was given (gpus_cuda_misses): "burn: CUDA sees 7 of the 8 NVIDIA GPUs
// given to this process (...): 1 cannot be burned in ..., which fails the burn; --gpus 0,...,6
// (CUDA's numbering) burns those CUDA sees". `verb` is what the command does ("burn", "test"),
// `done` its participle ("burned in"). "" where nothing is missed, or GPUs were chosen.
std::string gpus_left_out(const Environment& env, const std::optional<std::vector<int>>& chosen,
                          std::string_view command, std::string_view verb, std::string_view done);

// The names of a comma-separated option value; InputError naming `option` for an empty one
// ("dot,", "dot,,sum"), which would otherwise be dropped or read as a name.
std::vector<std::string> split_names(std::string_view comma_separated, std::string_view option);

// Parses a --workloads value ("gemm,sum", "sgemm"); InputError on unknown names.
std::vector<WorkloadChoice> parse_workloads(std::string_view comma_separated);

// Parses a --precision value: comma-separated names ("fp32,fp64"), each once however often it
// is named; empty for "all". InputError on unknown names.
std::vector<Precision> parse_precisions(const std::string& text);

// For help texts, from the catalog and kPrecisions, so that a new workload or precision is
// listed: "gemm, sum, ... (sgemm, ...: a workload at one precision)"; "fp32, fp64, ...".
std::string workload_names_help();
std::string precision_names_help();

// Parses a --duration value: seconds, or a number with s, m or h ("10m"); positive, at most 7
// days. InputError otherwise.
double parse_duration(std::string_view text);

}  // namespace flopbench
