#include "app/cli_selection.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <string>

namespace flopbench {

std::vector<std::string> split_names(std::string_view comma_separated, std::string_view option) {
  std::vector<std::string> names;
  for (const std::string_view item : split_commas(comma_separated)) {
    if (item.empty()) {
      throw InputError(fmt::format("{} {}: an empty name in the list", option, comma_separated));
    }
    names.emplace_back(item);
  }
  return names;
}

GpuVisibility gpu_visibility_here() {
  const auto variable = [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    return value ? std::optional<std::string>(value) : std::nullopt;
  };
  return {variable("CUDA_VISIBLE_DEVICES"), variable("NVIDIA_VISIBLE_DEVICES")};
}

std::string gpus_left_out(const Environment& env, const std::optional<std::vector<int>>& chosen,
                          std::string_view command, std::string_view verb, std::string_view done) {
  const auto& seen = env.gpu.devices;
  if (chosen || seen.empty() || !env.health) return "";
  const int missed =
      gpus_cuda_misses(*env.health, static_cast<int>(seen.size()), gpu_visibility_here());
  if (missed == 0) return "";
  std::vector<int> indices;
  for (const GpuDevice& d : seen) indices.push_back(d.index);
  return fmt::format(
      "{}: CUDA sees {} of the {} given to this process (those the driver lists, or "
      "CUDA_VISIBLE_DEVICES names): {} cannot be {} (lost, or in MIG mode), which fails the {}; "
      "--gpus {} (CUDA's numbering) {}s those CUDA sees",
      command, seen.size(), counted(missed + static_cast<int>(seen.size()), "NVIDIA GPU"), missed,
      done, command, fmt::join(indices, ","), verb);
}

std::vector<WorkloadChoice> parse_workloads(std::string_view comma_separated) {
  std::vector<WorkloadChoice> out;
  for (const std::string& name : split_names(comma_separated, "--workloads")) {
    out.push_back(parse_workload_choice(name));
  }
  return out;
}

std::optional<std::vector<int>> parse_gpus(std::string_view text, const Launch& launch) {
  if (text == "all") return std::nullopt;
  if (text == "local-rank") {
    if (!launch.local_rank) {
      throw InputError(
          "--gpus local-rank: this process was not started by a launcher that sets a local rank "
          "(SLURM_LOCALID, OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID); give GPU indices");
    }
    return std::vector<int>{*launch.local_rank};
  }
  std::vector<int> gpus;
  for (const std::string_view item : split_commas(text)) {
    const auto index = whole_text_as<int>(item);
    if (!index || *index < 0) {
      throw InputError(fmt::format(
          "--gpus {}: '{}' is not a GPU index (expected all, local-rank, or indices such as 0,2)",
          text, item));
    }
    if (std::find(gpus.begin(), gpus.end(), *index) == gpus.end()) gpus.push_back(*index);
  }
  if (gpus.empty()) throw InputError("--gpus is empty (expected all, or indices such as 0,2)");
  return gpus;
}

std::vector<Precision> parse_precisions(const std::string& text) {
  const std::vector<std::string> names = split_names(text, "--precision");
  if (names.size() == 1 && names.front() == "all") return {};
  std::vector<Precision> out;
  for (const std::string& name : names) {
    // Anything beside it would go unread (an unknown name included).
    if (name == "all") {
      throw InputError(fmt::format("--precision {}: 'all' stands alone, not in a list", text));
    }
    // A precision named twice is measured (or burned) once.
    if (const Precision p = parse_precision(name);
        std::find(out.begin(), out.end(), p) == out.end())
      out.push_back(p);
  }
  return out;
}

std::string workload_names_help() {
  std::vector<std::string_view> names, aliases;
  for (const WorkloadInfo& w : catalog()) {
    names.push_back(w.name);
    for (const PrecisionAlias& a : w.aliases) aliases.push_back(a.alias);
  }
  return fmt::format("{} ({}: a workload at one precision)", fmt::join(names, ", "),
                     fmt::join(aliases, ", "));
}

std::string precision_names_help() {
  std::vector<std::string_view> names;
  for (const Precision p : kPrecisions) names.push_back(to_string(p));
  return fmt::format("{}", fmt::join(names, ", "));
}

double parse_duration(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string_view unit(end, text.data() + text.size());
  const double scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
  // Under a second a burn is one iteration at most (each lasts half a second or more), and its
  // reports would read "0 s".
  if (error != std::errc() || scale == 0 || !(value * scale >= 1) || value * scale > 7 * 86400) {
    throw InputError(fmt::format(
        "--duration {}: expected a number of seconds, with s, m or h, from 1 s to 7 days", text));
  }
  return value * scale;
}

}  // namespace flopbench
