#include "harness/measure/runner.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <new>
#include <optional>
#include <thread>
#include <utility>

#include "harness/machine/clock.hpp"
#include "harness/machine/load_sampler.hpp"
#include "harness/machine/peak_model.hpp"
#include "harness/machine/probe.hpp"
#include "harness/machine/telemetry.hpp"
#include "harness/measure/aggregate.hpp"
#include "harness/measure/interrupts.hpp"

namespace flopbench {
namespace {

using Clock = std::chrono::steady_clock;

// How long a measurement waits for the threads of the one before to come to rest: longer than
// the longest spin OpenBLAS can be told to keep up (2^30 TSC cycles, 0.5 s at 2 GHz).
constexpr double kOwnThreadsRestLimitS = 1.0;
// The error a sample cut short or not started by its SampleCutoff reports: no failure, the end of
// sampling.
constexpr const char* kSampleCut = "sample cut short";
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Receives Google Benchmark's per-repetition runs: one sample each.
class SampleCollector final : public benchmark::BenchmarkReporter {
 public:
  std::vector<double> samples, host_wall;
  // Per sample, the share of its time that our threads waited for a CPU (process_run_delay_s);
  // cleared for good when a sample could not read it.
  std::vector<double> waited;
  bool waited_known = true;
  // Over the samples of a CPU measurement whose threads' clocks could be read: this process's
  // CPU time, its threads' waits for a CPU (unknown where a sample lacks them), and the time over
  // which they were read.
  double cpu_s = 0, cpu_waited_s = 0, cpu_window_s = 0;
  bool cpu_waits_known = true;
  std::int64_t iterations = 0;  // of the last sample
  double measured_s = 0;        // the time of every run of every sample
  // The samples that lasted less than `min_sample_s` (their runs faster than those they were
  // sized from), and the shortest of them.
  double min_sample_s = 0;
  int short_samples = 0;
  double shortest_sample_s = std::numeric_limits<double>::infinity();
  std::string error;
  // A sample cut short (SampleCutoff): how long its runs had taken, and what it was sized for.
  std::optional<std::pair<double, double>> cut_s;
  // What a failing run threw, passed on once sampling ends: a GpuError keeps its type, so that
  // a context lost during the samples marks its GPU as lost (measure()).
  std::exception_ptr failure;

  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration) continue;  // GB's own aggregates: we pool samples
      if (failed(run)) {
        if (run.error_message != kSampleCut) error = run.error_message;
        continue;
      }
      const double per_run = run.real_accumulated_time / static_cast<double>(run.iterations);
      samples.push_back(per_run);
      measured_s += run.real_accumulated_time;
      if (run.real_accumulated_time < min_sample_s) {
        ++short_samples;
        shortest_sample_s = std::min(shortest_sample_s, run.real_accumulated_time);
      }
      const auto host = run.counters.find("host_wall_s");
      host_wall.push_back(host != run.counters.end() ? host->second.value : per_run);
      const auto wait = run.counters.find("waited_s");
      if (wait == run.counters.end() || run.real_accumulated_time <= 0) waited_known = false;
      if (waited_known) waited.push_back(wait->second.value / run.real_accumulated_time);
      const auto cpu = run.counters.find("cpu_s");
      const auto window = run.counters.find("cpu_window_s");
      if (cpu != run.counters.end() && window != run.counters.end()) {
        cpu_s += cpu->second.value;
        cpu_window_s += window->second.value;
        if (wait == run.counters.end()) cpu_waits_known = false;
        if (cpu_waits_known) cpu_waited_s += wait->second.value;
      }
      iterations = run.iterations;
    }
  }

 private:
  // Google Benchmark 1.8 replaced error_occurred with skipped.
  template <class R>
  static bool failed(const R& run) {
    if constexpr (requires { run.error_occurred; }) {
      return run.error_occurred;
    } else {
      return static_cast<bool>(run.skipped);
    }
  }
};

