// Adding an implementation is one file plus one registration line. This file is such a file: it
// defines a CPU dot product and registers it, and the tests below show that the planner, the
// runner, every report and the acceptance metrics pick it up with no other change anywhere.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/core/registry.hpp"
#include "harness/measure/runner.hpp"
#include "reports/acceptance/generate.hpp"
#include "reports/acceptance/judge.hpp"
#include "reports/acceptance/spec.hpp"
#include "reports/output_files.hpp"
#include "tests/test_support.hpp"

namespace flopbench {
namespace {

template <class T>
class ExtensionDot final : public ReductionKernel<T> {
 public:
  void setup(const VectorInputs<T>& in) override { in_ = &in; }
  void run() override {
    double sum = 0;
    for (std::size_t i = 0; i < in_->x.size(); ++i)
      sum += static_cast<double>(in_->x[i]) * static_cast<double>(in_->y[i]);
    result_ = static_cast<T>(sum);
  }
  T result() override { return result_; }

 private:
  const VectorInputs<T>* in_ = nullptr;
  T result_ = 0;
};

FLOPBENCH_REGISTER(make_implementation<workloads::Dot, ExtensionDot>(
    {.name = "extension-dot", .device = DeviceKind::cpu, .description = "a test's dot product"}));

Environment cpu_only_environment() {
  Environment env;
  env.host = "test-host";
  env.cpu.cores = 1;
  env.gpu.no_device_reason = "test environment";
  return env;
}

// Both precisions of the new implementation, measured on a small vector.
ResultsDocument measured_document() {
  Selection sel;
  sel.implementations = {"extension-dot"};
  sel.sizes = parse_sizes("4096");
  ResultsDocument doc;
  doc.environment = cpu_only_environment();
  doc.run.finished_utc = "2026-12-01T00:00:00Z";
  for (const auto& req : plan_measurements(sel, doc.environment)) {
    doc.measurements.push_back(
        measure(req, settings_for(Profile::quick, testing::fresh_seed()), doc.environment));
  }
  return doc;
}

TEST(Extension, RegisteredImplementationIsPlannedAtEveryPrecision) {
  const Implementation* impl = registry().find(WorkloadId::dot, "extension-dot");
  ASSERT_NE(impl, nullptr);
  Selection sel;
  sel.implementations = {"extension-dot"};
  const auto plan = plan_measurements(sel, cpu_only_environment());
  ASSERT_EQ(plan.size(), impl->spec.precisions.size());
  for (const auto& req : plan) {
    EXPECT_EQ(req.implementation, impl);
    EXPECT_EQ(req.device, DeviceRef::cpu());
  }
}

TEST(Extension, MeasuredVerifiedAndInEveryReport) {
  const ResultsDocument doc = measured_document();
  ASSERT_EQ(doc.measurements.size(), 2u);
  for (const auto& r : doc.measurements) {
    EXPECT_EQ(r.disposition, Disposition::passed) << r.reason;
    ASSERT_TRUE(r.verification.has_value());
    EXPECT_TRUE(r.verification->passed);
    EXPECT_TRUE(r.gbytes_per_s.has_value());
  }
  // As a sweep's, so that crossover.csv, which lists sweeps alone, has rows too.
  ResultsDocument sweep = doc;
  sweep.run.profile = "sweep";
  for (const auto& printer : output_printers(true)) {
    EXPECT_NE(printer->print(sweep).find("extension-dot"), std::string::npos)
        << printer->file_name();
  }
  EXPECT_NE(CsvPrinter().print(doc).find("dot,dot,extension-dot,cpu,fp32,host_real_time,4096,"),
            std::string::npos);
}

TEST(Extension, HasAcceptanceMetricsAndGeneratedSpecRows) {
  const ResultsDocument doc = measured_document();
  const Spec spec = parse_spec(
      "metric,comparator,bound,reference,severity,applies_to,description\n"
      "cpu.dot_fp64.extension-dot.gbytes_per_s,>=,0.000001 GB/s,,fail,any,new dot\n",
      "extension.csv");
  const AcceptanceResult result = judge(spec, doc, "extension.csv", "now");
  const auto row = std::find_if(result.criteria.begin(), result.criteria.end(), [](const auto& v) {
    return v.metric == "cpu.dot_fp64.extension-dot.gbytes_per_s";
  });
  ASSERT_NE(row, result.criteria.end());
  EXPECT_EQ(row->verdict, Verdict::pass) << row->reason;
  EXPECT_TRUE(result.passed);
  const std::string generated = generate_spec(doc, 0.9, "golden.json");
  EXPECT_NE(generated.find("cpu.dot_fp32.extension-dot.gbytes_per_s,>=,0.9 * reference"),
            std::string::npos)
      << generated;
  EXPECT_NO_THROW(parse_spec(generated, "generated.csv"));
}

}  // namespace
}  // namespace flopbench
