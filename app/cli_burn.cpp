// `flopbench burn`: a burn-in (harness/measure/burn.hpp) of every selected GPU at once, and of
// the CPU with --cpu or where there is no GPU; a verdict per device and an exit status.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <ranges>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "app/cli_commands.hpp"
#include "app/cli_selection.hpp"
#include "harness/core/registry.hpp"
#include "harness/machine/inventory.hpp"
#include "harness/machine/launcher.hpp"
#include "harness/measure/burn.hpp"
#include "harness/measure/interrupts.hpp"
#include "harness/measure/plan.hpp"

namespace flopbench {
namespace {

struct BurnOptions {
  std::string duration;
  bool cpu = false;
  std::string gpus = "all";
  std::string precision = "fp64";
  std::int64_t size = 2048;
  double degraded_fraction = 0.1;
  double progress_s = 10;
  std::uint64_t seed = 1;
};

std::vector<Precision> parse_burn_precisions(std::string_view text) {
  const std::vector<Precision> out = parse_precisions(std::string(text));
  if (out.empty() || std::ranges::any_of(out, [](Precision p) {
        return p != Precision::fp32 && p != Precision::fp64;
      })) {
    throw InputError(fmt::format("--precision {}: a burn runs fp32, fp64 or fp32,fp64", text));
  }
  return out;
}

const Implementation& gemm_implementation(std::string_view name) {
  const Implementation* impl = registry().find(WorkloadId::gemm, name);
  if (impl == nullptr) throw std::logic_error(fmt::format("no gemm implementation '{}'", name));
  return *impl;
}

int burn_command(const BurnOptions& opt) {
  install_interrupt_handler();
  const double duration_s = parse_duration(opt.duration);
  const auto precisions = parse_burn_precisions(opt.precision);
  if (opt.size < 16 || opt.size > 65536) throw InputError("--size: expected 16 to 65536");
  Selection sel;
  sel.gpus = parse_gpus(opt.gpus, this_launch());
  const GpuInventory inventory = gpu_inventory();
  const std::vector<int> gpus = selected_gpus(sel, inventory);

  std::vector<BurnTarget> targets;
  for (const int gpu : gpus) {
    targets.push_back({&gemm_implementation("cuda"), DeviceRef::gpu({gpu})});
  }
  if (opt.cpu || gpus.empty()) {
    if (gpus.empty()) {
      fmt::print("no GPU ({}): burning the CPU\n", inventory.no_device_reason);
    }
    targets.push_back({&gemm_implementation("omp"), DeviceRef::cpu()});
  }

  bool any_bad = false;
  for (const Precision precision : precisions) {
    if (interrupt_requested()) break;
    const BurnSettings settings{.precision = precision,
                                .problem = Problem::matrix(opt.size, opt.size, opt.size),
                                .duration_s = duration_s,
                                .seed = opt.seed};
    for (const BurnTarget& t : targets) {
      if (const std::string why = t.implementation->unsupported_reason(precision); !why.empty()) {
        throw InputError(fmt::format("cannot burn {}: {}", t.device.label(), why));
      }
    }
    fmt::print("burning {} at {} for {:.0f} s: gemm {} ({}), every run checked\n",
               fmt::join(targets | std::views::transform(
                                       [](const BurnTarget& t) { return t.device.label(); }),
                         ", "),
               precision_label(precision), duration_s, settings.problem.label(),
               fmt::join(targets | std::views::transform([](const BurnTarget& t) {
                           return t.implementation->name();
                         }),
                         ", "));
    std::fflush(stdout);
    auto devices = burn(targets, settings, opt.progress_s,
                        [](const std::vector<BurnDevice>& so_far, double elapsed_s) {
                          for (const BurnDevice& d : so_far) {
                            fmt::print("  [{:>5.0f} s] {:<5} {} runs, {:.1f} GFLOP/s{}\n",
                                       elapsed_s, d.device.label(), d.iterations,
                                       d.throughput.empty() ? 0 : d.throughput.back().gflops,
                                       d.fault.empty() ? "" : ", FAULT: " + d.fault);
                          }
                          std::fflush(stdout);
                        });
    judge_burn(devices, opt.degraded_fraction);
    for (const BurnDevice& d : devices) {
      fmt::print("{:<5} {} {:<8} {} runs in {:.1f} s, median {:.1f} GFLOP/s{}\n", d.device.label(),
                 precision_label(precision), to_string(d.verdict), d.iterations, d.seconds,
                 d.median_gflops(), d.why.empty() ? "" : ": " + d.why);
      any_bad = any_bad || d.verdict != BurnVerdict::ok;
    }
    std::fflush(stdout);
  }
  if (interrupt_requested()) return 128 + interrupt_signal();
  return any_bad ? kExitFailures : kExitOk;
}

}  // namespace

Command add_burn_command(CLI::App& app) {
  auto opt = std::make_shared<BurnOptions>();
  auto* cmd = app.add_subcommand(
      "burn", "burn-in: GEMM on every selected GPU (and the CPU) at once, every run checked");
  cmd->add_option("--duration", opt->duration,
                  "how long to burn each precision: seconds, or with s, m or h (10m)")
      ->required();
  cmd->add_flag("--cpu", opt->cpu, "burn the CPU too (it is burned anyway where there is no GPU)");
  cmd->add_option("--gpus", opt->gpus, "\"all\" or comma-separated GPU indices")
      ->capture_default_str();
  cmd->add_option("--precision", opt->precision, "fp32, fp64, or fp32,fp64 (one after the other)")
      ->capture_default_str();
  cmd->add_option("--size", opt->size, "n of the n x n x n GEMM")->capture_default_str();
  cmd->add_option("--degraded", opt->degraded_fraction,
                  "DEGRADED: median throughput below the best sibling's by more than this "
                  "fraction")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--progress", opt->progress_s, "seconds between progress lines")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  cmd->add_option("--seed", opt->seed, "seed of the inputs")->capture_default_str();
  return {cmd, [opt](const std::vector<std::string>&) { return burn_command(*opt); }};
}

}  // namespace flopbench