// Google Benchmark reads its settings from BENCHMARK_* environment variables where no flag
// gives them: a BENCHMARK_FILTER set for another program would run no sample, a BENCHMARK_OUT
// would write a file of its own. Flags override the environment, so each setting the runner
// relies on is given as one.
void ensure_benchmark_initialised() {
  static const bool once = [] {
    std::vector<std::string> args = {"flopbench",
                                     "--benchmark_filter=.",
                                     "--benchmark_list_tests=false",
                                     "--benchmark_out=",
                                     "--benchmark_perf_counters=",
                                     "--benchmark_enable_random_interleaving=false",
                                     "--benchmark_repetitions=1",
                                     "--benchmark_report_aggregates_only=false",
                                     "--benchmark_display_aggregates_only=false",
                                     "--benchmark_min_warmup_time=0"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int argc = static_cast<int>(args.size());
    benchmark::Initialize(&argc, argv.data());
    return true;
  }();
  (void)once;
}

// How a measurement's runs are timed: the host's clock around a CPU kernel's run or around a GPU
// run from host memory to host memory, or the GPU's own events.
std::string timing_of(bool on_gpu, std::optional<HostMemory> end_to_end) {
  if (!end_to_end) return on_gpu ? "device_events" : "host_real_time";
  switch (*end_to_end) {
    case HostMemory::pinned:
      return "end_to_end_pinned";
    case HostMemory::pageable:
      return "end_to_end_pageable";
  }
  throw std::logic_error("unknown host memory");
}

// One run: the kernel's own, or end to end from host memory.
void run_once(Kernel& kernel, std::optional<HostMemory> end_to_end) {
  if (end_to_end) {
    kernel.run_end_to_end(*end_to_end);
  } else {
    kernel.run();
  }
}

// This process's threads' CPU clocks, and the moment they were read: the middle of the reading,
// which lists the threads and reads a clock each.
struct ThreadClocks {
  std::map<int, double> cpu_s;
  Clock::time_point at;
};
std::optional<ThreadClocks> read_thread_clocks() {
  const auto start = Clock::now();
  auto cpu_s = own_threads_cpu_s();
  if (!cpu_s) return std::nullopt;
  return ThreadClocks{std::move(*cpu_s), start + (Clock::now() - start) / 2};
}

// The time limit of a sized round (its batches of runs sized from the samples before): a sample
// does not start past the limit, and one under way past it is cut short once its runs have taken
// kCutFactor times what its batch was sized for: runs that a co-tenant slowed as they ran (an
// Eigen dot of 97 elements sized at 2766 runs a sample went from microseconds to milliseconds a
// run on a busy 2-core VM, one sample taking 17 s against a 2 s limit). The cut sample is not
// counted; the samples before it stand. Within the time limit, or at its last run, a sample runs
// to its end.
constexpr double kCutFactor = 4;
struct SampleCutoff {
  Clock::time_point limit_at;
  double sized_s;  // its runs' expected time
};

// Watches the time limit of a measurement's sized rounds from a thread of its own, so that a
// sample whose runs slowed is cut at the end of the run during which its cut fell due, though a
// host-timed sample reads its clock only at its first and last run. The loop pays one relaxed
// load a run. No sample starts past the limit, so the thread watches at most the one under way
// when the limit passes. It lives as long as the measurement's load sampler, beside which a
// thread that ended would cost the exact CPU time of this process's threads.
class SampleCutWatch {
 public:
  SampleCutWatch() : thread_([this] { watch(); }) {}
  SampleCutWatch(const SampleCutWatch&) = delete;
  SampleCutWatch& operator=(const SampleCutWatch&) = delete;
  ~SampleCutWatch() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  // A sized round starts, with `cutoff`, or (nullopt) one that is never cut, or none.
  void arm(std::optional<SampleCutoff> cutoff) {
    {
      const std::lock_guard lock(mutex_);
      cutoff_ = cutoff;
      ++round_;
      past_limit_ = false;
      started_.reset();
      due_.store(false, std::memory_order_relaxed);
    }
    wake_.notify_one();
  }
  // Whether a sample may start at `t`: not past the round's limit.
  bool begin_sample(Clock::time_point t) {
    const std::lock_guard lock(mutex_);
    if (!cutoff_) return true;
    if (past_limit_ || t > cutoff_->limit_at) return false;
    started_ = t;
    return true;
  }
  void end_sample() {
    {
      const std::lock_guard lock(mutex_);
      started_.reset();
    }
    wake_.notify_one();
  }
  // Whether the sample under way is to be cut: past the limit, its runs have taken kCutFactor
  // times what they were sized for.
  bool due() const { return due_.load(std::memory_order_relaxed); }

 private:
  void watch() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || (cutoff_ && !past_limit_); });
      if (stopping_) return;
      const SampleCutoff cutoff = *cutoff_;
      const std::uint64_t round = round_;
      const auto over = [&] { return stopping_ || round_ != round; };
      if (wake_.wait_until(lock, cutoff.limit_at, over)) continue;
      past_limit_ = true;
      if (!started_) continue;
      const Clock::time_point due_at =
          std::max(cutoff.limit_at,
                   *started_ + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(kCutFactor * cutoff.sized_s)));
      if (!wake_.wait_until(lock, due_at, [&] { return over() || !started_; })) {
        due_.store(true, std::memory_order_relaxed);
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<SampleCutoff> cutoff_;
  std::uint64_t round_ = 0;
  std::optional<Clock::time_point> started_;
  bool past_limit_ = false, stopping_ = false;
  std::atomic<bool> due_{false};
  std::thread thread_;  // last: it starts once the rest is in place
};

