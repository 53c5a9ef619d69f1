// The load sampler: /proc parsers, the contention rule, GPU telemetry during a measurement
// through a stand-in source, and a live CPU hog in another process.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <omp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "harness/core/types.hpp"
#include "harness/machine/load_sampler.hpp"
#include "harness/machine/probe.hpp"
#include "harness/machine/telemetry.hpp"
#include "harness/measure/runner.hpp"
#include "tests/process.hpp"

namespace flopbench {
namespace {

using namespace std::chrono_literals;

// A 100 ms interval whose other processes and steal took what they read.
LoadInterval interval(double other_cpus, double steal_cpus, double load_average) {
  return {.other_cpus = other_cpus,
          .steal_cpus = steal_cpus,
          .load_average = load_average,
          .seconds = 0.1,
          .foreign_cpu_s = (other_cpus + steal_cpus) * 0.1};
}

TEST(LoadSampler, ParsesProcStatAndLoadavg) {
  const CpuTicks t = parse_proc_stat(
      "cpu  100 5 20 9000 7 3 2 40 11 0\ncpu0 50 2 10 4500 3 1 1 20 5 0\n"
      "cpu1 50 3 10 4500 4 2 1 20 6 0\nintr 1 2\n");
  EXPECT_DOUBLE_EQ(t.busy, 100 + 5 + 20 + 3 + 2);
  EXPECT_DOUBLE_EQ(t.idle, 9000 + 7);
  EXPECT_DOUBLE_EQ(t.steal, 40);
  EXPECT_EQ(t.cpus, 2);  // the lines "cpu0" and "cpu1", not "cpu " or "intr"
  EXPECT_THROW(parse_proc_stat("cpu0 1 2 3\n"), InputError);
  EXPECT_THROW(parse_proc_stat("cpu  1 2 3 4\n"), InputError);
  EXPECT_THROW(parse_proc_stat("cpu  1 x 3 4 5 6 7 8\n"), InputError);
  // The CPUs this process may use, from their own lines: others' load elsewhere is not theirs.
  // (The aggregate line here is not the sum of the others, to tell them apart.)
  const std::string per_cpu =
      "cpu  900 5 20 9000 7 3 2 90 11 0\ncpu0 50 2 10 4500 3 1 1 20 5 0\n"
      "cpu1 50 3 10 4500 4 2 1 20 6 0\ncpu10 7 0 0 1 0 0 0 9 0 0\ncpu11 garbage\nintr 1 2\n";
  EXPECT_DOUBLE_EQ(parse_proc_stat(per_cpu, {1}).idle, 4500 + 4);
  EXPECT_DOUBLE_EQ(parse_proc_stat(per_cpu, {0, 1}).idle, 9000 + 7);
  EXPECT_EQ(parse_proc_stat(per_cpu, {0, 1}).cpus, 2);
  EXPECT_DOUBLE_EQ(parse_proc_stat(per_cpu, {0, 1}).steal, 40);
  EXPECT_DOUBLE_EQ(parse_proc_stat(per_cpu, {10}).steal, 9);
  EXPECT_THROW(parse_proc_stat(per_cpu, {2}), InputError);   // not listed (offline)
  EXPECT_THROW(parse_proc_stat(per_cpu, {11}), InputError);  // malformed, and asked for
  EXPECT_THROW(parse_proc_stat("cpu0 1 2\n", {0}), InputError);
  // lxcfs mounts its own /proc/stat in a container.
  EXPECT_TRUE(
      proc_stat_is_mounted_over("22 1 0:21 / /proc rw - proc proc rw\n"
                                "40 22 0:40 / /proc/stat rw - fuse.lxcfs lxcfs rw,user_id=0\n"));
  EXPECT_FALSE(proc_stat_is_mounted_over("22 1 0:21 / /proc rw - proc proc rw\n"));
  EXPECT_FALSE(proc_stat_is_mounted_over("41 22 0:40 / /proc/stats rw - fuse fuse rw\n"));
  EXPECT_EQ(parse_loadavg("2.35 1.10 0.50 3/400 12345\n"), 2.35);
  EXPECT_EQ(parse_loadavg("none"), std::nullopt);
}

TEST(LoadSampler, ContendedWhenOthersTakeMoreThanTheFreeCpusByAQuarter) {
  const auto load = [](double other, double steal, int cpus, int in_use) {
    return summarise_load(
        {interval(other, steal, 1.0), interval(other, steal, 3.0), interval(other, steal, 2.0)},
        cpus, in_use);
  };
  // Every CPU in use: a quarter of a CPU of others, or of steal, is contention.
  EXPECT_TRUE(load(0.3, 0, 2, 2).contended);
  EXPECT_TRUE(load(0.1, 0.2, 2, 2).contended);
  EXPECT_FALSE(load(0.1, 0, 2, 2).contended);
  // One CPU left free takes a whole CPU of others.
  EXPECT_FALSE(load(1.0, 0, 2, 1).contended);
  EXPECT_TRUE(load(1.3, 0, 2, 1).contended);
  const MachineLoad l = load(0.3, 0.1, 2, 2);
  EXPECT_EQ(l.readings, 3);
  EXPECT_DOUBLE_EQ(l.load_average.min, 1.0);
  EXPECT_DOUBLE_EQ(l.load_average.median, 2.0);
  EXPECT_DOUBLE_EQ(l.load_average.max, 3.0);
  EXPECT_FALSE(summarise_load({}, 2, 2).contended);
}

// Two CPUs over 100 ms (ticks of 10 ms): 200 ms of their time passed.
TEST(LoadSampler, OtherProcessesAreTheTimeNeitherIdleStolenNorOurs) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point t0{};
  const LoadReading before{t0,
                           {.busy = 100, .idle = 500, .steal = 50, .cpus = 2},
                           10.0,
                           std::map<int, double>{{1, 4.0}, {2, 6.0}}};
  // 2 ticks idle and 1 stolen of the 20: 170 ms busy. Our threads used 120 ms by their own
  // clocks; the process clock, a tick behind on each running thread, says 112.
  LoadReading after{t0 + 100ms,
                    {.busy = 115, .idle = 502, .steal = 51, .cpus = 2},
                    10.112,
                    std::map<int, double>{{1, 4.06}, {2, 6.06}}};
  const auto exact = load_between(before, after, false, 100);
  ASSERT_TRUE(exact.has_value());
  EXPECT_NEAR(exact->other_cpus, 0.5, 1e-9);  // 170 - 120 ms
  EXPECT_NEAR(exact->steal_cpus, 0.1, 1e-9);
  EXPECT_NEAR(exact->foreign_cpu_s, 0.06, 1e-9);
  EXPECT_NEAR(exact->seconds, 0.1, 1e-12);
  // A thread that ended in between took its clock with it: the process clock stands in.
  after.threads->erase(2);
  EXPECT_NEAR(load_between(before, after, false, 100)->other_cpus, 0.58, 1e-9);
  // lxcfs's busy fields are the container's, exactly: 150 ms, less ours.
  after.threads->emplace(2, 6.06);
  EXPECT_NEAR(load_between(before, after, true, 100)->other_cpus, 0.3, 1e-9);
  // More than ours, never shown below 0; but the rule sees the unrounded time.
  after.ticks.idle = 509;  // 100 ms busy: 20 less than ours
  EXPECT_DOUBLE_EQ(load_between(before, after, false, 100)->other_cpus, 0);
  EXPECT_NEAR(load_between(before, after, false, 100)->foreign_cpu_s, -0.01, 1e-9);
  // A CPU went offline or came back: its idle time jumps, and the interval tells nothing.
  after.ticks.cpus = 3;
  EXPECT_FALSE(load_between(before, after, false, 100).has_value());
}

// /proc/stat rounds to 10 ms: an interval can read 0.6 of a CPU too much and the next as much
// too little. Over both, nothing: the intervals shown are never below 0, but the rule sums the
// unrounded time of all of them, each as long as it lasted.
TEST(LoadSampler, ContentionIsJudgedOverTheWholeSpanNotAMeanOfRoundedIntervals) {
  LoadInterval over = interval(0.6, 0, 1), under = interval(0, 0, 1);
  under.foreign_cpu_s = -0.06;
  const MachineLoad rounded = summarise_load({over, under, over, under}, 2, 2);
  EXPECT_FALSE(rounded.contended);
  EXPECT_DOUBLE_EQ(rounded.other_cpus.max, 0.6);
  EXPECT_DOUBLE_EQ(rounded.other_cpus.min, 0);
  // A second at 0.1 and a burst of a whole CPU for 50 ms: 0.14 of a CPU over their 1.05 s.
  LoadInterval second = interval(0.1, 0, 1), burst = interval(1.0, 0, 1);
  second.seconds = 1;
  second.foreign_cpu_s = 0.1;
  burst.seconds = 0.05;
  burst.foreign_cpu_s = 0.05;
  EXPECT_FALSE(summarise_load({second, burst}, 2, 2).contended);
  second.foreign_cpu_s = 0.25;  // 0.29 of a CPU over them
  EXPECT_TRUE(summarise_load({second, burst}, 2, 2).contended);
}

// How a load reads on the console and in reports: medians and maxima of several readings; one
// reading (a short measurement) has neither.
TEST(LoadSampler, ContentionFiguresSayHowManyReadingsTheyAreOf) {
  EXPECT_EQ(
      contention_figures(summarise_load({interval(0.5, 0.25, 1.0), interval(1.5, 0.0, 3.0)}, 2, 2)),
      "other processes used 1.00 CPUs and steal 0.12 (medians of 2 readings; max 1.50 and "
      "0.25), load average 2.00");
  EXPECT_EQ(contention_figures(summarise_load({interval(0.5, 0.25, 1.0)}, 2, 2)),
            "other processes used 0.50 CPUs and steal 0.25 (one reading), load average 1.00");
}

// Samples shorter than one interval of /proc/stat have no reading of it: the waits of our own
// threads for a CPU decide, as a quarter of a sample's time (median). They add to a reading.
TEST(LoadSampler, SamplesThatWaitedAQuarterOfTheirTimeAreContended) {
  MachineLoad unread;
  add_sample_waits(unread, {1.03, 1.2, 1.67}, 0);
  EXPECT_TRUE(unread.contended);
  EXPECT_DOUBLE_EQ(*unread.waited, 1.2);
  EXPECT_EQ(contention_figures(unread),
            "our threads waited for a CPU 120% of a sample's time (median)");
  MachineLoad quiet;
  add_sample_waits(quiet, {0.003, 0.9, 0.002, 0.004, 0.06}, 0);  // one slow sample is not enough
  EXPECT_FALSE(quiet.contended);
  EXPECT_DOUBLE_EQ(*quiet.waited, 0.004);
  MachineLoad at_threshold;
  add_sample_waits(at_threshold, {kContendedWait}, 0);
  EXPECT_TRUE(at_threshold.contended);
  MachineLoad unknown;
  add_sample_waits(unknown, {}, 0);
  EXPECT_FALSE(unknown.waited);
  EXPECT_EQ(contention_figures(unknown), "no reading of the machine's load");
  // Four threads on two CPUs wait two CPUs' worth of each sample for each other: no one else's.
  MachineLoad oversubscribed;
  add_sample_waits(oversubscribed, {2.1, 2.0, 1.95}, 2);
  EXPECT_FALSE(oversubscribed.contended);
  add_sample_waits(oversubscribed, {2.3, 2.25, 2.4}, 2);
  EXPECT_TRUE(oversubscribed.contended);
  // Two threads under a cgroup quota of 1.5 CPUs wait half a CPU's worth for the quota.
  MachineLoad throttled;
  add_sample_waits(throttled, {0.52, 0.48, 0.5}, 0.5);
  EXPECT_FALSE(throttled.contended);
  add_sample_waits(throttled, {0.8, 0.78}, 0.5);
  EXPECT_TRUE(throttled.contended);
  // A reading that is contended stays so, and its figures gain the waits.
  MachineLoad read = summarise_load({interval(0.5, 0.25, 1.0), interval(1.5, 0.0, 3.0)}, 2, 2);
  add_sample_waits(read, {0.01}, 0);
  EXPECT_TRUE(read.contended);
  EXPECT_EQ(contention_figures(read),
            "other processes used 1.00 CPUs and steal 0.12 (medians of 2 readings; max 1.50 and "
            "0.25), load average 2.00; our threads waited for a CPU 1% of a sample's time "
            "(median)");
}

// A GPU that hits its power cap and slows down with heat in every other reading: the readings in
// between show it.
class PowerCappedGpu final : public TelemetrySource {
 public:
  std::string name() const override { return "stand-in"; }
  std::vector<GpuTelemetry> read(const std::vector<GpuDevice>& gpus) override {
    std::vector<GpuTelemetry> out;
    for (const auto& g : gpus) {
      const bool capped = calls_ % 2 == 1;
      GpuTelemetry t{.device = "gpu" + std::to_string(g.index), .source = "stand-in"};
      t.sm_clock_mhz = capped ? 1500.0 : 1980.0;
      t.power_w = capped ? 700.0 : 650.0;
      t.temperature_c = 60.0 + calls_;
      if (capped) t.clock_event_reasons = {"sw_power_cap", "sw_thermal_slowdown"};
      t.throttled = capped;
      out.push_back(t);
    }
    ++calls_;
    return out;
  }

