// The harness: statistics, stopping rule, size parsing, selection, and every registered CPU
// implementation against the double reference on odd sizes.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <omp.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "app/cli_selection.hpp"
#include "cpu_baselines/blocking.hpp"
#include "cpu_baselines/openblas_common.hpp"
#if FLOPBENCH_HAVE_DNNL
#include "cpu_baselines/onednn_isa.hpp"
#endif
#include "harness/core/host_buffer.hpp"
#include "harness/core/registry.hpp"
#include "harness/core/sizes.hpp"
#include "harness/core/statistics.hpp"
#include "harness/machine/clock.hpp"
#include "harness/machine/inventory.hpp"
#include "harness/machine/peak_model.hpp"
#include "harness/machine/probe.hpp"
#include "harness/machine/vector_shape.hpp"
#include "harness/measure/burn.hpp"
#include "harness/measure/interrupts.hpp"
#include "harness/measure/runner.hpp"
#include "reports/format.hpp"
#include "tests/test_support.hpp"

namespace flopbench {
namespace {

using testing::fresh_seed;
using testing::odd_problems;

// ---- host buffers -------------------------------------------------------------------------------

// A large host buffer is pages no one has touched, 2 MiB aligned, however many buffers came and
// went before it, so that the threads filling it place its pages on their own NUMA nodes: once a
// freed 16 MiB buffer has raised glibc's mmap threshold, malloc serves an 8 MiB buffer from its
// heap, whose pages the buffer before it touched. Moved, it keeps its pages; destroyed, it gives
// them back.
TEST(HostBuffer, ALargeBufferIsPagesNoOneTouched) {
  if (kAddressSanitizer) GTEST_SKIP() << "under AddressSanitizer every buffer is malloc's";
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  // The pages of [p, p + bytes) in memory; -1 where the range is not mapped.
  const auto resident_pages = [&](void* p, std::size_t bytes) -> std::ptrdiff_t {
    std::vector<unsigned char> pages((bytes + page - 1) / page);
    if (mincore(p, bytes, pages.data()) != 0) return -1;
    return std::count_if(pages.begin(), pages.end(), [](unsigned char r) { return r & 1; });
  };
  {
    // gVisor's mincore says every mapped page is in memory.
    void* probe =
        mmap(nullptr, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(probe, MAP_FAILED);
    const std::ptrdiff_t untouched = resident_pages(probe, 4 * page);
    munmap(probe, 4 * page);
    if (untouched != 0) GTEST_SKIP() << "mincore does not tell untouched pages here";
  }
  constexpr std::size_t kBytes = 8 << 20;
  {
    HostBuffer<char> large(16 << 20);
    std::memset(large.data(), 1, large.size());
  }
  for (int round = 0; round < 3; ++round) {
    HostBuffer<char> b(kBytes);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % (2 << 20), 0u);
    EXPECT_EQ(resident_pages(b.data(), kBytes), 0) << "round " << round;
    std::memset(b.data(), 1, b.size());
    EXPECT_EQ(resident_pages(b.data(), kBytes), std::ptrdiff_t(kBytes / page)) << "round " << round;
  }

  std::vector<HostBuffer<char>> buffers;
  std::vector<char*> where;
  for (int i = 0; i < 4; ++i) {  // the vector grows: the buffers move
    buffers.emplace_back(kBytes);
    buffers.back()[kBytes - 1] = char('a' + i);
    where.push_back(buffers.back().data());
  }
  HostBuffer<char> small(100);
  small = std::move(buffers[0]);  // a mapping over malloc's memory
  for (std::size_t i = 1; i < buffers.size(); ++i) {
    EXPECT_EQ(buffers[i].data(), where[i]);
    EXPECT_EQ(buffers[i][kBytes - 1], char('a' + i));
  }
  EXPECT_EQ(small.data(), where[0]);
  EXPECT_EQ(small[kBytes - 1], 'a');
  buffers.clear();
  for (std::size_t i = 1; i < where.size(); ++i) {
    EXPECT_EQ(resident_pages(where[i], kBytes), -1) << "buffer " << i << " is still mapped";
  }
  small = HostBuffer<char>(100);  // malloc's memory over a mapping
  EXPECT_EQ(resident_pages(where[0], kBytes), -1);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(small.data()) % 64, 0u);
  EXPECT_THROW(HostBuffer<double>(SIZE_MAX / 4), std::bad_alloc);
}

// ---- statistics and stopping rule --------------------------------------------------------------

TEST(Statistics, KnownValues) {
  const std::vector<double> xs = {4, 1, 3, 2};
  const Statistics s = compute_statistics(xs);
  EXPECT_EQ(s.samples, 4);
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 4);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_NEAR(s.stddev, std::sqrt(5.0 / 3.0), 1e-12);  // sample standard deviation
  EXPECT_NEAR(s.cv, std::sqrt(5.0 / 3.0) / 2.5, 1e-12);
}

TEST(Statistics, OddCountMedianAndSingleSample) {
  EXPECT_DOUBLE_EQ(compute_statistics(std::vector<double>{5, 1, 9}).median, 5);
  const Statistics one = compute_statistics(std::vector<double>{0.25});
  EXPECT_EQ(one.samples, 1);
  EXPECT_DOUBLE_EQ(one.median, 0.25);
  EXPECT_DOUBLE_EQ(one.stddev, 0);
  EXPECT_EQ(compute_statistics({}).samples, 0);
}

// A results file may hold "nan" samples; sorted with `<` they would land anywhere (undefined
// behaviour). They sort last, as the slowest, wherever they stood.
TEST(Statistics, NanSortsLast) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const std::vector<double>& xs :
       {std::vector{nan, 3.0, 1.0, 2.0}, std::vector{3.0, nan, 2.0, 1.0}}) {
    const Statistics s = compute_statistics(xs);
    EXPECT_DOUBLE_EQ(s.min, 1);
    EXPECT_TRUE(std::isnan(s.max));
    EXPECT_DOUBLE_EQ(s.median, 2.5);
    EXPECT_DOUBLE_EQ(median_of(xs), 2.5);
    EXPECT_DOUBLE_EQ(lower_median_of(xs), 2);
  }
  std::vector<double> many(40, nan);
  for (int i = 0; i < 40; i += 2) many[static_cast<std::size_t>(i)] = 40 - i;
  sort_numbers(many);
  EXPECT_TRUE(std::is_sorted(many.begin(), many.begin() + 20));
  EXPECT_TRUE(std::all_of(many.begin() + 20, many.end(), [](double v) { return std::isnan(v); }));
}

TEST(StoppingRule, EachRuleEndsSampling) {
  const StoppingRule rule{.min_samples = 3,
                          .max_samples = 6,
                          .min_measured_s = 1,
                          .target_cv = 0.05,
                          .time_limit_s = 10};
  const std::vector<double> steady = {1.0, 1.01, 0.99};
  const std::vector<double> noisy = {1.0, 2.0, 0.5};
  EXPECT_EQ(stopping_reason(rule, steady, 3.0, 1), "converged");
  EXPECT_EQ(stopping_reason(rule, std::vector<double>{1.0, 1.0}, 2.0, 1), "");  // too few samples
  EXPECT_EQ(stopping_reason(rule, steady, 0.5, 1), "");                         // too little time
  EXPECT_EQ(stopping_reason(rule, noisy, 3.5, 1), "");                          // too noisy
  EXPECT_EQ(stopping_reason(rule, noisy, 3.5, 11), "time_limit");
  const std::vector<double> noisy6 = {1, 2, 1, 2, 1, 2};
  EXPECT_EQ(stopping_reason(rule, noisy6, 9, 1), "max_samples");
}

// A GPU settling into its power cap: the samples of an H200's cuBLAS DGEMM at 8192 (ms), CV 2.5 %,
// which the quick profile's 5 % took as converged, rose by 5 % from the first half to the last.
TEST(StoppingRule, DriftingSamplesHaveNotConverged) {
  const std::vector<double> settling = {17.705, 17.732, 18.039, 18.581, 18.668};
  EXPECT_NEAR(drift_of(settling), 18.6245 / 17.7185 - 1, 1e-12);  // medians of 2 and 2
  EXPECT_NEAR(drift_of(std::vector<double>{4, 3, 2, 1}), 1.5 / 3.5 - 1, 1e-12);  // getting faster
  EXPECT_EQ(drift_of(std::vector<double>{1, 2, 3}), 0);                          // too few to halve
  StoppingRule rule{.min_samples = 5, .min_measured_s = 0.05, .target_cv = 0.05};
  EXPECT_EQ(stopping_reason(rule, settling, 0.09, 0.5), "converged");  // no drift limit
  rule.max_drift = rule.target_cv / 2;
  EXPECT_EQ(stopping_reason(rule, settling, 0.09, 0.5), "");
  EXPECT_EQ(stopping_reason(rule, settling, 0.09, 11), "time_limit");
  // Seven steady samples later, the ramp is still in the earlier half's median: not yet.
  std::vector<double> more = settling;
  for (const double ms : {19.0, 19.01, 19.02, 19.0, 19.03, 19.01, 19.02}) more.push_back(ms);
  EXPECT_GT(drift_of(more), 0.025);
  EXPECT_EQ(stopping_reason(rule, more, 0.22, 0.8), "");
  // Thirteen: the earlier half's median (of 9, the 5 of the ramp among them) is the ramp's
  // last sample, 1.8 % below the later half's; converged.
  for (const double ms : {19.0, 19.01, 19.02, 19.0, 19.03, 19.01}) more.push_back(ms);
  EXPECT_LT(std::abs(drift_of(more)), 0.025);
  EXPECT_EQ(stopping_reason(rule, more, 0.33, 1), "converged");
}

// ---- sizes and selection -----------------------------------------------------------------------

