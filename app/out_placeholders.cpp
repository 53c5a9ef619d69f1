#include "app/out_placeholders.hpp"

#include <fmt/format.h>

#include "app/cli_commands.hpp"

namespace flopbench {

std::string expand_out_placeholders(std::string_view out, const std::string& host,
                                    const Launch& launch, const std::string& time) {
  const auto missing = [&](std::string_view name, std::string_view variables) {
    return InputError(fmt::format(
        "--out {}: {{{}}} is the launcher's {} ({}), and this process was not started by one "
        "that sets it; use {{host}} or {{time}} instead",
        out, name, name, variables));
  };
  std::string expanded;
  for (std::size_t i = 0; i < out.size();) {
    if (out[i] != '{') {
      expanded += out[i++];
      continue;
    }
    const std::size_t close = out.find('}', i);
    if (close == std::string_view::npos) {
      throw InputError(fmt::format("--out {}: '{{' without '}}'", out));
    }
    const std::string_view name = out.substr(i + 1, close - i - 1);
    // The host name and the job id come from the machine and the environment: each is one path
    // component (no '/' nor '..'), as in the default directory's name.
    if (name == "host") {
      expanded += path_component(host);
    } else if (name == "time") {
      expanded += time;
    } else if (name == "rank") {
      if (!launch.rank)
        throw missing(name, "SLURM_PROCID, OMPI_COMM_WORLD_RANK, PMIX_RANK, PMI_RANK");
      expanded += std::to_string(*launch.rank);
    } else if (name == "job") {
      if (launch.job.empty()) {
        throw missing(name, "SLURM_JOB_ID, OMPI_MCA_ess_base_jobid, PMIX_NAMESPACE");
      }
      expanded += path_component(launch.job);
    } else {
      throw InputError(fmt::format(
          "--out {}: unknown placeholder {{{}}} (expected {{host}}, {{rank}}, {{job}} or {{time}})",
          out, name));
    }
    i = close + 1;
  }
  return expanded;
}

}  // namespace flopbench
