// Acceptance testing: spec parsing and every malformed spec, judging (thresholds, not measured,
// the built-in criteria, the sibling-outlier rule), JUnit XML, the verdict in results.json and
// report.md, generate-then-check round trips, shipped specs, and `flopbench check` end to end.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/cli.hpp"
#include "app/cli_commands.hpp"
#include "harness/core/registry.hpp"
#include "harness/machine/inventory.hpp"
#include "reports/acceptance/generate.hpp"
#include "reports/acceptance/judge.hpp"
#include "reports/acceptance/spec.hpp"
#include "reports/acceptance_report.hpp"
#include "reports/format.hpp"
#include "reports/html_report.hpp"
#include "reports/output_files.hpp"
#include "reports/results_json.hpp"
#include "tests/process.hpp"
#include "tests/test_support.hpp"

namespace flopbench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::Outcome;
using testing::read_text;
using testing::run_flopbench;
using testing::TempDir;

const fs::path kSpecData = fs::path(FLOPBENCH_TEST_DATA_DIR) / "specs";
const fs::path kShippedSpecs = fs::path(FLOPBENCH_TEST_DATA_DIR) / ".." / ".." / "specs";

// ---- synthetic results ------------------------------------------------------------------------

MeasurementRecord record(std::string workload, std::string impl, std::string device, Precision p,
                         std::int64_t n, double gflops, double gbytes = 0, double peak_gflops = 0) {
  MeasurementRecord r;
  r.workload = parse_workload(workload);
  r.implementation = std::move(impl);
  r.device = DeviceRef::parse(device);
  r.precision = p;
  r.problem = r.workload == WorkloadId::gemm ? Problem::matrix(n, n, n) : Problem::vector(n);
  r.disposition = Disposition::passed;
  r.stats = Statistics{10, 1e-3, 1e-3, 1e-3, 1e-3, 0, 0};
  r.samples_s = std::vector<double>(10, 1e-3);
  r.host_wall_s = r.samples_s;
  r.iterations_per_sample = 1;
  r.stopping_rule = "converged";
  r.timing = r.device.on_gpu() ? "device_events" : "host_real_time";
  // As a run with a telemetry source reads each GPU before and after its measurement.
  for (const int gpu : r.device.gpus) {
    const GpuTelemetry idle{.device = fmt::format("gpu{}", gpu), .source = "nvml"};
    r.telemetry_before.push_back(idle);
    r.telemetry_after.push_back(idle);
  }
  if (gflops > 0) r.gflops = gflops;
  if (gbytes > 0) r.gbytes_per_s = gbytes;
  if (peak_gflops > 0) {
    r.peak = {peak_gflops, "test peak"};
    if (r.gflops) r.percent_of_peak = 100 * gflops / peak_gflops;
  } else {
    r.peak = {std::nullopt, "unknown compute capability"};
  }
  r.verification = Verification{"test", 0, 1, 0, true};
  return r;
}

constexpr double kH100Fp32 = 66908;  // GFLOP/s

// A machine with `gpus` H100s: SGEMM (two sizes), a STREAM triad per GPU, and CPU work.
ResultsDocument h100_document(int gpus, const std::vector<double>& sgemm_tflops = {}) {
  ResultsDocument doc;
  doc.environment.host = "node7";
  doc.environment.cpu.cores = 96;
  doc.environment.gpu.cuda_built = true;
  for (int i = 0; i < gpus; ++i) {
    GpuDevice g;
    g.index = i;
    g.name = "NVIDIA H100 80GB HBM3";
    doc.environment.gpu.devices.push_back(g);
  }
  doc.run = {{"flopbench", "run"},   "standard", 1, 96, "2026-11-23T19:00:00Z",
             "2026-11-23T19:05:00Z", false};
  for (int i = 0; i < gpus; ++i) {
    const std::string d = fmt::format("gpu{}", i);
    const double tflops = sgemm_tflops.empty() ? 50 : sgemm_tflops[std::size_t(i)];
    // The smaller problem is slower: a metric must take the largest one.
    doc.measurements.push_back(
        record("gemm", "cublas", d, Precision::fp32, 1024, 30000, 0, kH100Fp32));
    doc.measurements.push_back(
        record("gemm", "cublas", d, Precision::fp32, 8192, tflops * 1000, 0, kH100Fp32));
    doc.measurements.push_back(record("stream", "cuda", d, Precision::fp64, 1 << 28, 100, 3000, 0));
  }
  doc.measurements.push_back(
      record("gemm", "openblas", "cpu", Precision::fp64, 1024, 2000, 0, 4000));
  return doc;
}

ResultsDocument cpu_document() {
  ResultsDocument doc;
  doc.environment.host = "cpubox";
  doc.environment.cpu.cores = 8;
  doc.environment.gpu.no_device_reason = "no NVIDIA driver is installed or loaded";
  doc.run = {{"flopbench", "run"},   "quick", 1, 8, "2026-11-23T19:00:00Z",
             "2026-11-23T19:00:05Z", false};
  doc.measurements.push_back(record("gemm", "openblas", "cpu", Precision::fp32, 256, 400, 0, 800));
  doc.measurements.push_back(record("gemm", "omp", "cpu", Precision::fp32, 256, 200, 0, 800));
  doc.measurements.push_back(record("stream", "omp", "cpu", Precision::fp64, 1 << 22, 1, 20));
  MeasurementRecord gpu = record("gemm", "cublas", "gpu", Precision::fp32, 256, 0);
  gpu.disposition = Disposition::unsupported;
  gpu.reason = "no CUDA device";
  gpu.gflops.reset();
  doc.measurements.push_back(gpu);
  return doc;
}

Spec spec_of(const std::string& rows) {
  return parse_spec("metric,comparator,bound,reference,severity,applies_to,description\n" + rows,
                    "test.csv");
}

AcceptanceResult check(const std::string& rows, const ResultsDocument& doc) {
  return judge(spec_of(rows), doc, "test.csv", "2026-11-23T20:00:00Z");
}

const CriterionVerdict& verdict_of(const AcceptanceResult& r, const std::string& metric,
                                   const std::string& bound_text = "") {
  for (const auto& v : r.criteria) {
    if (v.metric == metric && (bound_text.empty() || v.bound_text == bound_text)) return v;
  }
  static const CriterionVerdict none{"(missing)"};
  ADD_FAILURE() << "no verdict for " << metric << " " << bound_text;
  return none;
}

int count_verdicts(const AcceptanceResult& r, Verdict verdict) {
  return int(std::count_if(r.criteria.begin(), r.criteria.end(),
                           [&](const auto& v) { return v.verdict == verdict; }));
}

// ---- metric names and the spec format ---------------------------------------------------------

// What parse_metric says of a name it refuses; "(no error)" when it takes it.
std::string metric_error(const char* name) {
  try {
    parse_metric(name);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(AcceptanceMetric, NamesParse) {
  const Metric m = parse_metric("gpu.sgemm.cublas.tflops");
  EXPECT_EQ(m.device, DeviceRef::gpu({}));
  EXPECT_EQ(m.workload, WorkloadId::gemm);
  EXPECT_EQ(m.precision, Precision::fp32);
  EXPECT_EQ(m.quantity, Quantity::tflops);
  EXPECT_EQ(parse_metric("cpu.stream_fp64.omp.gbytes_per_s").precision, Precision::fp64);
  EXPECT_EQ(parse_metric("gpu3.dgemm.cublas.gflops").device, DeviceRef::gpu({3}));
  EXPECT_EQ(parse_metric("cpu.peak_fp32.omp.percent_of_peak").quantity, Quantity::percent_of_peak);
  // The matrix precisions: gemm's names for them, as --workloads takes them.
  const Metric bf16 = parse_metric("cpu.gemm_bf16.onednn.percent_of_peak");
  EXPECT_EQ(bf16.workload, WorkloadId::gemm);
  EXPECT_EQ(bf16.precision, Precision::bf16);
  EXPECT_EQ(parse_metric("gpu.gemm_fp8_e4m3.cublaslt.tflops").precision, Precision::fp8_e4m3);
  EXPECT_EQ(parse_metric("cpu.gemm_int8.onednn.gflops").precision, Precision::int8);
  for (const char* fact : {"gpu.count", "cpu.cores", "run.unverified", "run.throttled"}) {
    EXPECT_EQ(parse_metric(fact).quantity, Quantity::count) << fact;
  }
  EXPECT_NE(metric_error("tpu.sgemm.omp.gflops").find("unknown device 'tpu'"), std::string::npos);
  EXPECT_NE(metric_error("cpu.gemm.omp.gflops").find("unknown kernel 'gemm'"), std::string::npos);
  // The kernels it lists are those this build measures: sgemm is one, sum_tf32 none.
  EXPECT_NE(metric_error("cpu.gemv.omp.gflops").find("(this build measures: sgemm, dgemm, "),
            std::string::npos)
      << metric_error("cpu.gemv.omp.gflops");
  EXPECT_EQ(metric_error("cpu.gemv.omp.gflops").find("sum_tf32"), std::string::npos);
  // A GPU implementation on the CPU (a CPU-only build does not know it: unknown there too).
  EXPECT_NE(metric_error("cpu.sgemm.cublas.gflops").find("unknown cpu implementation 'cublas'"),
            std::string::npos);
  EXPECT_NE(metric_error("cpu.sgemm.OMP.gflops").find("unknown cpu implementation 'OMP'"),
            std::string::npos);
  EXPECT_NE(metric_error("gpu0+gpu1.sgemm.cuda.tflops").find("unknown device 'gpu0+gpu1'"),
            std::string::npos);
  EXPECT_NE(metric_error("cpu.sgemm.omp.gbytes_per_s").find("unknown quantity 'gbytes_per_s'"),
            std::string::npos);
  EXPECT_NE(metric_error("cpu.sgemm").find("unknown metric 'cpu.sgemm'"), std::string::npos);
  // A transfer moves bytes: its GFLOP/s would be no figure, and the criterion never measured.
  EXPECT_EQ(metric_error("gpu.transfer_fp32.h2d-pinned.tflops"),
            "unknown metric 'gpu.transfer_fp32.h2d-pinned.tflops': unknown quantity 'tflops' for "
            "transfer_fp32 (expected one of: gbytes_per_s)");
}

// Every registered implementation has metrics, with nothing to add to the acceptance code.
TEST(AcceptanceMetric, EveryRegisteredImplementationHasMetrics) {
  for (const auto& impl : registry().all()) {
    for (const Precision p : impl.spec.precisions) {
      const std::string name =
          fmt::format("{}.{}.{}.{}", to_string(impl.spec.device), metric_name(impl.workload, p),
                      impl.name(), counts_flops(info(impl.workload)) ? "gflops" : "gbytes_per_s");
      EXPECT_NO_THROW(parse_metric(name)) << name;
    }
  }
}

// A spec naming an implementation, workload or precision that this build's side of the machine
// does not have is bad input (exit 2), not a failed machine: a typo would otherwise reject every
// instance it judged. Only a side the build lacks (GPU names in a CPU-only build) is accepted,
// and its criterion fails as not measured, saying why.
TEST(AcceptanceMetric, NamesThisBuildDoesNotHaveAreBadInputWhereItHasTheSide) {
  EXPECT_NE(metric_error("cpu.sgemm.openbals.gflops").find("unknown cpu implementation 'openbals'"),
            std::string::npos)
      << metric_error("cpu.sgemm.openbals.gflops");
  EXPECT_EQ(metric_error("cpu.sum_fp32.openblas.gbytes_per_s"),
            "unknown metric 'cpu.sum_fp32.openblas.gbytes_per_s': openblas implements no sum (its "
            "workloads: gemm, dot)");
  EXPECT_EQ(metric_error("cpu.gemm_int8.openblas.gflops"),
            "unknown metric 'cpu.gemm_int8.openblas.gflops': gemm openblas has no int8 (it runs "
            "fp32, fp64)");
  // In a spec, the file and line are named (InputError: exit 2).
  try {
    parse_spec(
        "metric,comparator,bound,reference,severity,applies_to,description\n"
        "cpu.sgemm.openbals.gflops,>=,1 GFLOP/s,,fail,any,a typo\n",
        "typo.csv");
    ADD_FAILURE() << "a spec with an unknown implementation was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("typo.csv:2:", 0), 0u) << e.what();
  }

  const bool gpu_side_built =
      std::any_of(registry().all().begin(), registry().all().end(),
                  [](const Implementation& impl) { return impl.spec.device == DeviceKind::gpu; });
  if (gpu_side_built) {
    EXPECT_NE(metric_error("gpu.sgemm.cublass.tflops").find("unknown gpu implementation 'cublass'"),
              std::string::npos);
    return;
  }
  const Spec gpu_spec = parse_spec(
      "metric,comparator,bound,reference,severity,applies_to,description\n"
      "gpu0.sgemm.cublas.tflops,>=,1 TFLOP/s,,fail,any,cuBLAS SGEMM\n",
      "gpu.csv");
  ResultsDocument doc = h100_document(1);
  doc.measurements.clear();
  const AcceptanceResult result = judge(gpu_spec, doc, "gpu.csv", "now");
  const auto it = std::find_if(result.criteria.begin(), result.criteria.end(), [](const auto& v) {
    return v.metric == "gpu0.sgemm.cublas.tflops";
  });
  ASSERT_NE(it, result.criteria.end());
  EXPECT_EQ(it->verdict, Verdict::fail);
  EXPECT_NE(it->reason.find("this build has no implementation 'cublas'"), std::string::npos)
      << it->reason;
  EXPECT_FALSE(result.passed);
}

TEST(AcceptanceSpec, EveryFeatureOfTheFormat) {
  const Spec spec = read_spec(kSpecData / "valid.csv");
  ASSERT_EQ(spec.criteria.size(), 2u);
  const Criterion& c = spec.criteria[0];
  EXPECT_EQ(c.line, 4);
  EXPECT_EQ(c.metric.name, "cpu.sgemm.omp.gflops");
  EXPECT_EQ(c.description, "sgemm, \"fast\"");
  EXPECT_EQ(c.bound_kind, BoundKind::reference);
  EXPECT_DOUBLE_EQ(c.bound_value, 0.5);
  EXPECT_DOUBLE_EQ(*c.reference, 2);
  EXPECT_EQ(spec.criteria[1].comparator, Comparator::eq);
  EXPECT_EQ(spec.criteria[1].severity, Severity::warn);
  EXPECT_FALSE(spec.criteria[1].reference.has_value());

  // Units convert to the metric's own.
  const Spec units = spec_of(
      "gpu.sgemm.cublas.tflops,>=,40000 GFLOP/s,,fail,any,\n"
      "gpu.stream_fp64.cuda.gbytes_per_s,>=,0.75 * reference,3.35 TB/s,fail,any,\n");
  EXPECT_DOUBLE_EQ(units.criteria[0].bound_value, 40);
  EXPECT_DOUBLE_EQ(*units.criteria[1].reference, 3350);
}

// 1e303 PFLOP/s is 1e312 GFLOP/s: past a double once converted, as a literal 1e309 is before.
TEST(AcceptanceSpec, ABoundThatItsUnitCarriesPastADoubleIsRefused) {
  for (const std::string row :
       {"gpu.sgemm.cublas.gflops,>=,1e303 PFLOP/s,,fail,any,\n",
        "gpu.sgemm.cublas.gflops,>=,0.5 * reference,1e303 PFLOP/s,fail,any,\n"}) {
    try {
      spec_of(row);
      ADD_FAILURE() << row << ": no error";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("'1e303 PFLOP/s': too large a number"),
                std::string::npos)
          << e.what();
    }
  }
  // A fraction and a reference each finite, whose product is not.
  try {
    spec_of("gpu.sgemm.cublas.gflops,>=,1e300 * reference,1e10 PFLOP/s,fail,any,\n");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bound '1e300 * reference' of reference 1e10 PFLOP/s: "
                                         "too large a number"),
              std::string::npos)
        << e.what();
  }
  EXPECT_DOUBLE_EQ(
      spec_of("gpu.sgemm.cublas.gflops,>=,1e300 PFLOP/s,,fail,any,\n").criteria[0].bound_value,
      1e306);
  // A reference of 0 or less would pass every value of a lower bound.
  for (const std::string reference : {"0 GFLOP/s", "-5 TFLOP/s"}) {
    try {
      spec_of("gpu.sgemm.cublas.gflops,>=,0.5 * reference," + reference + ",fail,any,\n");
      ADD_FAILURE() << reference << ": no error";
    } catch (const InputError& e) {
      EXPECT_NE(
          std::string(e.what()).find("reference '" + reference + "': expected a figure above 0"),
          std::string::npos)
          << e.what();
    }
  }
}

