// The burn-in's records beyond the engine's own tests (test_harness.cpp, Burn.*): telemetry
// during a burn and a throttled GPU as DEGRADED, the throughput drop, the `burn` and `memtest`
// sections of results.json read back, their report.md and report.html parts, and the
// acceptance metrics over them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>

#include "app/burn_course.hpp"
#include "harness/core/registry.hpp"
#include "harness/machine/telemetry.hpp"
#include "harness/measure/burn.hpp"
#include "harness/measure/interrupts.hpp"
#include "reports/acceptance/judge.hpp"
#include "reports/acceptance/spec.hpp"
#include "reports/burn_report.hpp"
#include "reports/console.hpp"
#include "reports/html_report.hpp"
#include "reports/output_files.hpp"
#include "reports/results_json.hpp"
#include "tests/test_support.hpp"

namespace flopbench {
namespace {

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

GpuTelemetry reading(int gpu, double clock, std::vector<std::string> reasons = {}) {
  GpuTelemetry t;
  t.device = fmt::format("gpu{}", gpu);
  t.source = "test";
  t.sm_clock_mhz = clock;
  t.temperature_c = 60 + gpu;
  t.power_w = 300;
  t.throttled = std::ranges::any_of(reasons, [](const auto& r) { return is_throttling_reason(r); });
  t.clock_event_reasons = std::move(reasons);
  return t;
}

// The telemetry observer's readings join their GPU's series once a second; readings that slow
// the GPU beyond its power cap make it DEGRADED with those reasons and how often, while running
// at the power cap (as a 70 W card always does under GEMM) does not, nor does one reading alone
// (HW Slowdown may show during a clock change).
TEST(BurnTelemetry, ReadingsJoinTheirGpuAndThrottlingDegrades) {
  const Implementation* omp = registry().find(WorkloadId::gemm, "omp");
  ASSERT_NE(omp, nullptr);
  // The OpenMP GEMM standing in for two GPUs' kernels: the burn only needs their labels.
  const std::vector<BurnTarget> targets = {{omp, DeviceRef::gpu({0})}, {omp, DeviceRef::gpu({1})}};
  const BurnSettings settings{.precision = Precision::fp64,
                              .problem = Problem::matrix(48, 40, 32),
                              .duration_s = 3.5,
                              .seed = testing::fresh_seed(),
                              .window_s = 0.25};
  std::atomic<int> reads = 0;
  BurnObserver observer;
  observer.telemetry = [&] {
    const int read = ++reads;
    const std::vector<std::string> slowed = {"gpu_idle", "sw_power_cap", "hw_thermal_slowdown"};
    const std::vector<std::string> capped = {"sw_power_cap"};
    return std::vector<GpuTelemetry>{
        reading(0, 1980, read == 2 ? std::vector<std::string>{"hw_slowdown"} : capped),
        reading(1, 1200, read == 2 || read == 3 ? slowed : std::vector<std::string>{})};
  };
  observer.telemetry_stopped = [](double since_s) { ADD_FAILURE() << "stopped at " << since_s; };
  auto devices = burn(targets, settings, observer);
  // Throttling alone judged: the two stand-ins share 2 CPUs with whatever else runs, so either
  // may run at half the other's speed (the sibling rule has its own test on set figures).
  judge_burn(devices, 0.99);
  ASSERT_EQ(devices.size(), 2u);
  const double took_s = std::max(devices[0].seconds, devices[1].seconds);
  EXPECT_GE(reads.load(), 3);
  // About once a second, not once per wake-up (10 a second).
  EXPECT_LE(reads.load(), took_s + 2) << took_s;
  for (const BurnDevice& d : devices) {
    ASSERT_FALSE(d.telemetry.empty()) << d.device;
    EXPECT_EQ(d.telemetry.front().reading.device, d.device.label());
    EXPECT_LE(d.telemetry.back().at_s, took_s + 1);
  }
  EXPECT_EQ(devices[0].verdict, BurnVerdict::ok) << devices[0].why;
  EXPECT_EQ(devices[1].verdict, BurnVerdict::degraded);
  EXPECT_EQ(devices[1].why, fmt::format("throttled (hw_thermal_slowdown) in 2 of {} telemetry "
                                        "readings",
                                        devices[1].telemetry.size()));
  // The power cap is no throttling, in the readings a criterion counts either; the transient is
  // counted there, as it was read.
  EXPECT_EQ(devices[0].throttled_readings(), 1);
  EXPECT_EQ(devices[1].throttled_readings(), 2);
}

// The CPU load observer's readings join the CPU's series, stamped with the time since the start;
// GPUs get none.
TEST(BurnTelemetry, CpuLoadJoinsTheCpuOnly) {
  const Implementation* omp = registry().find(WorkloadId::gemm, "omp");
  ASSERT_NE(omp, nullptr);
  const std::vector<BurnTarget> targets = {{omp, DeviceRef::gpu({0})}, {omp, DeviceRef::cpu()}};
  const BurnSettings settings{.precision = Precision::fp32,
                              .problem = Problem::matrix(48, 40, 32),
                              .duration_s = 2.2,
                              .seed = testing::fresh_seed(),
                              .window_s = 0.25};
  std::atomic<int> reads = 0;
  BurnObserver observer;
  observer.cpu_load = [&]() -> std::optional<CpuBurnReading> {
    if (++reads == 1) return std::nullopt;  // no interval yet
    return CpuBurnReading{.other_cpus = 0.5, .steal_cpus = 0.25 * reads, .clock_mhz = 3000};
  };
  const auto devices = burn(targets, settings, observer);
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_TRUE(devices[0].cpu_load.empty());
  EXPECT_FALSE(devices[0].most_foreign_cpus().has_value());
  const BurnDevice& cpu = devices[1];
  ASSERT_GE(cpu.cpu_load.size(), 1u);
  ASSERT_LE(cpu.cpu_load.size(), 3u);  // about once a second
  EXPECT_GT(cpu.cpu_load.front().at_s, 0.5);
  EXPECT_EQ(cpu.cpu_load.front().steal_cpus, 0.5);
  EXPECT_EQ(cpu.cpu_load.front().clock_mhz, 3000);
  EXPECT_DOUBLE_EQ(*cpu.most_foreign_cpus(), 0.5 + 0.25 * (1 + cpu.cpu_load.size()));
}

// A telemetry source whose second reading, about 1 s into a burn, does not come back until it is
// let go. Owned jointly with the reader: a call left behind still waits on it after the burn.
struct SecondReadingBlocks {
  std::mutex mutex;
  std::condition_variable released;
  bool release = false;
  int reads = 0;

