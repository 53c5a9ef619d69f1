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
// A and B in the input type, C in the accumulator type (formats.hpp), read and written; an
// integer GEMM (beta = 0, workloads.cpp) only writes C.
double gemm_bytes(const Problem& p, Precision prec) {
  const double c_passes = is_integer(prec) ? 1.0 : 2.0;
  return (as_double(p.m) * as_double(p.k) + as_double(p.k) * as_double(p.n)) *
             static_cast<double>(size_of(prec)) +
         c_passes * as_double(p.m) * as_double(p.n) *
             static_cast<double>(accumulator_size_of(prec));
}
double gemm_host_bytes(const Problem& p, Precision prec) {
  // A, B, the initial C, the kernel's C and the copy read back for verification.
  return (as_double(p.m) * as_double(p.k) + as_double(p.k) * as_double(p.n)) *
             static_cast<double>(size_of(prec)) +
         3.0 * as_double(p.m) * as_double(p.n) * static_cast<double>(accumulator_size_of(prec));
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

constexpr std::int64_t kGiB = std::int64_t{1} << 30;

// N x N x N problems.
std::vector<Problem> cubes(const std::vector<std::int64_t>& sizes) {
  std::vector<Problem> out;
  for (const auto n : sizes) out.push_back(Problem::matrix(n, n, n));
  return out;
}

// The sweep profile's grid, from..to by `factor`. Every device gets the same grid, so that the
// CPU and the GPU meet at each size and the crossover between them can be found (reports/
// crossover.hpp); the GPU's measurements note it.
std::vector<std::int64_t> geometric_grid(std::int64_t from, std::int64_t to, std::int64_t factor) {
  std::vector<std::int64_t> grid;
  for (std::int64_t n = from; n <= to; n *= factor) grid.push_back(n);
  return grid;
}
std::string sweep_basis(const SizingFacts& facts) {
  return facts.device == DeviceKind::cpu ? "" : "sweep: the CPU's grid, to find the crossover";
}

DefaultSizes matrix_sizes(Profile profile, const SizingFacts& facts, Precision precision) {
  if (profile == Profile::sweep) return {cubes(geometric_grid(16, 2048, 2)), sweep_basis(facts)};
  if (facts.device == DeviceKind::cpu) {
    switch (profile) {
      case Profile::quick:
        return {cubes({256}), ""};
      case Profile::standard:
        return {cubes({1024}), ""};
      case Profile::full:
        return {cubes({1024, 2048, 4096}), ""};
      case Profile::sweep:
        break;  // above
    }
    throw std::logic_error("unknown profile");
  }
  // A GPU GEMM needs many more 128x128 output tiles than the GPU has SMs, or the figure says how
  // many SMs the layout kept idle rather than what the GPU does: 1024^3 is 64 tiles, half of an
  // H100's SMs. 8192^3 is 4096 tiles (31 per SM on 132 SMs). The quick profile takes 2048^3
  // (256 tiles, under 2 per SM on 132 SMs) only on GPUs of fewer than 100 SMs, 4096^3 (1024)
  // above. Sizes whose three matrices would take more than a quarter of the smallest GPU's
  // memory are left out.
  const auto fits = [&](std::int64_t n) {
    return facts.memory_bytes == 0 ||
           n * n *
                   static_cast<std::int64_t>(2 * size_of(precision) +
                                             accumulator_size_of(precision)) <=
               facts.memory_bytes / 4;
  };
  const bool large_gpu = facts.sm_count == 0 || facts.sm_count >= 32;
  const bool data_centre_gpu = facts.sm_count >= 100;
  std::vector<std::int64_t> sizes;
  switch (profile) {
    case Profile::quick:
      sizes = {data_centre_gpu && fits(4096) ? 4096 : 2048};
      break;
    case Profile::standard:
      sizes = {large_gpu && fits(8192) ? 8192 : 4096};
      break;
    case Profile::full:
      sizes = {4096, 8192, 16384};
      std::erase_if(sizes, [&](std::int64_t n) { return n > 4096 && !fits(n); });
      break;
    case Profile::sweep:
      break;  // above
  }
  const auto tiles_per_sm = [&](std::int64_t n) {
    return facts.sm_count > 0
               ? fmt::format("{:.1f}", static_cast<double>((n / 128) * (n / 128)) / facts.sm_count)
               : std::string("?");
  };
  std::vector<std::string> tiles;
  for (const std::int64_t n : sizes) tiles.push_back(fmt::format("{} at {}", tiles_per_sm(n), n));
  return {cubes(sizes),
          fmt::format("GPU {} size: {} SMs, {:.0f} GiB; 128x128 output tiles per SM: {}; within a "
                      "quarter of the memory",
                      to_string(profile), facts.sm_count,
                      static_cast<double>(facts.memory_bytes) / static_cast<double>(kGiB),
                      fmt::join(tiles, ", "))};
}

// Steps per chain.
DefaultSizes chain_sizes(Profile profile, const SizingFacts&, Precision) {
  switch (profile) {
    case Profile::quick:
      return {{Problem::vector(std::int64_t{1} << 18)}, ""};
    case Profile::standard:
      return {{Problem::vector(std::int64_t{1} << 21)}, ""};
    case Profile::full:
      return {{Problem::vector(std::int64_t{1} << 23)}, ""};
    case Profile::sweep:
      return {};  // the GPU runs other work than the CPU at one size: no crossover to find
  }
  throw std::logic_error("unknown profile");
}

// Bandwidth workloads measure memory, not cache. CPU: several times the last-level cache, rounded
// up to a power of two. GPU: 40 times L2 (8 in quick), so that the up to one L2 of dirty output
// that a triad can leave in L2 at its stop event is under 1% of the bytes it moves (3 vectors),
// and a run lasts far longer than a launch; within a quarter of the GPU's memory.
DefaultSizes vector_sizes(Profile profile, const SizingFacts& facts, Precision precision) {
  const auto element = static_cast<std::int64_t>(size_of(precision));
  if (profile == Profile::sweep) return {};  // not swept: the reductions are (reduction_sizes)
  if (facts.device == DeviceKind::cpu) {
    const auto beyond_cache = static_cast<std::int64_t>(std::bit_ceil(static_cast<std::uint64_t>(
        std::max<std::int64_t>(1, kBeyondCacheMultiple * facts.cache_bytes / element))));
    // At least 128 MiB per vector (FP32), beyond the L3 a hypervisor may hide (kHiddenCacheBytes).
    const std::int64_t base = std::max(std::int64_t{1} << 25, beyond_cache);
    switch (profile) {
      case Profile::quick: {
        // A smoke test in seconds: 2^22 elements, which on a large cache is partly cache.
        const Problem quick = Problem::vector(std::int64_t{1} << 22);
        const std::string note = within_cache_note(quick, precision, facts);
        return {{quick},
                note.empty()
                    ? ""
                    : fmt::format("quick profile: {}; the standard profile measures memory", note)};
      }
      case Profile::standard:
        return {{Problem::vector(base)}, ""};
      case Profile::full:
        return {{Problem::vector(base), Problem::vector(4 * base)}, ""};
      case Profile::sweep:
        break;  // above
    }
    throw std::logic_error("unknown profile");
  }
  // 50 MiB when L2 is unknown: a data-centre GPU's.
  const std::int64_t l2 = facts.cache_bytes > 0 ? facts.cache_bytes : std::int64_t{50} << 20;
  const std::int64_t multiple = profile == Profile::quick ? 8 : 40;
  constexpr std::int64_t kRound = std::int64_t{1} << 20;  // elements
  std::int64_t n = (multiple * l2 / element + kRound - 1) / kRound * kRound;
  std::string basis = fmt::format("GPU {} size: {} x L2 ({} MiB), beyond any cache",
                                  to_string(profile), multiple, l2 >> 20);
  // Where the quarter of the memory binds (an L40S), rounded down to its five leading binary
  // digits (at most 1/32 less): the same GPU with a few MiB more reserved (another driver)
  // almost always measures the same size, as a fleet rerun must.
  const std::int64_t cap = facts.memory_bytes / 4 / (3 * element);
  if (facts.memory_bytes > 0 && cap < n) {
    const auto step = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(std::bit_floor(static_cast<std::uint64_t>(cap)) >> 5));
    n = cap / step * step;
    basis = fmt::format(
        "GPU {} size: three vectors' worth within a quarter ({:.1f} GiB) of its {:.1f} GiB of "
        "memory, under {} x L2 ({} MiB); beyond any cache",
        to_string(profile), static_cast<double>(facts.memory_bytes / 4) / static_cast<double>(kGiB),
        static_cast<double>(facts.memory_bytes) / static_cast<double>(kGiB), multiple, l2 >> 20);
  }
  std::vector<Problem> problems = {Problem::vector(n)};
  if (profile == Profile::full &&
      (facts.memory_bytes == 0 || 4 * n * 3 * element <= facts.memory_bytes / 4)) {
    problems.push_back(Problem::vector(4 * n));
  }
  return {problems, basis};
}

}  // namespace

