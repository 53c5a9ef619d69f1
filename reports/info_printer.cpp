// `flopbench info`: the InfoPrinter, the inventory facts of format.hpp as aligned lines.

#include <fmt/format.h>

#include <algorithm>

#include "reports/console.hpp"
#include "reports/format.hpp"

namespace flopbench {
namespace {

void heading(std::string& out, std::string_view title) {
  out += fmt::format("{}== {} ==\n", out.empty() ? "" : "\n", title);
}

// Values in one column: 12 wide, or wider where a label needs it ("pci.nvidia_gpus:").
void lines(std::string& out, const Facts& facts) {
  std::size_t width = 12;
  for (const auto& fact : facts) width = std::max(width, fact.first.size() + 2);
  for (const auto& [label, value] : facts) {
    out += fmt::format("{:<{}}{}\n", label + ":", width, value);
  }
}

// Every health fact (docs/results-schema.md, "health"), each GPU's under its name.
void health(std::string& out, const MachineHealth& h) {
  heading(out, "Health");
  lines(out, health_host_facts(h));
  for (const auto& g : h.gpus) {
    out += fmt::format("{}:       {}\n", health_gpu_label(h, g), health_gpu_text(g));
    for (const auto& row : gpu_health_rows({&g})) {
      out += fmt::format("  {:<32}{}\n", row.name + ":", gpu_fact_text(g, row.name));
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
