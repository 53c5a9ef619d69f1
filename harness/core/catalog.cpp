#include "harness/core/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <ostream>
#include <stdexcept>

namespace flopbench {
namespace {

double as_double(std::int64_t v) { return static_cast<double>(v); }

// ---- cost models ------------------------------------------------------------------------------

double gemm_flops(const Problem& p) {
  return 2.0 * as_double(p.m) * as_double(p.n) * as_double(p.k);
}
double gemm_bytes(const Problem& p, Precision prec) {
  return (as_double(p.m) * as_double(p.k) + as_double(p.k) * as_double(p.n) +
          2.0 * as_double(p.m) * as_double(p.n)) *
         static_cast<double>(size_of(prec));
}
double gemm_host_bytes(const Problem& p, Precision prec) {
  // A, B, the initial C, the kernel's C and the copy read back for verification.
  return (as_double(p.m) * as_double(p.k) + as_double(p.k) * as_double(p.n) +
          3.0 * as_double(p.m) * as_double(p.n)) *
         static_cast<double>(size_of(prec));
}

template <int Arrays>
double vector_bytes(const Problem& p, Precision prec) {
  return Arrays * as_double(p.n) * static_cast<double>(size_of(prec));
}
template <int FlopsPerElement>
double vector_flops(const Problem& p) {
  return FlopsPerElement * as_double(p.n);
}
double no_flops(const Problem&) { return 0; }
double no_bytes(const Problem&, Precision) { return 0; }

// ---- default sizes ----------------------------------------------------------------------------

std::vector<Problem> matrix_sizes(Profile profile, const SizingFacts&, Precision) {
  switch (profile) {
    case Profile::quick:
      return {Problem::matrix(256, 256, 256)};
    case Profile::standard:
      return {Problem::matrix(1024, 1024, 1024)};
    case Profile::full:
      return {Problem::matrix(1024, 1024, 1024), Problem::matrix(2048, 2048, 2048),
              Problem::matrix(4096, 4096, 4096)};
  }
  throw std::logic_error("unknown profile");
}

// Steps per chain.
std::vector<Problem> chain_sizes(Profile profile, const SizingFacts&, Precision) {
  switch (profile) {
    case Profile::quick:
      return {Problem::vector(std::int64_t{1} << 18)};
    case Profile::standard:
      return {Problem::vector(std::int64_t{1} << 21)};
    case Profile::full:
      return {Problem::vector(std::int64_t{1} << 23)};
  }
  throw std::logic_error("unknown profile");
}

// Bandwidth workloads: several times the last-level cache, rounded up to a power of two, so that
// they measure memory, not cache.
std::vector<Problem> vector_sizes(Profile profile, const SizingFacts& facts, Precision precision) {
  const auto beyond_cache =
      static_cast<std::int64_t>(std::bit_ceil(static_cast<std::uint64_t>(std::max<std::int64_t>(
          1, 4 * facts.llc_bytes / static_cast<std::int64_t>(size_of(precision))))));
  const std::int64_t base = std::max(std::int64_t{1} << 25, beyond_cache);
  switch (profile) {
    case Profile::quick:
      return {Problem::vector(std::int64_t{1} << 22)};
    case Profile::standard:
      return {Problem::vector(base)};
    case Profile::full:
      return {Problem::vector(base), Problem::vector(4 * base)};
  }
  throw std::logic_error("unknown profile");
}

constexpr std::string_view kTriadBasis =
    "bandwidth-bound workload: judged in GB/s against the stream triad";

// The catalog, in report order; its order is also WorkloadId's (checked by info()).
const std::vector<WorkloadInfo>& table() {
  static const std::vector<WorkloadInfo> workloads = {
      {.id = WorkloadId::gemm,
       .name = "gemm",
       .description = "C = alpha*A*B + beta*C (SGEMM/DGEMM), 2*M*N*K FLOPs",
       .size_kind = SizeKind::matrix,
       .bound = Bound::compute,
       .machine_aggregate = true,
       .aliases = {{Precision::fp32, "sgemm", "SGEMM"}, {Precision::fp64, "dgemm", "DGEMM"}},
       .flops = gemm_flops,
       .bytes = gemm_bytes,
       .host_bytes = gemm_host_bytes,
       .default_problems = matrix_sizes},
      {.id = WorkloadId::sum,
       .name = "sum",
       .description = "sum of a vector, N FLOPs, N*size bytes",
       .bound = Bound::bandwidth,
       .bandwidth_basis = kTriadBasis,
       .bandwidth_reference = WorkloadId::stream,
       .flops = vector_flops<1>,
       .bytes = vector_bytes<1>,
       .host_bytes = vector_bytes<1>,
       .default_problems = vector_sizes},
      {.id = WorkloadId::dot,
       .name = "dot",
       .description = "dot product of two vectors, 2N FLOPs, 2N*size bytes",
       .bound = Bound::bandwidth,
       .bandwidth_basis = kTriadBasis,
       .bandwidth_reference = WorkloadId::stream,
       .flops = vector_flops<2>,
       .bytes = vector_bytes<2>,
       .host_bytes = vector_bytes<2>,
       .default_problems = vector_sizes},
      {.id = WorkloadId::stream,
       .name = "stream",
       .description = "STREAM triad a = x + s*y, 2N FLOPs, 3N*size bytes",
       .bound = Bound::bandwidth,
       .bandwidth_basis = kTriadBasis,
       .flops = vector_flops<2>,
       .bytes = vector_bytes<3>,
       .host_bytes = vector_bytes<4>,
       .default_problems = vector_sizes},
      {.id = WorkloadId::peak,
       .name = "peak",
       .description = "register-only FMA chains; FLOPs counted by the kernel",
       .size_kind = SizeKind::chain_steps,
       .bound = Bound::compute,
       .counted_flops = true,
       .machine_aggregate = true,
       .flops = no_flops,
       .bytes = no_bytes,
       .host_bytes = no_bytes,
       .default_problems = chain_sizes},
      {.id = WorkloadId::transfer,
       .name = "transfer",
       .description = "host<->device copy of N elements (pinned and pageable), N*size bytes",
       .bound = Bound::bandwidth,
       .bandwidth_basis = "host-device copy: judged in GB/s",
       .flops = no_flops,
       .bytes = vector_bytes<1>,
       .host_bytes = vector_bytes<2>,
       .default_problems = vector_sizes},
  };
  return workloads;
}

}  // namespace

std::span<const WorkloadInfo> catalog() { return table(); }

const WorkloadInfo& info(WorkloadId id) {
  const WorkloadInfo& w = table().at(static_cast<std::size_t>(id));
  if (w.id != id) throw std::logic_error("the workload catalog is out of WorkloadId order");
  return w;
}

std::string_view to_string(WorkloadId id) { return info(id).name; }

std::ostream& operator<<(std::ostream& out, WorkloadId id) { return out << to_string(id); }

std::optional<WorkloadId> lookup_workload(std::string_view name) {
  for (const auto& w : catalog()) {
    if (w.name == name) return w.id;
  }
  return std::nullopt;
}

WorkloadId parse_workload(std::string_view name) {
  if (const auto id = lookup_workload(name)) return *id;
  std::vector<std::string_view> known;
  for (const auto& w : catalog()) known.push_back(w.name);
  throw InputError(
      fmt::format("unknown workload '{}' (expected one of: {})", name, fmt::join(known, ", ")));
}

WorkloadChoice parse_workload_choice(std::string_view name) {
  std::vector<std::string_view> known;
  for (const auto& w : catalog()) {
    if (w.name == name) return {w.id, std::nullopt};
    known.push_back(w.name);
  }
  for (const auto& w : catalog()) {
    for (const auto& a : w.aliases) {
      if (a.alias == name) return {w.id, a.precision};
      known.push_back(a.alias);
    }
  }
  throw InputError(
      fmt::format("unknown workload '{}' (expected one of: {})", name, fmt::join(known, ", ")));
}

std::string display_name(WorkloadId id, Precision precision) {
  const WorkloadInfo& w = info(id);
  for (const auto& a : w.aliases) {
    if (a.precision == precision) return std::string(a.display);
  }
  return std::string(w.name);
}

std::string metric_name(WorkloadId id, Precision precision) {
  const WorkloadInfo& w = info(id);
  for (const auto& a : w.aliases) {
    if (a.precision == precision) return std::string(a.alias);
  }
  return fmt::format("{}_{}", w.name, to_string(precision));
}

std::optional<std::pair<WorkloadId, Precision>> parse_metric_name(std::string_view name) {
  for (const auto& w : catalog()) {
    for (const Precision p : kPrecisions) {
      if (metric_name(w.id, p) == name) return std::pair(w.id, p);
    }
  }
  return std::nullopt;
}

std::string_view headline_unit(Bound bound) {
  switch (bound) {
    case Bound::compute:
      return "GFLOP/s";
    case Bound::bandwidth:
      return "GB/s";
  }
  throw std::logic_error("unknown bound");
}

}  // namespace flopbench