// One round of `repetitions` samples through Google Benchmark, each of `iterations` back-to-back
// runs; iterations == 0 lets it choose how many fill min_sample_s. Device-timed work takes its
// time from the kernel's events; end-to-end runs are timed by the host. A CPU measurement's
// samples also count the CPU time its threads used. `watch` cuts its samples by `cutoff`.
void sample_round(Trial& trial, std::optional<HostMemory> end_to_end, bool device_timed,
                  bool on_cpu, double min_sample_s, int repetitions, std::int64_t iterations,
                  std::optional<SampleCutoff> cutoff, SampleCutWatch& watch,
                  SampleCollector& collector) {
  ensure_benchmark_initialised();
  benchmark::ClearRegisteredBenchmarks();
  std::string error;
  watch.arm(cutoff);
  const bool watched = cutoff.has_value();
  auto* bench = benchmark::RegisterBenchmark("measurement", [&, watched](benchmark::State& state) {
    double host_total = 0;
    // Outside the timed loop: reading the threads' schedstat and clocks takes some 100 us.
    const std::optional<double> waited_before = process_run_delay_s();
    const auto clocks_before = on_cpu ? read_thread_clocks() : std::nullopt;
    // Google Benchmark times a host-timed sample around all its runs; our clock, read around each
    // run as well, would add its cost (some 25 ns a reading, two a run) to each: a third of a
    // 16x16x16 OpenBLAS GEMM. It is read as the sample starts and at its last run, for the host's
    // time. A device-timed run is read around each: its host time (launch and wait) is not in the
    // sample, which the GPU's events time.
    Clock::time_point first_start;
    benchmark::IterationCount runs = 0;
    for (auto _ : state) {
      if (interrupt_requested()) {
        state.SkipWithError("interrupted");
        break;
      }
      Clock::time_point t0;
      if (runs == 0 || device_timed) {
        t0 = Clock::now();
        if (runs == 0) first_start = t0;
        // Not started past the limit; and once a sample of the round was cut, neither are the
        // rest.
        if (watched && runs == 0 && (collector.cut_s || !watch.begin_sample(t0))) {
          state.SkipWithError(kSampleCut);
          break;
        }
      }
      try {
        run_once(trial.kernel(), end_to_end);
      } catch (const std::exception& e) {
        error = e.what();
        collector.failure = std::current_exception();
        state.SkipWithError(error.c_str());
        break;
      }
      ++runs;
      if (watched && watch.due() && runs < state.max_iterations) {
        collector.cut_s = {std::chrono::duration<double>(Clock::now() - first_start).count(),
                           cutoff->sized_s};
        state.SkipWithError(kSampleCut);
        break;
      }
      if (device_timed) {
        host_total += std::chrono::duration<double>(Clock::now() - t0).count();
        state.SetIterationTime(trial.kernel().device_seconds_of_last_run().value_or(0));
      } else if (runs == state.max_iterations) {
        host_total = std::chrono::duration<double>(Clock::now() - first_start).count();
      }
    }
    if (watched) watch.end_sample();
    if (const auto clocks_after = clocks_before ? read_thread_clocks() : std::nullopt) {
      if (const auto used = cpu_s_between(clocks_before->cpu_s, clocks_after->cpu_s)) {
        state.counters["cpu_s"] = *used;
        state.counters["cpu_window_s"] =
            std::chrono::duration<double>(clocks_after->at - clocks_before->at).count();
      }
    }
    state.counters["host_wall_s"] =
        benchmark::Counter(host_total, benchmark::Counter::kAvgIterations);
    const std::optional<double> waited_after = process_run_delay_s();
    if (waited_before && waited_after) {
      // A thread that ended during the sample takes its delays out of the sum.
      state.counters["waited_s"] = std::max(0.0, *waited_after - *waited_before);
    }
  });
  if (device_timed) {
    bench->UseManualTime();
  } else {
    bench->UseRealTime();
  }
  bench->Repetitions(repetitions);
  if (iterations > 0) {
    bench->Iterations(iterations);
  } else {
    bench->MinTime(min_sample_s);
  }
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::ClearRegisteredBenchmarks();
  watch.arm(std::nullopt);
}

std::string describe_failure(const Verification& v) {
  return fmt::format("wrong result: error {:.3g} exceeds the allowed {:.3g} ({:.3g}x); {}",
                     v.max_error, v.tolerance, v.error_ratio, v.method);
}

// The peak of the GPUs a measurement ran on, for the path it took (FP64 tensor cores or not);
// the sum of their peaks for the machine aggregate.
Peak gpu_peak_of(const Environment& env, const std::vector<int>& gpus, Precision precision,
                 bool fp64_tensor_cores) {
  Peak total{0.0, ""};
  std::vector<std::string> bases;
  for (const int index : gpus) {
    const GpuDevice* d = env.gpu.find(index);
    if (!d) return {std::nullopt, fmt::format("gpu{} is not in the inventory", index)};
    const Peak p = gpu_peak(*d, precision, fp64_tensor_cores);
    if (!p.gflops) return p;
    *total.gflops += *p.gflops;
    bases.push_back(gpus.size() > 1 ? fmt::format("gpu{}: {}", index, p.basis) : p.basis);
  }
  total.basis = gpus.size() > 1
                    ? fmt::format("sum of {} GPUs: {}", gpus.size(), fmt::join(bases, "; "))
                    : bases.front();
  return total;
}

void derive_rates(MeasurementRecord& r, const Environment& env, bool fp64_tensor_cores,
                  std::optional<bool> amx) {
  if (!r.stats || r.stats->median <= 0) return;
  if (r.flops > 0) r.gflops = r.flops / r.stats->median / 1e9;
  if (r.bytes > 0) r.gbytes_per_s = r.bytes / r.stats->median / 1e9;
  const WorkloadInfo& w = r.workload_info();
  switch (w.bound) {
    case Bound::bandwidth:
      r.peak = {std::nullopt, std::string(w.bandwidth_basis)};
      return;
    case Bound::compute:
      break;
  }
  r.peak = r.device.on_gpu() ? gpu_peak_of(env, r.device.gpus, r.precision, fp64_tensor_cores)
                             : cpu_peak(env.cpu, r.precision, r.threads, amx);
  // An end-to-end time includes the transfers and the launch, which no arithmetic peak bounds.
  if (r.peak.gflops && r.gflops && !r.timing.starts_with("end_to_end"))
    r.percent_of_peak = 100.0 * *r.gflops / *r.peak.gflops;
}

// What the threads of a CPU measurement did during its samples, in CPUs over the samples' time:
// kept them busy, and waited for one (unknown where the run-queue delays could not be read).
struct ThreadsUse {
  double busy = 0;
  std::optional<double> waiting;
};