 private:
  int calls_ = 0;
};

TEST(LoadSampler, GpuTelemetryDuringTheMeasurementShowsThrottling) {
  PowerCappedGpu source;
  LoadSampler sampler(1, &source, {GpuDevice{.index = 2}}, 10ms);
  std::this_thread::sleep_for(400ms);  // about 40 readings: 4 even if the host stalls the thread
  const LoadSampler::Result result = sampler.stop();
  ASSERT_EQ(result.gpus.size(), 1u);
  const GpuTelemetrySpread& g = result.gpus[0];
  EXPECT_EQ(g.device, "gpu2");
  EXPECT_GE(g.readings, 4);
  EXPECT_EQ(g.throttled_readings, g.readings / 2);
  ASSERT_TRUE(g.sm_clock_mhz.has_value());
  EXPECT_DOUBLE_EQ(g.sm_clock_mhz->min, 1500);
  EXPECT_DOUBLE_EQ(g.sm_clock_mhz->max, 1980);
  EXPECT_EQ(g.throttling_reasons, std::vector<std::string>{"sw_thermal_slowdown"});
  EXPECT_EQ(g.power_capped_readings, g.readings / 2);
  EXPECT_FALSE(g.memory_clock_mhz.has_value());

  MeasurementRecord r;
  r.telemetry_during = result.gpus;
  EXPECT_EQ(throttle_note(r),
            fmt::format("throttled: gpu2 sw_thermal_slowdown (during: {} of {} readings)",
                        g.throttled_readings, g.readings));
  EXPECT_EQ(power_cap_note(r), fmt::format("power cap: gpu2 (during: {} of {} readings)",
                                           g.power_capped_readings, g.readings));
}

// Readings without the clock event reasons are counted, so that a GPU whose every reading
// lacked them is not taken for one that never throttled.
TEST(LoadSampler, ReadingsWithoutClockEventReasonsAreCounted) {
  const GpuTelemetry read{.device = "gpu0", .clock_event_reasons = {"gpu_idle"}};
  const GpuTelemetry unread{.device = "gpu0", .clock_events_read = false};
  const auto spreads = summarise_telemetry({{read}, {unread}, {unread}});
  ASSERT_EQ(spreads.size(), 1u);
  EXPECT_EQ(spreads[0].readings, 3);
  EXPECT_EQ(spreads[0].clock_events_unread, 2);
  MeasurementRecord r;
  r.device = DeviceRef::gpu({0});
  r.telemetry_during = spreads;
  EXPECT_TRUE(throttling_was_read(r));
  r.telemetry_during = summarise_telemetry({{unread}, {unread}});
  EXPECT_FALSE(throttling_was_read(r));
}

// A measurement shorter than the period still has a reading of its own, taken 20 ms into it;
// stopping adds none, since the GPU is idle by then.
TEST(LoadSampler, TheGpusAreReadEarlyInTheSamplesAndNotOnceTheyHaveEnded) {
  PowerCappedGpu source;
  LoadSampler sampler(1, &source, {GpuDevice{.index = 0}}, 10s);
  std::this_thread::sleep_for(500ms);  // long past 20 ms, however late the thread starts
  const LoadSampler::Result result = sampler.stop();
  ASSERT_EQ(result.gpus.size(), 1u);
  EXPECT_EQ(result.gpus[0].readings, 1);
  EXPECT_EQ(result.gpus[0].throttled_readings, 0);  // the stand-in's first reading is not capped
}

TEST(LoadSampler, WaitForQuietStopsAtTheFirstQuietSecondOrAtTheLimit) {
  const MachineLoad busy{.readings = 10, .other_cpus = {1, 1, 1}, .contended = true};
  const MachineLoad quiet{.readings = 10};
  std::vector<int> told;
  const auto note = [&](const MachineLoad&, int waited_s) { told.push_back(waited_s); };

  std::vector<MachineLoad> seconds = {busy, busy, quiet};
  std::size_t next = 0;
  const auto reading = [&]() -> std::optional<MachineLoad> { return seconds.at(next++); };
  EXPECT_TRUE(wait_for_quiet(10, reading, note));
  EXPECT_EQ(next, 3u);
  EXPECT_EQ(told, (std::vector<int>{1, 2}));

  seconds = {busy, busy, busy, busy};
  next = 0;
  told.clear();
  EXPECT_FALSE(wait_for_quiet(3, reading, note));
  EXPECT_EQ(next, 3u);
  EXPECT_EQ(told, (std::vector<int>{1, 2, 3}));

  // No /proc to read: nothing to wait for.
  EXPECT_TRUE(wait_for_quiet(
      3, [] { return std::optional<MachineLoad>(); }, note));
}

// A busy loop in another process while "the measurement" keeps every CPU: contended, and the
// figures show about one CPU of other processes.
TEST(LoadSampler, CpuHogInAnotherProcessIsContention) {
  LoadSampler::Result result;
  {
    const testing::CpuHog hog;
    LoadSampler sampler(static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)), nullptr, {});
    std::this_thread::sleep_for(1500ms);  // some 14 readings; 5 where a co-tenant stalls some
    result = sampler.stop();
  }
  ASSERT_TRUE(result.load.has_value());
  EXPECT_GE(result.load->readings, 5);
  EXPECT_TRUE(result.load->contended);
  // About one CPU, which the hypervisor may take back from the hog's vCPU as steal.
  EXPECT_GT(result.load->other_cpus.median + result.load->steal_cpus.median, 0.5);
}

