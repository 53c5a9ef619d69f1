// `flopbench memtest`: the GPU memory test (harness/machine/memtest.hpp) of every selected GPU
// at once, each on its own host thread; bad words and their offsets in a results directory
// (results.json's `memtest`, report.md, report.html) and an exit status.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
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
#include "harness/machine/gpu_health.hpp"
#include "harness/machine/inventory.hpp"
#include "harness/machine/launcher.hpp"
#include "harness/machine/memtest.hpp"
#include "harness/measure/interrupts.hpp"
#include "harness/measure/memtest_watch.hpp"
#include "harness/measure/plan.hpp"
#include "reports/burn_report.hpp"
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
// 1 PiB, far above any GPU's memory, and in bytes far below what an int64_t holds.
constexpr double kMostGiB = 1048576.0;

// Which of the tested GPUs' memory-error counts rose between the health facts read before the
// test and those read after it, and where the ECC counts could not be compared, why.
void compare_memory_errors(MemtestResult& memtest, const std::vector<int>& gpus,
                           const MachineHealth& before, const MachineHealth& after) {
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    const HealthFacts b = cuda_gpu_facts(before, gpus[i]), a = cuda_gpu_facts(after, gpus[i]);
    memtest.devices[i].memory_error_rises = memory_error_rises(b, a);
    memtest.devices[i].ecc_not_compared = ecc_counts_not_compared(b, a);
  }
}

