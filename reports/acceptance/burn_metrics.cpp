#include "reports/acceptance/burn_metrics.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>

#include "reports/burn_report.hpp"

namespace flopbench {
namespace {

constexpr std::array<std::string_view, 6> kBurnTotals = {
    "faulty", "degraded", "unsupported", "duration_s", "telemetry_stopped", "problems"};
constexpr std::array<std::string_view, 5> kBurnPerDevice = {
    "faulty", "degraded", "unsupported", "throughput_drop", "throttled_readings"};
constexpr std::array<std::string_view, 3> kMemtestTotals = {"bad_words", "failed", "problems"};

template <std::size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& names) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

[[noreturn]] void unknown(std::string_view name) {
  throw InputError(fmt::format(
      "unknown metric '{}': expected burn.faulty, burn.degraded, burn.unsupported, "
      "burn.duration_s, burn.telemetry_stopped, burn.problems, burn.<device>.faulty, "
      "burn.<device>.degraded, burn.<device>.unsupported, burn.<device>.throughput_drop, "
      "burn.<device>.throttled_readings, memtest.bad_words, memtest.failed, memtest.problems "
      "or memtest.<gpu>.bad_words (<device>: cpu, gpu or gpu<N>); see docs/acceptance.md",
      name));
}

// burn.faulty, memtest.bad_words: over every device.
bool is_total(const Metric& m) { return std::count(m.name.begin(), m.name.end(), '.') == 1; }

using RowGpus = std::optional<std::vector<int>>;

// The most CPU that other processes and the hypervisor took in the last quarter of a CPU's burn,
// against whose first quarter its throughput drop is measured; empty without readings there.
std::optional<double> foreign_at_the_end(const BurnDevice& d) {
  if (d.cpu_load.empty()) return std::nullopt;
  const double from = 0.75 * d.cpu_load.back().at_s;
  std::optional<double> most;
  for (const CpuBurnReading& r : d.cpu_load) {
    if (r.at_s >= from) most = std::max(most.value_or(0), r.other_cpus + r.steal_cpus);
  }
  return most;
}

// The devices a per-device metric judges: the one it names, or every GPU the section has (of
// those the row is for).
std::vector<DeviceRef> devices_judged(const Metric& m, const std::vector<DeviceRef>& present,
                                      const RowGpus& row_gpus) {
  if (m.device.on_gpu() && m.device.gpus.empty()) {
    const auto for_row = [&](const DeviceRef& d) {
      return !row_gpus || (d.gpus.size() == 1 && std::find(row_gpus->begin(), row_gpus->end(),
                                                           d.gpus.front()) != row_gpus->end());
    };
    std::vector<DeviceRef> gpus;
    for (const DeviceRef& d : present) {
      if (d.on_gpu() && for_row(d) && std::find(gpus.begin(), gpus.end(), d) == gpus.end()) {
        gpus.push_back(d);
      }
    }
    return gpus;
  }
  return {m.device};
}

// Why a `gpu` metric judged no GPU: "the burn burned no GPU" and, for a row keyed to a model,
// which of them it was for.
std::string none_judged(std::string_view what, const RowGpus& row_gpus) {
  if (!row_gpus || row_gpus->empty()) return fmt::format("not measured: {}", what);
  return fmt::format("not measured: {} the row is for ({})", what, gpu_labels(*row_gpus, ", "));
}

// "burn.gpu.faulty" on gpu2 is "burn.gpu2.faulty".
std::string name_on(const Metric& m, const DeviceRef& d) {
  const auto first = m.name.find('.'), second = m.name.find('.', first + 1);
  return m.name.substr(0, first + 1) + d.label() + m.name.substr(second);
}

std::vector<FactValue> burn_values(const BurnResult& burn, const Metric& m,
                                   std::string_view quantity, const RowGpus& row_gpus) {
  const auto count = [&](BurnVerdict v, const DeviceRef* only) {
    return static_cast<double>(
        std::count_if(burn.devices.begin(), burn.devices.end(), [&](const BurnDevice& d) {
          return d.verdict == v && (only == nullptr || d.device == *only);
        }));
  };
  if (is_total(m)) {
    if (quantity == "faulty") return {{m.name, count(BurnVerdict::faulty, nullptr), ""}};
    if (quantity == "degraded") return {{m.name, count(BurnVerdict::degraded, nullptr), ""}};
    if (quantity == "unsupported") {
      return {{m.name, count(BurnVerdict::unsupported, nullptr), ""}};
    }
    // 1 where the GPU telemetry source stopped answering (a hung driver?), 0 otherwise, a burn
    // without a telemetry source included: that one is burn.gpu.throttled_readings' to judge.
    if (quantity == "telemetry_stopped") {
      return {{m.name, burn.telemetry_stopped.empty() ? 0.0 : 1.0, ""}};
    }
    // Per precision, the longest burn of a device that could run it (0 where none could).
    std::vector<std::pair<Precision, double>> longest;
    for (const BurnDevice& d : burn.devices) {
      const double seconds = d.verdict == BurnVerdict::unsupported ? 0 : d.seconds;
      const auto it = std::find_if(longest.begin(), longest.end(),
                                   [&](const auto& p) { return p.first == d.precision; });
      if (it == longest.end()) {
        longest.emplace_back(d.precision, seconds);
      } else {
        it->second = std::max(it->second, seconds);
      }
    }
    if (longest.empty()) return {{m.name, std::nullopt, "not measured: the burn burned nothing"}};
    // A precision asked for that no device burned (interrupted before it) burned for 0 s.
    for (const Precision p : burn.precisions_not_burned()) longest.emplace_back(p, 0.0);
    double shortest = longest.front().second;
    for (const auto& p : longest) shortest = std::min(shortest, p.second);
    return {{m.name, shortest, ""}};
  }
  std::vector<DeviceRef> present;
  for (const BurnDevice& d : burn.devices) present.push_back(d.device);
  std::vector<FactValue> out;
  const auto judged = devices_judged(m, present, row_gpus);
  if (judged.empty()) {
    return {{m.name, std::nullopt, none_judged("the burn burned no GPU", row_gpus)}};
  }
  for (const DeviceRef& device : judged) {
    FactValue v{name_on(m, device), std::nullopt, ""};
    bool burned = false;
    std::optional<double> value = 0;
    std::string unknown_why;
    for (const BurnDevice& d : burn.devices) {
      if (d.device != device) continue;
      const bool burned_before = burned;
      burned = true;
      if (quantity == "throughput_drop") {  // the worst precision's; unknown if any is
        const auto drop = d.throughput_drop();
        if (d.verdict == BurnVerdict::unsupported) {
          unknown_why = fmt::format("not measured: {} cannot burn {}: {}", device.label(),
                                    precision_label(d.precision), d.why);
        } else if (!drop) {
          unknown_why = fmt::format(
              "not measured: the {} burn of {} has too few throughput points "
              "to compare its start with its end",
              precision_label(d.precision), device.label());
        }
        if (!drop || !value) {
          value = std::nullopt;
        } else if (!burned_before || *drop > *value) {
          value = *drop;
          // A CPU that others took from at the end of its burn slows for them: said with a miss
          // (as a contended measurement's is), the worst precision's drop may be theirs.
          const auto foreign = foreign_at_the_end(d);
          unknown_why =
              foreign && *foreign >= kContendedWait
                  ? fmt::format(
                        "other processes and the hypervisor took up to {:.2f} CPUs in the "
                        "last quarter of its {} burn, which may be the drop; burn it "
                        "again on a quiet machine",
                        *foreign, precision_label(d.precision))
                  : "";
        }
      } else if (quantity == "throttled_readings") {
        // No reading is no evidence of no throttling (no NVML, no nvidia-smi, every reading
        // failed, a vGPU that gives no clock event reasons): the count is unknown. A CPU's
        // throttling is never read.
        if (!d.device.on_gpu()) {
          unknown_why = fmt::format(
              "not measured: the throttling of {} is not read (no telemetry gives it); "
              "burn.{}.throughput_drop judges its speed",
              device.label(), device.label());
          value = std::nullopt;
        } else if (!burn.telemetry_stopped.empty()) {
          unknown_why = "not measured: GPU telemetry stopped: " + burn.telemetry_stopped;
          value = std::nullopt;
        } else if (const std::string_view unread = d.throttling_unread();
                   d.verdict != BurnVerdict::unsupported && !unread.empty()) {
          unknown_why = fmt::format("not measured: {} was read of {} during its {} burn", unread,
                                    device.label(), precision_label(d.precision));
          value = std::nullopt;
        } else if (value) {
          *value += d.throttled_readings();
        }
      }
    }
    if (quantity == "faulty") value = count(BurnVerdict::faulty, &device);
    if (quantity == "degraded") value = count(BurnVerdict::degraded, &device);
    if (quantity == "unsupported") value = count(BurnVerdict::unsupported, &device);
    if (burned) {
      v.value = value;
      // Without a value, why not; with one, what to know of it where it misses.
      v.why_not = unknown_why;
    } else {
      v.why_not = fmt::format("not measured: the burn did not burn {}", device.label());
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<FactValue> memtest_values(const MemtestResult& memtest, const Metric& m,
                                      std::string_view quantity, const RowGpus& row_gpus) {
  if (is_total(m)) {
    double total = 0;
    for (const MemtestDevice& d : memtest.devices) {
      // A GPU whose test did not complete has an unknown count of bad words, unless it found
      // some.
      if (quantity != "failed" && !d.completed() && d.bad_words == 0) {
        return {{m.name, std::nullopt,
                 fmt::format("not measured: the memory test of {} did not complete: {}", d.device,
                             d.incomplete_reason())}};
      }
      total += quantity == "failed" ? (d.passed() ? 0 : 1) : static_cast<double>(d.bad_words);
    }
    if (memtest.devices.empty()) return {{m.name, std::nullopt, "not measured: no GPU tested"}};
    return {{m.name, total, ""}};
  }
  std::vector<DeviceRef> present;
  for (const MemtestDevice& d : memtest.devices) present.push_back(DeviceRef::parse(d.device));
  std::vector<FactValue> out;
  const auto judged = devices_judged(m, present, row_gpus);
  if (judged.empty()) return {{m.name, std::nullopt, none_judged("no GPU tested", row_gpus)}};
  for (const DeviceRef& device : judged) {
    const auto it =
        std::find_if(memtest.devices.begin(), memtest.devices.end(),
                     [&](const MemtestDevice& d) { return d.device == device.label(); });
    if (it == memtest.devices.end()) {
      out.push_back({name_on(m, device), std::nullopt,
                     fmt::format("not measured: the memory test did not test {}", device.label())});
    } else if (!it->completed() && it->bad_words == 0) {
      out.push_back({name_on(m, device), std::nullopt,
                     fmt::format("not measured: the memory test of {} did not complete: {}",
                                 device.label(), it->incomplete_reason())});
    } else {
      out.push_back({name_on(m, device), static_cast<double>(it->bad_words), ""});
    }
  }
  return out;
}

}  // namespace

bool is_burn_metric(std::string_view name) {
  return name.starts_with("burn.") || name.starts_with("memtest.");
}

Metric parse_burn_metric(std::string_view name) {
  Metric m;
  m.name = std::string(name);
  m.quantity = Quantity::count;
  const bool burn = name.starts_with("burn.");
  m.results_kind = burn ? kBurnProfile : kMemtestProfile;
  const std::string_view rest = name.substr(burn ? 5 : 8);
  const auto dot = rest.find('.');
  if (dot == std::string_view::npos) {
    if (!(burn ? one_of(rest, kBurnTotals) : one_of(rest, kMemtestTotals))) unknown(name);
    return m;
  }
  const std::string_view device = rest.substr(0, dot), quantity = rest.substr(dot + 1);
  if (!(burn ? one_of(quantity, kBurnPerDevice) : quantity == "bad_words")) unknown(name);
  try {
    m.device = DeviceRef::parse(device);
  } catch (const InputError&) {
    unknown(name);
  }
  if (m.device.machine_aggregate() || (!burn && !m.device.on_gpu())) unknown(name);
  return m;
}

std::vector<FactValue> burn_metric_values(const ResultsDocument& doc, const Metric& m,
                                          const RowGpus& row_gpus) {
  const bool burn = m.name.starts_with("burn.");
  const auto last = m.name.rfind('.');
  const std::string_view quantity = std::string_view(m.name).substr(last + 1);
  // What kept the stress test from passing, as its own verdict and a fleet's merge count them.
  const auto problems = [&](const std::vector<std::string>& found) {
    return std::vector<FactValue>{
        {m.name, static_cast<double>(found.size()), fmt::format("{}", fmt::join(found, "; "))}};
  };
  if (burn) {
    if (!doc.burn) {
      return {{m.name, std::nullopt,
               "not measured: these results have no burn-in (flopbench burn writes one)"}};
    }
    if (quantity == "problems") return problems(burn_problems(*doc.burn, doc.run));
    return burn_values(*doc.burn, m, quantity, row_gpus);
  }
  if (!doc.memtest) {
    return {{m.name, std::nullopt,
             "not measured: these results have no memory test (flopbench memtest writes one)"}};
  }
  if (quantity == "problems") return problems(memtest_problems(*doc.memtest, doc.run));
  return memtest_values(*doc.memtest, m, quantity, row_gpus);
}

}  // namespace flopbench
