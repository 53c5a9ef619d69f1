// `flopbench info`: the InfoPrinter, the inventory facts of format.hpp as aligned lines.

#include <fmt/format.h>

#include "reports/console.hpp"
#include "reports/format.hpp"

namespace flopbench {
namespace {

void heading(std::string& out, std::string_view title) {
  out += fmt::format("{}== {} ==\n", out.empty() ? "" : "\n", title);
}

void lines(std::string& out, const Facts& facts) {
  for (const auto& [label, value] : facts) out += fmt::format("{:<12}{}\n", label + ":", value);
}

// Every health fact (docs/results-schema.md, "health"), each GPU's under its name.
void health(std::string& out, const MachineHealth& h) {
  heading(out, "Health");
  Facts facts;
  for (const auto& info : kHostHealthFacts) {
    const auto it = h.host.find(std::string(info.name));
    facts.emplace_back(std::string(info.name),
                       it != h.host.end() ? fact_text(it->second) : "unknown: not recorded");
  }
  facts.emplace_back("gpu facts",
                     h.gpu_source.empty() ? "unknown: " + h.gpu_unknown : "from " + h.gpu_source);
  facts.emplace_back("kernel log", or_unknown(h.kernel_log));
  for (const auto& [label, value] : facts) out += fmt::format("{:<12}{}\n", label + ":", value);
  for (const auto& g : h.gpus) {
    out += fmt::format(
        "gpu{}:       {}, PCI {}{}{}\n", g.index, or_unknown(g.name), or_unknown(g.pci_bus_id),
        g.pci_device_id.empty() ? "" : fmt::format(" ({})", g.pci_device_id),
        g.cuda_visible ? "" : fmt::format("; NVML index {}, CUDA does not see it", g.nvml_index));
    // In the table's order; then any this version does not know (from a newer file).
    const auto fact_line = [&](const std::string& name, const HealthFact& fact) {
      out += fmt::format("  {:<32}{}\n", name + ":", fact_text(fact));
    };
    for (const auto& info : kGpuHealthFacts) {
      const auto it = g.facts.find(std::string(info.name));
      fact_line(std::string(info.name),
                it != g.facts.end() ? it->second : HealthFact::unknown_because("not recorded"));
    }
    for (const auto& [name, fact] : g.facts) {
      if (gpu_health_fact(name) == nullptr) fact_line(name, fact);
    }
  }
}

}  // namespace

std::string InfoPrinter::do_print(const ResultsDocument& doc) const {
  const Environment& env = doc.environment;
  std::string out;
  heading(out, "Host");
  lines(out, {{"Host", host_text(env)}});
  heading(out, "CPU");
  lines(out, cpu_facts(env.cpu));
  heading(out, "GPU");  // scripts/gpu-validate.sh copies this block
  if (const auto versions = cuda_versions(env.gpu); !versions.empty()) out += versions + "\n";
  if (env.gpu.devices.empty()) out += fmt::format("no CUDA device: {}\n", no_gpu_reason(env.gpu));
  lines(out, gpu_facts(env.gpu));
  if (env.health) health(out, *env.health);
  heading(out, "Build");
  lines(out, {{"Build", build_text(env)},
              {"Libraries", list_or(library_items(env), "none recorded")},
              {"OpenMP", list_or(openmp_items(env), "none recorded")}});
  return out;
}

}  // namespace flopbench