// Returns, for a CPU measurement, what its threads did during the samples.
std::optional<ThreadsUse> sample(Trial& trial, std::optional<HostMemory> end_to_end,
                                 bool device_timed, bool on_cpu, const StoppingRule& rule,
                                 double min_sample_s, SampleCutWatch& watch, MeasurementRecord& r) {
  // Device-timed samples must also be steady. A GPU settling into its power cap gives samples
  // that rise at a low CV: an H200's cuBLAS DGEMM at 8192 went from 17.7 to 18.7 ms over the
  // quick profile's five samples (CV 2.5 %), and their median was 4 % above the sustained
  // rate. CPU samples on a shared VM wander without a trend; their spread is the CV's business,
  // and co-tenants the contention sampler's.
  StoppingRule applied = rule;
  if (device_timed) applied.max_drift = rule.target_cv / 2;
  SampleCollector collector;
  collector.min_sample_s = min_sample_s;
  const auto start = Clock::now();
  sample_round(trial, end_to_end, device_timed, on_cpu, min_sample_s, 1, 0, std::nullopt, watch,
               collector);
  for (;;) {
    if (collector.error.empty() && collector.samples.empty()) {
      collector.error = "Google Benchmark ran no sample";
    }
    if (!collector.error.empty()) break;
    if (const auto cut = collector.cut_s) {
      r.stopping_rule = "time_limit";
      r.notes.push_back(fmt::format(
          "a sample was cut short past the time limit: its runs had taken {:.3g} s, {:.0f} times "
          "the {:.3g} s they were sized for from the samples before (slowed as they ran: a "
          "co-tenant?); it is not counted",
          cut->first, cut->first / cut->second, cut->second));
      break;
    }
    const auto elapsed = seconds_since(start);
    r.stopping_rule = stopping_reason(applied, collector.samples, collector.measured_s, elapsed);
    if (!r.stopping_rule.empty()) break;
    const int taken = static_cast<int>(collector.samples.size());
    int repetitions =
        taken < rule.min_samples ? rule.min_samples - taken : std::max(1, rule.min_samples / 2);
    repetitions = std::min(repetitions, rule.max_samples - taken);
    // Runs per sample are sized afresh each round from the fastest run so far: runs that got
    // faster after the first round (warm caches, a clock ramping up) would otherwise make
    // samples shorter than the minimum. A tenth to spare, as a later sample's runs can be
    // faster still (a CPU peak's, by 8 % on a shared VM); one shorter still is noted.
    constexpr double kSizingHeadroom = 1.1;
    const double fastest = std::ranges::min(collector.samples);
    const std::int64_t iterations =
        fastest > 0
            ? std::max<std::int64_t>(
                  1, static_cast<std::int64_t>(std::ceil(kSizingHeadroom * min_sample_s / fastest)))
            : collector.iterations;
    // Do not overrun the time limit by more than one sample.
    const double per_sample =
        compute_statistics(collector.samples).median * static_cast<double>(iterations);
    if (per_sample > 0) {
      const auto fit = static_cast<int>((rule.time_limit_s - elapsed) / per_sample);
      repetitions = std::clamp(fit, 1, repetitions);
    }
    // The host's time of a device-timed run includes its launch and wait.
    const double sized_s =
        std::max(fastest, std::ranges::min(collector.host_wall)) * static_cast<double>(iterations);
    std::optional<SampleCutoff> cutoff;
    if (sized_s > 0) {
      cutoff = SampleCutoff{start + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(rule.time_limit_s)),
                            sized_s};
    }
    sample_round(trial, end_to_end, device_timed, on_cpu, min_sample_s, repetitions, iterations,
                 cutoff, watch, collector);
  }
  r.samples_s = collector.samples;
  r.host_wall_s = collector.host_wall;
  if (collector.waited_known) r.samples_waited = collector.waited;
  r.iterations_per_sample = collector.iterations;
  if (!collector.error.empty()) {
    if (collector.error == "interrupted") {
      r.stopping_rule = "interrupted";
    } else {
      if (collector.failure) std::rethrow_exception(collector.failure);
      r.disposition = Disposition::failed;
      r.reason = collector.error;
      return std::nullopt;
    }
  }
  if (r.samples_s.empty()) {
    r.disposition = Disposition::skipped;
    r.reason = "interrupted before the first sample";
    return std::nullopt;
  }
  r.stats = compute_statistics(r.samples_s);
  r.disposition = Disposition::passed;
  if (collector.short_samples > 0) {
    r.notes.push_back(fmt::format(
        "{} of {} samples lasted less than the {:.3g} ms minimum (the shortest {:.3g} ms): their "
        "runs were faster than the fastest before them, from which they were sized",
        collector.short_samples, r.samples_s.size(), 1e3 * min_sample_s,
        1e3 * collector.shortest_sample_s));
  }
  if (const double drift = drift_of(r.samples_s); std::abs(drift) > applied.max_drift) {
    r.notes.push_back(fmt::format(
        "{} ({}): the later half's median {:+.1f} % from the earlier half's (a clock or power "
        "limit settling?)",
        kStillDriftingNote, r.stopping_rule, 100 * drift));
  }
  if (collector.cpu_window_s <= 0) return std::nullopt;
  const double window_s = collector.cpu_window_s;
  return ThreadsUse{
      collector.cpu_s / window_s,
      collector.cpu_waits_known ? std::optional(collector.cpu_waited_s / window_s) : std::nullopt};
}

std::vector<GpuDevice> devices_of(const Environment& env, const std::vector<int>& gpus) {
  std::vector<GpuDevice> devices;
  for (const int index : gpus) {
    if (const GpuDevice* d = env.gpu.find(index)) devices.push_back(*d);
  }
  return devices;
}

