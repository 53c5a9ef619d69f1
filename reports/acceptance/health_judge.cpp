#include "reports/acceptance/health_judge.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "reports/format.hpp"

namespace flopbench {
namespace {

const std::string kNotRecorded =
    "unknown: not recorded (these results are from a flopbench that did not read health facts)";

FactReading reading(std::string metric, const std::string& fact, const HealthFacts* facts) {
  if (facts == nullptr) return {std::move(metric), std::nullopt, kNotRecorded};
  const auto it = facts->find(fact);
  if (it == facts->end()) return {std::move(metric), std::nullopt, "unknown: not recorded"};
  if (!it->second.known() || !it->second.number) {
    return {std::move(metric), std::nullopt, fact_text(it->second)};
  }
  return {std::move(metric), it->second.number, ""};
}

// A GPU the health facts list, as a row's applies_to matches it: by name or PCI device id.
GpuDevice device_of(const GpuHealth& g) {
  GpuDevice d;
  d.index = g.index;
  d.name = g.name;
  d.pci_bus_id = g.pci_bus_id;
  d.pci_device_id = g.pci_device_id;
  return d;
}

// A GPU a row is for, with its facts (nullptr: none recorded) or why it has none; `label` names
// it in metrics (health_gpu_label).
struct Target {
  std::string label;
  int index;  // CUDA's where it sees the GPU, else NVML's
  bool cuda_sees;
  const HealthFacts* facts;
  std::string unknown;
};

// The GPUs of this run that the row applies to: those CUDA sees that the run was confined to
// (--gpus; a sibling task's GPU, with that task's process on it, is the sibling's to judge), or,
// where CUDA sees none, every GPU NVML lists; a GPU CUDA sees that the health facts do not list,
// with why; and, in every task, a GPU the driver lists as lost.
std::vector<Target> targets_of(const Criterion& c, const ResultsDocument& doc) {
  std::vector<Target> targets;
  const auto& health = doc.environment.health;
  const auto& cuda = doc.environment.gpu.devices;
  if (health) {
    // A GPU the driver lists as lost (its handle failed: GPU_IS_LOST) has no name to match a
    // row with, and CUDA does not see it; on a machine the row applies to, it is judged, and
    // its unknown facts fail the row, rather than a dead GPU passing unseen. (A GPU this process
    // may not open, in a job confined to other GPUs, is not lost.)
    const auto applies_here = [&] {
      return c.applies_to == "any" ||
             std::any_of(cuda.begin(), cuda.end(),
                         [&](const GpuDevice& d) { return applies_to_gpu(c.applies_to, d); }) ||
             std::any_of(health->gpus.begin(), health->gpus.end(), [&](const GpuHealth& g) {
               return applies_to_gpu(c.applies_to, device_of(g));
             });
    };
    for (const auto& g : health->gpus) {
      if (((g.cuda_visible ? doc.run.selected_gpu(g.index) : cuda.empty()) &&
           applies_to_gpu(c.applies_to, device_of(g))) ||
          (g.lost && !g.cuda_visible && applies_here())) {
        targets.push_back({health_gpu_label(*health, g), g.index, g.cuda_visible, &g.facts, ""});
      }
    }
  }
  for (const auto& d : cuda) {
    const bool listed =
        health && std::any_of(health->gpus.begin(), health->gpus.end(), [&](const GpuHealth& g) {
          return g.cuda_visible && g.index == d.index;
        });
    if (listed || !doc.run.selected_gpu(d.index) || !applies_to_gpu(c.applies_to, d)) continue;
    targets.push_back({fmt::format("gpu{}", d.index), d.index, true, nullptr,
                       !health ? kNotRecorded
                       : health->gpu_unknown.empty()
                           ? fmt::format("unknown: {} does not list this GPU", health->gpu_source)
                           : "unknown: " + health->gpu_unknown});
  }
  // CUDA's GPUs by index, then those it does not see.
  std::sort(targets.begin(), targets.end(), [](const Target& a, const Target& b) {
    return std::pair(!a.cuda_sees, a.index) < std::pair(!b.cuda_sees, b.index);
  });
  return targets;
}

}  // namespace

std::vector<GpuDevice> gpus_only_health_names(const Environment& env) {
  std::vector<GpuDevice> named;
  if (!env.gpu.devices.empty() || !env.health) return named;
  for (const auto& g : env.health->gpus) named.push_back(device_of(g));
  return named;
}

std::string health_gpu_source(const MachineHealth& h) {
  return h.gpu_source == "nvml" ? "NVML" : h.gpu_source;
}

std::optional<std::vector<FactReading>> read_health_metric(const Criterion& c,
                                                           const ResultsDocument& doc) {
  const Metric& m = c.metric;
  const auto& health = doc.environment.health;
  const std::vector<Target> targets = targets_of(c, doc);
  if (c.applies_to != "any" && targets.empty()) return std::nullopt;
  if (!m.device.on_gpu()) {  // a host fact: once, where the row applies
    return std::vector{reading(m.name, m.health_fact, health ? &health->host : nullptr)};
  }
  if (targets.empty()) {
    return std::vector{FactReading{m.name, std::nullopt,
                                   !health ? kNotRecorded
                                   : !health->gpu_unknown.empty()
                                       ? "unknown: no GPU: " + health->gpu_unknown
                                       : "unknown: no GPU"}};
  }
  std::vector<FactReading> readings;
  for (const auto& t : targets) {
    std::string name = fmt::format("{}.{}", t.label, m.health_fact);
    readings.push_back(t.facts == nullptr ? FactReading{std::move(name), std::nullopt, t.unknown}
                                          : reading(std::move(name), m.health_fact, t.facts));
  }
  return readings;
}

}  // namespace flopbench
