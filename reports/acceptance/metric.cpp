#include "reports/acceptance/metric.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <tuple>
#include <vector>

#include "harness/core/registry.hpp"
#include "reports/acceptance/burn_metrics.hpp"

namespace flopbench {
namespace {

// Facts that results of every kind record (a run's, a burn-in's, a memory test's), and facts of a
// run's measurements.
constexpr std::array<std::string_view, 3> kEveryKindFacts = {"gpu.count", "cpu.cores",
                                                             "run.complete"};
constexpr std::array<std::string_view, 3> kRunFacts = {"run.unverified", "run.throttled",
                                                       "run.contended"};

constexpr std::string_view kMetricForm =
    "<device>.<kernel>.<implementation>.<quantity>, one of gpu.count, cpu.cores, "
    "run.complete, run.unverified, run.throttled, run.contended, burn.*, memtest.*, or a health "
    "fact (gpu.<fact>, "
    "cpu.count, memory.gib, numa.nodes, pci.nvidia_gpus); see docs/acceptance.md";

// The kernel names of this build's implementations, for error messages: not every workload has
// every precision (no sum_tf32), and a name listed must be one a spec can use.
std::vector<std::string> metric_names() {
  std::vector<std::string> names;
  for (const auto& w : catalog()) {
    for (const Precision p : kPrecisions) {
      if (std::ranges::any_of(registry().all(), [&](const Implementation& impl) {
            return impl.workload == w.id && impl.supports(p);
          }))
        names.push_back(metric_name(w.id, p));
    }
  }
  return names;
}

std::string numeric_gpu_facts() {
  std::vector<std::string> names;
  for (const auto& f : kGpuHealthFacts) {
    if (f.kind == FactKind::number) names.push_back(fmt::format("gpu.{}", f.name));
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

struct QuantityInfo {
  std::string_view name;
  Quantity quantity;
  std::string_view unit;
};
constexpr std::array kQuantities = {
    QuantityInfo{"gflops", Quantity::gflops, "GFLOP/s"},
    QuantityInfo{"tflops", Quantity::tflops, "TFLOP/s"},
    QuantityInfo{"gbytes_per_s", Quantity::gbytes_per_s, "GB/s"},
    QuantityInfo{"percent_of_peak", Quantity::percent_of_peak, "%"},
};

// The row of kQuantities for `q`; none for a count.
const QuantityInfo* quantity_info(Quantity q) {
  const auto it = std::find_if(kQuantities.begin(), kQuantities.end(),
                               [&](const QuantityInfo& i) { return i.quantity == q; });
  return it == kQuantities.end() ? nullptr : &*it;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// Implementation names are lower-case words with digits and dashes ("omp", "h2d-pinned").
bool valid_implementation_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(uint8_t(c)) || std::isdigit(uint8_t(c)) || c == '-' || c == '_';
  });
}

}  // namespace

std::string_view quantity_name(Quantity q) {
  const QuantityInfo* info = quantity_info(q);
  return info ? info->name : "";
}

std::string_view unit_of(Quantity q) {
  const QuantityInfo* info = quantity_info(q);
  return info ? info->unit : "";
}

std::optional<double> scale_to(Quantity q, std::string_view unit) {
  struct Unit {
    std::string_view name;
    double gflops, gbytes, percent;  // the factor to GFLOP/s, GB/s or %; 0: another dimension
  };
  static constexpr std::array kUnits = {
      Unit{"GFLOP/s", 1, 0, 0}, Unit{"TFLOP/s", 1e3, 0, 0}, Unit{"PFLOP/s", 1e6, 0, 0},
      Unit{"GB/s", 0, 1, 0},    Unit{"TB/s", 0, 1e3, 0},    Unit{"%", 0, 0, 1},
  };
  for (const auto& u : kUnits) {
    if (u.name != unit) continue;
    switch (q) {
      case Quantity::gflops:
        return u.gflops ? std::optional(u.gflops) : std::nullopt;
      case Quantity::tflops:
        return u.gflops ? std::optional(u.gflops / 1e3) : std::nullopt;
      case Quantity::gbytes_per_s:
        return u.gbytes ? std::optional(u.gbytes) : std::nullopt;
      case Quantity::percent_of_peak:
        return u.percent ? std::optional(u.percent) : std::nullopt;
      case Quantity::count:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string_view expected_units(Quantity q) {
  switch (q) {
    case Quantity::gflops:
    case Quantity::tflops:
      return "GFLOP/s, TFLOP/s or PFLOP/s";
    case Quantity::gbytes_per_s:
      return "GB/s or TB/s";
    case Quantity::percent_of_peak:
      return "%";
    case Quantity::count:
      return "no unit";
  }
  return "";
}

Metric parse_metric(std::string_view name) {
  Metric m;
  m.name = std::string(name);
  if (std::ranges::find(kEveryKindFacts, name) != kEveryKindFacts.end()) return m;
  if (std::ranges::find(kRunFacts, name) != kRunFacts.end()) {
    m.results_kind = kRunKind;
    return m;
  }
  if (is_burn_metric(name)) return parse_burn_metric(name);
  if (const HealthFactInfo* fact = host_health_fact(name)) {
    m.health_fact = std::string(fact->name);
    return m;
  }
  if (name.starts_with("gpu.")) {
    const HealthFactInfo* fact = gpu_health_fact(name.substr(4));
    if (fact && fact->kind == FactKind::number) {
      m.health_fact = std::string(fact->name);
      m.device = DeviceRef::gpu({});
      return m;
    }
    if (fact) {
      throw InputError(fmt::format(
          "unknown metric '{}': {} is a text fact, which a criterion cannot compare; the "
          "numeric GPU facts are {}",
          name, fact->name, numeric_gpu_facts()));
    }
  }
  const auto parts = split(name, '.');
  if (parts.size() != 4) {
    throw InputError(
        name.starts_with("gpu.")
            ? fmt::format("unknown metric '{}': expected {}; the numeric GPU facts are {}", name,
                          kMetricForm, numeric_gpu_facts())
            : fmt::format("unknown metric '{}': expected {}", name, kMetricForm));
  }
  const auto device = [&]() -> std::optional<DeviceRef> {
    try {
      return DeviceRef::parse(parts[0]);
    } catch (const InputError&) {
      return std::nullopt;
    }
  }();
  if (!device || device->machine_aggregate()) {
    throw InputError(fmt::format(
        "unknown metric '{}': unknown device '{}' (expected cpu, gpu (every GPU) or gpu<N>)", name,
        parts[0]));
  }
  m.device = *device;
  const auto kernel = parse_metric_name(parts[1]);
  if (!kernel) {
    throw InputError(
        fmt::format("unknown metric '{}': unknown kernel '{}' (this build measures: {})", name,
                    parts[1], fmt::join(metric_names(), ", ")));
  }
  std::tie(m.workload, m.precision) = *kernel;
  // A name this build does not register is refused where the build has the metric's device side
  // (a typo would otherwise fail the machine as not measured); on a side the build lacks (GPU
  // names in a CPU-only build) it is accepted, and its criterion fails as not measured. A known
  // name must run on the metric's device, and have the kernel's workload and precision.
  const auto impl_device = registry().device_of(parts[2]);
  const bool device_side_built =
      std::any_of(registry().all().begin(), registry().all().end(),
                  [&](const Implementation& impl) { return impl.spec.device == m.device.kind; });
  if (!valid_implementation_name(parts[2]) || (impl_device && *impl_device != m.device.kind) ||
      (!impl_device && device_side_built)) {
    std::vector<std::string> impls;
    for (const auto& impl_name : registry().names()) {
      if (registry().device_of(impl_name) == m.device.kind) impls.push_back(impl_name);
    }
    throw InputError(
        fmt::format("unknown metric '{}': unknown {} implementation '{}' (expected one of: {})",
                    name, to_string(m.device.kind), parts[2], fmt::join(impls, ", ")));
  }
  if (impl_device) {
    const Implementation* impl = registry().find(*m.workload, parts[2]);
    if (!impl) {
      std::vector<std::string_view> workloads;
      for (const auto& other : registry().all()) {
        if (other.name() == parts[2]) workloads.push_back(to_string(other.workload));
      }
      throw InputError(fmt::format("unknown metric '{}': {} implements no {} (its workloads: {})",
                                   name, parts[2], to_string(*m.workload),
                                   fmt::join(workloads, ", ")));
    }
    if (!impl->supports(m.precision)) {
      throw InputError(
          fmt::format("unknown metric '{}': {}", name, impl->unsupported_reason(m.precision)));
    }
  }
  m.implementation = std::string(parts[2]);
  m.results_kind = kRunKind;
  const WorkloadInfo& workload = info(*m.workload);
  std::vector<std::string_view> allowed;
  for (const auto& q : kQuantities) {
    // Register-only and GEMM kernels' bytes say nothing about their speed; only FLOP-bound
    // kernels have a theoretical peak to be a percentage of; a copy has no FLOPs to count.
    const bool ok = q.quantity == Quantity::gbytes_per_s      ? workload.bound == Bound::bandwidth
                    : q.quantity == Quantity::percent_of_peak ? workload.bound == Bound::compute
                                                              : counts_flops(workload);
    if (!ok) continue;
    allowed.push_back(q.name);
    if (q.name == parts[3]) m.quantity = q.quantity;
  }
  if (std::find(allowed.begin(), allowed.end(), parts[3]) == allowed.end()) {
    throw InputError(
        fmt::format("unknown metric '{}': unknown quantity '{}' for {} (expected one of: {})", name,
                    parts[3], parts[1], fmt::join(allowed, ", ")));
  }
  return m;
}

}  // namespace flopbench