// GPU `gpu`'s NUMA node's CPUs (HeldNearGpu): pinned host memory is allocated, and pageable
// memory first touched, on the node of the thread that asks for it, the driver copies pageable
// memory on the calling thread, and a copy between a GPU and the other socket's memory crosses
// the link between the sockets. "" where the GPU or its node is unknown.
std::string_view local_cpus_of(const Environment& env, int gpu) {
  const GpuDevice* d = env.gpu.find(gpu);
  return d ? std::string_view(d->local_cpus) : std::string_view();
}

std::vector<GpuTelemetry> read_telemetry(const Environment& env, const std::vector<int>& gpus) {
  TelemetrySource* source = gpus.empty() ? nullptr : gpu_telemetry();
  if (!source) return {};
  return source->read(devices_of(env, gpus));
}

// Samples with the load sampler running beside them: the machine's load and GPU telemetry
// during the samples go into the record.
void sample_watched(Trial& trial, bool on_gpu, std::optional<HostMemory> end_to_end,
                    const StoppingRule& rule, double min_sample_s, const Environment& env,
                    MeasurementRecord& r) {
  const std::vector<int>& gpus = r.device.gpus;
  // GPU work keeps a host thread busy per GPU (the machine aggregate runs one for each).
  const int cpus_in_use = on_gpu ? std::max(1, static_cast<int>(gpus.size())) : r.threads;
  const bool device_timed = on_gpu && !end_to_end;
  // Started before the load sampler and ended after it, as its reading of our threads needs.
  SampleCutWatch cut_watch;
  LoadSampler sampler(cpus_in_use, gpus.empty() ? nullptr : gpu_telemetry(), devices_of(env, gpus));
  const double cpus_may_use = cpus_this_process_may_use();
  const std::optional<ThreadsUse> use =
      sample(trial, end_to_end, device_timed, !on_gpu, rule, min_sample_s, cut_watch, r);
  LoadSampler::Result during = sampler.stop();
  r.load = during.load;
  if (use) {
    if (!r.load) r.load = MachineLoad{};
    r.load->busy = use->busy;
  }
  // Samples shorter than one interval of /proc/stat have no reading of it; their waits tell. A
  // device-timed sample's waits are the host's, over the GPU's time: they do not judge it.
  if (!r.samples_waited.empty() && !device_timed) {
    if (!r.load) r.load = MachineLoad{};
    add_sample_waits(*r.load, r.samples_waited, cpus_in_use - cpus_may_use);
  }
  // Judged with every figure: the waits, over the same time as the CPU time, and a reading of
  // /proc/stat for the steal, which a thread's clock leaves out (samples shorter than one
  // interval have none, and are not judged).
  if (use && use->waiting && r.load->readings > 0 && r.threads >= 2) {
    r.load->fewer_threads = ran_on_fewer_threads(
        use->busy + *use->waiting, r.load->steal_cpus.median, r.threads, cpus_may_use);
  }
  r.telemetry_during = std::move(during.gpus);
}

}  // namespace

std::string throttle_note(const MeasurementRecord& r) {
  std::vector<std::string> findings;
  const auto scan = [&](const std::vector<GpuTelemetry>& readings, std::string_view when) {
    for (const auto& t : readings) {
      if (!t.throttled) continue;
      std::vector<std::string> reasons;
      for (const auto& reason : t.clock_event_reasons) {
        if (is_throttling_reason(reason)) reasons.push_back(reason);
      }
      findings.push_back(fmt::format("{} {} ({})", t.device, fmt::join(reasons, "+"), when));
    }
  };
  scan(r.telemetry_before, "before");
  for (const auto& t : r.telemetry_during) {
    if (t.throttled_readings == 0) continue;
    findings.push_back(fmt::format("{} {} (during: {} of {} readings)", t.device,
                                   fmt::join(t.throttling_reasons, "+"), t.throttled_readings,
                                   t.readings));
  }
  scan(r.telemetry_after, "after");
  return findings.empty() ? "" : fmt::format("throttled: {}", fmt::join(findings, ", "));
}

std::string power_cap_note(const MeasurementRecord& r) {
  std::vector<std::string> findings;
  const auto scan = [&](const std::vector<GpuTelemetry>& readings, std::string_view when) {
    for (const auto& t : readings) {
      if (at_power_cap(t)) findings.push_back(fmt::format("{} ({})", t.device, when));
    }
  };
  scan(r.telemetry_before, "before");
  for (const auto& t : r.telemetry_during) {
    if (t.power_capped_readings == 0) continue;
    findings.push_back(fmt::format("{} (during: {} of {} readings)", t.device,
                                   t.power_capped_readings, t.readings));
  }
  scan(r.telemetry_after, "after");
  return findings.empty() ? "" : fmt::format("power cap: {}", fmt::join(findings, ", "));
}

std::string contention_note(const MeasurementRecord& r) {
  return r.contended() ? "contended: " + contention_figures(*r.load) : "";
}

std::string fewer_threads_note(const MeasurementRecord& r) {
  if (!r.ran_on_fewer_threads()) return "";
  return fmt::format(
      "fewer threads: its {} threads kept {:.2f} CPUs busy during the samples, under three "
      "quarters of the CPUs they could use (the fewer of the threads and the CPUs this process "
      "may use) even with their waits for a CPU and the hypervisor's steal added: the "
      "implementation ran on fewer threads than it was given, or left some idle, so the figure "
      "is that of fewer",
      r.threads, r.load->busy.value_or(0));
}

