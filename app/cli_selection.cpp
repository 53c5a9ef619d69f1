#include "app/cli_selection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <sstream>
#include <string>

namespace flopbench {

std::vector<WorkloadChoice> parse_workloads(std::string_view comma_separated) {
  std::vector<WorkloadChoice> out;
  std::stringstream ss{std::string(comma_separated)};
  std::string name;
  while (std::getline(ss, name, ',')) out.push_back(parse_workload_choice(name));
  if (out.empty()) throw InputError("--workloads is empty");
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
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = text.substr(start, comma - start);
    start = comma + 1;
    int index = -1;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), index);
    if (item.empty() || error != std::errc() || end != item.data() + item.size() || index < 0) {
      throw InputError(fmt::format(
          "--gpus {}: '{}' is not a GPU index (expected all, local-rank, or indices such as 0,2)",
          text, item));
    }
    if (std::find(gpus.begin(), gpus.end(), index) == gpus.end()) gpus.push_back(index);
  }
  if (gpus.empty()) throw InputError("--gpus is empty (expected all, or indices such as 0,2)");
  return gpus;
}

}  // namespace flopbench