TEST(Sizes, ParsesCountsSuffixesAndShapes) {
  EXPECT_EQ(parse_size("1024"), (SizeSpec{0, 1024, 0}));
  EXPECT_EQ(parse_size("32M"), (SizeSpec{0, 32 << 20, 0}));
  EXPECT_EQ(parse_size("2k"), (SizeSpec{0, 2048, 0}));
  EXPECT_EQ(parse_size("17x63x65"), (SizeSpec{17, 63, 65}));
  EXPECT_EQ(parse_size("16X16x2K"), (SizeSpec{16, 16, 2048}));
  EXPECT_THROW(parse_size("16X16"), InputError);
  EXPECT_THROW(parse_size("1x2X3x4"), InputError);
  EXPECT_EQ(parse_sizes("1,2K").size(), 2u);
  // Every comma-separated value is split alike, its empty items kept for the caller to refuse.
  EXPECT_EQ(split_commas("a,,b"), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_EQ(split_commas(""), (std::vector<std::string_view>{""}));
  EXPECT_EQ(split_commas("dot,"), (std::vector<std::string_view>{"dot", ""}));
}

TEST(Counted, SingularAtOneWholeCountsInFull) {
  EXPECT_EQ(counted(1, "thread"), "1 thread");
  EXPECT_EQ(counted(0, "thread"), "0 threads");
  EXPECT_EQ(counted(2, "GPU"), "2 GPUs");
  EXPECT_EQ(counted(1.5, "CPU"), "1.5 CPUs");
  EXPECT_EQ(counted(2'500'000, "word"), "2500000 words");  // not 2.5e+06
}

TEST(Durations, SecondsMinutesAndHours) {
  EXPECT_DOUBLE_EQ(parse_duration("20"), 20);
  EXPECT_DOUBLE_EQ(parse_duration("20s"), 20);
  EXPECT_DOUBLE_EQ(parse_duration("1.5s"), 1.5);
  EXPECT_DOUBLE_EQ(parse_duration("10m"), 600);
  EXPECT_DOUBLE_EQ(parse_duration("2h"), 7200);
  EXPECT_DOUBLE_EQ(parse_duration("1"), 1);
  for (const char* bad :
       {"", "m", "0", "0.4", "0.0001s", "-5s", "10d", "10 m", "nan", "inf", "8d", "200h"}) {
    EXPECT_THROW(parse_duration(bad), InputError) << bad;
  }
}

TEST(Sizes, RejectsBadValuesWithTheEntryInTheMessage) {
  for (const char* bad : {"0", "-5", "abc", "12x", "1x2", "1x2x3x4", "x", "", "1.5",
                          "99999999999999999999", "9000000000G", "0x4x4"}) {
    SCOPED_TRACE(bad);
    try {
      parse_size(bad);
      ADD_FAILURE() << "accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(parse_sizes("1,,2"), InputError);
  EXPECT_THROW(parse_sizes("1000,"), InputError);
}

TEST(Sizes, TripleOnlyForMatrixWorkloads) {
  EXPECT_EQ(to_problem(parse_size("64"), info(WorkloadId::gemm)), Problem::matrix(64, 64, 64));
  EXPECT_EQ(to_problem(parse_size("2x3x4"), info(WorkloadId::gemm)), Problem::matrix(2, 3, 4));
  EXPECT_EQ(to_problem(parse_size("64"), info(WorkloadId::sum)), Problem::vector(64));
  EXPECT_THROW(to_problem(parse_size("2x3x4"), info(WorkloadId::sum)), InputError);
}

TEST(Selection, WorkloadNamesAndShorthands) {
  const auto choices = parse_workloads("sgemm,sum");
  ASSERT_EQ(choices.size(), 2u);
  EXPECT_EQ(choices[0].workload, WorkloadId::gemm);
  EXPECT_EQ(choices[0].only, Precision::fp32);
  EXPECT_FALSE(choices[1].only.has_value());
  EXPECT_THROW(parse_workloads("gemm,nosuch"), InputError);
}

Environment test_environment() {
  Environment env;
  env.cpu = cpu_inventory();
  env.gpu.no_device_reason = "test environment";
  return env;
}

TEST(Selection, PlanFollowsTheSelection) {
  Selection sel;
  sel.workloads = parse_workloads("dgemm");
  sel.implementations = {"omp"};
  // A size given twice, in two spellings, is one problem, measured once.
  sel.sizes = parse_sizes("17,8x9x10,17x17x17");
  const auto plan = plan_measurements(sel, test_environment());
  ASSERT_EQ(plan.size(), 2u);
  for (const auto& req : plan) {
    EXPECT_EQ(req.implementation->workload, WorkloadId::gemm);
    EXPECT_EQ(req.implementation->name(), "omp");
    EXPECT_EQ(req.precision, Precision::fp64);
    EXPECT_EQ(req.device, DeviceRef::cpu());
  }
  EXPECT_EQ(plan[1].problem, Problem::matrix(8, 9, 10));
}

// A precision asked for by name reaches every selected implementation of a workload that has
// it somewhere: the ones that lack it are recorded unsupported, saying what they run. Workloads
// nothing runs at that precision are left out.
TEST(Selection, NamedPrecisionMakesTheImplementationsThatLackItUnsupported) {
  Selection sel;
  sel.precisions = {Precision::bf16};
  sel.sizes = parse_sizes("16");
  sel.implementations = {"omp", "onednn"};
  const auto plan = plan_measurements(sel, test_environment());
  ASSERT_EQ(plan.size(), 2u);  // gemm only: no sum, dot, stream or peak runs BF16
  for (const auto& req : plan) {
    EXPECT_EQ(req.implementation->workload, WorkloadId::gemm);
    EXPECT_EQ(req.precision, Precision::bf16);
  }
  const auto omp = std::find_if(plan.begin(), plan.end(), [](const auto& req) {
    return req.implementation->name() == "omp";
  });
  ASSERT_NE(omp, plan.end());
  const MeasurementRecord r =
      measure(*omp, settings_for(Profile::quick, fresh_seed()), test_environment());
  EXPECT_EQ(r.disposition, Disposition::unsupported);
  EXPECT_EQ(r.reason, "gemm omp has no bf16 (it runs fp32, fp64)");
  // Without a named precision, only what each implementation has.
  sel.precisions = {};
  for (const auto& req : plan_measurements(sel, test_environment()))
    EXPECT_TRUE(req.implementation->supports(req.precision)) << req.implementation->name();
}

// A selection of nothing but implementations that lack the precision would measure nothing on
// any machine: refused, saying what each runs, rather than a run of unsupported rows.
TEST(Selection, OnlyImplementationsLackingThePrecisionIsAnError) {
  const auto refusal = [](const Selection& sel) {
    try {
      plan_measurements(sel, test_environment());
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  Selection sel;
  sel.sizes = parse_sizes("16");
  sel.workloads = parse_workloads("sgemm");
  sel.implementations = {"onednn"};
  EXPECT_EQ(refusal(sel),
            "nothing to measure: gemm onednn has no fp32 (it runs bf16, fp16, int8); choose other "
            "--implementations or --precision (see 'flopbench list')");
  sel.workloads = parse_workloads("gemm");
  sel.implementations = {"omp", "eigen"};
  sel.precisions = {Precision::bf16};
  EXPECT_NE(refusal(sel).find("gemm omp has no bf16 (it runs fp32, fp64); "), std::string::npos)
      << refusal(sel);
  // One implementation that has it is enough: the others are recorded unsupported beside it.
  sel.implementations = {"omp", "onednn"};
  EXPECT_EQ(plan_measurements(sel, test_environment()).size(), 2u);
}

TEST(Selection, UnknownImplementationEmptyMatchAndOversizedProblemsAreErrors) {
  Selection sel;
  sel.implementations = {"nosuch"};
  EXPECT_THROW(plan_measurements(sel, test_environment()), InputError);
  sel.implementations = {"openblas"};
  sel.workloads = parse_workloads("sum");  // openblas implements gemm and dot only
  EXPECT_THROW(plan_measurements(sel, test_environment()), InputError);
  sel = {};
  sel.workloads = parse_workloads("gemm");
  sel.sizes = parse_sizes("1000000");  // 8 TB of matrices
  try {
    plan_measurements(sel, test_environment());
    ADD_FAILURE() << "accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("too big"), std::string::npos) << e.what();
  }
}

// GPU default sizes come from the GPU, not the CPU profile: a GEMM with many tiles per SM,
// vectors far beyond L2 (a triad's dirty L2 at its stop event under 1% of its bytes), every
// size within a quarter of the GPU's memory, and the reason recorded.
// An explicit size that cannot fit in this machine's memory is refused before anything runs.
TEST(Selection, SizeBeyondTheMemoryIsRefused) {
  Selection sel;
  sel.workloads = parse_workloads("dgemm");
  sel.implementations = {"omp"};
  sel.sizes = parse_sizes("1M");  // 5 x 2^40 x 8 bytes of host memory
  try {
    plan_measurements(sel, test_environment());
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("size 1048576x1048576x1048576 is too big for gemm fp64"),
              std::string::npos)
        << e.what();
  }
  // What is filtered out need not fit (check keeps what its spec needs): a million elements is
  // a small vector.
  sel.workloads = parse_workloads("dgemm,sum");
  sel.implementations = {};
  const auto plan = plan_measurements(sel, test_environment(), [](const MeasurementRequest& r) {
    return r.implementation->workload == WorkloadId::sum;
  });
  ASSERT_FALSE(plan.empty());
  for (const auto& r : plan) EXPECT_EQ(r.implementation->workload, WorkloadId::sum);
  EXPECT_THROW(plan_measurements(sel, test_environment()), InputError);
  // A filter that keeps nothing plans nothing, without an error: the spec's criteria are then
  // not measured.
  EXPECT_TRUE(
      plan_measurements(sel, test_environment(), [](const auto&) { return false; }).empty());
}

TEST(Selection, GpuDefaultSizesComeFromTheGpu) {
  const SizingFacts h200{.device = DeviceKind::gpu,
                         .cache_bytes = std::int64_t{60} << 20,
                         .memory_bytes = std::int64_t{141} << 30,
                         .sm_count = 132};
  const DefaultSizes gemm =
      info(WorkloadId::gemm).default_sizes(Profile::standard, h200, Precision::fp64);
  EXPECT_EQ(gemm.problems, (std::vector<Problem>{Problem::matrix(8192, 8192, 8192)}));
  EXPECT_NE(gemm.basis.find("132 SMs"), std::string::npos) << gemm.basis;
  EXPECT_NE(gemm.basis.find("128x128 output tiles per SM: 31.0 at 8192"), std::string::npos)
      << gemm.basis;
  // The quick profile's GEMM fills a data-centre GPU too: 1024 tiles on 132 SMs, not 256.
  const DefaultSizes quick_gemm =
      info(WorkloadId::gemm).default_sizes(Profile::quick, h200, Precision::bf16);
  EXPECT_EQ(quick_gemm.problems, (std::vector<Problem>{Problem::matrix(4096, 4096, 4096)}));
  EXPECT_NE(quick_gemm.basis.find("7.8 at 4096"), std::string::npos) << quick_gemm.basis;
  EXPECT_EQ(info(WorkloadId::gemm).default_sizes(Profile::standard, {}, Precision::fp64).problems,
            (std::vector<Problem>{Problem::matrix(1024, 1024, 1024)}));  // the CPU's
  const auto full =
      info(WorkloadId::gemm).default_sizes(Profile::full, h200, Precision::fp64).problems;
  EXPECT_EQ(full.back(), Problem::matrix(16384, 16384, 16384));

  // A small GPU: fewer SMs, less memory.
  const SizingFacts small{.device = DeviceKind::gpu,
                          .cache_bytes = std::int64_t{4} << 20,
                          .memory_bytes = std::int64_t{2} << 30,
                          .sm_count = 20};
  EXPECT_EQ(
      info(WorkloadId::gemm).default_sizes(Profile::standard, small, Precision::fp64).problems,
      (std::vector<Problem>{Problem::matrix(4096, 4096, 4096)}));
  EXPECT_EQ(info(WorkloadId::gemm).default_sizes(Profile::full, small, Precision::fp64).problems,
            (std::vector<Problem>{Problem::matrix(4096, 4096, 4096)}));
  EXPECT_EQ(info(WorkloadId::gemm).default_sizes(Profile::quick, small, Precision::fp64).problems,
            (std::vector<Problem>{Problem::matrix(2048, 2048, 2048)}));

  for (const Precision p : kPrecisions) {
    for (const SizingFacts& gpu : {h200, small}) {
      const auto element = static_cast<std::int64_t>(size_of(p));
      const DefaultSizes triad = info(WorkloadId::stream).default_sizes(Profile::standard, gpu, p);
      ASSERT_EQ(triad.problems.size(), 1u);
      const std::int64_t bytes = 3 * triad.problems[0].n * element;
      EXPECT_LE(bytes, gpu.memory_bytes / 4);
      if (gpu.memory_bytes / 4 > 40 * gpu.cache_bytes * 3) {
        EXPECT_LT(static_cast<double>(gpu.cache_bytes) / static_cast<double>(bytes), 0.01);
      }
      const DefaultSizes quick = info(WorkloadId::sum).default_sizes(Profile::quick, gpu, p);
      EXPECT_GE(quick.problems[0].n * element, 8 * gpu.cache_bytes);
      EXPECT_NE(quick.basis.find("x L2"), std::string::npos) << quick.basis;
    }
  }

  // Where a quarter of the memory binds (an L40S: 96 MiB of L2, 44.4 GiB with ECC on), the size
  // is rounded down to its five leading binary digits (a multiple of 2^24 elements) and the basis
  // says what bound it: a few MiB more reserved by another driver does not move it.
  SizingFacts l40s{.device = DeviceKind::gpu,
                   .cache_bytes = std::int64_t{96} << 20,
                   .memory_bytes = std::int64_t{45474} << 20,
                   .sm_count = 142};
  const DefaultSizes bound =
      info(WorkloadId::stream).default_sizes(Profile::standard, l40s, Precision::fp32);
  ASSERT_EQ(bound.problems.size(), 1u);
  EXPECT_EQ(bound.problems[0].n % (std::int64_t{1} << 24), 0) << bound.problems[0].n;
  EXPECT_LE(3 * bound.problems[0].n * 4, l40s.memory_bytes / 4);
  EXPECT_GT(3 * (bound.problems[0].n + (std::int64_t{1} << 24)) * 4, l40s.memory_bytes / 4);
  EXPECT_NE(bound.basis.find(
                "three vectors' worth within a quarter (11.1 GiB) of its 44.4 GiB of memory, under "
                "40 x L2 (96 MiB)"),
            std::string::npos)
      << bound.basis;
  l40s.memory_bytes -= std::int64_t{64} << 20;
  EXPECT_EQ(
      info(WorkloadId::stream).default_sizes(Profile::standard, l40s, Precision::fp32).problems,
      bound.problems);
}

// The cost model: 2·M·N·K FLOPs; A and B read once, C read and written, but only written by an
// integer GEMM, whose beta is 0.
TEST(Selection, GemmCostModelCountsWhatIsMoved) {
  const WorkloadInfo& gemm = info(WorkloadId::gemm);
  const Problem p = Problem::matrix(10, 20, 30);
  EXPECT_DOUBLE_EQ(gemm.flops(p), 2.0 * 10 * 20 * 30);
  EXPECT_DOUBLE_EQ(gemm.bytes(p, Precision::fp32), (10 * 30 + 30 * 20) * 4 + 2 * 10 * 20 * 4);
  EXPECT_DOUBLE_EQ(gemm.bytes(p, Precision::bf16), (10 * 30 + 30 * 20) * 2 + 2 * 10 * 20 * 4);
  EXPECT_DOUBLE_EQ(gemm.bytes(p, Precision::int8), (10 * 30 + 30 * 20) * 1 + 1 * 10 * 20 * 4);
  const auto int8 = workloads::Gemm::make_inputs<std::int8_t>(p, fresh_seed());
  EXPECT_EQ(int8.beta, 0);
}

TEST(Selection, DefaultVectorSizesExceedTheLastLevelCache) {
  const WorkloadInfo& sum = info(WorkloadId::sum);
  const std::int64_t llc = 256 << 20;
  for (const Precision p : {Precision::fp32, Precision::fp64}) {
    const auto problems = sum.default_sizes(Profile::standard, {.cache_bytes = llc}, p).problems;
    ASSERT_FALSE(problems.empty());
    EXPECT_GE(problems[0].n * static_cast<std::int64_t>(size_of(p)), 4 * llc);
  }
  // The quick profile stays a smoke test, and says where it measures cache as much as memory.
  const DefaultSizes quick =
      sum.default_sizes(Profile::quick, {.cache_bytes = llc}, Precision::fp32);
  ASSERT_EQ(quick.problems.size(), 1u);
  EXPECT_EQ(quick.problems[0].n, 1 << 22);
  EXPECT_NE(quick.basis.find("16 MiB per vector, within 4 x the CPU's 256 MiB of cache"),
            std::string::npos)
      << quick.basis;
  EXPECT_EQ(sum.default_sizes(Profile::quick, {.cache_bytes = 2 << 20}, Precision::fp32).basis, "");
  // An L3 that a hypervisor hides may hold them: the quick profile says so. The standard
  // profile's vectors, 128 MiB or more, are beyond the L3 of any one CCD or tile.
  const SizingFacts hidden{.cache_bytes = 2 << 20, .no_l3_reported = true};
  EXPECT_EQ(sum.default_sizes(Profile::quick, hidden, Precision::fp64).basis,
            "quick profile: 32 MiB per vector, and the CPU reports no L3 cache (a hypervisor may "
            "hide one): perhaps partly cache bandwidth; the standard profile measures memory");
  EXPECT_EQ(sum.default_sizes(Profile::standard, hidden, Precision::fp32).basis, "");
  // The same rule for any size, in bytes: under 128 MiB per vector, whatever the precision.
  EXPECT_EQ(within_cache_note(Problem::vector(1 << 24), Precision::fp32, hidden),
            "64 MiB per vector, and the CPU reports no L3 cache (a hypervisor may hide one): "
            "perhaps partly cache bandwidth");
  EXPECT_EQ(within_cache_note(Problem::vector(1 << 24), Precision::fp64, hidden), "");
  EXPECT_EQ(within_cache_note(Problem::vector(1 << 22), Precision::fp32,
                              {.cache_bytes = 2 << 20, .no_l3_reported = false}),
            "");
}

// A vector size the user gives says when it measures partly cache: the note every report shows
// (the sheet rules such a triad out of its memory figure from the same rule).
TEST(Selection, AGivenVectorSizeWithinTheCacheSaysSo) {
  Environment env = test_environment();
  env.cpu.caches = {{1, "Data", 48 << 10, 2, 8}, {3, "Unified", 32 << 20, 16, 1}};
  Selection sel;
  sel.workloads = parse_workloads("stream,sum");
  sel.precisions = {Precision::fp32};
  sel.implementations = {"omp"};
  sel.sizes = parse_sizes("1M,32M");  // 4 MiB and 128 MiB per vector
  std::map<std::string, std::string> basis;
  for (const auto& req : plan_measurements(sel, env)) {
    basis[fmt::format("{} {}", req.implementation->workload, req.problem.label())] = req.size_basis;
  }
  const std::string within =
      "4 MiB per vector, within 4 x the CPU's 32 MiB of cache: partly cache bandwidth";
  EXPECT_EQ(basis.at("stream 1048576"), within);
  EXPECT_EQ(basis.at("sum 1048576"), within);
  EXPECT_EQ(basis.at("stream 33554432"), "");  // 128 MiB: 4 x the cache, beyond it
  // The rule for a GPU names its L2; an unknown cache rules nothing out.
  const SizingFacts gpu{.device = DeviceKind::gpu, .cache_bytes = 50 << 20};
  EXPECT_EQ(within_cache_note(Problem::vector(1 << 22), Precision::fp64, gpu),
            "32 MiB per vector, within 4 x the GPU's 50 MiB of L2 cache: partly cache bandwidth");
  EXPECT_EQ(within_cache_note(Problem::vector(1 << 22), Precision::fp64, {}), "");
  EXPECT_FALSE(info(WorkloadId::transfer).cache_sensitive);
}

// ---- every registered CPU implementation against the reference ----------------------------------

TEST(Implementations, EveryCpuImplementationMatchesTheReferenceOnOddSizes) {
  int checked = 0;
  for (const Implementation& impl : registry().all()) {
    if (impl.spec.device != DeviceKind::cpu) continue;
    for (const Precision p : impl.spec.precisions) {
      if (!impl.unavailable_reason(p).empty()) continue;
      for (const Problem& problem : odd_problems(info(impl.workload))) {
        const auto seed = fresh_seed();
        SCOPED_TRACE(fmt::format("{} {} {} {} seed {}", impl.workload, impl.name(), to_string(p),
                                 problem.label(), seed));
        auto trial = impl.make_trial(p, problem, seed, -1);
        trial->kernel().run();
        const Verification v = trial->verify();
        EXPECT_TRUE(v.passed) << v.method << ": error " << v.max_error << " allowed "
                              << v.tolerance;
        EXPECT_LE(v.error_ratio, 1.0);
        ++checked;
      }
    }
  }
  // Both precisions of: gemm (omp, eigen, openblas) on 9 shapes; sum, dot, stream (omp), sum,
  // dot (eigen), dot (openblas) on 6 sizes; peak (omp) on 3. OpenBLAS only when built with it.
  // oneDNN's gemm at each of bf16, fp16 and int8 that it has for this CPU, on 9 shapes.
  const int blas = FLOPBENCH_HAVE_OPENBLAS ? 1 : 0;
  const Implementation* onednn = registry().find(WorkloadId::gemm, "onednn");
  ASSERT_NE(onednn, nullptr);
  int onednn_precisions = 0;
  for (const Precision p : onednn->spec.precisions)
    onednn_precisions += onednn->unavailable_reason(p).empty() ? 1 : 0;
  // With oneDNN, a CPU without BF16, FP16 or VNNI instructions (AVX2 alone) has none of them.
  if (!FLOPBENCH_HAVE_DNNL) {
    EXPECT_EQ(onednn_precisions, 0);
  }
  EXPECT_EQ(checked, 2 * ((2 + blas) * 9 + (5 + blas) * 6 + 3) + 9 * onednn_precisions);
}

// ---- the vector passes (harness/machine/vector_shape.hpp) ---------------------------------------

// The widest pass the CPU runs, narrower only when FLOPBENCH_MAX_VECTOR_BITS says so; a cap that
// is not a number of bits, or is narrower than the build, is an error the CLI refuses to measure
// with.
TEST(VectorPass, TheWidestPassTheCpuRunsUnlessCapped) {
  using simd::choose_vector_pass;
  // A 256-bit build with a 512-bit pass (the package's x86-64-v3).
  EXPECT_EQ(choose_vector_pass(32, 64, true, nullptr).bytes, 64);
  EXPECT_EQ(choose_vector_pass(32, 64, false, nullptr).bytes, 32);
  EXPECT_EQ(choose_vector_pass(32, 64, true, "256").bytes, 32);
  EXPECT_EQ(choose_vector_pass(32, 64, true, "511").bytes, 32);
  EXPECT_EQ(choose_vector_pass(32, 64, true, "512").bytes, 64);
  EXPECT_EQ(choose_vector_pass(32, 64, true, "1024").bytes, 64);
  EXPECT_EQ(choose_vector_pass(32, 64, false, "512").bytes, 32);
  for (const char* cap : {"256", "512", "1024"}) {
    EXPECT_EQ(choose_vector_pass(32, 64, true, cap).cap_error, "") << cap;
  }
  for (const char* cap : {"128", "255", "", "wide", "256 ", "-512", "0x200"}) {
    const simd::VectorDispatch d = choose_vector_pass(32, 64, true, cap);
    EXPECT_EQ(d.cap_error, fmt::format("FLOPBENCH_MAX_VECTOR_BITS={}: expected a number of bits "
                                       "of at least 256, the width this build's vector code is "
                                       "compiled for",
                                       cap));
    EXPECT_EQ(d.bytes, 64) << cap;  // what registered; the CLI stops before measuring
  }
  // A build with one width (-march=native on an AVX-512 CPU; a 128-bit build).
  EXPECT_EQ(choose_vector_pass(64, 64, true, nullptr).bytes, 64);
  EXPECT_EQ(choose_vector_pass(64, 64, true, "512").bytes, 64);
  EXPECT_NE(choose_vector_pass(64, 64, true, "256").cap_error, "");
  EXPECT_EQ(choose_vector_pass(16, 16, true, "128").bytes, 16);

  // The pass that runs and what chose it, which a record gives when the pass is narrower than
  // its peak's FMAs.
  const VectorWidth capped = choose_vector_pass(32, 64, true, "256").width();
  EXPECT_EQ(capped.bits, 256);
  EXPECT_EQ(capped.chosen_by,
            "the hand-written kernels' 256-bit pass, which FLOPBENCH_MAX_VECTOR_BITS chose over "
            "the build's widest");
  EXPECT_EQ(choose_vector_pass(32, 64, true, nullptr).width().bits, 512);
  EXPECT_EQ(choose_vector_pass(32, 64, false, nullptr).width().chosen_by,
            "the hand-written kernels' 256-bit pass, the widest of this build's that the CPU runs");
  EXPECT_EQ(choose_vector_pass(32, 32, true, nullptr).width().chosen_by,
            "the hand-written kernels' 256-bit pass, the widest this build has");
}

// This process's choice follows the rule above, and the OpenMP kernels that register are the pass
// it chose: their notes name its width. ctest runs this once more with FLOPBENCH_MAX_VECTOR_BITS at
// the build's own width where the build has a wide pass (vector_pass.build_width).
TEST(VectorPass, TheRegisteredOmpKernelsAreThePassChosen) {
  const simd::VectorDispatch& d = simd::vector_dispatch();
  const char* cap = std::getenv("FLOPBENCH_MAX_VECTOR_BITS");
  EXPECT_EQ(d.bytes,
            simd::choose_vector_pass(d.build_bytes, d.widest_bytes, d.cpu_has_wide, cap).bytes);
#if defined(FLOPBENCH_WIDE_VECTOR_PASS)
  EXPECT_GT(d.widest_bytes, d.build_bytes);
#else
  EXPECT_EQ(d.widest_bytes, d.build_bytes);
#endif
  EXPECT_EQ(d.cap_error, "");
  const std::string width = fmt::format("{}-bit vectors", d.bytes * 8);
  for (const WorkloadId w : {WorkloadId::gemm, WorkloadId::peak}) {
    const Implementation* omp = registry().find(w, "omp");
    ASSERT_NE(omp, nullptr);
    const Problem problem =
        w == WorkloadId::gemm ? Problem::matrix(64, 64, 64) : Problem::vector(1024);
    auto trial = omp->make_trial(Precision::fp32, problem, fresh_seed(), -1);
    const std::vector<std::string> notes = trial->kernel().notes();
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find(width), std::string::npos) << notes[0] << " (expected " << width << ")";
  }
  // One registration per workload, whichever the pass.
  for (const WorkloadId w :
       {WorkloadId::gemm, WorkloadId::sum, WorkloadId::dot, WorkloadId::stream, WorkloadId::peak}) {
    EXPECT_EQ(std::ranges::count_if(registry().all(),
                                    [&](const Implementation& impl) {
                                      return impl.workload == w && impl.name() == "omp";
                                    }),
              1)
        << w;
  }
}

// The packed OpenMP GEMM cuts each dimension into blocks of nearly equal width, aligned to the
// register tile, as few as the cache bound allows. A thin last block costs a whole pass of
// packing for almost no work: 1024 columns under a 1020-column bound had left one of 4, which
// packed all of A again (3 % of SGEMM 1024's time, docs/PERFORMANCE.md).
TEST(Implementations, OmpGemmCutsEveryDimensionIntoNearlyEqualBlocks) {
  struct Case {
    std::int64_t extent, bound, multiple, parts;
  };
  for (const Case& t : {Case{1024, 1020, 12, 1}, Case{1024, 1275, 12, 1}, Case{2048, 1275, 12, 1},
                        Case{2050, 120, 12, 1}, Case{1030, 512, 1, 1}, Case{5130, 512, 1, 1},
                        Case{1031, 256, 32, 2}, Case{1, 256, 32, 2}, Case{13, 12, 12, 1},
                        Case{100003, 96, 6, 64}}) {
    SCOPED_TRACE(fmt::format("{} under {} in multiples of {} for {} parts", t.extent, t.bound,
                             t.multiple, t.parts));
    const Cuts cuts = cut(t.extent, t.bound, t.multiple, t.parts);
    const std::int64_t whole_bound = std::max(t.multiple, t.bound / t.multiple * t.multiple);
    EXPECT_EQ(cuts.count % t.parts, 0);
    EXPECT_EQ(cuts.count,
              t.parts * ((t.extent + t.parts * whole_bound - 1) / (t.parts * whole_bound)))
        << "not the fewest blocks";
    EXPECT_EQ(cuts.start(0), 0);
    EXPECT_EQ(cuts.start(cuts.count), t.extent);
    std::int64_t narrowest = t.extent, widest = 0;
    for (std::int64_t b = 0; b < cuts.count; ++b) {
      EXPECT_EQ(cuts.start(b) % t.multiple, 0) << "block " << b;
      narrowest = std::min(narrowest, cuts.width(b));
      widest = std::max(widest, cuts.width(b));
    }
    EXPECT_EQ(widest, cuts.widest());
    EXPECT_EQ(cuts.packed_width() % t.multiple, 0);
    EXPECT_GE(cuts.packed_width(), widest);
    EXPECT_LT(widest, whole_bound + t.multiple);
    if (cuts.count * t.multiple <= t.extent) {
      EXPECT_LT(widest - narrowest, 2 * t.multiple);
    }
  }
  EXPECT_EQ(cut(1024, 1020, 12, 1).width(1), 520);  // not 4
  EXPECT_EQ(cut(1024, 1275, 12, 1).count, 1);
}

// MC and NC are bounded for the K slice actually cut. A 32 KiB L1 with a 6-column AVX2 tile bounds
// DGEMM's KC at 336; K = 1024 is cut into slices of 256, and the blocks bounded for 336 (MC 88,
// NC 780 + a quarter) had cut N = 1024 in two, packing all of A twice (docs/PERFORMANCE.md, step
// 5).
TEST(Implementations, OmpGemmBlocksAreSizedForTheSliceActuallyCut) {
  const BlockBudget zen1_fp64{
      .kc_bound = 336, .a_elements = (512 << 10) / 2 / 8, .b_elements = (8 << 20) / 2 / 2 / 8};
  const GemmCuts at_1024 = cut_gemm(1024, 1024, 1024, zen1_fp64, 8, 6, 2);
  EXPECT_EQ(at_1024.k.count, 4);
  EXPECT_EQ(at_1024.k.widest(), 256);
  EXPECT_EQ(at_1024.n.count, 1);       // 2 when bounded for 336
  EXPECT_EQ(at_1024.m.widest(), 128);  // 88 when bounded for 336
  EXPECT_EQ(at_1024.m.count, 8);
  // Where the slice is as deep as the bound, the blocks are what the bound gives.
  const GemmCuts at_336 = cut_gemm(2048, 2048, 336, zen1_fp64, 8, 6, 2);
  EXPECT_EQ(at_336.k.count, 1);
  EXPECT_LE(at_336.m.widest(), (512 << 10) / 2 / 8 / 336 + 8);
  EXPECT_EQ(at_336.n.count, 3);  // 780 columns a block, a quarter over allowed: 2048 = 3 x ~683
  // Each packed block stays within its share (B's with its quarter over).
  for (const std::int64_t k : {100, 257, 1000, 4096}) {
    const GemmCuts c = cut_gemm(1500, 1500, k, zen1_fp64, 8, 6, 2);
    EXPECT_LE(c.k.widest(), 336) << k;
    EXPECT_LE(c.m.packed_width() * c.k.widest(), zen1_fp64.a_elements + 8 * c.k.widest()) << k;
    EXPECT_LE(c.n.packed_width() * c.k.widest(), zen1_fp64.b_elements * 5 / 4 + 6 * c.k.widest())
        << k;
  }
}

TEST(Implementations, ListedWithDescriptionsAndBothPrecisions) {
  for (const WorkloadId workload :
       {WorkloadId::gemm, WorkloadId::sum, WorkloadId::dot, WorkloadId::stream, WorkloadId::peak}) {
    const Implementation* omp = registry().find(workload, "omp");
    ASSERT_NE(omp, nullptr) << to_string(workload);
    EXPECT_TRUE(omp->supports(Precision::fp32));
    EXPECT_TRUE(omp->supports(Precision::fp64));
    EXPECT_FALSE(omp->spec.description.empty());
  }
  EXPECT_NE(registry().find(WorkloadId::gemm, "eigen"), nullptr);
  EXPECT_NE(registry().find(WorkloadId::gemm, "openblas"),
            nullptr);  // unsupported entry without OpenBLAS
  EXPECT_NE(registry().find(WorkloadId::dot, "openblas"), nullptr);
}

// oneDNN: BF16, FP16 and INT8 GEMMs, each verified where oneDNN has a matmul for it on this
// CPU (the odd-size test above runs them), and the ISA it dispatched to in the notes.
TEST(Implementations, OneDnnRecordsItsIsaAndRunsItsPrecisions) {
  const Implementation* onednn = registry().find(WorkloadId::gemm, "onednn");
  ASSERT_NE(onednn, nullptr);
  EXPECT_EQ(onednn->spec.precisions,
            (std::vector<Precision>{Precision::bf16, Precision::fp16, Precision::int8}));
  if (!FLOPBENCH_HAVE_DNNL) {
    EXPECT_EQ(onednn->unsupported_reason(Precision::bf16),
              "built without oneDNN (install libdnnl-dev and rebuild)");
    return;
  }
  EXPECT_EQ(onednn->unsupported_reason(Precision::fp32),
            "gemm onednn has no fp32 (it runs bf16, fp16, int8)");
  // A CPU whose instructions multiply at a precision must get oneDNN's matmul for it, unless
  // oneDNN was told to use fewer of them (a cap other than ALL, which oneDNN reads in any case).
  const std::vector<std::string> simd = cpu_inventory().simd;
  const auto has = [&](std::string_view flag) {
    return std::find(simd.begin(), simd.end(), flag) != simd.end();
  };
  const auto caps = [](const char* variable) {
    const char* value = std::getenv(variable);
    return value != nullptr && *value != '\0' && !iequal(value, "ALL");
  };
  const bool isa_capped = caps("ONEDNN_MAX_CPU_ISA") || caps("DNNL_MAX_CPU_ISA");
  const std::map<Precision, bool> expected =
      isa_capped
          ? std::map<Precision, bool>{}
          : std::map<Precision, bool>{{Precision::bf16, has("avx512_bf16") || has("amx_bf16")},
                                      {Precision::int8, has("avx512_vnni") || has("amx_int8")}};
  int ran = 0;
  for (const Precision p : onednn->spec.precisions) {
    if (const std::string why = onednn->unavailable_reason(p); !why.empty()) {
      EXPECT_FALSE(expected.contains(p) && expected.at(p))
          << to_string(p) << ": this CPU has its instructions, yet " << why;
      const bool saturating_int8 =
          p == Precision::int8 &&
          why.find("sums products in saturating INT16") != std::string::npos;
      EXPECT_TRUE(saturating_int8 || why.find("no " + std::string(precision_label(p)) +
                                              " matmul") != std::string::npos)
          << why;
      continue;
    }
    SCOPED_TRACE(to_string(p));
    const MeasurementRequest req{onednn, p, Problem::matrix(200, 150, 300), DeviceRef::cpu()};
    RunSettings settings = settings_for(Profile::quick, fresh_seed());
    settings.rule.time_limit_s = 0.2;
    const MeasurementRecord r = measure(req, settings, test_environment());
    EXPECT_EQ(r.disposition, Disposition::passed) << r.reason;
    ASSERT_FALSE(r.notes.empty());
    EXPECT_TRUE(r.notes.front().starts_with("oneDNN ISA ")) << r.notes.front();
    ++ran;
  }
  if (ran == 0) GTEST_SKIP() << "oneDNN has none of its precisions on this CPU (each said why)";
}

#if FLOPBENCH_HAVE_DNNL
// oneDNN's INT8 sums exactly from VNNI on (AVX-512 or AVX2 VNNI, AMX), whichever ISA this CPU
// has: by the ISA's bits, so that one newer than this oneDNN's names still counts.
TEST(Implementations, OneDnnInt8IsExactFromVnniOn) {
  using dnnl::cpu_isa;
  for (const cpu_isa isa : {cpu_isa::sse41, cpu_isa::avx, cpu_isa::avx2, cpu_isa::avx512_core})
    EXPECT_FALSE(int8_accumulates_exactly(isa)) << static_cast<unsigned>(isa);
  for (const cpu_isa isa : {cpu_isa::avx512_core_vnni, cpu_isa::avx512_core_bf16,
                            cpu_isa::avx512_core_amx, cpu_isa::avx2_vnni})
    EXPECT_TRUE(int8_accumulates_exactly(isa)) << static_cast<unsigned>(isa);
  // An ISA this oneDNN has no name for: the bits of what it extends decide.
  const auto newer = [](cpu_isa base) {
    return static_cast<cpu_isa>(static_cast<unsigned>(base) | 0x10000u);
  };
  EXPECT_TRUE(int8_accumulates_exactly(newer(cpu_isa::avx512_core_amx)));
  EXPECT_FALSE(int8_accumulates_exactly(newer(cpu_isa::avx512_core)));
}
#endif

// ---- element formats ---------------------------------------------------------------------------

// Rounding into BF16, FP16, FP8 E4M3 and TF32: known encodings, ties to even, subnormals, the
// largest values, and refusal beyond them; every finite encoding reads back to itself.
TEST(Formats, EncodingsRoundToNearestEven) {
  EXPECT_EQ(Bf16::from_double(1.0).bits, 0x3F80);
  EXPECT_EQ(Bf16::from_double(-2.0).bits, 0xC000);
  EXPECT_EQ(Bf16::from_double(1 + 0x1p-8).bits, 0x3F80);      // tie: to the even 1.0
  EXPECT_EQ(Bf16::from_double(1 + 3 * 0x1p-8).bits, 0x3F82);  // tie: to the even 1 + 2^-6
  EXPECT_EQ(Fp16::from_double(1.0).bits, 0x3C00);
  EXPECT_EQ(Fp16::from_double(65504).bits, 0x7BFF);
  EXPECT_EQ(Fp16::from_double(0x1p-24).bits, 0x0001);  // the smallest subnormal
  EXPECT_THROW(Fp16::from_double(70000), std::out_of_range);
  EXPECT_EQ(Fp8E4M3::from_double(1.0).bits, 0x38);
  EXPECT_EQ(Fp8E4M3::from_double(-0.5).bits, 0xB0);
  EXPECT_EQ(Fp8E4M3::from_double(448).bits, 0x7E);     // E4M3FN's largest
  EXPECT_EQ(Fp8E4M3::from_double(0x1p-9).bits, 0x01);  // its smallest subnormal
  EXPECT_EQ(Fp8E4M3::from_double(0.1).bits, 0x1D);     // 1.625 * 2^-4 = 0.1015625
  EXPECT_DOUBLE_EQ(Fp8E4M3::from_double(0.1).to_double(), 0.1015625);
  EXPECT_THROW(Fp8E4M3::from_double(500), std::out_of_range);
  EXPECT_EQ(Tf32::round(1 + 0x1p-11), 1.0f);                // tie: to even
  EXPECT_EQ(Tf32::round(1 + 3 * 0x1p-11), 1.0f + 0x1p-9f);  // tie: to even
  EXPECT_EQ(Tf32::round(1 + 0x1p-10), 1.0f + 0x1p-10f);     // representable
  for (unsigned b = 0; b < 256; ++b) {
    if ((b & 0x7F) == 0x7F) continue;  // NaN
    const Fp8E4M3 v{static_cast<std::uint8_t>(b)};
    EXPECT_EQ(Fp8E4M3::from_double(v.to_double()).bits, b) << b;
  }
  for (unsigned b = 0; b < 65536; ++b) {
    const auto bits = static_cast<std::uint16_t>(b);
    if ((b & 0x7F80) != 0x7F80) {  // not an infinity or NaN
      EXPECT_EQ(Bf16::from_double(Bf16{bits}.to_double()).bits, b);
    }
    if ((b & 0x7C00) != 0x7C00) {
      EXPECT_EQ(Fp16::from_double(Fp16{bits}.to_double()).bits, b);
    }
  }
}

// ---- verification catches wrong results ---------------------------------------------------------

// A plain triple loop in the accumulator type over the stored inputs; Fault plants a wrong
// result so the tolerance logic is tested both ways, at every precision. fp8_tensor_core_sum
// is not a fault: it sums as Hopper's FP8 tensor cores are reported to, a running sum kept to 14
// significant bits (truncated) and promoted to FP32 every 128 terms; tensor_core_sum sums as
// the BF16, FP16 and TF32 tensor cores are reported to, blocks of 8 products added to an FP32
// sum truncated (not rounded) to 24 bits; lose_k_block drops terms 32 to 63, one block of K as a
// tensor-core kernel would.
enum class Fault {
  none,
  drop_last_term,
  perturb_one_element,
  tf32_inputs,
  bf16_inputs,
  nan,
  fp8_tensor_core_sum,
  tensor_core_sum,
  lose_k_block,
  wrong_first_row,  // row 0 of C off by one: a sampled check must still look at it
  one_element_off   // one element off by one, in a row the grid draws as likely as not
};

// x truncated (towards zero) to `digits` significant bits.
double truncate_to_digits(double x, int digits) {
  if (x == 0) return 0;
  const int shift = digits - 1 - std::ilogb(x);
  return std::ldexp(std::trunc(std::ldexp(x, shift)), -shift);
}

template <Fault F>
struct GemmWith {
  template <class T>
  class Kernel final : public GemmKernel<T> {
    using Acc = accumulator_t<T>;

   public:
    void setup(const GemmInputs<T>& in) override {
      in_ = &in;
      c_.assign(in.c.data(), in.c.data() + in.c.size());
    }
    void run() override {
      const auto& in = *in_;
      const std::int64_t k_end = F == Fault::drop_last_term ? in.k - 1 : in.k;
      for (std::int64_t j = 0; j < in.n; ++j) {
        for (std::int64_t i = 0; i < in.m; ++i) {
          Acc acc = 0;
          double running = 0;    // the tensor-core sums' block or narrow running sum
          double truncated = 0;  // tensor_core_sum's FP32 sum
          for (std::int64_t l = 0; l < k_end; ++l) {
            if (F == Fault::lose_k_block && l >= 32 && l < 64) continue;
            const Acc product = round(in.a[static_cast<std::size_t>(i + l * in.m)]) *
                                round(in.b[static_cast<std::size_t>(l + j * in.k)]);
            if constexpr (F == Fault::fp8_tensor_core_sum) {
              running = truncate_to_digits(running + product, 14);
              if ((l + 1) % 128 == 0 || l + 1 == k_end) {
                acc += static_cast<Acc>(running);
                running = 0;
              }
            } else if constexpr (F == Fault::tensor_core_sum) {
              running += product;
              if ((l + 1) % 8 == 0 || l + 1 == k_end) {
                truncated = truncate_to_digits(truncated + running, 24);
                running = 0;
                acc = static_cast<Acc>(truncated);
              }
            } else {
              acc += product;
            }
          }
          Acc& c = c_[static_cast<std::size_t>(i + j * in.m)];
          c = in.alpha * acc + in.beta * c;
        }
      }
      Acc& middle = c_[c_.size() / 2];
      if constexpr (F == Fault::perturb_one_element) {
        if constexpr (std::is_integral_v<Acc>) {
          middle += 1;  // exact arithmetic: any change is wrong
        } else if constexpr (std::is_same_v<T, Fp8E4M3>) {
          // FP8 allows 2^-12 * sum|terms|: under 0.01 at k = 50, |a|, |b| < 1, alpha < 1.5.
          middle += Acc(1) + Acc(0.1) * std::abs(middle);
        } else {
          middle += Acc(1e-3) * std::abs(middle) + Acc(1e-3);
        }
      }
      if constexpr (F == Fault::nan) c_.back() = std::numeric_limits<Acc>::quiet_NaN();
      if constexpr (F == Fault::wrong_first_row) {
        for (std::int64_t j = 0; j < in.n; ++j) c_[static_cast<std::size_t>(j * in.m)] += Acc(1);
      }
      if constexpr (F == Fault::one_element_off) {
        c_[static_cast<std::size_t>(in.m / 2 + 1 + in.n / 3 * in.m)] += Acc(1);
      }
    }
    void read_c(std::span<Acc> out) override { std::copy(c_.begin(), c_.end(), out.begin()); }
    // C as the next run will read it, for a test to change between runs.
    std::span<Acc> c() { return c_; }

   private:
    // A stored input as the multiplier sees it. TF32 hardware keeps 10 explicit mantissa bits
    // of an FP32 input (host-side emulation); tf32_inputs does that to any FP32 GEMM, and
    // bf16_inputs keeps 7 of any FP32 or TF32 input.
    template <class V>
    static Acc round(V x) {
      if constexpr (F == Fault::bf16_inputs && std::is_same_v<V, float>) {
        return static_cast<Acc>(round_to_digits(x, 8, -126));
      } else if constexpr (std::is_same_v<T, Tf32> ||
                           (F == Fault::tf32_inputs && std::is_same_v<T, float>)) {
        return Tf32::round(x);
      } else {
        return static_cast<Acc>(to_double(x));
      }
    }
    const GemmInputs<T>* in_ = nullptr;
    std::vector<Acc> c_;
  };
};

template <Fault F>
MeasurementRecord gemm_record(Precision p, const Problem& problem) {
  const auto impl = make_implementation<workloads::Gemm, GemmWith<F>::template Kernel, float,
                                        double, Tf32, Bf16, Fp16, Fp8E4M3, std::int8_t>(
      {.name = "test", .device = DeviceKind::cpu, .description = "test kernel"});
  const MeasurementRequest req{&impl, p, problem, DeviceRef::cpu()};
  RunSettings settings = settings_for(Profile::quick, fresh_seed());
  settings.rule.time_limit_s = 0.2;
  const MeasurementRecord r = measure(req, settings, test_environment());
  if (r.disposition == Disposition::incorrect) {
    EXPECT_NE(r.reason.find("wrong result"), std::string::npos) << r.reason;
    EXPECT_TRUE(r.samples_s.empty()) << "an incorrect result must not be timed";
    EXPECT_FALSE(r.gflops.has_value());
  }
  return r;
}

template <Fault F>
Disposition gemm_disposition(Precision p, const Problem& problem) {
  return gemm_record<F>(p, problem).disposition;
}

// A large output is checked on a grid of sampled rows and columns, and every row whole by its
// weighted sum: one element off by one is found whichever rows the grid drew, at every
// precision's tolerance (exactly for INT8), and a correct output passes. At N = 4096 and
// K = 2048 too, where allowing a row the sum of its elements' bounds (about 2 in FP32) would let
// it through: the allowance grows with the square root of N (about 0.3 here).
TEST(Verification, AnElementBetweenTheSampledOnesIsFoundByItsRowsSum) {
  const auto method_of = [](const MeasurementRecord& r) {
    return r.verification ? r.verification->method : std::string("no verification");
  };
  for (const Precision p : {Precision::fp32, Precision::fp64, Precision::bf16, Precision::int8}) {
    SCOPED_TRACE(to_string(p));
    const MeasurementRecord r =
        gemm_record<Fault::one_element_off>(p, Problem::matrix(512, 512, 48));
    EXPECT_EQ(r.disposition, Disposition::incorrect);
    EXPECT_NE(method_of(r).find("and all 512 rows by their sums weighted +-1"), std::string::npos)
        << method_of(r);
    EXPECT_NE(method_of(r).find("(a row's weighted sum is off: a wrong element in that row)"),
              std::string::npos)
        << method_of(r);
    const MeasurementRecord fine = gemm_record<Fault::none>(p, Problem::matrix(512, 384, 48));
    EXPECT_EQ(fine.disposition, Disposition::passed) << fine.reason;
    EXPECT_NE(method_of(fine).find(
                  " of 196608 elements (sampled rows x columns), and all 512 rows by their sums"),
              std::string::npos)
        << method_of(fine);
    EXPECT_EQ(method_of(fine).find("is off"), std::string::npos) << method_of(fine);
  }
  const MeasurementRecord wide =
      gemm_record<Fault::one_element_off>(Precision::fp32, Problem::matrix(48, 4096, 2048));
  EXPECT_EQ(wide.disposition, Disposition::incorrect);
  EXPECT_NE(method_of(wide).find("a row's weighted sum is off"), std::string::npos)
      << method_of(wide);
}

TEST(Verification, CorrectReferenceKernelPasses) {
  EXPECT_EQ(gemm_disposition<Fault::none>(Precision::fp32, Problem::matrix(64, 48, 200)),
            Disposition::passed);
  EXPECT_EQ(gemm_disposition<Fault::none>(Precision::fp64, Problem::matrix(33, 65, 17)),
            Disposition::passed);
}

TEST(Verification, PlantedWrongResultsAreIncorrect) {
  for (const Precision p : {Precision::fp32, Precision::fp64}) {
    SCOPED_TRACE(to_string(p));
    EXPECT_EQ(gemm_disposition<Fault::drop_last_term>(p, Problem::matrix(40, 30, 300)),
              Disposition::incorrect);
    EXPECT_EQ(gemm_disposition<Fault::perturb_one_element>(p, Problem::matrix(40, 30, 50)),
              Disposition::incorrect);
    EXPECT_EQ(gemm_disposition<Fault::nan>(p, Problem::matrix(17, 19, 23)), Disposition::incorrect);
    // An output too large to check whole is sampled, its first and last rows always.
    EXPECT_EQ(gemm_disposition<Fault::wrong_first_row>(p, Problem::matrix(1024, 512, 8)),
              Disposition::incorrect);
  }
}

TEST(Verification, Tf32RoundingIsNotAcceptedAsFp32) {
  EXPECT_EQ(gemm_disposition<Fault::tf32_inputs>(Precision::fp32, Problem::matrix(64, 64, 1024)),
            Disposition::incorrect);
}

// FP8's tolerance admits the narrow running sum of Hopper's FP8 tensor cores at K = 8192, and
// still fails a lost block of 32 terms of K.
TEST(Verification, Fp8ToleranceAdmitsTensorCoreSumsAndFailsALostBlock) {
  const Problem problem = Problem::matrix(24, 24, 8192);
  const MeasurementRecord r = gemm_record<Fault::fp8_tensor_core_sum>(Precision::fp8_e4m3, problem);
  EXPECT_EQ(r.disposition, Disposition::passed) << r.reason;
  ASSERT_TRUE(r.verification.has_value());
  EXPECT_LT(r.verification->error_ratio, 0.5) << "too little margin for real hardware";
  EXPECT_EQ(gemm_disposition<Fault::lose_k_block>(Precision::fp8_e4m3, problem),
            Disposition::incorrect);
  // The same narrow sums are far outside BF16's and FP16's FP32 accumulation.
  EXPECT_EQ(gemm_disposition<Fault::fp8_tensor_core_sum>(Precision::bf16, problem),
            Disposition::incorrect);
}

// The BF16, FP16 and TF32 tolerance admits the truncating FP32 sums of tensor cores at K = 16384
// with room, and still fails a lost block of 32 terms of K.
TEST(Verification, TensorCoreToleranceAdmitsTruncatedSumsAndFailsALostBlock) {
  const Problem problem = Problem::matrix(16, 16, 16384);
  for (const Precision p : {Precision::bf16, Precision::fp16, Precision::tf32}) {
    SCOPED_TRACE(to_string(p));
    const MeasurementRecord r = gemm_record<Fault::tensor_core_sum>(p, problem);
    EXPECT_EQ(r.disposition, Disposition::passed) << r.reason;
    ASSERT_TRUE(r.verification.has_value());
    EXPECT_LT(r.verification->error_ratio, 0.5) << "too little margin for real hardware";
    EXPECT_EQ(gemm_disposition<Fault::lose_k_block>(p, problem), Disposition::incorrect);
  }
  // Plain FP32 keeps its round-to-nearest tolerance: the same truncated sums fail it.
  EXPECT_EQ(gemm_disposition<Fault::tensor_core_sum>(Precision::fp32, problem),
            Disposition::incorrect);
}

// A peak kernel that takes steps / Divisor of its chains' steps, counting all of them.
template <int Divisor>
struct PeakTaking {
  template <class T>
  class Kernel final : public PeakKernel<T> {
   public:
    void setup(const PeakInputs<T>& in) override { in_ = in; }
    void run() override {
      values_.assign(8, in_.x0);
      for (T& x : values_) {
        for (std::int64_t i = 0; i < in_.iterations / Divisor; ++i) x = x * in_.a + in_.b;
      }
    }
    double flops_per_run() const override { return 2.0 * 8 * double(in_.iterations); }
    std::vector<T> chain_values() override { return values_; }

   private:
    PeakInputs<T> in_;
    std::vector<T> values_;
  };
};

template <int Divisor>
Disposition peak_disposition(Precision p, std::int64_t steps) {
  const auto impl =
      make_implementation<workloads::Peak, PeakTaking<Divisor>::template Kernel, float, double>(
          {.name = "test", .device = DeviceKind::cpu, .description = "test kernel"});
  RunSettings settings = settings_for(Profile::quick, fresh_seed());
  settings.rule.time_limit_s = 0.2;
  return measure({&impl, p, Problem::vector(steps), DeviceRef::cpu()}, settings, test_environment())
      .disposition;
}

// The peak's chains count their steps exactly: all of them pass, and a kernel that skipped 1 %
// (or half) of them fails, however long its chains, up to the longest allowed.
TEST(Verification, PeakChainsThatSkipStepsAreIncorrect) {
  for (const Precision p : {Precision::fp32, Precision::fp64}) {
    SCOPED_TRACE(to_string(p));
    for (const std::int64_t steps : {std::int64_t{1000}, kMaxChainSteps}) {
      EXPECT_EQ(peak_disposition<1>(p, steps), Disposition::passed) << steps;
      EXPECT_EQ(peak_disposition<100>(p, steps), Disposition::incorrect) << steps;
    }
    EXPECT_EQ(peak_disposition<2>(p, 1 << 18), Disposition::incorrect);
  }
  EXPECT_THROW(to_problem(parse_size(std::to_string(kMaxChainSteps + 1)), info(WorkloadId::peak)),
               InputError);
}

// A TF32 GEMM's inputs are TF32 values in FP32 storage, so that its products are exact and only
// its accumulation rounds: inputs multiplied at BF16's 8 significant bits instead fail it.
TEST(Verification, Tf32InputsAreTf32ValuesAndNarrowerProductsFail) {
  const auto in = workloads::Gemm::make_inputs<Tf32>(Problem::matrix(16, 8, 64), fresh_seed());
  int rounded = 0;
  for (const auto* values : {&in.a, &in.b}) {
    for (const float v : values->span()) {
      EXPECT_EQ(v, Tf32::round(v));
      rounded += v != 0 && v != static_cast<float>(round_to_digits(v, 8, -126));
    }
  }
  EXPECT_GT(rounded, 0) << "the inputs have no more bits than BF16's";
  EXPECT_EQ(gemm_disposition<Fault::bf16_inputs>(Precision::tf32, Problem::matrix(64, 64, 1024)),
            Disposition::incorrect);
}

// Every matrix precision: a correct kernel passes on odd shapes; a lost term and a perturbed
// element fail; a NaN fails where the accumulator has one.
TEST(Verification, EveryMatrixPrecisionPassesCorrectAndFailsWrongResults) {
  for (const Precision p :
       {Precision::tf32, Precision::bf16, Precision::fp16, Precision::fp8_e4m3, Precision::int8}) {
    SCOPED_TRACE(to_string(p));
    const MeasurementRecord good = gemm_record<Fault::none>(p, Problem::matrix(37, 29, 301));
    EXPECT_EQ(good.disposition, Disposition::passed) << good.reason;
    EXPECT_EQ(gemm_disposition<Fault::drop_last_term>(p, Problem::matrix(40, 30, 300)),
              Disposition::incorrect);
    EXPECT_EQ(gemm_disposition<Fault::perturb_one_element>(p, Problem::matrix(40, 30, 50)),
              Disposition::incorrect);
    if (!is_integer(p)) {
      EXPECT_EQ(gemm_disposition<Fault::nan>(p, Problem::matrix(17, 19, 23)),
                Disposition::incorrect);
    }
  }
}

// INT8 accumulates exactly in INT32: its tolerance is zero, and the method says so.
TEST(Verification, Int8IsExact) {
  const MeasurementRecord r = gemm_record<Fault::none>(Precision::int8, Problem::matrix(8, 8, 64));
  ASSERT_TRUE(r.verification.has_value());
  EXPECT_EQ(r.verification->max_error, 0);
  EXPECT_NE(r.verification->method.find("exact"), std::string::npos) << r.verification->method;
}

template <class T>
class SumSkippingLast final : public ReductionKernel<T> {
 public:
  void setup(const VectorInputs<T>& in) override { in_ = &in; }
  void run() override {
    result_ = 0;
    for (std::int64_t i = 0; i + 1 < in_->n; ++i) result_ += in_->x[static_cast<std::size_t>(i)];
  }
  T result() override { return result_; }

 private:
  const VectorInputs<T>* in_ = nullptr;
  T result_ = 0;
};

TEST(Verification, ReductionThatLosesAnElementIsIncorrect) {
  const auto impl = make_implementation<workloads::Sum, SumSkippingLast>(
      {.name = "test", .device = DeviceKind::cpu, .description = "test kernel"});
  // At 2^25 terms too: FP32's rounding of random reals there could hide a lost term, whole-number
  // inputs make the exact sum the only one that passes.
  for (const std::int64_t n : {17, 257, 1 << 25}) {
    const auto trial = impl.make_trial(Precision::fp32, Problem::vector(n), fresh_seed(), -1);
    trial->kernel().run();
    EXPECT_FALSE(trial->verify().passed) << n;
  }
}

// ---- measure()
// -----------------------------------------------------------------------------------

TEST(Measure, PassedRecordHasSamplesStatisticsAndRates) {
  const Implementation* impl = registry().find(WorkloadId::gemm, "omp");
  ASSERT_NE(impl, nullptr);
  const MeasurementRequest req{impl, Precision::fp32, Problem::matrix(96, 80, 64),
                               DeviceRef::cpu()};
  const MeasurementRecord r =
      measure(req, settings_for(Profile::quick, fresh_seed()), test_environment());
  ASSERT_EQ(r.disposition, Disposition::passed) << r.reason;
  EXPECT_FALSE(r.stopping_rule.empty());
  EXPECT_GE(r.samples_s.size(), 1u);
  EXPECT_EQ(r.samples_s.size(), r.host_wall_s.size());
  ASSERT_TRUE(r.stats.has_value());
  EXPECT_EQ(r.stats->samples, static_cast<std::int64_t>(r.samples_s.size()));
  EXPECT_GT(r.iterations_per_sample, 0);
  EXPECT_DOUBLE_EQ(r.flops, 2.0 * 96 * 80 * 64);
  ASSERT_TRUE(r.gflops.has_value());
  EXPECT_NEAR(*r.gflops, r.flops / r.stats->median / 1e9, 1e-9 * *r.gflops);
  EXPECT_GT(r.threads, 0);
  ASSERT_TRUE(r.verification.has_value());
  EXPECT_TRUE(r.verification->passed);
}

// A tiny peak run takes microseconds: the batch must grow until a sample lasts the workload's
// minimum, not stay at what the profile's 5 ms asked for.
TEST(Measure, PeakSamplesLastTheWorkloadsMinimumSampleTime) {
  const Implementation* impl = registry().find(WorkloadId::peak, "omp");
  ASSERT_NE(impl, nullptr);
  const double minimum = info(WorkloadId::peak).min_sample_s;
  const RunSettings settings = settings_for(Profile::quick, fresh_seed());
  ASSERT_GT(minimum, settings.min_sample_s);
  const MeasurementRequest req{impl, Precision::fp64, Problem::vector(1 << 12), DeviceRef::cpu()};
  const MeasurementRecord r = measure(req, settings, test_environment());
  ASSERT_EQ(r.disposition, Disposition::passed) << r.reason;
  ASSERT_FALSE(r.samples_s.empty());
  // The last round's batch is sized from the fastest run before it, so a last sample may come out
  // shorter when the machine got quieter (one CI run saw 0.089 s for 0.1 s; a shared host's speed
  // moves by tens of percent). A batch sized for the profile's 5 ms would give a twentieth of the
  // minimum; a quarter of it tells the two apart.
  EXPECT_GE(r.samples_s.back() * static_cast<double>(r.iterations_per_sample), 0.25 * minimum);
}

// A small GEMM runs on one thread, as the BLAS libraries do: its record says so, so that its
// % of peak is of one core's peak.
TEST(Measure, TheRecordCountsTheThreadsTheKernelUsed) {
  const Implementation* impl = registry().find(WorkloadId::gemm, "omp");
  ASSERT_NE(impl, nullptr);
  const RunSettings settings = settings_for(Profile::quick, fresh_seed());
  const MeasurementRecord small =
      measure({impl, Precision::fp32, Problem::matrix(16, 16, 16), DeviceRef::cpu()}, settings,
              test_environment());
  ASSERT_EQ(small.disposition, Disposition::passed) << small.reason;
  EXPECT_EQ(small.threads, 1);
  const MeasurementRecord large =
      measure({impl, Precision::fp32, Problem::matrix(256, 256, 256), DeviceRef::cpu()}, settings,
              test_environment());
  EXPECT_EQ(large.threads, omp_get_max_threads());
}

TEST(Measure, UnavailableImplementationIsUnsupportedWithReason) {
  const auto impl = unavailable_implementation(
      WorkloadId::dot, {.name = "test", .description = "x"}, "built without it");
  const MeasurementRequest req{&impl, Precision::fp64, Problem::vector(100), DeviceRef::cpu()};
  const MeasurementRecord r = measure(req, settings_for(Profile::quick, 1), test_environment());
  EXPECT_EQ(r.disposition, Disposition::unsupported);
  EXPECT_EQ(r.reason, "built without it");
}

template <class T>
class ThrowingSum final : public ReductionKernel<T> {
 public:
  void setup(const VectorInputs<T>&) override {}
  void run() override { throw std::runtime_error("device fell off the bus"); }
  T result() override { return 0; }
};

TEST(Measure, KernelExceptionIsAFailedRecordNotAnAbort) {
  const auto impl =
      make_implementation<workloads::Sum, ThrowingSum>({.name = "test", .description = "x"});
  const MeasurementRequest req{&impl, Precision::fp32, Problem::vector(100), DeviceRef::cpu()};
  const MeasurementRecord r = measure(req, settings_for(Profile::quick, 1), test_environment());
  EXPECT_EQ(r.disposition, Disposition::failed);
  EXPECT_NE(r.reason.find("device fell off the bus"), std::string::npos);
}

// A kernel that cannot run this problem or on this device says so in setup (UnsupportedHere):
// the record is unsupported with its reason, neither failed nor an abort.
template <class T>
class SumRefusingOddSizes final : public ReductionKernel<T> {
 public:
  void setup(const VectorInputs<T>& in) override {
    if (in.n % 2 != 0) throw UnsupportedHere(fmt::format("n = {} is odd", in.n));
    in_ = &in;
  }
  void run() override {
    sum_ = 0;
    for (std::int64_t i = 0; i < in_->n; ++i) sum_ += in_->x[static_cast<std::size_t>(i)];
  }
  T result() override { return sum_; }

 private:
  const VectorInputs<T>* in_ = nullptr;
  T sum_ = 0;
};

TEST(Measure, KernelRefusingTheProblemIsUnsupportedWithItsReason) {
  const auto impl = make_implementation<workloads::Sum, SumRefusingOddSizes>(
      {.name = "test", .description = "x"});
  const MeasurementRequest odd{&impl, Precision::fp64, Problem::vector(101), DeviceRef::cpu()};
  const MeasurementRecord r = measure(odd, settings_for(Profile::quick, 1), test_environment());
  EXPECT_EQ(r.disposition, Disposition::unsupported);
  EXPECT_EQ(r.reason, "n = 101 is odd");
  EXPECT_FALSE(r.verification.has_value());
  const MeasurementRequest even{&impl, Precision::fp64, Problem::vector(100), DeviceRef::cpu()};
  EXPECT_EQ(measure(even, settings_for(Profile::quick, 1), test_environment()).disposition,
            Disposition::passed);
}

// A sum that runs in a microsecond until 500 ms after its first sampled run (the first is the
// warm-up), then takes 20 ms a run for 150 runs, as a co-tenant taking its core would make it,
// then a microsecond again (so that a cut that never comes fails the test, not hangs it). The
// first round of samples, which is never cut, takes some 10 ms. It counts its slowed runs begun
// more than 700 ms after its first sampled run, and keeps when its last run ended.
template <class T>
class SumSlowingDown final : public ReductionKernel<T> {
 public:
  static inline int slowed_past_700ms = 0;
  static inline double last_run_ended_s = 0;

  void setup(const VectorInputs<T>& in) override { in_ = &in; }
  void run() override {
    using namespace std::chrono_literals;
    const auto now = std::chrono::steady_clock::now();
    if (++runs_ == 2) sampled_from_ = now;
    if (runs_ > 2 && now - sampled_from_ > 500ms && slowed_ < 150) {
      ++slowed_;
      slowed_past_700ms += now - sampled_from_ > 700ms;
      std::this_thread::sleep_for(20ms);
    }
    sum_ = 0;
    for (std::int64_t i = 0; i < in_->n; ++i) sum_ += in_->x[static_cast<std::size_t>(i)];
    if (runs_ > 2) {
      last_run_ended_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - sampled_from_).count();
    }
  }
  T result() override { return sum_; }

 private:
  const VectorInputs<T>* in_ = nullptr;
  std::int64_t runs_ = 0;
  int slowed_ = 0;
  std::chrono::steady_clock::time_point sampled_from_;
  T sum_ = 0;
};

// The time limit holds against runs that slow down as a sample runs: the sample was sized for
// thousands of microsecond runs, which now take seconds. Past the limit it is cut short at the end
// of the run under way, though the sampling loop reads no clock between a sample's first and last
// run, and it is not counted; the record says so.
TEST(Measure, ASampleWhoseRunsSlowDownIsCutShortAtTheTimeLimit) {
  const auto impl =
      make_implementation<workloads::Sum, SumSlowingDown>({.name = "test", .description = "x"});
  RunSettings settings = settings_for(Profile::quick, fresh_seed());
  settings.rule.target_cv = -1;  // never converged: samples until the limit
  settings.rule.max_samples = 100000;
  settings.rule.time_limit_s = 0.7;
  SumSlowingDown<double>::slowed_past_700ms = 0;
  SumSlowingDown<double>::last_run_ended_s = 0;
  const auto start = std::chrono::steady_clock::now();
  const MeasurementRecord r =
      measure({&impl, Precision::fp64, Problem::vector(16), DeviceRef::cpu()}, settings,
              test_environment());
  const double took_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.disposition, Disposition::passed) << r.reason;
  EXPECT_EQ(r.stopping_rule, "time_limit");
  EXPECT_FALSE(r.samples_s.empty());
  EXPECT_TRUE(std::ranges::any_of(r.notes, [](const std::string& n) {
    return n.starts_with("a sample was cut short past the time limit: its runs had taken");
  })) << fmt::format("{}", fmt::join(r.notes, " | "));
  // The cut falls due at the limit, or 4 sized samples (20 ms) after the start of a sample begun
  // just before it: a run or two begin past the limit, a few more where the machine is slow to
  // wake the watching thread. A cut that waited for the loop's next clock reading came tens of
  // slowed runs late. Nor does it come before the limit.
  EXPECT_LE(SumSlowingDown<double>::slowed_past_700ms, 10);
  EXPECT_GE(SumSlowingDown<double>::last_run_ended_s, 0.65);
  // A whole sample, thousands of runs, would take tens of seconds (63 s with 3 ms runs).
  EXPECT_LT(took_s, 8.0);
}

// A sum whose runs take 2 ms each for its first 30 ms, then microseconds: the samples sized from
// the slow runs come out far shorter than the minimum.
template <class T>
class SumGettingFaster final : public ReductionKernel<T> {
 public:
  void setup(const VectorInputs<T>& in) override {
    in_ = &in;
    slow_until_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(30);
  }
  void run() override {
    if (std::chrono::steady_clock::now() < slow_until_)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    sum_ = 0;
    for (std::int64_t i = 0; i < in_->n; ++i) sum_ += in_->x[static_cast<std::size_t>(i)];
  }
  T result() override { return sum_; }

 private:
  const VectorInputs<T>* in_ = nullptr;
  std::chrono::steady_clock::time_point slow_until_;
  T sum_ = 0;
};

// Samples shorter than the minimum are counted in a note, never passed off as the rule's.
TEST(Measure, SamplesShorterThanTheMinimumAreNoted) {
  const auto impl =
      make_implementation<workloads::Sum, SumGettingFaster>({.name = "test", .description = "x"});
  const RunSettings settings = settings_for(Profile::quick, fresh_seed());
  const MeasurementRecord r =
      measure({&impl, Precision::fp64, Problem::vector(16), DeviceRef::cpu()}, settings,
              test_environment());
  ASSERT_EQ(r.disposition, Disposition::passed) << r.reason;
  const auto note = std::ranges::find_if(r.notes, [](const std::string& n) {
    return n.find("samples lasted less than the") != n.npos;
  });
  ASSERT_NE(note, r.notes.end()) << fmt::format("{}", fmt::join(r.notes, " | "));
  EXPECT_NE(note->find(fmt::format("of {} samples lasted less than the {:.3g} ms minimum",
                                   r.samples_s.size(), 1e3 * settings.min_sample_s)),
            std::string::npos)
      << *note;
}

TEST(Measure, GpuImplementationWithoutDeviceIsUnsupported) {
  const auto impl = make_implementation<workloads::Sum, SumSkippingLast>(
      {.name = "test", .device = DeviceKind::gpu, .description = "x"});
  const MeasurementRequest req{&impl, Precision::fp32, Problem::vector(100), DeviceRef::gpu({})};
  const MeasurementRecord r = measure(req, settings_for(Profile::quick, 1), test_environment());
  EXPECT_EQ(r.disposition, Disposition::unsupported);
  EXPECT_EQ(r.reason, "no CUDA device: test environment");
}

// ---- GPU paths of the runner, on a made-up inventory -------------------------------------------

// Two H100-like GPUs that exist only in the inventory: planning and rate derivation are
// device-independent.
Environment two_gpu_environment() {
  Environment env = test_environment();
  for (int i = 0; i < 2; ++i) {
    GpuDevice d;
    d.index = i;
    d.name = "test GPU";
    d.cc_major = 9;
    d.cc_minor = 0;
    d.sm_count = 132;
    d.sm_clock_mhz = 1980;
    env.gpu.devices.push_back(d);
  }
  env.gpu.no_device_reason.clear();
  return env;
}

// The sweep: gemm, sum and dot on one geometric grid for every device (the crossover needs
// both sides at each size); the workloads whose GPU work differs from the CPU's are not swept.
TEST(Selection, SweepRunsGemmSumAndDotOnOneGeometricGridForEveryDevice) {
  Selection sel;
  sel.profile = Profile::sweep;
  const auto plan = plan_measurements(sel, two_gpu_environment());
  std::map<std::pair<WorkloadId, DeviceKind>, std::set<std::int64_t>> sizes;
  // GPU work three ways at each size: the kernel's own time, end to end from pinned and from
  // pageable host memory.
  std::map<std::string, std::vector<std::optional<HostMemory>>> gpu_timings;
  for (const auto& req : plan) {
    sizes[{req.implementation->workload, req.device.kind}].insert(req.problem.n);
    if (req.device.on_gpu()) {
      gpu_timings[fmt::format("{} {} {} {} {}", req.implementation->workload,
                              req.implementation->name(), req.device, to_string(req.precision),
                              req.problem.label())]
          .push_back(req.end_to_end);
    } else {
      EXPECT_FALSE(req.end_to_end.has_value());
    }
    if (req.problem.is_matrix()) {
      EXPECT_EQ(req.problem, Problem::matrix(req.problem.n, req.problem.n, req.problem.n));
    }
    if (req.device.on_gpu()) {
      EXPECT_EQ(req.size_basis, "sweep: the CPU's grid, to find the crossover");
    }
  }
  const std::set<std::int64_t> cubes = {16, 32, 64, 128, 256, 512, 1024, 2048};
  std::set<std::int64_t> vectors;
  for (std::int64_t n = 1024; n <= (std::int64_t{1} << 26); n *= 4) vectors.insert(n);
  EXPECT_EQ(vectors.size(), 9u);
  EXPECT_EQ(sizes.at({WorkloadId::gemm, DeviceKind::cpu}), cubes);
  EXPECT_EQ(sizes.at({WorkloadId::sum, DeviceKind::cpu}), vectors);
  EXPECT_EQ(sizes.at({WorkloadId::dot, DeviceKind::cpu}), vectors);
  // Where GPU implementations are built, every swept workload has them on the same grid.
  if (FLOPBENCH_HAVE_CUDA) {
    EXPECT_EQ(sizes.at({WorkloadId::gemm, DeviceKind::gpu}), cubes);
    EXPECT_EQ(sizes.at({WorkloadId::sum, DeviceKind::gpu}), vectors);
    EXPECT_EQ(sizes.at({WorkloadId::dot, DeviceKind::gpu}), vectors);
    EXPECT_FALSE(gpu_timings.empty());
  } else {
    EXPECT_TRUE(gpu_timings.empty());
  }
  for (const auto& [what, timings] : gpu_timings) {
    EXPECT_EQ(timings, (std::vector<std::optional<HostMemory>>{std::nullopt, HostMemory::pinned,
                                                               HostMemory::pageable}))
        << what;
  }
  for (const auto& [key, grid] : sizes) {
    EXPECT_TRUE(key.first == WorkloadId::gemm || key.first == WorkloadId::sum ||
                key.first == WorkloadId::dot)
        << to_string(key.first) << " is swept";
    // The GPU's grid (where GPU implementations are built) is the CPU's.
    EXPECT_EQ(grid, sizes.at({key.first, DeviceKind::cpu}));
  }

  // A workload the sweep has no sizes for runs at the sizes given, and says so without them.
  sel.workloads = parse_workloads("stream");
  try {
    plan_measurements(sel, test_environment());
    ADD_FAILURE() << "planned stream in a sweep without sizes";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "nothing to run: profile sweep has no sizes for stream; give --sizes");
  }
  // Named beside one the sweep measures, it is refused all the same, not left out unsaid.
  sel.workloads = parse_workloads("sgemm,stream,peak");
  try {
    plan_measurements(sel, test_environment());
    ADD_FAILURE() << "planned sgemm and dropped stream and peak";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "profile sweep has no sizes for stream, peak; give --sizes, or leave them out of "
              "--workloads");
  }
  sel.sizes = parse_sizes("1K");
  EXPECT_FALSE(plan_measurements(sel, test_environment()).empty());
}