std::string above_peak_note(const MeasurementRecord& r, const CpuInventory& cpu) {
  if (!r.percent_of_peak || *r.percent_of_peak <= 100) return "";
  const double excess = *r.percent_of_peak - 100;
  const std::string above = fmt::format("{}{:.1f} %", MeasurementRecord::kAbovePeak, excess);
  if (!r.device.on_gpu() && r.peak.bound_by_cpu_quota()) {
    return above +
           ": the peak is the cgroup CPU quota's, which the kernel enforces over each of its "
           "periods (100 ms by default), and samples shorter than a period can run on all of the "
           "measurement's threads between the throttled spells";
  }
  // A clock that moved by less than half the excess does not explain it: the model counts less
  // FMA width than the cores have. (A hypervisor's generic CPU model, QEMU's "EPYC" of family
  // 0x17 model 1 on a Zen 2 or 3 host, names a core with half their FMA width.)
  const bool clock_held = r.clock_after_ghz && cpu.clock_ghz && excess >= 25 &&
                          *r.clock_after_ghz < *cpu.clock_ghz * (1 + excess / 200);
  if (!r.device.on_gpu() && r.peak.assumes_measured_clock() && clock_held) {
    return above + fmt::format(
                       ", while the clock measured after it ({:.2f} GHz, {:.2f} as the run "
                       "started) moved by far less: the peak model ({}) counts less FMA width a "
                       "core (fewer or narrower units) than these cores have (a hypervisor's "
                       "generic CPU model can name an older core than the host's)",
                       *r.clock_after_ghz, *cpu.clock_ghz, r.peak.basis);
  }
  if (!r.device.on_gpu() && r.peak.assumes_measured_clock()) {
    return above +
           ": the cores ran at least that much faster than the clock the peak assumes, which was "
           "measured once as the run started (a cloud VM's cores change speed from moment to "
           "moment)";
  }
  return above + fmt::format(": the peak model ({}) is too low for this device", r.peak.basis);
}

std::string narrow_vectors_note(const MeasurementRecord& r, const VectorWidth& width,
                                const CpuInventory& cpu) {
  if (r.device.on_gpu() || !r.peak.gflops || width.bits <= 0) return "";
  if (r.precision != Precision::fp32 && r.precision != Precision::fp64) return "";
  const auto reach = vector_reach(cpu, width.bits);
  if (!reach || reach->share >= 1) return "";
  return fmt::format(
      "{}{}-bit ({}), where the peak counts {} x {}-bit FMA units a core: at most {:.0f} % of it "
      "is within reach",
      MeasurementRecord::kNarrowVectors, width.bits, width.chosen_by, reach->units.pipes,
      reach->units.width_bits, std::ceil(100 * reach->share));  // "at most": never understated
}

std::string far_from_gpu_note(const Environment& env, int gpu) {
  const GpuDevice* d = env.gpu.find(gpu);
  if (!d || d->local_cpus.empty()) return "";
  const std::vector<int> local = parse_cpu_list(d->local_cpus), mask = usable_cpus();
  if (mask.empty() || std::ranges::find_first_of(mask, local) != mask.end()) return "";
  return fmt::format(
      "{}this process may not run on gpu{}'s node's CPUs ({}), so its copies cross the link "
      "between the sockets",
      MeasurementRecord::kFarFromGpu, gpu, d->local_cpus);
}

std::string clock_note(const MeasurementRecord& r, const CpuInventory& cpu) {
  if (!r.clock_after_ghz || !cpu.clock_ghz || *cpu.clock_ghz <= 0) return "";
  const double moved = *r.clock_after_ghz / *cpu.clock_ghz - 1;
  if (std::abs(moved) <= kClockMovedFraction) return "";
  // The vector clock runs a thread per core at most (vector_clock_threads).
  const int ran = vector_clock_threads(r.threads, cpu.cores);
  // The run's start measured it on every usable CPU, or as many as the cgroup CPU quota allows.
  const int start_threads = threads_within_quota(cpu.logical_cpus, cpu.quota);
  const int at_start = vector_clock_threads(start_threads, cpu.cores);
  const std::string on =
      ran == r.threads
          ? fmt::format("this measurement's {}", counted(r.threads, "thread"))
          : fmt::format("{} of this measurement's {} threads, one per core,", ran, r.threads);
  const std::string measured = fmt::format(
      "{:.2f} GHz on {} right after its samples, {:+.1f} % from the {:.2f} GHz its peak assumes",
      *r.clock_after_ghz, on, 100 * moved, *cpu.clock_ghz);
  // Fewer busy cores than at the run's start may boost.
  if (ran < at_start) {
    return fmt::format(
        "clock differs: {} (measured on {} as the run started; fewer busy cores can run faster)",
        measured,
        at_start < vector_clock_threads(cpu.logical_cpus, cpu.cores)
            ? fmt::format("{} threads, as many as the cgroup CPU quota allows,", at_start)
        : at_start == cpu.logical_cpus ? fmt::format("all {} CPUs", at_start)
                                       : fmt::format("all {} cores, a thread each,", at_start));
  }
  return fmt::format("clock moved: {} (measured as the run started)", measured);
}

TelemetrySource* gpu_telemetry(std::string* why_not) {
  static std::string reason;
  static const std::unique_ptr<TelemetrySource> source = open_telemetry_source(&reason);
  if (why_not) *why_not = reason;
  return source.get();
}

