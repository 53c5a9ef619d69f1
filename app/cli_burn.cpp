// `flopbench burn`: a burn-in (harness/measure/burn.hpp) of every selected GPU at once, and of
// the CPU with --cpu or where there is no GPU, at each precision asked; a verdict per device, a
// results directory (results.json's `burn`, report.md, report.html with the time series) and an
// exit status.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "app/cli_commands.hpp"
#include "app/cli_selection.hpp"
#include "harness/core/catalog.hpp"
#include "harness/core/registry.hpp"
#include "harness/machine/gpu_health.hpp"
#include "harness/machine/inventory.hpp"
#include "harness/machine/launcher.hpp"
#include "harness/machine/load_sampler.hpp"
#include "harness/machine/probe.hpp"
#include "harness/machine/telemetry.hpp"
#include "harness/measure/burn.hpp"
#include "harness/measure/interrupts.hpp"
#include "harness/measure/plan.hpp"
#include "reports/output_files.hpp"

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
  const auto refuse = [&](std::string_view where, double need, double have) {
    throw InputError(fmt::format(
        "--size {}: a burn at {} needs {:.1f} GiB of {} and {:.1f} GiB is available; choose a "
        "smaller --size",
        n, precision_label(precision), need / kGiB, where, have / kGiB));
  };
  double host = 0;
  for (const DeviceRef& d : devices) host += inputs + (d.on_gpu() ? 3 : 4) * c;
  if (const auto available = static_cast<double>(available_memory_bytes());
      available > 0 && host > 0.9 * available) {
    refuse("host memory", host, available);
  }
  for (const GpuMemory& g : gpus) {
    // A total of 0 is none known; free memory of 0 is a GPU that other processes fill.
    if (g.free && g.bytes <= 0) {
      throw InputError(fmt::format(
          "gpu{} has no free memory: other processes hold all of it (nvidia-smi names them)",
          g.index));
    }
    if (g.bytes > 0 && inputs + c > 0.9 * g.bytes) {
      refuse(fmt::format("gpu{}'s {}memory", g.index, g.free ? "free " : ""), inputs + c, g.bytes);
    }
  }
}

