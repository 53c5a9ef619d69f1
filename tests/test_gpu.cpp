// GPU kernels on a real device: every registered GPU implementation against the CPU double
// reference on odd sizes, with outputs poisoned (NaN) before the kernel runs so that an element
// it never writes fails; the end-to-end runs from host memory of the workloads a sweep runs;
// determinism of the hand-written reductions; cuBLASLt at every matrix precision; device-timed
// measurements end to end, cuBLASLt's against the tensor-core peak; the machine aggregate, also
// on one GPU named twice. Every test here is skipped
// where there is no CUDA device (ctest shows them as skipped, label "gpu").
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include "app/cli_selection.hpp"
#include "harness/core/registry.hpp"
#include "harness/machine/inventory.hpp"
#include "harness/machine/probe.hpp"
#include "harness/measure/runner.hpp"
#include "tests/test_support.hpp"

namespace flopbench {
namespace {

using testing::fresh_seed;
using testing::odd_problems;

const GpuInventory& inventory() {
  static const GpuInventory gpus = gpu_inventory();
  return gpus;
}

#define SKIP_WITHOUT_GPUS(count)                                            \
  do {                                                                      \
    if (inventory().devices.size() < (count)) {                             \
      if (inventory().devices.empty())                                      \
        GTEST_SKIP() << "no CUDA device: " << inventory().no_device_reason; \
      GTEST_SKIP() << "needs " << (count) << " GPUs; this machine has "     \
                   << inventory().devices.size();                           \
    }                                                                       \
  } while (false)

std::vector<const Implementation*> gpu_implementations() {
  std::vector<const Implementation*> out;
  for (const Implementation& impl : registry().all()) {
    if (impl.spec.device == DeviceKind::gpu) out.push_back(&impl);
  }
  return out;
}

// Whether the first GPU has tensor cores for cuBLASLt's precision p: FP8 from compute
// capability 8.9 (Ada, Hopper), TF32 and BF16 from 8.0 (Ampere).
bool cublaslt_has_tensor_cores(Precision p) {
  const GpuDevice& d = inventory().devices.front();
  const std::pair cc{d.cc_major, d.cc_minor};
  if (p == Precision::fp8_e4m3) return cc >= std::pair{8, 9};
  if (p == Precision::tf32 || p == Precision::bf16) return cc >= std::pair{8, 0};
  return true;
}

// cuBLASLt's FP8 and INT8 kernels take A transposed with aligned leading dimensions: m and k
// multiples of 16 (FP8) or 4 (INT8). Other shapes, and precisions the GPU has no tensor cores
// for, are refused in setup (UnsupportedHere).
bool cublaslt_refuses(const Implementation& impl, Precision p, const Problem& problem) {
  if (impl.name() != "cublaslt") return false;
  if (!cublaslt_has_tensor_cores(p)) return true;
  const std::int64_t multiple =
      p == Precision::fp8_e4m3 ? 16 : (p == Precision::int8 ? 4 : std::int64_t{1});
  return problem.m % multiple != 0 || problem.k % multiple != 0;
}

// make_trial, or nullptr where the implementation refuses the problem, which must be one of
// cuBLASLt's documented refusals.
std::unique_ptr<Trial> make_gpu_trial(const Implementation& impl, Precision p,
                                      const Problem& problem, std::uint64_t seed) {
  try {
    auto trial = impl.make_trial(p, problem, seed, inventory().devices.front().index);
    EXPECT_FALSE(cublaslt_refuses(impl, p, problem)) << "ran a shape cuBLASLt documents as refused";
    return trial;
  } catch (const UnsupportedHere& e) {
    EXPECT_TRUE(cublaslt_refuses(impl, p, problem)) << e.what();
    return nullptr;
  }
}

TEST(GpuKernels, EveryImplementationMatchesTheReferenceOnOddSizes) {
  SKIP_WITHOUT_GPUS(1u);
  int checked = 0, refused = 0;
  for (const Implementation* impl : gpu_implementations()) {
    for (const Precision p : impl->spec.precisions) {
      ASSERT_EQ(impl->unavailable_reason(p), "")
          << impl->workload << " " << impl->name() << " " << to_string(p);
      for (const Problem& problem : odd_problems(info(impl->workload))) {
        const auto seed = fresh_seed();
        SCOPED_TRACE(fmt::format("{} {} {} {} seed {}", impl->workload, impl->name(), to_string(p),
                                 problem.label(), seed));
        auto trial = make_gpu_trial(*impl, p, problem, seed);
        if (!trial) {
          ++refused;
          continue;
        }
        trial->kernel().run();
        // Not > 0: a one-element copy can end within the events' resolution (about 0.5 us).
        const auto seconds = trial->kernel().device_seconds_of_last_run();
        ASSERT_TRUE(seconds.has_value());
        EXPECT_GE(*seconds, 0);
        EXPECT_TRUE(std::isfinite(*seconds));
        const Verification v = trial->verify();
        EXPECT_TRUE(v.passed) << v.method << ": error " << v.max_error << " allowed "
                              << v.tolerance;
        ++checked;
      }
    }
  }
  // gemm cuda, cublas: 2 precisions x 9 shapes; cublaslt: TF32, BF16, FP16 x 9, INT8 x 2 (m and
  // k multiples of 4), FP8 x 0; sum cuda, cub, dot cuda, cublas, stream cuda: 2 x 6; peak cuda:
  // 2 x 3; transfer: 4 copies x fp32 x 6.
  EXPECT_EQ(checked, 2 * 2 * 9 + (3 * 9 + 2) + 5 * 2 * 6 + 2 * 3 + 4 * 6);
  EXPECT_EQ(refused, 7 + 9);
}

// A sweep times every GPU implementation of the workloads it runs also from host memory to host
// memory (Kernel::run_end_to_end): each has such a run, from pinned and from pageable memory,
// and the result it leaves on the device is right. The first run from each memory poisons the
// device's copies of the inputs and its results first, so the result is right only if the input
// copies landed and the run wrote it;
// and it throws if the result that reached the host differs from the device's. The others have
// no end-to-end run.
TEST(GpuKernels, SweptImplementationsRunEndToEndFromEitherHostMemory) {
  SKIP_WITHOUT_GPUS(1u);
  int checked = 0;
  for (const Implementation* impl : gpu_implementations()) {
    for (const Precision p : impl->spec.precisions) {
      const bool swept =
          !info(impl->workload).default_sizes(Profile::sweep, {}, p).problems.empty();
      for (const Problem& problem : odd_problems(info(impl->workload))) {
        const auto seed = fresh_seed();
        SCOPED_TRACE(fmt::format("{} {} {} {} seed {}", impl->workload, impl->name(), to_string(p),
                                 problem.label(), seed));
        auto trial = make_gpu_trial(*impl, p, problem, seed);
        if (!trial) continue;
        ASSERT_EQ(trial->kernel().has_end_to_end(), swept);
        if (!swept) continue;
        for (const HostMemory memory : {HostMemory::pinned, HostMemory::pageable}) {
          trial->kernel().run_end_to_end(memory);
          const Verification v = trial->verify();
          EXPECT_TRUE(v.passed) << (memory == HostMemory::pinned ? "pinned" : "pageable") << ": "
                                << v.method << ": error " << v.max_error << " allowed "
                                << v.tolerance;
        }
        ++checked;
      }
    }
  }
  // gemm cuda, cublas: 2 precisions x 9 shapes; cublaslt: 3 x 9 + 2 (INT8; FP8 refuses them
  // all); sum cuda, cub, dot cuda, cublas: 2 x 6.
  EXPECT_EQ(checked, 2 * 2 * 9 + (3 * 9 + 2) + 4 * 2 * 6);
}

// The empty-kernel launch latency a sweep records: a few microseconds on any GPU and driver of
// this decade; the generous bounds catch units (seconds, nanoseconds) and an unsynchronised wait.
TEST(GpuKernels, LaunchLatencyOfAnEmptyKernel) {
  SKIP_WITHOUT_GPUS(1u);
  const auto latency = launch_latency(inventory().devices.front().index);
  ASSERT_TRUE(latency.has_value());
  EXPECT_EQ(latency->launches, 2000);
  EXPECT_GT(latency->synchronous_us, 0.5);
  EXPECT_LT(latency->synchronous_us, 1000);
  EXPECT_GT(latency->back_to_back_us, 0);
  EXPECT_LE(latency->back_to_back_us, latency->synchronous_us);
}

// The free memory burn sizes against: some, and no more than the GPU has.
TEST(GpuKernels, FreeMemoryIsSomeOfTheTotal) {
  SKIP_WITHOUT_GPUS(1u);
  const GpuDevice& gpu = inventory().devices.front();
  const auto free = gpu_free_memory_bytes(gpu.index);
  ASSERT_TRUE(free.has_value());
  EXPECT_GT(*free, 0);
  EXPECT_LE(*free, gpu.memory_bytes);
}

// Ragged in every dimension, with leading dimensions that keep 16-byte vectors aligned (M and
// K multiples of 4: the hand-written kernel's vector loads) and that do not (its scalar loads).
const Problem kRaggedUnaligned = Problem::matrix(1031, 517, 1029);
const Problem kRaggedAligned = Problem::matrix(1028, 517, 1020);

TEST(GpuKernels, LargeGemmBeyondOneTileInEveryDimension) {
  SKIP_WITHOUT_GPUS(1u);
  for (const char* name : {"cuda", "cublas"}) {
    const Implementation* impl = registry().find(WorkloadId::gemm, name);
    ASSERT_NE(impl, nullptr);
    for (const Precision p : {Precision::fp32, Precision::fp64}) {
      for (const Problem& problem : {kRaggedUnaligned, kRaggedAligned}) {
        const auto seed = fresh_seed();
        SCOPED_TRACE(fmt::format("{} {} {} seed {}", name, to_string(p), problem.label(), seed));
        auto trial = impl->make_trial(p, problem, seed, 0);
        trial->kernel().run();
        EXPECT_TRUE(trial->verify().passed);
      }
    }
  }
}

// BLAS semantics: with beta == 0, C is written and never read, so NaN in it must not reach the
// output. The seeded inputs of the float formats have beta = -1: these are made here.
template <class T>
void check_gemm_with_beta_zero(const Implementation& impl, const Problem& problem) {
  const auto seed = fresh_seed();
  SCOPED_TRACE(fmt::format("{} {} seed {}", impl.name(), problem.label(), seed));
  auto trial = impl.make_trial(sizeof(T) == 4 ? Precision::fp32 : Precision::fp64, problem, seed,
                               inventory().devices.front().index);
  auto* kernel = dynamic_cast<GemmKernel<T>*>(&trial->kernel());
  ASSERT_NE(kernel, nullptr);
  auto in = workloads::Gemm::make_inputs<T>(problem, seed);
  in.beta = 0;
  std::fill_n(in.c.data(), in.c.size(), std::numeric_limits<T>::quiet_NaN());
  kernel->setup(in);
  kernel->run();
  // The reference does read C (0 * NaN is NaN), so it gets zeros there.
  auto reference = workloads::Gemm::make_inputs<T>(problem, seed);
  reference.beta = 0;
  std::fill_n(reference.c.data(), reference.c.size(), T(0));
  const Verification v = workloads::Gemm::verify(reference, *kernel, seed);
  EXPECT_TRUE(v.passed) << v.method << ": error " << v.max_error << " allowed " << v.tolerance;
}

TEST(GpuKernels, GemmWithBetaZeroNeverReadsC) {
  SKIP_WITHOUT_GPUS(1u);
  for (const char* name : {"cuda", "cublas"}) {
    const Implementation* impl = registry().find(WorkloadId::gemm, name);
    ASSERT_NE(impl, nullptr);
    for (const Problem& problem : {Problem::matrix(65, 63, 257), Problem::matrix(260, 37, 100)}) {
      check_gemm_with_beta_zero<float>(*impl, problem);
      check_gemm_with_beta_zero<double>(*impl, problem);
    }
  }
}

// Kernel::prepare_run (the machine aggregate's untimed padding) leaves a run that is still
// right and timed, on every GPU implementation, cold (L2 flushed) and warm.
TEST(GpuKernels, EveryImplementationRunsAfterPrepareRun) {
  SKIP_WITHOUT_GPUS(1u);
  ASSERT_FALSE(gpu_implementations().empty());
  for (const Implementation* impl : gpu_implementations()) {
    const Precision p = impl->spec.precisions.front();
    const Problem problem = info(impl->workload).size_kind == SizeKind::matrix
                                ? Problem::matrix(65, 63, 257)
                                : Problem::vector(100003);
    const auto seed = fresh_seed();
    SCOPED_TRACE(fmt::format("{} {} {} seed {}", impl->workload, impl->name(), to_string(p), seed));
    auto trial = impl->make_trial(p, problem, seed, inventory().devices.front().index);
    trial->kernel().prepare_run();
    trial->kernel().run();
    const auto seconds = trial->kernel().device_seconds_of_last_run();
    ASSERT_TRUE(seconds.has_value());
    EXPECT_GT(*seconds, 0);
    EXPECT_TRUE(trial->verify().passed);
  }
}

// cuBLASLt at every precision, on shapes its alignment rules allow (m and k multiples of 16,
// n anything) that are ragged against its tiles, beyond one tile in every dimension or with
// one tile's worth of m: verified against the double reference, with the record's facts (the
// algorithm, the workspace, the search, the FP8 scales) in its notes. Shapes outside the rules
// are refused in setup, with the reason.
TEST(GpuKernels, CublasLtAtEveryPrecisionOnAlignedRaggedShapes) {
  SKIP_WITHOUT_GPUS(1u);
  const Implementation* impl = registry().find(WorkloadId::gemm, "cublaslt");
  ASSERT_NE(impl, nullptr);
  const auto has_note = [](const std::vector<std::string>& notes, std::string_view text) {
    return std::any_of(notes.begin(), notes.end(),
                       [&](const std::string& note) { return note.find(text) != note.npos; });
  };
  for (const Precision p : impl->spec.precisions) {
    if (!cublaslt_has_tensor_cores(p)) {
      EXPECT_THROW(
          impl->make_trial(p, Problem::matrix(64, 64, 64), 1, inventory().devices.front().index),
          UnsupportedHere);
      continue;
    }
    for (const Problem& problem : {Problem::matrix(1040, 517, 1024), Problem::matrix(48, 17, 80),
                                   Problem::matrix(272, 333, 4112)}) {
      const auto seed = fresh_seed();
      SCOPED_TRACE(fmt::format("{} {} seed {}", to_string(p), problem.label(), seed));
      auto trial = impl->make_trial(p, problem, seed, inventory().devices.front().index);
      trial->kernel().run();
      const auto seconds = trial->kernel().device_seconds_of_last_run();
      ASSERT_TRUE(seconds.has_value());
      EXPECT_GT(*seconds, 0);
      const Verification v = trial->verify();
      EXPECT_TRUE(v.passed) << v.method << ": error " << v.max_error << " allowed " << v.tolerance;
      const std::vector<std::string> notes = trial->kernel().notes();
      EXPECT_TRUE(has_note(notes, "algorithm id ")) << fmt::format("{}", fmt::join(notes, "; "));
      EXPECT_TRUE(has_note(notes, "workspace "));
      EXPECT_TRUE(has_note(notes, "algorithm chosen by timing "));
      EXPECT_TRUE(has_note(notes, "dense (no sparsity)"));
      EXPECT_EQ(has_note(notes, "FP8 scales: A 1.0, B 1.0"), p == Precision::fp8_e4m3);
      EXPECT_EQ(has_note(notes, "A transposed ('TN'"),
                p == Precision::fp8_e4m3 || p == Precision::int8);
    }
  }
  for (const auto& [p, problem] : {std::pair{Precision::fp8_e4m3, Problem::matrix(1000, 64, 1024)},
                                   std::pair{Precision::fp8_e4m3, Problem::matrix(1024, 64, 1000)},
                                   std::pair{Precision::int8, Problem::matrix(1024, 64, 1022)}}) {
    SCOPED_TRACE(fmt::format("{} {}", to_string(p), problem.label()));
    if (!cublaslt_has_tensor_cores(p)) continue;
    try {
      impl->make_trial(p, problem, 1, inventory().devices.front().index);
      ADD_FAILURE() << "a shape outside cuBLASLt's alignment rules was not refused";
    } catch (const UnsupportedHere& e) {
      EXPECT_NE(std::string(e.what()).find("needs m and k to be multiples of"), std::string::npos)
          << e.what();
    }
  }
}

// What a burn-in does with the GEMMs it burns (harness/measure/burn.hpp): iterations of set up
// afresh (rearm), three runs of C = alpha A B + beta C in place (an odd number, as a burn's: with
// beta = -1 the product cancels over an even one), and a check that the output is the first
// iteration's bit for bit. A rearm that left C as the runs made it, or lost A or B, would give
// other bits.
TEST(GpuKernels, BurnedGemmsRepeatBitForBitAfterRearm) {
  SKIP_WITHOUT_GPUS(1u);
  int checked = 0;
  for (const auto& [name, precisions] :
       {std::pair{"cuda", std::vector<Precision>{Precision::fp32, Precision::fp64}},
        std::pair{"cublaslt",
                  std::vector<Precision>{Precision::tf32, Precision::bf16, Precision::fp16,
                                         Precision::fp8_e4m3, Precision::int8}}}) {
    const Implementation* impl = registry().find(WorkloadId::gemm, name);
    ASSERT_NE(impl, nullptr) << name;
    for (const Precision p : precisions) {
      if (std::string_view(name) == "cublaslt" && !cublaslt_has_tensor_cores(p)) continue;
      SCOPED_TRACE(fmt::format("{} {}", name, to_string(p)));
      auto trial = impl->make_trial(p, Problem::matrix(256, 192, 320), fresh_seed(),
                                    inventory().devices.front().index);
      for (int iteration = 0; iteration < 4; ++iteration) {
        if (iteration > 0) trial->rearm();
        for (int run = 0; run < 3; ++run) trial->kernel().run();
        EXPECT_EQ(trial->repeat_fault(), "") << "iteration " << iteration;
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 2 + 2);  // every GPU CUDA 13 supports has FP16 and INT8 tensor cores
}

template <class T>
T run_reduction(Trial& trial) {
  trial.kernel().run();
  auto kernel = dynamic_cast<ReductionKernel<T>*>(&trial.kernel());
  EXPECT_NE(kernel, nullptr);
  return kernel ? kernel->result() : T{};
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// Run after run, the same bits. The workload's whole-number inputs make every summation order
// exact (docs/methodology.md, "Verification"), so this catches a kernel whose threads race over
// elements, not one that merely adds them in another order each time.
TEST(GpuKernels, HandWrittenReductionsRepeatBitForBit) {
  SKIP_WITHOUT_GPUS(1u);
  for (const WorkloadId workload : {WorkloadId::sum, WorkloadId::dot}) {
    const Implementation* impl = registry().find(workload, "cuda");
    ASSERT_NE(impl, nullptr);
    const auto seed = fresh_seed();
    SCOPED_TRACE(fmt::format("{} seed {}", workload, seed));
    auto f32 = impl->make_trial(Precision::fp32, Problem::vector(10'000'019), seed, 0);
    const float first32 = run_reduction<float>(*f32);
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(same_bits(first32, run_reduction<float>(*f32)));
    auto f64 = impl->make_trial(Precision::fp64, Problem::vector(10'000'019), seed, 0);
    const double first64 = run_reduction<double>(*f64);
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(same_bits(first64, run_reduction<double>(*f64)));
  }
}

Environment gpu_environment() {
  Environment env;
  env.cpu = cpu_inventory();
  env.gpu = inventory();
  return env;
}

TEST(GpuMeasure, DeviceTimedRecordsWithPeakAndTelemetry) {
  SKIP_WITHOUT_GPUS(1u);
  const Environment env = gpu_environment();
  Selection sel;
  sel.workloads = parse_workloads("gemm,sum,transfer");
  sel.implementations = {"cuda", "cublas", "cub", "h2d-pinned"};
  sel.sizes = parse_sizes("512");
  sel.gpus = std::vector<int>{0};
  RunSettings settings = settings_for(Profile::quick, fresh_seed());
  const auto plan = plan_measurements(sel, env);
  ASSERT_GE(plan.size(), 4u);  // gemm cuda and cublas, sum cuda and cub, each at two precisions
  for (const auto& req : plan) {
    SCOPED_TRACE(fmt::format("{} {} {}", req.implementation->workload, req.implementation->name(),
                             to_string(req.precision)));
    EXPECT_EQ(req.device, DeviceRef::gpu({0}));
    const MeasurementRecord r = measure(req, settings, env);
    ASSERT_EQ(r.disposition, Disposition::passed) << r.reason;
    EXPECT_EQ(r.timing, "device_events");
    ASSERT_EQ(r.samples_s.size(), r.host_wall_s.size());
    // Device time of a synchronous run cannot exceed the host's wall time around it.
    for (std::size_t i = 0; i < r.samples_s.size(); ++i)
      EXPECT_LE(r.samples_s[i], r.host_wall_s[i] * 1.01);
    if (r.workload == WorkloadId::gemm) {
      ASSERT_TRUE(r.percent_of_peak.has_value()) << r.peak.basis;
      EXPECT_GT(*r.percent_of_peak, 0);
      EXPECT_LT(*r.percent_of_peak, 100);
    }
    std::string why_not;
    if (gpu_telemetry(&why_not)) {
      EXPECT_EQ(r.telemetry_before.size(), 1u);
      EXPECT_EQ(r.telemetry_after.size(), 1u);
    }
  }
}

// A copy is measured from the GPU's NUMA node, here made one CPU of this thread's mask: the
// thread gets its CPUs back afterwards, and held away from the node, the record says so.
TEST(GpuMeasure, TransfersRunNearTheGpuAndGiveTheThreadItsCpusBack) {
  SKIP_WITHOUT_GPUS(1u);
  const std::vector<int> mask = thread_affinity();
  if (mask.size() < 2) GTEST_SKIP() << "one CPU: no node to bind to";
  Environment env = gpu_environment();
  env.gpu.devices.at(0).local_cpus = std::to_string(mask.back());
  Selection sel;
  sel.workloads = parse_workloads("transfer");
  sel.implementations = {"h2d-pageable", "d2h-pinned"};
  sel.sizes = parse_sizes("1M");
  sel.gpus = std::vector<int>{0};
  const RunSettings settings = settings_for(Profile::quick, fresh_seed());
  const auto plan = plan_measurements(sel, env);
  ASSERT_EQ(plan.size(), 2u);
  const auto far = [](const MeasurementRecord& r) {
    return !r.note_starting(MeasurementRecord::kFarFromGpu).empty();
  };
  for (const auto& req : plan) {
    const MeasurementRecord r = measure(req, settings, env);
    ASSERT_EQ(r.disposition, Disposition::passed) << r.implementation << ": " << r.reason;
    EXPECT_FALSE(far(r)) << r.implementation;
    EXPECT_EQ(thread_affinity(), mask) << r.implementation;
  }
  const ScopedAffinity elsewhere({mask.front()});
  const MeasurementRecord away = measure(plan.front(), settings, env);
  ASSERT_EQ(away.disposition, Disposition::passed) << away.reason;
  EXPECT_TRUE(far(away));
  EXPECT_EQ(thread_affinity(), std::vector<int>{mask.front()});
}

// cuBLASLt's records through the runner: verified, device-timed, and judged against the GPU's
// dense tensor-core peak of their own precision (FP8 and INT8 at twice BF16's rate on Hopper).
TEST(GpuMeasure, CublasLtRecordsAreJudgedAgainstTheTensorCorePeak) {
  SKIP_WITHOUT_GPUS(1u);
  const Environment env = gpu_environment();
  Selection sel;
  sel.workloads = parse_workloads("gemm");
  sel.implementations = {"cublaslt"};
  sel.precisions = {Precision::tf32, Precision::bf16, Precision::fp16, Precision::fp8_e4m3,
                    Precision::int8};
  sel.sizes = parse_sizes("4096");
  sel.gpus = std::vector<int>{0};
  const RunSettings settings = settings_for(Profile::quick, fresh_seed());
  int measured = 0;
  for (const auto& req : plan_measurements(sel, env)) {
    SCOPED_TRACE(to_string(req.precision));
    const MeasurementRecord r = measure(req, settings, env);
    if (!cublaslt_has_tensor_cores(r.precision)) {
      EXPECT_EQ(r.disposition, Disposition::unsupported);
      EXPECT_NE(r.reason.find("needs compute capability"), std::string::npos) << r.reason;
      continue;
    }
    ASSERT_EQ(r.disposition, Disposition::passed) << r.reason;
    EXPECT_EQ(r.timing, "device_events");
    ASSERT_TRUE(r.percent_of_peak.has_value()) << r.peak.basis;
    EXPECT_GT(*r.percent_of_peak, 0);
    EXPECT_LT(*r.percent_of_peak, 100);
    EXPECT_NE(r.peak.basis.find(fmt::format("dense {} tensor-core", precision_label(r.precision))),
              std::string::npos)
        << r.peak.basis;
    ++measured;
  }
  EXPECT_EQ(measured, 5 - static_cast<int>(std::count_if(
                              sel.precisions.begin(), sel.precisions.end(),
                              [](Precision p) { return !cublaslt_has_tensor_cores(p); })));
}

TEST(GpuMeasure, MachineAggregateRunsEveryGpuAtOnce) {
  SKIP_WITHOUT_GPUS(2u);
  const Environment env = gpu_environment();
  Selection sel;
  sel.workloads = parse_workloads("sgemm");
  sel.implementations = {"cublas"};
  sel.sizes = parse_sizes("2048");
  const auto plan = plan_measurements(sel, env);
  ASSERT_EQ(plan.size(), inventory().devices.size() + 1);
  const MeasurementRecord one = measure(plan.front(), settings_for(Profile::quick, 1), env);
  const MeasurementRecord all = measure(plan.back(), settings_for(Profile::quick, 1), env);
  ASSERT_EQ(all.disposition, Disposition::passed) << all.reason;
  EXPECT_EQ(all.device.gpus.size(), inventory().devices.size());
  EXPECT_EQ(all.device.label().find("gpu0+gpu1"), 0u);
  EXPECT_DOUBLE_EQ(all.flops, one.flops * static_cast<double>(inventory().devices.size()));
  // Several GPUs at once do more than one of them, whatever they share.
  EXPECT_GT(*all.gflops, *one.gflops);
}

// The aggregate on one GPU named twice, so that a machine with one GPU runs it too: two threads,
// two streams, one device. (The command line's --gpus drops repeats; the planner takes the list
// as given.)
TEST(GpuMeasure, MachineAggregateOnOneGpuTwice) {
  SKIP_WITHOUT_GPUS(1u);
  const Environment env = gpu_environment();
  const int gpu = inventory().devices.front().index;
  Selection sel;
  sel.workloads = parse_workloads("sgemm");
  sel.implementations = {"cuda", "cublas"};
  sel.sizes = parse_sizes("2048");
  sel.gpus = std::vector<int>{gpu, gpu};
  const DeviceRef twice = DeviceRef::gpu({gpu, gpu});
  std::optional<MeasurementRecord> one;
  int aggregates = 0;
  for (const auto& req : plan_measurements(sel, env)) {
    SCOPED_TRACE(fmt::format("{} on {}", req.implementation->name(), req.device));
    if (!req.device.machine_aggregate()) {
      if (!one || one->implementation != req.implementation->name())
        one = measure(req, settings_for(Profile::quick, 1), env);
      ASSERT_EQ(one->disposition, Disposition::passed) << one->reason;
      continue;
    }
    ASSERT_EQ(req.device, twice);
    const MeasurementRecord both = measure(req, settings_for(Profile::quick, 1), env);
    ASSERT_EQ(both.disposition, Disposition::passed) << both.reason;
    ++aggregates;
    EXPECT_DOUBLE_EQ(both.flops, 2 * one->flops);
    ASSERT_FALSE(both.notes.empty());
    EXPECT_EQ(both.notes.front().find(fmt::format("2 GPUs at once (gpu{0}, gpu{0})", gpu)), 0u)
        << both.notes.front();
    // Two problems on one GPU take at most about twice as long as one, one after the other:
    // the rate is about one GPU's or more. Half of it leaves room for the host's launch and
    // wait, which the aggregate's host-timed interval holds.
    ASSERT_TRUE(both.gflops && one->gflops);
    EXPECT_GT(*both.gflops, 0.5 * *one->gflops);
  }
  EXPECT_EQ(aggregates, 2);  // cuda and cublas
}

}  // namespace
}  // namespace flopbench