RunSettings settings_for(Profile profile, std::uint64_t seed) {
  RunSettings s;
  s.seed = seed;
  switch (profile) {
    case Profile::quick:
      s.rule = {.min_samples = 5,
                .max_samples = 20,
                .min_measured_s = 0.05,
                .target_cv = 0.05,
                .time_limit_s = 2};
      s.min_sample_s = 0.005;
      break;
    case Profile::standard:
      s.rule = {.min_samples = 10,
                .max_samples = 100,
                .min_measured_s = 0.5,
                .target_cv = 0.02,
                .time_limit_s = 10};
      s.min_sample_s = 0.02;
      break;
    case Profile::full:
      s.rule = {.min_samples = 20,
                .max_samples = 200,
                .min_measured_s = 2,
                .target_cv = 0.01,
                .time_limit_s = 30};
      s.min_sample_s = 0.05;
      break;
    case Profile::sweep:
      // Many sizes, each briefly: the minimum sample time gives a tiny problem thousands of runs
      // per sample, and the time cap gives a large one a few samples.
      s.rule = {.min_samples = 5,
                .max_samples = 20,
                .min_measured_s = 0.02,
                .target_cv = 0.05,
                .time_limit_s = 0.5};
      s.min_sample_s = 0.002;
      break;
  }
  return s;
}

void apply_measured_ceilings(std::vector<MeasurementRecord>& records) {
  const auto passed = [](const MeasurementRecord& r) {
    return r.disposition == Disposition::passed && r.gflops.has_value();
  };
  for (MeasurementRecord& r : records) {
    if (!passed(r) || r.peak.gflops || r.workload == WorkloadId::peak ||
        r.workload_info().bound != Bound::compute) {
      continue;
    }
    const MeasurementRecord* best = nullptr;
    for (const MeasurementRecord& ceiling : records) {
      if (passed(ceiling) && ceiling.workload == WorkloadId::peak && ceiling.device == r.device &&
          ceiling.precision == r.precision && ceiling.threads == r.threads &&
          (best == nullptr || *ceiling.gflops > *best->gflops)) {
        best = &ceiling;
      }
    }
    if (best == nullptr) continue;
    r.peak = {
        best->gflops,
        fmt::format("{}the peak workload's best rate, {:.1f} GFLOP/s at {} (no theoretical "
                    "peak; {})",
                    Peak::kMeasuredCeiling, *best->gflops, best->problem.label(), r.peak.basis)};
    // As for a theoretical peak (measure()): no arithmetic ceiling bounds an end-to-end time.
    if (!r.timing.starts_with("end_to_end")) r.percent_of_peak = 100.0 * *r.gflops / *r.peak.gflops;
  }
}

void LostGpus::add(int gpu, std::string why) {
  const std::lock_guard lock(mutex_);
  why_.try_emplace(gpu, std::move(why));
}

std::optional<std::string> LostGpus::why(int gpu) const {
  const std::lock_guard lock(mutex_);
  const auto it = why_.find(gpu);
  return it == why_.end() ? std::nullopt : std::optional(it->second);
}

void LostGpus::clear() {
  const std::lock_guard lock(mutex_);
  why_.clear();
}

LostGpus& lost_gpus() {
  static LostGpus lost;
  return lost;
}