// A telemetry source that stopped answering is never shut down (nvmlShutdown, dlclose): the
// driver that stalled it could stall that too, on this thread or on the sampler's when its call
// returns. Held here, never destroyed (the process may exit without waiting for that call).
void abandon(std::shared_ptr<TelemetrySource> source) {
  static auto* const abandoned = new std::vector<std::shared_ptr<TelemetrySource>>();
  abandoned->push_back(std::move(source));
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

void print_progress(const std::vector<BurnDevice>& so_far, double elapsed_s) {
  for (const BurnDevice& d : so_far) {
    std::string telemetry;
    if (!d.telemetry.empty()) {
      const GpuTelemetry& t = d.telemetry.back().reading;
      const auto part = [](const std::optional<double>& v, std::string_view unit) {
        return v ? fmt::format(", {:.0f} {}", *v, unit) : std::string();
      };
      telemetry = part(t.sm_clock_mhz, "MHz") + part(t.temperature_c, "C") + part(t.power_w, "W") +
                  (t.throttled ? ", throttled" : "");
    }
    if (!d.cpu_load.empty()) {
      const CpuBurnReading& r = d.cpu_load.back();
      telemetry =
          fmt::format(", other processes {:.2f} CPUs, steal {:.2f}{}", r.other_cpus, r.steal_cpus,
                      r.clock_mhz ? fmt::format(", {:.0f} MHz", *r.clock_mhz) : "");
    }
    fmt::print("  [{:>5.0f} s] {:<5} {} runs, {} {}{}{}\n", elapsed_s, d.device.label(), d.runs(),
               d.throughput.empty() ? "-" : fmt::format("{:.1f}", d.throughput.back().gflops),
               headline_unit(Bound::compute, d.precision), telemetry,
               d.fault.empty() ? "" : ", FAULT: " + d.fault);
  }
  std::fflush(stdout);
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
  std::vector<GpuDevice> gpu_devices;
  std::vector<DeviceRef> to_burn;
  for (const int gpu : gpus) {
    to_burn.push_back(DeviceRef::gpu({gpu}));
    for (const GpuDevice& g : inventory.devices) {
      if (g.index == gpu) gpu_devices.push_back(g);
    }
  }
  if (opt.cpu || gpus.empty()) {
    if (gpus.empty()) {
      fmt::print("no GPU ({}): burning the CPU\n", inventory.no_device_reason);
    }
    to_burn.push_back(DeviceRef::cpu());
  }
  // Every device's implementation at every precision, before anything burns.
  const auto targets_at = [&](Precision precision) {
    std::vector<BurnTarget> targets;
    for (const DeviceRef& d : to_burn) targets.push_back({&burn_implementation(d, precision), d});
    return targets;
  };
  const std::vector<GpuMemory> memory = gpu_memory(gpu_devices);
  for (const Precision precision : precisions) {
    targets_at(precision);
    refuse_a_size_that_does_not_fit(burn_size(opt.size, precision, gpu_devices), precision, to_burn,
                                    memory);
  }

  doc.run = start_run_info(command_line, std::string(kBurnProfile), opt.seed, launch, sel.gpus);
  doc.burn = BurnResult{.duration_s = duration_s, .degraded_fraction = opt.degraded_fraction};
  // Owned jointly with the burn's telemetry reader, and abandoned once it stops answering: a call
  // left running keeps the source (NVML loaded and initialised) alive, whichever way this function
  // is left.
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
  // results.json is rewritten with every progress line, so a burn that dies keeps what it saw.
  const auto save = [&] { write_file_atomically(dir / "results.json", JsonPrinter().print(doc)); };

  bool any_bad = false;
  // The health facts before each precision's burn, to see what rose during it.
  MachineHealth health_before = doc.environment.health.value_or(MachineHealth{});
  for (std::size_t at = 0; at < precisions.size(); ++at) {
    if (interrupt_requested() || to_burn.empty()) break;
    const Precision precision = precisions[at];
    const bool last_precision = at + 1 == precisions.size();
    const std::vector<BurnTarget> targets = targets_at(precision);
    const std::int64_t n = burn_size(opt.size, precision, gpu_devices);
    const BurnSettings settings{.precision = precision,
                                .problem = Problem::matrix(n, n, n),
                                .duration_s = duration_s,
                                .seed = opt.seed,
                                .inject = inject};
    fmt::print(
        "burning {} at {} for {:.0f} s: gemm {} ({}), the output checked after every iteration "
        "(at least half a second of runs)\n",
        fmt::join(
            targets | std::views::transform([](const BurnTarget& t) { return t.device.label(); }),
            ", "),
        precision_label(precision), duration_s, settings.problem.label(),
        fmt::join(targets | std::views::transform(
                                [](const BurnTarget& t) { return t.implementation->name(); }),
                  ", "));
    std::fflush(stdout);
    const std::size_t earlier = doc.burn->devices.size();  // the earlier precisions' devices
    const auto keep = [&](std::vector<BurnDevice> devices) {
      judge_burn(devices, opt.degraded_fraction, doc.environment.gpu);
      doc.burn->devices.resize(earlier);
      doc.burn->devices.insert(doc.burn->devices.end(), devices.begin(), devices.end());
      save();
    };
    BurnObserver observer{.progress_s = opt.progress_s,
                          .progress = [&](const std::vector<BurnDevice>& so_far, double elapsed_s) {
                            print_progress(so_far, elapsed_s);
                            keep(so_far);
                          }};
    // The readers hold what they read by value: a call that does not return is left running. A
    // silence of the sampler is the GPU telemetry's where there is some (a CPU burn's /proc/stat
    // read does not wait on a driver).
    if (source) {
      observer.telemetry = [source, gpus = gpu_devices] { return source->read(gpus); };
      observer.telemetry_stopped = [&](double since_s) {
        abandon(source);  // first: whichever way the burn ends, even by an exception
        doc.burn->telemetry_stopped = fmt::format(
            "{} stopped answering {:.1f} s into the {} burn (no reading for {:.0f} s; a hung "
            "driver?): no GPU telemetry or health fact was read after it",
            doc.burn->telemetry_source, since_s, precision_label(precision), settings.hang_s);
        fmt::print("GPU telemetry stopped: {}\n", doc.burn->telemetry_stopped);
        std::fflush(stdout);
      };
    }
    if (std::ranges::any_of(targets, [](const BurnTarget& t) { return !t.device.on_gpu(); })) {
      // Read by the burn's sampler thread only.
      observer.cpu_load =
          [cpu_load = std::make_shared<CpuLoadReader>()]() -> std::optional<CpuBurnReading> {
        const std::optional<LoadInterval> load = cpu_load->next();
        if (!load) return std::nullopt;
        return CpuBurnReading{.other_cpus = load->other_cpus,
                              .steal_cpus = load->steal_cpus,
                              .clock_mhz = cpufreq_mean_mhz()};
      };
    }
    keep(burn(targets, settings, observer));
    // Once the source stopped answering, at this precision or an earlier one, nothing reads
    // through it again (abandoned), nor reads the health facts (NVML).
    const bool telemetry_stopped = !doc.burn->telemetry_stopped.empty();
    if (telemetry_stopped) {
      source.reset();
      any_bad = true;
    }
    // Read again unless a GPU stopped responding, at this precision or an earlier one: an NVML
    // call on it could block as well.
    const bool hung = std::any_of(doc.burn->devices.begin(), doc.burn->devices.end(),
                                  [](const BurnDevice& d) { return d.hung; });
    if (!gpu_devices.empty() && !hung && !telemetry_stopped) {
      const MachineHealth health_after = collect_health(inventory);
      std::vector<BurnDevice> devices(
          doc.burn->devices.begin() + static_cast<std::ptrdiff_t>(earlier),
          doc.burn->devices.end());
      bool rose = false;
      for (BurnDevice& d : devices) {
        if (!d.device.on_gpu() || d.verdict == BurnVerdict::unsupported || !d.fault.empty())
          continue;
        const int gpu = d.device.gpus.at(0);
        if (const auto what =
                error_rises(cuda_gpu_facts(health_before, gpu), cuda_gpu_facts(health_after, gpu));
            !what.empty()) {
          d.fault = fmt::format("during the burn: {}", fmt::join(what, "; "));
          rose = true;
        }
      }
      if (rose) keep(std::move(devices));
      health_before = health_after;
    }
    for (std::size_t i = earlier; i < doc.burn->devices.size(); ++i) {
      const BurnDevice& d = doc.burn->devices[i];
      fmt::print("{:<5} {} {:<8} {} runs in {:.1f} s{}{}{}\n", d.device.label(),
                 precision_label(precision), to_string(d.verdict), d.runs(), d.seconds,
                 d.busy_share() ? fmt::format(" (busy {:.0f}%)", 100 * *d.busy_share()) : "",
                 d.median_gflops() ? fmt::format(", median {:.1f} {}", *d.median_gflops(),
                                                 headline_unit(Bound::compute, precision))
                                   : "",
                 d.why.empty() ? "" : ": " + d.why);
      any_bad = any_bad || d.verdict != BurnVerdict::ok;
      if (d.burns_no_further()) {
        // Its thread is stuck in the device, or its CUDA context is gone: the GPU burns no
        // further precision, and its telemetry is not read again (on a hung GPU an NVML call
        // could block as well).
        if (!last_precision) {
          fmt::print("{} {}: it burns no further precision\n", d.device.label(),
                     d.hung ? "stopped responding" : "lost its CUDA context");
        }
        std::erase(to_burn, d.device);
        std::erase_if(gpu_devices,
                      [&](const GpuDevice& g) { return g.index == d.device.gpus.at(0); });
      }
    }
    std::fflush(stdout);
  }
  return finish_results_dir(doc, dir, any_bad);
}

}  // namespace

Command add_burn_command(CLI::App& app) {
  auto opt = std::make_shared<BurnOptions>();
  auto* cmd = app.add_subcommand(
      "burn", "burn-in: GEMM on every selected GPU (and the CPU) at once, every result checked");
  cmd->add_option("--duration", opt->duration,
                  "how long to burn each precision: seconds, or with s, m or h (10m)")
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
