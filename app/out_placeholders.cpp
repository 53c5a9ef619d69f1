#include "app/out_placeholders.hpp"

#include <fmt/format.h>

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
    if (name == "host") {
      expanded += host;
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
      expanded += launch.job;
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
