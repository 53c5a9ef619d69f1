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
  ConcurrentKernel(std::vector<Kernel*> parts, std::string gpus)
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
    rethrow_failures(running);
    for (const Kernel* part : parts_) {
      if (const auto s = part->device_seconds_of_last_run()) seconds = std::max(seconds, *s);
    }
    seconds_ = seconds;
  }

  std::optional<double> device_seconds_of_last_run() const override { return seconds_; }

  // The first failure of the GPUs' runs, if any. Where more than one GPU lost its CUDA context,
  // the error says so and names no one device, so that the runner marks every GPU of the
  // measurement as lost, not only the first.
  static void rethrow_failures(std::vector<std::future<void>>& running) {
    std::exception_ptr first;
    std::vector<std::string> lost;
    for (auto& r : running) {
      try {
        r.get();
      } catch (const GpuError& e) {
        if (e.context_lost()) lost.push_back(e.what());
        if (!first) first = std::current_exception();
      } catch (...) {
        if (!first) first = std::current_exception();
      }
    }
    if (lost.size() > 1) throw GpuError(fmt::format("{}", fmt::join(lost, "; ")), true);
    if (first) std::rethrow_exception(first);
  }

  std::vector<std::string> notes() const override {
    std::vector<std::string> notes = {
        fmt::format("{} GPUs at once ({}): FLOPs summed; time from a common start until the last "
                    "GPU is done",
                    parts_.size(), gpus_)};
    for (const auto& note : parts_.front()->notes()) notes.push_back(note);
    return notes;
  }

  bool may_use_fp64_tensor_cores() const override {
    return std::any_of(parts_.begin(), parts_.end(),
                       [](const auto& p) { return p->may_use_fp64_tensor_cores(); });
  }

 private:
  std::vector<Kernel*> parts_;  // owned by the trials
  std::string gpus_;
  std::optional<double> seconds_;
};

AggregateTrial::AggregateTrial(const std::vector<int>& gpus,
                               const std::function<std::unique_ptr<Trial>(int gpu)>& make) {
  if (gpus.empty()) throw std::logic_error("AggregateTrial: no GPUs");
  std::vector<Kernel*> parts;
  std::vector<std::string> names;
  for (const int gpu : gpus) {
    auto& trial = trials_.emplace_back(make(gpu));
    trial->kernel().run();
    const Verification v = trial->verify();
    if (parts.empty() || v.error_ratio > verification_.error_ratio || !v.passed) {
      verification_ = v;
      verification_.method = fmt::format("gpu{}'s own first run, the worst of {} GPUs: {}", gpu,
                                         gpus.size(), v.method);
    }
    flops_ += trial->flops();
    parts.push_back(&trial->kernel());
    names.push_back(fmt::format("gpu{}", gpu));
    if (!v.passed) break;  // the measurement is incorrect: the other GPUs need not be set up
  }
  kernel_ = std::make_unique<ConcurrentKernel>(std::move(parts),
                                               fmt::format("{}", fmt::join(names, ", ")));
}

AggregateTrial::~AggregateTrial() = default;

Kernel& AggregateTrial::kernel() { return *kernel_; }

}  // namespace flopbench