struct Malformed {
  const char* file;
  const char* position;  // line:column
  const char* expected;
};

const Malformed kMalformed[] = {
    {"unknown-metric.csv", "2:1", "unknown quantity 'gflop'"},
    {"bad-comparator.csv", "2:27", "unknown comparator '=>' (expected one of: >=, >, <=, <, ==)"},
    {"non-numeric-bound.csv", "2:30", "bound 'lots': expected a number and a unit"},
    {"missing-column.csv", "1:1", "missing column 'severity' in the header"},
    {"missing-field.csv", "2:48", "missing column: expected 6 fields"},
    {"empty.csv", "1:1", "empty file: expected a header row"},
    {"stray-quote.csv", "2:53", "stray quote in an unquoted field"},
    {"unclosed-quote.csv", "2:49", "unclosed quote"},
    {"text-after-quote.csv", "2:58", "stray text after a closing quote"},
    {"latin1.csv", "2:52", "expected UTF-8 text, found the byte 0xE9"},
    {"utf16.csv", "1:1", "expected UTF-8 text, found a UTF-16 byte order mark"},
    {"wrong-unit.csv", "2:30", "expected a unit after the number: GFLOP/s, TFLOP/s or PFLOP/s"},
    {"peak-on-bandwidth.csv", "2:37",
     "only FLOP/s metrics (gflops, tflops) have a theoretical peak"},
    {"missing-reference.csv", "2:30", "expected a value in the reference column"},
    {"bad-severity.csv", "2:40", "unknown severity 'fatal' (expected fail or warn)"},
    {"no-criteria.csv", "4:1", "no criteria: expected at least one row after the header"},
    {"empty-metric.csv", "2:1", "empty metric: expected a value"},
    {"unknown-profile.csv", "1:23",
     "unknown profile 'huge' (expected one of: quick, standard, full, sweep)"},
    {"empty-profile.csv", "1:22", "expected a profile name (quick, standard, full or sweep)"},
    {"profiles-twice.csv", "3:2", "profiles given twice (first at line 1)"},
    {"threads-twice.csv", "3:4", "threads given twice (first at line 1)"},
    {"zero-threads.csv", "2:12",
     "expected the CPU threads of the run the bounds are for, a whole number of at least 1"},
};

TEST(AcceptanceSpec, EachMalformedSpecNamesFileLineAndColumn) {
  for (const auto& m : kMalformed) {
    const fs::path path = kSpecData / m.file;
    try {
      read_spec(path);
      ADD_FAILURE() << m.file << ": no error";
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind(fmt::format("{}:{}: ", path.string(), m.position), 0), 0u) << what;
      EXPECT_NE(what.find(m.expected), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_EQ(what.find(path.string(), 1), std::string::npos) << "the place twice: " << what;
    }
  }
}

TEST(AcceptanceSpec, ShippedSpecsParseAndAreKeyedToTheirGpu) {
  const std::map<std::string, std::string> gpu_of = {{"h100-sxm.csv", "NVIDIA H100 80GB HBM3"},
                                                     {"h100-pcie.csv", "NVIDIA H100 PCIe"},
                                                     {"h200.csv", "NVIDIA H200"},
                                                     {"h100-nvl.csv", "NVIDIA H100 NVL"},
                                                     {"h200-nvl.csv", "NVIDIA H200 NVL"},
                                                     {"a100-sxm.csv", "NVIDIA A100-SXM4-80GB"},
                                                     {"a100-pcie.csv", "NVIDIA A100 80GB PCIe"},
                                                     {"l40s.csv", "NVIDIA L40S"},
                                                     {"l4.csv", "NVIDIA L4"},
                                                     {"a10.csv", "NVIDIA A10"},
                                                     {"t4.csv", "Tesla T4"},
                                                     {"b200.csv", "NVIDIA B200"},
                                                     {"cpu-only.csv", ""}};
  // Every shipped spec is in this table, so that a new one is held to these tests too.
  for (const auto& entry : fs::directory_iterator(kShippedSpecs)) {
    EXPECT_TRUE(gpu_of.contains(entry.path().filename().string())) << entry.path();
  }
  for (const auto& [file, gpu] : gpu_of) {
    SCOPED_TRACE(file);
    const Spec spec = read_spec(kShippedSpecs / file);
    // Their bounds are for the standard profile's sizes or larger.
    EXPECT_EQ(spec.profiles, (std::vector<std::string>{"standard", "full"}));
    const auto patterns = spec_gpu_patterns(spec);
    if (gpu.empty()) {
      EXPECT_TRUE(patterns.empty());
      continue;
    }
    // Keyed to its own GPU and to no other shipped one.
    for (const auto& [other_file, other_gpu] : gpu_of) {
      const bool match = std::any_of(patterns.begin(), patterns.end(), [&](const auto& p) {
        return !other_gpu.empty() && applies_to_gpu(p, GpuDevice{.name = other_gpu});
      });
      EXPECT_EQ(match, other_file == file) << other_gpu;
    }
  }
}

// Every name a SKU's GPU reports gets one bandwidth bound, the one of its memory; the GDDR6 SKUs
// (ECC on by default) fail an uncorrected ECC error, and their bandwidth bounds leave room for
// the ECC's cost.
TEST(AcceptanceSpec, ShippedSpecsBoundEachVariantsBandwidthOnce) {
  const Spec a100 = read_spec(kShippedSpecs / "a100-pcie.csv");
  for (const auto& [name, reference] :
       std::vector<std::pair<std::string, double>>{{"NVIDIA A100-PCIE-40GB", 1555},
                                                   {"NVIDIA A100 80GB PCIe", 1935},
                                                   {"NVIDIA A100-PCIE-80GB", 1935}}) {
    std::vector<double> references;
    for (const Criterion& c : a100.criteria) {
      if (c.metric.name == "gpu.stream_fp64.cuda.gbytes_per_s" &&
          applies_to_gpu(c.applies_to, GpuDevice{.name = name}))
        references.push_back(c.reference.value_or(0));
    }
    EXPECT_EQ(references, std::vector<double>{reference}) << name;
  }
  for (const char* file : {"t4.csv", "l4.csv", "l40s.csv", "a10.csv"}) {
    SCOPED_TRACE(file);
    const Spec spec = read_spec(kShippedSpecs / file);
    const auto row = [&](const std::string& metric) {
      return std::find_if(spec.criteria.begin(), spec.criteria.end(),
                          [&](const Criterion& c) { return c.metric.name == metric; });
    };
    ASSERT_NE(row("gpu.ecc.uncorrected_volatile"), spec.criteria.end());
    EXPECT_EQ(row("gpu.ecc.uncorrected_volatile")->severity, Severity::fail);
    ASSERT_NE(row("gpu.ecc.enabled"), spec.criteria.end());
    EXPECT_EQ(row("gpu.ecc.enabled")->severity, Severity::warn);
    ASSERT_NE(row("gpu.stream_fp64.cuda.gbytes_per_s"), spec.criteria.end());
    EXPECT_LE(row("gpu.stream_fp64.cuda.gbytes_per_s")->bound_value, 0.6);
  }
}

// Each SKU's spec bounds the matrix formats its datasheet lists through cuBLASLt, and no other;
// a healthy H100 passes them, and a slow one is warned about, never failed, until golden runs
// exist.
TEST(AcceptanceSpec, ShippedMatrixRowsFollowEachDatasheet) {
  const std::set<Precision> hopper = {Precision::tf32, Precision::bf16, Precision::fp16,
                                      Precision::fp8_e4m3, Precision::int8};
  const std::set<Precision> ampere = {Precision::tf32, Precision::bf16, Precision::fp16,
                                      Precision::int8};
  const std::map<std::string, std::set<Precision>> formats = {
      {"h100-sxm.csv", hopper}, {"h100-pcie.csv", hopper},
      {"h200.csv", hopper},     {"h100-nvl.csv", hopper},
      {"h200-nvl.csv", hopper}, {"b200.csv", hopper},
      {"l40s.csv", hopper},     {"l4.csv", hopper},
      {"a100-sxm.csv", ampere}, {"a100-pcie.csv", ampere},
      {"a10.csv", ampere},      {"t4.csv", {Precision::fp16, Precision::int8}},
      {"cpu-only.csv", {}},
  };
  for (const auto& [file, expected] : formats) {
    SCOPED_TRACE(file);
    std::set<Precision> bounded;
    for (const Criterion& c : read_spec(kShippedSpecs / file).criteria) {
      if (c.metric.implementation != "cublaslt") continue;
      EXPECT_TRUE(is_matrix_precision(c.metric.precision)) << c.metric.name;
      EXPECT_EQ(c.severity, Severity::warn) << c.metric.name;
      EXPECT_EQ(c.bound_kind, BoundKind::peak) << c.metric.name;
      bounded.insert(c.metric.precision);
    }
    EXPECT_EQ(bounded, expected);
  }

  ResultsDocument doc = h100_document(1);
  const double bf16_peak = 989400, int8_peak = 1978900;
  doc.measurements.push_back(
      record("gemm", "cublaslt", "gpu0", Precision::bf16, 8192, 0.7 * bf16_peak, 0, bf16_peak));
  doc.measurements.push_back(
      record("gemm", "cublaslt", "gpu0", Precision::int8, 8192, 0.3 * int8_peak, 0, int8_peak));
  const AcceptanceResult r =
      judge(read_spec(kShippedSpecs / "h100-sxm.csv"), doc, "h100-sxm.csv", "now");
  EXPECT_EQ(verdict_of(r, "gpu0.gemm_bf16.cublaslt.tflops").verdict, Verdict::pass);
  EXPECT_EQ(verdict_of(r, "gpu0.gemm_int8.cublaslt.tflops").verdict, Verdict::warn);
}

// ---- judging ----------------------------------------------------------------------------------

TEST(AcceptanceJudge, ThresholdsPassFailAndWarnWithMargins) {
  const ResultsDocument doc = h100_document(1);
  const AcceptanceResult r = check(
      "gpu.sgemm.cublas.tflops,>=,45 TFLOP/s,,fail,any,\n"
      "gpu.sgemm.cublas.tflops,>=,0.8 * peak,,fail,any,\n"
      "gpu.stream_fp64.cuda.gbytes_per_s,>=,0.9 * reference,3.35 TB/s,warn,any,\n"
      "cpu.dgemm.openblas.gflops,<=,2500 GFLOP/s,,fail,any,\n"
      "gpu.count,==,1,,fail,NVIDIA H100*,\n",
      doc);
  // The largest problem (50 TFLOP/s at 8192), not the 30 TFLOP/s of the smaller one.
  const auto& absolute = verdict_of(r, "gpu0.sgemm.cublas.tflops", "45 TFLOP/s");
  EXPECT_EQ(absolute.verdict, Verdict::pass);
  EXPECT_DOUBLE_EQ(*absolute.measured, 50);
  EXPECT_NEAR(*absolute.margin_percent, 100.0 * 5 / 45, 1e-9);
  const auto& peak = verdict_of(r, "gpu0.sgemm.cublas.tflops", "0.8 * peak");
  EXPECT_EQ(peak.verdict, Verdict::fail);
  EXPECT_NEAR(*peak.bound, 0.8 * kH100Fp32 / 1000, 1e-9);
  EXPECT_LT(*peak.margin_percent, 0);
  EXPECT_EQ(peak.reason, "below the bound");
  const auto& stream = verdict_of(r, "gpu0.stream_fp64.cuda.gbytes_per_s");
  EXPECT_EQ(stream.verdict, Verdict::warn);
  EXPECT_DOUBLE_EQ(*stream.bound, 0.9 * 3350);
  EXPECT_EQ(verdict_of(r, "cpu.dgemm.openblas.gflops").verdict, Verdict::pass);
  EXPECT_NEAR(*verdict_of(r, "cpu.dgemm.openblas.gflops").margin_percent, 20, 1e-9);
  EXPECT_EQ(verdict_of(r, "gpu.count").verdict, Verdict::pass);
  EXPECT_FALSE(r.passed);
}

TEST(AcceptanceJudge, WhatWasNotMeasuredNeverPasses) {
  ResultsDocument doc = cpu_document();
  // The largest problem failed verification; a smaller one passed.
  MeasurementRecord wrong = record("gemm", "openblas", "cpu", Precision::fp32, 512, 0);
  wrong.disposition = Disposition::incorrect;
  wrong.reason = "wrong result";
  wrong.gflops.reset();
  doc.measurements.push_back(wrong);
  const AcceptanceResult r = check(
      "cpu.sgemm.openblas.gflops,>=,1 GFLOP/s,,fail,any,\n"
      "cpu.dgemm.eigen.gflops,>=,1 GFLOP/s,,warn,any,\n"
      "gpu.sgemm.cublas.tflops,>=,0.5 * peak,,fail,any,\n"
      "cpu.stream_fp64.omp.gbytes_per_s,>=,1 GB/s,,fail,any,\n",
      doc);
  const auto& sgemm = verdict_of(r, "cpu.sgemm.openblas.gflops");
  EXPECT_EQ(sgemm.verdict, Verdict::fail);
  EXPECT_NE(sgemm.reason.find("not measured: sgemm openblas on cpu, 512x512x512 was incorrect"),
            std::string::npos)
      << sgemm.reason;
  const auto& eigen = verdict_of(r, "cpu.dgemm.eigen.gflops");
  EXPECT_EQ(eigen.verdict, Verdict::warn);  // a warning still, never a pass
  EXPECT_NE(eigen.reason.find("not measured: the results have no dgemm eigen on cpu"),
            std::string::npos);
  const auto& gpu = verdict_of(r, "gpu.sgemm.cublas.tflops");
  EXPECT_EQ(gpu.verdict, Verdict::fail);
  EXPECT_NE(gpu.reason.find("no GPU (no NVIDIA driver"), std::string::npos) << gpu.reason;
  EXPECT_EQ(verdict_of(r, "cpu.stream_fp64.omp.gbytes_per_s").verdict, Verdict::pass);
  // The incorrect measurement also fails the built-in criterion.
  const auto& unverified = verdict_of(r, "run.unverified");
  EXPECT_EQ(unverified.verdict, Verdict::fail);
  EXPECT_DOUBLE_EQ(*unverified.measured, 1);
  EXPECT_FALSE(r.passed);
}