// A given size is judged against each GPU's own L2: 180 MiB per vector is within 4 x a 50 MiB
// L2 but beyond 4 x a 40 MiB one; the two at once hold the larger.
TEST(Selection, AGivenVectorSizeIsJudgedAgainstEachGpusOwnCache) {
  if (!FLOPBENCH_HAVE_CUDA) GTEST_SKIP() << "CPU-only build: no GPU implementation to plan";
  Environment env = two_gpu_environment();
  env.gpu.devices[0].l2_bytes = 50 << 20;
  env.gpu.devices[1].l2_bytes = 40 << 20;
  Selection sel;
  sel.workloads = parse_workloads("stream");
  sel.precisions = {Precision::fp32};
  sel.implementations = {"cuda"};
  sel.sizes = parse_sizes("45M");
  std::map<std::string, std::string> basis;
  for (const auto& req : plan_measurements(sel, env)) basis[req.device.label()] = req.size_basis;
  EXPECT_EQ(basis.at("gpu0"),
            "180 MiB per vector, within 4 x the GPU's 50 MiB of L2 cache: partly cache bandwidth");
  EXPECT_EQ(basis.at("gpu1"), "");
  EXPECT_EQ(basis.count("gpu0+gpu1"), 0u);  // stream has no machine aggregate
}