bool perhaps_within_hidden_cache(const Problem& vectors, Precision precision,
                                 const SizingFacts& facts) {
  return facts.device == DeviceKind::cpu && facts.no_l3_reported &&
         vectors.n * static_cast<std::int64_t>(size_of(precision)) < kHiddenCacheBytes;
}

std::string within_cache_note(const Problem& vectors, Precision precision,
                              const SizingFacts& facts) {
  const std::int64_t vector_bytes = vectors.n * static_cast<std::int64_t>(size_of(precision));
  constexpr double kMiB = 1 << 20;
  if (facts.cache_bytes <= 0 || vector_bytes >= kBeyondCacheMultiple * facts.cache_bytes) {
    if (!perhaps_within_hidden_cache(vectors, precision, facts)) return "";
    return fmt::format(
        "{:.4g} MiB per vector, and the CPU reports no L3 cache (a hypervisor may hide one): "
        "perhaps partly cache bandwidth",
        static_cast<double>(vector_bytes) / kMiB);
  }
  return fmt::format(
      "{:.4g} MiB per vector, within {} x the {}'s {:.4g} MiB of {}: partly cache "
      "bandwidth",
      static_cast<double>(vector_bytes) / kMiB, kBeyondCacheMultiple,
      facts.device == DeviceKind::cpu ? "CPU" : "GPU",
      static_cast<double>(facts.cache_bytes) / kMiB,
      facts.device == DeviceKind::cpu ? "cache" : "L2 cache");
}

