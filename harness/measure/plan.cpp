#include "harness/measure/plan.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "harness/core/catalog.hpp"
#include "harness/machine/probe.hpp"

namespace flopbench {
namespace {

// The GPUs to run on: all of them, or the selected ones, which must exist.
std::vector<int> selected_gpus(const Selection& sel, const GpuInventory& inventory) {
  std::vector<int> available;
  for (const auto& d : inventory.devices) available.push_back(d.index);
  if (!sel.gpus) return available;
  if (available.empty()) {
    throw InputError(fmt::format("--gpus {}: no CUDA device: {}", fmt::join(*sel.gpus, ","),
                                 inventory.no_device_reason));
  }
  for (const int index : *sel.gpus) {
    if (std::find(available.begin(), available.end(), index) == available.end()) {
      throw InputError(fmt::format("--gpus: there is no GPU {} (this machine has: {})", index,
                                   fmt::join(available, ", ")));
    }
  }
  return *sel.gpus;
}

}  // namespace

std::vector<MeasurementRequest> plan_measurements(const Selection& sel, const Environment& env) {
  const auto& names = registry().names();
  for (const auto& name : sel.implementations) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      throw InputError(fmt::format("unknown implementation '{}' (expected one of: {})", name,
                                   fmt::join(names, ", ")));
    }
  }
  auto selected = [](const auto& list, const auto& value) {
    return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
  };
  SizingFacts facts;
  for (const auto& c : env.cpu.caches) {
    if (c.type != "Instruction")
      facts.llc_bytes = std::max(facts.llc_bytes, c.size_bytes * std::max(1, c.instances));
  }
  const std::int64_t available = available_memory_bytes();
  const std::vector<int> gpus = selected_gpus(sel, env.gpu);

  std::vector<MeasurementRequest> plan;
  for (const WorkloadInfo& w : catalog()) {
    std::vector<std::optional<Precision>> restrictions;
    for (const auto& choice : sel.workloads) {
      if (choice.workload == w.id) restrictions.push_back(choice.only);
    }
    if (!sel.workloads.empty() && restrictions.empty()) continue;
    for (const Precision p : kPrecisions) {
      if (!selected(sel.precisions, p)) continue;
      const bool allowed_by_choice =
          restrictions.empty() || std::any_of(restrictions.begin(), restrictions.end(),
                                              [p](auto r) { return !r || *r == p; });
      if (!allowed_by_choice) continue;
      std::vector<Problem> problems;
      if (sel.sizes.empty()) {
        problems = w.default_problems(sel.profile, facts, p);
      } else {
        for (const auto& s : sel.sizes) problems.push_back(to_problem(s, w));
      }
      for (const Problem& problem : problems) {
        const double need = w.host_bytes(problem, p);
        const auto fits = [&](double bytes, const std::string& what) {
          if (available > 0 && bytes > 0.9 * static_cast<double>(available)) {
            throw InputError(fmt::format(
                "size {} is too big for {} {}{}: it needs {:.1f} GiB of memory and {:.1f} GiB "
                "is available; choose a smaller --sizes",
                problem.label(), w.name, to_string(p), what.empty() ? "" : " on " + what,
                bytes / (1 << 30), static_cast<double>(available) / (1 << 30)));
          }
          return true;
        };
        fits(need, "");
        for (const Implementation& impl : registry().all()) {
          if (impl.workload != w.id || !impl.supports(p) ||
              !selected(sel.implementations, impl.name())) {
            continue;
          }
          switch (impl.spec.device) {
            case DeviceKind::cpu:
              plan.push_back({&impl, p, problem, DeviceRef::cpu()});
              break;
            case DeviceKind::gpu:
              if (gpus.empty()) {
                plan.push_back({&impl, p, problem, DeviceRef::gpu({})});
                break;
              }
              for (const int gpu : gpus) plan.push_back({&impl, p, problem, DeviceRef::gpu({gpu})});
              // Each GPU of the aggregate has its own inputs.
              if (gpus.size() > 1 && w.machine_aggregate &&
                  fits(need * static_cast<double>(gpus.size()),
                       fmt::format("the {} GPUs at once (or choose fewer with --gpus)",
                                   gpus.size()))) {
                plan.push_back({&impl, p, problem, DeviceRef::gpu(gpus)});
              }
              break;
          }
        }
      }
    }
  }
  if (plan.empty()) {
    throw InputError(
        "nothing to run: no registered implementation matches the selected workloads, "
        "implementations and precisions (see 'flopbench list')");
  }
  return plan;
}

}  // namespace flopbench
