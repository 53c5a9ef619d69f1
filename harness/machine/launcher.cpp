#include "harness/machine/launcher.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "harness/core/types.hpp"

namespace flopbench {
namespace {

// The variables one launcher sets; "" where it has none for that fact.
struct LauncherVariables {
  std::string_view launcher;
  std::string_view rank, local_rank, node, tasks, job;
};

constexpr std::array kLaunchers = {
    LauncherVariables{"openmpi", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "",
                      "OMPI_COMM_WORLD_SIZE", "OMPI_MCA_ess_base_jobid"},
    LauncherVariables{"slurm", "SLURM_PROCID", "SLURM_LOCALID", "SLURM_NODEID", "SLURM_NTASKS",
                      "SLURM_JOB_ID"},
    LauncherVariables{"pmix", "PMIX_RANK", "", "", "", "PMIX_NAMESPACE"},
    LauncherVariables{"mpich", "PMI_RANK", "MPI_LOCALRANKID", "", "PMI_SIZE", ""},
};

std::optional<std::string> value_of(const EnvLookup& env, std::string_view name) {
  if (name.empty()) return std::nullopt;
  const char* v = env(std::string(name).c_str());
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

// `text` as a whole number from 0 that fits an int; empty otherwise.
std::optional<int> whole_number(std::string_view text) {
  int n = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (error != std::errc() || end != text.data() + text.size() || n < 0) return std::nullopt;
  return n;
}

std::optional<int> number_of(const EnvLookup& env, std::string_view name) {
  const auto text = value_of(env, name);
  if (!text) return std::nullopt;
  const auto n = whole_number(*text);
  if (!n) {
    throw InputError(fmt::format(
        "{}={}: not a task number, though the launcher sets it; started by a launcher whose "
        "environment was altered?",
        name, *text));
  }
  return n;
}

}  // namespace

Launch detect_launch(const EnvLookup& env) {
  // MPICH's or Intel MPI's mpirun inside a Slurm job starts one proxy per node through srun:
  // every rank then inherits its proxy's SLURM_PROCID (the node's index), SLURM_LOCALID 0 and
  // SLURM_NTASKS (the node count), and only the PMI variables are its own. Hydra, not srun, sets
  // MPI_LOCALRANKID, and a PMI_SIZE or PMI_RANK other than Slurm's gives it away too (rank 0 on
  // node 0 alone could not tell).
  const bool slurm_started_a_proxy = [&] {
    if (!value_of(env, "SLURM_PROCID") || !value_of(env, "PMI_RANK")) return false;
    const auto differs = [&](std::string_view slurm, std::string_view pmi) {
      const auto a = number_of(env, slurm), b = number_of(env, pmi);
      return a && b && *a != *b;
    };
    return value_of(env, "MPI_LOCALRANKID") || differs("SLURM_PROCID", "PMI_RANK") ||
           differs("SLURM_NTASKS", "PMI_SIZE");
  }();
  for (const auto& l : kLaunchers) {
    if (l.launcher == "slurm" && slurm_started_a_proxy) continue;
    const auto rank = number_of(env, l.rank);
    if (!rank) continue;
    Launch launch;
    launch.launcher = std::string(l.launcher);
    launch.rank = rank;
    launch.local_rank = number_of(env, l.local_rank);
    launch.node = number_of(env, l.node);
    launch.tasks = number_of(env, l.tasks);
    if (launch.tasks && (*launch.tasks < 1 || *launch.tasks > kMostLaunchTasks)) {
      throw InputError(fmt::format("{}={}: not a task count of a job (1 to {})", l.tasks,
                                   *launch.tasks, kMostLaunchTasks));
    }
    if (launch.tasks && *rank >= *launch.tasks) {
      throw InputError(
          fmt::format("{}={} with {}={}: no such task in a job of {}; started by a launcher whose "
                      "environment was altered?",
                      l.rank, *rank, l.tasks, *launch.tasks, counted(*launch.tasks, "task")));
    }
    // mpirun in a Slurm allocation: the job is Slurm's.
    launch.job = value_of(env, "SLURM_JOB_ID").value_or(value_of(env, l.job).value_or(""));
    // Only a task srun started has its own node's: mpirun's ranks may inherit the batch node's.
    if (launch.launcher == "slurm") {
      launch.node_name = value_of(env, "SLURMD_NODENAME").value_or("");
      // A number for the tasks of an srun; anything else (a batch script's own step, where a
      // Slurm version sets one) is no step of srun's, and no reason to refuse to run.
      if (const auto step = value_of(env, "SLURM_STEP_ID")) launch.step = whole_number(*step);
    }
    return launch;
  }
  return {};
}

Launch this_launch() {
  return detect_launch([](const char* name) { return std::getenv(name); });
}

}  // namespace flopbench