MeasurementRecord measure(const MeasurementRequest& req, const RunSettings& settings,
                          const Environment& env) {
  const auto start = Clock::now();
  const Implementation& impl = *req.implementation;
  const WorkloadInfo& w = info(impl.workload);
  const bool on_gpu = impl.spec.device == DeviceKind::gpu;
  const std::vector<int>& gpus = req.device.gpus;
  MeasurementRecord r;
  r.workload = impl.workload;
  r.implementation = impl.name();
  r.device = req.device;
  r.precision = req.precision;
  r.problem = req.problem;
  r.threads = on_gpu ? 0 : omp_get_max_threads();
  r.flops = w.flops(req.problem);
  r.bytes = w.bytes(req.problem, req.precision);
  r.timing = timing_of(on_gpu, req.end_to_end);
  auto finish = [&](Disposition d, std::string reason) {
    r.disposition = d;
    r.reason = std::move(reason);
    r.wall_s = seconds_since(start);
    return r;
  };

  if (const std::string why = impl.unsupported_reason(req.precision); !why.empty()) {
    return finish(Disposition::unsupported, why);
  }
  if (req.device.no_gpu()) {
    return finish(Disposition::unsupported, "no CUDA device: " + env.gpu.no_device_reason);
  }
  if (interrupt_requested()) return finish(Disposition::skipped, "interrupted before it started");
  for (const int gpu : gpus) {
    if (const auto why = lost_gpus().why(gpu)) {
      return finish(Disposition::skipped,
                    fmt::format("gpu{} can run no more CUDA work in this process: {}", gpu, *why));
    }
  }

  r.telemetry_before = read_telemetry(env, gpus);
  bool fp64_tensor_cores = false;
  std::optional<bool> amx;
  std::optional<VectorWidth> vector_width;
  // The thread that drives one GPU runs on the GPU's NUMA node throughout; an aggregate's
  // threads only launch work, and it sets each GPU up from the node of that GPU.
  const HeldNearGpu near_gpu(gpus.size() == 1 ? local_cpus_of(env, gpus.front()) : "");
  try {
    const auto make = [&](int gpu) {
      const HeldNearGpu near(gpus.size() > 1 ? local_cpus_of(env, gpu) : "");
      return impl.make_trial(req.precision, req.problem, settings.seed, gpu);
    };
    std::unique_ptr<Trial> trial;
    if (gpus.size() > 1) {
      trial = std::make_unique<AggregateTrial>(gpus, make);
    } else {
      trial = make(gpus.empty() ? -1 : gpus.front());
    }
    if (req.end_to_end && !trial->kernel().has_end_to_end()) {
      return finish(Disposition::unsupported,
                    fmt::format("{} {} has no end-to-end run", w.name, impl.name()));
    }
    r.flops = trial->flops();
    // A machine aggregate moves every GPU's bytes: summed, as its FLOPs are.
    if (gpus.size() > 1) r.bytes *= static_cast<double>(gpus.size());
    if (const auto used = trial->kernel().threads_used(); used && !on_gpu) r.threads = *used;
    vector_width = trial->kernel().vector_width();
    if (vector_width) r.vector_bits = vector_width->bits;
    r.notes = trial->kernel().notes();
    if (!req.size_basis.empty()) r.notes.push_back("size: " + req.size_basis);
    if (gpus.size() == 1 && (impl.workload == WorkloadId::transfer || req.end_to_end)) {
      if (std::string far = far_from_gpu_note(env, gpus.front()); !far.empty())
        r.notes.push_back(std::move(far));
    }
    fp64_tensor_cores = trial->kernel().may_use_fp64_tensor_cores();
    amx = trial->kernel().uses_amx();
    // The first run is the warm-up (thread pools, page faults, lazy loading) and its output is
    // the one verified: outside the timed samples.
    run_once(trial->kernel(), req.end_to_end);
    r.verification = trial->verify();
    if (r.verification->passed) {
      // The threads of the library measured before may still spin (OpenBLAS's for some 0.1 s),
      // as may the OpenMP team that verified the output (libgomp's for some ms): they would
      // share the CPUs with the first samples.
      const OwnThreadsSettled settled =
          wait_for_own_threads_at_rest(kOwnThreadsRestLimitS, interrupt_requested);
      r.threads_rest_wait_s = settled.waited_s;
      if (settled.left_running > 0) {
        r.notes.push_back(fmt::format(
            "started while {} of flopbench still ran after a {:.1f} s wait for it to rest (a "
            "thread pool that spins while idle, as libgomp's does under OMP_WAIT_POLICY=active, "
            "is not waited for again): such threads share the CPUs with this measurement",
            counted(settled.left_running, "other thread"), settled.waited_s));
      }
      sample_watched(*trial, on_gpu, req.end_to_end, settings.rule,
                     std::max(settings.min_sample_s, w.min_sample_s), env, r);
    }
  } catch (const UnsupportedHere& e) {
    return finish(Disposition::unsupported, e.what());
  } catch (const std::bad_alloc&) {
    return finish(Disposition::failed, "out of memory while setting up the inputs");
  } catch (const GpuError& e) {
    if (!e.context_lost()) return finish(Disposition::failed, e.what());
    // The GPUs the error names, those of this measurement (an aggregate's are those whose
    // threads lost their contexts); all of them when it names none of them.
    std::vector<int> lost;
    for (const int gpu : e.devices()) {
      if (std::ranges::find(gpus, gpu) != gpus.end()) lost.push_back(gpu);
    }
    if (lost.empty()) lost = gpus;
    const std::string where =
        fmt::format("its context was lost in {} {} {} {} on {}: {}", w.name, impl.name(),
                    to_string(req.precision), req.problem.label(), req.device.label(), e.what());
    for (const int gpu : lost) lost_gpus().add(gpu, where);
    return finish(Disposition::failed,
                  fmt::format("{}; {} can run no more CUDA work in this process: later "
                              "measurements there are skipped",
                              e.what(), gpu_labels(lost, ", ")));
  } catch (const std::exception& e) {
    return finish(Disposition::failed, e.what());
  }
  r.telemetry_after = read_telemetry(env, gpus);
  if (const std::string throttled = throttle_note(r); !throttled.empty())
    r.notes.push_back(throttled);
  if (const std::string capped = power_cap_note(r); !capped.empty()) r.notes.push_back(capped);
  if (const std::string contended = contention_note(r); !contended.empty())
    r.notes.push_back(contended);
  if (const std::string fewer = fewer_threads_note(r); !fewer.empty()) r.notes.push_back(fewer);
  if (!r.verification->passed)
    return finish(Disposition::incorrect, describe_failure(*r.verification));
  derive_rates(r, env, fp64_tensor_cores, amx);
  if (vector_width) {
    if (const std::string narrow = narrow_vectors_note(r, *vector_width, env.cpu); !narrow.empty())
      r.notes.push_back(narrow);
  }
  if (!on_gpu && r.peak.assumes_measured_clock() && !interrupt_requested()) {
    const double ghz = measure_cpu_clock(vector_clock_threads(r.threads, env.cpu.cores),
                                         ClockLoad::vector_fma, ClockSpan::recheck)
                           .ghz;
    if (plausible_cpu_clock(ghz)) r.clock_after_ghz = ghz;
    if (const std::string moved = clock_note(r, env.cpu); !moved.empty()) r.notes.push_back(moved);
  }
  if (const std::string above = above_peak_note(r, env.cpu); !above.empty())
    r.notes.push_back(above);
  r.wall_s = seconds_since(start);
  return r;
}

}  // namespace flopbench
