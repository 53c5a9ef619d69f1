// `flopbench burn`: a burn-in (harness/measure/burn.hpp) of every selected GPU at once, and of
// the CPU with --cpu or where there is no GPU, at each precision asked; a verdict per device, a
// results directory (results.json's `burn`, report.md, report.html with the time series) and an
// exit status.

#include <fmt/format.h>
#include <omp.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/burn_course.hpp"
#include "app/cli.hpp"
#include "app/cli_commands.hpp"
#include "app/cli_selection.hpp"
#include "harness/core/catalog.hpp"
#include "harness/core/registry.hpp"
#include "harness/machine/gpu_health.hpp"
#include "harness/machine/inventory.hpp"
#include "harness/machine/launcher.hpp"
#include "harness/machine/probe.hpp"
#include "harness/machine/telemetry.hpp"
#include "harness/measure/burn.hpp"
#include "harness/measure/interrupts.hpp"
#include "harness/measure/plan.hpp"
#include "reports/format.hpp"
#include "reports/output_files.hpp"
#include "reports/utf8.hpp"

namespace flopbench {
namespace {

struct BurnOptions {
  std::string duration;
  bool cpu = false;
  std::string gpus = "all";
  std::string precision = "fp64";
  std::optional<std::int64_t> size;  // empty: burn_size's default
  double degraded_fraction = 0.1;
  double progress_s = 10;
  std::uint64_t seed = 1;
  std::string out;  // the results directory, as run's --out
};

std::vector<Precision> parse_burn_precisions(std::string_view text) {
  const std::vector<Precision> out = parse_precisions(std::string(text));
  if (out.empty()) {
    throw InputError(
        fmt::format("--precision {}: name the precisions to burn, one after the other ({})", text,
                    precision_names_help()));
  }
  return out;
}

// n of the burn's n x n x n GEMM: --size, or default_burn_size.
std::int64_t burn_size(std::optional<std::int64_t> option, Precision precision,
                       const std::vector<GpuDevice>& gpus) {
  return option ? *option : default_burn_size(precision, gpus);
}

// The memory a GPU's burn can have: its free memory (another process may hold some), or where
// that cannot be read (a CPU-only build; a GPU that fails here, and will fail its burn) its total.
// Like the inventory's CUDA queries before it, the read is not watched: a GPU that blocks it
// (its context's creation) blocks the command before the burn, and its watchdog, start.
struct GpuMemory {
  int index = 0;
  double bytes = 0;
  bool free = false;
};
std::vector<GpuMemory> gpu_memory(const std::vector<GpuDevice>& gpus) {
  std::vector<GpuMemory> out;
  for (const GpuDevice& g : gpus) {
    GpuMemory m{g.index, static_cast<double>(g.memory_bytes), false};
    try {
      if (const auto free = gpu_free_memory_bytes(g.index)) {
        m.bytes = static_cast<double>(*free);
        m.free = true;
      }
    } catch (const std::exception&) {
      // The total stands: a GPU that fails here fails its burn, FAULTY.
    }
    out.push_back(m);
  }
  return out;
}

// A size the memory cannot hold is the caller's mistake, not a fault of the device: refused
// before anything burns (InputError, exit 2), as `run` refuses one, instead of every device's
// failed allocation reading FAULTY. On the host, each device's trial keeps A, B and the initial
// C, the first iteration's C and the last one read back, and the CPU's kernel its own C; on a
// GPU, the kernel keeps A, B and C.
void refuse_a_size_that_does_not_fit(std::int64_t n, Precision precision,
                                     const std::vector<DeviceRef>& devices,
                                     const std::vector<GpuMemory>& gpus) {
  constexpr double kGiB = 1073741824.0;
  const double elements = static_cast<double>(n) * static_cast<double>(n);
  const double inputs = 2 * elements * static_cast<double>(size_of(precision));
  const double c = elements * static_cast<double>(accumulator_size_of(precision));
  const auto refuse = [&](std::string_view where, double need, std::string_view have) {
    throw InputError(fmt::format(
        "--size {}: a burn at {} needs {:.1f} GiB of {} and {}; choose a smaller --size", n,
        precision_label(precision), need / kGiB, where, have));
  };
  double host = 0;
  for (const DeviceRef& d : devices) host += inputs + (d.on_gpu() ? 3 : 4) * c;
  if (const AvailableMemory available = available_memory(); !available.holds(host)) {
    refuse("host memory", host, available.text());
  }
  for (const GpuMemory& g : gpus) {
    // A total of 0 is none known; free memory of 0 is a GPU that other processes fill.
    if (g.free && g.bytes <= 0) {
      throw InputError(fmt::format(
          "gpu{} has no free memory: other processes hold all of it (nvidia-smi names them)",
          g.index));
    }
    if (g.bytes > 0 && inputs + c > 0.9 * g.bytes) {
      refuse(fmt::format("gpu{}'s {}memory", g.index, g.free ? "free " : ""), inputs + c,
             fmt::format("{:.1f} GiB is available", g.bytes / kGiB));
    }
  }
}

// The GEMM a device burns at a precision: the hand-written kernels at FP32 and FP64, cuBLASLt
// on a GPU and oneDNN on the CPU at the matrix precisions (each deterministic: burn.hpp).
const Implementation& burn_implementation(const DeviceRef& device, Precision precision) {
  const bool matrix = is_matrix_precision(precision);
  const std::string_view name =
      device.on_gpu() ? (matrix ? "cublaslt" : "cuda") : (matrix ? "onednn" : "omp");
  const Implementation* impl = registry().find(WorkloadId::gemm, name);
  if (impl == nullptr) {
    throw InputError(fmt::format("cannot burn {} at {}: this build has no gemm implementation '{}'",
                                 device.label(), precision_label(precision), name));
  }
  if (const std::string why = impl->unsupported_reason(precision); !why.empty()) {
    throw InputError(fmt::format("cannot burn {} at {} with {}: {}", device.label(),
                                 precision_label(precision), name, why));
  }
  return *impl;
}

int burn_command(const BurnOptions& opt, const std::vector<std::string>& command_line) {
  install_interrupt_handler();
  if (const std::string quota_note = settle_thread_team(0, "OMP_NUM_THREADS");
      !quota_note.empty()) {
    fmt::print("{}\n", quota_note);
  }
  const double duration_s = parse_duration(opt.duration);
  const auto precisions = parse_burn_precisions(opt.precision);
  const InjectedBurnFault inject = injected_burn_fault_from_environment();
  const Launch launch = this_launch();
  Selection sel;
  sel.gpus = parse_gpus(opt.gpus, launch);

  ResultsDocument doc;
  doc.environment = collect_environment(implementation_libraries());
  const GpuInventory& inventory = doc.environment.gpu;
  const std::vector<int> gpus = selected_gpus(sel, inventory);
  std::vector<DeviceRef> to_burn;
  for (const int gpu : gpus) to_burn.push_back(DeviceRef::gpu({gpu}));
  const std::vector<GpuDevice> gpu_devices = gpus_among(to_burn, inventory);
  if (gpus.empty() && !opt.cpu) {
    // A GPU node whose driver lost or never loaded its GPUs is no CPU machine: burning its CPU
    // instead would pass its GPU burn-in. The PCI bus, or NVML, still lists them.
    const int listed = doc.environment.health
                           ? gpus_cuda_misses(*doc.environment.health, 0, gpu_visibility_here())
                           : 0;
    if (listed > 0) {
      if (!inventory.cuda_built) {
        throw InputError(fmt::format(
            "burn: this machine lists {}, and this build of flopbench has no CUDA support: a "
            "CUDA build burns them in; --cpu burns the CPU alone",
            counted(listed, "NVIDIA GPU")));
      }
      print_error(
          "flopbench: error: burn: {} listed on this machine (the PCI bus or the driver), "
          "and CUDA sees none ({}): its GPUs cannot be burned in, which fails the burn; "
          "--cpu burns the CPU alone\n",
          counted(listed, "NVIDIA GPU"), strip_terminal_controls(no_gpu_reason(inventory)));
      return kExitFailures;
    }
  }
  if (const std::string left_out =
          gpus_left_out(doc.environment, sel.gpus, "burn", "burn", "burned in");
      !left_out.empty()) {
    print_error("flopbench: error: {}\n", left_out);
    return kExitFailures;
  }
  if (opt.cpu || gpus.empty()) {
    if (gpus.empty()) {
      fmt::print("no GPU ({}): burning the CPU\n", inventory.no_device_reason);
    }
    to_burn.push_back(DeviceRef::cpu());
    // On fewer threads than the CPUs it may use (OMP_NUM_THREADS=1 in a job's environment), the
    // other CPUs are not burned in. A cgroup quota holds the threads down by design (its note).
    const int threads = omp_get_max_threads();
    const int cpus = static_cast<int>(usable_cpus().size());
    if (threads < cpus && !cpu_quota()) {
      fmt::print(
          "warning: the CPU burns on {} of the {} CPUs this process may use (OMP_NUM_THREADS "
          "or OMP_THREAD_LIMIT): the other CPUs are not burned in\n",
          counted(threads, "thread"), cpus);
    }
  }
  // Each precision's GEMMs and size for the devices still burning; every one is looked up, and
  // its size checked against the memory, before anything burns.
  const auto stage = [&](Precision precision, const std::vector<DeviceRef>& devices) {
    BurnStage out;
    for (const DeviceRef& d : devices)
      out.targets.push_back({&burn_implementation(d, precision), d});
    const std::int64_t n = burn_size(opt.size, precision, gpus_among(devices, inventory));
    out.settings = {.precision = precision,
                    .problem = Problem::matrix(n, n, n),
                    .duration_s = duration_s,
                    .seed = opt.seed,
                    .inject = inject};
    return out;
  };
  const std::vector<GpuMemory> memory = gpu_memory(gpu_devices);
  for (const Precision precision : precisions) {
    refuse_a_size_that_does_not_fit(stage(precision, to_burn).settings.problem.n, precision,
                                    to_burn, memory);
  }

  doc.run = start_run_info(command_line, std::string(kBurnProfile), opt.seed, launch, sel.gpus);
  doc.burn = BurnResult{.duration_s = duration_s,
                        .precisions = precisions,
                        .degraded_fraction = opt.degraded_fraction};
  // Owned jointly with the burn's telemetry reader, and abandoned once it stops answering or a GPU
  // stops responding (burn_course.hpp): a call left running keeps the source (NVML loaded and
  // initialised) alive, whichever way this function is left.
  std::shared_ptr<TelemetrySource> source;
  if (gpu_devices.empty()) {
    doc.burn->telemetry_source = "none: no GPU burned";
  } else {
    std::string why_not;
    source = open_telemetry_source(&why_not);
    doc.burn->telemetry_source = source ? source->name() : "none: " + why_not;
    if (!source) fmt::print("GPU telemetry unavailable: {}\n", why_not);
  }
  const std::filesystem::path dir = claim_results_dir(opt.out, doc);
  fmt::print("results: {}\n", dir.string());
  const bool any_bad = burn_each_precision(
      {.precisions = precisions,
       .devices = to_burn,
       .progress_s = opt.progress_s,
       .degraded_fraction = opt.degraded_fraction,
       .stage = stage,
       .burn = [](const std::vector<BurnTarget>& targets, const BurnSettings& settings,
                  const BurnObserver& observer) { return burn(targets, settings, observer); },
       .health = [&inventory] { return collect_health(inventory); },
       // Kept here too: a source shut down (nvmlShutdown) is shut down once the outputs are
       // written.
       .telemetry = source,
       // results.json is rewritten with every progress line, so a burn that dies keeps what it
       // saw.
       .save = [&] { write_file_atomically(dir / "results.json", JsonPrinter().print(doc)); }},
      doc);
  return finish_results_dir(doc, dir, any_bad);
}

}  // namespace

Command add_burn_command(CLI::App& app) {
  auto opt = std::make_shared<BurnOptions>();
  auto* cmd = app.add_subcommand(
      "burn", "burn-in: GEMM on every selected GPU (and the CPU) at once, every result checked");
  cmd->add_option(
         "--duration", opt->duration,
         "how long to burn each precision: seconds, or with s, m or h (10m); 1 s to 7 days")
      ->required();
  cmd->add_flag("--cpu", opt->cpu, "burn the CPU too (it is burned anyway where there is no GPU)");
  cmd->add_option("--gpus", opt->gpus, std::string(kGpusHelp))->capture_default_str();
  cmd->add_option("--precision", opt->precision,
                  fmt::format("{}, or several comma-separated (one after the other)",
                              precision_names_help()))
      ->capture_default_str();
  cmd->add_option(
         "--size", opt->size,
         "n of the n x n x n GEMM (default: 2048; 8192 at the matrix precisions where a GPU "
         "burns)")
      ->check(whole_number_in(16, 65536));
  cmd->add_option("--degraded", opt->degraded_fraction,
                  "DEGRADED: median throughput below the best sibling's (a GPU of the same "
                  "model) by more than this fraction")
      ->check(number_in(0, 1))
      ->capture_default_str();
  cmd->add_option("--progress", opt->progress_s, "seconds between progress lines")
      ->check(number_in(1, 3600))
      ->capture_default_str();
  cmd->add_option("--seed", opt->seed, "seed of the inputs (0 to 2^64 - 1)")
      ->capture_default_str()
      ->check(seed_number());
  cmd->add_option("--out", opt->out, std::string(kOutHelp));
  return {cmd, [opt](const std::vector<std::string>& command_line) {
            return burn_command(*opt, command_line);
          }};
}

}  // namespace flopbench
