#pragma once

// The workload catalog: everything flopbench knows about a workload, said once, in one table
// (catalog.cpp). The runner, the reports, the acceptance metrics and the sheet read workloads
// from here by their typed id; a workload's name is compared as a string nowhere else. A new
// workload is one entry here plus its kernel interface (kernel.hpp), its inputs and reference
// (workloads.hpp) and its implementations: see docs/architecture.md.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/types.hpp"

namespace flopbench {

enum class WorkloadId { gemm, sum, dot, stream, peak, transfer };

// What a workload's speed is limited by, and so the number it is judged in.
enum class Bound {
  compute,    // GFLOP/s, against the theoretical peak
  bandwidth,  // GB/s
};

// What one --sizes entry means for a workload.
enum class SizeKind {
  matrix,       // N (N x N x N) or MxNxK
  elements,     // an element count
  chain_steps,  // steps of each register-resident FMA chain (peak)
};

// A precision a workload has a name of its own for: gemm at fp32 is "sgemm" on the command line
// and in acceptance metrics (BLAS's name) and "SGEMM" in reports.
struct PrecisionAlias {
  Precision precision;
  std::string_view alias;    // "sgemm"
  std::string_view display;  // "SGEMM"
};

// What the device a measurement runs on offers that its default sizes depend on.
struct SizingFacts {
  DeviceKind device = DeviceKind::cpu;
  // CPU: its largest cache level over all instances (the last level, or the L2s where together
  // they hold more); GPU: the largest L2 of the GPUs. 0: unknown.
  std::int64_t cache_bytes = 0;
  bool no_l3_reported = false;  // CPU: CpuInventory::no_l3_reported, a larger cache unknown
  // GPU only: the smallest device memory and SM count of the GPUs; 0 when unknown.
  std::int64_t memory_bytes = 0;
  int sm_count = 0;
};

// A profile's sizes for one device, and why they were chosen (recorded with GPU measurements).
struct DefaultSizes {
  std::vector<Problem> problems;
  std::string basis;
};

struct WorkloadInfo {
  WorkloadId id;
  std::string_view name;  // "gemm": command line, results files, metric names
  std::string_view description;
  SizeKind size_kind = SizeKind::elements;
  Bound bound = Bound::compute;
  // FLOPs are counted by the kernel (it chooses how much work a run is), not by flops() below.
  bool counted_flops = false;
  // With two or more GPUs selected it also runs on all of them at once: the machine aggregate.
  bool machine_aggregate = false;
  // What a bandwidth-bound measurement is judged against (its peak's basis); "" when compute.
  std::string_view bandwidth_basis;
  // The workload whose GB/s reports divide this one's by (the STREAM triad for reductions).
  std::optional<WorkloadId> bandwidth_reference;
  // Its GB/s is the memory's only where its vectors are beyond the caches (within_cache_note);
  // a transfer's is the link's whatever its size.
  bool cache_sensitive = false;
  std::vector<PrecisionAlias> aliases;
  // Cost of one run. flops is 0 for counted workloads (the kernel says).
  double (*flops)(const Problem&) = nullptr;
  double (*bytes)(const Problem&, Precision) = nullptr;
  // Host memory one measurement needs: inputs, an implementation's copy of the output.
  double (*host_bytes)(const Problem&, Precision) = nullptr;
  // The sizes a profile runs.
  DefaultSizes (*default_sizes)(Profile, const SizingFacts&, Precision) = nullptr;
  // The shortest sample this workload takes, whatever the profile's minimum (0: the profile's).
  double min_sample_s = 0;
};

// STREAM's rule: a vector workload measures memory, not cache, where each of its vectors is at
// least this many times the cache (SizingFacts::cache_bytes: the CPU's largest cache level over
// all its instances, a GPU's L2).
inline constexpr int kBeyondCacheMultiple = 4;

// Why a vector problem measures partly cache rather than memory, as a note: "16 MiB per vector,
// within 4 x the CPU's 32 MiB of cache: partly cache bandwidth", or on a CPU that reports no L3
// (perhaps_within_hidden_cache) "16 MiB per vector, and the CPU reports no L3 cache (a hypervisor
// may hide one): perhaps partly cache bandwidth". "" where each vector is beyond the cache or the
// cache is unknown. Only a cache-sensitive workload's GB/s depends on it.
std::string within_cache_note(const Problem& vectors, Precision precision,
                              const SizingFacts& facts);

// A CPU that reports no L3 may have one a hypervisor hides (SizingFacts::no_l3_reported): vectors
// of fewer bytes than this, 4 x the 32 MiB L3 of one Zen CCD, may be partly in it. The CPU's
// standard and full profiles measure vectors of at least this size.
inline constexpr std::int64_t kHiddenCacheBytes = std::int64_t{128} << 20;
bool perhaps_within_hidden_cache(const Problem& vectors, Precision precision,
                                 const SizingFacts& facts);

// Every workload, in report order.
std::span<const WorkloadInfo> catalog();
const WorkloadInfo& info(WorkloadId id);
// Whether its runs do floating-point work to count (a transfer only moves bytes): its GFLOP/s
// mean something.
bool counts_flops(const WorkloadInfo& w);
std::string_view to_string(WorkloadId id);
std::ostream& operator<<(std::ostream& out, WorkloadId id);  // the name
// The workload a name (not an alias) names; nullopt for a name this build does not know.
std::optional<WorkloadId> lookup_workload(std::string_view name);
// The same, throwing InputError that lists the known names.
WorkloadId parse_workload(std::string_view name);

// One --workloads entry: a workload, or an alias that also fixes the precision ("sgemm").
struct WorkloadChoice {
  WorkloadId workload;
  std::optional<Precision> only;
  bool operator==(const WorkloadChoice&) const = default;
};
// Throws InputError for an unknown name, listing the known ones and the aliases.
WorkloadChoice parse_workload_choice(std::string_view name);

// "SGEMM" for gemm at fp32, "sum" for sum at any precision.
std::string display_name(WorkloadId id, Precision precision);
// The kernel part of an acceptance metric: "sgemm", "sum_fp32".
std::string metric_name(WorkloadId id, Precision precision);
// The inverse of metric_name; nullopt when no workload and precision have that name.
std::optional<std::pair<WorkloadId, Precision>> parse_metric_name(std::string_view name);

// The unit of a workload's headline number: "GB/s" or "GFLOP/s"; "GOP/s" for compute-bound
// work at an integer precision (INT8 GEMM counts operations, not FLOPs).
std::string_view headline_unit(Bound bound, Precision precision = Precision::fp32);

}  // namespace flopbench

// nvcc cannot compile fmt's headers, and device code formats nothing.
#ifndef __CUDACC__
#include <fmt/format.h>

// Workloads print as their name.
template <>
struct fmt::formatter<flopbench::WorkloadId> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(flopbench::WorkloadId id, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(flopbench::to_string(id), ctx);
  }
};
#endif
