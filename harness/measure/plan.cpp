#include "harness/measure/plan.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>
#include <string_view>

#include "harness/core/catalog.hpp"
#include "harness/machine/probe.hpp"

namespace flopbench {

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

namespace {

// A --workloads entry as it was written: "sgemm" for gemm at FP32 alone, "gemm" for every
// precision.
std::string choice_name(const WorkloadChoice& choice) {
  const WorkloadInfo& w = info(choice.workload);
  if (choice.only) {
    for (const PrecisionAlias& a : w.aliases) {
      if (a.precision == *choice.only) return std::string(a.alias);
    }
  }
  return std::string(w.name);
}

// Why a --workloads entry matched no implementation: the precision its alias stands for left out
// by --precision, or nothing registered at the precisions and implementations selected.
std::string why_nothing_matches(const WorkloadChoice& choice, const Selection& sel) {
  const std::string name = choice_name(choice);
  std::vector<std::string_view> precisions;
  for (const Precision p : sel.precisions) precisions.push_back(to_string(p));
  if (choice.only && !sel.precisions.empty() &&
      std::ranges::find(sel.precisions, *choice.only) == sel.precisions.end()) {
    return fmt::format("--workloads {} is {} at {}, which --precision {} leaves out", name,
                       info(choice.workload).name, precision_label(*choice.only),
                       fmt::join(precisions, ","));
  }
  std::vector<std::string> given;
  if (!sel.implementations.empty()) {
    given.push_back(fmt::format("--implementations {}", fmt::join(sel.implementations, ",")));
  }
  if (!sel.precisions.empty())
    given.push_back(fmt::format("--precision {}", fmt::join(precisions, ",")));
  return fmt::format(
      "--workloads {}: no registered implementation of it matches {} (see 'flopbench list'); "
      "leave it out of --workloads, or choose others",
      name,
      given.empty() ? std::string("this build") : fmt::format("{}", fmt::join(given, " and ")));
}

}  // namespace

std::vector<MeasurementRequest> plan_measurements(const Selection& sel, const Environment& env,
                                                  const RequestFilter& keep) {
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
  const AvailableMemory available = available_memory();
  const std::vector<int> gpus = selected_gpus(sel, env.gpu);
  const SizingFacts cpu_facts = sizing_facts_of(env.cpu);
  const SizingFacts gpu_facts = sizing_facts_of(env.gpu, gpus);

  std::vector<MeasurementRequest> plan;
  bool matched = false;                   // some request matched the selection, kept or not
  std::vector<std::string_view> unsized;  // named workloads the profile has no sizes for
  std::set<std::string_view> sized;       // workloads it has sizes for on some device
  // Per --workloads entry, whether some implementation matched it, kept or not.
  std::vector<bool> choice_matched(sel.workloads.size(), false);
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
      // A precision asked for by name (--precision, gemm_bf16) is reported for every selected
      // implementation of a workload that has it anywhere, as unsupported where one lacks it.
      const bool named =
          !sel.precisions.empty() || std::any_of(restrictions.begin(), restrictions.end(),
                                                 [p](auto r) { return r && *r == p; });
      const bool workload_has_it = std::any_of(
          registry().all().begin(), registry().all().end(),
          [&](const Implementation& impl) { return impl.workload == w.id && impl.supports(p); });
      // CPU work first, then GPU work, each at its own device's default sizes.
      for (const DeviceKind kind : {DeviceKind::cpu, DeviceKind::gpu}) {
        std::vector<const Implementation*> impls;
        for (const Implementation& impl : registry().all()) {
          if (impl.workload == w.id && impl.spec.device == kind &&
              (impl.supports(p) || (named && workload_has_it)) &&
              selected(sel.implementations, impl.name())) {
            impls.push_back(&impl);
          }
        }
        if (impls.empty()) continue;
        // GPU work with no GPU to run on is recorded, never allocated: no memory check.
        const bool runs = kind == DeviceKind::cpu || !gpus.empty();
        DefaultSizes sizes;
        if (sel.sizes.empty()) {
          sizes = w.default_sizes(sel.profile, kind == DeviceKind::cpu ? cpu_facts : gpu_facts, p);
        } else {
          // "1K,1024" is one problem: measured twice, it would be two records of one key.
          for (const auto& s : sel.sizes) {
            const Problem problem = to_problem(s, w);
            if (std::find(sizes.problems.begin(), sizes.problems.end(), problem) ==
                sizes.problems.end()) {
              sizes.problems.push_back(problem);
            }
          }
        }
        if (!sizes.problems.empty()) sized.insert(w.name);
        if (sizes.problems.empty() && !sel.workloads.empty() &&
            std::find(unsized.begin(), unsized.end(), w.name) == unsized.end()) {
          unsized.push_back(w.name);
        }
        for (const Problem& problem : sizes.problems) {
          // Where each implementation runs this problem.
          std::vector<DeviceRef> devices;
          if (kind == DeviceKind::cpu) {
            devices = {DeviceRef::cpu()};
          } else if (gpus.empty()) {
            devices = {DeviceRef::gpu({})};
          } else {
            for (const int gpu : gpus) devices.push_back(DeviceRef::gpu({gpu}));
            // A sweep compares one GPU with the CPU: the aggregate is the machine's peak.
            if (gpus.size() > 1 && w.machine_aggregate && sel.profile != Profile::sweep)
              devices.push_back(DeviceRef::gpu(gpus));
          }
          // A sweep times GPU work three ways: the kernel alone, and end to end from pinned and
          // from pageable host memory, where the transfers and the launch are in the time.
          std::vector<std::optional<HostMemory>> timings = {std::nullopt};
          if (kind == DeviceKind::gpu && sel.profile == Profile::sweep)
            timings = {std::nullopt, HostMemory::pinned, HostMemory::pageable};
          std::vector<MeasurementRequest> requests;
          for (const Implementation* impl : impls) {
            for (const DeviceRef& device : devices) {
              // A size the user gave says where it measures partly this device's cache (the
              // profiles' say why they were chosen).
              const std::string basis =
                  sizes.basis.empty() && w.cache_sensitive
                      ? within_cache_note(problem, p, sizing_facts_of(env, device))
                      : sizes.basis;
              for (const auto& timing : timings)
                requests.push_back({impl, p, problem, device, basis, timing});
            }
          }
          matched = true;
          for (std::size_t c = 0; c < sel.workloads.size(); ++c) {
            const WorkloadChoice& choice = sel.workloads[c];
            if (choice.workload == w.id && (!choice.only || *choice.only == p))
              choice_matched[c] = true;
          }
          if (keep) std::erase_if(requests, [&](const auto& r) { return !keep(r); });
          if (requests.empty()) continue;

          // Only what is kept must fit.
          const auto check_fits = [&](double bytes, std::string_view what) {
            if (runs && !available.holds(bytes)) {
              throw InputError(fmt::format(
                  "size {} is too big for {} {}{}: it needs {:.1f} GiB of memory and {}; choose "
                  "a smaller --sizes",
                  problem.label(), w.name, to_string(p), what, bytes / (1 << 30),
                  available.text()));
            }
          };
          const double need = w.host_bytes(problem, p);
          check_fits(need, "");
          // Each GPU of the aggregate has its own inputs.
          if (std::ranges::any_of(requests, [](const auto& r) { return r.device.gpus.size() > 1; }))
            check_fits(
                need * static_cast<double>(gpus.size()),
                fmt::format(" on the {} GPUs at once (or choose fewer with --gpus)", gpus.size()));
          plan.insert(plan.end(), requests.begin(), requests.end());
        }
      }
    }
  }
  std::erase_if(unsized, [&](std::string_view name) { return sized.contains(name); });
  if (!matched && !unsized.empty()) {
    throw InputError(fmt::format("nothing to run: profile {} has no sizes for {}; give --sizes",
                                 to_string(sel.profile), fmt::join(unsized, ", ")));
  }
  // A workload named in --workloads is measured or refused, never left out unsaid.
  if (!unsized.empty()) {
    throw InputError(fmt::format(
        "profile {} has no sizes for {}; give --sizes, or leave {} out of --workloads",
        to_string(sel.profile), fmt::join(unsized, ", "), unsized.size() == 1 ? "it" : "them"));
  }
  for (std::size_t c = 0; c < sel.workloads.size(); ++c) {
    if (!choice_matched[c]) throw InputError(why_nothing_matches(sel.workloads[c], sel));
  }
  if (!matched) {
    throw InputError(
        "nothing to run: no registered implementation matches the selected workloads, "
        "implementations and precisions (see 'flopbench list')");
  }
  // Where every request is an implementation's own lack (sgemm on onednn), no machine could
  // measure anything: refused, rather than a run of unsupported rows that exits 0.
  if (!plan.empty() && std::ranges::none_of(plan, [](const MeasurementRequest& r) {
        return r.implementation->supports(r.precision);
      })) {
    std::set<std::string> reasons;
    for (const MeasurementRequest& r : plan)
      reasons.insert(r.implementation->unsupported_reason(r.precision));
    throw InputError(fmt::format(
        "nothing to measure: {}; choose other --implementations or --precision (see 'flopbench "
        "list')",
        fmt::join(reasons, "; ")));
  }
  return plan;
}

}  // namespace flopbench
