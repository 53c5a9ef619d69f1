#include "harness/measure/aggregate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <future>
#include <latch>

namespace flopbench {
namespace {

// A spin-wait's pause: it lets a sibling hardware thread run and costs the waiter no wake-up.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

// Runs every GPU's kernel at once, one host thread each, and waits for all of them.
class AggregateTrial::ConcurrentKernel final : public Kernel {
 public:
  ConcurrentKernel(std::vector<Kernel*> parts, std::vector<int> gpus)
      : parts_(std::move(parts)), gpus_(std::move(gpus)) {}

  void run() override {
    // Every GPU is prepared first (Kernel::prepare_run: nothing is left queued ahead of its
    // work), and every thread is started and spinning at the gate before the clock starts, so
    // that neither thread start-up nor a wake-up from sleep is timed and every GPU is released
    // at once. A run's time is the host's, from the gate to the last GPU's end, or the slowest
    // GPU's event time if that is longer: the GPUs' events cannot be compared with each other,
    // and the host interval never claims more overlap than there was.
    for (Kernel* part : parts_) part->prepare_run();
    std::latch ready(static_cast<std::ptrdiff_t>(parts_.size()));
    enum Gate { closed, open, abandoned };
    std::atomic<Gate> gate{closed};
    std::vector<std::future<void>> running;
    running.reserve(parts_.size());
    try {
      for (Kernel* part : parts_) {
        running.push_back(std::async(std::launch::async, [part, &ready, &gate] {
          ready.count_down();
          Gate g = closed;
          while ((g = gate.load(std::memory_order_acquire)) == closed) cpu_relax();
          if (g == open) part->run();
        }));
      }
    } catch (...) {
      // A thread that could not be started: those that were return without running.
      gate.store(abandoned, std::memory_order_release);
      throw;
    }
    ready.wait();
    const auto start = std::chrono::steady_clock::now();
    gate.store(open, std::memory_order_release);
    // Every thread is waited for before a failure is passed on.
    for (auto& r : running) r.wait();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rethrow_failures(running, gpus_);
    for (const Kernel* part : parts_) {
      if (const auto s = part->device_seconds_of_last_run()) seconds = std::max(seconds, *s);
    }
    seconds_ = seconds;
  }

  std::optional<double> device_seconds_of_last_run() const override { return seconds_; }

  // The GPUs' failures, if any. A lost CUDA context is what matters most (the runner skips
  // that GPU's later work), so where any GPU lost its context the error names those GPUs, by the
  // thread that ran each (which the error itself may not know), with every GPU's failure;
  // otherwise the first failure is passed on, a GPU error with its GPU named.
  static void rethrow_failures(std::vector<std::future<void>>& running,
                               const std::vector<int>& gpus) {
    std::exception_ptr first;
    std::string first_gpu_error;  // the first failure's text, where it is a GPU error
    std::vector<int> lost;
    std::vector<std::string> failures;
    for (std::size_t i = 0; i < running.size(); ++i) {
      try {
        running[i].get();
      } catch (const std::exception& e) {
        const auto* gpu_error = dynamic_cast<const GpuError*>(&e);
        if (gpu_error && gpu_error->context_lost()) lost.push_back(gpus[i]);
        failures.push_back(fmt::format("gpu{}: {}", gpus[i], e.what()));
        if (!first) {
          first = std::current_exception();
          if (gpu_error) first_gpu_error = failures.back();
        }
      } catch (...) {
        if (!first) first = std::current_exception();
      }
    }
    if (!lost.empty()) throw GpuError(fmt::format("{}", fmt::join(failures, "; ")), true, lost);
    if (!first_gpu_error.empty()) throw GpuError(first_gpu_error, false);
    if (first) std::rethrow_exception(first);
  }

  std::vector<std::string> notes() const override {
    std::vector<std::string> notes = {
        fmt::format("{} GPUs at once ({}): FLOPs summed; time from a common start until the last "
                    "GPU is done",
                    parts_.size(), gpu_labels(gpus_, ", "))};
    // A note every GPU's kernel gives alike, once; one that differs (each GPU's cuBLASLt picks
    // its own algorithm) for each GPU, with its label.
    std::vector<std::vector<std::string>> of_each;
    for (const Kernel* part : parts_) of_each.push_back(part->notes());
    for (std::size_t i = 0; i < parts_.size(); ++i) {
      for (const std::string& note : of_each[i]) {
        const bool everywhere = std::ranges::all_of(of_each, [&](const auto& gpu_notes) {
          return std::ranges::find(gpu_notes, note) != gpu_notes.end();
        });
        if (!everywhere) {
          notes.push_back(fmt::format("gpu{}: {}", gpus_[i], note));
        } else if (i == 0) {
          notes.push_back(note);
        }
      }
    }
    return notes;
  }

  bool may_use_fp64_tensor_cores() const override {
    return std::any_of(parts_.begin(), parts_.end(),
                       [](const auto& p) { return p->may_use_fp64_tensor_cores(); });
  }

 private:
  std::vector<Kernel*> parts_;  // owned by the trials
  std::vector<int> gpus_;       // parts_[i] runs on gpus_[i]
  std::optional<double> seconds_;
};

AggregateTrial::AggregateTrial(const std::vector<int>& gpus,
                               const std::function<std::unique_ptr<Trial>(int gpu)>& make)
    : gpus_(gpus) {
  if (gpus.empty()) throw std::logic_error("AggregateTrial: no GPUs");
  std::vector<Kernel*> parts;
  for (const int gpu : gpus) {
    auto& trial = trials_.emplace_back(make(gpu));
    flops_ += trial->flops();
    parts.push_back(&trial->kernel());
  }
  kernel_ = std::make_unique<ConcurrentKernel>(std::move(parts), gpus);
}

// Each GPU's output of its first run, which ran with every other GPU's at once (shared power,
// cooling and host: what the aggregate is for): the worst of them, or the first wrong one.
Verification AggregateTrial::verify() {
  Verification worst;
  for (std::size_t i = 0; i < trials_.size(); ++i) {
    const Verification v = trials_[i]->verify();
    if (i == 0 || v.error_ratio > worst.error_ratio || !v.passed) {
      worst = v;
      worst.method =
          fmt::format("gpu{}'s output of the first run of {} GPUs at once, the worst: {}", gpus_[i],
                      trials_.size(), v.method);
    }
    if (!v.passed) break;
  }
  return worst;
}

AggregateTrial::~AggregateTrial() = default;

Kernel& AggregateTrial::kernel() { return *kernel_; }

}  // namespace flopbench
