// The inventory section of format.hpp: the one wording of the machine facts, so that
// `flopbench info` and every report describe the same machine in the same words.

#include <fmt/format.h>

#include <set>

#include "reports/format.hpp"

namespace flopbench {
namespace {

std::string gpu_description(const GpuDevice& d) {
  return fmt::format(
      "{}, compute capability {}.{}, {} SMs at {:.0f} MHz, {} memory ({}-bit bus, {:.0f} MHz), "
      "L2 {}, ECC {}, PCI {}{}; peak FP32 {}, peak FP64 {}",
      or_unknown(d.name), d.cc_major, d.cc_minor, d.sm_count, d.sm_clock_mhz, bytes(d.memory_bytes),
      d.memory_bus_width_bits, d.memory_clock_mhz, bytes(d.l2_bytes), d.ecc_enabled ? "on" : "off",
      or_unknown(d.pci_bus_id), d.local_cpus.empty() ? "" : " near CPUs " + d.local_cpus,
      peak_text(d.peak_fp32), peak_text(d.peak_fp64));
}

}  // namespace

std::string host_text(const Environment& env) {
  return fmt::format("{} ({}, kernel {})", or_unknown(env.host), or_unknown(env.os),
                     or_unknown(env.kernel));
}

std::string replicate_text(const RunInfo& run) {
  if (!run.replicate) return "";
  return fmt::format(
      "run {} of {} of one run --repeat {} (each a results directory of its own: "
      "compare them as replicates)",
      run.replicate->index, run.replicate->of, run.replicate->of);
}

std::string launch_text(const Launch& launch) {
  if (launch.launcher.empty()) return "started directly";
  std::vector<std::string> details = {launch.launcher};
  if (!launch.job.empty()) details.push_back("job " + launch.job);
  if (launch.step) details.push_back(fmt::format("step {}", *launch.step));
  if (launch.node) details.push_back(fmt::format("node {}", *launch.node));
  if (launch.local_rank) details.push_back(fmt::format("local rank {}", *launch.local_rank));
  return fmt::format("rank {}{} ({})", launch.rank ? std::to_string(*launch.rank) : "?",
                     launch.tasks ? fmt::format(" of {}", *launch.tasks) : "",
                     fmt::join(details, ", "));
}

std::string build_text(const Environment& env) {
  return fmt::format("flopbench {} (commit {}), {}, {}, flags {}",
                     or_unknown(env.flopbench_version), or_unknown(env.git_commit),
                     or_unknown(env.compiler), or_unknown(env.build_type), env.compiler_flags);
}

std::string usable_of_online(const CpuInventory& cpu) {
  return cpu.online_cpus > cpu.logical_cpus
             ? fmt::format("this process may use {} of the {} online", cpu.logical_cpus,
                           counted(cpu.online_cpus, "CPU"))
             : "";
}

Facts cpu_facts(const CpuInventory& cpu) {
  const std::string usable = usable_of_online(cpu);
  std::vector<std::string> caches;
  for (const auto& c : cpu.caches) {
    caches.push_back(
        fmt::format("L{} {} {} ×{}", c.level, c.type, bytes(c.size_bytes), c.instances));
  }
  return {
      {"Model", fmt::format("{} ({}, {}; family {}, model {}, stepping {})", or_unknown(cpu.model),
                            or_unknown(cpu.vendor), or_unknown(cpu.microarchitecture), cpu.family,
                            cpu.model_number, cpu.stepping)},
      {"Cores",
       fmt::format("{} physical, {} logical{}, in {}{}", cpu.cores, cpu.logical_cpus,
                   usable.empty() ? "" : " (" + usable + ")", counted(cpu.sockets, "socket"),
                   cpu.quota ? fmt::format("; cgroup CPU quota {} ({})", cpu.quota->cpus_text(),
                                           cpu.quota->file)
                             : "")},
      {"SIMD", list_or(cpu.simd, "none")},
      {"Caches", list_or(caches, "unknown") +
                     (cpu.no_l3_reported() ? "; no L3 reported (a hypervisor may hide it)" : "")},
      {"Memory",
       bytes(cpu.memory_bytes) +
           (cpu.memory_limit ? fmt::format("; cgroup memory limit {} ({})",
                                           bytes(cpu.memory_limit->bytes), cpu.memory_limit->file)
                             : "")},
      {"Clock",
       fmt::format("{} (source: {}){}",
                   cpu.clock_ghz ? fmt::format("{:.2f} GHz", *cpu.clock_ghz) : "unknown",
                   or_unknown(cpu.clock_source),
                   cpu.scalar_clock_ghz ? fmt::format("; {:.2f} GHz under scalar integer adds",
                                                      *cpu.scalar_clock_ghz)
                                        : "")},
      {"Peak FP32", peak_text(cpu.peak_fp32)},
      {"Peak FP64", peak_text(cpu.peak_fp64)},
  };
}

std::string cuda_versions(const GpuInventory& gpu) {
  if (!gpu.cuda_built) return "";
  return fmt::format("CUDA runtime {}, driver {}", or_unknown(gpu.runtime_version),
                     gpu.driver_version.empty() ? "none" : gpu.driver_version);
}

Facts gpu_facts(const GpuInventory& gpu) {
  Facts facts;
  for (const auto& d : gpu.devices)
    facts.emplace_back(fmt::format("gpu{}", d.index), gpu_description(d));
  return facts;
}

std::string no_gpu_reason(const GpuInventory& gpu) {
  if (!gpu.devices.empty()) return "";
  return !gpu.no_device_reason.empty() ? gpu.no_device_reason
         : gpu.cuda_built              ? "none found"
                                       : "this build has no CUDA support";
}

Facts health_host_facts(const MachineHealth& h) {
  Facts facts;
  for (const auto& info : kHostHealthFacts) {
    const auto it = h.host.find(std::string(info.name));
    facts.emplace_back(std::string(info.name),
                       it != h.host.end() ? fact_text(it->second) : "unknown: not recorded");
  }
  facts.emplace_back("gpu facts",
                     h.gpu_source.empty() ? "unknown: " + h.gpu_unknown : "from " + h.gpu_source);
  facts.emplace_back("kernel log", or_unknown(h.kernel_log));
  return facts;
}

std::string health_gpu_text(const GpuHealth& g) {
  return fmt::format(
      "{}, PCI {}{}{}", or_unknown(g.name), or_unknown(g.pci_bus_id),
      g.pci_device_id.empty() ? "" : fmt::format(" ({})", g.pci_device_id),
      g.cuda_visible ? "" : fmt::format("; NVML index {}, CUDA does not see it", g.nvml_index));
}

std::string health_gpu_label(const MachineHealth& h, const GpuHealth& g) {
  const bool cuda_sees_some =
      std::any_of(h.gpus.begin(), h.gpus.end(), [](const GpuHealth& o) { return o.cuda_visible; });
  return !g.cuda_visible && cuda_sees_some ? fmt::format("nvml{}", g.nvml_index)
                                           : fmt::format("gpu{}", g.index);
}

std::vector<HealthFactRow> gpu_health_rows(const std::vector<const GpuHealth*>& gpus) {
  std::vector<HealthFactRow> rows;
  for (const auto& info : kGpuHealthFacts) {
    rows.push_back({std::string(info.name), health_group_title(info.group)});
  }
  std::set<std::string> newer;
  for (const auto* g : gpus) {
    for (const auto& [name, fact] : g->facts) {
      if (gpu_health_fact(name) == nullptr) newer.insert(name);
    }
  }
  for (const auto& name : newer) rows.push_back({name, "Other facts"});
  return rows;
}

std::string gpu_fact_text(const GpuHealth& g, const std::string& name) {
  const auto it = g.facts.find(name);
  if (it == g.facts.end()) return "unknown: not recorded";
  const std::string text = fact_text(it->second);
  return text.empty() ? "(empty)" : text;
}

std::vector<std::string> library_items(const Environment& env) {
  std::vector<std::string> items;
  for (const auto& [name, version] : env.libraries) items.push_back(name + " " + version);
  // The NVIDIA driver's release, as the health facts read it: "CUDA driver 12.4" is only the
  // CUDA version that driver supports.
  if (env.health) {
    for (const GpuHealth& g : env.health->gpus) {
      const auto driver = g.facts.find("driver");
      if (driver != g.facts.end() && driver->second.known() && !driver->second.text.empty()) {
        items.push_back("NVIDIA driver " + driver->second.text);
        break;
      }
    }
  }
  return items;
}

std::vector<std::string> openmp_items(const Environment& env) {
  std::vector<std::string> items;
  for (const auto& [name, value] : env.openmp_env) {
    items.push_back(fmt::format("{}={}", name, value.empty() ? "(unset)" : value));
  }
  return items;
}

}  // namespace flopbench