TEST(Selection, GpusOptionParsesAllAndIndices) {
  EXPECT_FALSE(parse_gpus("all").has_value());
  EXPECT_EQ(parse_gpus("2,0,2"), (std::vector<int>{2, 0}));
  for (const char* bad : {"", "x", "0,", "-1", "1.5", "0,,1"}) {
    EXPECT_THROW(parse_gpus(bad), InputError) << bad;
  }
}

TEST(Selection, EveryGpuAndTheMachineAggregateForGemmAndPeak) {
  if (!FLOPBENCH_HAVE_CUDA) GTEST_SKIP() << "CPU-only build: no GPU implementation to plan";
  Selection sel;
  sel.workloads = parse_workloads("sgemm,sum");
  sel.precisions = {Precision::fp32};
  sel.implementations = {"cuda"};
  sel.sizes = parse_sizes("64");
  const auto plan = plan_measurements(sel, two_gpu_environment());
  std::vector<std::string> devices;
  for (const auto& req : plan)
    devices.push_back(fmt::format("{}@{}", req.implementation->workload, req.device));
  // The aggregate is for compute-bound workloads only: sum has none.
  EXPECT_EQ(devices, (std::vector<std::string>{"gemm@gpu0", "gemm@gpu1", "gemm@gpu0+gpu1",
                                               "sum@gpu0", "sum@gpu1"}));
  EXPECT_EQ(plan[2].device.gpus, (std::vector<int>{0, 1}));
  EXPECT_EQ(plan[1].device.gpus, (std::vector<int>{1}));

  sel.gpus = std::vector<int>{1};
  const auto one = plan_measurements(sel, two_gpu_environment());
  ASSERT_EQ(one.size(), 2u);
  EXPECT_EQ(one[0].device, DeviceRef::gpu({1}));
  EXPECT_EQ(one[1].device, DeviceRef::gpu({1}));
}

