// `flopbench memtest`: the GPU memory test (harness/machine/memtest.hpp) of every selected GPU
// at once, each on its own host thread; bad words and their offsets in a results directory
// (results.json's `memtest`, report.md, report.html) and an exit status.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <omp.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/cli.hpp"
#include "app/cli_commands.hpp"
#include "app/cli_selection.hpp"
#include "harness/machine/inventory.hpp"
#include "harness/machine/launcher.hpp"
#include "harness/machine/memtest.hpp"
#include "harness/measure/interrupts.hpp"
#include "harness/measure/plan.hpp"
#include "reports/output_files.hpp"

namespace flopbench {
namespace {

struct MemtestOptions {
  std::string gpus = "all";
  std::optional<double> size_gib;
  double fraction = 0.9;
  std::string duration = "60s";
  std::uint64_t seed = 1;
  std::string out;
};

constexpr double kGiB = 1073741824.0;

int memtest_command(const MemtestOptions& opt, const std::vector<std::string>& command_line) {
  install_interrupt_handler();
  const double duration_s = parse_duration(opt.duration);
  if (opt.size_gib && !(*opt.size_gib > 0)) throw InputError("--size-gib: expected more than 0");
  const Launch launch = this_launch();
  Selection sel;
  sel.gpus = parse_gpus(opt.gpus, launch);

  ResultsDocument doc;
  doc.environment = collect_environment(implementation_libraries());
  const GpuInventory& inventory = doc.environment.gpu;
  if (!memtest_built()) {
    throw InputError(
        "memtest needs the CUDA build of flopbench: this one was built without CUDA support");
  }
  if (inventory.devices.empty()) {
    throw InputError(fmt::format("memtest: no CUDA device: {}", inventory.no_device_reason));
  }
  const std::vector<int> gpus = selected_gpus(sel, inventory);

  doc.run = {command_line, "memtest", opt.seed, omp_get_max_threads(), utc_now(), "", false};
  doc.run.launch = launch;
  doc.memtest = MemtestResult{.duration_s = duration_s, .devices = {}};
  for (const int gpu : gpus)
    doc.memtest->devices.push_back({.device = DeviceRef::gpu({gpu}).label()});
  const std::filesystem::path dir = claim_results_dir(opt.out, doc);
  fmt::print(
      "memory test of {} GPU(s) for up to {:.0f} s each: walking ones, random, own address\n"
      "results: {}\n",
      gpus.size(), duration_s, dir.string());
  std::fflush(stdout);

  std::mutex mutex;  // doc and the console
  const auto save = [&] { write_file_atomically(dir / "results.json", JsonPrinter().print(doc)); };
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < gpus.size(); ++i) {
      threads.emplace_back([&, i] {
        MemtestSettings settings{
            .bytes = opt.size_gib ? std::optional(static_cast<std::int64_t>(*opt.size_gib * kGiB))
                                  : std::nullopt,
            .fraction = opt.fraction,
            .duration_s = duration_s,
            .seed = opt.seed,
            .stop = [] { return interrupt_requested(); },
            .progress =
                [&](const MemtestDevice& d) {
                  const std::lock_guard lock(mutex);
                  doc.memtest->devices[i] = d;
                  fmt::print("  {} pass {} of {:.1f} GiB: {} bad words, {:.0f} s\n", d.device,
                             d.passes, static_cast<double>(d.bytes_tested) / kGiB, d.bad_words,
                             d.seconds);
                  std::fflush(stdout);
                  save();
                }};
        MemtestDevice d = memtest_gpu(gpus[i], settings);
        const std::lock_guard lock(mutex);
        doc.memtest->devices[i] = std::move(d);
      });
    }
  }
  bool any_bad = false;
  for (const MemtestDevice& d : doc.memtest->devices) {
    fmt::print("{:<5} {} {:.1f} GiB of {:.1f} GiB free, {} passes in {:.1f} s, {} bad words{}\n",
               d.device, d.passed() ? "PASS" : "FAIL", static_cast<double>(d.bytes_tested) / kGiB,
               static_cast<double>(d.free_bytes) / kGiB, d.passes, d.seconds, d.bad_words,
               d.failure.empty() ? "" : ": " + d.failure);
    for (const MemtestError& e : d.errors) {
      fmt::print("      {} at byte offset {:#x}: wrote {:#018x}, read {:#018x}\n", e.pattern,
                 e.offset, e.expected, e.actual);
    }
    any_bad = any_bad || !d.passed();
  }
  return finish_results_dir(doc, dir, any_bad);
}

}  // namespace

Command add_memtest_command(CLI::App& app) {
  auto opt = std::make_shared<MemtestOptions>();
  auto* cmd = app.add_subcommand(
      "memtest",
      "GPU memory test: walking ones, a seeded random pattern and each word's address, "
      "written and verified on the device");
  cmd->add_option("--gpus", opt->gpus, "\"all\" or comma-separated GPU indices")
      ->capture_default_str();
  auto* size = cmd->add_option("--size-gib", opt->size_gib, "GiB to test on each GPU");
  cmd->add_option("--fraction", opt->fraction, "the fraction of free memory to test")
      ->check(CLI::Range(0.01, 0.99))
      ->capture_default_str()
      ->excludes(size);
  cmd->add_option("--duration", opt->duration,
                  "time box per GPU: seconds, or with s, m or h; no new step starts after it")
      ->capture_default_str();
  cmd->add_option("--seed", opt->seed, "seed of the random pattern")->capture_default_str();
  cmd->add_option("--out", opt->out,
                  "results directory; must not exist or be empty (default results/<host>-<time>)");
  return {cmd, [opt](const std::vector<std::string>& command_line) {
            return memtest_command(*opt, command_line);
          }};
}

}  // namespace flopbench