// A run that was interrupted, or died, lacks what it did not reach: its metrics would read a
// smaller problem (here 256 where the run was to reach 1024), so the run itself fails.
TEST(AcceptanceJudge, AnUnfinishedRunFailsHoweverGoodItsFigures) {
  ResultsDocument doc = cpu_document();
  const std::string rows = "cpu.sgemm.openblas.gflops,>=,1 GFLOP/s,,fail,any,\n";
  const AcceptanceResult whole = check(rows, doc);
  EXPECT_TRUE(whole.passed);
  EXPECT_EQ(verdict_of(whole, "run.complete").verdict, Verdict::pass);

  doc.run.finished_utc = "";  // killed: the file is as its last write left it
  const AcceptanceResult died = check(rows, doc);
  EXPECT_EQ(verdict_of(died, "cpu.sgemm.openblas.gflops").verdict, Verdict::pass);
  const auto& complete = verdict_of(died, "run.complete");
  EXPECT_EQ(complete.verdict, Verdict::fail);
  EXPECT_EQ(complete.measured, 0);
  EXPECT_NE(complete.reason.find("the run did not finish"), std::string::npos) << complete.reason;
  EXPECT_FALSE(died.passed);

  doc.run.finished_utc = "2026-11-23T19:00:03Z";
  doc.run.interrupted = true;
  const AcceptanceResult stopped = check(rows, doc);
  EXPECT_NE(verdict_of(stopped, "run.complete").reason.find("interrupted"), std::string::npos);
  EXPECT_FALSE(stopped.passed);
  // A spec row on the metric replaces the built-in one, as for the other run facts.
  const AcceptanceResult tolerated = check(rows + "run.complete,==,1,,warn,any,\n", doc);
  EXPECT_TRUE(tolerated.passed);
  EXPECT_EQ(verdict_of(tolerated, "run.complete").verdict, Verdict::warn);
}

// The largest problem is the one with the most work, not the longest first dimension.
TEST(AcceptanceJudge, TheLargestProblemIsTheMostWork) {
  ResultsDocument doc = cpu_document();
  MeasurementRecord skinny = record("gemm", "openblas", "cpu", Precision::fp32, 64, 30);
  skinny.problem = Problem::matrix(4096, 64, 64);
  MeasurementRecord cube = record("gemm", "openblas", "cpu", Precision::fp32, 2048, 900);
  doc.measurements.push_back(skinny);
  doc.measurements.push_back(cube);
  const AcceptanceResult r = check("cpu.sgemm.openblas.gflops,>=,500 GFLOP/s,,fail,any,\n", doc);
  const auto& v = verdict_of(r, "cpu.sgemm.openblas.gflops");
  EXPECT_EQ(v.verdict, Verdict::pass) << v.reason;
  EXPECT_EQ(v.measured, 900);
}

// A miss by less than the table's usual digits shows: the measured value and the bound never
// read the same in a verdict table.
TEST(AcceptanceOutput, AMissIsNeverPrintedAsEqualNumbers) {
  CriterionVerdict v;
  v.unit = "GB/s";
  v.measured = 2512.3;
  v.bound = 2512.5;
  v.margin_percent = (2512.3 - 2512.5) / 2512.5 * 100;
  const VerdictTexts t = verdict_texts(v);
  EXPECT_EQ(t.measured, "2512.3 GB/s");
  EXPECT_EQ(t.bound, "2512.5 GB/s");
  EXPECT_EQ(t.margin, "-0.008%");
  // Exactly on the bound (a strict bound's miss, or a pass of >=) has no sign either way.
  for (const double zero : {0.0, -0.0}) {
    v.margin_percent = zero;
    EXPECT_EQ(verdict_texts(v).margin, "0.0%");
  }
  v.measured = 2600;  // a clear pass: the usual digits
  v.bound = 2512.4;
  EXPECT_EQ(verdict_texts(v).measured, "2600 GB/s");
  EXPECT_EQ(verdict_texts(v).bound, "2512 GB/s");
  v.unit = "%";
  v.measured = 2.514;
  v.bound = 2.5137;
  EXPECT_EQ(verdict_texts(v).measured, "2.5140%");
  EXPECT_EQ(verdict_texts(v).bound, "2.5137%");
  v.unit = "";  // a count
  v.measured = 2;
  v.bound = 0;
  EXPECT_EQ(verdict_texts(v).measured, "2");
  EXPECT_EQ(verdict_texts(v).bound, "0");
  v.measured = 23.54010009765625;  // a fact without a unit (memory.gib): six digits, not 17
  v.bound = 16;
  EXPECT_EQ(verdict_texts(v).measured, "23.5401");
  EXPECT_EQ(verdict_texts(v).bound, "16");
  v.measured = 12345678;  // a large count stays whole
  EXPECT_EQ(verdict_texts(v).measured, "12345678");
  v.measured = 16.0000001;  // a miss still shows
  v.bound = 16.0000002;
  EXPECT_NE(verdict_texts(v).measured, verdict_texts(v).bound);
}

// A machine whose GPU NVML names but CUDA does not see (a build without CUDA, a broken CUDA
// install): the rows keyed to that GPU apply, and what they measure on it is missing.
ResultsDocument unseen_gpu_document(const std::string& name) {
  ResultsDocument doc = cpu_document();
  doc.environment.gpu.no_device_reason = "";  // a build without CUDA
  MachineHealth h;
  h.gpu_source = "nvml";
  GpuHealth g;
  g.name = name;
  g.pci_bus_id = "00000000:17:00.0";
  g.facts["xid.count"] = HealthFact::of(0);
  h.gpus.push_back(g);
  doc.environment.health = h;
  return doc;
}

TEST(AcceptanceJudge, AGpuThatOnlyNvmlNamesIsJudgedAsNotMeasured) {
  const ResultsDocument doc = unseen_gpu_document("NVIDIA H200");
  const AcceptanceResult r = judge(read_spec(kShippedSpecs / "h200.csv"), doc, "h200.csv", "now");
  const std::string why =
      "CUDA sees no GPU (this build has no CUDA support), though NVML lists gpu0 NVIDIA H200";
  const auto& count = verdict_of(r, "gpu.count");
  EXPECT_EQ(count.verdict, Verdict::fail);
  ASSERT_TRUE(count.measured);
  EXPECT_DOUBLE_EQ(*count.measured, 0);
  EXPECT_EQ(count.reason, "below the bound: " + why);
  const auto& sgemm = verdict_of(r, "gpu.sgemm.cublas.tflops");
  EXPECT_EQ(sgemm.verdict, Verdict::fail);
  EXPECT_EQ(sgemm.reason, "not measured: " + why);
  EXPECT_EQ(verdict_of(r, "gpu0.xid.count").verdict, Verdict::pass);  // a health row, as before
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(std::count_if(r.criteria.begin(), r.criteria.end(),
                          [](const CriterionVerdict& v) { return v.metric == "spec.applies"; }),
            0);

  // Rows keyed to another GPU still do not apply.
  const AcceptanceResult other = judge(read_spec(kShippedSpecs / "t4.csv"), doc, "t4.csv", "now");
  EXPECT_EQ(verdict_of(other, "spec.applies").verdict, Verdict::fail);
}

TEST(AcceptanceJudge, UnknownPeakFails) {
  ResultsDocument doc = h100_document(1);
  for (auto& m : doc.measurements) m.peak = {std::nullopt, "unknown compute capability 12.7"};
  const auto r = check("gpu.sgemm.cublas.tflops,>=,0.5 * peak,,fail,any,\n", doc);
  EXPECT_EQ(verdict_of(r, "gpu0.sgemm.cublas.tflops").verdict, Verdict::fail);
  EXPECT_NE(verdict_of(r, "gpu0.sgemm.cublas.tflops").reason.find("unknown compute capability"),
            std::string::npos);
}

TEST(AcceptanceJudge, ThrottlingWarnsAndGpuCountFails) {
  ResultsDocument doc = h100_document(7);
  doc.measurements[1].notes.push_back("throttled: power cap (HW_POWER_BRAKE)");
  const AcceptanceResult r = check("gpu.count,==,8,,fail,NVIDIA H100 80GB HBM3,\n", doc);
  EXPECT_EQ(verdict_of(r, "gpu.count").verdict, Verdict::fail);
  EXPECT_DOUBLE_EQ(*verdict_of(r, "gpu.count").measured, 7);
  const auto& throttled = verdict_of(r, "run.throttled");
  EXPECT_EQ(throttled.verdict, Verdict::warn);
  EXPECT_NE(throttled.reason.find("SGEMM (fp32) cublas on gpu0, 8192x8192x8192"), std::string::npos)
      << throttled.reason;

  // A spec row on a built-in metric replaces it: here throttling fails.
  const AcceptanceResult strict =
      check("gpu.count,==,7,,fail,any,\nrun.throttled,==,0,,fail,any,strict\n", doc);
  EXPECT_EQ(verdict_of(strict, "run.throttled").verdict, Verdict::fail);
  EXPECT_EQ(verdict_of(strict, "run.throttled").description, "strict");
  EXPECT_EQ(std::count_if(strict.criteria.begin(), strict.criteria.end(),
                          [](const auto& v) { return v.metric == "run.throttled"; }),
            1);
  EXPECT_FALSE(strict.passed);
}

// A GPU measured with no telemetry could have throttled unseen: not "0 throttled", but not
// measured, and why there was no telemetry.
TEST(AcceptanceJudge, ThrottlingIsNotMeasuredWhereNoTelemetryWasRead) {
  ResultsDocument doc = h100_document(1);
  doc.run.telemetry_source = "none: cannot load libnvidia-ml.so.1; nvidia-smi: cannot start";
  for (auto& m : doc.measurements) {
    m.telemetry_before.clear();
    m.telemetry_after.clear();
  }
  const AcceptanceResult r = check("gpu.count,==,1,,fail,any,\n", doc);
  const auto& throttled = verdict_of(r, "run.throttled");
  EXPECT_EQ(throttled.verdict, Verdict::warn);
  EXPECT_FALSE(throttled.measured.has_value());
  EXPECT_EQ(throttled.reason,
            "not measured: no GPU telemetry with clock event reasons was read for SGEMM (fp32) "
            "cublas on gpu0, 1024x1024x1024 (and 2 more); none: cannot load libnvidia-ml.so.1; "
            "nvidia-smi: cannot start");

  // Throttling seen elsewhere is counted, as a lower bound.
  doc.measurements[1].telemetry_before = {GpuTelemetry{.device = "gpu0", .source = "nvml"}};
  doc.measurements[1].notes.push_back("throttled: gpu0 hw_slowdown (before)");
  const AcceptanceResult seen = check("gpu.count,==,1,,fail,any,\n", doc);
  const auto& counted = verdict_of(seen, "run.throttled");
  ASSERT_TRUE(counted.measured.has_value());
  EXPECT_EQ(*counted.measured, 1);
  EXPECT_NE(counted.reason.find(
                "(at least: 2 GPU measurements had no telemetry with clock event reasons)"),
            std::string::npos)
      << counted.reason;
}

// A source that reads clocks and power but not the clock event reasons (a vGPU, an old driver)
// cannot show throttling either: the count is not measured, until one reading has the reasons.
TEST(AcceptanceJudge, ThrottlingIsNotMeasuredWhereNoReadingHadTheClockEventReasons) {
  ResultsDocument doc = h100_document(1);
  const GpuTelemetry blind{.device = "gpu0", .source = "nvml", .clock_events_read = false};
  for (auto& m : doc.measurements) {
    m.telemetry_before = m.telemetry_after = {blind};
    m.telemetry_during = {{.device = "gpu0", .readings = 40, .clock_events_unread = 40}};
  }
  const auto throttled = [&] {
    return verdict_of(check("gpu.count,==,1,,fail,any,\n", doc), "run.throttled");
  };
  EXPECT_FALSE(throttled().measured.has_value());
  EXPECT_TRUE(throttled().reason.starts_with(
      "not measured: no GPU telemetry with clock event reasons was read for "))
      << throttled().reason;
  for (auto& m : doc.measurements) m.telemetry_during[0].clock_events_unread = 39;
  ASSERT_TRUE(throttled().measured.has_value());
  EXPECT_EQ(*throttled().measured, 0);
  // In results.json, and in files from before the field: read.
  nlohmann::json j = to_json(doc);
  EXPECT_EQ(j["measurements"][0]["telemetry_before"][0]["clock_events_read"], false);
  EXPECT_FALSE(results_from_json(j).measurements[0].telemetry_before[0].clock_events_read);
  j["measurements"][0]["telemetry_before"][0].erase("clock_events_read");
  EXPECT_TRUE(results_from_json(j).measurements[0].telemetry_before[0].clock_events_read);
}

// Other processes took a CPU while `r` sampled.
MeasurementRecord contended(MeasurementRecord r) {
  r.load = MachineLoad{.readings = 10,
                       .other_cpus = {0.9, 1.0, 1.1},
                       .steal_cpus = {},
                       .load_average = {3, 3, 3},
                       .contended = true};
  return r;
}

TEST(AcceptanceJudge, AMissOnAContendedMeasurementIsMeasuredAgainThenWarns) {
  const std::string rows = "cpu.sgemm.openblas.gflops,>=,500 GFLOP/s,,fail,any,\n";
  ResultsDocument doc = cpu_document();  // openblas at 400 GFLOP/s: below the bound
  const Spec spec = spec_of(rows);

  // Quiet: a failure, and nothing to measure again.
  EXPECT_EQ(verdict_of(check(rows, doc), "cpu.sgemm.openblas.gflops").verdict, Verdict::fail);
  EXPECT_TRUE(contended_misses(spec, doc).empty());

  // Contended, measured once: a warning that says why, and the measurement to take again.
  doc.measurements[0] = contended(doc.measurements[0]);
  const AcceptanceResult once = check(rows, doc);
  const auto& warned = verdict_of(once, "cpu.sgemm.openblas.gflops");
  EXPECT_EQ(warned.verdict, Verdict::warn);
  EXPECT_NE(warned.reason.find("below the bound; measured while contended (other processes used "
                               "1.00 CPUs"),
            std::string::npos)
      << warned.reason;
  EXPECT_TRUE(once.passed);
  EXPECT_EQ(contended_misses(spec, doc), std::vector<std::size_t>{0});
  // A passed criterion on a contended measurement is not measured again.
  EXPECT_TRUE(
      contended_misses(spec_of("cpu.sgemm.openblas.gflops,>=,300 GFLOP/s,,fail,any,\n"), doc)
          .empty());
  // A rate above an upper bound is no co-tenant's doing (contention only slows): it fails.
  const std::string upper = "cpu.sgemm.openblas.gflops,<=,300 GFLOP/s,,fail,any,\n";
  const CriterionVerdict above = verdict_of(check(upper, doc), "cpu.sgemm.openblas.gflops");
  EXPECT_EQ(above.verdict, Verdict::fail) << above.reason;
  EXPECT_EQ(above.reason, "above the bound");
  EXPECT_TRUE(contended_misses(spec_of(upper), doc).empty());

  // Measured again and contended again: still a warning, saying so, and no third measurement.
  ResultsDocument twice = doc;
  twice.measurements.push_back(
      contended(record("gemm", "openblas", "cpu", Precision::fp32, 256, 380, 0, 800)));
  const CriterionVerdict again = verdict_of(check(rows, twice), "cpu.sgemm.openblas.gflops");
  EXPECT_EQ(again.verdict, Verdict::warn);
  EXPECT_DOUBLE_EQ(*again.measured, 400);  // the better of the two
  EXPECT_NE(again.reason.find("contended, and again when re-measured"), std::string::npos)
      << again.reason;
  EXPECT_TRUE(contended_misses(spec, twice).empty());

  // Measured again on a quiet machine: the quiet measurement decides, whether it is better
  // (a pass) or worse (a real failure) than the contended one.
  ResultsDocument quiet = doc;
  quiet.measurements.push_back(
      record("gemm", "openblas", "cpu", Precision::fp32, 256, 350, 0, 800));
  const CriterionVerdict failed = verdict_of(check(rows, quiet), "cpu.sgemm.openblas.gflops");
  EXPECT_EQ(failed.verdict, Verdict::fail);
  EXPECT_DOUBLE_EQ(*failed.measured, 350);
  quiet.measurements.back().gflops = 600;
  EXPECT_EQ(verdict_of(check(rows, quiet), "cpu.sgemm.openblas.gflops").verdict, Verdict::pass);
}