// The reader reads the CPUs the thread that makes it may use, from their own lines of /proc/stat.
TEST(LoadSampler, CpuLoadReaderReadsTheCpusThisProcessMayUse) {
  if (omp_get_proc_bind() != omp_proc_bind_false) {
    GTEST_SKIP() << "OpenMP binding: the usable CPUs are OpenMP's places, not a thread's mask";
  }
  if (proc_stat_is_mounted_over(read_text("/proc/self/mountinfo"))) {
    GTEST_SKIP() << "/proc/stat is mounted over: the reader reads the whole machine";
  }
  EXPECT_EQ(CpuLoadReader().cpus(), static_cast<int>(usable_cpus().size()));
  const std::vector<int> all = thread_affinity();
  ASSERT_FALSE(all.empty());
  std::thread([&] {
    ASSERT_TRUE(set_thread_affinity({all.back()}));
    const CpuLoadReader one;
    EXPECT_TRUE(one.readable());
    EXPECT_EQ(one.cpus(), 1);
  }).join();
}

// The interval reader behind the sampler and the CPU burn: nothing over an interval too short
// for /proc/stat's ticks, then the other process's CPU.
TEST(LoadSampler, CpuLoadReaderGivesTheLoadSinceItsLastReading) {
  const testing::CpuHog hog;
  CpuLoadReader reader;
  ASSERT_TRUE(reader.readable());
  std::this_thread::sleep_for(500ms);
  const auto before = std::chrono::steady_clock::now();
  const std::optional<LoadInterval> load = reader.next();
  ASSERT_TRUE(load.has_value());
  EXPECT_GT(load->other_cpus + load->steal_cpus, 0.5);
  EXPECT_GE(load->steal_cpus, 0);
  // At once again: too short an interval for /proc/stat's ticks (unless this thread was kept
  // off the CPU for 50 ms, which a busy machine may do).
  const std::optional<LoadInterval> again = reader.next();
  if (std::chrono::steady_clock::now() - before < 40ms) {
    EXPECT_FALSE(again.has_value());
  }
}