int memtest_command(const MemtestOptions& opt, const std::vector<std::string>& command_line) {
  install_interrupt_handler();
  const double duration_s = parse_duration(opt.duration);
  if (opt.size_gib && !(*opt.size_gib > 0 && *opt.size_gib <= kMostGiB)) {
    throw InputError(fmt::format("--size-gib: expected more than 0 and at most {:.0f}", kMostGiB));
  }
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
  if (const std::string left_out =
          gpus_left_out(doc.environment, sel.gpus, "memtest", "test", "tested");
      !left_out.empty()) {
    print_error("flopbench: error: {}\n", left_out);
    return kExitFailures;
  }
  const std::vector<int> gpus = selected_gpus(sel, inventory);

  doc.run = start_run_info(command_line, std::string(kMemtestProfile), opt.seed, launch, sel.gpus);
  doc.memtest = MemtestResult{.duration_s = duration_s, .devices = {}};
  for (const int gpu : gpus)
    doc.memtest->devices.push_back({.device = DeviceRef::gpu({gpu}).label()});
  const std::filesystem::path dir = claim_results_dir(opt.out, doc);
  fmt::print(
      "memory test of {} for up to {:g} s each: walking ones, random, own address\n"
      "results: {}\n",
      counted(gpus.size(), "GPU"), duration_s, dir.string());
  std::fflush(stdout);

  const auto save = [&] { write_file_atomically(dir / "results.json", JsonPrinter().print(doc)); };
  // What the test threads share with this one. Owned jointly: a thread stuck in a hung GPU is
  // left running when the command returns, and must still find it. The threads only record;
  // this one prints, saves and watches for a GPU that stops showing life.
  constexpr double kPollPeriodS = 1;  // the watchdog's longest wait between two looks
  struct Shared {
    explicit Shared(std::vector<MemtestDevice> tested)
        : devices(std::move(tested)),
          reports(devices.size(), 0),
          watch(devices.size(), times_continued(), kPollPeriodS),
          returned(devices.size(), 0) {}
    std::mutex mutex;
    std::condition_variable changed;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    double elapsed_s() const {  // stops included
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    std::vector<MemtestDevice> devices;  // each one's latest state
    std::vector<int> reports;            // progress reports so far
    MemtestWatch watch;
    std::vector<char> returned;
  };
  const auto shared = std::make_shared<Shared>(doc.memtest->devices);
  std::vector<std::thread> threads;
  // However this ends (an exception: a full disk, a closed stdout), no thread is left joinable,
  // which would abort the process: one still running is left behind (leave_running).
  struct LeaveBehind {
    std::vector<std::thread>& threads;
    ~LeaveBehind() {
      for (std::thread& t : threads) leave_running(t);
    }
  } leave_behind{threads};
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    MemtestSettings settings{
        .bytes = opt.size_gib ? std::optional(static_cast<std::int64_t>(*opt.size_gib * kGiB))
                              : std::nullopt,
        .fraction = opt.fraction,
        .duration_s = duration_s,
        .seed = opt.seed,
        .stop = [] { return interrupt_requested(); },
        .progress =
            [shared, i](const MemtestDevice& d) {
              const std::lock_guard lock(shared->mutex);
              shared->devices[i] = d;
              ++shared->reports[i];
              shared->changed.notify_all();
            },
        .step_done =
            [shared, i] {
              const std::lock_guard lock(shared->mutex);
              shared->watch.step_done(i, shared->elapsed_s(), times_continued());
            }};
    threads.emplace_back([shared, i, gpu = gpus[i], settings = std::move(settings)] {
      MemtestDevice d = memtest_gpu(gpu, settings);
      const std::lock_guard lock(shared->mutex);
      shared->devices[i] = std::move(d);
      shared->returned[i] = 1;
      shared->changed.notify_all();
    });
  }
  std::vector<int> printed(gpus.size(), 0);
  std::vector<char> hung(gpus.size(), 0), saved_return(gpus.size(), 0);
  for (bool waiting = true; waiting;) {
    std::vector<std::size_t> to_print;
    bool save_now = false;
    {
      std::unique_lock lock(shared->mutex);
      shared->changed.wait_for(lock, std::chrono::duration<double>(kPollPeriodS));
      // A process stopped for a while (Ctrl-Z, a scheduler's suspend) wakes to a long silence
      // that is no GPU's: the watch takes the stop out of the test's time.
      shared->watch.poll(shared->elapsed_s(), times_continued());
      if (interrupt_requested()) shared->watch.interrupted();
      const double now_s = shared->watch.now_s();
      waiting = false;
      for (std::size_t i = 0; i < gpus.size(); ++i) {
        if (hung[i]) continue;
        doc.memtest->devices[i] = shared->devices[i];
        if (shared->returned[i]) {
          // Its final state is written at once: a GPU still running may yet hang.
          if (!saved_return[i]) save_now = true;
          saved_return[i] = 1;
          continue;
        }
        if (const std::string why = shared->watch.silence(i); !why.empty()) {
          hung[i] = 1;
          doc.memtest->devices[i].failure = "no response: " + why;
          doc.memtest->devices[i].seconds = now_s;
          to_print.push_back(i);
          continue;
        }
        waiting = true;
        if (shared->reports[i] > printed[i]) {
          printed[i] = shared->reports[i];
          to_print.push_back(i);
        }
      }
    }
    for (const std::size_t i : to_print) {
      const MemtestDevice& d = doc.memtest->devices[i];
      fmt::print("  {} pass {} of {}: {} bad words, {:.0f} s{}\n", d.device, d.passes,
                 memtest_size_text(d, 1), d.bad_words, d.seconds, hung[i] ? ": " + d.failure : "");
    }
    if (!to_print.empty()) std::fflush(stdout);
    if (!to_print.empty() || save_now) save();
  }
  // A thread waiting on a hung GPU is left behind; so is that GPU's health, where an NVML call
  // could block as well.
  std::vector<std::string> unresponsive;
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    if (!hung[i]) {
      threads[i].join();
      continue;
    }
    leave_running(threads[i]);
    unresponsive.push_back(doc.memtest->devices[i].device);
  }
  // With ECC on, the test reads corrected words: the counts are what show those errors.
  if (unresponsive.empty()) {
    compare_memory_errors(*doc.memtest, gpus, doc.environment.health.value_or(MachineHealth{}),
                          collect_health(inventory));
  } else {
    for (MemtestDevice& d : doc.memtest->devices) {
      d.ecc_not_compared = fmt::format(
          "the health facts were not read again: {} stopped responding, and reading them could "
          "block as well",
          fmt::join(unresponsive, ", "));
    }
  }
  bool any_bad = false;
  for (const MemtestDevice& d : doc.memtest->devices) {
    fmt::print("{:<5} {:<10} {} ({:.1f} GiB free), {} passes in {:.1f} s, {} bad words{}\n",
               d.device, d.verdict(), memtest_size_text(d, 1),
               static_cast<double>(d.free_bytes) / kGiB, d.passes, d.seconds, d.bad_words,
               d.completed() ? "" : ": " + d.incomplete_reason());
    for (const FactRise& r : d.memory_error_rises) {
      fmt::print("      {} rose from {} to {} during the test\n", r.fact,
                 fact_text(HealthFact::of(r.before)), fact_text(HealthFact::of(r.after)));
    }
    if (!d.ecc_not_compared.empty()) fmt::print("      note: {}\n", d.ecc_not_compared);
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
  cmd->add_option("--gpus", opt->gpus, std::string(kGpusHelp))->capture_default_str();
  auto* size =
      cmd->add_option("--size-gib", opt->size_gib, "GiB to test on each GPU (not with --fraction)");
  cmd->add_option("--fraction", opt->fraction,
                  "the fraction of free memory to test (not with --size-gib)")
      ->check(number_in(0.01, 0.99))
      ->capture_default_str()
      ->excludes(size);
  cmd->add_option("--duration", opt->duration,
                  "time box per GPU from its allocation: seconds, or with s, m or h; no new step "
                  "starts after it once a pass of every pattern is complete; 1 s to 7 days")
      ->capture_default_str();
  cmd->add_option("--seed", opt->seed, "seed of the random pattern (0 to 2^64 - 1)")
      ->capture_default_str()
      ->check(seed_number());
  cmd->add_option("--out", opt->out, std::string(kOutHelp));
  return {cmd, [opt](const std::vector<std::string>& command_line) {
            return memtest_command(*opt, command_line);
          }};
}

}  // namespace flopbench