TEST(Selection, GpuIndicesMustExist) {
  Selection sel;
  sel.workloads = parse_workloads("sum");
  sel.gpus = std::vector<int>{0, 3};
  try {
    plan_measurements(sel, two_gpu_environment());
    ADD_FAILURE() << "accepted GPU 3";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no GPU 3 (this machine has: 0, 1)"), std::string::npos)
        << e.what();
  }
  // Without a device, naming one is an error that says why there is none.
  try {
    plan_measurements(sel, test_environment());
    ADD_FAILURE() << "accepted --gpus without a device";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no CUDA device: test environment"), std::string::npos)
        << e.what();
  }
}

// What the fake GPUs below were asked to do, in order: "prepare gpuN", "run gpuN",
// "end to end pinned gpuN".
class FakeGpuLog {
 public:
  void add(std::string event) {
    const std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  std::vector<std::string> take() {
    const std::lock_guard lock(mutex_);
    return std::exchange(events_, {});
  }

 private:
  std::mutex mutex_;  // the aggregate runs each GPU on a thread of its own
  std::vector<std::string> events_;
};
FakeGpuLog& fake_gpu_log() {
  static FakeGpuLog log;
  return log;
}

// Where the fake GPUs' host threads ran: the CPUs of each GPU's thread as it was set up and as
// it ran, and the CPUs the process may use as it ran.
struct FakeGpuCpus {
  std::mutex mutex;
  std::map<int, std::vector<int>> setup, run, usable;
};
FakeGpuCpus& fake_gpu_cpus() {
  static FakeGpuCpus cpus;
  return cpus;
}

// GemmWith's host GEMM reporting a fixed "device" time per run, 0.1 s on GPU 0 and 0.2 s on
// GPU 1 (far above the host's real time), so that the manual-time path and the aggregate's
// arithmetic have known answers. GPU 1 computes with OnGpu1's fault. Its end-to-end run is the
// host GEMM too, and reports no device time.
template <Fault OnGpu1>
struct OnFakeGpus {
  template <class T>
  class Kernel final : public GemmKernel<T> {
   public:
    explicit Kernel(int device) : device_(device) {
      if (device == 1) {
        host_ = std::make_unique<typename GemmWith<OnGpu1>::template Kernel<T>>();
      } else {
        host_ = std::make_unique<typename GemmWith<Fault::none>::template Kernel<T>>();
      }
    }
    void setup(const GemmInputs<T>& in) override {
      host_->setup(in);
      const std::lock_guard lock(fake_gpu_cpus().mutex);
      fake_gpu_cpus().setup[device_] = thread_affinity();
    }
    void prepare_run() override { fake_gpu_log().add(fmt::format("prepare gpu{}", device_)); }
    void run() override {
      fake_gpu_log().add(fmt::format("run gpu{}", device_));
      host_->run();
      const std::lock_guard lock(fake_gpu_cpus().mutex);
      fake_gpu_cpus().run[device_] = thread_affinity();
      fake_gpu_cpus().usable[device_] = usable_cpus();
    }
    bool has_end_to_end() const override { return true; }
    void run_end_to_end(HostMemory memory) override {
      fake_gpu_log().add(fmt::format(
          "end to end {} gpu{}", memory == HostMemory::pinned ? "pinned" : "pageable", device_));
      host_->run();
    }
    void read_c(std::span<T> c) override { host_->read_c(c); }
    std::optional<double> device_seconds_of_last_run() const override {
      return 0.1 * (device_ + 1);
    }
    bool may_use_fp64_tensor_cores() const override { return true; }
    // As a cuBLASLt kernel's: the same words on every GPU, and an algorithm of each GPU's own.
    std::vector<std::string> notes() const override {
      return {"tiles of 64", fmt::format("algorithm {}", device_ == 0 ? 7 : 9)};
    }

   private:
    int device_;
    std::unique_ptr<GemmKernel<T>> host_;
  };
};

const Implementation& fake_device_gemm() {
  static const Implementation impl =
      make_implementation<workloads::Gemm, OnFakeGpus<Fault::none>::Kernel>(
          {.name = "fake",
           .device = DeviceKind::gpu,
           .description = "host GEMM, fixed device time"});
  return impl;
}

TEST(Measure, DeviceTimeIsTheSampleAndTheGpuPeakJudgesIt) {
  const Environment env = two_gpu_environment();
  const Problem problem = Problem::matrix(33, 17, 9);
  const MeasurementRequest fp32{&fake_device_gemm(), Precision::fp32, problem, DeviceRef::gpu({0})};
  const MeasurementRecord r = measure(fp32, settings_for(Profile::quick, fresh_seed()), env);
  ASSERT_EQ(r.disposition, Disposition::passed) << r.reason;
  EXPECT_EQ(r.timing, "device_events");
  EXPECT_DOUBLE_EQ(r.stats->median, 0.1);  // the kernel's device time, not the host's
  EXPECT_DOUBLE_EQ(*r.gflops, 2.0 * 33 * 17 * 9 / 0.1 / 1e9);
  // H100: 132 SMs x 128 FP32 lanes x 2 x 1.98 GHz.
  ASSERT_TRUE(r.peak.gflops.has_value()) << r.peak.basis;
  EXPECT_NEAR(*r.peak.gflops, 132 * 128 * 2 * 1.98, 1e-6);
  EXPECT_NEAR(*r.percent_of_peak, 100 * *r.gflops / *r.peak.gflops, 1e-9);

  // FP64 on a path that may use tensor cores is judged against the tensor-core peak (2x the
  // CUDA-core FP64 rate on compute capability 9.0).
  const MeasurementRequest fp64{&fake_device_gemm(), Precision::fp64, problem, DeviceRef::gpu({0})};
  const MeasurementRecord d = measure(fp64, settings_for(Profile::quick, fresh_seed()), env);
  ASSERT_EQ(d.disposition, Disposition::passed) << d.reason;
  EXPECT_NEAR(*d.peak.gflops, 132 * 64 * 2 * 2 * 1.98, 1e-6) << d.peak.basis;
}

// The host thread that drives one GPU is held on the GPU's NUMA node's CPUs as it sets the GPU
// up and runs it, while the contention sampler still watches every CPU of the process; the
// machine aggregate sets each GPU up from its own node. Afterwards the thread has its CPUs back.
TEST(Measure, EachGpuIsDrivenFromItsOwnNumaNode) {
  const std::vector<int> mask = thread_affinity();
  if (mask.size() < 2) GTEST_SKIP() << "one CPU: no node to hold a thread on";
  Environment env = two_gpu_environment();
  env.gpu.devices[0].local_cpus = std::to_string(mask.back());
  env.gpu.devices[1].local_cpus = std::to_string(mask.front());
  const Problem problem = Problem::matrix(9, 8, 7);
  const auto settings = settings_for(Profile::quick, fresh_seed());
  auto& cpus = fake_gpu_cpus();

  // An end-to-end timing on gpu0: its note on host memory on another node, "" for none.
  const auto far_note = [&] {
    const MeasurementRecord r = measure({&fake_device_gemm(), Precision::fp32, problem,
                                         DeviceRef::gpu({0}), "", HostMemory::pinned},
                                        settings, env);
    EXPECT_EQ(r.disposition, Disposition::passed) << r.reason;
    return r.note_starting(MeasurementRecord::kFarFromGpu);
  };

  const MeasurementRecord one =
      measure({&fake_device_gemm(), Precision::fp32, problem, DeviceRef::gpu({0})}, settings, env);
  ASSERT_EQ(one.disposition, Disposition::passed) << one.reason;
  EXPECT_EQ(cpus.setup.at(0), std::vector<int>{mask.back()});
  EXPECT_EQ(cpus.run.at(0), std::vector<int>{mask.back()});
  EXPECT_EQ(cpus.usable.at(0), mask);
  EXPECT_EQ(thread_affinity(), mask);
  EXPECT_EQ(far_note(), "");

  const MeasurementRecord both = measure(
      {&fake_device_gemm(), Precision::fp32, problem, DeviceRef::gpu({0, 1})}, settings, env);
  ASSERT_EQ(both.disposition, Disposition::passed) << both.reason;
  EXPECT_EQ(cpus.setup.at(0), std::vector<int>{mask.back()});
  EXPECT_EQ(cpus.setup.at(1), std::vector<int>{mask.front()});
  EXPECT_EQ(thread_affinity(), mask);

  // Held away from its GPU's node, an end-to-end timing says its copies cross the sockets.
  const ScopedAffinity elsewhere({mask.front()});
  EXPECT_NE(far_note(), "");
}

// A sweep's end-to-end GPU measurement samples Kernel::run_end_to_end, every run of it, timed by
// the host: never the kernel's own run and its fixed device time. A kernel without such a run is
// unsupported, with the reason.
TEST(Measure, EndToEndRunsAreTheSamplesAndTheHostTimesThem) {
  const Environment env = two_gpu_environment();
  const Problem problem = Problem::matrix(9, 8, 7);
  for (const HostMemory memory : {HostMemory::pinned, HostMemory::pageable}) {
    const bool pinned = memory == HostMemory::pinned;
    SCOPED_TRACE(pinned ? "pinned" : "pageable");
    fake_gpu_log().take();
    const MeasurementRecord r =
        measure({&fake_device_gemm(), Precision::fp32, problem, DeviceRef::gpu({0}), "", memory},
                settings_for(Profile::quick, fresh_seed()), env);
    ASSERT_EQ(r.disposition, Disposition::passed) << r.reason;
    EXPECT_EQ(r.timing, pinned ? "end_to_end_pinned" : "end_to_end_pageable");
    EXPECT_TRUE(r.verification && r.verification->passed);
    EXPECT_NE(r.stats->median, 0.1);  // the host's time, not the kernel's fixed device time
    const std::vector<std::string> events = fake_gpu_log().take();
    ASSERT_GE(events.size(), 1u + r.samples_s.size());  // the warm-up, then each sample's runs
    const std::string expected = pinned ? "end to end pinned gpu0" : "end to end pageable gpu0";
    for (const auto& event : events) EXPECT_EQ(event, expected);
  }

  const auto host_only = make_implementation<workloads::Gemm, GemmWith<Fault::none>::Kernel>(
      {.name = "host", .device = DeviceKind::gpu, .description = "x"});
  const MeasurementRecord r =
      measure({&host_only, Precision::fp32, problem, DeviceRef::gpu({0}), "", HostMemory::pinned},
              settings_for(Profile::quick, fresh_seed()), env);
  EXPECT_EQ(r.disposition, Disposition::unsupported);
  EXPECT_EQ(r.reason, "gemm host has no end-to-end run");
  EXPECT_EQ(r.timing, "end_to_end_pinned");
}

TEST(Measure, MachineAggregateSumsFlopsOverTheSlowestGpu) {
  const Environment env = two_gpu_environment();
  const Problem problem = Problem::matrix(20, 30, 40);
  const MeasurementRequest req{&fake_device_gemm(), Precision::fp32, problem,
                               DeviceRef::gpu({0, 1})};
  const MeasurementRecord r = measure(req, settings_for(Profile::quick, fresh_seed()), env);
  ASSERT_EQ(r.disposition, Disposition::passed) << r.reason;
  EXPECT_DOUBLE_EQ(r.flops, 2 * 2.0 * 20 * 30 * 40);
  EXPECT_DOUBLE_EQ(r.stats->median, 0.2);  // GPU 1's 0.2 s: the run ends when both are done
  EXPECT_NEAR(*r.peak.gflops, 2 * 132 * 128 * 2 * 1.98, 1e-6) << r.peak.basis;
  ASSERT_FALSE(r.notes.empty());
  EXPECT_EQ(
      r.notes.front(),
      "2 GPUs at once (gpu0, gpu1): FLOPs summed; time from a common start until the last GPU "
      "is done");
  // What each GPU's kernel noted: alike once, what differs with its GPU.
  ASSERT_GE(r.notes.size(), 4u);
  const std::vector<std::string> noted(r.notes.begin() + 1, r.notes.begin() + 4);
  EXPECT_EQ(noted,
            (std::vector<std::string>{"tiles of 64", "gpu0: algorithm 7", "gpu1: algorithm 9"}))
      << fmt::format("{}", fmt::join(r.notes, " | "));
  EXPECT_NE(r.verification->method.find("of 2 GPUs at once, the worst"), std::string::npos)
      << r.verification->method;
  // Each GPU moves its bytes: summed, as the FLOPs are.
  const MeasurementRecord one =
      measure({&fake_device_gemm(), Precision::fp32, problem, DeviceRef::gpu({0})},
              settings_for(Profile::quick, fresh_seed()), env);
  ASSERT_EQ(one.disposition, Disposition::passed) << one.reason;
  EXPECT_DOUBLE_EQ(r.bytes, 2 * one.bytes);
  EXPECT_DOUBLE_EQ(*r.gbytes_per_s, r.bytes / 0.2 / 1e9);
}

// The aggregate's time is the host's, from the common release: every GPU's padding (Kernel::
// prepare_run) must be done before it, so in each round of the aggregate every GPU is prepared
// before any of them runs. A single GPU is never prepared: its padding stays ahead of its own
// start event, outside its time.
TEST(Measure, MachineAggregatePreparesEveryGpuBeforeTheCommonRelease) {
  const Environment env = two_gpu_environment();
  const Problem problem = Problem::matrix(9, 8, 7);
  fake_gpu_log().take();
  const MeasurementRecord one =
      measure({&fake_device_gemm(), Precision::fp32, problem, DeviceRef::gpu({1})},
              settings_for(Profile::quick, fresh_seed()), env);
  ASSERT_EQ(one.disposition, Disposition::passed) << one.reason;
  for (const auto& event : fake_gpu_log().take()) EXPECT_EQ(event, "run gpu1");

  const MeasurementRecord all =
      measure({&fake_device_gemm(), Precision::fp32, problem, DeviceRef::gpu({0, 1})},
              settings_for(Profile::quick, fresh_seed()), env);
  ASSERT_EQ(all.disposition, Disposition::passed) << all.reason;
  const std::vector<std::string> events = fake_gpu_log().take();
  // Every run is a round of the aggregate, the verified warm-up too (no GPU runs alone): the
  // warm-up and each sample's.
  ASSERT_GE(events.size(), 4 * (1 + all.samples_s.size()));
  ASSERT_EQ(events.size() % 4, 0u);
  for (std::size_t round = 0; round < events.size(); round += 4) {
    SCOPED_TRACE(fmt::format("round from event {}", round));
    const auto at = events.begin() + static_cast<std::ptrdiff_t>(round);
    EXPECT_EQ(std::vector<std::string>(at, at + 2),
              (std::vector<std::string>{"prepare gpu0", "prepare gpu1"}));
    std::vector<std::string> ran(at + 2, at + 4);
    std::sort(ran.begin(), ran.end());  // the GPUs' threads run in any order
    EXPECT_EQ(ran, (std::vector<std::string>{"run gpu0", "run gpu1"}));
  }
}

// Wrong on GPU 1 only: the aggregate must not hide it.
TEST(Measure, MachineAggregateIsIncorrectWhenOneGpuIsWrong) {
  const auto impl =
      make_implementation<workloads::Gemm, OnFakeGpus<Fault::perturb_one_element>::Kernel>(
          {.name = "test", .device = DeviceKind::gpu, .description = "x"});
  const MeasurementRequest req{&impl, Precision::fp64, Problem::matrix(9, 9, 9),
                               DeviceRef::gpu({0, 1})};
  const MeasurementRecord r =
      measure(req, settings_for(Profile::quick, fresh_seed()), two_gpu_environment());
  EXPECT_EQ(r.disposition, Disposition::incorrect);
  EXPECT_NE(r.verification->method.find("gpu1"), std::string::npos) << r.verification->method;
  EXPECT_TRUE(r.samples_s.empty());
}

// A GPU 1 whose runs fail with a GPU error from its kFailingRun-th on (the first is the one that
// is verified; a later one is a sample's), one that loses the CUDA context or not; GPU 0 computes
// on the host.
template <bool kLosesContext, int kFailingRun = 1>
struct FailingGpu1 {
  template <class T>
  class Kernel final : public GemmKernel<T> {
   public:
    explicit Kernel(int device) : device_(device) {}
    void setup(const GemmInputs<T>& in) override { host_.setup(in); }
    void run() override {
      if (device_ == 1 && ++runs_ >= kFailingRun)
        throw GpuError("cudaErrorIllegalAddress: illegal address", kLosesContext, 1);
      host_.run();
    }
    void read_c(std::span<T> c) override { host_.read_c(c); }

   private:
    int device_;
    int runs_ = 0;
    typename GemmWith<Fault::none>::template Kernel<T> host_;
  };
};

// A fault that loses a GPU's CUDA context fails its measurement, and the GPU's later
// measurements are skipped with where and why, rather than failing at their first CUDA call;
// the other GPU measures on. An error that leaves the context usable skips nothing.
TEST(Measure, AGpuThatLostItsContextIsSkippedWithWhereAndWhy) {
  lost_gpus().clear();
  const Environment env = two_gpu_environment();
  const Problem problem = Problem::matrix(9, 8, 7);
  const auto settings = settings_for(Profile::quick, fresh_seed());
  const auto recoverable = make_implementation<workloads::Gemm, FailingGpu1<false>::Kernel>(
      {.name = "test", .device = DeviceKind::gpu, .description = "x"});
  const MeasurementRecord failed =
      measure({&recoverable, Precision::fp32, problem, DeviceRef::gpu({1})}, settings, env);
  EXPECT_EQ(failed.disposition, Disposition::failed);
  EXPECT_EQ(failed.reason, "cudaErrorIllegalAddress: illegal address");
  EXPECT_FALSE(lost_gpus().why(1).has_value());

  const auto losing = make_implementation<workloads::Gemm, FailingGpu1<true>::Kernel>(
      {.name = "test", .device = DeviceKind::gpu, .description = "x"});
  const MeasurementRecord lost =
      measure({&losing, Precision::fp32, problem, DeviceRef::gpu({0, 1})}, settings, env);
  EXPECT_EQ(lost.disposition, Disposition::failed);
  EXPECT_EQ(lost.reason,
            "gpu1: cudaErrorIllegalAddress: illegal address; gpu1 can run no more CUDA work in "
            "this process: later measurements there are skipped");

  const MeasurementRecord after =
      measure({&fake_device_gemm(), Precision::fp32, problem, DeviceRef::gpu({1})}, settings, env);
  EXPECT_EQ(after.disposition, Disposition::skipped);
  EXPECT_EQ(after.reason,
            "gpu1 can run no more CUDA work in this process: its context was lost in gemm test "
            "fp32 9x8x7 on gpu0+gpu1: gpu1: cudaErrorIllegalAddress: illegal address");
  const MeasurementRecord aggregate = measure(
      {&fake_device_gemm(), Precision::fp32, problem, DeviceRef::gpu({0, 1})}, settings, env);
  EXPECT_EQ(aggregate.disposition, Disposition::skipped);
  const MeasurementRecord other =
      measure({&fake_device_gemm(), Precision::fp32, problem, DeviceRef::gpu({0})}, settings, env);
  EXPECT_EQ(other.disposition, Disposition::passed) << other.reason;

  // Lost while taking the samples, where a GPU spends most of a measurement.
  lost_gpus().clear();
  const auto losing_later = make_implementation<workloads::Gemm, FailingGpu1<true, 3>::Kernel>(
      {.name = "test", .device = DeviceKind::gpu, .description = "x"});
  const MeasurementRecord sampled =
      measure({&losing_later, Precision::fp32, problem, DeviceRef::gpu({1})}, settings, env);
  EXPECT_EQ(sampled.disposition, Disposition::failed);
  EXPECT_TRUE(sampled.verification.has_value() && sampled.verification->passed);
  EXPECT_NE(sampled.reason.find("gpu1 can run no more CUDA work"), std::string::npos)
      << sampled.reason;
  EXPECT_TRUE(lost_gpus().why(1).has_value());
  lost_gpus().clear();
}

// GPU 0's run fails with an error that leaves its context usable, GPU 1's loses the context with
// an error that cannot tell which GPU it was on (-1).
template <class T>
class GpuErrorsOfTwoKinds final : public GemmKernel<T> {
 public:
  explicit GpuErrorsOfTwoKinds(int device) : device_(device) {}
  void setup(const GemmInputs<T>&) override {}
  void run() override {
    if (device_ == 0) throw GpuError("cudaErrorMemoryAllocation: out of memory", false, 0);
    throw GpuError("cudaErrorLaunchFailure: unspecified launch failure", true, -1);
  }
  void read_c(std::span<T>) override {}