// GPU work timed by the GPU's events is the GPU's own: a miss fails however busy the host's CPUs
// were, and is not measured again (a co-tenant on the host does not take the GPU's time).
TEST(AcceptanceJudge, AMissTimedOnTheGpuFailsWhateverTheHostsContention) {
  const std::string rows = "gpu.sgemm.cublas.tflops,>=,60 TFLOP/s,,fail,any,\n";
  ResultsDocument doc = h100_document(1);  // gpu0 below 60 TFLOP/s
  MeasurementRecord& gpu0 = *std::ranges::find_if(doc.measurements, [](const auto& r) {
    return r.device == DeviceRef::gpu({0}) && r.implementation == "cublas" && r.problem.m == 8192;
  });  // the largest problem: the metric's
  ASSERT_EQ(gpu0.timing, "device_events");
  gpu0 = contended(gpu0);
  const AcceptanceResult r = check(rows, doc);
  const CriterionVerdict& v = verdict_of(r, "gpu0.sgemm.cublas.tflops", "60 TFLOP/s");
  EXPECT_EQ(v.verdict, Verdict::fail) << v.reason;
  EXPECT_EQ(v.reason.find("contended"), std::string::npos) << v.reason;
  EXPECT_TRUE(contended_misses(spec_of(rows), doc).empty());
  EXPECT_FALSE(r.passed);
}

// A spec for a machine that should be quiet makes contention itself a failure: every contended
// measurement misses run.contended, is measured again, and one still contended fails.
TEST(AcceptanceJudge, RunContendedFailsAMachineThatStaysBusy) {
  const std::string rows =
      "cpu.sgemm.openblas.gflops,>=,300 GFLOP/s,,fail,any,\nrun.contended,==,0,,fail,any,quiet\n";
  const Spec spec = spec_of(rows);
  ResultsDocument doc = cpu_document();  // openblas at 400 GFLOP/s: above the bound
  const auto contention = [&](const ResultsDocument& d) {
    return verdict_of(check(rows, d), "run.contended");
  };
  EXPECT_EQ(contention(doc).verdict, Verdict::pass);
  EXPECT_DOUBLE_EQ(*contention(doc).measured, 0);
  EXPECT_TRUE(contended_misses(spec, doc).empty());

  // Contended once: the rate passes, run.contended fails and asks for a re-measurement.
  doc.measurements[0] = contended(doc.measurements[0]);
  const AcceptanceResult once = check(rows, doc);
  EXPECT_FALSE(once.passed);
  EXPECT_EQ(verdict_of(once, "cpu.sgemm.openblas.gflops").verdict, Verdict::pass);
  const CriterionVerdict busy = verdict_of(once, "run.contended");
  EXPECT_EQ(busy.verdict, Verdict::fail);
  EXPECT_DOUBLE_EQ(*busy.measured, 1);
  EXPECT_EQ(busy.reason,
            "not equal to the bound: SGEMM (fp32) openblas on cpu, 256x256x256 (other processes "
            "used 1.00 CPUs and steal 0.00 (medians of 10 readings; max 1.10 and 0.00), load "
            "average 3.00)")
      << busy.reason;
  EXPECT_EQ(contended_misses(spec, doc), std::vector<std::size_t>{0});
  // Without the row, a passed criterion on a contended measurement asks for nothing.
  EXPECT_TRUE(
      contended_misses(spec_of("cpu.sgemm.openblas.gflops,>=,300 GFLOP/s,,fail,any,\n"), doc)
          .empty());
  // As a warning, it still asks for the re-measurement, and warns.
  const std::string warn_rows = "run.contended,==,0,,warn,any,\n";
  EXPECT_EQ(verdict_of(check(warn_rows, doc), "run.contended").verdict, Verdict::warn);
  EXPECT_EQ(contended_misses(spec_of(warn_rows), doc), std::vector<std::size_t>{0});

  // Re-measured and contended again: a failure, saying so, and no third measurement.
  ResultsDocument twice = doc;
  twice.measurements.push_back(
      contended(record("gemm", "openblas", "cpu", Precision::fp32, 256, 380, 0, 800)));
  const CriterionVerdict again = contention(twice);
  EXPECT_EQ(again.verdict, Verdict::fail);
  EXPECT_DOUBLE_EQ(*again.measured, 1);  // one problem, named once
  EXPECT_NE(again.reason.find("; contended again when re-measured)"), std::string::npos)
      << again.reason;
  EXPECT_EQ(again.reason.find("SGEMM", again.reason.find("re-measured")), std::string::npos)
      << again.reason;
  EXPECT_TRUE(contended_misses(spec, twice).empty());

  // Re-measured on a quiet machine: the quiet measurement stands for the problem.
  ResultsDocument quiet = doc;
  quiet.measurements.push_back(
      record("gemm", "openblas", "cpu", Precision::fp32, 256, 390, 0, 800));
  EXPECT_EQ(contention(quiet).verdict, Verdict::pass);
  EXPECT_EQ(contention(quiet).reason, "");
  EXPECT_TRUE(check(rows, quiet).passed);

  // A re-measurement that failed is no second contended measurement.
  ResultsDocument failed_again = twice;
  failed_again.measurements.back().disposition = Disposition::failed;
  EXPECT_EQ(contention(failed_again).reason.find("re-measured"), std::string::npos)
      << contention(failed_again).reason;

  // Many: each counted, the first three named.
  ResultsDocument busy_run;
  for (const int n : {64, 128, 256, 512, 1024}) {
    busy_run.measurements.push_back(
        contended(record("gemm", "openblas", "cpu", Precision::fp32, n, 380, 0, 800)));
  }
  const CriterionVerdict many = contention(busy_run);
  EXPECT_DOUBLE_EQ(*many.measured, 5);
  EXPECT_TRUE(many.reason.ends_with("; and 2 more")) << many.reason;
  EXPECT_EQ(many.reason.find("512x512x512"), std::string::npos) << many.reason;
}

// A miss on a measurement whose kernels ran vectors narrower than the peak's FMA units (OpenBLAS
// held to AVX2 by OPENBLAS_CORETYPE on an AVX-512 CPU) still fails, and says that cause.
TEST(AcceptanceJudge, AMissByKernelsNarrowerThanThePeakSaysSo) {
  const std::string rows = "cpu.sgemm.openblas.gflops,>=,500 GFLOP/s,,fail,any,\n";
  ResultsDocument doc = cpu_document();  // openblas at 400 GFLOP/s: below the bound
  const std::string narrow =
      "narrow vectors: 256-bit (OpenBLAS's Haswell kernels, with OPENBLAS_CORETYPE=Haswell set: "
      "unset it to let OpenBLAS choose), where the peak counts 2 x 512-bit FMA units a core: at "
      "most 50 % of it is within reach";
  doc.measurements[0].notes = {"OpenBLAS kernels: Haswell, with OPENBLAS_CORETYPE=Haswell set",
                               narrow};
  const CriterionVerdict missed = verdict_of(check(rows, doc), "cpu.sgemm.openblas.gflops");
  EXPECT_EQ(missed.verdict, Verdict::fail);
  EXPECT_EQ(missed.reason, "below the bound; " + narrow);
  // Passed: nothing to explain.
  const CriterionVerdict passed =
      verdict_of(check("cpu.sgemm.openblas.gflops,>=,300 GFLOP/s,,fail,any,\n", doc),
                 "cpu.sgemm.openblas.gflops");
  EXPECT_EQ(passed.verdict, Verdict::pass);
  EXPECT_EQ(passed.reason, "");
  // An upper bound missed: the note does not explain being above it.
  EXPECT_EQ(verdict_of(check("cpu.sgemm.openblas.gflops,<=,300 GFLOP/s,,fail,any,\n", doc),
                       "cpu.sgemm.openblas.gflops")
                .reason,
            "above the bound");
  // Without the note, the plain reason.
  doc.measurements[0].notes.pop_back();
  EXPECT_EQ(verdict_of(check(rows, doc), "cpu.sgemm.openblas.gflops").reason, "below the bound");
}

// A spec whose bounds are set for the standard profile's sizes, judging a quick run: a miss
// still fails, and says that the problems were smaller than the bounds are for.
TEST(AcceptanceJudge, AMissMeasuredWithAProfileTheSpecIsNotForSaysSo) {
  const std::string rows =
      "cpu.sgemm.openblas.gflops,>=,500 GFLOP/s,,fail,any,\n"
      "cpu.sgemm.omp.gflops,<=,100 GFLOP/s,,fail,any,\n";
  const Spec spec = parse_spec(
      "# profiles: standard, full, standard\n"
      "metric,comparator,bound,reference,severity,applies_to,description\n" +
          rows,
      "standard.csv");
  EXPECT_EQ(spec.profiles, (std::vector<std::string>{"standard", "full"}));
  ResultsDocument doc = cpu_document();  // quick: openblas at 400, omp at 200 GFLOP/s
  const AcceptanceResult quick = judge(spec, doc, "standard.csv", "now");
  const CriterionVerdict& missed = verdict_of(quick, "cpu.sgemm.openblas.gflops");
  EXPECT_EQ(missed.verdict, Verdict::fail);
  EXPECT_EQ(missed.reason,
            "below the bound; measured with the quick profile, where this spec's bounds are for "
            "standard or full");
  // Above an upper bound is not for want of size.
  EXPECT_EQ(verdict_of(quick, "cpu.sgemm.omp.gflops").reason, "above the bound");
  // A profile the spec is for, or a spec that names none: the plain reason.
  doc.run.profile = "full";
  EXPECT_EQ(verdict_of(judge(spec, doc, "standard.csv", "now"), "cpu.sgemm.openblas.gflops").reason,
            "below the bound");
  doc.run.profile = "quick";
  EXPECT_EQ(verdict_of(check(rows, doc), "cpu.sgemm.openblas.gflops").reason, "below the bound");
  // A quick run given its own sizes ran those, not the profile's.
  doc.run.command_line = {"flopbench", "run", "--profile", "quick", "--sizes", "4096"};
  EXPECT_EQ(verdict_of(judge(spec, doc, "standard.csv", "now"), "cpu.sgemm.openblas.gflops").reason,
            "below the bound");
  // A GPU far behind its siblings: they all ran the quick profile's problems.
  ResultsDocument gpus = h100_document(4, {50, 51, 49, 30});
  gpus.run.profile = "quick";
  const Spec gpu_spec = parse_spec(
      "# profiles: standard\n"
      "metric,comparator,bound,reference,severity,applies_to,description\n"
      "gpu.sgemm.cublas.tflops,>=,45 TFLOP/s,,fail,any,\n",
      "gpu.csv");
  const AcceptanceResult r = judge(gpu_spec, gpus, "gpu.csv", "now");
  EXPECT_EQ(verdict_of(r, "gpu3.sgemm.cublas.tflops", "0.9 * siblings").reason, "below the bound");
  EXPECT_EQ(verdict_of(r, "gpu3.sgemm.cublas.tflops", "45 TFLOP/s").reason,
            "below the bound; measured with the quick profile, where this spec's bounds are for "
            "standard");
}

// A spec generated from a 16-thread golden run judging a run on 8 CPU threads (a smaller
// machine, or --threads): a CPU miss says so; a GPU's does not, nor a run on 16 threads.
TEST(AcceptanceJudge, ACpuMissMeasuredWithOtherThreadsThanTheSpecsSaysSo) {
  const std::string header =
      "metric,comparator,bound,reference,severity,applies_to,description\n"
      "cpu.sgemm.openblas.gflops,>=,500 GFLOP/s,,fail,any,\n";
  const Spec spec = parse_spec("# threads: 16\n" + header, "t16.csv");
  EXPECT_EQ(spec.threads, 16);
  ResultsDocument doc = cpu_document();  // 8 threads: openblas at 400 GFLOP/s
  doc.run.profile = "standard";
  EXPECT_EQ(verdict_of(judge(spec, doc, "t16.csv", "now"), "cpu.sgemm.openblas.gflops").reason,
            "below the bound; measured with 8 threads on the CPU, where this spec's CPU bounds "
            "are for 16");
  doc.run.threads = 16;
  EXPECT_EQ(verdict_of(judge(spec, doc, "t16.csv", "now"), "cpu.sgemm.openblas.gflops").reason,
            "below the bound");
  // A spec that names no thread count: the plain reason.
  doc.run.threads = 8;
  EXPECT_EQ(verdict_of(judge(parse_spec(header, "any.csv"), doc, "any.csv", "now"),
                       "cpu.sgemm.openblas.gflops")
                .reason,
            "below the bound");
  // A GPU's rate is not the CPU threads'.
  ResultsDocument gpus = h100_document(2, {30, 30});
  gpus.run.threads = 8;
  const Spec gpu_spec = parse_spec(
      "# threads: 16\n"
      "metric,comparator,bound,reference,severity,applies_to,description\n"
      "gpu.sgemm.cublas.tflops,>=,45 TFLOP/s,,fail,any,\n",
      "gpu.csv");
  EXPECT_EQ(
      verdict_of(judge(gpu_spec, gpus, "gpu.csv", "now"), "gpu0.sgemm.cublas.tflops", "45 TFLOP/s")
          .reason,
      "below the bound");
}

