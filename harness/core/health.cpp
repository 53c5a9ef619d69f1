#include "harness/core/health.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace flopbench {
namespace {

template <class Table>
const HealthFactInfo* find_fact(const Table& table, std::string_view name) {
  const auto it = std::find_if(table.begin(), table.end(),
                               [&](const HealthFactInfo& f) { return f.name == name; });
  return it == table.end() ? nullptr : &*it;
}

// The fact named `name` of `facts`; unknown when it was not recorded.
HealthFact fact_of(const HealthFacts& facts, std::string_view name) {
  const auto it = facts.find(std::string(name));
  return it == facts.end() ? HealthFact::unknown_because("not recorded") : it->second;
}

}  // namespace

const HealthFactInfo* gpu_health_fact(std::string_view name) {
  return find_fact(kGpuHealthFacts, name);
}

const HealthFactInfo* host_health_fact(std::string_view name) {
  return find_fact(kHostHealthFacts, name);
}

std::string_view health_group_title(HealthGroup g) {
  switch (g) {
    case HealthGroup::host:
      return "Host";
    case HealthGroup::identity:
      return "Identity and driver";
    case HealthGroup::memory_errors:
      return "Memory errors";
    case HealthGroup::pcie:
      return "PCIe";
    case HealthGroup::nvlink:
      return "NVLink";
    case HealthGroup::power_clocks:
      return "Power and clocks";
    case HealthGroup::processes:
      return "Other processes";
    case HealthGroup::xid:
      return "XID errors";
  }
  return "Other";
}

std::vector<FactRise> memory_error_rises(const HealthFacts& before, const HealthFacts& after) {
  std::vector<FactRise> rises;
  for (const std::string_view name : kMemoryErrorFacts) {
    const HealthFact b = fact_of(before, name), a = fact_of(after, name);
    if (b.known() && a.known() && b.number && a.number && *a.number > *b.number) {
      rises.push_back({std::string(name), *b.number, *a.number});
    }
  }
  return rises;
}

std::vector<std::string> error_rises(const HealthFacts& before, const HealthFacts& after) {
  std::vector<std::string> rises;
  for (const FactRise& r : memory_error_rises(before, after)) {
    rises.push_back(fmt::format("{} rose from {} to {}", r.fact,
                                fact_text(HealthFact::of(r.before)),
                                fact_text(HealthFact::of(r.after))));
  }
  const HealthFact b = fact_of(before, "xid.count"), a = fact_of(after, "xid.count");
  if (b.known() && a.known() && b.number && a.number && *a.number > *b.number) {
    const HealthFact last = fact_of(after, "xid.last");
    rises.push_back(fmt::format("xid.count rose from {} to {}{}", fact_text(b), fact_text(a),
                                last.known() ? " (last: " + fact_text(last) + ")" : ""));
  }
  return rises;
}

std::string ecc_counts_not_compared(const HealthFacts& before, const HealthFacts& after) {
  // ECC mode changes only with a reset, which a test does not live through: the facts before
  // say it, unless they could not be read.
  const HealthFact mode_before = fact_of(before, "ecc.enabled");
  const HealthFact mode = mode_before.known() ? mode_before : fact_of(after, "ecc.enabled");
  if (mode.known() && mode.number && *mode.number == 0) return "";
  for (const auto& [facts, when] : {std::pair{&before, "before"}, std::pair{&after, "after"}}) {
    for (const std::string_view name : {"ecc.corrected_volatile", "ecc.uncorrected_volatile"}) {
      const HealthFact f = fact_of(*facts, name);
      if (!f.known() || !f.number) {
        return fmt::format("ECC counts could not be compared: {} {} the test: {}", name, when,
                           f.known() ? "not a number" : f.unknown);
      }
    }
  }
  return "";
}

HealthFacts cuda_gpu_facts(const MachineHealth& health, int cuda_index) {
  for (const GpuHealth& g : health.gpus) {
    if (g.cuda_visible && g.index == cuda_index) return g.facts;
  }
  const std::string why =
      !health.gpu_unknown.empty()
          ? health.gpu_unknown
          : fmt::format("neither NVML nor nvidia-smi lists CUDA's gpu{}", cuda_index);
  HealthFacts facts;
  for (const HealthFactInfo& f : kGpuHealthFacts) {
    facts.emplace(std::string(f.name), HealthFact::unknown_because(why));
  }
  return facts;
}

std::string fact_text(const HealthFact& f) {
  if (!f.known()) return "unknown: " + f.unknown;
  if (f.number) {
    return *f.number == std::floor(*f.number) ? fmt::format("{:.0f}", *f.number)
                                              : fmt::format("{:.2f}", *f.number);
  }
  return f.text;
}

int nvidia_gpus_listed(const MachineHealth& health) {
  int listed = static_cast<int>(health.gpus.size());
  const auto on_bus = health.host.find("pci.nvidia_gpus");
  if (on_bus != health.host.end() && on_bus->second.number)
    listed = std::max(listed, static_cast<int>(*on_bus->second.number));
  return listed;
}

int gpus_cuda_misses(const MachineHealth& health, int cuda_seen, const GpuVisibility& given) {
  if (const auto& cuda = given.cuda_visible_devices;
      cuda && (cuda->empty() || cuda->starts_with('-') || *cuda == "NoDevFiles")) {
    return 0;
  }
  const auto& container = given.nvidia_visible_devices;
  if (container && (*container == "void" || *container == "none")) return 0;
  if (cuda_seen == 0) return nvidia_gpus_listed(health);
  if (const auto& cuda = given.cuda_visible_devices) {
    // The devices it names (indices or UUIDs, as Slurm gives a job its GPUs), of which CUDA
    // enumerates those up to the first it cannot use; a MIG instance is one per process.
    if (cuda->find("MIG-") != std::string::npos) return 0;
    const int named = static_cast<int>(std::ranges::count(*cuda, ',')) + 1;
    return std::max(0, named - cuda_seen);
  }
  // The driver's list: a container's PCI bus shows the host's GPUs, whether it was given them
  // or not (CDI, LXD); NVML lists those it may open, a lost one among them.
  return static_cast<int>(
      std::ranges::count_if(health.gpus, [](const GpuHealth& g) { return !g.cuda_visible; }));
}

}  // namespace flopbench