 private:
  int device_;
};

// In a machine aggregate, the GPU whose context was lost is the one whose thread saw it, even
// where another GPU failed first or the error does not know its device: only that GPU's later
// work is skipped, and the reason gives each GPU's failure.
TEST(Measure, AnAggregateMarksLostOnlyTheGpuWhoseThreadLostItsContext) {
  lost_gpus().clear();
  const auto impl = make_implementation<workloads::Gemm, GpuErrorsOfTwoKinds>(
      {.name = "test", .device = DeviceKind::gpu, .description = "x"});
  const MeasurementRecord r =
      measure({&impl, Precision::fp32, Problem::matrix(9, 8, 7), DeviceRef::gpu({0, 1})},
              settings_for(Profile::quick, fresh_seed()), two_gpu_environment());
  EXPECT_EQ(r.disposition, Disposition::failed);
  EXPECT_EQ(r.reason,
            "gpu0: cudaErrorMemoryAllocation: out of memory; gpu1: cudaErrorLaunchFailure: "
            "unspecified launch failure; gpu1 can run no more CUDA work in this process: later "
            "measurements there are skipped");
  EXPECT_FALSE(lost_gpus().why(0).has_value());
  EXPECT_TRUE(lost_gpus().why(1).has_value());
  lost_gpus().clear();

  // An error that leaves the context usable names its GPU too, and marks none lost.
  const auto recoverable = make_implementation<workloads::Gemm, FailingGpu1<false>::Kernel>(
      {.name = "test", .device = DeviceKind::gpu, .description = "x"});
  const MeasurementRecord failed =
      measure({&recoverable, Precision::fp32, Problem::matrix(9, 8, 7), DeviceRef::gpu({0, 1})},
              settings_for(Profile::quick, fresh_seed()), two_gpu_environment());
  EXPECT_EQ(failed.disposition, Disposition::failed);
  EXPECT_EQ(failed.reason, "gpu1: cudaErrorIllegalAddress: illegal address");
  EXPECT_FALSE(lost_gpus().why(1).has_value());
}

// A sum on one thread, and one over every thread of OpenMP's team: a library that runs a call on
// fewer threads than it was given, as OpenBLAS 0.3.21 runs SDOT on one, and one that does not.
template <class T>
class SumOnOneThread final : public ReductionKernel<T> {
 public:
  void setup(const VectorInputs<T>& in) override { in_ = &in; }
  void run() override {
    T sum = 0;
    for (std::int64_t i = 0; i < in_->n; ++i) sum += in_->x[static_cast<std::size_t>(i)];
    sum_ = sum;
  }
  T result() override { return sum_; }

 private:
  const VectorInputs<T>* in_ = nullptr;
  T sum_ = 0;
};

template <class T>
class SumOnEveryThread final : public ReductionKernel<T> {
 public:
  void setup(const VectorInputs<T>& in) override { in_ = &in; }
  void run() override {
    T sum = 0;
    const T* x = in_->x.data();
    const std::int64_t n = in_->n;
#pragma omp parallel for reduction(+ : sum)
    for (std::int64_t i = 0; i < n; ++i) sum += x[i];
    sum_ = sum;
  }
  T result() override { return sum_; }

 private:
  const VectorInputs<T>* in_ = nullptr;
  T sum_ = 0;
};

// The record says how many CPUs its threads kept busy, and one that ran on fewer threads than it
// was given is flagged and noted, so that its figure is not read as its threads'. Waits for a
// CPU count as busy: a machine loaded by others does not flag the one that used every thread.
TEST(Measure, AnImplementationThatRanOnFewerThreadsThanGivenIsFlagged) {
  if (omp_get_max_threads() < 2) GTEST_SKIP() << "one OpenMP thread: nothing to leave idle";
  const int threads = omp_get_max_threads();
  // Samples long enough for a reading of /proc/stat, whose steal figure a judgement needs.
  const RunSettings settings = settings_for(Profile::standard, fresh_seed());
  const Problem problem = Problem::vector(1 << 20);

  const auto serial = make_implementation<workloads::Sum, SumOnOneThread>(
      {.name = "test", .description = "one thread"});
  const MeasurementRecord one =
      measure({&serial, Precision::fp64, problem, DeviceRef::cpu()}, settings, test_environment());
  ASSERT_EQ(one.disposition, Disposition::passed) << one.reason;
  ASSERT_TRUE(one.load && one.load->busy) << "no CPU time recorded";
  if (!one.load->waited) GTEST_SKIP() << "no run-queue figures (schedstat): nothing is judged";
  // Steal counts as threads that were there to run: half a CPU of it hides an idle thread.
  if (one.load->steal_cpus.median >= 0.4) {
    GTEST_SKIP() << "the hypervisor stole " << one.load->steal_cpus.median
                 << " CPUs: an idle thread cannot be told from a stolen one";
  }
  ASSERT_TRUE(one.load->fewer_threads.has_value()) << "not judged";
  EXPECT_EQ(one.threads, threads);
  EXPECT_LT(*one.load->busy, 1.4);
  EXPECT_TRUE(one.ran_on_fewer_threads());
  // "passed (contended, fewer threads)" on a machine loaded by others
  EXPECT_NE(result_text(one).find("fewer threads)"), std::string::npos) << result_text(one);
  ASSERT_EQ(std::ranges::count_if(one.notes,
                                  [](const auto& n) { return n.starts_with("fewer threads: "); }),
            1)
      << fmt::format("{}", fmt::join(one.notes, " | "));

  const auto parallel = make_implementation<workloads::Sum, SumOnEveryThread>(
      {.name = "test", .description = "every thread"});
  const MeasurementRecord every = measure({&parallel, Precision::fp64, problem, DeviceRef::cpu()},
                                          settings, test_environment());
  ASSERT_EQ(every.disposition, Disposition::passed) << every.reason;
  ASSERT_TRUE(every.load && every.load->busy);
  EXPECT_EQ(every.load->fewer_threads, false);
  EXPECT_EQ(std::ranges::count_if(every.notes,
                                  [](const auto& n) { return n.starts_with("fewer threads"); }),
            0);
}

TEST(Measure, FewerThreadsIsJudgedFromTheCpusTheThreadsKeptBusyWaitedForOrHadStolen) {
  EXPECT_TRUE(ran_on_fewer_threads(1.01, 0, 2, 2));
  // Threads that waited for a CPU (another process, more threads than CPUs, a cgroup quota), or
  // whose CPU the hypervisor gave to another guest, were there to run.
  EXPECT_FALSE(ran_on_fewer_threads(1.01 + 0.9, 0, 2, 2));
  EXPECT_FALSE(ran_on_fewer_threads(1.01, 0.6, 2, 2));
  EXPECT_FALSE(ran_on_fewer_threads(1.5, 0, 2, 2));  // three quarters: a parallel loop's imbalance
  EXPECT_TRUE(ran_on_fewer_threads(5.9, 0, 8, 8));
  // 8 threads on 2 CPUs: those asleep at a barrier for a descheduled one neither run nor wait.
  EXPECT_FALSE(ran_on_fewer_threads(1.9, 0, 8, 2));
  // A cgroup quota of 1.5 CPUs: 2 threads can keep no more than that busy.
  EXPECT_FALSE(ran_on_fewer_threads(1.2, 0, 2, 1.5));
  EXPECT_TRUE(ran_on_fewer_threads(1.0, 0, 2, 1.5));

  MeasurementRecord r;
  r.threads = 2;
  EXPECT_EQ(fewer_threads_note(r), "");
  r.load = MachineLoad{.readings = 5, .waited = 0.004, .busy = 1.01};
  EXPECT_FALSE(r.ran_on_fewer_threads());  // not judged
  r.load->fewer_threads = false;
  EXPECT_FALSE(r.ran_on_fewer_threads());
  EXPECT_EQ(fewer_threads_note(r), "");
  r.load->fewer_threads = true;
  EXPECT_TRUE(r.ran_on_fewer_threads());
  EXPECT_EQ(fewer_threads_note(r),
            "fewer threads: its 2 threads kept 1.01 CPUs busy during the samples, under three "
            "quarters of the CPUs they could use (the fewer of the threads and the CPUs this "
            "process may use) even with their waits for a CPU and the hypervisor's steal added: "
            "the implementation ran on fewer threads than it was given, or left some idle, so the "
            "figure is that of fewer");
}

TEST(Measure, ThrottleNoteNamesTheGpuTheReasonAndWhen) {
  MeasurementRecord r;
  EXPECT_EQ(throttle_note(r), "");
  GpuTelemetry idle{.device = "gpu0", .source = "nvml", .clock_event_reasons = {"gpu_idle"}};
  r.telemetry_before = {idle};
  EXPECT_EQ(throttle_note(r), "");
  GpuTelemetry capped{.device = "gpu1",
                      .source = "nvml",
                      .clock_event_reasons = {"gpu_idle", "sw_power_cap", "hw_slowdown"},
                      .throttled = true};
  r.telemetry_after = {idle, capped};
  EXPECT_EQ(throttle_note(r), "throttled: gpu1 hw_slowdown (after)");
  EXPECT_EQ(power_cap_note(r), "power cap: gpu1 (after)");
  // At the power cap alone, a GPU runs as specified: noted, not throttled.
  capped.clock_event_reasons = {"sw_power_cap"};
  capped.throttled = false;
  r.telemetry_before = {capped};
  r.telemetry_after = {idle};
  EXPECT_EQ(throttle_note(r), "");
  EXPECT_EQ(power_cap_note(r), "power cap: gpu1 (before)");
}

// A rate above the theoretical peak says why it can be: on a CPU whose clock was measured, the
// cores ran faster than then; elsewhere the model is too low. The run says it where it shows it.
TEST(Measure, ARateAboveTheTheoreticalPeakIsNotedWithWhy) {
  Environment env = test_environment();
  if (!cpu_peak(env.cpu, Precision::fp32, 0).gflops) GTEST_SKIP() << "no theoretical peak here";
  ASSERT_TRUE(env.cpu.clock_source.starts_with("measured")) << env.cpu.clock_source;
  // A clock a million times too low: the peak workload runs far beyond the model, even when an
  // overloaded machine (a parallel test run) stalls each of its joins for a time slice.
  *env.cpu.clock_ghz /= 1e6;
  const Implementation* omp = registry().find(WorkloadId::peak, "omp");
  ASSERT_NE(omp, nullptr);
  const MeasurementRequest req{omp, Precision::fp32, Problem::vector(1 << 12), DeviceRef::cpu()};
  const MeasurementRecord r = measure(req, settings_for(Profile::quick, fresh_seed()), env);
  ASSERT_EQ(r.disposition, Disposition::passed) << r.reason;
  ASSERT_TRUE(r.percent_of_peak.has_value());
  EXPECT_GT(*r.percent_of_peak, 1000) << r.peak.basis << "; " << *r.gflops << " GFLOP/s";
  const std::string note = above_peak_note(r, env.cpu);
  EXPECT_TRUE(note.starts_with("above the theoretical peak by ")) << note;
  EXPECT_NE(note.find("the cores ran at least that much faster than the clock the peak assumes"),
            std::string::npos)
      << note;
  EXPECT_NE(std::find(r.notes.begin(), r.notes.end(), note), r.notes.end());
  // The clock measured again after the samples shows the cores far from that clock.
  ASSERT_TRUE(r.clock_after_ghz.has_value());
  EXPECT_TRUE(plausible_cpu_clock(*r.clock_after_ghz)) << *r.clock_after_ghz;
  const std::string moved = clock_note(r, env.cpu);
  EXPECT_TRUE(moved.starts_with("clock moved: ")) << moved;
  EXPECT_NE(std::find(r.notes.begin(), r.notes.end(), moved), r.notes.end());
  // "passed (contended, above peak)" when the test suite's other tests load the machine.
  EXPECT_TRUE(result_text(r).starts_with("passed (")) << result_text(r);
  EXPECT_TRUE(result_text(r).ends_with("above peak)")) << result_text(r);

  MeasurementRecord gpu;
  gpu.device = DeviceRef::gpu({0});
  gpu.peak = {1000.0, "132 SMs x 128 FP32 lanes x 2 x 1.98 GHz"};
  gpu.percent_of_peak = 104;
  EXPECT_EQ(above_peak_note(gpu, {}),
            "above the theoretical peak by 4.0 %: the peak model (132 SMs x 128 FP32 lanes x 2 x "
            "1.98 GHz) is too low for this device");
  gpu.percent_of_peak = 100;
  EXPECT_EQ(above_peak_note(gpu, {}), "");
  // A peak bound by a cgroup CPU quota: short samples can run between its throttled spells.
  MeasurementRecord quota;
  quota.peak = {
      100.0,
      "1.5 CPUs of cgroup quota (on 2 cores) x 16 FP32 lanes x 2 FMA pipes x 2 x 3.47 GHz "
      "(Zen 5; clock measured)"};
  quota.percent_of_peak = 120;
  EXPECT_TRUE(above_peak_note(quota, {}).starts_with(
      "above the theoretical peak by 20.0 %: the peak is the cgroup CPU quota's"))
      << above_peak_note(quota, {});
  // Twice the peak while the clock held (3.0 GHz as the run started, 3.1 after): no clock explains
  // it, the model counts too little FMA width (a hypervisor presenting a Zen 1 on a Zen 2 host).
  MeasurementRecord zen;
  zen.peak = {100.0,
              "2 cores x 4 FP32 lanes x 2 FMA pipes x 2 x 3.00 GHz (Zen/Zen+; clock measured)"};
  zen.percent_of_peak = 198;
  zen.clock_after_ghz = 3.1;
  CpuInventory presented;
  presented.clock_ghz = 3.0;
  EXPECT_EQ(above_peak_note(zen, presented),
            "above the theoretical peak by 98.0 %, while the clock measured after it (3.10 GHz, "
            "3.00 as the run started) moved by far less: the peak model (2 cores x 4 FP32 lanes x "
            "2 FMA pipes x 2 x 3.00 GHz (Zen/Zen+; clock measured)) counts less FMA width a core "
            "(fewer or narrower units) than these cores have (a hypervisor's generic CPU model "
            "can name an older core than the host's)");
  // A clock that moved as much (4.5 GHz after) explains it; so does any at a small excess.
  zen.clock_after_ghz = 4.5;
  EXPECT_NE(above_peak_note(zen, presented).find("the cores ran at least that much faster"),
            std::string::npos);
  zen.clock_after_ghz = 3.0;
  zen.percent_of_peak = 110;
  EXPECT_NE(above_peak_note(zen, presented).find("the cores ran at least that much faster"),
            std::string::npos);
}

// A CPU kernel whose vectors are narrower than the FMA units its theoretical peak counts can reach
// only that share of the peak: the record says so, with what chose the width, so that a figure
// (or a failed acceptance criterion) near half the peak is explained where it is read.
TEST(Measure, AKernelNarrowerThanThePeaksFmaUnitsIsNotedWithWhatChoseIt) {
  CpuInventory zen5;
  zen5.vendor = "AuthenticAMD";
  zen5.family = 0x1A;
  zen5.model_number = 0x02;
  zen5.simd = {"fma", "avx2", "avx512f"};
  MeasurementRecord r;
  r.device = DeviceRef::cpu();
  r.precision = Precision::fp64;
  r.peak = {230.0, "2 cores x 8 FP64 lanes x 2 FMA pipes x 2 x 3.60 GHz (Zen 5; clock measured)"};
  const VectorWidth haswell{256,
                            "OpenBLAS's Haswell kernels, with OPENBLAS_CORETYPE=Haswell set: "
                            "unset it to let OpenBLAS choose"};
  EXPECT_EQ(
      narrow_vectors_note(r, haswell, zen5),
      "narrow vectors: 256-bit (OpenBLAS's Haswell kernels, with OPENBLAS_CORETYPE=Haswell set: "
      "unset it to let OpenBLAS choose), where the peak counts 2 x 512-bit FMA units a core: "
      "at most 50 % of it is within reach");
  EXPECT_TRUE(narrow_vectors_note(r, {128, "SSE"}, zen5)
                  .ends_with("at most 25 % of it is within "
                             "reach"))
      << narrow_vectors_note(r, {128, "SSE"}, zen5);
  // As wide as the peak's units; a peak that counts 256-bit units (AVX-512 hidden, or Zen 4).
  EXPECT_EQ(narrow_vectors_note(r, {512, "the 512-bit pass"}, zen5), "");
  CpuInventory hidden = zen5;
  hidden.simd = {"fma", "avx2"};
  EXPECT_EQ(narrow_vectors_note(r, haswell, hidden), "");
  // Nothing to judge against: no peak (a bandwidth-bound workload), a matrix precision whose
  // peak counts other units, GPU work, an unidentified CPU.
  MeasurementRecord no_peak = r;
  no_peak.peak = {std::nullopt, "bandwidth-bound"};
  EXPECT_EQ(narrow_vectors_note(no_peak, haswell, zen5), "");
  MeasurementRecord bf16 = r;
  bf16.precision = Precision::bf16;
  EXPECT_EQ(narrow_vectors_note(bf16, haswell, zen5), "");
  MeasurementRecord gpu = r;
  gpu.device = DeviceRef::gpu({0});
  EXPECT_EQ(narrow_vectors_note(gpu, haswell, zen5), "");
  CpuInventory unknown = zen5;
  unknown.family = 0x15;
  EXPECT_EQ(narrow_vectors_note(r, haswell, unknown), "");
}

// OpenBLAS's core names, as openblas_get_corename gives them, to the width of their kernels.
TEST(OpenBlas, ItsCoreNamesGiveTheirKernelsVectorWidth) {
  for (const char* core : {"SkylakeX", "Cooperlake", "SapphireRapids", "skylakex"}) {
    EXPECT_EQ(openblas_core_vector_bits(core), 512) << core;
  }
  for (const char* core : {"Haswell", "Zen", "Sandybridge", "HASWELL"}) {
    EXPECT_EQ(openblas_core_vector_bits(core), 256) << core;
  }
  for (const char* core : {"Nehalem", "Core2", "Prescott", "Barcelona", "Atom"}) {
    EXPECT_EQ(openblas_core_vector_bits(core), 128) << core;
  }
  for (const char* core : {"", "Unknown", "Bulldozer", "neoversen1", "Haswel", "Haswell "}) {
    EXPECT_EQ(openblas_core_vector_bits(core), std::nullopt) << core;
  }
}

// The instruction sets each x86 kernel set of OpenBLAS needs, of those a CPU lacks: OpenBLAS runs
// the kernels OPENBLAS_CORETYPE names on any CPU, and dies of an illegal instruction.
TEST(OpenBlas, TheInstructionsItsKernelsNeedThatACpuLacks) {
  using Isas = std::vector<std::string_view>;
  const auto none = [](std::string_view) { return false; };
  const auto every = [](std::string_view) { return true; };
  const auto avx2 = [](std::string_view isa) {
    return isa == "avx" || isa == "avx2" || isa == "fma";
  };
  const auto skylake_sp = [](std::string_view isa) { return isa != "avx512bf16"; };
  EXPECT_EQ(openblas_core_lacks("SkylakeX", avx2),
            (Isas{"avx512f", "avx512bw", "avx512dq", "avx512vl"}));
  EXPECT_EQ(openblas_core_lacks("cooperlake", skylake_sp), (Isas{"avx512bf16"}));
  EXPECT_EQ(openblas_core_lacks("SapphireRapids", skylake_sp), (Isas{"avx512bf16"}));
  EXPECT_EQ(openblas_core_lacks("SkylakeX", skylake_sp), Isas{});
  EXPECT_EQ(openblas_core_lacks("Cooperlake", every), Isas{});  // Zen 4 and later
  EXPECT_EQ(openblas_core_lacks("Haswell", avx2), Isas{});
  EXPECT_EQ(openblas_core_lacks("Zen", none), (Isas{"avx2", "fma"}));
  EXPECT_EQ(openblas_core_lacks("Sandybridge", none), (Isas{"avx"}));
  EXPECT_EQ(openblas_core_lacks("Bulldozer", avx2), (Isas{"fma4"}));  // an Intel CPU
  EXPECT_EQ(openblas_core_lacks("Excavator", avx2), Isas{});
  // Cores of SSE, or not known here: nothing asked.
  for (const char* core : {"Nehalem", "Barcelona", "neoversen1", ""}) {
    EXPECT_EQ(openblas_core_lacks(core, none), Isas{}) << core;
  }
  EXPECT_EQ(openblas_core_lacks("SapphireRapids", every), Isas{});
}

// The clock a CPU peak assumes is measured again right after each compute-bound CPU measurement
// that depends on it, and a clock that moved is noted; bandwidth-bound work and peaks whose clock
// was not measured leave it be.
TEST(Measure, TheClockIsMeasuredAgainAfterACpuMeasurementWhosePeakAssumesIt) {
  const Environment env = test_environment();
  if (!cpu_peak(env.cpu, Precision::fp64, 0).gflops) GTEST_SKIP() << "no theoretical peak here";
  const RunSettings quick = settings_for(Profile::quick, fresh_seed());
  const Implementation* omp = registry().find(WorkloadId::gemm, "omp");
  ASSERT_NE(omp, nullptr);
  // Large enough to run on every thread, so that the clock is measured again on as many cores.
  const MeasurementRequest gemm{omp, Precision::fp64, Problem::matrix(256, 256, 256),
                                DeviceRef::cpu()};
  const MeasurementRecord r = measure(gemm, quick, env);
  ASSERT_EQ(r.disposition, Disposition::passed) << r.reason;
  ASSERT_TRUE(r.peak.assumes_measured_clock()) << r.peak.basis;
  ASSERT_TRUE(r.clock_after_ghz.has_value());
  // The same cores, measured the same way twice: within a factor of 2 unless the units are wrong
  // (a shared host's clock moves by tens of percent between the two, which the note says); the
  // note is there exactly when they differ by more than the tolerance.
  EXPECT_GT(*r.clock_after_ghz, 0.5 * *env.cpu.clock_ghz) << r.threads << " threads";
  EXPECT_LT(*r.clock_after_ghz, 2.0 * *env.cpu.clock_ghz) << r.threads << " threads";
  const bool moved = std::abs(*r.clock_after_ghz / *env.cpu.clock_ghz - 1) > kClockMovedFraction;
  const bool noted = std::ranges::any_of(r.notes, [](const std::string& note) {
    return note.starts_with("clock moved: ") || note.starts_with("clock differs: ");
  });
  EXPECT_EQ(noted, moved) << *r.clock_after_ghz << " GHz after, " << *env.cpu.clock_ghz;

  Environment tabled = env;
  tabled.cpu.clock_source = "per-microarchitecture table (all-core AVX-512)";
  const MeasurementRecord from_table = measure(gemm, quick, tabled);
  ASSERT_EQ(from_table.disposition, Disposition::passed) << from_table.reason;
  EXPECT_FALSE(from_table.peak.assumes_measured_clock());
  EXPECT_FALSE(from_table.clock_after_ghz.has_value());

  const Implementation* triad = registry().find(WorkloadId::stream, "omp");
  ASSERT_NE(triad, nullptr);
  const MeasurementRecord stream =
      measure({triad, Precision::fp64, Problem::vector(1 << 16), DeviceRef::cpu()}, quick, env);
  ASSERT_EQ(stream.disposition, Disposition::passed) << stream.reason;
  EXPECT_FALSE(stream.clock_after_ghz.has_value());
}

TEST(Measure, AClockThatMovedIsNotedWithBothFigures) {
  CpuInventory cpu;
  cpu.clock_ghz = 4.31;
  cpu.logical_cpus = 2;
  MeasurementRecord r;
  r.threads = 2;
  EXPECT_EQ(clock_note(r, cpu), "");  // not measured again
  r.clock_after_ghz = 4.49;
  EXPECT_EQ(clock_note(r, cpu),
            "clock moved: 4.49 GHz on this measurement's 2 threads right after its samples, "
            "+4.2 % from the 4.31 GHz its peak assumes (measured as the run started)");
  r.clock_after_ghz = 4.0;
  EXPECT_EQ(clock_note(r, cpu),
            "clock moved: 4.00 GHz on this measurement's 2 threads right after its samples, "
            "-7.2 % from the 4.31 GHz its peak assumes (measured as the run started)");
  // On fewer cores than the run's clock was measured on, a higher clock may be a boost.
  r.threads = 1;
  r.clock_after_ghz = 4.8;
  EXPECT_EQ(clock_note(r, cpu),
            "clock differs: 4.80 GHz on this measurement's 1 thread right after its samples, "
            "+11.4 % from the 4.31 GHz its peak assumes (measured on all 2 CPUs as the run "
            "started; fewer busy cores can run faster)");
  // With SMT, the vector clock runs a thread per core: at the run's start and after a
  // measurement on every logical CPU alike.
  cpu.cores = 2;
  cpu.logical_cpus = 4;
  r.threads = 4;
  r.clock_after_ghz = 4.49;
  EXPECT_EQ(clock_note(r, cpu),
            "clock moved: 4.49 GHz on 2 of this measurement's 4 threads, one per core, right after "
            "its samples, +4.2 % from the 4.31 GHz its peak assumes (measured as the run started)");
  r.threads = 1;
  EXPECT_NE(clock_note(r, cpu).find("(measured on all 2 cores, a thread each, as the run started"),
            std::string::npos)
      << clock_note(r, cpu);
  // Under a cgroup CPU quota the run's start measured it on the quota's whole CPUs.
  cpu.quota = CpuQuota{1.5, "/sys/fs/cgroup/cpu.max"};
  EXPECT_EQ(clock_note(r, cpu),
            "clock moved: 4.49 GHz on this measurement's 1 thread right after "
            "its samples, +4.2 % from the 4.31 GHz its peak assumes (measured "
            "as the run started)");
  cpu.quota = CpuQuota{3, "/sys/fs/cgroup/cpu.max"};
  cpu.cores = 4;
  cpu.logical_cpus = 8;
  EXPECT_NE(clock_note(r, cpu).find("(measured on 3 threads, as many as the cgroup CPU quota "
                                    "allows, as the run started"),
            std::string::npos)
      << clock_note(r, cpu);
  // A quota above the cores leaves the start's clock on every core.
  cpu.quota = CpuQuota{6, "/sys/fs/cgroup/cpu.max"};
  EXPECT_NE(clock_note(r, cpu).find("(measured on all 4 cores, a thread each, as the run started"),
            std::string::npos)
      << clock_note(r, cpu);
  cpu.quota.reset();
  cpu.cores = 2;
  cpu.logical_cpus = 4;
  EXPECT_EQ(vector_clock_threads(8, 4), 4);
  EXPECT_EQ(vector_clock_threads(3, 4), 3);
  EXPECT_EQ(vector_clock_threads(8, 0), 8);
  cpu.cores = 0;
  cpu.logical_cpus = 2;
  r.threads = 2;
  r.clock_after_ghz = 4.31 * (1 + kClockMovedFraction) - 0.001;  // within the clock's repeatability
  EXPECT_EQ(clock_note(r, cpu), "");
  cpu.clock_ghz.reset();
  r.clock_after_ghz = 4.49;
  EXPECT_EQ(clock_note(r, cpu), "");
}

// A CPU with no theoretical peak: the peak workload measured on the same device, precision and
// threads is the ceiling, its best rate where it ran at several sizes; nothing else borrows it.
TEST(Measure, MeasuredPeakIsTheCeilingWhereNoTheoreticalPeakIsKnown) {
  const auto record = [](WorkloadId workload, Precision p, int threads, double gflops) {
    MeasurementRecord r;
    r.workload = workload;
    r.device = DeviceRef::cpu();
    r.precision = p;
    r.threads = threads;
    r.problem = Problem::vector(1000);
    r.disposition = Disposition::passed;
    r.gflops = gflops;
    r.peak = {std::nullopt, "unknown: GenuineIntel family 6 model 151 (0x97) is not in the table"};
    return r;
  };
  std::vector<MeasurementRecord> records = {
      record(WorkloadId::gemm, Precision::fp32, 2, 50),
      record(WorkloadId::gemm, Precision::fp64, 2, 30),  // no fp64 peak measured
      record(WorkloadId::gemm, Precision::fp32, 1, 20),  // other thread count
      record(WorkloadId::dot, Precision::fp32, 2, 5),    // bandwidth-bound: no peak at all
      record(WorkloadId::peak, Precision::fp32, 2, 160),
      record(WorkloadId::peak, Precision::fp32, 2, 200),  // the best of the sizes
  };
  records[4].problem = Problem::vector(64);
  apply_measured_ceilings(records);
  ASSERT_TRUE(records[0].peak.gflops.has_value()) << records[0].peak.basis;
  EXPECT_DOUBLE_EQ(*records[0].peak.gflops, 200);
  EXPECT_DOUBLE_EQ(*records[0].percent_of_peak, 25);
  EXPECT_TRUE(records[0].peak.basis.starts_with("measured: the peak workload's best rate, 200.0"))
      << records[0].peak.basis;
  EXPECT_NE(records[0].peak.basis.find("model 151"), std::string::npos) << records[0].peak.basis;
  for (const std::size_t i : {1, 2, 3, 4, 5}) {
    EXPECT_FALSE(records[i].peak.gflops.has_value()) << i;
    EXPECT_FALSE(records[i].percent_of_peak.has_value()) << i;
    EXPECT_TRUE(records[i].peak.basis.starts_with("unknown: ")) << i;
  }
  // An end-to-end time (transfers and launch in it) gets the ceiling, but no % of it.
  std::vector<MeasurementRecord> end_to_end = {record(WorkloadId::gemm, Precision::fp32, 2, 50),
                                               record(WorkloadId::peak, Precision::fp32, 2, 200)};
  end_to_end[0].timing = "end_to_end_pinned";
  apply_measured_ceilings(end_to_end);
  EXPECT_TRUE(end_to_end[0].peak.gflops.has_value());
  EXPECT_FALSE(end_to_end[0].percent_of_peak.has_value());
  // A theoretical peak is never replaced.
  records[1].peak = {100.0, "theory"};
  records.push_back(record(WorkloadId::peak, Precision::fp64, 2, 90));
  apply_measured_ceilings(records);
  EXPECT_EQ(records[1].peak.basis, "theory");
}

// ---- burn-in ------------------------------------------------------------------------------------

// A correct GEMM whose `Nth` run (counted over the kernel's life, across rearm's setups) goes
// wrong as F says: one element an ulp off (a silent data corruption) or NaN.
template <Fault F, int Nth>
struct FailsOnRun {
  template <class T>
  class Kernel final : public GemmKernel<T> {
    using Acc = accumulator_t<T>;