namespace {

// sum and dot: the profiles' vector sizes; the sweep from 1 Ki elements (in L1) to 64 Mi (far
// beyond any last-level cache), x4 per step to keep the sweep within minutes on a small machine.
DefaultSizes reduction_sizes(Profile profile, const SizingFacts& facts, Precision precision) {
  if (profile != Profile::sweep) return vector_sizes(profile, facts, precision);
  DefaultSizes sizes{{}, sweep_basis(facts)};
  for (const auto n : geometric_grid(std::int64_t{1} << 10, std::int64_t{1} << 26, 4))
    sizes.problems.push_back(Problem::vector(n));
  return sizes;
}

constexpr std::string_view kTriadBasis =
    "bandwidth-bound workload: judged in GB/s against the stream triad";

// The catalog, in report order; its order is also WorkloadId's (checked by info()).
const std::vector<WorkloadInfo>& table() {
  static const std::vector<WorkloadInfo> workloads = {
      {.id = WorkloadId::gemm,
       .name = "gemm",
       .description = "C = alpha*A*B + beta*C (SGEMM/DGEMM; TF32, BF16, FP16, FP8 E4M3 into FP32; "
                      "INT8 C = A*B into INT32), 2*M*N*K FLOPs (INT8: operations)",
       .size_kind = SizeKind::matrix,
       .bound = Bound::compute,
       .machine_aggregate = true,
       .aliases = {{Precision::fp32, "sgemm", "SGEMM"},
                   {Precision::fp64, "dgemm", "DGEMM"},
                   {Precision::tf32, "gemm_tf32", "TF32 GEMM"},
                   {Precision::bf16, "gemm_bf16", "BF16 GEMM"},
                   {Precision::fp16, "gemm_fp16", "FP16 GEMM"},
                   {Precision::fp8_e4m3, "gemm_fp8_e4m3", "FP8 E4M3 GEMM"},
                   {Precision::int8, "gemm_int8", "INT8 GEMM (TOPS)"}},
       .flops = gemm_flops,
       .bytes = gemm_bytes,
       .host_bytes = gemm_host_bytes,
       .default_sizes = matrix_sizes},
      {.id = WorkloadId::sum,
       .name = "sum",
       .description = "sum of a vector, N FLOPs, N*size bytes",
       .bound = Bound::bandwidth,
       .bandwidth_basis = kTriadBasis,
       .bandwidth_reference = WorkloadId::stream,
       .cache_sensitive = true,
       .flops = vector_flops<1>,
       .bytes = vector_bytes<1>,
       .host_bytes = vector_bytes<1>,
       .default_sizes = reduction_sizes},
      {.id = WorkloadId::dot,
       .name = "dot",
       .description = "dot product of two vectors, 2N FLOPs, 2N*size bytes",
       .bound = Bound::bandwidth,
       .bandwidth_basis = kTriadBasis,
       .bandwidth_reference = WorkloadId::stream,
       .cache_sensitive = true,
       .flops = vector_flops<2>,
       .bytes = vector_bytes<2>,
       .host_bytes = vector_bytes<2>,
       .default_sizes = reduction_sizes},
      {.id = WorkloadId::stream,
       .name = "stream",
       .description = "STREAM triad a = x + s*y, 2N FLOPs, 3N*size bytes",
       .bound = Bound::bandwidth,
       .bandwidth_basis = kTriadBasis,
       .cache_sensitive = true,
       .flops = vector_flops<2>,
       .bytes = vector_bytes<3>,
       .host_bytes = vector_bytes<4>,
       .default_sizes = vector_sizes},
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
       .default_sizes = chain_sizes,
       // Every thread waits at the end of each run for the slowest: a preemption of one thread
       // stalls all of them. Samples of 100 ms or more each hold about the same share of such
       // stalls on a busy machine, where samples of a few ms either miss them or lose 10-30%.
       .min_sample_s = 0.1},
      {.id = WorkloadId::transfer,
       .name = "transfer",
       .description = "host<->device copy of N elements (pinned and pageable), N*size bytes",
       .bound = Bound::bandwidth,
       .bandwidth_basis = "host-device copy: judged in GB/s",
       .flops = no_flops,
       .bytes = vector_bytes<1>,
       .host_bytes = vector_bytes<2>,
       .default_sizes = vector_sizes},
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

bool counts_flops(const WorkloadInfo& w) { return w.counted_flops || w.flops != no_flops; }

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

std::string_view headline_unit(Bound bound, Precision precision) {
  switch (bound) {
    case Bound::compute:
      return is_integer(precision) ? "GOP/s" : "GFLOP/s";
    case Bound::bandwidth:
      return "GB/s";
  }
  throw std::logic_error("unknown bound");
}

}  // namespace flopbench