TEST(AcceptanceJudge, GpuFarBehindItsSiblingsFailsDespiteTheAbsoluteBound) {
  // gpu5 clears the absolute bound (40 TFLOP/s) but is 16% below the others' median.
  const ResultsDocument doc = h100_document(8, {50, 51, 49.5, 50.5, 50, 42, 50, 49});
  const AcceptanceResult r = check("gpu.sgemm.cublas.tflops,>=,40 TFLOP/s,,fail,any,\n", doc);
  for (int i = 0; i < 8; ++i) {
    const std::string m = fmt::format("gpu{}.sgemm.cublas.tflops", i);
    EXPECT_EQ(verdict_of(r, m, "40 TFLOP/s").verdict, Verdict::pass) << m;
    EXPECT_EQ(verdict_of(r, m, "0.9 * siblings").verdict, i == 5 ? Verdict::fail : Verdict::pass)
        << m;
  }
  EXPECT_DOUBLE_EQ(*verdict_of(r, "gpu5.sgemm.cublas.tflops", "0.9 * siblings").bound, 0.9 * 50);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(count_verdicts(r, Verdict::fail), 1);

  // A spec's own siblings row sets the percentage and replaces the built-in one.
  const AcceptanceResult loose = check(
      "gpu.sgemm.cublas.tflops,>=,40 TFLOP/s,,fail,any,\n"
      "gpu.sgemm.cublas.tflops,>=,0.8 * siblings,,warn,any,\n",
      doc);
  EXPECT_TRUE(loose.passed);
  EXPECT_EQ(std::count_if(loose.criteria.begin(), loose.criteria.end(),
                          [](const auto& v) { return v.bound_text.ends_with("siblings"); }),
            8);

  // Of three GPUs, each is judged against the lower of the other two: two equal GPUs beside a
  // fast third pass (against the mean of 45 and 56.25 each would be 11 % below), a slow third
  // fails.
  const AcceptanceResult fast_third = check("gpu.sgemm.cublas.tflops,>=,30 TFLOP/s,,fail,any,\n",
                                            h100_document(3, {45, 45, 56.25}));
  EXPECT_TRUE(fast_third.passed);
  EXPECT_DOUBLE_EQ(*verdict_of(fast_third, "gpu0.sgemm.cublas.tflops", "0.9 * siblings").bound,
                   0.9 * 45);
  const AcceptanceResult slow_third =
      check("gpu.sgemm.cublas.tflops,>=,30 TFLOP/s,,fail,any,\n", h100_document(3, {45, 45, 36}));
  EXPECT_EQ(verdict_of(slow_third, "gpu2.sgemm.cublas.tflops", "0.9 * siblings").verdict,
            Verdict::fail);
  EXPECT_EQ(count_verdicts(slow_third, Verdict::fail), 1);

  // A GPU's siblings are of its model: an L4 beside two H100s is no slow H100.
  ResultsDocument mixed = h100_document(3, {50, 51, 20});
  mixed.environment.gpu.devices[2].name = "NVIDIA L4";
  const AcceptanceResult by_model =
      check("gpu.sgemm.cublas.tflops,>=,10 TFLOP/s,,fail,any,\n", mixed);
  EXPECT_TRUE(by_model.passed);
  EXPECT_DOUBLE_EQ(*verdict_of(by_model, "gpu0.sgemm.cublas.tflops", "0.9 * siblings").bound,
                   0.9 * 51);
  const CriterionVerdict& l4 = verdict_of(by_model, "gpu2.sgemm.cublas.tflops", "0.9 * siblings");
  EXPECT_EQ(l4.verdict, Verdict::pass);
  EXPECT_FALSE(l4.bound.has_value());  // none to compare with

  // One GPU has no sibling: no built-in rule, and an explicit one passes saying why.
  const ResultsDocument single = h100_document(1);
  const AcceptanceResult one = check("gpu.sgemm.cublas.tflops,>=,40 TFLOP/s,,fail,any,\n", single);
  EXPECT_EQ(one.criteria.size(), 4u);  // the row and the three run.* built-ins
  const AcceptanceResult explicit_one =
      check("gpu.sgemm.cublas.tflops,>=,0.9 * siblings,,fail,any,\n", single);
  EXPECT_EQ(explicit_one.criteria.front().verdict, Verdict::pass);
  EXPECT_NE(explicit_one.criteria.front().reason.find("no sibling"), std::string::npos);
}

// Where no theoretical peak is known, the runner relates compute rates to the peak workload's
// measured rate: a bound on the theoretical peak, or on a % of it, cannot stand on that ceiling,
// which a throttled machine lowers with everything else.
TEST(AcceptanceJudge, AMeasuredCeilingIsNoTheoreticalPeak) {
  ResultsDocument doc = h100_document(0);
  MeasurementRecord& cpu = doc.measurements.back();  // the CPU's DGEMM at 2000 GFLOP/s
  cpu.peak = {4000, std::string(Peak::kMeasuredCeiling) + "the peak workload's best rate"};
  cpu.percent_of_peak = 50;
  const AcceptanceResult r = check(
      "cpu.dgemm.openblas.gflops,>=,0.1 * peak,,fail,any,\n"
      "cpu.dgemm.openblas.percent_of_peak,>=,10 %,,fail,any,\n",
      doc);
  for (const CriterionVerdict& v : {r.criteria[0], r.criteria[1]}) {
    EXPECT_EQ(v.verdict, Verdict::fail) << v.metric;
    EXPECT_NE(v.reason.find("no theoretical peak: measured: "), std::string::npos) << v.reason;
  }
  EXPECT_FALSE(r.criteria[1].measured.has_value());
  // A peak of 0 (a hand-edited or foreign file) is none: it would pass every value.
  cpu.peak = {0, "test peak"};
  EXPECT_EQ(check("cpu.dgemm.openblas.gflops,>=,0.1 * peak,,fail,any,\n", doc).criteria[0].reason,
            "no theoretical peak: test peak");
  cpu.peak = {4000, "test peak"};
  // With a theoretical peak, the same rows pass.
  EXPECT_TRUE(check("cpu.dgemm.openblas.gflops,>=,0.1 * peak,,fail,any,\n"
                    "cpu.dgemm.openblas.percent_of_peak,>=,10 %,,fail,any,\n",
                    doc)
                  .passed);
}

// A siblings row on a machine with one GPU has nothing to compare with, but its measurement must
// still be there.
TEST(AcceptanceJudge, ASiblingsRowWithoutItsMeasurementFailsOnOneGpu) {
  const CriterionVerdict v =
      check("gpu.sum_fp32.cub.gbytes_per_s,>=,0.95 * siblings,,fail,any,\n", h100_document(1))
          .criteria.front();
  EXPECT_EQ(v.metric, "gpu0.sum_fp32.cub.gbytes_per_s");
  EXPECT_EQ(v.verdict, Verdict::fail);
  EXPECT_FALSE(v.measured.has_value());
  EXPECT_NE(v.reason.find("not measured"), std::string::npos) << v.reason;
}

// A task of a one-task-per-GPU fleet (--gpus local-rank, every GPU visible) measures its own GPU,
// and its siblings' processes run on theirs: it is judged on its GPU alone, while a row that
// names a sibling's GPU, or counts the machine's GPUs, still reads the machine.
TEST(AcceptanceJudge, ATaskGivenOneGpuIsJudgedOnItsGpuAlone) {
  ResultsDocument doc = h100_document(2, {50, 20});
  std::erase_if(doc.measurements, [](const MeasurementRecord& r) {
    return r.device == DeviceRef::gpu({1});  // measured by the task of local rank 1
  });
  doc.environment.health = MachineHealth{.gpu_source = "nvml"};
  for (int i = 0; i < 2; ++i) {
    GpuHealth g{.index = i, .nvml_index = i, .cuda_visible = true, .name = "NVIDIA H100 80GB HBM3"};
    g.facts["processes.other"] = HealthFact::of(i);  // the sibling task on gpu1
    doc.environment.health->gpus.push_back(std::move(g));
  }
  const std::string rows =
      "gpu.sgemm.cublas.tflops,>=,40 TFLOP/s,,fail,any,\n"
      "gpu.processes.other,==,0,,fail,any,\n"
      "gpu.count,==,2,,fail,any,\n";
  const std::string named = "gpu1.stream_fp64.cuda.gbytes_per_s,>=,2000 GB/s,,fail,any,\n";

  // Judged as a run of every GPU, the sibling's GPU is unmeasured and busy.
  const AcceptanceResult all = check(rows + named, doc);
  EXPECT_EQ(verdict_of(all, "gpu1.sgemm.cublas.tflops", "40 TFLOP/s").verdict, Verdict::fail);
  EXPECT_EQ(verdict_of(all, "gpu1.processes.other").verdict, Verdict::fail);
  EXPECT_FALSE(all.passed);

  doc.run.gpus = {0};
  const AcceptanceResult own = check(rows, doc);
  EXPECT_TRUE(own.passed);
  // gpu1 at 20 TFLOP/s is no sibling of gpu0's: it is another task's (no built-in siblings row).
  EXPECT_EQ(own.criteria.size(), 6u);  // the three rows and the three run.* built-ins
  for (const CriterionVerdict& v : own.criteria) {
    EXPECT_EQ(v.metric.find("gpu1"), std::string::npos) << v.metric << " judged in gpu0's task";
    EXPECT_EQ(v.verdict, Verdict::pass) << v.metric << ": " << v.reason;
  }
  EXPECT_EQ(verdict_of(own, "gpu0.sgemm.cublas.tflops", "40 TFLOP/s").verdict, Verdict::pass);
  EXPECT_EQ(verdict_of(own, "gpu0.processes.other").verdict, Verdict::pass);
  EXPECT_EQ(*verdict_of(own, "gpu.count").measured, 2);  // the machine's GPUs, not the task's

  const CriterionVerdict sibling = check(rows + named, doc).criteria.at(3);
  EXPECT_EQ(sibling.metric, "gpu1.stream_fp64.cuda.gbytes_per_s");
  EXPECT_EQ(sibling.verdict, Verdict::fail);
  EXPECT_EQ(sibling.reason,
            "not measured: gpu1 is not among the GPUs this run was given (--gpus 0)");

  // On a node of two models, a row for the model this task was not given is another task's to
  // judge: listed as not judged, saying why.
  ResultsDocument mixed = doc;
  mixed.environment.gpu.devices[1].name = "NVIDIA A10";
  mixed.environment.health->gpus[1].name = "NVIDIA A10";
  const AcceptanceResult a10 = check(rows +
                                         "gpu.sgemm.cublas.tflops,>=,20 TFLOP/s,,fail,NVIDIA A10,\n"
                                         "gpu.processes.other,==,0,,fail,NVIDIA A10,\n",
                                     mixed);
  EXPECT_TRUE(a10.passed);
  ASSERT_EQ(a10.not_applied.size(), 2u);
  EXPECT_EQ(a10.not_applied[0],
            "line 5: gpu.sgemm.cublas.tflops >= 20 TFLOP/s, for NVIDIA A10 (the machine's are not "
            "among the GPUs --gpus gave this run)");

  // A GPU the driver lists as lost is every task's to report: it may be a sibling's that no
  // task could measure.
  doc.environment.health->gpus.push_back(
      GpuHealth{.index = 2, .nvml_index = 2, .lost = true, .name = ""});
  const AcceptanceResult lost = check("gpu.processes.other,==,0,,fail,any,\n", doc);
  EXPECT_EQ(verdict_of(lost, "nvml2.processes.other").verdict, Verdict::fail);
  EXPECT_FALSE(lost.passed);
  // CUDA's GPUs first, then those it does not see.
  std::vector<std::string> judged;
  for (const CriterionVerdict& v : lost.criteria) {
    if (v.metric.ends_with(".processes.other")) judged.push_back(v.metric);
  }
  EXPECT_EQ(judged, (std::vector<std::string>{"gpu0.processes.other", "nvml2.processes.other"}));
}

// Rows for GPUs this machine lacks are listed as not judged, and they replace no built-in
// criterion: a multi-SKU spec's relaxed run.unverified or siblings row for another model must
// not switch this machine's checks off.
TEST(AcceptanceJudge, RowsForOtherGpusAreListedAndReplaceNoBuiltIn) {
  ResultsDocument doc = h100_document(8, {50, 51, 49.5, 50.5, 50, 42, 50, 49});
  doc.measurements.back().disposition = Disposition::incorrect;  // the CPU's DGEMM
  const AcceptanceResult r = check(
      "gpu.sgemm.cublas.tflops,>=,40 TFLOP/s,,fail,ANY,\n"
      "run.unverified,<=,5,,warn,NVIDIA A100-SXM4-*,\n"
      "gpu.sgemm.cublas.tflops,>=,0.5 * siblings,,warn,NVIDIA A100-SXM4-*,\n",
      doc);
  const CriterionVerdict& unverified = verdict_of(r, "run.unverified");
  EXPECT_EQ(unverified.bound_text, "0");  // the built-in one
  EXPECT_EQ(unverified.verdict, Verdict::fail);
  EXPECT_EQ(verdict_of(r, "gpu5.sgemm.cublas.tflops", "0.9 * siblings").verdict, Verdict::fail);
  EXPECT_EQ(verdict_of(r, "gpu0.sgemm.cublas.tflops", "40 TFLOP/s").verdict, Verdict::pass)
      << "'ANY' is 'any'";
  EXPECT_EQ(r.not_applied,
            (std::vector<std::string>{
                "line 3: run.unverified <= 5, for NVIDIA A100-SXM4-*",
                "line 4: gpu.sgemm.cublas.tflops >= 0.5 * siblings, for NVIDIA A100-SXM4-*"}));
  // A spec none of whose rows applies fails as a whole instead, listing nothing.
  const AcceptanceResult none = check("gpu.count,>=,1,,fail,Tesla T4,\n", doc);
  EXPECT_EQ(none.criteria.front().metric, "spec.applies");
  EXPECT_TRUE(none.not_applied.empty());
}

TEST(AcceptanceJudge, SpecForAnotherGpuFails) {
  const ResultsDocument doc = h100_document(2);
  const Spec t4 = read_spec(kShippedSpecs / "t4.csv");
  const AcceptanceResult r = judge(t4, doc, "t4.csv", "now");
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.criteria.front().metric, "spec.applies");
  EXPECT_NE(r.criteria.front().reason.find("it is for Tesla T4; this machine has NVIDIA H100"),
            std::string::npos)
      << r.criteria.front().reason;
}

// A spec for another GPU with a row for the host or the CPU added (`cpu.count`, `run.contended`,
// as this guide suggests) still fails: that row applying is no sign the spec is this machine's.
// A row for `any` on a GPU metric judges this machine's GPUs, and so makes the spec its own.
TEST(AcceptanceJudge, ASpecForAnotherGpuFailsWhateverItsRowsForAnyApply) {
  const ResultsDocument doc = h100_document(2);
  Spec t4 = read_spec(kShippedSpecs / "t4.csv");
  Spec with_host = parse_spec(read_text(kShippedSpecs / "t4.csv") +
                                  "\nrun.contended,==,0,,fail,any,host row\n"
                                  "cpu.dgemm.openblas.gflops,>=,1 GFLOP/s,,fail,any,CPU row\n",
                              "t4-and-host.csv");
  const AcceptanceResult r = judge(with_host, doc, "t4-and-host.csv", "now");
  EXPECT_FALSE(r.passed);
  ASSERT_EQ(r.criteria.front().metric, "spec.applies");
  EXPECT_EQ(r.criteria.front().verdict, Verdict::fail);
  EXPECT_NE(r.criteria.front().reason.find(
                "no criterion of t4-and-host.csv keyed to a GPU applies to this machine: it is "
                "for Tesla T4; this machine has NVIDIA H100"),
            std::string::npos)
      << r.criteria.front().reason;
  EXPECT_EQ(r.not_applied.size(), t4.criteria.size());  // the T4's rows, listed
  EXPECT_EQ(verdict_of(r, "cpu.dgemm.openblas.gflops").verdict, Verdict::pass);  // still judged

  // A GPU row for any GPU judges the H100s: the spec applies, its T4 rows not judged.
  const AcceptanceResult any_gpu = check(
      "gpu.count,>=,1,,fail,Tesla T4,\n"
      "gpu.sgemm.cublas.tflops,>=,1 TFLOP/s,,fail,any,\n",
      doc);
  EXPECT_TRUE(any_gpu.passed) << any_gpu.criteria.front().reason;
  EXPECT_EQ(any_gpu.not_applied.size(), 1u);
  // A health row for every GPU is no measurement of this machine's GPUs either.
  EXPECT_EQ(check("gpu.count,>=,1,,fail,Tesla T4,\n"
                  "gpu.processes.other,==,0,,fail,any,\n",
                  doc)
                .criteria.front()
                .metric,
            "spec.applies");
  // A spec of rows for any alone is every machine's.
  EXPECT_TRUE(check("cpu.dgemm.openblas.gflops,>=,1 GFLOP/s,,fail,any,\n", doc).passed);
}