   public:
    void setup(const GemmInputs<T>& in) override { correct_.setup(in); }
    void run() override {
      correct_.run();
      ++runs_;
    }
    void read_c(std::span<Acc> out) override {
      correct_.read_c(out);
      if (runs_ != Nth) return;
      if constexpr (F == Fault::nan) {
        out[3] = std::numeric_limits<Acc>::quiet_NaN();
      } else {
        out[3] = std::nextafter(out[3], Acc(10));
      }
    }

   private:
    typename GemmWith<Fault::none>::template Kernel<T> correct_;
    int runs_ = 0;
  };
};

// A correct GEMM that goes wrong inside the computation, and the runs after it go on from there.
// Once: the first run after its `Setup`th setup (its trial's makes the first, the two sizing
// runs' rearms the second and third, iteration N's rearm the N + 3rd) leaves one element of C a
// thousandth off, as a transient fault of a device would. Every run: from that setup on, each
// run adds the same error to that element's product, as a defect that always gives the same
// wrong bits would.
enum class Goes { wrong_once, wrong_every_run };
template <int Setup, Goes How>
struct GoesWrongInRun {
  template <class T>
  class Kernel final : public GemmKernel<T> {
    using Acc = accumulator_t<T>;

   public:
    void setup(const GemmInputs<T>& in) override {
      correct_.setup(in);
      ++setups_;
      runs_since_setup_ = 0;
    }
    void run() override {
      correct_.run();
      ++runs_since_setup_;
      Acc& x = correct_.c()[3];
      if (How == Goes::wrong_once && setups_ == Setup && runs_since_setup_ == 1) {
        x += Acc(1e-3) * std::abs(x) + Acc(1e-3);
      } else if (How == Goes::wrong_every_run && setups_ >= Setup) {
        x += Acc(0.01);
      }
    }
    void read_c(std::span<Acc> out) override { correct_.read_c(out); }

   private:
    typename GemmWith<Fault::none>::template Kernel<T> correct_;
    int setups_ = 0, runs_since_setup_ = 0;
  };
};

BurnSettings burn_settings(Precision p, double duration_s) {
  return {.precision = p,
          .problem = Problem::matrix(24, 20, 16),
          .duration_s = duration_s,
          .seed = fresh_seed(),
          .window_s = 0.05,
          .iteration_s = 0};  // one run per iteration after the two sizing runs: the faults
                              // below count runs, the iteration N is the run N + 2
}

const auto no_progress = [](const std::vector<BurnDevice>&, double) {};

TEST(Burn, WrongResultIsFaultyWithTheIterationAndElement) {
  const auto impl = make_implementation<workloads::Gemm,
                                        FailsOnRun<Fault::perturb_one_element, 7>::template Kernel>(
      {.name = "injected", .description = "x"});
  // A long duration: the fault, not the clock, must end the burn.
  auto devices =
      burn({{&impl, DeviceRef::cpu()}}, burn_settings(Precision::fp64, 600), 600, no_progress);
  judge_burn(devices, 0.1);
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].verdict, BurnVerdict::faulty);
  EXPECT_EQ(devices[0].iterations, 5);
  EXPECT_TRUE(devices[0].why.starts_with("iteration 5: element 3 (row 3, column 0) is "))
      << devices[0].why;
  EXPECT_NE(devices[0].why.find("where the first iteration gave"), std::string::npos)
      << devices[0].why;
  EXPECT_TRUE(devices[0].why.ends_with(" (one of the two is wrong)")) << devices[0].why;
}

// An iteration's check reads its last run's output only: a wrong value from its first run must
// still be there thousands of runs later (beta = -1, Gemm::make_inputs). With 0 < beta < 1 it
// would shrink by beta every run and be gone from the bits long before the check.
TEST(Burn, AWrongValueEarlyInAnIterationReachesItsCheck) {
  for (const Precision p : {Precision::fp32, Precision::fp64}) {
    SCOPED_TRACE(to_string(p));
    const auto impl =
        make_implementation<workloads::Gemm, GoesWrongInRun<5, Goes::wrong_once>::template Kernel>(
            {.name = "injected", .description = "x"});
    BurnSettings settings = burn_settings(p, 3);
    settings.iteration_s = 0.2;  // thousands of runs of this small GEMM (hundreds under ASan)
    auto devices = burn({{&impl, DeviceRef::cpu()}}, settings, 600, no_progress);
    judge_burn(devices, 0.1);
    ASSERT_EQ(devices.size(), 1u);
    EXPECT_GE(devices[0].runs_per_iteration, 100);
    EXPECT_EQ(devices[0].verdict, BurnVerdict::faulty);
    EXPECT_TRUE(devices[0].why.starts_with("iteration 2: element 3 (row 3, column 0) is "))
        << devices[0].why;
  }
}

// With beta = -1 the product cancels over an even number of runs, and with it an error that
// every run repeats: an iteration has an odd number of runs, whatever time it is sized to.
TEST(Burn, AnErrorEveryRunRepeatsIsFoundWhateverTheIterationsLength) {
  for (const double iteration_s : {0.002, 0.005, 0.01, 0.02}) {
    SCOPED_TRACE(iteration_s);
    const auto impl =
        make_implementation<workloads::Gemm,
                            GoesWrongInRun<5, Goes::wrong_every_run>::template Kernel>(
            {.name = "injected", .description = "x"});
    BurnSettings settings = burn_settings(Precision::fp64, 3);
    settings.iteration_s = iteration_s;
    auto devices = burn({{&impl, DeviceRef::cpu()}}, settings, 600, no_progress);
    judge_burn(devices, 0.1);
    ASSERT_EQ(devices.size(), 1u);
    EXPECT_EQ(devices[0].runs_per_iteration % 2, 1);
    EXPECT_EQ(devices[0].verdict, BurnVerdict::faulty);
    EXPECT_TRUE(devices[0].why.starts_with("iteration 2: element 3 (row 3, column 0) is "))
        << devices[0].why;
  }
}

TEST(Burn, NanIsFaultyEvenOnTheFirstIteration) {
  for (const Precision p : {Precision::fp32, Precision::fp64}) {
    const auto impl =
        make_implementation<workloads::Gemm, FailsOnRun<Fault::nan, 3>::template Kernel>(
            {.name = "injected", .description = "x"});
    auto devices = burn({{&impl, DeviceRef::cpu()}}, burn_settings(p, 600), 600, no_progress);
    judge_burn(devices, 0.1);
    EXPECT_EQ(devices[0].verdict, BurnVerdict::faulty) << to_string(p);
    EXPECT_EQ(devices[0].why, "iteration 1: element 3 (row 3, column 0) is nan") << to_string(p);
  }
}

// A device that gives the same wrong bits every time: its iterations agree with each other, but
// its output before the first iteration disagrees with the reference.
TEST(Burn, AConsistentlyWrongResultIsFaultyBeforeTheFirstIteration) {
  const auto impl =
      make_implementation<workloads::Gemm, GemmWith<Fault::perturb_one_element>::template Kernel>(
          {.name = "injected", .description = "x"});
  auto devices =
      burn({{&impl, DeviceRef::cpu()}}, burn_settings(Precision::fp64, 600), 600, no_progress);
  judge_burn(devices, 0.1);
  EXPECT_EQ(devices[0].verdict, BurnVerdict::faulty);
  EXPECT_EQ(devices[0].iterations, 0);
  EXPECT_TRUE(devices[0].why.starts_with("the output before the first iteration is wrong: error "))
      << devices[0].why;
}

TEST(Burn, FailedRunIsFaulty) {
  const Implementation* omp = registry().find(WorkloadId::gemm, "omp");
  ASSERT_NE(omp, nullptr);
  // Beyond any memory: the setup throws, and the burn says so instead of passing.
  BurnSettings settings = burn_settings(Precision::fp64, 600);
  settings.problem = Problem::matrix(1LL << 31, 1LL << 31, 16);
  auto devices = burn({{omp, DeviceRef::cpu()}}, settings, 600, no_progress);
  judge_burn(devices, 0.1);
  EXPECT_EQ(devices[0].verdict, BurnVerdict::faulty);
  EXPECT_TRUE(devices[0].why.starts_with("failed: ")) << devices[0].why;
}

// A GEMM that cannot run on this device, as cuBLASLt's FP8 below compute capability 8.9.
template <class T>
class UnsupportedGemm final : public GemmKernel<T> {
 public:
  UnsupportedGemm() { throw UnsupportedHere("FP8 matmul needs compute capability 8.9"); }
  void setup(const GemmInputs<T>&) override {}
  void run() override {}
  void read_c(std::span<accumulator_t<T>>) override {}
};

// A device that cannot run the precision is UNSUPPORTED with the reason, not FAULTY, ends at
// once while its sibling burns on, and is nobody's yardstick.
TEST(Burn, UnsupportedDeviceIsNeitherFaultyNorBurned) {
  const auto unsupported =
      make_implementation<workloads::Gemm, UnsupportedGemm>({.name = "lt", .description = "x"});
  const Implementation* omp = registry().find(WorkloadId::gemm, "omp");
  ASSERT_NE(omp, nullptr);
  auto devices = burn({{&unsupported, DeviceRef::gpu({0})}, {omp, DeviceRef::cpu()}},
                      burn_settings(Precision::fp32, 0.3), 600, no_progress);
  judge_burn(devices, 0.1);
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].verdict, BurnVerdict::unsupported);
  EXPECT_EQ(devices[0].why, "FP8 matmul needs compute capability 8.9");
  EXPECT_TRUE(devices[0].fault.empty());
  EXPECT_EQ(devices[0].iterations, 0);
  EXPECT_EQ(devices[1].verdict, BurnVerdict::ok) << devices[1].why;
  EXPECT_GT(devices[1].iterations, 1);
  EXPECT_EQ(parse_burn_verdict("UNSUPPORTED"), BurnVerdict::unsupported);
}

// The hand-written OpenMP GEMM gives the same bits for the same inputs run after run.
TEST(Burn, OmpGemmRepeatsBitForBit) {
  const Implementation* omp = registry().find(WorkloadId::gemm, "omp");
  ASSERT_NE(omp, nullptr);
  for (const Precision p : {Precision::fp32, Precision::fp64}) {
    BurnSettings settings = burn_settings(p, 0.3);
    settings.problem = Problem::matrix(96, 80, 72);
    auto devices = burn({{omp, DeviceRef::cpu()}}, settings, 600, no_progress);
    judge_burn(devices, 0.1);
    EXPECT_EQ(devices[0].verdict, BurnVerdict::ok) << devices[0].why;
    EXPECT_GT(devices[0].iterations, 1);
    EXPECT_FALSE(devices[0].throughput.empty());
    EXPECT_GT(devices[0].median_gflops().value_or(0), 0);
  }
  // Several runs per iteration, C updated in place by each: still the same bits every iteration.
  BurnSettings settings = burn_settings(Precision::fp64, 0.6);
  settings.iteration_s = 0.05;
  auto devices = burn({{omp, DeviceRef::cpu()}}, settings, 600, no_progress);
  judge_burn(devices, 0.1);
  EXPECT_EQ(devices[0].verdict, BurnVerdict::ok) << devices[0].why;
  EXPECT_GT(devices[0].runs_per_iteration, 1);
  EXPECT_GT(devices[0].iterations, 1);
  EXPECT_EQ(devices[0].runs(), devices[0].iterations * devices[0].runs_per_iteration);
  // Most of the burn is runs when an iteration is many of them.
  ASSERT_TRUE(devices[0].busy_share().has_value());
  EXPECT_GT(*devices[0].busy_share(), 0.5);
  EXPECT_LE(*devices[0].busy_share(), 1.0);
}

// A correct GEMM, for tests that change only how a run behaves (how long it takes, whether it
// returns): setup and read_c are the correct kernel's.
template <class T>
class AroundCorrectGemm : public GemmKernel<T> {
 public:
  void setup(const GemmInputs<T>& in) override { correct_.setup(in); }
  void read_c(std::span<accumulator_t<T>> out) override { correct_.read_c(out); }

 protected:
  typename GemmWith<Fault::none>::template Kernel<T> correct_;
};

