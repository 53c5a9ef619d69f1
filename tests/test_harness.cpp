// The harness: statistics, stopping rule, size parsing, selection, and every registered CPU
// implementation against the double reference on odd sizes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "harness/inventory.hpp"
#include "harness/registry.hpp"
#include "harness/runner.hpp"
#include "harness/sizes.hpp"
#include "harness/statistics.hpp"
#include "tests/test_support.hpp"

namespace flopbench {
namespace {

using testing::fresh_seed;

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

// ---- sizes and selection -----------------------------------------------------------------------

TEST(Sizes, ParsesCountsSuffixesAndShapes) {
  EXPECT_EQ(parse_size("1024"), (SizeSpec{0, 1024, 0}));
  EXPECT_EQ(parse_size("32M"), (SizeSpec{0, 32 << 20, 0}));
  EXPECT_EQ(parse_size("2k"), (SizeSpec{0, 2048, 0}));
  EXPECT_EQ(parse_size("17x63x65"), (SizeSpec{17, 63, 65}));
  EXPECT_EQ(parse_sizes("1,2K").size(), 2u);
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
}

TEST(Sizes, TripleOnlyForMatrixWorkloads) {
  EXPECT_EQ(to_problem(parse_size("64"), true, "gemm"), Problem::matrix(64, 64, 64));
  EXPECT_EQ(to_problem(parse_size("2x3x4"), true, "gemm"), Problem::matrix(2, 3, 4));
  EXPECT_EQ(to_problem(parse_size("64"), false, "sum"), Problem::vector(64));
  EXPECT_THROW(to_problem(parse_size("2x3x4"), false, "sum"), InputError);
}

TEST(Selection, WorkloadNamesAndShorthands) {
  const auto choices = parse_workloads("sgemm,sum");
  ASSERT_EQ(choices.size(), 2u);
  EXPECT_EQ(choices[0].workload, "gemm");
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
  sel.sizes = parse_sizes("17,8x9x10");
  const auto plan = plan_measurements(sel, test_environment());
  ASSERT_EQ(plan.size(), 2u);
  for (const auto& req : plan) {
    EXPECT_EQ(req.implementation->workload, "gemm");
    EXPECT_EQ(req.implementation->name(), "omp");
    EXPECT_EQ(req.precision, Precision::fp64);
    EXPECT_EQ(req.device, "cpu");
  }
  EXPECT_EQ(plan[1].problem, Problem::matrix(8, 9, 10));
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

TEST(Selection, DefaultVectorSizesExceedTheLastLevelCache) {
  const WorkloadInfo& sum = find_workload("sum");
  const std::int64_t llc = 256 << 20;
  for (const Precision p : {Precision::fp32, Precision::fp64}) {
    const auto problems = default_problems(sum, Profile::standard, llc, p);
    ASSERT_FALSE(problems.empty());
    EXPECT_GE(problems[0].n * static_cast<std::int64_t>(size_of(p)), 4 * llc);
  }
}

// ---- every registered CPU implementation against the reference ----------------------------------

std::vector<Problem> odd_problems(const WorkloadInfo& w) {
  if (w.matrix) {
    return {Problem::matrix(1, 1, 1), Problem::matrix(17, 17, 17), Problem::matrix(63, 65, 17),
            Problem::matrix(65, 63, 257), Problem::matrix(257, 257, 257),
            Problem::matrix(1, 300, 7), Problem::matrix(300, 1, 129),
            // Across the cache blocks of a packed GEMM: several MC blocks and KC slices, and
            // (with caches up to 64 MiB) more than one NC block.
            Problem::matrix(700, 37, 700), Problem::matrix(40, 6500, 400)};
  }
  if (w.counted_flops) return {Problem::vector(1), Problem::vector(17), Problem::vector(1000)};
  return {Problem::vector(1),  Problem::vector(17),  Problem::vector(63),
          Problem::vector(65), Problem::vector(257), Problem::vector(100003)};
}

TEST(Implementations, EveryCpuImplementationMatchesTheReferenceOnOddSizes) {
  int checked = 0;
  for (const Implementation& impl : registry().all()) {
    if (impl.spec.device != DeviceKind::cpu || !impl.unavailable_reason().empty()) continue;
    for (const Precision p : impl.spec.precisions) {
      for (const Problem& problem : odd_problems(find_workload(impl.workload))) {
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
  const int blas = FLOPBENCH_HAVE_OPENBLAS ? 1 : 0;
  EXPECT_EQ(checked, 2 * ((2 + blas) * 9 + (5 + blas) * 6 + 3));
}

TEST(Implementations, ListedWithDescriptionsAndBothPrecisions) {
  for (const char* workload : {"gemm", "sum", "dot", "stream", "peak"}) {
    const Implementation* omp = registry().find(workload, "omp");
    ASSERT_NE(omp, nullptr) << workload;
    EXPECT_TRUE(omp->supports(Precision::fp32));
    EXPECT_TRUE(omp->supports(Precision::fp64));
    EXPECT_FALSE(omp->spec.description.empty());
  }
  EXPECT_NE(registry().find("gemm", "eigen"), nullptr);
  EXPECT_NE(registry().find("gemm", "openblas"), nullptr);  // unsupported entry without OpenBLAS
  EXPECT_NE(registry().find("dot", "openblas"), nullptr);
}

// ---- verification catches wrong results ---------------------------------------------------------

// A plain triple loop; Fault plants a wrong result so the tolerance logic is tested both ways.
enum class Fault { none, drop_last_term, perturb_one_element, tf32_inputs, nan };

template <Fault F>
struct GemmWith {
  template <class T>
  class Kernel final : public GemmKernel<T> {
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
          T acc = 0;
          for (std::int64_t l = 0; l < k_end; ++l) {
            acc += round(in.a[static_cast<std::size_t>(i + l * in.m)]) *
                   round(in.b[static_cast<std::size_t>(l + j * in.k)]);
          }
          T& c = c_[static_cast<std::size_t>(i + j * in.m)];
          c = in.alpha * acc + in.beta * c;
        }
      }
      if (F == Fault::perturb_one_element)
        c_[c_.size() / 2] += T(1e-3) * std::abs(c_[c_.size() / 2]) + T(1e-3);
      if (F == Fault::nan) c_.back() = std::numeric_limits<T>::quiet_NaN();
    }
    void read_c(std::span<T> out) override { std::copy(c_.begin(), c_.end(), out.begin()); }

   private:
    // TF32 keeps 10 explicit mantissa bits: what an FP32 GEMM computed on tensor cores sees.
    static T round(T x) {
      if constexpr (F == Fault::tf32_inputs && std::is_same_v<T, float>) {
        int exponent = 0;
        const T mantissa = std::frexp(x, &exponent);
        return std::ldexp(std::nearbyint(std::ldexp(mantissa, 11)), exponent - 11);
      }
      return x;
    }
    const GemmInputs<T>* in_ = nullptr;
    std::vector<T> c_;
  };
};

template <Fault F>
Disposition gemm_disposition(Precision p, const Problem& problem) {
  const auto impl = make_implementation<workloads::Gemm, GemmWith<F>::template Kernel>(
      {.name = "test", .device = DeviceKind::cpu, .description = "test kernel"});
  const MeasurementRequest req{&impl, p, problem, "cpu", -1};
  RunSettings settings = settings_for(Profile::quick, fresh_seed());
  settings.rule.time_limit_s = 0.2;
  const MeasurementRecord r = measure(req, settings, test_environment());
  if (r.disposition == Disposition::incorrect) {
    EXPECT_NE(r.reason.find("wrong result"), std::string::npos) << r.reason;
    EXPECT_TRUE(r.samples_s.empty()) << "an incorrect result must not be timed";
    EXPECT_FALSE(r.gflops.has_value());
  }
  return r.disposition;
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
  }
}

TEST(Verification, Tf32RoundingIsNotAcceptedAsFp32) {
  EXPECT_EQ(gemm_disposition<Fault::tf32_inputs>(Precision::fp32, Problem::matrix(64, 64, 1024)),
            Disposition::incorrect);
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
  for (const std::int64_t n : {17, 257}) {
    const auto trial = impl.make_trial(Precision::fp32, Problem::vector(n), fresh_seed(), -1);
    trial->kernel().run();
    EXPECT_FALSE(trial->verify().passed) << n;
  }
}

// ---- measure()
// -----------------------------------------------------------------------------------

TEST(Measure, PassedRecordHasSamplesStatisticsAndRates) {
  const Implementation* impl = registry().find("gemm", "omp");
  ASSERT_NE(impl, nullptr);
  const MeasurementRequest req{impl, Precision::fp32, Problem::matrix(96, 80, 64), "cpu", -1};
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

TEST(Measure, UnavailableImplementationIsUnsupportedWithReason) {
  const auto impl =
      unavailable_implementation("dot", {.name = "test", .description = "x"}, "built without it");
  const MeasurementRequest req{&impl, Precision::fp64, Problem::vector(100), "cpu", -1};
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
  const MeasurementRequest req{&impl, Precision::fp32, Problem::vector(100), "cpu", -1};
  const MeasurementRecord r = measure(req, settings_for(Profile::quick, 1), test_environment());
  EXPECT_EQ(r.disposition, Disposition::failed);
  EXPECT_NE(r.reason.find("device fell off the bus"), std::string::npos);
}

TEST(Measure, GpuImplementationWithoutDeviceIsUnsupported) {
  const auto impl = make_implementation<workloads::Sum, SumSkippingLast>(
      {.name = "test", .device = DeviceKind::gpu, .description = "x"});
  const MeasurementRequest req{&impl, Precision::fp32, Problem::vector(100), "gpu", -1};
  const MeasurementRecord r = measure(req, settings_for(Profile::quick, 1), test_environment());
  EXPECT_EQ(r.disposition, Disposition::unsupported);
  EXPECT_EQ(r.reason, "no CUDA device: test environment");
}

}  // namespace
}  // namespace flopbench