TEST(AcceptanceSpec, AppliesToMatchesTheGpuNameOrItsPciDeviceId) {
  const GpuDevice h100{.name = "NVIDIA H100 80GB HBM3", .pci_device_id = "10de:2330"};
  EXPECT_TRUE(applies_to_gpu("10de:2330", h100));
  EXPECT_TRUE(applies_to_gpu("10DE:233?", h100));
  EXPECT_TRUE(applies_to_gpu("nvidia h100*", h100));
  EXPECT_TRUE(applies_to_gpu("any", h100));
  EXPECT_FALSE(applies_to_gpu("10de:20b0", h100));  // an A100
  EXPECT_FALSE(applies_to_gpu("10de:2330", GpuDevice{.name = "NVIDIA H100 80GB HBM3"}));
}

// ---- outputs ----------------------------------------------------------------------------------

// Whether `xml` is well-formed, by xmllint (scripts/install-deps.sh --test installs it).
bool well_formed(const std::string& xml, const fs::path& dir) {
  const fs::path file = dir / "check.xml";
  write_file_atomically(file, xml);
  return std::system(fmt::format("xmllint --noout '{}'", file.string()).c_str()) == 0;
}

int occurrences(const std::string& s, const std::string& what) {
  int n = 0;
  for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) ++n;
  return n;
}