  static std::function<std::vector<GpuTelemetry>()> reader(
      const std::shared_ptr<SecondReadingBlocks>& blocker) {
    return [blocker] {
      std::unique_lock lock(blocker->mutex);
      if (++blocker->reads >= 2) blocker->released.wait(lock, [&] { return blocker->release; });
      return std::vector<GpuTelemetry>{reading(0, 1980)};
    };
  }
  void let_go() {
    {
      const std::lock_guard lock(mutex);
      release = true;
    }
    released.notify_all();
  }
  int calls() {
    const std::lock_guard lock(mutex);
    return reads;
  }
};

// A telemetry source that stops answering (NVML blocked by a hung driver) is reported once, from
// the calling thread, whether it falls silent well before the burn ends or just before; the burn
// still ends on time, leaving the call behind, and the reader is never called again. A call that
// answers after its silence was reported has its reading dropped, and is the last one too.
TEST(BurnTelemetry, ASourceThatStopsAnsweringIsReportedAndLeftBehind) {
  const Implementation* omp = registry().find(WorkloadId::gemm, "omp");
  ASSERT_NE(omp, nullptr);
  struct Case {
    double duration_s;
    bool answers_when_reported;
  };
  for (const Case c : {Case{3.5, false}, Case{1.5, false}, Case{3.5, true}}) {
    const double duration_s = c.duration_s;
    const bool answers_when_reported = c.answers_when_reported;
    SCOPED_TRACE(fmt::format("{} s, {}", duration_s,
                             answers_when_reported ? "answers once reported" : "never answers"));
    const auto blocker = std::make_shared<SecondReadingBlocks>();
    BurnObserver observer;
    observer.telemetry = SecondReadingBlocks::reader(blocker);
    std::vector<double> stopped_at;
    const auto caller = std::this_thread::get_id();
    observer.telemetry_stopped = [&](double since_s) {
      EXPECT_EQ(std::this_thread::get_id(), caller);
      stopped_at.push_back(since_s);
      if (answers_when_reported) {
        blocker->let_go();  // the call returns while the burn runs on: its reading is not kept
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    };
    const BurnSettings settings{.precision = Precision::fp32,
                                .problem = Problem::matrix(32, 32, 32),
                                .duration_s = duration_s,
                                .seed = testing::fresh_seed(),
                                .window_s = 0.25,
                                .hang_s = 1};
    const auto began = std::chrono::steady_clock::now();
    const auto devices = burn({{omp, DeviceRef::gpu({0})}}, settings, observer);
    const double took_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    // The silence counts from the second call's start, about 1 s in: hang_s later at the latest
    // the burn is over, with a poll's margin and a busy host's.
    EXPECT_LT(took_s, std::max(duration_s, 1 + settings.hang_s) + 1.5);
    ASSERT_EQ(stopped_at.size(), 1u);
    EXPECT_NEAR(stopped_at[0], 1, 0.5);
    ASSERT_EQ(devices.size(), 1u);
    EXPECT_TRUE(devices[0].fault.empty()) << devices[0].fault;
    EXPECT_EQ(devices[0].telemetry_readings(), 1);
    // The first case's burn leaves the silent call running (a flag that stays set after).
    if (!answers_when_reported && duration_s == 3.5) {
      EXPECT_TRUE(threads_left_running());
    }
    blocker->let_go();
    // The call returns into a burn that has ended: its sampler calls nothing again.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(blocker->calls(), 2);
  }
}

// A burn that a progress reader's exception ends (a full disk) while a telemetry call is still
// short of silent waits for that call, hears of its silence on the way out, and keeps the
// progress reader's exception when hearing of it throws as well (a closed stdout): not
// std::terminate from the unwinding.
TEST(BurnTelemetry, AStopHeardWhileAnExceptionEndsTheBurnKeepsThatException) {
  const Implementation* omp = registry().find(WorkloadId::gemm, "omp");
  ASSERT_NE(omp, nullptr);
  const auto blocker = std::make_shared<SecondReadingBlocks>();
  BurnObserver observer;
  observer.progress_s = 1.2;  // before the second reading, about 1 s in, is 1.5 s silent
  observer.progress = [](const std::vector<BurnDevice>&, double) {
    throw std::runtime_error("no space left on device");
  };
  observer.telemetry = SecondReadingBlocks::reader(blocker);
  int told = 0;
  observer.telemetry_stopped = [&](double) {
    ++told;
    throw std::runtime_error("stdout is closed");
  };
  const BurnSettings settings{.precision = Precision::fp32,
                              .problem = Problem::matrix(32, 32, 32),
                              .duration_s = 600,
                              .seed = testing::fresh_seed(),
                              .window_s = 0.25,
                              .hang_s = 1.5};
  try {
    burn({{omp, DeviceRef::gpu({0})}}, settings, observer);
    ADD_FAILURE() << "the burn ended without an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "no space left on device");
  }
  EXPECT_EQ(told, 1);
  blocker->let_go();
  // The device thread left behind stops after its run in progress (microseconds).
  std::this_thread::sleep_for(std::chrono::seconds(1));
}

TEST(BurnRecord, ThroughputDropComparesTheFirstQuarterWithTheLast) {
  BurnDevice d;
  EXPECT_FALSE(d.throughput_drop().has_value());
  for (const double r : {100, 100, 90, 80, 80, 70, 60, 60}) d.throughput.push_back({0, r});
  EXPECT_DOUBLE_EQ(*d.throughput_drop(), 0.4);  // median 100 at first, 60 at the end
  d.throughput = {{0, 10}, {1, 10}, {2, 10}};   // fewer than four points: no quarter, unknown
  EXPECT_FALSE(d.throughput_drop().has_value());
}

// A long burn's series stay within their bound: points merge in pairs, each but the last holding
// as many readings as the first, and the counts that verdicts use stay exact.
TEST(BurnSeries, ALongBurnsReadingsMergeEvenlyAndKeepTheirCounts) {
  std::vector<BurnTelemetry> series;
  constexpr int kReadings = 5000;  // halved at 2048 readings and at 4096: four readings a point
  for (int i = 1; i <= kReadings; ++i) {
    GpuTelemetry r = reading(0, i,
                             i % 7 == 0 ? std::vector<std::string>{"hw_slowdown"}
                                        : std::vector<std::string>{"sw_power_cap"});
    // A figure some readings lack is the mean of the others'.
    r.power_w = i <= 2 ? std::nullopt : std::optional<double>(i);
    add_to_series(series,
                  {.at_s = double(i), .reading = r, .throttled_readings = r.throttled ? 1 : 0},
                  kBurnSeriesPoints);
    ASSERT_LE(series.size(), kBurnSeriesPoints);
  }
  ASSERT_EQ(series.size(), std::size_t{(kReadings + 3) / 4});
  for (std::size_t i = 0; i + 1 < series.size(); ++i) ASSERT_EQ(series[i].readings, 4) << i;
  EXPECT_EQ(series.back().readings, kReadings % 4 == 0 ? 4 : kReadings % 4);
  BurnDevice d{.device = DeviceRef::gpu({0}), .telemetry = series};
  EXPECT_EQ(d.telemetry_readings(), kReadings);
  EXPECT_EQ(d.throttled_readings(), kReadings / 7);
  const GpuTelemetry& first = series[0].reading;  // readings 1 to 4
  EXPECT_EQ(series[0].at_s, 4);
  EXPECT_DOUBLE_EQ(*first.sm_clock_mhz, 2.5);
  EXPECT_DOUBLE_EQ(*first.power_w, 3.5);  // of readings 3 and 4
  EXPECT_FALSE(first.throttled);
  EXPECT_EQ(first.clock_event_reasons, std::vector<std::string>{"sw_power_cap"});
  const GpuTelemetry& second = series[1].reading;  // readings 5 to 8, the 7th throttled
  EXPECT_TRUE(second.throttled);
  EXPECT_EQ(series[1].throttled(), 1);
  EXPECT_EQ(second.clock_event_reasons, (std::vector<std::string>{"hw_slowdown", "sw_power_cap"}));
}

TEST(BurnSeries, PairsMergeByTheirWeights) {
  // CPU load: a mean over the seconds merged, as the readings arrive.
  std::vector<CpuBurnReading> load;
  for (int i = 1; i <= 9; ++i) {
    add_to_series(load, {.at_s = double(i), .other_cpus = double(i), .clock_mhz = 1000.0 * i}, 4);
  }
  ASSERT_EQ(load.size(), 3u);
  EXPECT_EQ(load[0].readings, 4);
  EXPECT_EQ(load[1].readings, 4);
  EXPECT_EQ(load[2].readings, 1);
  EXPECT_DOUBLE_EQ(load[0].other_cpus, 2.5);
  EXPECT_DOUBLE_EQ(load[1].other_cpus, 6.5);
  EXPECT_DOUBLE_EQ(*load[1].clock_mhz, 6500);
  EXPECT_EQ(load[1].at_s, 8);
  EXPECT_DOUBLE_EQ(load[2].other_cpus, 9);
  // Throughput: the FLOPs of the windows over their run time, not the mean of their rates.
  std::vector<BurnPoint> rate;
  add_to_series(rate, {.at_s = 1, .gflops = 100, .run_s = 1}, 2);
  add_to_series(rate, {.at_s = 2, .gflops = 40, .run_s = 3}, 2);
  add_to_series(rate, {.at_s = 3, .gflops = 10, .run_s = 0.5}, 2);
  ASSERT_EQ(rate.size(), 2u);
  EXPECT_DOUBLE_EQ(rate[0].gflops, (100 * 1 + 40 * 3) / 4.0);
  EXPECT_DOUBLE_EQ(rate[0].run_s, 4);
  EXPECT_EQ(rate[0].windows, 2);
  EXPECT_EQ(rate[0].at_s, 2);
  EXPECT_EQ(rate[1].windows, 1);
}

// The burn itself keeps its series within settings.series_points: the throughput of every
// window and every telemetry reading is still counted.
TEST(BurnSeries, ABurnLongerThanItsSeriesMergesItsPoints) {
  const Implementation* omp = registry().find(WorkloadId::gemm, "omp");
  ASSERT_NE(omp, nullptr);
  const BurnSettings settings{.precision = Precision::fp32,
                              .problem = Problem::matrix(16, 16, 16),
                              .duration_s = 3.5,  // three readings, with a second to spare
                              .seed = testing::fresh_seed(),
                              .window_s = 0,  // every iteration a window
                              .iteration_s = 0,
                              .series_points = 2};
  std::atomic<int> reads = 0;
  BurnObserver observer;
  observer.telemetry = [&] {
    ++reads;
    return std::vector<GpuTelemetry>{reading(0, 1500, {"hw_thermal_slowdown"})};
  };
  auto devices = burn({{omp, DeviceRef::gpu({0})}}, settings, observer);
  judge_burn(devices, 0.5);
  ASSERT_EQ(devices.size(), 1u);
  const BurnDevice& d = devices[0];
  ASSERT_TRUE(d.fault.empty()) << d.fault;
  ASSERT_LE(d.throughput.size(), 2u);
  int windows = 0;
  double run_s = 0;
  for (const BurnPoint& p : d.throughput) {
    windows += p.windows;
    run_s += p.run_s;
    EXPECT_GT(p.gflops, 0);
  }
  EXPECT_EQ(windows, d.iterations);  // window_s 0: each iteration closes one
  EXPECT_NEAR(run_s, d.busy_s, 1e-9 * d.busy_s);
  EXPECT_EQ(d.telemetry.size(), 2u);
  EXPECT_GE(d.telemetry_readings(), 3);  // one a second, from the start
  EXPECT_LE(d.telemetry_readings(), reads.load());
  EXPECT_EQ(d.throttled_readings(), d.telemetry_readings());
  EXPECT_EQ(d.verdict, BurnVerdict::degraded);
  EXPECT_EQ(d.why, fmt::format("throttled (hw_thermal_slowdown) in {0} of {0} telemetry readings",
                               d.telemetry_readings()));
}

ResultsDocument burn_document() {
  ResultsDocument doc;
  doc.run.started_utc = "2026-11-30T12:00:00Z";
  doc.run.finished_utc = "2026-11-30T12:10:00Z";
  doc.burn = BurnResult{.duration_s = 600,
                        .precisions = {Precision::fp64},
                        .degraded_fraction = 0.1,
                        .telemetry_source = "nvml"};
  doc.environment.gpu.cuda_built = true;
  for (const int gpu : {0, 1}) {
    doc.environment.gpu.devices.push_back({.index = gpu, .name = "NVIDIA H100 80GB HBM3"});
    BurnDevice d{.device = DeviceRef::gpu({gpu}),
                 .implementation = "cuda",
                 .precision = Precision::fp64,
                 .problem = Problem::matrix(2048, 2048, 2048),
                 .iterations = 1000,
                 .seconds = 600};
    for (int s = 1; s <= 8; ++s) {
      d.throughput.push_back({double(s), gpu == 0 ? 50000.0 : 50000.0 - 4000 * s});
      d.telemetry.push_back({double(s), reading(gpu, 1980 - 10 * s * gpu)});
    }
    doc.burn->devices.push_back(std::move(d));
  }
  doc.burn->devices[0].busy_s = 540;  // the other: a file from before busy_s
  doc.burn->devices[1].verdict = BurnVerdict::faulty;
  doc.burn->devices[1].fault = doc.burn->devices[1].why = "iteration 7: element 3 is nan";
  doc.memtest = MemtestResult{.duration_s = 60, .devices = {}};
  doc.memtest->devices.push_back({.device = "gpu0", .bytes_tested = 1LL << 34, .passes = 3});
  doc.memtest->devices.push_back({.device = "gpu1",
                                  .bytes_tested = 1LL << 34,
                                  .passes = 3,
                                  .bad_words = 2,
                                  .errors = {{"walking ones", 4096, 32, 0}}});
  return doc;
}

TEST(BurnRecord, ResultsJsonKeepsEveryField) {
  const ResultsDocument doc = burn_document();
  const nlohmann::json j = to_json(doc);
  EXPECT_EQ(j["burn"]["devices"][1]["verdict"], "FAULTY");
  EXPECT_EQ(j["burn"]["devices"][0]["telemetry"][0]["reading"]["sm_clock_mhz"], 1980);
  EXPECT_DOUBLE_EQ(j["burn"]["devices"][1]["throughput_drop"].get<double>(),
                   *doc.burn->devices[1].throughput_drop());
  EXPECT_DOUBLE_EQ(j["burn"]["devices"][0]["busy_share"].get<double>(), 0.9);
  EXPECT_TRUE(j["burn"]["devices"][1]["busy_share"].is_null());
  EXPECT_EQ(j["memtest"]["devices"][1]["errors"][0]["offset"], 4096);
  EXPECT_EQ(j["memtest"]["devices"][1]["passed"], false);
  EXPECT_EQ(j["memtest"]["devices"][1]["completed"], true);
  EXPECT_EQ(j["burn"]["precisions"], nlohmann::json::array({"fp64"}));
  const ResultsDocument back = results_from_json(j);
  EXPECT_EQ(to_json(back), j);
  ASSERT_TRUE(back.burn.has_value());
  EXPECT_EQ(back.burn->devices[1].verdict, BurnVerdict::faulty);
  nlohmann::json before_precisions = j;
  before_precisions["burn"].erase("precisions");
  EXPECT_TRUE(results_from_json(before_precisions).burn->precisions.empty());
  // A file from before points were merged: a reading a point, throttled as its flag says.
  nlohmann::json old = j;
  for (nlohmann::json& t : old["burn"]["devices"][0]["telemetry"]) {
    t.erase("readings");
    t.erase("throttled_readings");
  }
  old["burn"]["devices"][0]["telemetry"][2]["reading"]["throttled"] = true;
  const BurnDevice old_gpu0 = results_from_json(old).burn->devices[0];
  EXPECT_EQ(old_gpu0.telemetry_readings(), 8);
  EXPECT_EQ(old_gpu0.throttled_readings(), 1);
  // Counts no burn can have are refused, naming where.
  for (const auto& [field, value, path] :
       {std::tuple{"throttled_readings", -1, "burn.devices[0].telemetry[1].throttled_readings"},
        std::tuple{"throttled_readings", 2, "burn.devices[0].telemetry[1].throttled_readings"},
        std::tuple{"readings", 0, "burn.devices[0].telemetry[1].readings"}}) {
    nlohmann::json wrong = j;
    wrong["burn"]["devices"][0]["telemetry"][1][field] = value;
    try {
      results_from_json(wrong);
      ADD_FAILURE() << field << " " << value;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  // A bad verdict name is an error that names its path.
  nlohmann::json bad = j;
  bad["burn"]["devices"][0]["verdict"] = "FINE";
  try {
    results_from_json(bad);
    ADD_FAILURE() << "accepted verdict FINE";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("burn.devices[0].verdict"), std::string::npos) << e.what();
  }
}

// A memory test with its later fields: the bytes asked for, the memory-error counts that rose
// and why the ECC counts could not be compared.
ResultsDocument memtest_document() {
  ResultsDocument doc = burn_document();
  MemtestDevice& gpu0 = doc.memtest->devices[0];
  gpu0.bytes_asked = 1LL << 35;  // 32 GiB asked, 16 GiB had
  gpu0.memory_error_rises = {{"ecc.corrected_volatile", 0, 3}, {"row_remap.pending", 0, 1}};
  MemtestDevice& gpu1 = doc.memtest->devices[1];
  gpu1.bytes_asked = gpu1.bytes_tested;
  gpu1.ecc_not_compared =
      "ECC counts could not be compared: ecc.corrected_volatile after the test: GPU is lost";
  return doc;
}

TEST(MemtestRecord, ResultsJsonKeepsTheLaterFieldsAndReadsFilesWithout) {
  const ResultsDocument doc = memtest_document();
  const nlohmann::json j = to_json(doc);
  const nlohmann::json& gpu0 = j["memtest"]["devices"][0];
  EXPECT_EQ(gpu0["bytes_asked"], 1LL << 35);
  EXPECT_EQ(gpu0["memory_error_rises"][0]["fact"], "ecc.corrected_volatile");
  EXPECT_EQ(gpu0["memory_error_rises"][0]["before"], 0);
  EXPECT_EQ(gpu0["memory_error_rises"][0]["after"], 3);
  EXPECT_EQ(gpu0["memory_error_rises"][1]["fact"], "row_remap.pending");
  EXPECT_EQ(gpu0["ecc_not_compared"], "");
  EXPECT_EQ(gpu0["passed"], false);
  EXPECT_EQ(gpu0["completed"], true);
  EXPECT_EQ(j["memtest"]["devices"][1]["ecc_not_compared"],
            doc.memtest->devices[1].ecc_not_compared);
  const ResultsDocument back = results_from_json(j);
  EXPECT_EQ(to_json(back), j);
  ASSERT_TRUE(back.memtest.has_value());
  EXPECT_EQ(back.memtest->devices[0].memory_error_rises,
            doc.memtest->devices[0].memory_error_rises);
  EXPECT_EQ(back.memtest->devices[0].bytes_asked, 1LL << 35);
  EXPECT_EQ(back.memtest->devices[1].ecc_not_compared, doc.memtest->devices[1].ecc_not_compared);
  EXPECT_FALSE(back.memtest->devices[0].passed());

  // A file from before them reads as no rise, no reason and nothing asked.
  nlohmann::json older = j;
  for (nlohmann::json& d : older["memtest"]["devices"]) {
    for (const char* field : {"bytes_asked", "memory_error_rises", "ecc_not_compared"}) {
      d.erase(field);
    }
  }
  const ResultsDocument old = results_from_json(older);
  EXPECT_TRUE(old.memtest->devices[0].memory_error_rises.empty());
  EXPECT_EQ(old.memtest->devices[0].bytes_asked, 0);
  EXPECT_EQ(old.memtest->devices[1].ecc_not_compared, "");
  EXPECT_TRUE(old.memtest->devices[0].passed());
}

// Completed (no failure, a full pass) and passed (completed, no bad word, no memory-error count
// risen) differ: a corrected ECC error is the very fault an ECC GPU's test exists to find.
TEST(MemtestRecord, CompletedAndPassedAreDistinct) {
  const MemtestDevice clean{.device = "gpu0", .bytes_tested = 1LL << 30, .passes = 1};
  EXPECT_TRUE(clean.completed());
  EXPECT_TRUE(clean.passed());
  MemtestDevice rose = clean;
  rose.memory_error_rises = {{"ecc.corrected_volatile", 0, 1}};
  EXPECT_TRUE(rose.completed());
  EXPECT_FALSE(rose.passed());
  MemtestDevice bad = clean;
  bad.bad_words = 1;
  EXPECT_TRUE(bad.completed());
  EXPECT_FALSE(bad.passed());
  MemtestDevice no_pass = clean;
  no_pass.passes = 0;
  EXPECT_FALSE(no_pass.completed());
  EXPECT_FALSE(no_pass.passed());
  MemtestDevice failed = clean;
  failed.failure = "out of memory";
  EXPECT_FALSE(failed.completed());
  EXPECT_EQ(failed.incomplete_reason(), "out of memory");
  // Why the ECC counts could not be compared is a note, not a failure.
  MemtestDevice uncompared = clean;
  uncompared.ecc_not_compared = "ECC counts could not be compared: permission";
  EXPECT_TRUE(uncompared.passed());
}

TEST(MemtestReport, TablesTheRisesTheReasonAndAShortfall) {
  const ResultsDocument doc = memtest_document();
  const std::string md = MarkdownPrinter().print(doc);
  EXPECT_TRUE(std::regex_search(
      md,
      std::regex(R"(\| gpu0 +\| FAIL +\| 16\.00 GiB of 32\.00 GiB asked \| +3 \| +0\.0 \| +0 \| )"
                 R"(ecc\.corrected_volatile 0 to 3; row_remap\.pending 0 to 1 +\|)")))
      << md;
  EXPECT_TRUE(std::regex_search(
      md,
      std::regex(R"(\| gpu1 +\| FAIL +\| +16\.00 GiB \| +3 \| +0\.0 \| +2 \| ECC counts could not )"
                 R"(be compared: ecc\.corrected_volatile after the test: GPU is lost +\|)")))
      << md;
  const std::string html = HtmlPrinter().print(doc);
  EXPECT_NE(html.find("ecc.corrected_volatile 0 to 3; row_remap.pending 0 to 1"),
            std::string::npos);
  EXPECT_NE(html.find("16.00 GiB of 32.00 GiB asked"), std::string::npos);
  EXPECT_NE(html.find("ECC counts could not be compared"), std::string::npos);
  // A clean GPU's counts: none rose.
  EXPECT_EQ(memtest_memory_errors_text(burn_document().memtest->devices[0]), "none rose");
  EXPECT_EQ(memtest_size_text(burn_document().memtest->devices[0], 1), "16.0 GiB");
}

TEST(BurnReport, HtmlChartsEveryQuantityAndMarkdownTablesTheVerdicts) {
  const ResultsDocument doc = burn_document();
  const std::string html = HtmlPrinter().print(doc);
  for (const char* label : {"aria-label=\"throughput\"", "aria-label=\"SM clock\"",
                            "aria-label=\"temperature\"", "aria-label=\"power\""}) {
    EXPECT_NE(html.find(label), std::string::npos) << label;
  }
  EXPECT_EQ(count_of(html, "<polyline"), 8u);  // 4 charts x 2 GPUs
  EXPECT_NE(html.find("banner fail"), std::string::npos);
  EXPECT_NE(html.find("iteration 7: element 3 is nan"), std::string::npos);
  EXPECT_NE(html.find("GPU memory test"), std::string::npos);
  EXPECT_NE(html.find("0x0000000000000020"), std::string::npos);  // the expected word
  const std::string md = MarkdownPrinter().print(doc);
  EXPECT_NE(md.find("## Burn-in"), std::string::npos);
  EXPECT_TRUE(std::regex_search(md, std::regex(R"(\| gpu1 +\| FP64 +\| FAULTY +\|)"))) << md;
  // gpu0 ran 540 of its 600 s; gpu1's file has no busy time.
  EXPECT_TRUE(std::regex_search(
      md, std::regex(R"(\| gpu0 +\| FP64 +\| OK +\| +\d+ \| +600\.0 \| +90% \|)")))
      << md;
  EXPECT_TRUE(std::regex_search(
      md, std::regex(R"(\| gpu1 +\| FP64 +\| FAULTY +\| +\d+ \| +600\.0 \| +- \|)")))
      << md;
  EXPECT_NE(md.find("## GPU memory test"), std::string::npos);
  EXPECT_EQ(md.find("No measurements."), std::string::npos);
}

// A GPU's memory test passes with a complete pass and nothing wrong; fails with anything wrong,
// complete or not; and is otherwise INCOMPLETE. Its problem lists what kept it from passing.
TEST(BurnReport, AGpusMemoryTestIsPassFailOrIncomplete) {
  RunInfo run;
  run.finished_utc = "2026-11-30T12:10:00Z";
  MemtestResult m{.duration_s = 60};
  m.devices.push_back({.device = "gpu0", .bytes_tested = 1LL << 30, .passes = 2});
  MemtestDevice& d = m.devices[0];
  EXPECT_EQ(d.verdict(), "PASS");
  EXPECT_TRUE(memtest_problems(m, run).empty());
  d.passes = 0;
  EXPECT_EQ(d.verdict(), "INCOMPLETE");
  EXPECT_EQ(memtest_problems(m, run),
            std::vector<std::string>{"gpu0 INCOMPLETE: no complete pass of every pattern"});
  d.bad_words = 3;
  EXPECT_EQ(d.verdict(), "FAIL");
  EXPECT_EQ(memtest_problems(m, run),
            std::vector<std::string>{"gpu0 FAIL: no complete pass of every pattern, 3 bad words"});
  d.bad_words = 0;
  d.failure = "cudaMalloc: out of memory";
  EXPECT_EQ(d.verdict(), "FAIL");
  d.failure = "";
  d.passes = 1;
  d.memory_error_rises = {{"ecc.corrected_volatile", 0, 3}};
  EXPECT_EQ(d.verdict(), "FAIL");
  d.bad_words = 12;
  EXPECT_EQ(
      memtest_problems(m, run),
      std::vector<std::string>{"gpu0 FAIL: 12 bad words, ecc.corrected_volatile rose from 0 to 3"});
  // results.json gives each GPU's verdict beside passed and completed.
  EXPECT_NE(to_json(ResultsDocument{.memtest = m}).dump().find("\"verdict\":\"FAIL\""),
            std::string::npos);
}

// The memory test's section opens with the test's verdict, as merge judges it: a GPU's own PASS
// does not make an interrupted or unfinished test a pass.
TEST(BurnReport, TheMemoryTestSectionGivesTheTestsVerdict) {
  ResultsDocument doc = burn_document();
  doc.burn.reset();
  const auto expect_summary = [&](const std::string& summary, const std::string& banner) {
    const std::string md = MarkdownPrinter().print(doc);
    EXPECT_NE(md.find("## GPU memory test\n\n" + summary + "\n"), std::string::npos) << md;
    const std::string html = HtmlPrinter().print(doc);
    EXPECT_NE(html.find(fmt::format("<p class=\"banner {}\">{}</p>", banner, summary)),
              std::string::npos)
        << html;
    // And `flopbench report` prints it.
    EXPECT_TRUE(ConsoleSummaryPrinter().print(doc).starts_with("memory test: " + summary + "\n"));
  };
  expect_summary("FAIL: 2 GPUs tested for up to 60 s each: 1 PASS, 1 FAIL.", "fail");
  doc.memtest->devices.pop_back();
  expect_summary("PASS: 1 GPU tested for up to 60 s each: 1 PASS, 0 FAIL.", "pass");
  doc.run.interrupted = true;
  expect_summary("INCOMPLETE (interrupted): 1 GPU tested for up to 60 s each: 1 PASS, 0 FAIL.",
                 "fail");
  doc.run.interrupted = false;
  doc.run.finished_utc = "";
  doc.memtest->devices[0].passes = 0;
  expect_summary(
      "INCOMPLETE (the memory test did not finish (no end time)): 1 GPU tested for up to 60 s "
      "each: 0 PASS, 0 FAIL, 1 INCOMPLETE.",
      "fail");
  // Finished, with a GPU that found nothing wrong but completed no pass in its time: no pass,
  // and no failure either.
  doc.run.finished_utc = doc.run.started_utc;
  expect_summary(
      "INCOMPLETE (gpu0 INCOMPLETE: no complete pass of every pattern): 1 GPU tested for up to "
      "60 s each: 0 PASS, 0 FAIL, 1 INCOMPLETE.",
      "fail");
  EXPECT_NE(MarkdownPrinter().print(doc).find("| gpu0   | INCOMPLETE |"), std::string::npos)
      << MarkdownPrinter().print(doc);
  // A GPU that stopped responding fails the test, whatever else kept it from its end.
  doc.memtest->devices[0].failure = "no response: no step of the test ended for 60 s";
  expect_summary("FAIL: 1 GPU tested for up to 60 s each: 0 PASS, 1 FAIL.", "fail");
}

// Every chart of a precision spans the whole burn (600 s here), whatever time its own readings
// end at (8 s), so that a dip in throughput lines up with the readings of the same moment.
TEST(BurnReport, ChartsOfAPrecisionShareTheirTimeAxis) {
  const std::string html = HtmlPrinter().print(burn_document());
  for (const char* label : {"throughput", "SM clock", "temperature", "power"}) {
    SCOPED_TRACE(label);
    const auto start = html.find(fmt::format("aria-label=\"{}\"", label));
    ASSERT_NE(start, std::string::npos);
    const std::string svg = html.substr(start, html.find("</svg>", start) - start);
    // The time axis's last tick (its labels are centred under the grid; the value axis's
    // end-aligned).
    EXPECT_NE(svg.find("text-anchor=\"middle\">600</text>"), std::string::npos) << svg;
  }
}

// A corrupt file's values (a denormal, an infinity, the largest double) still chart: their axis
// steps would be 0 or infinite, and its ticks were counted without end.
TEST(BurnReport, ChartsOfValuesNoAxisCanStepToStillEnd) {
  for (const double v : {4e-324, std::numeric_limits<double>::infinity(), 1.7e308}) {
    SCOPED_TRACE(v);
    const std::string svg = time_series_svg("t", "u", {{"gpu0", {{0, v}, {v, v}}}});
    EXPECT_NE(svg.find("<polyline"), std::string::npos);
  }
}

// A burn is a pass only when every device was OK for the whole duration. One cut short, never
// checked, or with no device at all, or a run interrupted (a precision after the interrupt has no
// devices to show it) is INCOMPLETE, in a fail banner, however OK what ran was; a fault found
// before the interrupt is still a FAIL.
TEST(BurnReport, AnInterruptedBurnIsNoPass) {
  const ResultsDocument faulty = burn_document();  // gpu1 FAULTY
  ResultsDocument doc = faulty;
  doc.burn->devices.pop_back();  // gpu0 alone, OK
  const auto summary = [](const ResultsDocument& d) {
    const std::string md = MarkdownPrinter().print(d);
    const auto at = md.find("## Burn-in\n\n");
    return at == std::string::npos ? md : md.substr(at + 12, md.find('\n', at + 12) - at - 12);
  };
  EXPECT_TRUE(summary(doc).starts_with("PASS: 1 device burn of 600 s each: 1 OK")) << summary(doc);

  doc.run.interrupted = true;  // between precisions: every device shown had its whole burn
  EXPECT_TRUE(summary(doc).starts_with("INCOMPLETE (interrupted): 1 device burn")) << summary(doc);
  EXPECT_NE(HtmlPrinter().print(doc).find("<p class=\"banner fail\">INCOMPLETE"),
            std::string::npos);
  doc.run.interrupted = false;
  doc.burn->devices[0].seconds = 3.1;
  EXPECT_TRUE(summary(doc).starts_with("INCOMPLETE (gpu0 FP64 burned 3.1 of its 600 s): 1 device"))
      << summary(doc);
  doc.burn->devices[0].verdict = BurnVerdict::unchecked;
  doc.burn->devices[0].why = "no iteration was checked";
  EXPECT_TRUE(
      summary(doc).starts_with("INCOMPLETE (gpu0 FP64 UNCHECKED: no iteration was checked)"))
      << summary(doc);
  doc.burn->devices.clear();
  EXPECT_TRUE(summary(doc).starts_with("INCOMPLETE (no device burned): 0 device burns"))
      << summary(doc);

  // `flopbench report` on a burn's results prints its headline and what kept it from passing.
  const std::string console = ConsoleSummaryPrinter().print(faulty);
  EXPECT_TRUE(console.starts_with("burn-in: FAIL: 2 device burns of 600 s each: 1 OK, 1 FAULTY"))
      << console;
  EXPECT_NE(console.find("\n  gpu1 FP64 FAULTY: "), std::string::npos) << console;
  EXPECT_EQ(console.find("measurements"), std::string::npos) << console;

  // Interrupted before its second precision: that one is named as not burned.
  ResultsDocument second_never_begun = faulty;
  second_never_begun.burn->devices.pop_back();  // left: gpu0 FP64, its whole burn
  second_never_begun.burn->precisions = {Precision::fp64, Precision::fp32};
  second_never_begun.run.interrupted = true;
  EXPECT_NE(ConsoleSummaryPrinter().print(second_never_begun).find("\n  FP32 not burned\n"),
            std::string::npos)
      << ConsoleSummaryPrinter().print(second_never_begun);
  second_never_begun.burn->precisions = {Precision::fp64};  // all it asked for
  EXPECT_EQ(ConsoleSummaryPrinter().print(second_never_begun).find("not burned"),
            std::string::npos);

  ResultsDocument faulty_then_interrupted = faulty;
  faulty_then_interrupted.run.interrupted = true;
  faulty_then_interrupted.burn->devices[0].seconds = 3.1;
  EXPECT_TRUE(summary(faulty_then_interrupted).starts_with("FAIL: 2 device burns"))
      << summary(faulty_then_interrupted);
}

// A CPU's load readings survive results.json and are charted, without a clock where none was
// read; the markdown table gives the most that others took.
TEST(BurnReport, CpuLoadIsKeptAndCharted) {
  ResultsDocument doc = burn_document();
  BurnDevice cpu{.device = DeviceRef::cpu(),
                 .implementation = "omp",
                 .precision = Precision::fp64,
                 .problem = Problem::matrix(2048, 2048, 2048),
                 .iterations = 20,
                 .seconds = 600};
  cpu.throughput = {{1, 80}, {2, 40}};
  cpu.cpu_load = {{.at_s = 1, .other_cpus = 0.02, .steal_cpus = 0},
                  {.at_s = 2, .other_cpus = 0.9, .steal_cpus = 0.35}};
  doc.burn->devices.push_back(cpu);
  const nlohmann::json j = to_json(doc);
  EXPECT_EQ(j["burn"]["devices"][2]["cpu_load"][1]["other_cpus"], 0.9);
  EXPECT_TRUE(j["burn"]["devices"][2]["cpu_load"][1]["clock_mhz"].is_null());
  EXPECT_EQ(to_json(results_from_json(j)), j);
  nlohmann::json older = j;  // a file from before the CPU's load was read
  older["burn"]["devices"][2].erase("cpu_load");
  EXPECT_TRUE(results_from_json(older).burn->devices[2].cpu_load.empty());
  const std::string html = HtmlPrinter().print(doc);
  EXPECT_NE(html.find("aria-label=\"foreign load\""), std::string::npos);
  EXPECT_NE(html.find("cpu other processes"), std::string::npos);
  EXPECT_NE(html.find("cpu steal"), std::string::npos);
  EXPECT_EQ(html.find("aria-label=\"CPU clock\""), std::string::npos);
  const std::string md = MarkdownPrinter().print(doc);
  EXPECT_TRUE(std::regex_search(md, std::regex(R"(\| cpu +\| FP64 +\| OK .*\| +1\.25 \|)"))) << md;
}

AcceptanceResult check_rows(const std::string& rows, const ResultsDocument& doc) {
  return judge(
      parse_spec("metric,comparator,bound,severity,applies_to,description\n" + rows, "burn.csv"),
      doc, "burn.csv", "now");
}

const CriterionVerdict* find(const AcceptanceResult& r, const std::string& metric) {
  for (const auto& v : r.criteria) {
    if (v.metric == metric) return &v;
  }
  return nullptr;
}

// The burn's and memory test's own verdicts are built-in criteria of a check on their results
// (burn.problems, memtest.problems), as their exit status and a fleet's merge judge them: a spec
// that names none of their metrics does not pass a wrong result or a burn cut short.
TEST(BurnCheck, AFaultyBurnOrAFailedMemoryTestFailsWhateverTheSpec) {
  ResultsDocument burned = burn_document();  // gpu1 FAULTY
  burned.run.profile = kBurnProfile;
  burned.memtest.reset();
  const AcceptanceResult r = check_rows("burn.duration_s,>=,60,fail,any,\n", burned);
  EXPECT_FALSE(r.passed);
  const CriterionVerdict* problems = find(r, "burn.problems");
  ASSERT_NE(problems, nullptr);
  EXPECT_EQ(problems->verdict, Verdict::fail);
  EXPECT_EQ(problems->measured, 1);
  EXPECT_NE(problems->reason.find("gpu1 FP64 FAULTY: iteration 7: element 3 is nan"),
            std::string::npos)
      << problems->reason;
  EXPECT_EQ(find(r, "run.unverified"), nullptr);  // a run's, of its measurements
  // A device cut short, as merge counts it, fails it as well: its burn did not pass.
  burned.burn->devices[1] = burned.burn->devices[0];
  burned.burn->devices[1].device = DeviceRef::gpu({1});
  burned.burn->devices[1].seconds = 300;
  const AcceptanceResult cut_short = check_rows("burn.duration_s,>=,60,fail,any,\n", burned);
  const CriterionVerdict* short_burn = find(cut_short, "burn.problems");
  ASSERT_NE(short_burn, nullptr);
  EXPECT_EQ(short_burn->verdict, Verdict::fail);
  // A spec row on the metric replaces the built-in one.
  const AcceptanceResult replaced = check_rows("burn.problems,<=,1,warn,any,\n", burned);
  EXPECT_TRUE(replaced.passed);
  EXPECT_EQ(std::count_if(replaced.criteria.begin(), replaced.criteria.end(),
                          [](const CriterionVerdict& v) { return v.metric == "burn.problems"; }),
            1);

  ResultsDocument tested = burn_document();  // gpu1 with 2 bad words
  tested.run.profile = kMemtestProfile;
  tested.burn.reset();
  const AcceptanceResult m = check_rows("memtest.gpu0.bad_words,==,0,fail,any,\n", tested);
  EXPECT_FALSE(m.passed);
  const CriterionVerdict* failed = find(m, "memtest.problems");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->verdict, Verdict::fail);
  EXPECT_EQ(failed->measured, 1);
  EXPECT_EQ(find(m, "burn.problems"), nullptr);
}

// A burn of one iteration checked its output only for NaN and infinity (beyond the sizing runs'
// verification): the first iteration is what every later one is compared with.
TEST(BurnVerdicts, OneIterationIsUnchecked) {
  std::vector<BurnDevice> devices = {{.device = DeviceRef::cpu(),
                                      .implementation = "omp",
                                      .precision = Precision::fp64,
                                      .problem = Problem::matrix(2048, 2048, 2048),
                                      .iterations = 1,
                                      .seconds = 2}};
  devices[0].throughput = {{1, 80}};
  judge_burn(devices, 0.1);
  EXPECT_EQ(devices[0].verdict, BurnVerdict::unchecked);
  EXPECT_EQ(devices[0].why,
            "one iteration: its output was finite, but no second was compared with it");
  devices[0].iterations = 2;
  judge_burn(devices, 0.1);
  EXPECT_EQ(devices[0].verdict, BurnVerdict::ok) << devices[0].why;
}

// A rate row judging a stress test's results says what they are (a fleet's check judges them on
// the spec's rows for their kind alone).
TEST(BurnAcceptance, ARateRowOnAStressTestsResultsSaysWhatTheyAre) {
  ResultsDocument doc = burn_document();
  for (const auto& [profile, what] :
       {std::pair{kBurnProfile, "a burn-in's"}, std::pair{kMemtestProfile, "a memory test's"}}) {
    doc.run.profile = std::string(profile);
    const AcceptanceResult r = check_rows("cpu.sgemm.omp.gflops,>=,1 GFLOP/s,fail,any,\n", doc);
    ASSERT_NE(find(r, "cpu.sgemm.omp.gflops"), nullptr);
    EXPECT_EQ(find(r, "cpu.sgemm.omp.gflops")->reason,
              fmt::format("not measured: these results are {}, not a run's (flopbench run "
                          "measures sgemm omp on cpu)",
                          what));
  }
}

TEST(BurnAcceptance, MetricsJudgeTheBurnAndTheMemoryTest) {
  ResultsDocument doc = burn_document();
  const AcceptanceResult r = check_rows(
      "burn.faulty,==,0,fail,any,\n"
      "burn.duration_s,>=,600,fail,any,\n"
      "burn.telemetry_stopped,==,0,fail,any,\n"
      "burn.gpu.throughput_drop,<=,0.1,fail,any,\n"
      "burn.gpu0.faulty,==,0,fail,any,\n"
      "burn.cpu.faulty,==,0,fail,any,\n"
      "burn.gpu.throttled_readings,==,0,warn,any,\n"
      "memtest.bad_words,==,0,fail,any,\n"
      "memtest.gpu.bad_words,==,0,fail,any,\n",
      doc);
  EXPECT_FALSE(r.passed);
  const auto expect = [&](const std::string& metric, Verdict v, std::optional<double> measured) {
    const CriterionVerdict* c = find(r, metric);
    ASSERT_NE(c, nullptr) << metric;
    EXPECT_EQ(c->verdict, v) << metric << ": " << c->reason;
    EXPECT_EQ(c->measured, measured) << metric;
  };
  expect("burn.faulty", Verdict::fail, 1);
  expect("burn.duration_s", Verdict::pass, 600);
  expect("burn.telemetry_stopped", Verdict::pass, 0);
  expect("burn.gpu0.throughput_drop", Verdict::pass, 0);
  expect("burn.gpu1.throughput_drop", Verdict::fail, *doc.burn->devices[1].throughput_drop());
  expect("burn.gpu0.faulty", Verdict::pass, 0);
  expect("burn.cpu.faulty", Verdict::fail, std::nullopt);  // the CPU was not burned
  expect("burn.gpu0.throttled_readings", Verdict::pass, 0);
  expect("memtest.bad_words", Verdict::fail, 2);
  expect("memtest.gpu0.bad_words", Verdict::pass, 0);
  expect("memtest.gpu1.bad_words", Verdict::fail, 2);
  EXPECT_NE(find(r, "burn.cpu.faulty")->reason.find("did not burn cpu"), std::string::npos);

  // A GPU of which no telemetry was read has an unknown count of throttled readings, never 0.
  ResultsDocument unread = burn_document();
  for (BurnDevice& d : unread.burn->devices) {
    if (d.device == DeviceRef::gpu({0})) d.telemetry.clear();
  }
  const AcceptanceResult blind = check_rows("burn.gpu.throttled_readings,==,0,fail,any,\n", unread);
  const CriterionVerdict* throttled = find(blind, "burn.gpu0.throttled_readings");
  ASSERT_NE(throttled, nullptr);
  EXPECT_EQ(throttled->verdict, Verdict::fail);
  EXPECT_FALSE(throttled->measured);
  EXPECT_NE(throttled->reason.find("no telemetry was read of gpu0"), std::string::npos)
      << throttled->reason;
  // Nor is it 0 where the readings lacked the clock event reasons (a vGPU): until one had them.
  for (BurnDevice& d : unread.burn->devices) {
    if (d.device != DeviceRef::gpu({0})) continue;
    for (int s = 1; s <= 3; ++s) {
      GpuTelemetry t = reading(0, 1980);
      t.clock_events_read = false;
      d.telemetry.push_back({.at_s = double(s), .reading = t});
    }
    std::vector<BurnDevice> judged = {d};
    judge_burn(judged, 0.1);
    EXPECT_EQ(judged[0].why, "throttling not checked: no clock event reason was read");
  }
  const AcceptanceResult vgpu_result =
      check_rows("burn.gpu.throttled_readings,==,0,fail,any,\n", unread);
  const CriterionVerdict* vgpu = find(vgpu_result, "burn.gpu0.throttled_readings");
  ASSERT_NE(vgpu, nullptr);
  EXPECT_FALSE(vgpu->measured);
  EXPECT_NE(vgpu->reason.find("no clock event reason was read of gpu0"), std::string::npos)
      << vgpu->reason;
  unread.burn->devices[0].telemetry[1].reading.clock_events_read = true;
  const AcceptanceResult read_once =
      check_rows("burn.gpu.throttled_readings,==,0,fail,any,\n", unread);
  const CriterionVerdict* counted = find(read_once, "burn.gpu0.throttled_readings");
  ASSERT_NE(counted, nullptr);
  EXPECT_EQ(counted->measured, 0);

  // A CPU's throttling is never read: its count is not measured, not a 0 that passes.
  ResultsDocument cpu_burn = burn_document();
  cpu_burn.burn->devices.push_back({.device = DeviceRef::cpu(),
                                    .implementation = "omp",
                                    .precision = Precision::fp64,
                                    .problem = Problem::matrix(2048, 2048, 2048),
                                    .iterations = 20,
                                    .seconds = 600});
  const AcceptanceResult cpu_result =
      check_rows("burn.cpu.throttled_readings,==,0,fail,any,\n", cpu_burn);
  const CriterionVerdict* cpu = find(cpu_result, "burn.cpu.throttled_readings");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->verdict, Verdict::fail);
  EXPECT_FALSE(cpu->measured);
  EXPECT_EQ(cpu->reason,
            "not measured: the throttling of cpu is not read (no telemetry gives it); "
            "burn.cpu.throughput_drop judges its speed")
      << cpu->reason;

  // A CPU's drop where others took from it says so with its miss: the drop may be theirs.
  BurnDevice& busy = cpu_burn.burn->devices.back();
  busy.throughput = {{1, 80}, {2, 80}, {3, 40}, {4, 40}};
  busy.cpu_load = {{.at_s = 1, .other_cpus = 0.02},
                   {.at_s = 2, .other_cpus = 0.02},
                   {.at_s = 3, .other_cpus = 0.02},
                   {.at_s = 4, .other_cpus = 0.9, .steal_cpus = 0.35}};
  const auto drop_reason = [&] {
    const AcceptanceResult judged =
        check_rows("burn.cpu.throughput_drop,<=,0.1,warn,any,\n", cpu_burn);
    const CriterionVerdict* drop = find(judged, "burn.cpu.throughput_drop");
    EXPECT_TRUE(drop != nullptr && drop->verdict == Verdict::warn);
    return drop ? drop->reason : "no verdict";
  };
  EXPECT_EQ(drop_reason(),
            "above the bound: other processes and the hypervisor took up to 1.25 CPUs in the last "
            "quarter of its FP64 burn, which may be the drop; burn it again on a quiet machine");
  // Taken at the start, they made the drop smaller, not larger: nothing to say.
  std::swap(busy.cpu_load.front().other_cpus, busy.cpu_load.back().other_cpus);
  busy.cpu_load.back().steal_cpus = 0;
  EXPECT_EQ(drop_reason(), "above the bound");
  // Only the worst precision's drop is judged, and only its own foreign load is said.
  busy.cpu_load.back() = {.at_s = 4, .other_cpus = 0.9};
  BurnDevice quiet_fp32 = busy;
  quiet_fp32.precision = Precision::fp32;
  quiet_fp32.throughput = {{1, 80}, {2, 80}, {3, 20}, {4, 20}};  // a worse drop, undisturbed
  quiet_fp32.cpu_load = {{.at_s = 1, .other_cpus = 0.02}, {.at_s = 4, .other_cpus = 0.02}};
  cpu_burn.burn->devices.push_back(quiet_fp32);
  EXPECT_EQ(drop_reason(), "above the bound");

  // Results without a burn never pass a burn criterion.
  doc.burn.reset();
  const AcceptanceResult none = check_rows("burn.faulty,==,0,fail,any,\n", doc);
  EXPECT_FALSE(none.passed);
  EXPECT_NE(find(none, "burn.faulty")->reason.find("no burn-in"), std::string::npos);
}

// A burn whose telemetry stopped fails, whatever its devices' verdicts: in results.json, in the
// reports' summary, for its own criterion, and for one on the GPUs' throttled readings, which
// are unknown.
TEST(BurnAcceptance, ATelemetryStopFailsTheBurnAndLeavesThrottlingUnknown) {
  ResultsDocument doc = burn_document();
  doc.burn->devices.resize(1);  // gpu0, OK
  const std::string why =
      "nvml stopped answering 12.0 s into the FP64 burn (no reading for 60 s; a hung driver?)";
  const nlohmann::json passing = to_json(doc);
  EXPECT_EQ(passing["burn"]["telemetry_stopped"], "");
  EXPECT_NE(MarkdownPrinter().print(doc).find("PASS: 1 device burn"), std::string::npos);
  doc.burn->telemetry_stopped = why;
  const nlohmann::json j = to_json(doc);
  EXPECT_EQ(j["burn"]["telemetry_stopped"], why);
  EXPECT_EQ(to_json(results_from_json(j)), j);
  nlohmann::json older = j;  // a file from before it was recorded
  older["burn"].erase("telemetry_stopped");
  EXPECT_EQ(results_from_json(older).burn->telemetry_stopped, "");
  const std::string md = MarkdownPrinter().print(doc);
  EXPECT_NE(md.find("FAIL: 1 device burn of 600 s each: 1 OK, 0 FAULTY"), std::string::npos) << md;
  EXPECT_NE(md.find("GPU telemetry: nvml, stopped: " + why), std::string::npos) << md;
  EXPECT_NE(HtmlPrinter().print(doc).find("banner fail"), std::string::npos);
  const AcceptanceResult r = check_rows(
      "burn.faulty,==,0,fail,any,\n"
      "burn.telemetry_stopped,==,0,fail,any,\n"
      "burn.gpu.throttled_readings,==,0,fail,any,\n",
      doc);
  EXPECT_FALSE(r.passed);
  ASSERT_NE(find(r, "burn.faulty"), nullptr);
  EXPECT_EQ(find(r, "burn.faulty")->verdict, Verdict::pass);
  ASSERT_NE(find(r, "burn.telemetry_stopped"), nullptr);
  EXPECT_EQ(find(r, "burn.telemetry_stopped")->verdict, Verdict::fail);
  EXPECT_EQ(find(r, "burn.telemetry_stopped")->measured, 1);
  const CriterionVerdict* throttled = find(r, "burn.gpu0.throttled_readings");
  ASSERT_NE(throttled, nullptr);
  EXPECT_FALSE(throttled->measured);
  EXPECT_EQ(throttled->reason, "not measured: GPU telemetry stopped: " + why);
}

// A GPU whose test completed with a memory-error count risen failed the test (memtest.failed),
// but its bad words are known: 0. One that did not complete has them unknown.
TEST(BurnAcceptance, AnEccRiseFailsTheMemoryTestWithItsBadWordsKnown) {
  ResultsDocument doc = burn_document();
  doc.memtest->devices.resize(1);  // gpu0: 3 passes, no bad word
  doc.memtest->devices[0].memory_error_rises = {{"ecc.corrected_volatile", 0, 1}};
  const std::string rows =
      "memtest.failed,==,0,fail,any,\nmemtest.bad_words,==,0,fail,any,\n"
      "memtest.gpu0.bad_words,==,0,fail,any,\n";
  const AcceptanceResult r = check_rows(rows, doc);
  EXPECT_FALSE(r.passed);
  ASSERT_NE(find(r, "memtest.failed"), nullptr);
  EXPECT_EQ(find(r, "memtest.failed")->measured, 1);
  EXPECT_EQ(find(r, "memtest.failed")->verdict, Verdict::fail);
  EXPECT_EQ(find(r, "memtest.bad_words")->measured, 0);
  EXPECT_EQ(find(r, "memtest.bad_words")->verdict, Verdict::pass);
  EXPECT_EQ(find(r, "memtest.gpu0.bad_words")->measured, 0);
  EXPECT_EQ(find(r, "memtest.gpu0.bad_words")->verdict, Verdict::pass);

  // Without the rise it passes; without a complete pass its bad words are unknown.
  doc.memtest->devices[0].memory_error_rises.clear();
  EXPECT_TRUE(check_rows(rows, doc).passed);
  doc.memtest->devices[0].passes = 0;
  const AcceptanceResult incomplete = check_rows(rows, doc);
  EXPECT_EQ(find(incomplete, "memtest.bad_words")->measured, std::nullopt);
  EXPECT_NE(find(incomplete, "memtest.gpu0.bad_words")->reason.find("did not complete"),
            std::string::npos);
  EXPECT_EQ(find(incomplete, "memtest.failed")->measured, 1);
}

// A precision asked for that no device burned (the burn interrupted before it) burned for 0 s: the
// first precision's whole burn alone does not pass burn.duration_s.
TEST(BurnAcceptance, APrecisionNeverBurnedLastsNoTime) {
  ResultsDocument doc = burn_document();
  doc.burn->devices.pop_back();  // left: gpu0 FP64, its whole 600 s
  doc.burn->precisions = {Precision::fp64, Precision::fp32};
  const auto duration = [](const ResultsDocument& d) {
    const AcceptanceResult r = check_rows("burn.duration_s,>=,600,fail,any,\n", d);
    const CriterionVerdict* c = find(r, "burn.duration_s");
    return c == nullptr ? std::optional<double>(-1) : c->measured;
  };
  EXPECT_EQ(duration(doc), 0);
  doc.burn->precisions = {Precision::fp64};
  EXPECT_EQ(duration(doc), 600);
  doc.burn->precisions.clear();  // a file from before the field
  EXPECT_EQ(duration(doc), 600);
}

// A GPU that could not run a precision is counted by burn.unsupported, has no throughput drop,
// and lends the precision no duration: a precision no device could run is 0 s long.
TEST(BurnAcceptance, UnsupportedBurnsAreCountedAndLastNoTime) {
  ResultsDocument doc = burn_document();
  for (const int gpu : {0, 1}) {
    doc.burn->devices.push_back({.device = DeviceRef::gpu({gpu}),
                                 .implementation = "cublaslt",
                                 .precision = Precision::fp8_e4m3,
                                 .problem = Problem::matrix(8192, 8192, 8192),
                                 .verdict = BurnVerdict::unsupported,
                                 .why = "FP8 matmul needs compute capability 8.9"});
  }
  const AcceptanceResult r = check_rows(
      "burn.unsupported,==,0,fail,any,\nburn.gpu0.unsupported,==,0,fail,any,\n"
      "burn.duration_s,>=,600,fail,any,\nburn.gpu0.throughput_drop,<=,0.1,fail,any,\n",
      doc);
  ASSERT_NE(find(r, "burn.unsupported"), nullptr);
  EXPECT_EQ(find(r, "burn.unsupported")->measured, 2);
  EXPECT_EQ(find(r, "burn.gpu0.unsupported")->measured, 1);
  EXPECT_EQ(find(r, "burn.duration_s")->measured, 0);
  const CriterionVerdict* drop = find(r, "burn.gpu0.throughput_drop");
  ASSERT_NE(drop, nullptr);
  EXPECT_EQ(drop->verdict, Verdict::fail);
  EXPECT_NE(drop->reason.find("gpu0 cannot burn FP8 E4M3: FP8 matmul needs compute capability 8.9"),
            std::string::npos)
      << drop->reason;
  // The burn report counts them too, and does not call the burn a pass.
  const std::string md = MarkdownPrinter().print(doc);
  EXPECT_NE(md.find("2 UNSUPPORTED (not burned)"), std::string::npos) << md;
}

// On a machine of two models, a burn or memory-test row keyed to one model judges that model's
// GPUs alone, as a rate row does: the A10's falling throughput and bad words are not the H100
// rows' to fail. A task given the A10 alone (--gpus 1) is not judged on the H100 rows of each GPU.
TEST(BurnAcceptance, ARowKeyedToAModelJudgesThatModelsGpusAlone) {
  ResultsDocument doc = burn_document();  // gpu1's throughput falls, and it has 2 bad words
  doc.environment.gpu.devices[1].name = "NVIDIA A10";
  const std::string h100_rows =
      "burn.gpu.throughput_drop,<=,0.1,fail,NVIDIA H100*,\n"
      "memtest.gpu.bad_words,==,0,fail,NVIDIA H100*,\n"
      "burn.gpu1.throughput_drop,<=,0.1,fail,NVIDIA H100*,\n"
      "burn.gpu0.faulty,==,0,fail,NVIDIA H100*,\n";
  const auto judged_as = [](const AcceptanceResult& r, const std::string& metric) {
    return std::count_if(r.criteria.begin(), r.criteria.end(),
                         [&](const CriterionVerdict& v) { return v.metric == metric; });
  };
  const AcceptanceResult r =
      check_rows(h100_rows + "memtest.gpu.bad_words,==,0,fail,NVIDIA A10,\n", doc);
  EXPECT_EQ(find(r, "burn.gpu0.throughput_drop")->verdict, Verdict::pass);
  EXPECT_EQ(find(r, "memtest.gpu0.bad_words")->verdict, Verdict::pass);
  EXPECT_EQ(find(r, "burn.gpu0.faulty")->verdict, Verdict::pass);
  const CriterionVerdict* a10_by_name = find(r, "burn.gpu1.throughput_drop");
  EXPECT_EQ(judged_as(r, "burn.gpu1.throughput_drop"), 1);  // the named row, not the gpu. one
  EXPECT_EQ(a10_by_name->verdict, Verdict::fail);
  EXPECT_EQ(a10_by_name->reason, "not measured: this machine has no gpu1 matching NVIDIA H100*");
  EXPECT_EQ(judged_as(r, "memtest.gpu1.bad_words"), 1);  // by the A10's row
  EXPECT_EQ(find(r, "memtest.gpu1.bad_words")->measured, 2);
  EXPECT_TRUE(r.not_applied.empty());
  // The totals are the burn's as a whole, whatever model the row is keyed to.
  EXPECT_EQ(find(check_rows("burn.faulty,==,0,fail,NVIDIA H100*,\n", doc), "burn.faulty")->measured,
            1);

  // A build without CUDA on this machine: the H100 rows apply, and fail with why.
  ResultsDocument unseen = doc;
  unseen.environment.gpu.devices.clear();
  unseen.environment.gpu.no_device_reason = "built without CUDA";
  unseen.environment.health = MachineHealth{.gpu_source = "nvml"};
  unseen.environment.health->gpus.push_back(
      {.index = 0, .nvml_index = 0, .name = "NVIDIA H100 80GB HBM3"});
  unseen.burn->devices.clear();
  const AcceptanceResult blind = check_rows(h100_rows, unseen);
  ASSERT_NE(find(blind, "burn.gpu.throughput_drop"), nullptr);
  EXPECT_EQ(find(blind, "burn.gpu.throughput_drop")->reason,
            "not measured: CUDA sees no GPU (built without CUDA), though NVML lists gpu0 NVIDIA "
            "H100 80GB HBM3");
  EXPECT_EQ(find(blind, "burn.gpu0.faulty")->verdict, Verdict::fail);
  // The CPU's own reasons, and those of results without a burn, stand.
  const AcceptanceResult cpu = check_rows("burn.cpu.faulty,==,0,fail,any,\n", unseen);
  EXPECT_EQ(find(cpu, "burn.cpu.faulty")->reason, "not measured: the burn did not burn cpu");
  unseen.burn.reset();
  const AcceptanceResult no_burn = check_rows(h100_rows, unseen);
  EXPECT_EQ(find(no_burn, "burn.gpu.throughput_drop")->reason,
            "not measured: these results have no burn-in (flopbench burn writes one)");

  // The A10's task: its burn and memory test ran gpu1 alone.
  doc.run.gpus = {1};
  doc.burn->devices.erase(doc.burn->devices.begin());
  doc.memtest->devices.erase(doc.memtest->devices.begin());
  const AcceptanceResult task = check_rows(h100_rows, doc);
  ASSERT_EQ(task.not_applied.size(), 2u);
  EXPECT_NE(task.not_applied[0].find("burn.gpu.throughput_drop"), std::string::npos);
  EXPECT_NE(task.not_applied[1].find("memtest.gpu.bad_words"), std::string::npos);
  EXPECT_EQ(find(task, "burn.gpu0.faulty")->reason,
            "not measured: gpu0 is not among the GPUs this run was given (--gpus 1)");
  EXPECT_EQ(judged_as(task, "burn.gpu1.throughput_drop"), 1);
  EXPECT_EQ(judged_as(task, "memtest.gpu1.bad_words"), 0);
}

TEST(BurnAcceptance, BadMetricNamesAndBoundsAreRefused) {
  for (const char* row :
       {"burn.fast,==,0,fail,any,", "burn.gpu0.speed,<=,1,fail,any,",
        "burn.gpu0+gpu1.faulty,==,0,fail,any,", "memtest.cpu.bad_words,==,0,fail,any,",
        "burn.faulty,==,0 GFLOP/s,fail,any,", "burn.gpu.faulty,==,0.5 * peak,fail,any,"}) {
    EXPECT_THROW(check_rows(std::string(row) + "\n", burn_document()), InputError) << row;
  }
  // A throughput drop is a fraction: 10, meant as 10 %, would never fail.
  try {
    check_rows("burn.gpu.throughput_drop,<=,10,fail,any,\n", burn_document());
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bound '10' of a throughput drop: expected a fraction "
                                         "up to 1 (0.1 is a drop of 10 %)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(check_rows("burn.gpu.throughput_drop,<=,0.1,fail,any,\n", burn_document()));
  EXPECT_NO_THROW(check_rows("burn.gpu.throughput_drop,>=,-0.05,warn,any,\n", burn_document()));
}

// ---- the course of `flopbench burn` over its precisions (app/burn_course.hpp) ----------------

// How a stand-in device's burn at one precision ends.
enum class BurnEnd { ok, hung, context_lost };

// Two stand-in H100s and the CPU, burned by burn_each_precision with what they do at each
// precision set here: the burns it asked for, the telemetry and health reads it made and what
// it printed are kept.
struct BurnCourseStandIn {
  struct Telemetry final : TelemetrySource {
    explicit Telemetry(std::vector<std::vector<int>>* reads) : asked(reads) {}
    std::string name() const override { return "test"; }
    std::vector<GpuTelemetry> read(const std::vector<GpuDevice>& gpus) override {
      std::vector<int>& indices = asked->emplace_back();
      for (const GpuDevice& g : gpus) indices.push_back(g.index);
      return {};
    }
    std::vector<std::vector<int>>* asked;
  };

  ResultsDocument doc;
  std::map<std::pair<std::string, Precision>, BurnEnd> ends;  // (device label, precision)
  std::vector<double> xid_count = {0, 0};  // each GPU's XID count, as health() reads it now
  // Called in each burn, with its precision and observer (the telemetry read, a stop heard).
  std::function<void(Precision, const BurnObserver&)> during;
  std::vector<std::vector<std::string>> burned;   // each burn's devices
  std::vector<std::vector<int>> telemetry_asked;  // the GPUs of each telemetry read
  int health_reads = 0, saves = 0;
  std::string printed;
  std::weak_ptr<TelemetrySource> telemetry;  // expired once the course let go of it

  BurnCourseStandIn() {
    for (const int i : {0, 1}) {
      doc.environment.gpu.devices.push_back(
          GpuDevice{.index = i, .name = "NVIDIA H100 80GB HBM3", .cc_major = 9});
    }
    doc.environment.health = health();
    doc.burn = BurnResult{.duration_s = 1, .degraded_fraction = 0.1, .telemetry_source = "test"};
  }

  MachineHealth health() const {
    MachineHealth h;
    for (const int i : {0, 1}) {
      GpuHealth g{.index = i, .nvml_index = i, .cuda_visible = true};
      g.facts["xid.count"] = HealthFact::of(xid_count[static_cast<std::size_t>(i)]);
      h.gpus.push_back(g);
    }
    return h;
  }

  // Burns `devices` (default: gpu0, gpu1 and the CPU) at `precisions`; returns
  // burn_each_precision's answer.
  bool run(std::vector<Precision> precisions,
           std::vector<DeviceRef> devices = {DeviceRef::gpu({0}), DeviceRef::gpu({1}),
                                             DeviceRef::cpu()}) {
    const Implementation* gemm = registry().find(WorkloadId::gemm, "omp");
    char* text = nullptr;
    std::size_t length = 0;
    std::FILE* out = open_memstream(&text, &length);
    auto source = std::make_shared<Telemetry>(&telemetry_asked);
    telemetry = source;
    const bool failed = burn_each_precision(
        {.precisions = std::move(precisions),
         .devices = std::move(devices),
         .stage =
             [gemm](Precision precision, const std::vector<DeviceRef>& to_burn) {
               BurnStage stage{.settings = {.precision = precision,
                                            .problem = Problem::matrix(64, 64, 64),
                                            .duration_s = 1}};
               for (const DeviceRef& d : to_burn) stage.targets.push_back({gemm, d});
               return stage;
             },
         .burn =
             [this](const std::vector<BurnTarget>& targets, const BurnSettings& settings,
                    const BurnObserver& observer) {
               std::vector<BurnDevice> ran;
               std::vector<std::string>& labels = burned.emplace_back();
               for (const BurnTarget& t : targets) {
                 labels.push_back(t.device.label());
                 BurnDevice d{.device = t.device,
                              .implementation = "omp",
                              .precision = settings.precision,
                              .problem = settings.problem,
                              .iterations = 2,
                              .seconds = 1};
                 switch (ends[{t.device.label(), settings.precision}]) {
                   case BurnEnd::ok:
                     break;
                   case BurnEnd::hung:
                     d.hung = true;
                     d.fault = "no response: no iteration ended for 60 s; the GPU may be hung";
                     break;
                   case BurnEnd::context_lost:
                     d.context_lost = true;
                     d.fault =
                         "failed: an illegal memory access was encountered (its CUDA "
                         "context is lost)";
                     break;
                 }
                 ran.push_back(d);
               }
               // Progress as the burn gives it: the devices so far, then all of them.
               observer.progress({ran.front()}, 0.4);
               observer.progress(ran, 1);
               if (during) during(settings.precision, observer);
               return ran;
             },
         .health =
             [this] {
               ++health_reads;
               return health();
             },
         .telemetry = std::move(source),
         .save = [this] { ++saves; },
         .out = out},
        doc);
    std::fclose(out);
    printed.assign(text, length);
    std::free(text);
    return failed;
  }

  const BurnDevice& device(const std::string& label, Precision precision) const {
    for (const BurnDevice& d : doc.burn->devices) {
      if (d.device.label() == label && d.precision == precision) return d;
    }
    throw std::logic_error("no burn of " + label + " at " +
                           std::string(precision_label(precision)));
  }
};

// A quiet burn passes, its results saved, the health facts read after each precision and each
// compared with the last reading: an XID count that rose before the burn (in the environment's
// facts) or in an earlier precision is no fault of a later one.
TEST(BurnCourse, EachPrecisionComparesTheHealthFactsWithTheLastReading) {
  BurnCourseStandIn quiet;
  EXPECT_FALSE(quiet.run({Precision::fp32, Precision::fp64}));
  EXPECT_EQ(quiet.burned, (std::vector<std::vector<std::string>>{{"gpu0", "gpu1", "cpu"},
                                                                 {"gpu0", "gpu1", "cpu"}}));
  EXPECT_EQ(quiet.doc.burn->devices.size(), 6u);
  EXPECT_EQ(quiet.health_reads, 2);
  EXPECT_GE(quiet.saves, 2);
  EXPECT_NE(quiet.printed.find("burning gpu0, gpu1, cpu at FP64 for 1 s: gemm 64x64x64"),
            std::string::npos)
      << quiet.printed;
  EXPECT_NE(quiet.printed.find("  [    1 s] gpu1  2 runs, - GFLOP/s\n"), std::string::npos)
      << quiet.printed;
  EXPECT_NE(quiet.printed.find("gpu1  FP64 OK       2 runs in 1.0 s: no throughput point"),
            std::string::npos)
      << quiet.printed;
  EXPECT_TRUE(quiet.telemetry.expired());  // shut down as the course ends

  BurnCourseStandIn xid;
  xid.during = [&](Precision precision, const BurnObserver&) {
    if (precision == Precision::fp32) xid.xid_count[1] = 2;
  };
  EXPECT_TRUE(xid.run({Precision::fp32, Precision::fp64}));
  EXPECT_EQ(xid.device("gpu0", Precision::fp32).verdict, BurnVerdict::ok);
  const BurnDevice& faulty = xid.device("gpu1", Precision::fp32);
  EXPECT_EQ(faulty.verdict, BurnVerdict::faulty);
  EXPECT_EQ(faulty.fault, "during the burn: xid.count rose from 0 to 2");
  // An XID rise leaves the GPU usable: it burns the next precision, compared with 2.
  EXPECT_EQ(xid.burned.at(1), (std::vector<std::string>{"gpu0", "gpu1", "cpu"}));
  EXPECT_EQ(xid.device("gpu1", Precision::fp64).verdict, BurnVerdict::ok)
      << xid.device("gpu1", Precision::fp64).fault;
  EXPECT_EQ(xid.health_reads, 2);
  EXPECT_EQ(xid.printed.find("burns no further"), std::string::npos) << xid.printed;
}

// A GPU whose CUDA context a fault lost burns no later precision (it would only fail at its
// first call): the others go on, their health still read, and its own fault is not replaced by
// a rise the health facts show.
TEST(BurnCourse, AGpuThatLostItsContextBurnsNoLaterPrecision) {
  BurnCourseStandIn course;
  course.ends[{"gpu0", Precision::fp32}] = BurnEnd::context_lost;
  course.during = [&](Precision precision, const BurnObserver& observer) {
    observer.telemetry();
    course.xid_count[precision == Precision::fp32 ? 0 : 1] += 1;
  };
  EXPECT_TRUE(course.run({Precision::fp32, Precision::fp64, Precision::fp16}));
  EXPECT_EQ(course.burned, (std::vector<std::vector<std::string>>{
                               {"gpu0", "gpu1", "cpu"}, {"gpu1", "cpu"}, {"gpu1", "cpu"}}));
  EXPECT_EQ(course.telemetry_asked, (std::vector<std::vector<int>>{{0, 1}, {1}, {1}}));
  const BurnDevice& lost = course.device("gpu0", Precision::fp32);
  EXPECT_EQ(lost.verdict, BurnVerdict::faulty);
  EXPECT_TRUE(lost.fault.ends_with("(its CUDA context is lost)")) << lost.fault;
  EXPECT_EQ(course.device("gpu1", Precision::fp64).fault,
            "during the burn: xid.count rose from 0 to 1");
  EXPECT_EQ(course.device("gpu1", Precision::fp16).fault,
            "during the burn: xid.count rose from 1 to 2");
  EXPECT_EQ(course.health_reads, 3);
  EXPECT_EQ(count_of(course.printed, "gpu0 lost its CUDA context: it burns no further precision\n"),
            1u)
      << course.printed;
}

// A GPU that stopped responding burns no later precision, and nothing is read through NVML
// again, for any GPU (a call could block as well): a rise after it goes unseen.
TEST(BurnCourse, AHungGpuBurnsNoLaterPrecisionAndNvmlIsNotReadAgain) {
  BurnCourseStandIn course;
  course.ends[{"gpu1", Precision::fp32}] = BurnEnd::hung;
  course.during = [&](Precision precision, const BurnObserver& observer) {
    observer.telemetry();
    if (precision == Precision::fp64) course.xid_count[0] = 1;
  };
  EXPECT_TRUE(course.run({Precision::fp32, Precision::fp64}));
  EXPECT_EQ(course.burned,
            (std::vector<std::vector<std::string>>{{"gpu0", "gpu1", "cpu"}, {"gpu0", "cpu"}}));
  EXPECT_EQ(course.telemetry_asked, (std::vector<std::vector<int>>{{0, 1}, {0}}));
  EXPECT_EQ(course.health_reads, 0);
  EXPECT_EQ(course.device("gpu0", Precision::fp64).verdict, BurnVerdict::ok);
  EXPECT_EQ(course.device("gpu1", Precision::fp32).verdict, BurnVerdict::faulty);
  EXPECT_NE(course.printed.find("gpu1 stopped responding: it burns no further precision\n"),
            std::string::npos)
      << course.printed;
  EXPECT_FALSE(course.telemetry.expired());  // never shut down: NVML could block on the hung GPU

  // With no device left the course ends; after the last precision nothing is said of one.
  BurnCourseStandIn alone;
  alone.ends[{"gpu0", Precision::fp32}] = BurnEnd::hung;
  EXPECT_TRUE(alone.run({Precision::fp32, Precision::fp64}, {DeviceRef::gpu({0})}));
  EXPECT_EQ(alone.burned, (std::vector<std::vector<std::string>>{{"gpu0"}}));
  BurnCourseStandIn last;
  last.ends[{"gpu0", Precision::fp64}] = BurnEnd::hung;
  EXPECT_TRUE(last.run({Precision::fp32, Precision::fp64}));
  EXPECT_EQ(last.burned.size(), 2u);
  EXPECT_EQ(last.printed.find("burns no further"), std::string::npos) << last.printed;
}

// A telemetry source that stopped answering fails the burn whatever the verdicts, and nothing
// is read through it, nor the health facts, after it.
TEST(BurnCourse, ATelemetryStopFailsTheBurnAndNothingIsReadAfterIt) {
  BurnCourseStandIn course;
  std::vector<bool> had_telemetry;
  course.during = [&](Precision precision, const BurnObserver& observer) {
    had_telemetry.push_back(static_cast<bool>(observer.telemetry));
    if (precision == Precision::fp32) observer.telemetry_stopped(2.5);
  };
  EXPECT_TRUE(course.run({Precision::fp32, Precision::fp64}));
  EXPECT_EQ(had_telemetry, (std::vector<bool>{true, false}));
  EXPECT_EQ(course.burned.size(), 2u);
  EXPECT_TRUE(course.doc.burn->telemetry_stopped.starts_with(
      "test stopped answering 2.5 s into the FP32 burn (no reading for 60 s"))
      << course.doc.burn->telemetry_stopped;
  EXPECT_EQ(course.health_reads, 0);
  EXPECT_TRUE(std::ranges::all_of(
      course.doc.burn->devices, [](const BurnDevice& d) { return d.verdict == BurnVerdict::ok; }));
  EXPECT_NE(course.printed.find("GPU telemetry stopped: test stopped answering"), std::string::npos)
      << course.printed;
  EXPECT_FALSE(course.telemetry.expired());
}

// A precision that burns no GPU reads no GPU telemetry and no health fact: a CPU burn, or the CPU
// burning on once its GPU lost its CUDA context.
TEST(BurnCourse, APrecisionThatBurnsNoGpuReadsNoGpuTelemetryOrHealth) {
  BurnCourseStandIn course;
  course.ends[{"gpu0", Precision::fp32}] = BurnEnd::context_lost;
  std::vector<bool> had_telemetry;
  course.during = [&](Precision, const BurnObserver& observer) {
    had_telemetry.push_back(static_cast<bool>(observer.telemetry));
  };
  EXPECT_TRUE(
      course.run({Precision::fp32, Precision::fp64}, {DeviceRef::gpu({0}), DeviceRef::cpu()}));
  EXPECT_EQ(course.burned, (std::vector<std::vector<std::string>>{{"gpu0", "cpu"}, {"cpu"}}));
  EXPECT_EQ(had_telemetry, (std::vector<bool>{true, false}));
  EXPECT_EQ(course.health_reads, 1);

  BurnCourseStandIn cpu;
  cpu.during = course.during;
  had_telemetry.clear();
  EXPECT_FALSE(cpu.run({Precision::fp32, Precision::fp64}, {DeviceRef::cpu()}));
  EXPECT_EQ(had_telemetry, (std::vector<bool>{false, false}));
  EXPECT_EQ(cpu.health_reads, 0);
  EXPECT_EQ(cpu.doc.burn->devices.size(), 2u);
}

}  // namespace
}  // namespace flopbench