TEST(OwnThreads, TaskStateIsTheFieldAfterTheCommandName) {
  EXPECT_EQ(parse_task_state("4321 (flopbench) R 1 4321 4321 0 -1"), 'R');
  EXPECT_EQ(parse_task_state("4322 (a) b) S 1 4321"), 'S');  // a name may hold ") "
  EXPECT_EQ(parse_task_state("4323 (x) "), std::nullopt);
  EXPECT_EQ(parse_task_state("4324 flopbench R"), std::nullopt);
  EXPECT_EQ(parse_task_state(""), std::nullopt);
}

// A thread of ours that spins as a library's pool does after its last call, then sleeps until
// it is told to end.
class SpinningThread {
 public:
  explicit SpinningThread(std::chrono::steady_clock::duration spin)
      : thread_([this, until = std::chrono::steady_clock::now() + spin] {
          tid_ = static_cast<int>(gettid());
          while (std::chrono::steady_clock::now() < until && !end_) {
          }
          std::unique_lock lock(mutex_);
          wake_.wait(lock, [this] { return end_.load(); });
        }) {
    while (tid_ == 0) std::this_thread::yield();
  }
  ~SpinningThread() {
    {
      const std::lock_guard lock(mutex_);
      end_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  SpinningThread(const SpinningThread&) = delete;
  SpinningThread& operator=(const SpinningThread&) = delete;
  int tid() const { return tid_; }

 private:
  std::atomic<int> tid_ = 0;
  std::atomic<bool> end_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

TEST(OwnThreads, CpuTimeBetweenReadingsCountsANewThreadWholeAndIsUnknownWhenOneEnded) {
  const std::map<int, double> before{{10, 1.0}, {11, 5.0}};
  const std::map<int, double> after{{10, 1.5}, {12, 0.25}};
  // Thread 11 ended: its time since `before` is gone, so the CPU time is not known.
  EXPECT_FALSE(cpu_s_between(before, after).has_value());
  const std::map<int, double> later{{10, 2.0}, {11, 5.5}, {12, 0.25}};
  EXPECT_EQ(cpu_s_between(before, later), 1.0 + 0.5 + 0.25);
  EXPECT_EQ(cpu_s_between(later, later), 0.0);
  // An id that went backwards was given to a new thread: the ended one's time is lost.
  EXPECT_FALSE(cpu_s_between(later, {{10, 1.0}, {11, 5.5}, {12, 0.25}}).has_value());
}

// Each test starts from rest: OpenBLAS's pool, for one, spins for a while as the process starts.
std::vector<int> running_after_rest() {
  EXPECT_EQ(wait_for_own_threads_at_rest(5).left_running, 0);
  return other_running_threads().value_or(std::vector<int>{-1});
}

// A thread running on another CPU has its CPU time counted to the moment, not to its last
// scheduler tick (1 to 10 ms apart): over a window of 1.5 ms, a thread cannot have used more than
// 1.5 ms, where a reading to the last tick gives 0 or a whole tick (2, 3.3, 4 or 10 ms for HZ
// 1000, 300, 250 or 100) whenever the thread is running on another CPU as it is taken.
TEST(OwnThreads, AThreadRunningOnAnotherCpuIsCountedToTheMoment) {
  if (usable_cpus().size() < 2) GTEST_SKIP() << "one CPU: the threads take turns";
  ASSERT_EQ(running_after_rest(), std::vector<int>{});
  const SpinningThread spinner(10s);
  int beyond_the_window = 0;
  double spun_s = 0;
  for (int window = 0; window < 20; ++window) {
    const auto start = std::chrono::steady_clock::now();
    const auto before = own_threads_cpu_s();
    ASSERT_TRUE(before.has_value() && before->contains(spinner.tid()) &&
                before->contains(static_cast<int>(gettid())));
    // Busy here, so that the spinner runs on the other CPU, where there is one.
    while (std::chrono::steady_clock::now() - start < 1500us) {
    }
    const auto after = own_threads_cpu_s();
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(after.has_value() && after->contains(spinner.tid()));
    const double used_s = after->at(spinner.tid()) - before->at(spinner.tid());
    if (used_s > wall_s + 20e-6) ++beyond_the_window;
    spun_s += used_s;
  }
  // The spinner must have run through a good part of the windows for the test to tell.
  if (spun_s < 0.25 * 20 * 1.5e-3) GTEST_SKIP() << "the spinner hardly ran: a busy machine";
  EXPECT_EQ(beyond_the_window, 0);
}

TEST(OwnThreads, AMeasurementWaitsUntilOurOtherThreadsRest) {
  ASSERT_EQ(running_after_rest(), std::vector<int>{});
  const auto start = std::chrono::steady_clock::now();
  const SpinningThread pool(300ms);
  EXPECT_EQ(other_running_threads(), std::vector<int>{pool.tid()});
  const OwnThreadsSettled settled = wait_for_own_threads_at_rest(5);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  EXPECT_EQ(settled.left_running, 0);
  EXPECT_EQ(other_running_threads(), std::vector<int>{});
}

// An interrupt ends the wait at once.
TEST(OwnThreads, TheWaitEndsWhenItIsToldToStop) {
  ASSERT_EQ(running_after_rest(), std::vector<int>{});
  const SpinningThread pool(1h);
  const auto start = std::chrono::steady_clock::now();
  const OwnThreadsSettled settled = wait_for_own_threads_at_rest(30, [] { return true; });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_EQ(settled.left_running, 0);
}

// A thread that never rests (OMP_WAIT_POLICY=active) is waited for once, up to the limit. The
// product's limit, 1 s: a thread is taken as restless only when found running by at least 50
// polls a millisecond apart, which a shorter wait on a busy machine may not make.
TEST(OwnThreads, AThreadThatNeverRestsIsWaitedForOnce) {
  ASSERT_EQ(running_after_rest(), std::vector<int>{});
  const SpinningThread restless(1h);
  const OwnThreadsSettled first = wait_for_own_threads_at_rest(1.0);
  EXPECT_GE(first.waited_s, 1.0);
  EXPECT_EQ(first.left_running, 1);
  const OwnThreadsSettled second = wait_for_own_threads_at_rest(1.0);
  EXPECT_LT(second.waited_s, 1.0);  // not waited for up to the limit
  EXPECT_EQ(second.left_running, 0);
  EXPECT_EQ(other_running_threads(), std::vector<int>{restless.tid()});  // still spinning
  // Another thread that spins is waited for as before.
  const auto start = std::chrono::steady_clock::now();
  const SpinningThread pool(150ms);
  const OwnThreadsSettled third = wait_for_own_threads_at_rest(5);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
  EXPECT_EQ(third.left_running, 0);
}

}  // namespace
}  // namespace flopbench