TEST(AcceptanceOutput, JUnitIsWellFormedWithOneTestcasePerCriterion) {
  TempDir dir;
  ResultsDocument doc = h100_document(2);
  doc.acceptance = check(
      "gpu.sgemm.cublas.tflops,>=,60 TFLOP/s,,fail,any,\"<b>&'quoted'\"\"\"\n"
      "gpu.count,==,2,,fail,any,two\n"
      "gpu.stream_fp64.cuda.gbytes_per_s,>=,4 TB/s,,warn,any,warned\n",
      doc);
  const AcceptanceResult& r = *doc.acceptance;
  // Per GPU: SGEMM, STREAM and a built-in sibling rule for each; then gpu.count and run.*.
  EXPECT_EQ(r.criteria.size(), 12u);
  const std::string xml = AcceptanceJunitPrinter("node7 <&>").print(doc);
  ASSERT_TRUE(well_formed(xml, dir.path())) << xml;
  EXPECT_EQ(occurrences(xml, "<testcase "), int(r.criteria.size()));
  EXPECT_EQ(occurrences(xml, "<failure "), count_verdicts(r, Verdict::fail));
  EXPECT_EQ(count_verdicts(r, Verdict::fail), 2);
  EXPECT_NE(xml.find(fmt::format("tests=\"{}\" failures=\"2\"", r.criteria.size())),
            std::string::npos);
  EXPECT_NE(xml.find("message=\"measured 50.0 TFLOP/s, bound &gt;= 60.0 TFLOP/s: below the "
                     "bound\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("&lt;b&gt;&amp;&#39;quoted&#39;&quot;"), std::string::npos);
  EXPECT_NE(xml.find("<system-out>WARN: "), std::string::npos);

  // Control characters and invalid UTF-8 in text from a results file cannot break the XML.
  ResultsDocument odd = doc;
  odd.acceptance->criteria[0].description = std::string("bell\x07 and \xff");
  EXPECT_TRUE(well_formed(AcceptanceJunitPrinter("h").print(odd), dir.path()));
}

// The rows not judged here show in every output: a JUnit <skipped> case each, a list on the
// console, in report.md and report.html, and a field of results.json (absent from older files).
TEST(AcceptanceOutput, RowsForOtherGpusShowAsNotJudgedEverywhere) {
  TempDir dir;
  ResultsDocument doc = h100_document(1);
  doc.acceptance = check(
      "gpu.count,>=,1,,fail,NVIDIA H100*,\n"
      "gpu.stream_fp64.cuda.gbytes_per_s,>=,1555 GB/s,,fail,NVIDIA A100-SXM4-40GB,\n",
      doc);
  const std::string row =
      "line 3: gpu.stream_fp64.cuda.gbytes_per_s >= 1555 GB/s, for NVIDIA "
      "A100-SXM4-40GB";
  ASSERT_EQ(doc.acceptance->not_applied, std::vector<std::string>{row});
  const std::string xml = AcceptanceJunitPrinter("node7").print(doc);
  ASSERT_TRUE(well_formed(xml, dir.path())) << xml;
  EXPECT_EQ(occurrences(xml, "<testcase "), int(doc.acceptance->criteria.size()) + 1);
  EXPECT_EQ(occurrences(xml, "<skipped "), 1);
  EXPECT_NE(xml.find("<skipped message=\"this run had no GPU the row is for (the machine, or "
                     "--gpus)\"/>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("skipped=\"1\""), std::string::npos) << xml;
  const std::string escaped =
      "line 3: gpu.stream_fp64.cuda.gbytes_per_s &gt;= 1555 GB/s, for "
      "NVIDIA A100-SXM4-40GB";
  EXPECT_NE(xml.find("name=\"" + escaped + "\""), std::string::npos) << xml;
  const std::string console = AcceptanceConsolePrinter().print(doc);
  EXPECT_NE(console.find("not judged: the spec's rows for GPUs this run did not have\n  " + row),
            std::string::npos)
      << console;
  EXPECT_NE(console.find("; 1 spec row for other GPUs not judged"), std::string::npos) << console;
  EXPECT_NE(MarkdownPrinter().print(doc).find("\n- " + row + "\n"), std::string::npos);
  EXPECT_NE(HtmlPrinter().print(doc).find("<li>" + escaped + "</li>"), std::string::npos);
  json j = to_json(doc);
  EXPECT_EQ(results_from_json(j).acceptance->not_applied, std::vector<std::string>{row});
  j["acceptance"].erase("not_applied");
  EXPECT_TRUE(results_from_json(j).acceptance->not_applied.empty());
}

TEST(AcceptanceOutput, VerdictRoundTripsThroughResultsJsonAndShowsInReport) {
  ResultsDocument doc = h100_document(1);
  EXPECT_EQ(MarkdownPrinter().print(doc).find("## Acceptance"), std::string::npos);
  doc.acceptance = check("gpu.sgemm.cublas.tflops,>=,60 TFLOP/s,,fail,any,desc\n", doc);
  const json j = to_json(doc);
  EXPECT_TRUE(j.at("acceptance").is_object());
  const ResultsDocument back = results_from_json(j);
  ASSERT_TRUE(back.acceptance.has_value());
  EXPECT_EQ(to_json(back), j);
  const std::string md = MarkdownPrinter().print(doc);
  EXPECT_NE(md.find("## Acceptance"), std::string::npos);
  EXPECT_NE(md.find("| FAIL    | gpu0.sgemm.cublas.tflops"), std::string::npos) << md;

  // Files from before `check` existed (no key) and unchecked runs (null) read the same.
  json without = j;
  without.erase("acceptance");
  EXPECT_FALSE(results_from_json(without).acceptance.has_value());
  json null = j;
  null["acceptance"] = nullptr;
  EXPECT_FALSE(results_from_json(null).acceptance.has_value());
  json bad = j;
  bad["acceptance"]["criteria"][0]["measured"] = "lots";
  EXPECT_THROW(results_from_json(bad), InputError);
}

// ---- generate, then check ---------------------------------------------------------------------

TEST(AcceptanceGenerate, GoldenRunPassesItsOwnSpecAndAWeakerMachineFails) {
  const ResultsDocument golden = h100_document(4, {50, 52, 51, 49});
  for (const double ratio : {1.0, 0.9}) {
    const Spec spec = parse_spec(generate_spec(golden, ratio, "golden/results.json"), "gen.csv");
    EXPECT_EQ(spec.criteria.front().metric.name, "gpu.count");
    ResultsDocument judged = golden;
    judged.acceptance = judge(spec, golden, "gen.csv", "now");
    EXPECT_TRUE(judged.acceptance->passed) << AcceptanceConsolePrinter().print(judged);
  }
  const std::string text = generate_spec(golden, 0.9, "golden/results.json");
  EXPECT_NE(text.find("gpu.sgemm.cublas.tflops,>=,0.9 * reference,49 TFLOP/s,fail,NVIDIA H100 "
                      "80GB HBM3,\"golden 49.0 TFLOP/s (slowest of 4 GPUs), 8192x8192x8192\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("cpu.dgemm.openblas.gflops,>=,0.9 * reference,2000 GFLOP/s"),
            std::string::npos);
  // Its bounds are for the golden run's profile.
  EXPECT_EQ(parse_spec(text, "gen.csv").profiles, std::vector<std::string>{"standard"});
  // And for its CPU thread count.
  EXPECT_NE(text.find(fmt::format("\n# threads: {}\n", golden.run.threads)), std::string::npos);
  EXPECT_EQ(parse_spec(text, "gen.csv").threads, golden.run.threads);

  // A fleet machine 12% slower on SGEMM than the golden's slowest GPU fails at ratio 0.9.
  const Spec spec = parse_spec(text, "gen.csv");
  const AcceptanceResult slow = judge(spec, h100_document(4, {43, 43, 43, 43}), "gen.csv", "now");
  EXPECT_FALSE(slow.passed);
  EXPECT_EQ(count_verdicts(slow, Verdict::fail), 4);
}

// A CPU bandwidth partly of the cache moves between two runs of one command by more than a ratio
// allows: its row only warns, and says why.
TEST(AcceptanceGenerate, APartlyCacheBandwidthOnlyWarns) {
  ResultsDocument golden = cpu_document();
  const std::string beyond = generate_spec(golden, 0.9, "golden/results.json");
  EXPECT_NE(beyond.find("cpu.stream_fp64.omp.gbytes_per_s,>=,0.9 * reference,20 GB/s,fail,any,"),
            std::string::npos)
      << beyond;
  golden.environment.cpu.caches.push_back(
      {.level = 3, .type = "Unified", .size_bytes = 256LL << 20, .instances = 1});
  const std::string text = generate_spec(golden, 0.9, "golden/results.json");
  EXPECT_NE(text.find("cpu.stream_fp64.omp.gbytes_per_s,>=,0.9 * reference,20 GB/s,warn,any,"
                      "\"golden 20.0 GB/s, 4194304; partly cache bandwidth, which moves between "
                      "runs: a warning\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("cpu.sgemm.omp.gflops,>=,0.9 * reference,200 GFLOP/s,fail,"),
            std::string::npos)
      << text;
}

// A golden run from a build with an implementation this one lacks: its row is left out, with a
// comment saying why, and the spec stays one this build reads and judges.
TEST(AcceptanceGenerate, AnImplementationThisBuildLacksIsLeftOutWithAComment) {
  ResultsDocument golden = h100_document(1);
  golden.measurements.push_back(
      record("gemm", "newer-gemm", "cpu", Precision::fp64, 1024, 3000, 0, 4000));
  const std::string text = generate_spec(golden, 0.9, "golden/results.json");
  EXPECT_NE(text.find("# left out: unknown metric 'cpu.dgemm.newer-gemm.gflops': unknown cpu "
                      "implementation 'newer-gemm'"),
            std::string::npos)
      << text;
  const Spec spec = parse_spec(text, "gen.csv");
  EXPECT_TRUE(std::none_of(spec.criteria.begin(), spec.criteria.end(), [](const Criterion& c) {
    return c.metric.name.find("newer-gemm") != std::string::npos;
  }));
  EXPECT_TRUE(judge(spec, golden, "gen.csv", "now").passed);

  // A name with line breaks stays inside its comment: no row of its making.
  golden.measurements.back().implementation = "x\ncpu.sgemm.omp.gflops,>=,0,,fail,any,y\n#";
  golden.environment.host = "node7\ngpu.count,==,0,,fail,any,z";
  const Spec hostile = parse_spec(generate_spec(golden, 0.9, "golden/results.json"), "gen.csv");
  EXPECT_TRUE(
      std::none_of(hostile.criteria.begin(), hostile.criteria.end(), [](const Criterion& c) {
        return c.metric.name == "cpu.sgemm.omp.gflops" || c.bound_text == "0";
      }));
}

// The machine aggregate (several GPUs at once) is no GPU's figure: it gets no row of its own and
// does not change any GPU row, wherever it stands in the document.
TEST(AcceptanceGenerate, MachineAggregateIsNotAGpuReference) {
  const ResultsDocument golden = h100_document(4, {50, 52, 51, 49});
  ResultsDocument with_aggregate = golden;
  const auto gemm = std::find_if(golden.measurements.begin(), golden.measurements.end(),
                                 [](const auto& m) { return m.device == DeviceRef::gpu({0}); });
  ASSERT_NE(gemm, golden.measurements.end());
  MeasurementRecord all = *gemm;
  all.device = DeviceRef::gpu({0, 1, 2, 3});
  *all.gflops *= 3.9;
  with_aggregate.measurements.insert(with_aggregate.measurements.begin(), all);
  EXPECT_EQ(generate_spec(with_aggregate, 0.9, "golden/results.json"),
            generate_spec(golden, 0.9, "golden/results.json"));
}

// A machine of two GPU models gets rows of each: its count, and references from its own GPUs, so
// that the golden machine passes its own spec and neither model is held to the other's speed.
TEST(AcceptanceGenerate, EachGpuModelHasItsOwnCountAndReferences) {
  ResultsDocument golden = h100_document(2, {50, 5});
  golden.environment.gpu.devices[1].name = "NVIDIA L4";
  const std::string text = generate_spec(golden, 0.9, "golden/results.json");
  EXPECT_NE(text.find("gpu.count,==,1,,fail,NVIDIA H100 80GB HBM3,the golden run had 1 GPU of "
                      "this model\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("gpu.count,==,1,,fail,NVIDIA L4,"), std::string::npos) << text;
  EXPECT_NE(text.find("gpu.sgemm.cublas.tflops,>=,0.9 * reference,50 TFLOP/s,fail,NVIDIA H100 "
                      "80GB HBM3,"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("gpu.sgemm.cublas.tflops,>=,0.9 * reference,5 TFLOP/s,fail,NVIDIA L4,"),
            std::string::npos)
      << text;
  const Spec spec = parse_spec(text, "gen.csv");
  ResultsDocument judged = golden;
  judged.acceptance = judge(spec, golden, "gen.csv", "now");
  EXPECT_TRUE(judged.acceptance->passed) << AcceptanceConsolePrinter().print(judged);
  // The H100 at a tenth of its speed fails, though it is as fast as the L4.
  ResultsDocument slow = h100_document(2, {5, 5});
  slow.environment.gpu.devices[1].name = "NVIDIA L4";
  EXPECT_FALSE(judge(spec, slow, "gen.csv", "now").passed);
  // So does the machine without one of its models: the count of every GPU holds it.
  EXPECT_NE(text.find("gpu.count,==,2,,fail,any,the golden run had 2 GPUs\n"), std::string::npos)
      << text;
  for (const int lost : {1, 0}) {
    ResultsDocument without = golden;
    without.environment.gpu.devices.erase(without.environment.gpu.devices.begin() + lost);
    std::erase_if(without.measurements,
                  [&](const MeasurementRecord& r) { return r.device == DeviceRef::gpu({lost}); });
    EXPECT_FALSE(judge(spec, without, "gen.csv", "now").passed) << "without gpu" << lost;
  }
}

// ---- the command end to end -------------------------------------------------------------------

class Check : public ::testing::Test {
 protected:
  Outcome flopbench(const std::vector<std::string>& args) {
    return run_flopbench(args, dir_.path() / "capture");
  }
  fs::path write_results(const ResultsDocument& doc, const std::string& name = "run") {
    const fs::path d = dir_.path() / name;
    fs::create_directories(d);
    EXPECT_EQ(write_outputs(doc, d, true), "");
    return d / "results.json";
  }
  fs::path write_spec(const std::string& rows, const std::string& name = "spec.csv") {
    const fs::path p = dir_.path() / name;
    write_file_atomically(p, "metric,comparator,bound,severity,applies_to,description\n" + rows);
    return p;
  }
  TempDir dir_;
};

TEST_F(Check, ExitCodesAndTheVerdictInTheResultsDirectory) {
  const fs::path results = write_results(cpu_document());
  const json before = json::parse(read_text(results));

  const fs::path pass = write_spec("cpu.sgemm.openblas.gflops,>=,0.4 * peak,fail,any,openblas\n");
  const Outcome ok = flopbench({"check", "--spec", pass.string(), "--results", results.string(),
                                "--junit", (dir_.path() / "junit.xml").string()});
  EXPECT_EQ(ok.status, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("PASS: 4 criteria, 4 passed, 0 failed, 0 warned"), std::string::npos)
      << ok.out;
  // The measurements are untouched; the verdict is added.
  json after = json::parse(read_text(results));
  EXPECT_TRUE(after.at("acceptance").at("passed").get<bool>());
  EXPECT_EQ(after.at("measurements"), before.at("measurements"));
  after.erase("acceptance");
  json before_without = before;
  before_without.erase("acceptance");
  EXPECT_EQ(after, before_without);
  EXPECT_NE(read_text(results.parent_path() / "report.md").find("## Acceptance"),
            std::string::npos);
  EXPECT_TRUE(well_formed(read_text(dir_.path() / "junit.xml"), dir_.path()));
  // The judged machine's name, not that of the machine that judged it.
  EXPECT_NE(read_text(dir_.path() / "junit.xml").find("hostname=\"cpubox\""), std::string::npos);
  // A check that gives no verdict (a bad spec) leaves no earlier check's JUnit file behind, to
  // be read as its own.
  const fs::path bad = write_spec("cpu.sgemm.openblas.gflops,=>,1,fail,any,x\n", "bad.csv");
  const Outcome no_verdict =
      flopbench({"check", "--spec", bad.string(), "--results", results.string(), "--junit",
                 (dir_.path() / "junit.xml").string()});
  EXPECT_EQ(no_verdict.status, 2) << no_verdict.out << no_verdict.err;
  EXPECT_FALSE(fs::exists(dir_.path() / "junit.xml"));
  // Nor does one whose --out names a placeholder it cannot fill ({rank} with no launcher).
  write_file_atomically(dir_.path() / "junit.xml", "<testsuites>PASS</testsuites>");
  const Outcome no_rank =
      flopbench({"check", "--spec", bad.string(), "--out", (dir_.path() / "{rank}").string(),
                 "--junit", (dir_.path() / "junit.xml").string()});
  EXPECT_EQ(no_rank.status, 2) << no_rank.out << no_rank.err;
  EXPECT_FALSE(fs::exists(dir_.path() / "junit.xml"));
  // Through a link, the file it names is emptied and the link stays; a link to a device
  // (/dev/null, as /dev/stdout is one) is written through, neither removed nor replaced.
  write_file_atomically(dir_.path() / "old.xml", "<testsuites>PASS</testsuites>");
  fs::create_symlink(dir_.path() / "old.xml", dir_.path() / "linked.xml");
  EXPECT_EQ(flopbench({"check", "--spec", bad.string(), "--results", results.string(), "--junit",
                       (dir_.path() / "linked.xml").string()})
                .status,
            2);
  EXPECT_TRUE(fs::is_symlink(dir_.path() / "linked.xml"));
  EXPECT_EQ(read_text(dir_.path() / "old.xml"), "");
  fs::create_symlink("/dev/null", dir_.path() / "null.xml");
  const Outcome to_device =
      flopbench({"check", "--spec", pass.string(), "--results", results.string(), "--junit",
                 (dir_.path() / "null.xml").string()});
  EXPECT_EQ(to_device.status, 0) << to_device.out << to_device.err;
  EXPECT_TRUE(fs::is_symlink(dir_.path() / "null.xml"));
  // A JUnit path under a file, found when it is written after the verdict: exit 3, a file not
  // written, not 2, which says there is no verdict.
  std::ofstream(dir_.path() / "a-file") << "x";
  const Outcome under_a_file =
      flopbench({"check", "--spec", pass.string(), "--results", results.string(), "--junit",
                 (dir_.path() / "a-file" / "junit.xml").string()});
  EXPECT_EQ(under_a_file.status, 3) << under_a_file.out << under_a_file.err;
  EXPECT_NE(under_a_file.out.find("PASS"), std::string::npos) << under_a_file.out;
  EXPECT_NE(under_a_file.err.find(": Not a directory"), std::string::npos) << under_a_file.err;
  // A JUnit file named as a report check writes again beside the record is refused.
  const Outcome over_report =
      flopbench({"check", "--spec", pass.string(), "--results", results.string(), "--junit",
                 (results.parent_path() / "report.md").string()});
  EXPECT_EQ(over_report.status, 2);
  EXPECT_NE(over_report.err.find("is the report.md that flopbench writes beside"),
            std::string::npos)
      << over_report.err;
  // So is one beside a copy of the record under another name, or reached through a link to the
  // run's directory.
  fs::copy_file(results, results.parent_path() / "copy.json");
  fs::create_directory_symlink(results.parent_path(), dir_.path() / "linked-run");
  for (const auto& [record, junit] :
       {std::pair{results.parent_path() / "copy.json", results.parent_path() / "report.md"},
        std::pair{dir_.path() / "linked-run", results.parent_path() / "report.html"},
        std::pair{results, dir_.path() / "linked-run" / "results.csv"}}) {
    const Outcome beside = flopbench({"check", "--spec", pass.string(), "--results",
                                      record.string(), "--junit", junit.string()});
    EXPECT_EQ(beside.status, 2) << record << " " << junit << beside.err;
    EXPECT_NE(beside.err.find("that flopbench writes beside"), std::string::npos) << beside.err;
  }
  // Measuring, over a report of the run it is about to make: refused before anything is measured.
  const fs::path new_run = dir_.path() / "new-run";
  const Outcome over_new = flopbench({"check", "--spec", pass.string(), "--out", new_run.string(),
                                      "--junit", (new_run / "report.md").string()});
  EXPECT_EQ(over_new.status, 2) << over_new.err;
  EXPECT_NE(over_new.err.find("is the report.md that flopbench writes beside"), std::string::npos)
      << over_new.err;
  EXPECT_FALSE(fs::exists(new_run));
  // The same with the run's directory named by placeholders: it is where they put it.
  const Outcome over_placeholder = flopbench(
      {"check", "--spec", pass.string(), "--out", (dir_.path() / "{host}-run").string(), "--junit",
       (dir_.path() / (path_component(host_name()) + "-run") / "report.md").string()});
  EXPECT_EQ(over_placeholder.status, 2) << over_placeholder.err;
  EXPECT_NE(over_placeholder.err.find("is the report.md that flopbench writes beside"),
            std::string::npos)
      << over_placeholder.err;
  // A link to nothing is refused, not written through (bad input, as for --out): nothing is
  // created where it points.
  fs::create_symlink(dir_.path() / "nowhere.xml", dir_.path() / "dangling.xml");
  const Outcome dangling =
      flopbench({"check", "--spec", pass.string(), "--results", results.string(), "--junit",
                 (dir_.path() / "dangling.xml").string()});
  EXPECT_EQ(dangling.status, 2) << dangling.err;
  EXPECT_NE(dangling.err.find("dangling.xml: is a symbolic link to "), std::string::npos)
      << dangling.err;
  EXPECT_FALSE(fs::exists(dir_.path() / "nowhere.xml"));
  const Outcome generated = flopbench({"spec", "generate", "--from", results.string(), "--ratio",
                                       "0.9", "--out", (dir_.path() / "dangling.xml").string()});
  EXPECT_EQ(generated.status, 2) << generated.err;
  EXPECT_FALSE(fs::exists(dir_.path() / "nowhere.xml"));

  const fs::path fail = write_spec("cpu.sgemm.openblas.gflops,>=,0.6 * peak,fail,any,x\n", "f.csv");
  const Outcome failed =
      flopbench({"check", "--spec", fail.string(), "--results", results.string()});
  EXPECT_EQ(failed.status, 1) << failed.out << failed.err;
  EXPECT_NE(failed.out.find("FAIL     cpu.sgemm.openblas.gflops"), std::string::npos) << failed.out;
  EXPECT_FALSE(json::parse(read_text(results)).at("acceptance").at("passed").get<bool>());

  // A warning alone passes.
  const fs::path warn = write_spec("cpu.sgemm.openblas.gflops,>=,0.6 * peak,warn,any,x\n", "w.csv");
  EXPECT_EQ(flopbench({"check", "--spec", warn.string(), "--results", results.string()}).status, 0);
}

// The verdict goes through the results model, which keeps the fields this version does not know.
TEST_F(Check, TheVerdictKeepsFieldsThisVersionDoesNotKnow) {
  const fs::path results = write_results(cpu_document());
  json before = json::parse(read_text(results));
  before["future"] = {{"a", 1}};
  before["measurements"][0]["future"] = "kept";
  write_file_atomically(results, before.dump(2));

  const fs::path pass = write_spec("cpu.sgemm.openblas.gflops,>=,0.4 * peak,fail,any,openblas\n");
  const Outcome ok = flopbench({"check", "--spec", pass.string(), "--results", results.string()});
  EXPECT_EQ(ok.status, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("verdict recorded in " + results.string()), std::string::npos) << ok.out;
  json after = json::parse(read_text(results));
  EXPECT_TRUE(after.at("acceptance").at("passed").get<bool>());
  EXPECT_EQ(after.at("future"), before.at("future"));
  EXPECT_EQ(after.at("measurements").at(0).at("future"), "kept");
  after.erase("acceptance");
  before.erase("acceptance");
  EXPECT_EQ(after, before);

  // A new verdict replaces the old one whole, with what a later version had added to it.
  after = json::parse(read_text(results));
  after["acceptance"]["future"] = 1;
  write_file_atomically(results, after.dump(2));
  EXPECT_EQ(flopbench({"check", "--spec", pass.string(), "--results", results.string()}).status, 0);
  EXPECT_FALSE(json::parse(read_text(results)).at("acceptance").contains("future"));
}

TEST_F(Check, CannotCheckExitsTwo) {
  const fs::path results = write_results(cpu_document());
  for (const auto& m : kMalformed) {
    const fs::path spec = kSpecData / m.file;
    expect_one_line_error(
        flopbench({"check", "--spec", spec.string(), "--results", results.string()}),
        fmt::format("{}:{}: ", spec.string(), m.position));
  }
  const fs::path spec = write_spec("cpu.sgemm.openblas.gflops,>=,1 GFLOP/s,fail,any,x\n");
  expect_one_line_error(flopbench({"check", "--spec", (dir_.path() / "none.csv").string(),
                                   "--results", results.string()}),
                        "none.csv: cannot open");
  expect_one_line_error(flopbench({"check", "--spec", spec.string(), "--results",
                                   (dir_.path() / "none.json").string()}),
                        "none.json: cannot open");
  write_file_atomically(dir_.path() / "bad.json", "{\"schema_version\": 1}");
  expect_one_line_error(flopbench({"check", "--spec", spec.string(), "--results",
                                   (dir_.path() / "bad.json").string()}),
                        "bad.json: environment: missing required field");
  // A row on a workload the profile has no sizes for, refused before anything is measured.
  const fs::path peak = write_spec("cpu.peak_fp64.omp.percent_of_peak,>=,1 %,fail,any,x\n");
  expect_one_line_error(flopbench({"check", "--spec", peak.string(), "--profile", "sweep", "--out",
                                   (dir_.path() / "sweep").string()}),
                        "profile sweep has no sizes for peak, which the spec's row "
                        "cpu.peak_fp64.omp.percent_of_peak (line ");
  EXPECT_FALSE(fs::exists(dir_.path() / "sweep"));
}

TEST_F(Check, WithoutResultsMeasuresWhatTheSpecNeeds) {
  // Bounds no machine misses: this is about measuring what the spec names, not speed (a loaded
  // two-core CI machine once ran the 64-element triad at 0.0002 GB/s).
  const fs::path spec = write_spec(
      "cpu.sgemm.omp.gflops,>=,0.000001 GFLOP/s,fail,any,x\n"
      "cpu.stream_fp64.omp.gbytes_per_s,>=,0.000001 GB/s,fail,any,y\n");
  const fs::path out = dir_.path() / "measured";
  const Outcome o = flopbench({"check", "--spec", spec.string(), "--profile", "quick", "--sizes",
                               "64", "--out", out.string()});
  EXPECT_EQ(o.status, 0) << o.out << o.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_EQ(doc.measurements.size(), 2u);
  EXPECT_EQ(doc.measurements[0].implementation, "omp");
  ASSERT_TRUE(doc.acceptance.has_value());
  EXPECT_TRUE(doc.acceptance->passed);
  EXPECT_NE(read_text(out / "report.md").find("## Acceptance"), std::string::npos);
}

// --sizes applies to what the spec needs alone: a million elements is a small vector, and a GEMM
// of a million cubed (which nothing here measures) no reason to refuse it.
TEST_F(Check, SizesThatOnlyAnUnneededWorkloadCannotHoldAreNoError) {
  const fs::path spec = write_spec("cpu.sum_fp32.omp.gbytes_per_s,>=,0.000001 GB/s,fail,any,x\n");
  const fs::path out = dir_.path() / "measured";
  const Outcome o = flopbench({"check", "--spec", spec.string(), "--profile", "quick", "--sizes",
                               "1M", "--out", out.string()});
  EXPECT_EQ(o.status, 0) << o.out << o.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_EQ(doc.measurements.size(), 1u);
  EXPECT_EQ(doc.measurements[0].workload, WorkloadId::sum);
  EXPECT_EQ(doc.measurements[0].problem, Problem::vector(std::int64_t{1} << 20));
}

TEST_F(Check, AMissWhileACpuHogRunsIsMeasuredAgainAndWarnsInsteadOfFailing) {
  // A bound no machine reaches, measured on every CPU while another process spins on one.
  const fs::path spec = write_spec("cpu.sgemm.omp.gflops,>=,1000000 GFLOP/s,fail,any,x\n");
  const fs::path out = dir_.path() / "measured";
  const std::string threads = std::to_string(std::thread::hardware_concurrency());
  Outcome o;
  {
    const testing::CpuHog hog;
    o = flopbench({"check", "--spec", spec.string(), "--profile", "quick", "--sizes", "256",
                   "--threads", threads, "--out", out.string(), "--junit",
                   (dir_.path() / "junit.xml").string()});
  }
  EXPECT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("re-measuring 1 measurement that missed a criterion while contended"),
            std::string::npos)
      << o.out;
  // The console says so where it shows the figure, and the report's table beside it.
  EXPECT_NE(o.out.find("passed; contended: other processes used "), std::string::npos) << o.out;
  EXPECT_NE(read_text(out / "report.md").find("passed (contended)"), std::string::npos);
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_EQ(doc.measurements.size(), 2u);  // the first measurement and its re-measurement
  for (const auto& r : doc.measurements) {
    EXPECT_TRUE(r.contended()) << r.notes.size();
    EXPECT_TRUE(std::any_of(r.notes.begin(), r.notes.end(),
                            [](const std::string& n) { return n.starts_with("contended: "); }));
  }
  ASSERT_TRUE(doc.acceptance.has_value());
  EXPECT_TRUE(doc.acceptance->passed);
  const auto& v = verdict_of(*doc.acceptance, "cpu.sgemm.omp.gflops");
  EXPECT_EQ(v.verdict, Verdict::warn);
  const std::string said = "measured while contended, and again when re-measured";
  EXPECT_NE(v.reason.find(said), std::string::npos) << v.reason;
  EXPECT_NE(o.out.find("WARN"), std::string::npos) << o.out;
  EXPECT_NE(read_text(out / "report.md").find(said), std::string::npos);
  EXPECT_NE(read_text(dir_.path() / "junit.xml").find(said), std::string::npos);
}

// A spec that wants a quiet machine fails one whose CPU another process keeps busy, after
// measuring the contended measurement once more; the rate itself passes.
TEST_F(Check, RunContendedFailsWhileACpuHogRunsThroughTheReMeasurement) {
  const fs::path spec = write_spec(
      "cpu.sgemm.omp.gflops,>=,0.001 GFLOP/s,fail,any,x\nrun.contended,==,0,fail,any,quiet\n");
  const fs::path out = dir_.path() / "measured";
  const std::string threads = std::to_string(std::thread::hardware_concurrency());
  Outcome o;
  {
    const testing::CpuHog hog;
    o = flopbench({"check", "--spec", spec.string(), "--profile", "quick", "--sizes", "256",
                   "--threads", threads, "--out", out.string()});
  }
  EXPECT_EQ(o.status, 1) << o.out << o.err;
  EXPECT_NE(o.out.find("re-measuring 1 measurement that missed a criterion while contended"),
            std::string::npos)
      << o.out;
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_EQ(doc.measurements.size(), 2u);
  ASSERT_TRUE(doc.acceptance.has_value());
  EXPECT_FALSE(doc.acceptance->passed);
  EXPECT_EQ(verdict_of(*doc.acceptance, "cpu.sgemm.omp.gflops").verdict, Verdict::pass);
  const auto& v = verdict_of(*doc.acceptance, "run.contended");
  EXPECT_EQ(v.verdict, Verdict::fail);
  EXPECT_DOUBLE_EQ(*v.measured, 1);
  EXPECT_NE(v.reason.find("; contended again when re-measured)"), std::string::npos) << v.reason;
}

// Ctrl-C while the contended miss is measured again: no verdict, as for one while measuring.
TEST_F(Check, AnInterruptWhileReMeasuringGivesNoVerdict) {
  const fs::path spec = write_spec("cpu.sgemm.omp.gflops,>=,1000000 GFLOP/s,fail,any,x\n");
  const fs::path out = dir_.path() / "measured";
  const fs::path junit = dir_.path() / "junit.xml";
  const testing::CpuHog hog;
  // Many short runs (the standard profile's half second of samples at 256^3): the interrupt is
  // taken between two of them, soon after the signal, on any machine and build.
  testing::Process p({"check", "--spec", spec.string(), "--profile", "standard", "--sizes", "256",
                      "--threads", std::to_string(std::thread::hardware_concurrency()), "--out",
                      out.string(), "--junit", junit.string()},
                     dir_.path() / "capture");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (p.out().find("re-measuring") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(p.out().find("re-measuring"), std::string::npos) << p.out() << p.err();
  p.signal(SIGINT);
  EXPECT_EQ(p.wait(), kExitInterrupted) << p.out() << p.err();
  EXPECT_NE(p.err().find("interrupted; no verdict"), std::string::npos) << p.err();
  EXPECT_EQ(p.out().find("verdict recorded"), std::string::npos) << p.out();
  EXPECT_FALSE(fs::exists(junit));
  const ResultsDocument doc = read_results_file(out / "results.json");
  EXPECT_TRUE(doc.run.interrupted);
  EXPECT_FALSE(doc.acceptance.has_value());
}

TEST_F(Check, GenerateThenCheck) {
  const fs::path golden = write_results(cpu_document(), "golden");
  const fs::path spec = dir_.path() / "fleet.csv";
  const Outcome gen = flopbench(
      {"spec", "generate", "--from", golden.string(), "--ratio", "0.9", "--out", spec.string()});
  ASSERT_EQ(gen.status, 0) << gen.out << gen.err;
  EXPECT_EQ(gen.err.find("contended"), std::string::npos) << gen.err;
  EXPECT_EQ(flopbench({"check", "--spec", spec.string(), "--results", golden.string()}).status, 0);
  // A golden run measured beside a co-tenant makes a loose spec: said, not refused.
  ResultsDocument busy = cpu_document();
  busy.measurements[0].load = MachineLoad{.readings = 5, .contended = true};
  const Outcome loose =
      flopbench({"spec", "generate", "--from", write_results(busy, "busy").string(), "--ratio",
                 "0.9", "--out", (dir_.path() / "loose.csv").string()});
  EXPECT_EQ(loose.status, 0) << loose.err;
  EXPECT_NE(loose.err.find("1 reference was taken from contended measurements, so it is low"),
            std::string::npos)
      << loose.err;
  // One no reference came from (a smaller problem beside the largest) is not counted.
  ResultsDocument smaller = cpu_document();
  MeasurementRecord small = smaller.measurements[0];
  small.problem = Problem::matrix(64, 64, 64);
  small.load = MachineLoad{.readings = 5, .contended = true};
  smaller.measurements.insert(smaller.measurements.begin(), small);
  const Outcome quiet_reference =
      flopbench({"spec", "generate", "--from", write_results(smaller, "smaller").string(),
                 "--ratio", "0.9", "--out", (dir_.path() / "smaller.csv").string()});
  EXPECT_EQ(quiet_reference.status, 0) << quiet_reference.err;
  EXPECT_EQ(quiet_reference.err.find("contended"), std::string::npos) << quiet_reference.err;

  ResultsDocument slower = cpu_document();
  *slower.measurements[0].gflops *= 0.8;
  *slower.measurements[0].percent_of_peak *= 0.8;
  const fs::path fleet = write_results(slower, "fleet");
  EXPECT_EQ(flopbench({"check", "--spec", spec.string(), "--results", fleet.string()}).status, 1);

  expect_one_line_error(flopbench({"spec", "generate", "--from", golden.string(), "--ratio", "0.9",
                                   "--out", spec.string()}),
                        "exists");
  // A spec into a directory not yet made makes it, as the sheet and --junit do.
  const fs::path nested = dir_.path() / "specs" / "fleet-a" / "golden.csv";
  EXPECT_EQ(flopbench({"spec", "generate", "--from", golden.string(), "--ratio", "0.9", "--out",
                       nested.string()})
                .status,
            kExitOk);
  EXPECT_EQ(flopbench({"check", "--spec", nested.string(), "--results", golden.string()}).status,
            kExitOk);
  expect_one_line_error(flopbench({"spec", "generate", "--from", golden.string(), "--ratio", "1.5",
                                   "--out", (dir_.path() / "x.csv").string()}),
                        "--ratio 1.5: expected a number in (0, 1]");
  // An --out that names a directory is refused before anything is made.
  expect_one_line_error(flopbench({"spec", "generate", "--from", golden.string(), "--ratio", "0.9",
                                   "--out", (dir_.path() / "new-dir/").string()}),
                        "names a directory; name the spec file");
  EXPECT_FALSE(fs::exists(dir_.path() / "new-dir"));
  // A wrong answer in the golden run gets no row, and a warning.
  ResultsDocument wrong = cpu_document();
  wrong.measurements[1].disposition = Disposition::incorrect;
  const fs::path wrong_spec = dir_.path() / "wrong.csv";
  const Outcome from_wrong =
      flopbench({"spec", "generate", "--from", write_results(wrong, "wrong").string(), "--ratio",
                 "0.9", "--out", wrong_spec.string()});
  EXPECT_EQ(from_wrong.status, 0) << from_wrong.err;
  EXPECT_NE(from_wrong.err.find("1 measurement gave a wrong answer or failed, and no reference is "
                                "taken from it"),
            std::string::npos)
      << from_wrong.err;
  EXPECT_EQ(read_text(wrong_spec).find("cpu.sgemm.omp"), std::string::npos);
  // A burn-in's results have no measurements to make a spec of.
  ResultsDocument burn = cpu_document();
  burn.run.profile = std::string(kBurnProfile);
  burn.measurements.clear();
  burn.burn = BurnResult{.duration_s = 10};
  expect_one_line_error(
      flopbench({"spec", "generate", "--from", write_results(burn, "burn").string(), "--ratio",
                 "0.9", "--out", (dir_.path() / "burn.csv").string()}),
      "the results of a burn-in, which has no measurements to make a spec from");
}

// FLOPBENCH_SPEC_DIR, once set, is the only place --spec auto looks: a directory that is not
// there, or an empty value, stops the check rather than falling back to the shipped specs.
TEST_F(Check, AutoWithASpecDirThatNamesNoDirectoryStops) {
  const std::string results = write_results(cpu_document()).string();
  {
    const testing::ScopedEnv missing("FLOPBENCH_SPEC_DIR", (dir_.path() / "nowhere").string());
    expect_one_line_error(
        flopbench({"check", "--spec", "auto", "--results", results}),
        "no spec directory found (looked in " + (dir_.path() / "nowhere").string() + ")");
  }
  {
    const testing::ScopedEnv empty("FLOPBENCH_SPEC_DIR", "");
    expect_one_line_error(flopbench({"check", "--spec", "auto", "--results", results}),
                          "FLOPBENCH_SPEC_DIR is set but empty");
  }
}

TEST_F(Check, AutoPicksTheSpecOfAGpuThatOnlyNvmlNames) {
  setenv("FLOPBENCH_SPEC_DIR", kShippedSpecs.c_str(), 1);
  const Outcome h200 = flopbench({"check", "--spec", "auto", "--results",
                                  write_results(unseen_gpu_document("NVIDIA H200")).string()});
  EXPECT_NE(h200.out.find("h200.csv (for GPU 'NVIDIA H200' named by NVML; CUDA sees no GPU: this "
                          "build has no CUDA support)"),
            std::string::npos)
      << h200.out << h200.err;
  EXPECT_EQ(h200.status, 1) << h200.out;
  EXPECT_NE(h200.out.find("gpu.count"), std::string::npos) << h200.out;

  // A GPU no shipped spec is for: no spec, rather than the CPU machine's.
  expect_one_line_error(
      flopbench({"check", "--spec", "auto", "--results",
                 write_results(unseen_gpu_document("NVIDIA GeForce RTX 4090"), "u").string()}),
      "is for GPU 'NVIDIA GeForce RTX 4090' named by NVML; CUDA sees no GPU");
  unsetenv("FLOPBENCH_SPEC_DIR");
}

TEST_F(Check, AutoPicksTheShippedSpecOfTheGpu) {
  setenv("FLOPBENCH_SPEC_DIR", kShippedSpecs.c_str(), 1);
  const Outcome h100 = flopbench(
      {"check", "--spec", "auto", "--results", write_results(h100_document(2), "h100").string()});
  EXPECT_NE(h100.out.find("spec: auto -> "), std::string::npos) << h100.out << h100.err;
  EXPECT_NE(h100.out.find("h100-sxm.csv (for GPU 'NVIDIA H100 80GB HBM3')"), std::string::npos)
      << h100.out;
  EXPECT_EQ(h100.status, 1) << h100.out;  // the synthetic run has no CUDA peak kernel

  // On a mixed machine, the spec of the first GPU the run was given.
  ResultsDocument mixed = h100_document(2);
  mixed.environment.gpu.devices[0].name = "NVIDIA A10";
  const std::string a10 = "a10.csv (for GPU 'NVIDIA A10')";
  EXPECT_NE(flopbench({"check", "--spec", "auto", "--results", write_results(mixed, "m").string()})
                .out.find(a10),
            std::string::npos);
  mixed.run.gpus = {1};
  const Outcome given =
      flopbench({"check", "--spec", "auto", "--results", write_results(mixed, "g").string()});
  EXPECT_NE(given.out.find("h100-sxm.csv (for GPU 'NVIDIA H100 80GB HBM3')"), std::string::npos)
      << given.out;

  const Outcome cpu =
      flopbench({"check", "--spec", "auto", "--results", write_results(cpu_document()).string()});
  EXPECT_NE(cpu.out.find("cpu-only.csv (for a machine without a GPU)"), std::string::npos)
      << cpu.out << cpu.err;

  // A GPU machine whose driver did not load: nothing sees a GPU, but the PCI bus lists eight.
  // Judged against the CPU spec it would pass; it fails, its GPUs unseen.
  ResultsDocument no_driver = cpu_document();
  no_driver.environment.health = MachineHealth{};
  no_driver.environment.health->gpu_unknown = "NVML: not found; nvidia-smi: not found";
  no_driver.environment.health->host["pci.nvidia_gpus"] = HealthFact::of(8);
  const Outcome dark =
      flopbench({"check", "--spec", "auto", "--results", write_results(no_driver, "d").string()});
  EXPECT_EQ(dark.status, 1) << dark.out << dark.err;
  EXPECT_NE(dark.out.find("spec: auto -> none: the PCI bus lists 8 NVIDIA GPUs, and none is "
                          "seen (no NVIDIA driver is installed or loaded)"),
            std::string::npos)
      << dark.out;
  EXPECT_NE(dark.out.find("gpu.count"), std::string::npos) << dark.out;
  EXPECT_EQ(dark.out.find("cpu-only.csv"), std::string::npos) << dark.out;
  // With none on the bus either, it is a CPU machine.
  no_driver.environment.health->host["pci.nvidia_gpus"] = HealthFact::of(0);
  EXPECT_NE(
      flopbench({"check", "--spec", "auto", "--results", write_results(no_driver, "c").string()})
          .out.find("cpu-only.csv (for a machine without a GPU)"),
      std::string::npos);

  ResultsDocument unknown = h100_document(1);
  unknown.environment.gpu.devices[0].name = "NVIDIA GeForce RTX 4090";
  expect_one_line_error(
      flopbench({"check", "--spec", "auto", "--results", write_results(unknown, "u").string()}),
      "is for GPU 'NVIDIA GeForce RTX 4090'");
  unsetenv("FLOPBENCH_SPEC_DIR");
}

}  // namespace
}  // namespace flopbench