// A correct GEMM that reports a device time of 1 us for a run that takes the host 2 ms: a GPU
// whose launch and wait cost far more than its tiny kernel.
template <class T>
class LaunchBoundGemm final : public AroundCorrectGemm<T> {
 public:
  void run() override {
    this->correct_.run();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::optional<double> device_seconds_of_last_run() const override { return 1e-6; }
};

// Runs per iteration come from the host's time of a run, which an iteration is made of: sized
// from the device's 1 us, a 50 ms iteration would be 50,000 runs and last 100 s.
TEST(Burn, AnIterationLastsItsTimeWhateverTheDeviceTimeOfARun) {
  const auto impl = make_implementation<workloads::Gemm, LaunchBoundGemm>(
      {.name = "launch-bound", .description = "x"});
  BurnSettings settings = burn_settings(Precision::fp32, 0.3);
  settings.iteration_s = 0.05;
  const auto start = std::chrono::steady_clock::now();
  auto devices = burn({{&impl, DeviceRef::cpu()}}, settings, 600, no_progress);
  judge_burn(devices, 0.1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(devices[0].verdict, BurnVerdict::ok) << devices[0].why;
  EXPECT_GE(devices[0].runs_per_iteration, 1);
  EXPECT_LE(devices[0].runs_per_iteration, 30);  // 25 where each run takes 2 ms
  // The device ran 1 us of every 2 ms: busy well under 1 % of the burn.
  ASSERT_TRUE(devices[0].busy_share().has_value());
  EXPECT_LT(*devices[0].busy_share(), 0.01);
  // Throughput is still the device's: 2 m n k FLOPs per microsecond.
  EXPECT_NEAR(devices[0].median_gflops().value_or(0), 2.0 * 24 * 20 * 16 / 1e-6 / 1e9, 1e-6);
}

// 8192 only where tensor cores need it to stay loaded: a CPU burning alone at BF16 keeps 2048, so
// a short burn has iterations to compare bit for bit; so does one beside GPUs too old for the
// precision, which end `unsupported` at once.
TEST(Burn, DefaultSizeIsLargeOnlyForAGpuAtAMatrixPrecision) {
  const auto gpu = [](int major, int minor) {
    GpuDevice g;
    g.cc_major = major;
    g.cc_minor = minor;
    return g;
  };
  const std::vector<GpuDevice> hopper{gpu(9, 0)}, volta{gpu(7, 0)}, turing{gpu(7, 5)},
      ampere{gpu(8, 0)};
  for (const Precision p : {Precision::bf16, Precision::fp16, Precision::int8}) {
    EXPECT_EQ(default_burn_size(p, hopper), 8192) << to_string(p);
    EXPECT_EQ(default_burn_size(p, {}), 2048) << to_string(p);
  }
  for (const Precision p : {Precision::fp32, Precision::fp64}) {
    EXPECT_EQ(default_burn_size(p, hopper), 2048) << to_string(p);
    EXPECT_EQ(default_burn_size(p, {}), 2048) << to_string(p);
  }
  // Volta's tensor cores multiply FP16 alone; Turing's FP16 and INT8, not BF16 or FP8; Ampere's
  // not FP8.
  EXPECT_EQ(default_burn_size(Precision::fp16, volta), 8192);
  EXPECT_EQ(default_burn_size(Precision::int8, volta), 2048);
  EXPECT_EQ(default_burn_size(Precision::int8, turing), 8192);
  EXPECT_EQ(default_burn_size(Precision::fp16, turing), 8192);
  EXPECT_EQ(default_burn_size(Precision::bf16, turing), 2048);
  EXPECT_EQ(default_burn_size(Precision::bf16, ampere), 8192);
  EXPECT_EQ(default_burn_size(Precision::fp8_e4m3, ampere), 2048);
  const std::vector<GpuDevice> mixed{gpu(7, 5), gpu(8, 9)};
  EXPECT_EQ(default_burn_size(Precision::fp8_e4m3, mixed), 8192);
}

// A correct GEMM whose setup takes 40 ms and whose run 1 ms: a GPU whose re-arming (uploads from
// pageable memory) costs many runs.
template <class T>
class SlowSetupGemm final : public AroundCorrectGemm<T> {
 public:
  void setup(const GemmInputs<T>& in) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    this->correct_.setup(in);
  }
  void run() override {
    this->correct_.run();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
};

// An iteration's runs also fill nine times its re-arming and check: in 50 ms iterations, a 40 ms
// setup would leave the device idle some 45 % of the burn; sized by it, under 15 %. The longer
// iteration is held to a tenth of the burn, so that a short burn is still checked often.
TEST(Burn, AnIterationOutlastsItsSetupAndCheckManyTimes) {
  const auto impl = make_implementation<workloads::Gemm, SlowSetupGemm>(
      {.name = "slow-setup", .description = "x"});
  BurnSettings settings = burn_settings(Precision::fp64, 4);
  settings.iteration_s = 0.05;
  auto devices = burn({{&impl, DeviceRef::cpu()}}, settings, 600, no_progress);
  judge_burn(devices, 0.1);
  EXPECT_EQ(devices[0].verdict, BurnVerdict::ok) << devices[0].why;
  // 9 x 40 ms of 1 ms runs: some 360, fewer where a sleep overshoots (95 to 135 under
  // AddressSanitizer on a loaded machine). A 50 ms iteration holds at most 50 runs of 1 ms or more.
  EXPECT_GT(devices[0].runs_per_iteration, 50);
  // Some 0.55 in 50 ms iterations. Above 0.65 where the runs, sized at one speed, ran at up to
  // 3 times another (a sleep's overshoot under load).
  ASSERT_TRUE(devices[0].busy_share().has_value());
  EXPECT_GT(*devices[0].busy_share(), 0.65);

  settings.duration_s = 1;  // a tenth of it: 0.1 s of runs
  devices = burn({{&impl, DeviceRef::cpu()}}, settings, 600, no_progress);
  judge_burn(devices, 0.1);
  EXPECT_EQ(devices[0].verdict, BurnVerdict::ok) << devices[0].why;
  EXPECT_LE(devices[0].runs_per_iteration, 101);
  EXPECT_GE(devices[0].iterations, 2);  // checked more than once, however slow the sleeps
}

// A correct GEMM whose output reads back differently the second time it is read: a fault of the
// read-back (a PCIe or host-memory error), not of the runs.
template <class T>
class ReadsBackDifferently final : public AroundCorrectGemm<T> {
 public:
  void run() override { this->correct_.run(); }
  void read_c(std::span<accumulator_t<T>> out) override {
    this->correct_.read_c(out);
    if (++reads_ == 2) out[3] = -out[3] - 1;
  }

 private:
  int reads_ = 0;
};

// The check's cost is measured on the output the reference verified, read back more than once:
// reads of one output that differ are a fault before the first iteration.
TEST(Burn, AReadBackThatDiffersBeforeTheFirstIterationIsFaulty) {
  const auto impl = make_implementation<workloads::Gemm, ReadsBackDifferently>(
      {.name = "reads-back-differently", .description = "x"});
  BurnSettings settings = burn_settings(Precision::fp64, 600);
  settings.iteration_s = 0.05;
  auto devices = burn({{&impl, DeviceRef::cpu()}}, settings, 600, no_progress);
  judge_burn(devices, 0.1);
  EXPECT_EQ(devices[0].verdict, BurnVerdict::faulty);
  EXPECT_EQ(devices[0].iterations, 0);
  EXPECT_TRUE(devices[0].why.starts_with(
      "the output before the first iteration differed between two reads of it: element 3"))
      << devices[0].why;
}

// A correct GEMM whose fifth run (two sizing runs, then two iterations) blocks, as a run
// on a hung GPU waits for its end, until the test releases it; then that run throws.
std::mutex g_hang_mutex;
std::condition_variable g_hang_cv;
bool g_hang_released = false;
// false before a test's burn (--gtest_repeat); true ends the runs waiting, which then throw.
void set_hang_released(bool released) {
  {
    const std::lock_guard lock(g_hang_mutex);
    g_hang_released = released;
  }
  g_hang_cv.notify_all();
}
template <class T>
class HangsOnFifthRun final : public AroundCorrectGemm<T> {
 public:
  void run() override {
    if (++runs_ == 5) {
      std::unique_lock lock(g_hang_mutex);
      g_hang_cv.wait(lock, [] { return g_hang_released; });
      throw std::runtime_error("released");
    }
    this->correct_.run();
  }

 private:
  int runs_ = 0;
};

// A GPU that stops responding ends its burn as FAULTY once no iteration has ended for hang_s,
// its thread left behind, while the CPU beside it burns on to the end.
TEST(Burn, AGpuThatStopsRespondingIsFaultyAndLeftBehind) {
  set_hang_released(false);
  const auto hanging =
      make_implementation<workloads::Gemm, HangsOnFifthRun>({.name = "hangs", .description = "x"});
  const Implementation* omp = registry().find(WorkloadId::gemm, "omp");
  ASSERT_NE(omp, nullptr);
  // 2 s: a silence that long is no shared host's stall between two runs of a tiny GEMM.
  BurnSettings settings = burn_settings(Precision::fp32, 3);
  settings.hang_s = 2;
  const auto start = std::chrono::steady_clock::now();
  auto devices =
      burn({{&hanging, DeviceRef::gpu({0})}, {omp, DeviceRef::cpu()}}, settings, 600, no_progress);
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  judge_burn(devices, 0.1);
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_TRUE(devices[0].hung);
  EXPECT_EQ(devices[0].verdict, BurnVerdict::faulty);
  EXPECT_EQ(devices[0].iterations, 2);
  EXPECT_TRUE(devices[0].why.starts_with("no response: no iteration ended for ")) << devices[0].why;
  EXPECT_NE(devices[0].why.find("after 2 iterations); the GPU may be hung"), std::string::npos)
      << devices[0].why;
  EXPECT_FALSE(devices[1].hung);
  EXPECT_EQ(devices[1].verdict, BurnVerdict::ok) << devices[1].why;
  EXPECT_GE(devices[1].seconds, 3);
  EXPECT_LT(took, 10.0);
  EXPECT_TRUE(threads_left_running());
  // The thread left behind finds its state still there when the run it waited in ends.
  set_hang_released(true);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

// A GEMM whose third run (the first iteration's) fails as a CUDA call does: with the GPU's
// context lost (an illegal address) or not (a launch refused).
template <bool ContextLost>
struct FailsInTheFirstIteration {
  template <class T>
  class Kernel final : public AroundCorrectGemm<T> {
   public:
    void run() override {
      if (++runs_ == 3) throw GpuError("an illegal memory access was encountered", ContextLost, 0);
      this->correct_.run();
    }

   private:
    int runs_ = 0;
  };
};

// A GPU whose CUDA context a fault left unusable is FAULTY, and marked and said to burn no
// further precision (its next one would only fail at its first call, as a new fault: flopbench
// burn drops it, as it drops a hung GPU); another failed call is FAULTY alone.
TEST(Burn, AGpuWhoseContextIsLostIsMarkedToBurnNoFurther) {
  const auto lost = make_implementation<workloads::Gemm, FailsInTheFirstIteration<true>::Kernel>(
      {.name = "lost", .description = "x"});
  const auto refused =
      make_implementation<workloads::Gemm, FailsInTheFirstIteration<false>::Kernel>(
          {.name = "refused", .description = "x"});
  for (const Implementation* impl : {&lost, &refused}) {
    auto devices =
        burn({{impl, DeviceRef::gpu({0})}}, burn_settings(Precision::fp32, 600), 600, no_progress);
    judge_burn(devices, 0.1);
    ASSERT_EQ(devices.size(), 1u);
    EXPECT_EQ(devices[0].verdict, BurnVerdict::faulty);
    EXPECT_EQ(devices[0].fault,
              impl == &lost
                  ? "failed: an illegal memory access was encountered (its CUDA context is lost)"
                  : "failed: an illegal memory access was encountered");
    EXPECT_EQ(devices[0].iterations, 0);
    EXPECT_FALSE(devices[0].hung);
    EXPECT_EQ(devices[0].context_lost, impl == &lost) << impl->name();
    EXPECT_EQ(devices[0].burns_no_further(), impl == &lost) << impl->name();
  }
}

// A GPU declared hung keeps that fault when the run it hung in ends after all and throws: the
// exception of a run that came back too late is no explanation of the silence.
TEST(Burn, AHungGpusFaultStandsWhateverItsLateRunThrows) {
  set_hang_released(false);
  const auto hanging =
      make_implementation<workloads::Gemm, HangsOnFifthRun>({.name = "hangs", .description = "x"});
  const Implementation* omp = registry().find(WorkloadId::gemm, "omp");
  ASSERT_NE(omp, nullptr);
  BurnSettings settings = burn_settings(Precision::fp32, 4);
  settings.hang_s = 2;
  std::atomic<bool> released = false;
  const auto release_once_hung = [&](const std::vector<BurnDevice>& so_far, double) {
    if (so_far.at(0).hung && !released.exchange(true)) {
      set_hang_released(true);  // its run now throws "released"
    }
  };
  auto devices = burn({{&hanging, DeviceRef::gpu({0})}, {omp, DeviceRef::cpu()}}, settings, 0.1,
                      release_once_hung);
  ASSERT_TRUE(released) << "the GPU was not declared hung while the CPU burned";
  // The released run's thread records what it threw before the burn ends, or not at all.
  judge_burn(devices, 0.1);
  EXPECT_TRUE(devices[0].hung);
  EXPECT_EQ(devices[0].verdict, BurnVerdict::faulty);
  EXPECT_TRUE(devices[0].fault.starts_with("no response: ")) << devices[0].fault;
}

// A progress reader that takes longer than a stop's gap (results.json written to a slow disk)
// is no stop of the process: the hung GPU is still found.
TEST(Burn, ASlowProgressReaderDoesNotHideAHungGpu) {
  set_hang_released(false);
  const auto hanging =
      make_implementation<workloads::Gemm, HangsOnFifthRun>({.name = "hangs", .description = "x"});
  BurnSettings settings = burn_settings(Precision::fp32, 30);
  settings.hang_s = 1;
  const auto slow_writer = [](const std::vector<BurnDevice>&, double) {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
  };
  const auto start = std::chrono::steady_clock::now();
  auto devices = burn({{&hanging, DeviceRef::gpu({0})}}, settings, 0.2, slow_writer);
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_TRUE(devices[0].hung);
  EXPECT_LT(took, 10.0);
  set_hang_released(true);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

// Stops the whole process for 2.5 s, as Ctrl-Z or a scheduler's suspend would, and has a child
// process continue it: 2 when it was stopped and continued, 3 when the child failed.
int stop_this_process_for_a_while() {
  const pid_t self = getpid();
  const pid_t continuer = fork();
  if (continuer == 0) {  // async-signal-safe calls only, in the child of a threaded process
    usleep(2'500'000);
    kill(self, SIGCONT);
    _exit(0);
  }
  if (continuer < 0) throw std::runtime_error("fork failed");
  kill(self, SIGSTOP);
  int status = 0;
  waitpid(continuer, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 2 : 3;
}

// A correct GEMM whose first run after g_stop_at stops the whole process for 2.5 s and then
// takes 0.3 s more, as a GPU's runs under way at the stop end after it.
std::chrono::steady_clock::time_point g_stop_at;
std::atomic<int> g_stops{0};
template <class T>
class StopsTheProcessOnce final : public AroundCorrectGemm<T> {
 public:
  void run() override {
    if (std::chrono::steady_clock::now() >= g_stop_at && g_stops.exchange(1) == 0) {
      g_stops = stop_this_process_for_a_while();
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    this->correct_.run();
  }
};

// A burn whose process was stopped for longer than hang_s and then continued has no hung GPU:
// that silence was the process's own.
TEST(Burn, AProcessStoppedAndContinuedIsNoHungGpu) {
  const auto stopping = make_implementation<workloads::Gemm, StopsTheProcessOnce>(
      {.name = "stops", .description = "x"});
  BurnSettings settings = burn_settings(Precision::fp32, 1.5);
  settings.hang_s = 2;  // below the 2.5 s stop; above a shared host's stall
  g_stops = 0;
  g_stop_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  auto devices = burn({{&stopping, DeviceRef::gpu({0})}}, settings, 600, no_progress);
  judge_burn(devices, 0.1);
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_FALSE(devices[0].hung);
  EXPECT_EQ(devices[0].verdict, BurnVerdict::ok) << devices[0].why;
  EXPECT_GE(devices[0].seconds, 1.5);
  EXPECT_EQ(g_stops.load(), 2);  // it was stopped, and continued
}

// A correct GEMM whose runs take 20 ms (so that a stop almost always lands in one), and whose run
// that a stop of the process interrupted takes 0.3 s more, as a GPU's run under way at a stop
// can end after it.
template <class T>
class SlowAfterAStop final : public AroundCorrectGemm<T> {
 public:
  void run() override {
    const auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(1)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    this->correct_.run();
  }
};

// A stop while the progress reader writes (its time is left out of the gap between polls) is
// seen by the SIGCONT that ends it: no hung GPU either.
TEST(Burn, AStopWhileProgressIsWrittenIsNoHungGpu) {
  const auto slow_after_a_stop = make_implementation<workloads::Gemm, SlowAfterAStop>(
      {.name = "slow-after-a-stop", .description = "x"});
  BurnSettings settings = burn_settings(Precision::fp32, 4);  // on after the stop's 2.5 s
  settings.hang_s = 2;  // below the 2.5 s stop; above a shared host's stall
  std::atomic<int> stops = 0;
  std::int64_t iterations_at_the_stop = 0;  // the watchdog must be watching iterations then
  const auto stops_once = [&](const std::vector<BurnDevice>& now, double) {
    if (int none = 0; stops.compare_exchange_strong(none, 1)) {
      iterations_at_the_stop = now.at(0).iterations;
      stops = stop_this_process_for_a_while();
    }
  };
  auto devices = burn({{&slow_after_a_stop, DeviceRef::gpu({0})}}, settings, 0.3, stops_once);
  judge_burn(devices, 0.1);
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(stops.load(), 2);  // it was stopped, and continued
  EXPECT_GT(iterations_at_the_stop, 0);
  EXPECT_FALSE(devices[0].hung) << devices[0].fault;
  EXPECT_EQ(devices[0].verdict, BurnVerdict::ok) << devices[0].why;
}

// A progress reader that throws (a full disk, a closed pipe) ends the burn with its exception,
// not with std::terminate: the device threads are left running, and the process told so.
TEST(Burn, AProgressReaderThatThrowsEndsTheBurnWithItsError) {
  const Implementation* omp = registry().find(WorkloadId::gemm, "omp");
  ASSERT_NE(omp, nullptr);
  const auto cannot_write = [](const std::vector<BurnDevice>&, double) {
    throw std::runtime_error("no space left on device");
  };
  // A long burn: the exception, not the clock, ends it.
  EXPECT_THROW(
      burn({{omp, DeviceRef::cpu()}}, burn_settings(Precision::fp32, 600), 0.05, cannot_write),
      std::runtime_error);
  EXPECT_TRUE(threads_left_running());
  // The thread left behind stops after its run in progress (a 24 x 20 x 16 GEMM, microseconds);
  // a process that exits while it runs OpenMP can wait for it for ever, which flopbench's _Exit
  // avoids and this test's normal exit would not.
  std::this_thread::sleep_for(std::chrono::seconds(1));
}

TEST(Burn, SlowSiblingIsDegradedAndFaultsAreNoYardstick) {
  const auto device = [](int gpu, std::vector<double> rates, std::string fault = "") {
    BurnDevice d{.device = DeviceRef::gpu({gpu}),
                 .implementation = "cuda",
                 .iterations = static_cast<std::int64_t>(rates.size())};
    for (const double r : rates) d.throughput.push_back({0, r});
    d.fault = std::move(fault);
    return d;
  };
  std::vector<BurnDevice> devices = {
      device(0, {100, 101, 99}), device(1, {95, 91, 20}), device(2, {80, 85, 85}),
      device(3, {500}, "iteration 2: element 0 (row 0, column 0) is inf")};
  judge_burn(devices, 0.1);
  EXPECT_EQ(devices[0].verdict, BurnVerdict::ok);
  EXPECT_EQ(devices[1].verdict, BurnVerdict::ok);  // median 91: within 10% of 100
  EXPECT_EQ(devices[2].verdict, BurnVerdict::degraded);
  EXPECT_EQ(devices[2].why, "median 85.0 GFLOP/s, 15% below the best sibling's 100.0 (gpu0)");
  EXPECT_EQ(devices[3].verdict, BurnVerdict::faulty);
  // A CPU is no GPU's sibling.
  devices.push_back({.device = DeviceRef::cpu(), .implementation = "cuda", .iterations = 2});
  devices.back().throughput = {{0, 1}};
  judge_burn(devices, 0.1);
  EXPECT_EQ(devices.back().verdict, BurnVerdict::ok);
  // A GPU with no iteration checked (a progress line's, still setting up; or one interrupted
  // then) is neither behind its siblings nor OK.
  devices.push_back(device(4, {}));
  judge_burn(devices, 0.1);
  EXPECT_EQ(devices.back().verdict, BurnVerdict::unchecked);
  EXPECT_EQ(devices.back().why, "no iteration was checked");
  EXPECT_EQ(devices[2].why, "median 85.0 GFLOP/s, 15% below the best sibling's 100.0 (gpu0)");
  // Nor is one with one iteration: the first is what the others are compared with.
  devices.back().iterations = 1;
  judge_burn(devices, 0.1);
  EXPECT_EQ(devices.back().verdict, BurnVerdict::unchecked);
  EXPECT_EQ(devices.back().why,
            "one iteration: its output was finite, but no second was compared with it");
  // A progress line's GPU whose iterations were compared before its first throughput window
  // ended: checked, its speed not known yet, so not 100% behind its siblings.
  devices.back().iterations = 2;
  judge_burn(devices, 0.1);
  EXPECT_EQ(devices.back().verdict, BurnVerdict::ok);
  EXPECT_EQ(devices.back().why,
            "no throughput point yet: not compared with its siblings; throttling not checked: no "
            "telemetry was read");
  EXPECT_EQ(devices[2].why, "median 85.0 GFLOP/s, 15% below the best sibling's 100.0 (gpu0)");

  // GPUs of another model are no siblings: on a machine whose gpu2 is an L4 beside H100s, the
  // L4 is judged alone; the H100s still against each other.
  GpuInventory inventory;
  for (const int i : {0, 1, 2, 3}) {
    inventory.devices.push_back({.index = i, .name = i == 2 ? "NVIDIA L4" : "NVIDIA H100"});
  }
  devices.resize(4);
  devices[1] = device(1, {40, 41, 40});
  judge_burn(devices, 0.1, inventory);
  EXPECT_EQ(devices[2].verdict, BurnVerdict::ok) << devices[2].why;
  EXPECT_EQ(devices[1].verdict, BurnVerdict::degraded);
  EXPECT_EQ(devices[1].why,
            "median 40.0 GFLOP/s, 60% below the best sibling's 100.0 (gpu0, also NVIDIA H100)");
}

// A host "copy" that is exact, misses the last element, or changes one by an ulp.
enum class CopyFault { none, skip_last, one_ulp };
template <CopyFault F>
struct CopyWith {
  template <class T>
  class Kernel final : public TransferKernel<T> {
   public:
    void setup(const VectorInputs<T>& in) override {
      in_ = &in;
      out_.assign(in.x.size(), std::numeric_limits<T>::quiet_NaN());
    }
    void run() override {
      const std::size_t n = in_->x.size() - (F == CopyFault::skip_last ? 1 : 0);
      std::copy(in_->x.data(), in_->x.data() + n, out_.begin());
      if (F == CopyFault::one_ulp) out_[n / 2] = std::nextafter(out_[n / 2], T(2));
    }
    void read_destination(std::span<T> out) override {
      std::copy(out_.begin(), out_.end(), out.begin());
    }

   private:
    const VectorInputs<T>* in_ = nullptr;
    std::vector<T> out_;
  };
};

template <CopyFault F>
bool copy_verifies(std::int64_t n) {
  const auto impl = make_implementation<workloads::Transfer, CopyWith<F>::template Kernel>(
      {.name = "test", .description = "x"});
  auto trial = impl.make_trial(Precision::fp32, Problem::vector(n), fresh_seed(), -1);
  trial->kernel().run();
  return trial->verify().passed;
}

TEST(Verification, TransferMustCopyEveryElementExactly) {
  EXPECT_TRUE(copy_verifies<CopyFault::none>(1001));
  EXPECT_FALSE(copy_verifies<CopyFault::skip_last>(1001));
  EXPECT_FALSE(copy_verifies<CopyFault::one_ulp>(1001));
}

}  // namespace
}  // namespace flopbench
