// Results files: JSON round trip and validation, and every generated output against golden files.
// Regenerate the golden files after an intended format change with
//   FLOPBENCH_UPDATE_GOLDEN=1 ./test_reports
// and review the diff: a golden file is only as good as its review.

#include <gtest/gtest.h>
#include <unistd.h>

// csv.h copies file names with strncpy into a fixed buffer, on purpose.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#include <libfccp/csv.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/core/results.hpp"
#include "harness/core/statistics.hpp"
#include "reports/console.hpp"
#include "reports/crossover.hpp"
#include "reports/format.hpp"
#include "reports/html_report.hpp"
#include "reports/output_files.hpp"
#include "reports/results_json.hpp"
#include "reports/sheet.hpp"
#include "tests/golden.hpp"
#include "tests/test_support.hpp"

namespace flopbench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::TempDir;

const fs::path kGoldenDir = fs::path(FLOPBENCH_TEST_DATA_DIR) / "golden" / "reports";

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void expect_golden(const std::string& name, const std::string& actual) {
  testing::expect_golden(kGoldenDir, name, actual);
}

// Equal JSON, numbers within a relative 1e-12: numbers the printer computes itself may differ in
// the last bit under another compiler's floating-point contraction.
void expect_json_near(const json& actual, const json& expected, const std::string& path) {
  if (actual.is_number() && expected.is_number()) {
    const double a = actual.get<double>(), e = expected.get<double>();
    EXPECT_LE(std::fabs(a - e), 1e-12 * std::fabs(e)) << path << ": " << a << " vs " << e;
  } else if (actual.is_object() && expected.is_object()) {
    EXPECT_EQ(actual.size(), expected.size()) << path;
    for (const auto& [key, value] : expected.items()) {
      if (actual.contains(key)) {
        expect_json_near(actual.at(key), value, path + "." + key);
      } else {
        ADD_FAILURE() << path << "." << key << " missing";
      }
    }
  } else if (actual.is_array() && expected.is_array()) {
    ASSERT_EQ(actual.size(), expected.size()) << path;
    for (std::size_t i = 0; i < actual.size(); ++i) {
      expect_json_near(actual[i], expected[i], path + "[" + std::to_string(i) + "]");
    }
  } else {
    EXPECT_EQ(actual, expected) << path;
  }
}

void expect_golden_json(const std::string& name, const std::string& actual) {
  if (testing::rewrote_golden(kGoldenDir, name, actual)) return;
  SCOPED_TRACE(std::string(name) + testing::kGoldenUpdateHint);
  expect_json_near(json::parse(actual), json::parse(read_text(kGoldenDir / name)), "");
}

// ---- a small synthetic run ------------------------------------------------------------------

Peak peak(double gflops, std::string basis) { return {gflops, std::move(basis)}; }

// Health facts of the synthetic machine: gpu0 is the GPU CUDA sees; gpu1 a GPU that only NVML
// lists. Some facts are unknown, with why; one was not recorded; one is a newer version's.
MachineHealth test_health() {
  MachineHealth h;
  h.gpu_source = "nvml";
  h.kernel_log = "/dev/kmsg";
  h.host = {{"cpu.count", HealthFact::of(16)},
            {"memory.gib", HealthFact::of(62.75)},
            {"numa.nodes", HealthFact::unknown_because("no /sys/devices/system/node")}};
  GpuHealth g;
  g.index = 0;
  g.nvml_index = 0;
  g.cuda_visible = true;
  g.name = "NVIDIA H100 80GB HBM3";
  g.pci_bus_id = "00000000:17:00.0";
  g.pci_device_id = "10de:2330";
  const auto number = [](double v) { return HealthFact::of(v); };
  const auto text = [](std::string v) { return HealthFact::of_text(std::move(v)); };
  g.facts = {{"uuid", text("GPU-00000000-1111-2222-3333-444444444444")},
             {"serial", text("1650123456789")},
             {"vbios", text("96.00.74.00.01")},
             {"inforom", text("G520.0200.00.05")},
             {"driver", text("550.54.15")},
             {"persistence_mode", number(1)},
             {"ecc.enabled", number(1)},
             {"ecc.corrected_volatile", number(3)},
             {"ecc.uncorrected_volatile", number(0)},
             {"ecc.corrected_aggregate", number(12)},
             {"ecc.uncorrected_aggregate", number(0)},
             {"retired_pages.count", HealthFact::unknown_because("not supported")},
             {"retired_pages.pending", HealthFact::unknown_because("not supported")},
             {"row_remap.corrected", number(2)},
             {"row_remap.uncorrected", number(0)},
             {"row_remap.pending", number(0)},
             {"row_remap.failed", number(0)},
             {"pcie.gen", number(1)},
             {"pcie.gen_max", number(5)},
             {"pcie.width", number(16)},
             {"pcie.width_max", number(16)},
             {"pcie.replay_count", number(0)},
             {"nvlink.active", number(18)},
             {"nvlink.errors", number(1)},
             {"fabric.state", text("none")},
             {"power.limit_w", number(700)},
             {"power.default_limit_w", number(700)},
             {"power.limit_percent_of_default", number(100)},
             {"clocks.applications_sm_mhz", number(1755)},
             {"clocks.applications_memory_mhz", number(2619)},
             {"clocks.max_sm_mhz", number(1980)},
             {"clocks.max_memory_mhz", number(2619)},
             {"clocks.event_reasons", text("gpu_idle")},
             {"clocks.throttling", number(0)},
             {"processes.other", number(0)},
             {"xid.count", number(0)},
             {"xid.last", text("none")},
             {"thermal.margin_c", number(31)}};  // a newer flopbench's fact
  h.gpus.push_back(g);
  g.index = g.nvml_index = 1;
  g.cuda_visible = false;
  g.pci_bus_id = "00000000:2A:00.0";
  g.facts["uuid"] = text("GPU-00000000-1111-2222-3333-555555555555");
  g.facts["serial"] = text("1650123456790");
  g.facts["pcie.width"] = number(8);
  g.facts["xid.count"] = number(2);
  g.facts["xid.last"] = text("Xid 79: GPU has fallen off the bus");
  g.facts["ecc.uncorrected_volatile"] = HealthFact::unknown_because("GPU is lost");
  g.facts.erase("thermal.margin_c");
  g.facts.erase("fabric.state");  // not recorded
  h.gpus.push_back(g);
  return h;
}

Environment test_environment() {
  Environment env;
  env.flopbench_version = "0.1.0";
  env.git_commit = "0123456789ab";
  env.host = "node-17";
  env.os = "Debian GNU/Linux 12 (bookworm)";
  env.kernel = "6.1.0-18-amd64";
  env.compiler = "GNU 12.2.0";
  env.compiler_flags = "-O3 -DNDEBUG -march=native";
  env.build_type = "Release";
  env.libraries = {{"cublas", "12.4.5"}, {"eigen", "3.4.0"}, {"openblas", "0.3.21"}};
  env.openmp_env = {{"OMP_NUM_THREADS", "8"}, {"OMP_PLACES", ""}, {"OMP_PROC_BIND", "close"}};
  env.gpu.cuda_env = {{"CUDA_DEVICE_ORDER", "PCI_BUS_ID"}, {"CUDA_VISIBLE_DEVICES", ""}};

  CpuInventory& cpu = env.cpu;
  cpu.model = "Intel(R) Xeon(R) Platinum 8480+";
  cpu.vendor = "GenuineIntel";
  cpu.microarchitecture = "Sapphire Rapids";
  cpu.family = 6;
  cpu.model_number = 143;
  cpu.stepping = 8;
  cpu.sockets = 1;
  cpu.cores = 8;
  cpu.logical_cpus = 16;
  cpu.online_cpus = 16;
  cpu.simd = {"avx512f", "avx2", "fma"};
  cpu.caches = {{1, "Data", 48 * 1024, 2, 8},
                {1, "Instruction", 32 * 1024, 2, 8},
                {2, "Unified", 2 * 1024 * 1024, 2, 8},
                {3, "Unified", 105 * 1024 * 1024, 16, 1}};
  cpu.memory_bytes = 64LL * 1024 * 1024 * 1024;
  cpu.clock_ghz = 2.5;
  cpu.clock_source = "per-microarchitecture table (all-core AVX-512)";
  cpu.peak_fp32 = peak(1280, "8 cores x 16 lanes x 2 FMA pipes x 2 x 2.5 GHz");
  cpu.peak_fp64 = peak(640, "8 cores x 8 lanes x 2 FMA pipes x 2 x 2.5 GHz");

  GpuInventory& gpu = env.gpu;
  gpu.cuda_built = true;
  gpu.runtime_version = "12.4";
  gpu.driver_version = "12.4";
  GpuDevice d;
  d.index = 0;
  d.name = "NVIDIA H100 80GB HBM3";
  d.cc_major = 9;
  d.cc_minor = 0;
  d.sm_count = 132;
  d.sm_clock_mhz = 1980;
  d.memory_clock_mhz = 2619;
  d.memory_bytes = 80LL * 1024 * 1024 * 1024;
  d.memory_bus_width_bits = 5120;
  d.l2_bytes = 50 * 1024 * 1024;
  d.ecc_enabled = true;
  d.pci_bus_id = "0000:17:00.0";
  d.pci_device_id = "10de:2330";
  d.local_cpus = "0-47,96-143";
  d.uuid = "GPU-00000000-1111-2222-3333-444444444444";
  d.peak_fp32 = peak(66908.16, "132 SMs x 128 lanes x 2 x 1.98 GHz");
  d.peak_fp64 = peak(66908.16, "132 SMs x 64 lanes x 2 x 1.98 GHz x 2 (FP64 tensor cores)");
  gpu.devices.push_back(d);
  env.health = test_health();
  return env;
}

struct Spec {
  std::string workload, implementation, device;
  Precision precision;
  Problem problem;
  Disposition disposition;
  double median_s = 0;  // 0: not timed
  std::string reason = {};
};

double flops_of(const std::string& workload, const Problem& p) {
  if (workload == "gemm") return 2.0 * static_cast<double>(p.m * p.n * p.k);
  if (workload == "sum") return static_cast<double>(p.n);
  if (workload == "dot") return 2.0 * static_cast<double>(p.n);
  return 2.0 * static_cast<double>(p.n);  // stream triad: a[i] = b[i] + s * c[i]
}

double bytes_of(const std::string& workload, const Problem& p, Precision precision) {
  const auto size = static_cast<double>(size_of(precision));
  if (workload == "gemm") {
    return static_cast<double>(p.m * p.k + p.k * p.n + 2 * p.m * p.n) * size;
  }
  if (workload == "sum") return static_cast<double>(p.n) * size;
  if (workload == "dot") return 2.0 * static_cast<double>(p.n) * size;
  return 3.0 * static_cast<double>(p.n) * size;
}

MeasurementRecord make_record(const Spec& s, const Environment& env) {
  MeasurementRecord r;
  r.workload = parse_workload(s.workload);
  r.implementation = s.implementation;
  r.device = DeviceRef::parse(s.device);
  r.precision = s.precision;
  r.problem = s.problem;
  r.disposition = s.disposition;
  r.reason = s.reason;
  const bool gpu = s.device != "cpu";
  r.threads = gpu ? 0 : 8;
  r.flops = flops_of(s.workload, s.problem);
  r.bytes = bytes_of(s.workload, s.problem, s.precision);
  r.timing = gpu ? "device_events" : "host_real_time";
  const Peak& device_peak =
      gpu ? (s.precision == Precision::fp32 ? env.gpu.devices[0].peak_fp32
                                            : env.gpu.devices[0].peak_fp64)
          : (s.precision == Precision::fp32 ? env.cpu.peak_fp32 : env.cpu.peak_fp64);
  r.peak = device_peak;
  if (s.median_s > 0) {
    // Ten samples around the median, with values that need all 17 digits to round-trip. Every
    // expression here is a single rounding (no a * b + c a compiler could fuse), so the golden
    // files hold on any compiler.
    for (int i = 0; i < 10; ++i) {
      const double jitter = 1.0 + (i % 5 - 2) / 300.0;
      const double sample = s.median_s * jitter;
      r.samples_s.push_back(sample);
      r.host_wall_s.push_back(sample + (gpu ? 4e-6 : 1e-7));
    }
    r.iterations_per_sample = s.median_s < 1e-3 ? 10 : 1;
    r.stopping_rule = "converged";
    Statistics st;
    st.samples = 10;
    st.median = s.median_s;
    st.min = r.samples_s[0];
    st.max = r.samples_s[4];
    st.mean = s.median_s;  // the jitter is symmetric
    st.stddev = s.median_s / 200;
    st.cv = 0.005;
    r.stats = st;
    r.wall_s = 0.75;
    if (s.disposition == Disposition::passed) {
      r.gflops = r.flops / s.median_s / 1e9;
      r.gbytes_per_s = r.bytes / s.median_s / 1e9;
      // Bandwidth workloads are not judged against a FLOP peak.
      if (s.workload == "gemm") r.percent_of_peak = *r.gflops / *r.peak.gflops * 100;
    }
    Verification v;
    v.method = s.workload == "gemm" ? "every element vs double reference"
                                    : "result vs double-accumulated reference";
    v.tolerance = s.precision == Precision::fp32 ? 1.52587890625e-05 : 2.842170943040401e-14;
    v.max_error = v.tolerance * 0.0625;
    v.error_ratio = 0.0625;
    v.passed = true;
    if (s.disposition == Disposition::incorrect) {
      // A kernel that wrote NaN: JSON has no NaN, so this exercises its encoding.
      v.max_error = std::numeric_limits<double>::quiet_NaN();
      v.error_ratio = std::numeric_limits<double>::infinity();
      v.passed = false;
    }
    r.verification = v;
  }
  return r;
}

ResultsDocument test_document() {
  ResultsDocument doc;
  doc.environment = test_environment();
  doc.run.command_line = {"flopbench", "run", "--profile", "quick", "--label", "it's a test"};
  doc.run.profile = "quick";
  doc.run.seed = 42;
  doc.run.threads = 8;
  doc.run.started_utc = "2025-01-02T03:04:05Z";
  doc.run.finished_utc = "2025-01-02T03:06:07Z";
  doc.run.launch = {"slurm", "4242", 3, 1, 2, 8};
  doc.run.sampling = Sampling{5, 20, 0.005, 0.05, 0.05, 2};  // the quick profile's

  const auto fp32 = Precision::fp32;
  const auto fp64 = Precision::fp64;
  const auto passed = Disposition::passed;
  const Problem g256 = Problem::matrix(256, 256, 256);
  const Problem g512 = Problem::matrix(512, 512, 512);
  const Problem v1m = Problem::vector(1 << 20);
  const Problem v4m = Problem::vector(1 << 22);
  const std::vector<Spec> specs = {
      {"gemm", "omp", "cpu", fp32, g256, passed, 2.5e-3},
      {"gemm", "openblas", "cpu", fp32, g256, passed, 1.0e-3},
      {"gemm", "cublas", "gpu0", fp32, g256, passed, 2.0e-5},
      {"gemm", "cuda", "gpu0", fp32, g256, Disposition::incorrect, 3.0e-5,
       "max error ratio inf exceeds 1 at C[17,42] (NaN in output)"},
      {"gemm", "omp", "cpu", fp32, g512, passed, 1.9e-2},
      {"gemm", "omp", "cpu", fp64, g256, passed, 5.1e-3},
      {"gemm", "openblas", "cpu", fp64, g256, Disposition::unsupported, 0,
       "built without OpenBLAS (install libopenblas-dev and rebuild)"},
      {"sum", "omp", "cpu", fp32, v4m, passed, 1.2e-3},
      {"sum", "cub", "gpu0", fp32, v4m, passed, 1.1e-5},
      {"sum", "cuda", "gpu0", fp64, v4m, Disposition::skipped, 0, "interrupted"},
      {"dot", "omp", "cpu", fp64, v1m, passed, 1.4e-3},
      {"dot", "openblas", "cpu", fp64, v1m, passed, 1.2e-3},
      {"dot", "eigen", "cpu", fp64, v1m, Disposition::failed, 0,
       "allocation of 8388608 bytes failed: \"out of memory\", giving up | retry smaller"},
      {"stream", "omp", "cpu", fp32, v1m, passed, 6.0e-4},
      {"stream", "omp", "cpu", fp32, v4m, passed, 2.2e-3},
      {"stream", "omp", "cpu", fp64, v4m, passed, 4.5e-3},
      {"stream", "cuda", "gpu0", fp32, v4m, passed, 2.0e-5},
  };
  for (const auto& s : specs) doc.measurements.push_back(make_record(s, doc.environment));
  doc.measurements[0].clock_after_ghz = 3.1234567;  // the clock measured again after its samples
  doc.measurements[2].notes = {"math mode: CUBLAS_PEDANTIC_MATH (true FP32, no TF32)"};
  // Two that stopped before the rule held, their Samples cells say where: one at the cap, its 20
  // samples alternating 8 % either side of its median (a CV of 8.2 %, over the target's 5 %).
  MeasurementRecord& capped = doc.measurements[10];
  const double median = capped.stats->median;
  capped.samples_s.clear();
  capped.host_wall_s.clear();
  for (int i = 0; i < 20; ++i) {
    capped.samples_s.push_back(median * (i % 2 == 0 ? 0.92 : 1.08));
    capped.host_wall_s.push_back(capped.samples_s.back() + 1e-7);
  }
  // Set, not computed, as make_record's: no sum whose rounding a compiler could change.
  capped.stats->samples = 20;
  capped.stats->min = capped.samples_s[0];
  capped.stats->max = capped.samples_s[1];
  capped.stats->mean = median;
  capped.stats->stddev = median * 0.08 * std::sqrt(20.0 / 19.0);
  capped.stats->cv = 0.08 * std::sqrt(20.0 / 19.0);
  capped.stopping_rule = "max_samples";
  doc.measurements[15].stopping_rule = "time_limit";
  // An idle GPU before, a power-capped one after, with a reading the source could not give.
  GpuTelemetry before;
  before.device = "gpu0";
  before.source = "nvml";
  before.sm_clock_mhz = 1980;
  before.memory_clock_mhz = 2619;
  before.temperature_c = 34;
  before.power_w = 71.234;
  before.clock_event_reasons = {"gpu_idle"};
  GpuTelemetry after = before;
  after.sm_clock_mhz = 1755;
  after.temperature_c = 61;
  after.power_w = std::nullopt;
  after.clock_event_reasons = {"sw_power_cap", "hw_slowdown", "unknown_0x800"};
  after.throttled = true;  // hw_slowdown
  doc.measurements[2].telemetry_before = {before};
  doc.measurements[2].telemetry_after = {after};
  return doc;
}

std::string canonical(const ResultsDocument& doc) { return to_json(doc).dump(); }

// ---- results.json ---------------------------------------------------------------------------

// Input files are read through one bounded reader: a directory, a missing file and an endless
// device each give a message that names the path, never a hang or an exhausted memory.
TEST(ReportsJson, InputFilesAreReadWithinBounds) {
  const auto message = [](const std::filesystem::path& path) {
    try {
      read_results_file(path);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  testing::TempDir dir;
  EXPECT_NE(message(dir.path()).find(": is a directory; it holds no results.json"),
            std::string::npos);
  // The directory of a 'run --repeat' holds its runs, which is what the user meant to give.
  const std::filesystem::path repeat = dir.path() / "repeat";
  for (const char* run : {"run-1", "run-2"}) {
    std::filesystem::create_directories(repeat / run);
    std::ofstream(repeat / run / "results.json") << "{}";
  }
  const std::string each = (repeat / "run-*").string();
  EXPECT_EQ(message(repeat), repeat.string() +
                                 ": is a directory; it holds no results.json but the 2 runs of a "
                                 "'run --repeat' (" +
                                 each +
                                 "): give one of them, or compare them all with another "
                                 "set ('compare " +
                                 each + " --against OTHER/run-*')");
  EXPECT_NE(message(dir.path() / "none.json").find("none.json: cannot open: "), std::string::npos);
  std::ofstream(dir.path() / "plain") << "x";
  const std::string under_a_file = (dir.path() / "plain" / "x").string();
  EXPECT_EQ(message(under_a_file), under_a_file + ": cannot open: Not a directory");
  EXPECT_EQ(message("/dev/zero"), "/dev/zero: larger than 256 MiB; not a flopbench input file");
  // A file that is there and cannot be read is the system's failure (exit 3), not bad input.
  try {
    read_results_file("/proc/self/mem");  // reading address 0: EIO
    ADD_FAILURE() << "read /proc/self/mem";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), "/proc/self/mem: cannot read: Input/output error");
  }
}

TEST(ReportsJson, RoundTripIsExact) {
  ResultsDocument doc = test_document();
  doc.run.gpus = {2, 0};  // --gpus 2,0: in the order given
  const std::string text = JsonPrinter().print(doc);
  const ResultsDocument back = results_from_json(json::parse(text));

  EXPECT_EQ(canonical(back), canonical(doc));
  ASSERT_EQ(back.measurements.size(), doc.measurements.size());
  for (std::size_t i = 0; i < doc.measurements.size(); ++i) {
    const auto& a = doc.measurements[i];
    const auto& b = back.measurements[i];
    SCOPED_TRACE(i);
    EXPECT_EQ(b.workload, a.workload);
    EXPECT_EQ(b.problem, a.problem);
    EXPECT_EQ(b.disposition, a.disposition);
    EXPECT_EQ(b.precision, a.precision);
    EXPECT_EQ(b.samples_s, a.samples_s);  // bitwise: doubles round-trip exactly
    EXPECT_EQ(b.host_wall_s, a.host_wall_s);
    EXPECT_EQ(b.stats.has_value(), a.stats.has_value());
    EXPECT_EQ(b.gflops, a.gflops);
    EXPECT_EQ(b.clock_after_ghz, a.clock_after_ghz);
    EXPECT_EQ(b.notes, a.notes);
    ASSERT_EQ(b.telemetry_before.size(), a.telemetry_before.size());
    ASSERT_EQ(b.telemetry_after.size(), a.telemetry_after.size());
  }
  const GpuTelemetry& after = back.measurements[2].telemetry_after.at(0);
  EXPECT_EQ(after.device, "gpu0");
  EXPECT_EQ(after.source, "nvml");
  EXPECT_EQ(after.sm_clock_mhz, 1755);
  EXPECT_EQ(after.memory_clock_mhz, 2619);
  EXPECT_EQ(after.temperature_c, 61);
  EXPECT_FALSE(after.power_w.has_value());
  EXPECT_EQ(after.clock_event_reasons,
            (std::vector<std::string>{"sw_power_cap", "hw_slowdown", "unknown_0x800"}));
  EXPECT_TRUE(after.throttled);
  const GpuTelemetry& before = back.measurements[2].telemetry_before.at(0);
  EXPECT_EQ(before.power_w, 71.234);
  EXPECT_EQ(before.clock_event_reasons, std::vector<std::string>{"gpu_idle"});
  EXPECT_FALSE(before.throttled);
  EXPECT_EQ(back.run.seed, doc.run.seed);
  EXPECT_EQ(back.run.command_line, doc.run.command_line);
  EXPECT_EQ(back.run.launch.launcher, "slurm");
  EXPECT_EQ(back.run.launch.job, "4242");
  EXPECT_EQ(back.run.launch.rank, 3);
  EXPECT_EQ(back.run.launch.local_rank, 1);
  EXPECT_EQ(back.run.launch.node, 2);
  EXPECT_EQ(back.run.launch.tasks, 8);
  EXPECT_EQ(back.run.gpus, (std::vector<int>{2, 0}));
  EXPECT_EQ(back.environment.cpu.clock_ghz, doc.environment.cpu.clock_ghz);
  EXPECT_EQ(back.environment.gpu.devices.at(0).peak_fp64.gflops,
            doc.environment.gpu.devices.at(0).peak_fp64.gflops);
  EXPECT_EQ(back.environment.openmp_env, doc.environment.openmp_env);
  EXPECT_EQ(back.environment.gpu.cuda_env, doc.environment.gpu.cuda_env);
}

// The CPUs a measurement's threads kept busy are kept (files from before it read as unknown),
// and one that ran on fewer threads than it was given is flagged in the tables.
TEST(ReportsJson, TheCpusAMeasurementKeptBusyAreKeptAndAFewThreadsRunFlagged) {
  ResultsDocument doc = test_document();
  MeasurementRecord& r = doc.measurements.at(0);
  ASSERT_FALSE(r.device.on_gpu());
  ASSERT_EQ(r.disposition, Disposition::passed);
  r.load = MachineLoad{.readings = 4, .waited = 0.02, .busy = 1.5, .fewer_threads = true};
  nlohmann::json j = to_json(doc);
  EXPECT_EQ(j["measurements"][0]["load"]["busy"], 1.5);
  EXPECT_EQ(j["measurements"][0]["load"]["fewer_threads"], true);
  const MeasurementRecord back = results_from_json(j).measurements[0];
  EXPECT_EQ(back.load->busy, 1.5);
  EXPECT_TRUE(back.ran_on_fewer_threads());
  j["measurements"][0]["load"].erase("busy");
  j["measurements"][0]["load"].erase("fewer_threads");
  EXPECT_FALSE(results_from_json(j).measurements[0].load->busy.has_value());
  EXPECT_FALSE(results_from_json(j).measurements[0].ran_on_fewer_threads());
  j["measurements"][0]["load"]["fewer_threads"] = nullptr;  // not judged
  EXPECT_FALSE(results_from_json(j).measurements[0].load->fewer_threads.has_value());
  j["measurements"][0]["load"]["fewer_threads"] = "yes";
  try {
    results_from_json(j);
    ADD_FAILURE() << "read a fewer_threads of \"yes\"";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("fewer_threads: expected true, false or null"),
              std::string::npos)
        << e.what();
  }

  EXPECT_NE(MarkdownPrinter().print(doc).find("| passed (fewer threads) "), std::string::npos);
  r.load->fewer_threads = false;
  EXPECT_EQ(MarkdownPrinter().print(doc).find("(fewer threads)"), std::string::npos);
}

// Text that report.md quotes from results.json stays on its line: a line break in a host name, a
// CPU or GPU model, a launcher's job id or the version would start a heading or an item of its
// own (a report regenerated from a file someone edited, or a name no kernel would give).
TEST(ReportsMarkdown, TextFromTheResultsStaysOnItsLine) {
  ResultsDocument doc = test_document();
  doc.environment.host = "host\n# PASS host";
  doc.environment.flopbench_version = "0.1.0\n# PASS version";
  doc.environment.cpu.model = "CPU\n# PASS cpu";
  doc.run.launch.job = "4242\n# PASS job";
  ASSERT_FALSE(doc.environment.gpu.devices.empty());
  doc.environment.gpu.devices[0].name = "GPU\n# PASS gpu";
  doc.measurements[0].notes.push_back("a note\n# PASS note");
  const std::string md = MarkdownPrinter().print(doc);
  for (const char* what : {"host", "version", "cpu", "job", "gpu", "note"}) {
    EXPECT_NE(md.find(fmt::format(" # PASS {}", what)), std::string::npos) << what << "\n" << md;
    EXPECT_EQ(md.find(fmt::format("\n# PASS {}", what)), std::string::npos) << what << "\n" << md;
  }
}

// A run of a `run --repeat` says which it is, in results.json and in every report that shows the
// run (report.md, report.html, the sheet in both languages): its figures are one replicate's, not
// the command's. A run of its own writes null; an impossible replicate is refused.
TEST(ReportsJson, AReplicateOfARepeatSaysWhichItIs) {
  ResultsDocument doc = test_document();
  EXPECT_TRUE(to_json(doc)["run"]["replicate"].is_null());
  EXPECT_EQ(MarkdownPrinter().print(doc).find("Replicate"), std::string::npos);
  doc.run.replicate = Replicate{2, 3};
  json j = to_json(doc);
  EXPECT_EQ(j["run"]["replicate"], json::parse(R"({"index": 2, "of": 3})"));
  const ResultsDocument back = results_from_json(j);
  ASSERT_TRUE(back.run.replicate.has_value());
  EXPECT_EQ(back.run.replicate->index, 2);
  EXPECT_EQ(back.run.replicate->of, 3);
  const std::string text =
      "run 2 of 3 of one run --repeat 3 (each a results directory of its "
      "own: compare them as replicates)";
  EXPECT_NE(MarkdownPrinter().print(doc).find("- Replicate: " + text), std::string::npos);
  EXPECT_NE(HtmlPrinter().print(doc).find(text), std::string::npos);
  EXPECT_NE(SheetPrinter(SheetLanguage::en)
                .print(doc)
                .find("run 2 of the 3 of the command above (--repeat 3)"),
            std::string::npos);
  EXPECT_NE(SheetPrinter(SheetLanguage::zh).print(doc).find("3 次运行中的第 2 次"),
            std::string::npos);
  for (const auto& [index, of] : std::vector<std::pair<int, int>>{{4, 3}, {0, 3}, {1, 1}}) {
    j["run"]["replicate"] = {{"index", index}, {"of", of}};
    try {
      results_from_json(j);
      ADD_FAILURE() << "read run " << index << " of " << of;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(fmt::format(
                    "run.replicate: run {} of {} is no run of a --repeat of 2 or more", index, of)),
                std::string::npos)
          << e.what();
    }
  }
}

// The vector width a CPU measurement's kernels ran is kept; files from before it, and records
// whose implementation does not say, read as unknown (null).
TEST(ReportsJson, TheVectorWidthOfACpuMeasurementIsKept) {
  ResultsDocument doc = test_document();
  doc.measurements.at(0).vector_bits = 256;
  nlohmann::json j = to_json(doc);
  EXPECT_EQ(j["measurements"][0]["vector_bits"], 256);
  EXPECT_EQ(results_from_json(j).measurements[0].vector_bits, 256);
  j["measurements"][0]["vector_bits"] = nullptr;
  EXPECT_EQ(results_from_json(j).measurements[0].vector_bits, std::nullopt);
  j["measurements"][0].erase("vector_bits");
  EXPECT_EQ(results_from_json(j).measurements[0].vector_bits, std::nullopt);
}

// A cgroup CPU quota is kept with the CPU's inventory (files from before it read as none) and
// stated beside the cores in report.md's and report.html's machine facts and on the sheet.
TEST(ReportsJson, CpuQuotaIsRecordedAndReported) {
  ResultsDocument doc = test_document();
  EXPECT_TRUE(to_json(doc).at("environment").at("cpu").at("cpu_quota").is_null());
  doc.environment.cpu.quota = CpuQuota{2.5, "/sys/fs/cgroup/cpu.max"};
  const ResultsDocument back = results_from_json(json::parse(JsonPrinter().print(doc)));
  ASSERT_TRUE(back.environment.cpu.quota.has_value());
  EXPECT_EQ(back.environment.cpu.quota->cpus, 2.5);
  EXPECT_EQ(back.environment.cpu.quota->file, "/sys/fs/cgroup/cpu.max");
  json older = to_json(doc);
  older["environment"]["cpu"].erase("cpu_quota");
  EXPECT_FALSE(results_from_json(older).environment.cpu.quota.has_value());

  const std::string fact = "; cgroup CPU quota 2.5 CPUs (/sys/fs/cgroup/cpu.max)";
  EXPECT_NE(MarkdownPrinter().print(doc).find(fact), std::string::npos);
  EXPECT_NE(HtmlPrinter().print(doc).find(fact), std::string::npos);
  EXPECT_EQ(MarkdownPrinter().print(test_document()).find("cgroup"), std::string::npos);
  // The sheet's machine line: its CPU figures are the quota's.
  EXPECT_NE(SheetPrinter(SheetLanguage::en)
                .print(doc)
                .find("(a cgroup CPU quota of 2.5 CPUs bounds the CPU figures)"),
            std::string::npos);
  EXPECT_NE(SheetPrinter(SheetLanguage::zh).print(doc).find("cgroup CPU 配额 2.5 个 CPU"),
            std::string::npos);
  EXPECT_EQ(SheetPrinter(SheetLanguage::en).print(test_document()).find("cgroup"),
            std::string::npos);
  doc.environment.cpu.quota->cpus = 32;  // more than its 16 logical CPUs: bounds nothing
  EXPECT_EQ(SheetPrinter(SheetLanguage::en).print(doc).find("cgroup"), std::string::npos);
  doc.environment.cpu.quota->cpus = 1;
  EXPECT_NE(MarkdownPrinter().print(doc).find("; cgroup CPU quota 1 CPU ("), std::string::npos);
}

TEST(ReportsJson, NonFiniteNumbersSurvive) {
  const ResultsDocument doc = test_document();
  const json j = to_json(doc);
  const json& v = j.at("measurements").at(3).at("verification");
  EXPECT_EQ(v.at("max_error"), "nan");
  EXPECT_EQ(v.at("error_ratio"), "inf");
  const ResultsDocument back = results_from_json(json::parse(j.dump()));
  EXPECT_TRUE(std::isnan(back.measurements[3].verification->max_error));
  EXPECT_EQ(back.measurements[3].verification->error_ratio,
            std::numeric_limits<double>::infinity());
}

TEST(ReportsJson, NullsAndDerivedFields) {
  const json j = to_json(test_document());
  const json& unsupported = j.at("measurements").at(6);
  EXPECT_TRUE(unsupported.at("statistics").is_null());
  EXPECT_TRUE(unsupported.at("gflops").is_null());
  EXPECT_TRUE(unsupported.at("verification").is_null());
  EXPECT_TRUE(unsupported.at("percent_of_peak").is_null());
  EXPECT_EQ(unsupported.at("disposition"), "unsupported");
  EXPECT_EQ(unsupported.at("display_name"), "DGEMM");
  EXPECT_EQ(unsupported.at("problem_label"), "256x256x256");
  EXPECT_EQ(j.at("measurements").at(7).at("problem_label"), "4194304");
  EXPECT_EQ(j.at("schema_version"), kSchemaVersion);
}

// The message a broken document gives, or "" when it reads.
std::string error_of(const json& j) {
  try {
    results_from_json(j);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ReportsJson, TelemetryIsWrittenInFull) {
  const json j = to_json(test_document());
  const json& gpu = j.at("measurements").at(2);
  EXPECT_EQ(gpu.at("telemetry_after").at(0),
            json::parse(R"({"device": "gpu0", "source": "nvml", "sm_clock_mhz": 1755,
                            "memory_clock_mhz": 2619, "temperature_c": 61, "power_w": null,
                            "clock_event_reasons": ["sw_power_cap", "hw_slowdown", "unknown_0x800"],
                            "throttled": true, "clock_events_read": true})"));
  // A CPU measurement has the keys too, empty.
  EXPECT_EQ(j.at("measurements").at(0).at("telemetry_before"), json::array());
  EXPECT_EQ(j.at("measurements").at(0).at("telemetry_after"), json::array());
}

TEST(ReportsJson, FilesFromBeforeTelemetryRead) {
  json j = to_json(test_document());
  for (auto& m : j.at("measurements")) {
    m.erase("telemetry_before");
    m.erase("telemetry_after");
  }
  const ResultsDocument back = results_from_json(j);
  EXPECT_TRUE(back.measurements.at(2).telemetry_before.empty());
  EXPECT_TRUE(back.measurements.at(2).telemetry_after.empty());
}

// A later version's fields survive this version reading and writing the file, at every level,
// and stay with their measurement when the measurements change.
TEST(ReportsJson, UnknownFieldsAreKeptAndWrittenBack) {
  json j = to_json(test_document());
  j["future"] = {{"a", 1}};
  j["run"]["a/b~c"] = true;  // keys a JSON pointer must escape
  j["environment"]["cpu"]["caches"][1]["future"] = nullptr;
  j["measurements"][2]["future"] = "kept";
  j["measurements"][2]["telemetry_after"][0]["future"] = json::array({1, 2});
  ResultsDocument back = results_from_json(j);
  EXPECT_EQ(to_json(back), j);

  back.measurements.erase(back.measurements.begin());
  const json again = to_json(back);
  EXPECT_EQ(again.at("measurements").at(1).at("future"), "kept");
  EXPECT_EQ(again.at("measurements").at(1).at("telemetry_after").at(0).at("future"),
            json::array({1, 2}));
  EXPECT_FALSE(again.at("measurements").at(2).contains("future"));
}

TEST(ReportsJson, BadTelemetryNamesThePath) {
  json j = to_json(test_document());
  j["measurements"][2]["telemetry_after"][0]["power_w"] = true;
  EXPECT_EQ(error_of(j),
            "measurements[2].telemetry_after[0].power_w: expected a number or null, got a boolean");

  j = to_json(test_document());
  j["measurements"][2]["telemetry_before"][0].erase("throttled");
  EXPECT_EQ(error_of(j), "measurements[2].telemetry_before[0].throttled: missing required field");

  j = to_json(test_document());
  j["measurements"][2]["telemetry_before"] = "none";
  EXPECT_EQ(error_of(j), "measurements[2].telemetry_before: expected an array, got a string");
}

TEST(ReportsJson, MissingFieldNamesThePath) {
  json j = to_json(test_document());
  j["measurements"][1]["statistics"].erase("median_s");
  EXPECT_EQ(error_of(j), "measurements[1].statistics.median_s: missing required field");
}

// flopbench's other JSON files, given where a results.json belongs, are named as what they are.
TEST(ReportsJson, OtherFilesOfOursAreNamedAsWhatTheyAre) {
  EXPECT_EQ(error_of(json{{"fleet_schema_version", 1}, {"nodes", json::array()}}),
            "a fleet record (fleet.json, from flopbench merge), not one run's results.json: give a "
            "node's results.json here");
  EXPECT_EQ(error_of(json{{"context", json::object()}, {"benchmarks", json::array()}}),
            "Google Benchmark's JSON (a run's google-benchmark.json), not its results.json: give "
            "the results.json beside it");
  EXPECT_EQ(error_of(json{{"benchmarks", json::array()}}),
            "schema_version: missing required field");
}

TEST(ReportsJson, WrongTypeNamesThePath) {
  json j = to_json(test_document());
  j["measurements"][3]["statistics"]["median_s"] = "fast";
  EXPECT_EQ(error_of(j), "measurements[3].statistics.median_s: expected a number, got a string");

  j = to_json(test_document());
  j["environment"]["cpu"]["caches"][2]["size_bytes"] = 1.5;
  EXPECT_EQ(error_of(j), "environment.cpu.caches[2].size_bytes: expected an integer, got a number");

  j = to_json(test_document());
  j["run"]["seed"] = -1;
  EXPECT_EQ(error_of(j), "run.seed: -1 is out of range");

  EXPECT_EQ(error_of(json::array()), "top level: expected an object, got an array");
}

TEST(ReportsJson, UnknownEnumNamesThePathAndTheChoices) {
  json j = to_json(test_document());
  j["measurements"][4]["disposition"] = "great";
  const std::string message = error_of(j);
  EXPECT_EQ(message.rfind("measurements[4].disposition: ", 0), 0u) << message;
  EXPECT_NE(message.find("'great'"), std::string::npos) << message;
  EXPECT_NE(message.find("passed"), std::string::npos) << message;

  j = to_json(test_document());
  j["measurements"][0]["precision"] = "fp8";
  EXPECT_EQ(error_of(j).rfind("measurements[0].precision: ", 0), 0u) << error_of(j);
}

TEST(ReportsJson, FutureSchemaVersionIsRefused) {
  json j = to_json(test_document());
  j["schema_version"] = kSchemaVersion + 1;
  j.erase("run");  // a newer file may differ in shape: the version is what to report
  const std::string message = error_of(j);
  EXPECT_EQ(message.rfind("schema_version: ", 0), 0u) << message;
  EXPECT_NE(message.find("newer"), std::string::npos) << message;
  EXPECT_NE(message.find("version " + std::to_string(kSchemaVersion)), std::string::npos)
      << message;
}

TEST(ReportsJson, ReadMissingFile) {
  TempDir dir;
  const fs::path path = dir.path() / "results.json";
  try {
    read_results_file(path);
    FAIL() << "no error";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0u) << message;
    EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
  }
}

TEST(ReportsJson, ReadMalformedFileGivesThePosition) {
  TempDir dir;
  const fs::path path = dir.path() / "results.json";
  write_file_atomically(path, "{\n  \"schema_version\": 1,\n  \"run\": [1, 2,,]\n}\n");
  try {
    read_results_file(path);
    FAIL() << "no error";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(path.string() + ": not valid JSON: ", 0), 0u) << message;
    EXPECT_NE(message.find("line 3, column 16"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(ReportsJson, ReadWrongShape) {
  TempDir dir;
  const fs::path path = dir.path() / "results.json";
  json j = to_json(test_document());
  j["measurements"][2]["samples_s"][4] = true;
  write_file_atomically(path, j.dump());
  try {
    read_results_file(path);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              path.string() + ": measurements[2].samples_s[4]: expected a number, got a boolean");
  }
}

TEST(ReportsJson, ReadBackWhatWasWritten) {
  TempDir dir;
  const ResultsDocument doc = test_document();
  EXPECT_EQ(write_outputs(doc, dir.path(), true), "");
  EXPECT_EQ(canonical(read_results_file(dir.path() / "results.json")), canonical(doc));
}

// ---- golden files ---------------------------------------------------------------------------

TEST(ReportsGolden, ResultsJson) {
  const std::string text = JsonPrinter().print(test_document());
  expect_golden("results.json", text);
  // Files written by earlier builds must stay readable.
  EXPECT_EQ(canonical(read_results_file(kGoldenDir / "results.json")), canonical(test_document()));
}

TEST(ReportsGolden, Csv) { expect_golden("results.csv", CsvPrinter().print(test_document())); }

TEST(ReportsGolden, Markdown) {
  expect_golden("report.md", MarkdownPrinter().print(test_document()));
}

TEST(ReportsGolden, GoogleBenchmark) {
  expect_golden_json("google-benchmark.json", GoogleBenchmarkPrinter().print(test_document()));
}

TEST(ReportsGolden, ConsoleSummary) {
  expect_golden("console.txt", ConsoleSummaryPrinter().print(test_document()));
}

// ---- each format's content ------------------------------------------------------------------

TEST(ReportsCsv, ParsesBackWithAStandardReader) {
  ResultsDocument doc = test_document();
  // Three caveats on one figure: the CPU sum of 16 MiB beside 105 MiB of L3, run on fewer threads
  // and cut short by a signal (fewer samples than the rule asks; the console says so too).
  MeasurementRecord& cpu_sum = doc.measurements.at(7);
  ASSERT_EQ(where(cpu_sum), "sum (fp32) omp on cpu, 4194304");
  cpu_sum.load = MachineLoad{.readings = 5, .busy = 1.0, .fewer_threads = true};
  cpu_sum.stopping_rule = "interrupted";
  EXPECT_NE(ConsoleSummaryPrinter().print(doc).find("passed (interrupted, fewer threads)"),
            std::string::npos)
      << ConsoleSummaryPrinter().print(doc);
  const std::string text = CsvPrinter().print(doc);
  io::CSVReader<27, io::trim_chars<>, io::double_quote_escape<',', '"'>> in(
      "results.csv", text.data(), text.data() + text.size());
  in.read_header(io::ignore_no_column, "workload", "display_name", "implementation", "device",
                 "precision", "problem", "m", "n", "k", "disposition", "reason", "threads",
                 "samples", "median_s", "min_s", "max_s", "mean_s", "stddev_s", "cv", "gflops",
                 "gbytes_per_s", "peak_gflops", "percent_of_peak", "stopping_rule",
                 "verification_error_ratio", "timing", "caveats");
  std::vector<std::string> c(27);
  std::size_t rows = 0;
  while (in.read_row(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11],
                     c[12], c[13], c[14], c[15], c[16], c[17], c[18], c[19], c[20], c[21], c[22],
                     c[23], c[24], c[25], c[26])) {
    ASSERT_LT(rows, doc.measurements.size());
    const auto& r = doc.measurements[rows];
    SCOPED_TRACE(rows);
    EXPECT_EQ(c[0], to_string(r.workload));
    EXPECT_EQ(c[1], display_name(r.workload, r.precision));
    EXPECT_EQ(c[2], r.implementation);
    EXPECT_EQ(c[3], r.device.label());
    EXPECT_EQ(c[4], to_string(r.precision));
    EXPECT_EQ(c[5], r.problem.label());
    EXPECT_EQ(c[7], std::to_string(r.problem.n));
    EXPECT_EQ(c[9], to_string(r.disposition));
    EXPECT_EQ(c[10], r.reason);  // quotes, commas and pipes survive
    EXPECT_EQ(c[25], r.timing);
    // What report.md flags: the sum above; a stream of 4 MiB (GPU: beside 50 MiB of L2) is
    // partly cache; a GEMM, or a figure that did not pass, has none.
    if (&r == &cpu_sum) {
      EXPECT_EQ(c[26], "interrupted; fewer threads; partly cache");
    } else if (passed(r) && r.workload == WorkloadId::stream) {
      EXPECT_EQ(c[26], "partly cache");
    } else if (r.workload == WorkloadId::gemm || !passed(r)) {
      EXPECT_EQ(c[26], "");
    }
    if (r.stats) {
      EXPECT_EQ(c[12], std::to_string(r.stats->samples));
      EXPECT_NEAR(std::stod(c[13]), r.stats->median, r.stats->median * 1e-5);
    } else {
      EXPECT_EQ(c[12], "");
      EXPECT_EQ(c[13], "");
    }
    if (r.gflops) {
      EXPECT_NEAR(std::stod(c[19]), *r.gflops, *r.gflops * 1e-5);
    } else {
      EXPECT_EQ(c[19], "");
    }
    ++rows;
  }
  EXPECT_EQ(rows, doc.measurements.size());
}

// Rows of the Markdown tables, by the "### " heading above them.
std::multimap<std::string, std::vector<std::string>> markdown_rows(const std::string& text) {
  std::multimap<std::string, std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line, heading;
  while (std::getline(in, line)) {
    if (line.rfind("### ", 0) == 0) heading = line.substr(4);
    if (line.rfind("## ", 0) == 0) heading.clear();
    if (line.rfind("| ", 0) != 0 || line.find("---") != std::string::npos) continue;
    std::vector<std::string> cells;
    std::size_t start = 2;
    for (std::size_t end; (end = line.find(" |", start)) != std::string::npos; start = end + 3) {
      std::string cell = line.substr(start, end - start);
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      cells.push_back(cell);
    }
    rows.emplace(heading, cells);
  }
  return rows;
}

TEST(ReportsMarkdown, HasEveryMeasurement) {
  const ResultsDocument doc = test_document();
  const std::string text = MarkdownPrinter().print(doc);
  const auto rows = markdown_rows(text);
  for (const auto& r : doc.measurements) {
    const std::string heading =
        display_name(r.workload, r.precision) + " (" + std::string(to_string(r.precision)) + ")";
    const auto [first, last] = rows.equal_range(heading);
    const auto n = std::count_if(first, last, [&](const auto& row) {
      const auto& c = row.second;
      return c.size() > 3 && c[0] == r.problem.label() && c[1] == r.implementation &&
             c[2] == r.device.label();
    });
    EXPECT_EQ(n, 1) << heading << " " << r.implementation << " " << r.problem.label();
    if (r.disposition != Disposition::passed) {
      EXPECT_NE(text.find(r.implementation + " on " + r.device.label() + ", " + r.problem.label() +
                          ": " + std::string(to_string(r.disposition))),
                std::string::npos)
          << "not listed as not passed: " << r.implementation;
    }
  }
  EXPECT_NE(text.find("# flopbench 0.1.0 report (commit 0123456789ab)"), std::string::npos);
  EXPECT_NE(text.find("`flopbench run --profile quick --label 'it'\\''s a test'`"),
            std::string::npos);
  EXPECT_NE(text.find("flopbench report <dir>/results.json"), std::string::npos);
}

// GPU work on a machine without a GPU is said once per reason in report.md, report.html and on
// the console, not a row and an item each with sizes the run never used.
TEST(ReportsMarkdown, GpuWorkWithoutAGpuIsSaidOnce) {
  ResultsDocument doc = test_document();
  for (const WorkloadId w : {WorkloadId::gemm, WorkloadId::dot, WorkloadId::peak}) {
    MeasurementRecord r;
    r.workload = w;
    r.precision = Precision::fp64;
    r.implementation = "cuda";
    r.device = DeviceRef::gpu({});
    r.problem =
        w == WorkloadId::gemm ? Problem::matrix(2048, 2048, 2048) : Problem::vector(1 << 20);
    r.disposition = Disposition::unsupported;
    r.reason = "no CUDA device: no NVIDIA driver is installed or loaded";
    doc.measurements.push_back(r);
  }
  // GPU work a machine with a GPU could not do keeps its row and its item.
  MeasurementRecord fp8 = doc.measurements.at(2);  // SGEMM cublas on gpu0
  ASSERT_EQ(fp8.device, DeviceRef::gpu({0}));
  fp8.precision = Precision::fp8_e4m3;
  fp8.disposition = Disposition::unsupported;
  fp8.reason = "FP8 needs compute capability 8.9";
  fp8.stats.reset();
  doc.measurements.push_back(fp8);
  const std::string line =
      "3 GPU measurements not run: no CUDA device: no NVIDIA driver is installed or loaded";
  const std::string md = MarkdownPrinter().print(doc);
  EXPECT_NE(md.find("\n" + line + ".\n"), std::string::npos) << md;   // under Results
  EXPECT_NE(md.find("\n- " + line + "\n"), std::string::npos) << md;  // under Not passed
  EXPECT_EQ(md.find("2048x2048x2048"), std::string::npos) << md;
  EXPECT_EQ(md.find("### peak (fp64)"), std::string::npos) << md;  // a group of nothing else
  EXPECT_NE(md.find("| unsupported: FP8 needs compute capability 8.9"), std::string::npos) << md;
  EXPECT_NE(md.find("on gpu0, 256x256x256: unsupported: FP8 needs"), std::string::npos) << md;
  const std::string html = HtmlPrinter().print(doc);
  EXPECT_NE(html.find("<p>" + line + ".</p>"), std::string::npos) << html;
  EXPECT_NE(html.find("<li>" + line + "</li>"), std::string::npos) << html;
  EXPECT_EQ(html.find("2048x2048x2048"), std::string::npos) << html;
  EXPECT_EQ(html.find("<h3>peak (fp64)</h3>"), std::string::npos) << html;
  EXPECT_NE(html.find("FP8 needs compute capability 8.9"), std::string::npos) << html;
  EXPECT_NE(ConsoleSummaryPrinter().print(doc).find(line + "\n"), std::string::npos);
}

// An incomplete run's note speaks of what the run did: a burn-in or a memory test has no
// measurements to list as skipped or missing.
TEST(ReportsMarkdown, AnIncompleteRunSaysWhatItDidNotFinish) {
  const std::vector<std::pair<std::string, std::string>> runs = {
      {"quick", "measurements"}, {"burn", "the burn-in"}, {"memtest", "the memory test"}};
  for (const auto& [profile, subject] : runs) {
    SCOPED_TRACE(profile);
    ResultsDocument doc = test_document();
    doc.run.profile = profile;
    EXPECT_EQ(incomplete_run_note(doc.run), "");
    doc.run.interrupted = true;
    const std::string interrupted = incomplete_run_note(doc.run);
    EXPECT_NE(interrupted.find(subject), std::string::npos) << interrupted;
    EXPECT_NE(interrupted.find("interrupted"), std::string::npos) << interrupted;
    EXPECT_NE(MarkdownPrinter().print(doc).find("> **Incomplete:** " + interrupted),
              std::string::npos);
    doc.run.interrupted = false;
    doc.run.finished_utc = "";
    const std::string unfinished = incomplete_run_note(doc.run);
    EXPECT_NE(unfinished.find(subject), std::string::npos) << unfinished;
    EXPECT_NE(unfinished.find("did not finish"), std::string::npos) << unfinished;
    if (profile != "quick") {
      EXPECT_EQ(interrupted.find("measurements"), std::string::npos) << interrupted;
      EXPECT_EQ(unfinished.find("measurements"), std::string::npos) << unfinished;
    }
  }
}

// One sample has no spread: its CV shows as n/a, not as a perfectly stable 0.00%.
TEST(ReportsMarkdown, TheCvOfASingleSampleIsNotApplicable) {
  ResultsDocument doc = test_document();
  auto passed = std::find_if(doc.measurements.begin(), doc.measurements.end(),
                             [](const MeasurementRecord& r) { return r.stats.has_value(); });
  ASSERT_NE(passed, doc.measurements.end());
  passed->samples_s = {0.25};
  *passed->stats = compute_statistics(passed->samples_s);
  const auto rows = markdown_rows(MarkdownPrinter().print(doc));
  const std::string heading = display_name(passed->workload, passed->precision) + " (" +
                              std::string(to_string(passed->precision)) + ")";
  const auto [first, last] = rows.equal_range(heading);
  const auto row = std::find_if(first, last, [&](const auto& r) {
    return r.second[0] == passed->problem.label() && r.second[1] == passed->implementation &&
           r.second[2] == passed->device.label();
  });
  ASSERT_NE(row, last);
  const auto& cells = row->second;
  EXPECT_NE(std::find(cells.begin(), cells.end(), "n/a"), cells.end())
      << fmt::format("{}", fmt::join(cells, " | "));
}

// The run's sampling rule is recorded and stated with the results; a measurement that stopped at
// the sample cap or the time limit, before the rule held, says so in its Samples cell. A file
// from before the rule was recorded reads without one and states only what stopped short.
TEST(ReportsMarkdown, TheSamplingRuleAndWhatStoppedShortOfItAreSaid) {
  ResultsDocument doc = test_document();
  json j = to_json(doc);
  EXPECT_EQ(j["run"]["sampling"], json::parse(R"({"min_samples": 5, "max_samples": 20,
      "min_sample_s": 0.005, "min_measured_s": 0.05, "target_cv": 0.05, "time_limit_s": 2})"));
  const std::string rule =
      "Each sample is the mean time of a batch of back-to-back runs lasting at least 5 ms; "
      "sampling stopped once their CV was at most 5% (timed on a GPU, with a drift within 2.5% as "
      "well) after at least 5 samples and 50 ms of runs, else at 20 samples or after 2 s (the "
      "quick profile's rule; docs/methodology.md, \"One measurement\").";
  const std::string md = MarkdownPrinter().print(doc);
  EXPECT_NE(md.find(rule + " 2 of 13 measurements stopped before the stopping rule held, 1 at "
                           "the 20-sample cap and 1 at the time limit: their Samples read "
                           "\"(cap)\" or \"(time limit)\", and their CV (or a note that their "
                           "samples still drifted) says how far from it they were.\n"),
            std::string::npos)
      << md;
  EXPECT_NE(HtmlPrinter().print(doc).find("<p>Each sample is the mean time of a batch"),
            std::string::npos);
  const auto rows = markdown_rows(md);
  const auto samples_of = [&](std::string_view heading, std::string_view implementation) {
    const auto [first, last] = rows.equal_range(std::string(heading));
    for (auto it = first; it != last; ++it) {
      if (it->second[1] == implementation) return it->second[it->second.size() - 2];
    }
    return std::string("no row");
  };
  EXPECT_EQ(samples_of("dot (fp64)", "omp"), "20 (cap)");
  EXPECT_EQ(samples_of("dot (fp64)", "openblas"), "10");
  EXPECT_EQ(samples_of("stream (fp64)", "omp"), "10 (time limit)");

  // A GPU-timed measurement's drift rule is said only where one was measured; a workload's longer
  // samples (peak's) where it ran.
  ResultsDocument cpu_only = doc;
  std::erase_if(cpu_only.measurements, [](const auto& r) { return on_gpu(r); });
  cpu_only.measurements[0].workload = WorkloadId::peak;
  std::string text = MarkdownPrinter().print(cpu_only);
  EXPECT_EQ(text.find("timed on a GPU"), std::string::npos);
  EXPECT_NE(text.find("lasting at least 5 ms (peak: 100 ms); "), std::string::npos) << text;

  // From before the rule was recorded: only what stopped short, and nothing where nothing did.
  j["run"].erase("sampling");
  ResultsDocument older = results_from_json(j);
  EXPECT_FALSE(older.run.sampling.has_value());
  text = MarkdownPrinter().print(older);
  EXPECT_EQ(text.find("Each sample is"), std::string::npos);
  EXPECT_NE(text.find("\n2 of 13 measurements stopped before the stopping rule held, 1 at the "
                      "sample cap and 1 at the time limit: "),
            std::string::npos);
  older.measurements[15].stopping_rule = "converged";
  EXPECT_NE(MarkdownPrinter().print(older).find("\n1 of 13 measurements stopped at the sample "
                                                "cap, before the stopping rule held: their "
                                                "Samples read \"(cap)\", and"),
            std::string::npos);
  older.measurements[10].stopping_rule = "converged";
  EXPECT_EQ(MarkdownPrinter().print(older).find("stopped"), std::string::npos);
}

// The health section: every fact of every GPU, in its group's table, a column per GPU; a fact
// that could not be read shows why, never blank and never 0.
TEST(ReportsHealth, MarkdownShowsEveryFactOfEveryGpuAndWhyOneIsUnknown) {
  const std::string text = MarkdownPrinter().print(test_document());
  ASSERT_NE(text.find("\n## Health\n"), std::string::npos) << text;
  const std::string section = text.substr(text.find("\n## Health\n"));
  for (const std::string& expected : std::vector<std::string>{
           "- cpu.count: 16\n", "- memory.gib: 62.75\n",
           "- numa.nodes: unknown: no /sys/devices/system/node\n", "- gpu facts: from nvml\n",
           "- kernel log: /dev/kmsg\n",
           "- gpu0: NVIDIA H100 80GB HBM3, PCI 00000000:17:00.0 (10de:2330)\n",
           "- nvml1: NVIDIA H100 80GB HBM3, PCI 00000000:2A:00.0 (10de:2330); NVML index 1, CUDA "
           "does not see it\n"}) {
    EXPECT_NE(section.find(expected), std::string::npos) << expected;
  }
  // Fact name -> its cells on gpu0 and nvml1 (CUDA does not see it), and the group tables' headers.
  std::map<std::string, std::vector<std::string>> facts;
  std::vector<std::string> groups;
  for (const auto& [heading, cells] : markdown_rows(section)) {
    if (cells.size() != 3) continue;
    if (cells[1] == "gpu0" && cells[2] == "nvml1") {
      groups.push_back(cells[0]);
    } else {
      facts[cells[0]] = {cells[1], cells[2]};
    }
  }
  for (const std::string group :
       {"Identity and driver", "Memory errors", "PCIe", "NVLink", "Power and clocks",
        "Other processes", "XID errors", "Other facts"}) {
    EXPECT_NE(std::find(groups.begin(), groups.end(), group), groups.end()) << group;
  }
  for (const auto& info : kGpuHealthFacts) {
    const auto it = facts.find(std::string(info.name));
    ASSERT_NE(it, facts.end()) << info.name;
    for (const auto& cell : it->second) EXPECT_FALSE(cell.empty()) << info.name;
  }
  using Cells = std::vector<std::string>;
  EXPECT_EQ(facts["retired_pages.count"],
            Cells({"unknown: not supported", "unknown: not supported"}));
  EXPECT_EQ(facts["ecc.uncorrected_volatile"], Cells({"0", "unknown: GPU is lost"}));
  EXPECT_EQ(facts["fabric.state"], Cells({"none", "unknown: not recorded"}));
  EXPECT_EQ(facts["pcie.width"], Cells({"16", "8"}));
  EXPECT_EQ(facts["xid.last"], Cells({"none", "Xid 79: GPU has fallen off the bus"}));
  EXPECT_EQ(facts["thermal.margin_c"], Cells({"31", "unknown: not recorded"}));
}

TEST(ReportsHealth, HtmlShowsEveryFactOfEveryGpuAndWhyOneIsUnknown) {
  const std::string html = HtmlPrinter().print(test_document());
  ASSERT_NE(html.find("<h2 id=\"health\">Health</h2>"), std::string::npos);
  const std::string section = html.substr(html.find("<h2 id=\"health\">"));
  for (const std::string& expected : std::vector<std::string>{
           "<tr><th>numa.nodes</th><td>unknown: no /sys/devices/system/node</td></tr>",
           "<tr><th>gpu facts</th><td>from nvml</td></tr>",
           "<tr><th>nvml1</th><td>NVIDIA H100 80GB HBM3, PCI 00000000:2A:00.0 (10de:2330); NVML "
           "index 1, CUDA does not see it</td></tr>",
           "<thead><tr><th>Memory errors</th><th>gpu0</th><th>nvml1</th></tr></thead>",
           "<tr><td>retired_pages.count</td><td>unknown: not supported</td><td>unknown: not "
           "supported</td></tr>",
           "<tr><td>ecc.uncorrected_volatile</td><td>0</td><td>unknown: GPU is lost</td></tr>",
           "<tr><td>fabric.state</td><td>none</td><td>unknown: not recorded</td></tr>"}) {
    EXPECT_NE(section.find(expected), std::string::npos) << expected;
  }
  for (const auto& info : kGpuHealthFacts) {
    EXPECT_NE(section.find("<tr><td>" + std::string(info.name) + "</td>"), std::string::npos)
        << info.name;
  }
}

TEST(ReportsHealth, ResultsWithoutHealthFactsHaveNoSection) {
  ResultsDocument doc = test_document();
  doc.environment.health.reset();
  EXPECT_EQ(MarkdownPrinter().print(doc).find("## Health"), std::string::npos);
  const std::string html = HtmlPrinter().print(doc);
  EXPECT_EQ(html.find("id=\"health\""), std::string::npos);
  EXPECT_EQ(html.find("Identity and driver"), std::string::npos);
}

// A GPU that NVML could not read: the host facts still show, and why there are no GPU facts.
TEST(ReportsHealth, NoGpuFactsSaysWhy) {
  ResultsDocument doc = test_document();
  doc.environment.health->gpus.clear();
  doc.environment.health->gpu_source = "";
  doc.environment.health->gpu_unknown = "NVML: cannot load; nvidia-smi: cannot start";
  const std::string md = MarkdownPrinter().print(doc);
  EXPECT_NE(md.find("- gpu facts: unknown: NVML: cannot load; nvidia-smi: cannot start\n"),
            std::string::npos);
  EXPECT_EQ(md.find("Identity and driver"), std::string::npos);
  EXPECT_NE(HtmlPrinter().print(doc).find(
                "<tr><th>gpu facts</th><td>unknown: NVML: cannot load; nvidia-smi: cannot "
                "start</td></tr>"),
            std::string::npos);
}

TEST(ReportsMarkdown, ComparesGpuWithCpuAndReferences) {
  const auto rows = markdown_rows(MarkdownPrinter().print(test_document()));
  // Headings of these sections are "## ", so their rows have no "### " heading.
  const auto [first, last] = rows.equal_range("");
  bool sgemm_speedup = false;
  for (auto it = first; it != last; ++it) {
    const auto& c = it->second;
    // Best GPU is cublas (the cuda kernel was incorrect), best CPU openblas: 1e-3 / 2e-5.
    if (c.size() == 7 && c[0] == "SGEMM (fp32)" && c[2] == "cublas (gpu0)") {
      EXPECT_EQ(c[4], "openblas (cpu)");
      EXPECT_EQ(c[6], "50.00×");
      sgemm_speedup = true;
    }
  }
  EXPECT_TRUE(sgemm_speedup);

  const auto openblas = rows.equal_range("Relative to OpenBLAS");
  EXPECT_EQ(std::distance(openblas.first, openblas.second), 1 + 3);  // header, omp, cublas, dot
  const auto stream = rows.equal_range("Relative to STREAM triad");
  for (auto it = stream.first; it != stream.second; ++it) {
    if (it->second[0] == "Workload") continue;
    EXPECT_EQ(it->second[6], "4194304") << "the largest STREAM size is the reference";
  }
}

// A sweep times one GPU measurement three ways: each is a benchmark and a CSV row of its own.
TEST(ReportsGoogleBenchmark, EndToEndTimingsHaveNamesOfTheirOwn) {
  ResultsDocument doc = test_document();
  const auto gpu = std::find_if(doc.measurements.begin(), doc.measurements.end(),
                                [](const MeasurementRecord& r) {
                                  return r.device.on_gpu() && passed(r) && !r.samples_s.empty();
                                });
  ASSERT_NE(gpu, doc.measurements.end());
  ASSERT_EQ(gpu->timing, "device_events");
  MeasurementRecord pinned = *gpu;
  pinned.timing = "end_to_end_pinned";
  doc.measurements.push_back(pinned);
  std::set<std::string> names;
  const json j = json::parse(GoogleBenchmarkPrinter().print(doc));
  for (const auto& b : j.at("benchmarks")) {
    if (b.at("run_type") == "iteration") {
      EXPECT_TRUE(names.insert(b.at("name").get<std::string>()).second) << b.at("name");
    }
  }
  const std::string pinned_name =
      fmt::format("{}/{}/{}/{}/end_to_end_pinned/{}", pinned.workload, pinned.implementation,
                  pinned.device, to_string(pinned.precision), pinned.problem.label());
  EXPECT_TRUE(names.contains(pinned_name)) << pinned_name;
  const std::string csv = CsvPrinter().print(doc);
  EXPECT_NE(csv.find(fmt::format(",{},end_to_end_pinned,{},", to_string(pinned.precision),
                                 pinned.problem.label())),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find(fmt::format(",{},device_events,{},", to_string(pinned.precision),
                                 pinned.problem.label())),
            std::string::npos);
}

// A contended measurement says so in each of its rows, where Google Benchmark's tools show a
// benchmark's label; a clean one has none.
TEST(ReportsGoogleBenchmark, AFigureTheRunQualifiesCarriesItsFlagsAsTheLabel) {
  ResultsDocument doc = test_document();
  ASSERT_TRUE(passed(doc.measurements[0]));
  ASSERT_TRUE(caveats(doc.environment, doc.measurements[0]).empty());
  const auto rows_of = [](const ResultsDocument& d, const std::string& run_name) {
    std::vector<json> rows;
    const json file = json::parse(GoogleBenchmarkPrinter().print(d));
    for (const auto& b : file.at("benchmarks")) {
      if (b.at("run_name") == run_name) rows.push_back(b);
    }
    return rows;
  };
  const std::string name = "gemm/omp/cpu/fp32/256x256x256";
  const auto clean = rows_of(doc, name);
  ASSERT_EQ(clean.size(), 5u);
  for (const json& row : clean) EXPECT_FALSE(row.contains("label")) << row;
  doc.measurements[0].load = MachineLoad{.readings = 5, .contended = true};
  doc.measurements[0].stopping_rule = "interrupted";
  const auto rows = rows_of(doc, name);
  ASSERT_EQ(rows.size(), 5u);
  for (const json& row : rows) EXPECT_EQ(row.at("label"), "contended, interrupted") << row;
}

TEST(ReportsGoogleBenchmark, StructureAndCounts) {
  const ResultsDocument doc = test_document();
  const json j = json::parse(GoogleBenchmarkPrinter().print(doc));
  const json& context = j.at("context");
  EXPECT_EQ(context.at("host_name"), "node-17");
  EXPECT_EQ(context.at("date"), "2025-01-02T03:04:05Z");
  EXPECT_EQ(context.at("num_cpus"), 16);
  EXPECT_EQ(context.at("mhz_per_cpu"), 2500);
  EXPECT_EQ(context.at("cpu_scaling_enabled"), false);
  EXPECT_EQ(context.at("caches").size(), doc.environment.cpu.caches.size());
  EXPECT_EQ(context.at("caches").at(0).at("size"), 48 * 1024);
  EXPECT_EQ(context.at("library_build_type"), "release");
  EXPECT_EQ(context.at("flopbench_version"), "0.1.0");

  // No load figures in the document: no load average.
  EXPECT_EQ(context.at("load_avg"), json::array());

  // One iteration row per measurement (its median) and the four aggregates: compare.py's
  // geomean weighs each measurement once, whatever its sample count.
  std::size_t passed = 0;
  for (const auto& r : doc.measurements) passed += r.disposition == Disposition::passed;
  std::map<std::string, int> rows;
  for (const auto& b : j.at("benchmarks")) {
    EXPECT_EQ(b.at("time_unit"), "ns");
    if (b.at("run_type") == "iteration") {
      ++rows["iteration"];
      EXPECT_EQ(b.at("name"), b.at("run_name"));
    } else {
      ASSERT_EQ(b.at("run_type"), "aggregate");
      const std::string name = b.at("aggregate_name");
      ++rows[name];
      EXPECT_EQ(b.at("aggregate_unit"), name == "cv" ? "percentage" : "time");
      EXPECT_EQ(b.at("name"), b.at("run_name").get<std::string>() + "_" + name);
    }
  }
  for (const char* name : {"iteration", "mean", "median", "stddev", "cv"}) {
    EXPECT_EQ(rows[name], static_cast<int>(passed)) << name;
  }

  const MeasurementRecord& r0 = doc.measurements[0];
  const auto row = [&](std::size_t i) { return j.at("benchmarks").at(i); };
  EXPECT_EQ(row(0).at("name"), "gemm/omp/cpu/fp32/256x256x256");
  EXPECT_DOUBLE_EQ(row(0).at("real_time").get<double>(), r0.stats->median * 1e9);
  EXPECT_DOUBLE_EQ(row(0).at("cpu_time").get<double>(),
                   compute_statistics(r0.host_wall_s).median * 1e9);
  EXPECT_DOUBLE_EQ(row(0).at("FLOPS").get<double>(), r0.flops / r0.stats->median);
  EXPECT_EQ(row(0).at("repetitions"), r0.samples_s.size());
  // cv is the record's stddev / mean of the sample times, a fraction as Google Benchmark writes
  // it; cpu_time's is that of the host times.
  EXPECT_EQ(row(4).at("aggregate_name"), "cv");
  EXPECT_DOUBLE_EQ(row(4).at("real_time").get<double>(), r0.stats->cv);
  const Statistics host = compute_statistics(r0.host_wall_s);
  EXPECT_NEAR(row(4).at("cpu_time").get<double>(), host.stddev / host.mean, 1e-12);
  EXPECT_GT(row(4).at("cpu_time").get<double>(), 0);

  // The load average is the median of what the measurements read.
  ResultsDocument loaded = doc;
  for (double average : {1.0, 3.0, 2.5}) {
    loaded.measurements.push_back(loaded.measurements[0]);
    loaded.measurements.back().load = MachineLoad{.readings = 5, .load_average = {0, average, 9}};
  }
  EXPECT_EQ(json::parse(GoogleBenchmarkPrinter().print(loaded)).at("context").at("load_avg"),
            json::array({2.5}));

  // gemm/omp/cpu/fp32 at 512^3 is the same family's second instance.
  bool second_instance = false;
  for (const auto& b : j.at("benchmarks")) {
    if (b.at("run_name") == "gemm/omp/cpu/fp32/512x512x512") {
      EXPECT_EQ(b.at("family_index"), 0);
      EXPECT_EQ(b.at("per_family_instance_index"), 1);
      second_instance = true;
    }
  }
  EXPECT_TRUE(second_instance);
}

TEST(ReportsConsole, OneLinePerMeasurement) {
  const ResultsDocument doc = test_document();
  const std::string text = ConsoleSummaryPrinter().print(doc);
  EXPECT_EQ(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')),
            doc.measurements.size() + 2);  // header and tally
  EXPECT_NE(text.find("17 measurements: 13 passed, 1 incorrect, 1 failed, 1 skipped, "
                      "1 unsupported"),
            std::string::npos)
      << text;
}

// GPU work not run for want of a GPU: a line per reason, each the reason its records carry.
TEST(ReportsConsole, GpuWorkNotRunIsCountedByItsOwnReason) {
  ResultsDocument doc = test_document();
  doc.measurements.resize(2);
  MeasurementRecord gpu_work = doc.measurements.front();
  gpu_work.device = DeviceRef::gpu({});
  gpu_work.disposition = Disposition::unsupported;
  gpu_work.reason = "no CUDA device: no NVIDIA driver is installed or loaded";
  doc.measurements.push_back(gpu_work);
  doc.measurements.push_back(gpu_work);
  gpu_work.reason = "cublas has no fp16";
  doc.measurements.push_back(gpu_work);
  const std::string text = ConsoleSummaryPrinter().print(doc);
  EXPECT_NE(text.find("\n2 GPU measurements not run: no CUDA device: no NVIDIA driver is "
                      "installed or loaded\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n1 GPU measurement not run: cublas has no fp16\n"), std::string::npos)
      << text;
  // The tally counts them as not run, apart from the unsupported rows above it.
  ASSERT_EQ(doc.measurements[0].disposition, Disposition::passed);
  ASSERT_EQ(doc.measurements[1].disposition, Disposition::passed);
  EXPECT_NE(text.find("\n5 measurements: 2 passed, 3 not run\n"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2 + 2 + 2);  // header, rows, tally, reasons
}

// ---- writing files --------------------------------------------------------------------------

TEST(ReportsFiles, RegenerationIsByteIdentical) {
  TempDir dir;
  const fs::path a = dir.path() / "a", b = dir.path() / "b", c = dir.path() / "c";
  for (const auto& d : {a, b, c}) fs::create_directory(d);
  const ResultsDocument doc = test_document();
  EXPECT_EQ(write_outputs(doc, a, true), "");
  EXPECT_EQ(write_outputs(doc, b, true), "");
  // `flopbench report`: everything else again from the results.json alone.
  EXPECT_EQ(write_outputs(read_results_file(a / "results.json"), c, false), "");

  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(a)) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"results.json", "results.csv", "crossover.csv",
                                          "report.md", "google-benchmark.json", "report.html"}));
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    EXPECT_EQ(read_text(b / name), read_text(a / name));
    if (name != "results.json") {
      EXPECT_EQ(read_text(c / name), read_text(a / name));
    }
  }
  EXPECT_FALSE(fs::exists(c / "results.json"));
}

// Text that is not UTF-8 (a mangled host name, an argument) comes out of results.json as U+FFFD;
// the other files, printed from the results as written, say the same, so that `report` makes
// them again byte for byte.
TEST(ReportsFiles, RegenerationIsByteIdenticalWhereTheRunHeldInvalidUtf8) {
  TempDir dir;
  const fs::path a = dir.path() / "a", c = dir.path() / "c";
  for (const auto& d : {a, c}) fs::create_directory(d);
  ResultsDocument doc = test_document();
  doc.environment.host =
      "node\xff"
      "7";
  doc.run.command_line.push_back("--label=caf\xe9");
  doc.measurements.at(0).notes.push_back(
      "ran on node\xff"
      "7");
  EXPECT_EQ(write_outputs(doc, a, true), "");
  EXPECT_EQ(write_outputs(read_results_file(a / "results.json"), c, false), "");
  for (const auto& e : fs::directory_iterator(a)) {
    const std::string name = e.path().filename().string();
    SCOPED_TRACE(name);
    const std::string text = read_text(a / name);
    EXPECT_EQ(text.find('\xff'), std::string::npos);
    EXPECT_EQ(text.find('\xe9'), std::string::npos);
    if (name != "results.json") {
      EXPECT_EQ(read_text(c / name), text);
    }
  }
  EXPECT_NE(read_text(a / "report.md")
                .find("node\xef\xbf\xbd"
                      "7"),
            std::string::npos);
}

// Results that do not read back as written are a defect of flopbench: every file is still
// written, from the run in memory, and what went wrong is returned for the command to say.
TEST(ReportsFiles, ResultsThatDoNotReadBackAreWrittenAndADefectReturned) {
  TempDir dir;
  ResultsDocument doc = test_document();
  doc.measurements.at(0).gflops = std::numeric_limits<double>::quiet_NaN();
  const std::string problem = write_outputs(doc, dir.path(), true);
  EXPECT_NE(problem.find("do not read back"), std::string::npos) << problem;
  EXPECT_NE(problem.find("a defect of flopbench"), std::string::npos) << problem;
  for (const char* name : {"results.json", "results.csv", "crossover.csv", "report.md",
                           "google-benchmark.json", "report.html"}) {
    EXPECT_TRUE(fs::exists(dir.path() / name)) << name;
  }
}

// ---- the sweep's crossover ------------------------------------------------------------------

TEST(Crossover, InterpolatedOnLogLogAxesAfterTheLastSizeTheCpuWins) {
  // The GPU wins at 16, loses at 32 and 64 (2x slower), then wins from 128 (2x faster) on: the
  // crossover lies between 64 and 128, where log(gpu / cpu) is 0 on the line through them.
  const std::vector<CrossoverPoint> points = {{16, 1e-6, 5e-7},
                                              {32, 3e-6, 1.2e-5},
                                              {64, 2.5e-5, 5e-5},
                                              {128, 2e-4, 1e-4},
                                              {256, 2e-3, 2e-4}};
  const CrossoverFinding f = find_crossover(points);
  ASSERT_TRUE(f.size.has_value()) << f.basis;
  EXPECT_NEAR(*f.size, std::sqrt(64.0 * 128.0), 1e-9);
  EXPECT_EQ(f.basis, "interpolated (log-log) between 64 and 128");
  EXPECT_EQ(f.between, std::optional(std::pair(64.0, 128.0)));  // the sheet's "≈", and between
  // Shown rounded up to three significant figures: never a size below the estimate.
  EXPECT_EQ(crossover_size_shown(f), 91);  // 90.51
  EXPECT_EQ(crossover_size_shown({2345678.9, "", std::pair(1e6, 4e6)}), 2350000);
  EXPECT_EQ(crossover_size_shown({1234.0, "", std::pair(1024.0, 2048.0)}), 1240);

  // Unequal ratios move it towards the point nearer a tie: 1.5x slower at 64, 3x faster at 128.
  const std::vector<CrossoverPoint> skewed = {{64, 2e-5, 3e-5}, {128, 3e-4, 1e-4}};
  const double t = std::log(1.5) / (std::log(1.5) + std::log(3.0));
  EXPECT_NEAR(*find_crossover(skewed).size, 64 * std::pow(2.0, t), 1e-9);

  // A tie is not a win: the crossover is the tied size itself.
  const std::vector<CrossoverPoint> tied = {{64, 1e-5, 1e-5}, {128, 1e-4, 5e-5}};
  EXPECT_NEAR(*find_crossover(tied).size, 64, 1e-9);
}

TEST(Crossover, NotReachedUnlessTheGpuWinsAtTheLargestSize) {
  const std::vector<CrossoverPoint> dip = {
      {1024, 1e-6, 5e-6}, {4096, 4e-6, 2e-6}, {16384, 1e-5, 2e-5}};
  const CrossoverFinding f = find_crossover(dip);
  EXPECT_FALSE(f.size.has_value());
  EXPECT_EQ(f.basis, "not reached: the CPU is as fast or faster at the largest size, 16384");

  const CrossoverFinding none = find_crossover({});
  EXPECT_FALSE(none.size.has_value());
  EXPECT_EQ(none.basis, "not reached: no size was measured on both the CPU and the GPU");
}

TEST(Crossover, FromTheSmallestSizeWhenTheGpuAlwaysWins) {
  const std::vector<CrossoverPoint> points = {{16, 1e-5, 1e-6}, {32, 1e-4, 2e-6}};
  const CrossoverFinding f = find_crossover(points);
  ASSERT_TRUE(f.size.has_value());
  EXPECT_EQ(*f.size, 16);
  EXPECT_EQ(f.basis, "the GPU is faster at every size, from the smallest, 16");
  EXPECT_FALSE(f.between.has_value());  // a size measured, no estimate
  EXPECT_EQ(crossover_size_shown(f), 16);
}

TEST(Crossover, SweepSizeIsTheCubeSideOrTheElementCount) {
  EXPECT_NEAR(sweep_size(Problem::matrix(256, 256, 256)), 256, 1e-9);
  EXPECT_NEAR(sweep_size(Problem::matrix(64, 128, 256)), 128, 1e-9);
  EXPECT_EQ(sweep_size(Problem::vector(4096)), 4096);
}

// A sweep whose GPU timings are injected: SGEMM crosses over between 64 and 128 on device time
// (the GPU also wins at 16, which must not count, and a machine aggregate faster everywhere must
// be left out) and between 128 and 256 end to end from pinned memory; DGEMM had no GPU; dot
// never gets there.
ResultsDocument sweep_document() {
  ResultsDocument doc = test_document();
  doc.run.profile = "sweep";
  doc.run.command_line = {"flopbench", "run", "--sweep"};
  doc.measurements.clear();
  const auto passed = Disposition::passed;
  const auto fp32 = Precision::fp32;
  const auto cube = [](std::int64_t n) { return Problem::matrix(n, n, n); };
  const std::vector<std::int64_t> sizes = {16, 32, 64, 128, 256};
  const std::vector<double> omp = {1e-6, 4e-6, 3e-5, 2.4e-4, 2e-3};
  const std::vector<double> openblas = {2e-6, 3e-6, 2.5e-5, 2e-4, 1.6e-3};
  const std::vector<double> cublas = {5e-7, 1.2e-5, 5e-5, 1e-4, 2e-4};
  const std::vector<double> end_to_end = {2e-5, 3e-5, 5e-5, 4e-4, 4e-4};
  std::vector<Spec> specs;
  std::vector<std::size_t> pinned;  // the specs timed end to end
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    specs.push_back({"gemm", "omp", "cpu", fp32, cube(sizes[i]), passed, omp[i]});
    specs.push_back({"gemm", "openblas", "cpu", fp32, cube(sizes[i]), passed, openblas[i]});
    specs.push_back({"gemm", "cublas", "gpu0", fp32, cube(sizes[i]), passed, cublas[i]});
    specs.push_back({"gemm", "cublas", "gpu0+gpu1", fp32, cube(sizes[i]), passed, 1e-7});
    pinned.push_back(specs.size());
    specs.push_back({"gemm", "cublas", "gpu0", fp32, cube(sizes[i]), passed, end_to_end[i]});
  }
  for (const std::int64_t n : {16, 32}) {
    specs.push_back({"gemm", "omp", "cpu", Precision::fp64, cube(n), passed, 1e-6 * n});
    specs.push_back({"gemm", "cublas", "gpu", Precision::fp64, cube(n), Disposition::unsupported, 0,
                     "no CUDA device: test"});
  }
  specs.push_back({"dot", "omp", "cpu", fp32, Problem::vector(1024), passed, 1e-6});
  specs.push_back({"dot", "cuda", "gpu0", fp32, Problem::vector(1024), passed, 5e-6});
  specs.push_back({"dot", "omp", "cpu", fp32, Problem::vector(4096), passed, 4e-6});
  specs.push_back({"dot", "cuda", "gpu0", fp32, Problem::vector(4096), passed, 6e-6});
  for (const auto& s : specs) doc.measurements.push_back(make_record(s, doc.environment));
  for (const std::size_t i : pinned) doc.measurements[i].timing = "end_to_end_pinned";
  return doc;
}

TEST(Crossover, FoundInASweepDocumentFromTheFastestOfEachSide) {
  const ResultsDocument doc = sweep_document();
  const std::vector<Crossover> found = crossovers(doc);
  ASSERT_EQ(found.size(), 4u);

  const Crossover& sgemm = found[0];
  EXPECT_EQ(crossover_title(sgemm), "SGEMM (fp32), GPU device time, transfers excluded");
  EXPECT_EQ(sgemm.gpu_timing, "device_events");
  ASSERT_TRUE(sgemm.finding.size.has_value()) << sgemm.finding.basis;
  EXPECT_NEAR(*sgemm.finding.size, std::sqrt(64.0 * 128.0), 1e-9);
  EXPECT_EQ(crossover_size_text(sgemm), "n ≈ 91");  // 90.5, an estimate: rounded up
  ASSERT_EQ(sgemm.points.size(), 5u);
  EXPECT_EQ(sgemm.points[0].cpu->implementation, "omp");  // the faster CPU at each size
  EXPECT_EQ(sgemm.points[1].cpu->implementation, "openblas");
  EXPECT_EQ(sgemm.points[0].gpu->device.label(), "gpu0");  // one GPU, never the aggregate
  EXPECT_DOUBLE_EQ(*sgemm.points[0].speedup(), 2.0);
  EXPECT_DOUBLE_EQ(*sgemm.points[4].speedup(), 8.0);

  // End to end, from the same CPU figures: 2x slower at 128, 4x faster at 256.
  const Crossover& pinned = found[1];
  EXPECT_EQ(crossover_title(pinned),
            "SGEMM (fp32), GPU end to end from pinned host memory, transfers included");
  ASSERT_TRUE(pinned.finding.size.has_value()) << pinned.finding.basis;
  EXPECT_NEAR(*pinned.finding.size, 128 * std::cbrt(2.0), 1e-9);
  EXPECT_EQ(crossover_size_text(pinned), "n ≈ 162");  // 161.3
  EXPECT_EQ(pinned.points[4].gpu->timing, "end_to_end_pinned");

  const Crossover& dgemm = found[2];
  EXPECT_EQ(dgemm.gpu_timing, "");
  EXPECT_FALSE(dgemm.finding.size.has_value());
  EXPECT_EQ(dgemm.finding.basis,
            "not reached: no GPU measurement passed (unsupported: no CUDA device: test)");
  ASSERT_EQ(dgemm.points.size(), 2u);
  EXPECT_EQ(dgemm.points[0].gpu, nullptr);
  EXPECT_FALSE(dgemm.points[0].speedup().has_value());

  const Crossover& dot = found[3];
  EXPECT_EQ(dot.workload, WorkloadId::dot);
  EXPECT_FALSE(dot.finding.size.has_value());
  EXPECT_EQ(crossover_sentence(dot),
            "not reached: the CPU is as fast or faster at the largest size, 4096");

  // Only a sweep has crossovers: the same measurements in a standard run have none.
  ResultsDocument standard = doc;
  standard.run.profile = "standard";
  EXPECT_TRUE(crossovers(standard).empty());
  const ResultsDocument quick = test_document();
  EXPECT_TRUE(crossovers(quick).empty());
}

// Matrix formats: report.md and report.html show, per format, the best passed GEMM of each side
// with its % of peak and the GPU / CPU ratio; the sheet gives each format measured a row of its
// own per device kind, named as a dense matrix figure in both languages, judged against the
// measurements' own peaks.
TEST(Reports, MatrixThroughputSectionAndSheetRows) {
  ResultsDocument doc = test_document();
  const auto matrix = [&](const std::string& impl, const std::string& device, Precision p,
                          std::int64_t n, double median_s, double peak_gflops) {
    MeasurementRecord r = make_record({"gemm", impl, device, Precision::fp32,
                                       Problem::matrix(n, n, n), Disposition::passed, median_s},
                                      doc.environment);
    r.precision = p;
    r.peak = peak(peak_gflops, "test peak");
    r.percent_of_peak = *r.gflops / peak_gflops * 100;
    doc.measurements.push_back(r);
  };
  matrix("onednn", "cpu", Precision::bf16, 500, 0.01, 400);        // 25 GFLOP/s
  matrix("onednn", "cpu", Precision::bf16, 1000, 0.01, 400);       // 200 GFLOP/s, 50%
  matrix("cublaslt", "gpu0", Precision::bf16, 10000, 0.004, 1e6);  // 500 TFLOP/s, 50%
  matrix("onednn", "cpu", Precision::int8, 1000, 0.005, 1600);     // 400 GOP/s, 25%
  MeasurementRecord fp8 =
      make_record({"gemm", "cublaslt", "gpu", Precision::fp32, Problem::matrix(64, 64, 64),
                   Disposition::unsupported, 0, "no CUDA device: test"},
                  doc.environment);
  fp8.precision = Precision::fp8_e4m3;
  doc.measurements.push_back(fp8);  // nothing passed at FP8: no row

  // The section's rows, by their first cell (the precision).
  std::map<std::string, std::vector<std::string>> matrix_rows;
  for (const auto& [heading, cells] : markdown_rows(MarkdownPrinter().print(doc))) {
    if (heading.empty() && cells.size() == 8) matrix_rows[cells[0]] = cells;
  }
  EXPECT_EQ(matrix_rows["BF16"],
            (std::vector<std::string>{"BF16", "onednn (cpu, 1000x1000x1000)", "200 GFLOP/s",
                                      "50.0%", "cublaslt (gpu0, 10000x10000x10000)",
                                      "500000 GFLOP/s", "50.0%", "2500.00×"}));
  EXPECT_EQ(matrix_rows["INT8"],
            (std::vector<std::string>{"INT8", "onednn (cpu, 1000x1000x1000)", "400 GOP/s", "25.0%",
                                      "-", "-", "-", "-"}));
  EXPECT_EQ(matrix_rows.count("FP8 E4M3"), 0u);
  EXPECT_NE(MarkdownPrinter().print(doc).find("## Matrix (tensor) throughput"), std::string::npos);
  EXPECT_NE(HtmlPrinter().print(doc).find("<h2 id=\"matrix\">Matrix (tensor) throughput</h2>"),
            std::string::npos);
  // Each matrix measurement's own peak, which the inventory does not give, under its table in
  // both reports.
  EXPECT_NE(MarkdownPrinter().print(doc).find("- peak on cpu: 400 GFLOP/s (test peak)\n"),
            std::string::npos);
  EXPECT_NE(HtmlPrinter().print(doc).find("<li>peak on cpu: 400 GFLOP/s (test peak)</li>"),
            std::string::npos);
  // FP32 and FP64 only: no such section.
  EXPECT_EQ(MarkdownPrinter().print(test_document()).find("Matrix (tensor)"), std::string::npos);

  const std::string en = SheetPrinter(SheetLanguage::en).print(doc);
  EXPECT_NE(en.find("<td>CPU</td><td>BF16 matrix, dense (no sparsity)</td><td class=\"num "
                    "big\">0.200</td><td class=\"num\">0.400</td><td class=\"num\">50.0%</td>"),
            std::string::npos)
      << en;
  EXPECT_NE(en.find("<td>GPU</td><td>BF16 matrix, dense (no sparsity)</td><td class=\"num "
                    "big\">500</td><td class=\"num\">1000</td><td class=\"num\">50.0%</td>"),
            std::string::npos);
  EXPECT_NE(en.find("<td>CPU</td><td>INT8 matrix, dense (no sparsity) (TOPS)</td><td "
                    "class=\"num big\">0.400</td><td class=\"num\">1.60</td>"),
            std::string::npos);
  EXPECT_EQ(en.find("<td>GPU</td><td>INT8"), std::string::npos) << "not measured on the GPU";
  // Each matrix row's theoretical has its basis in the small print: the quoted measurement's.
  EXPECT_NE(en.find("CPU BF16 400 GFLOP/s (test peak); CPU INT8 1600 GOP/s (test peak); gpu0 "
                    "BF16 1000000 GFLOP/s (test peak)"),
            std::string::npos)
      << en;
  const std::string zh = SheetPrinter(SheetLanguage::zh).print(doc);
  EXPECT_NE(zh.find("<td>GPU</td><td>BF16 矩阵运算，稠密（无稀疏）</td>"), std::string::npos);
  EXPECT_NE(zh.find("<td>CPU</td><td>INT8 矩阵运算，稠密（无稀疏）（TOPS）</td>"),
            std::string::npos);
}

// A sweep measures each GPU's empty-kernel launch latency: kept in results.json with the GPU's
// inventory (files from before it read without it) and stated in the crossover sections.
TEST(Crossover, LaunchLatencyIsRecordedAndReported) {
  ResultsDocument doc = sweep_document();
  doc.environment.gpu.devices.at(0).launch_latency = LaunchLatency{4.3, 2.5, 2000};
  const ResultsDocument back = results_from_json(json::parse(JsonPrinter().print(doc)));
  const auto& latency = back.environment.gpu.devices.at(0).launch_latency;
  ASSERT_TRUE(latency.has_value());
  EXPECT_EQ(latency->synchronous_us, 4.3);
  EXPECT_EQ(latency->back_to_back_us, 2.5);
  EXPECT_EQ(latency->launches, 2000);
  json older = to_json(doc);
  older["environment"]["gpu"]["devices"][0].erase("launch_latency");
  EXPECT_FALSE(results_from_json(older).environment.gpu.devices.at(0).launch_latency.has_value());

  const std::string sentence =
      "Launch latency of an empty kernel on gpu0: 4.3 µs to launch and wait, 2.5 µs per launch "
      "back to back (2000 launches each).";
  EXPECT_NE(MarkdownPrinter().print(doc).find(sentence), std::string::npos);
  EXPECT_NE(HtmlPrinter().print(doc).find("<p>" + sentence + "</p>"), std::string::npos);
  EXPECT_EQ(MarkdownPrinter().print(sweep_document()).find("Launch latency"), std::string::npos);
}

TEST(Crossover, WrittenIntoResultsJsonAndNeverReadBack) {
  const ResultsDocument doc = sweep_document();
  const json j = to_json(doc);
  const json& c = j.at("crossovers");
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].at("workload"), "gemm");
  EXPECT_EQ(c[0].at("precision"), "fp32");
  EXPECT_EQ(c[0].at("gpu_timing"), "device_events");
  EXPECT_NEAR(c[0].at("size").get<double>(), std::sqrt(64.0 * 128.0), 1e-9);
  EXPECT_EQ(c[0].at("basis"), "interpolated (log-log) between 64 and 128");
  const json& first = c[0].at("points").at(0);
  EXPECT_EQ(first.at("problem_label"), "16x16x16");
  EXPECT_NEAR(first.at("size").get<double>(), 16, 1e-9);
  EXPECT_EQ(first.at("cpu_implementation"), "omp");
  EXPECT_EQ(first.at("cpu_median_s"), 1e-6);
  EXPECT_EQ(first.at("gpu_implementation"), "cublas");
  EXPECT_EQ(first.at("gpu_device"), "gpu0");
  EXPECT_EQ(first.at("gpu_median_s"), 5e-7);
  EXPECT_EQ(first.at("speedup"), 2.0);
  EXPECT_EQ(c[1].at("gpu_timing"), "end_to_end_pinned");
  EXPECT_TRUE(c[2].at("size").is_null());
  EXPECT_EQ(c[2].at("gpu_timing"), "");
  EXPECT_TRUE(c[2].at("points").at(0).at("gpu_median_s").is_null());
  EXPECT_TRUE(c[2].at("points").at(0).at("speedup").is_null());
  // Derived: reading ignores it (a file whose crossovers were edited reads the same) and
  // writing makes it again.
  json edited = j;
  edited["crossovers"] = json::array();
  const ResultsDocument back = results_from_json(edited);
  EXPECT_TRUE(back.unknown_fields.empty());
  EXPECT_EQ(canonical(back), canonical(doc));
  EXPECT_EQ(to_json(test_document()).at("crossovers"), json::array());
}

TEST(Crossover, TablesChartAndSheetLine) {
  const ResultsDocument doc = sweep_document();
  const std::string csv = CrossoverCsvPrinter().print(doc);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 5 + 5 + 2 + 2);  // header and sizes
  EXPECT_NE(csv.find("gemm,SGEMM,fp32,device_events,90.5097,interpolated (log-log) between 64 "
                     "and 128,16x16x16,16,omp,1e-06,cublas,gpu0,5e-07,2,,\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("gemm,DGEMM,fp64,,,not reached: no GPU measurement passed (unsupported: no "
                     "CUDA device: test),16x16x16,16,omp,1.6e-05,,,,,,\n"),
            std::string::npos)
      << csv;
  EXPECT_EQ(CrossoverCsvPrinter().print(test_document()).find('\n'),
            CrossoverCsvPrinter().print(test_document()).size() - 1)
      << "a run that is not a sweep has the header alone";

  const std::string md = MarkdownPrinter().print(doc);
  EXPECT_NE(md.find("## Crossover: where the GPU beats the CPU"), std::string::npos);
  EXPECT_NE(md.find("### SGEMM (fp32), GPU device time, transfers excluded\n\nCrossover: n ≈ 91 "
                    "(interpolated (log-log) between 64 and 128)."),
            std::string::npos)
      << md;
  const auto rows = markdown_rows(md);
  const auto [first, last] = rows.equal_range("SGEMM (fp32), GPU device time, transfers excluded");
  ASSERT_EQ(std::distance(first, last), 1 + 5);  // the header and a row per size
  EXPECT_EQ(std::prev(last)->second,
            (std::vector<std::string>{"256x256x256", "openblas", "1.60 ms", "cublas (gpu0)",
                                      "200 µs", "8.00×"}));
  EXPECT_EQ(MarkdownPrinter().print(test_document()).find("Crossover"), std::string::npos);

  const std::string html = HtmlPrinter().print(doc);
  const auto at = html.find("id=\"crossover\"");
  ASSERT_NE(at, std::string::npos);
  // A line per implementation and timing (4 SGEMM, 1 DGEMM, 2 dot), the aggregate left out.
  std::size_t lines = 0;
  for (auto i = html.find("<polyline", at); i != std::string::npos;
       i = html.find("<polyline", i + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 7u);
  EXPECT_NE(html.find("<title>crossover, GPU device time, transfers excluded: n ≈ 91</title>"),
            std::string::npos);
  const std::string section = html.substr(at, html.find("id=\"throughput\"") - at);
  EXPECT_EQ(section.find("gpu0+gpu1"), std::string::npos);

  // The sheet: a line per workload and precision, end to end where it was measured.
  const std::string sheet = SheetPrinter(SheetLanguage::en).print(doc);
  // Interpolated (161.3 between 128 and 256): an estimate, said so and rounded up.
  EXPECT_NE(sheet.find("GPU faster than this machine&#39;s CPU for SGEMM (fp32) from n ≈ 162 (GPU "
                       "end to end from pinned host memory, transfers included; estimated between "
                       "the sizes measured, 128 and 256)."),
            std::string::npos)
      << sheet;
  EXPECT_EQ(sheet.find("from n ≈ 91"), std::string::npos);
  // Not reached for different reasons: a line each.
  EXPECT_NE(sheet.find("<li>DGEMM (fp64) — no GPU measurement to compare: not reached: no GPU "
                       "measurement passed (unsupported: no CUDA device: test).</li>"),
            std::string::npos)
      << sheet;
  EXPECT_NE(sheet.find("<li>dot (fp32) — GPU device time, transfers excluded: not reached: the "
                       "CPU is as fast or faster at the largest size, 4096.</li>"),
            std::string::npos)
      << sheet;
  // For one reason, one line: a run without GPU measurements had repeated it for every workload.
  ResultsDocument cpu_only = doc;
  std::erase_if(cpu_only.measurements, [](const auto& m) { return m.device.on_gpu(); });
  const std::string cpu_sheet = SheetPrinter(SheetLanguage::en).print(cpu_only);
  const auto crossover_at = cpu_sheet.find("Where the GPU wins");
  ASSERT_NE(crossover_at, std::string::npos) << cpu_sheet;
  const std::string list =
      cpu_sheet.substr(crossover_at, cpu_sheet.find("</ul>", crossover_at) - crossover_at);
  EXPECT_NE(list.find("<li>SGEMM (fp32), DGEMM (fp64), dot (fp32) — no GPU measurement to "
                      "compare: not reached: no GPU measurement"),
            std::string::npos)
      << list;
  EXPECT_EQ(list.find("<li>", list.find("<li>") + 1), std::string::npos) << list;
  // The sheet's line comes from undisturbed measurements only (headline_worthy): with the pinned
  // ones cut short by an interrupt, it is another timing's.
  ResultsDocument disturbed = doc;
  for (auto& r : disturbed.measurements) {
    if (r.timing == "end_to_end_pinned") r.stopping_rule = "interrupted";
  }
  for (auto& r : disturbed.measurements) {  // and every GPU dot: why it has no line, said
    if (r.workload == WorkloadId::dot && on_gpu(r)) r.load = MachineLoad{.contended = true};
  }
  const std::string without_pinned = SheetPrinter(SheetLanguage::en).print(disturbed);
  EXPECT_NE(without_pinned.find("<li>dot (fp32) — GPU device time, transfers excluded: left out: "
                                "at 2 of its 2 sizes a time was measured while disturbed "
                                "(contended, cut short, still drifting or on fewer threads); "
                                "report.md and report.html give it.</li>"),
            std::string::npos)
      << without_pinned;
  EXPECT_EQ(without_pinned.find("from pinned host memory, transfers included)."),
            std::string::npos);
  EXPECT_NE(
      without_pinned.find("GPU faster than this machine&#39;s CPU for SGEMM (fp32) from n ≈ 91"),
      std::string::npos)
      << without_pinned;
  // In Chinese, every word of the section is Chinese; the reason for "not reached" is left to
  // the reports.
  const std::string zh = SheetPrinter(SheetLanguage::zh).print(doc);
  const auto zh_at = zh.find("<h2>GPU 胜出的规模（规模扫描）</h2>");
  ASSERT_NE(zh_at, std::string::npos) << zh;
  const std::string zh_section = zh.substr(zh_at, zh.find("</ul>", zh_at) - zh_at);
  EXPECT_NE(
      zh_section.find("SGEMM (fp32) 从 n ≈ 162 起 GPU 快于本机 CPU（GPU "
                      "端到端（锁页主机内存），含数据传输；由所测规模 128 与 256 之间插值估计）。"),
      std::string::npos)
      << zh_section;
  EXPECT_NE(zh_section.find("dot (fp32)——GPU 设备时间，不含数据传输：未达到（原因见 report.md 与 "
                            "report.html）。"),
            std::string::npos)
      << zh_section;
  const std::string zh_disturbed = SheetPrinter(SheetLanguage::zh).print(disturbed);
  EXPECT_NE(
      zh_disturbed.find("<li>dot (fp32)——GPU 设备时间，不含数据传输：未计入：其 2 个规模中有 2 "
                        "个的时间在受干扰时测得"),
      std::string::npos)
      << zh_disturbed;
  for (const char* english : {"transfers", "reached", "GPU end", "device time"})
    EXPECT_EQ(zh_section.find(english), std::string::npos) << english;
  // The results tables tell the two timings of one implementation apart.
  EXPECT_NE(md.find("| cublas, end to end from pinned host memory |"), std::string::npos);
}

// A CPU contended at the larger sizes of a sweep: report.md keeps the crossover, its table flags
// those times and its sentence says how many sizes; crossover.csv carries the flags; the sheet
// leaves the crossover out and says why, where one found from the undisturbed sizes alone would
// claim the CPU as fast at "the largest size", 64, of a sweep to 256.
TEST(Crossover, ContendedSizesAreFlaggedAndTheSheetLeavesTheCrossoverOut) {
  ResultsDocument doc = sweep_document();
  for (auto& r : doc.measurements) {
    if (r.workload == WorkloadId::gemm && !on_gpu(r) && sweep_size(r.problem) >= 128)
      r.load = MachineLoad{.readings = 5, .contended = true};
  }
  const std::string md = MarkdownPrinter().print(doc);
  EXPECT_NE(md.find("### SGEMM (fp32), GPU device time, transfers excluded\n\nCrossover: n ≈ 91 "
                    "(interpolated (log-log) between 64 and 128); at 2 of its 5 sizes a time is "
                    "flagged (see the table): there the comparison is not like for like.\n"),
            std::string::npos)
      << md;
  const auto rows = markdown_rows(md);
  const auto [first, last] = rows.equal_range("SGEMM (fp32), GPU device time, transfers excluded");
  ASSERT_NE(first, last);
  EXPECT_EQ(std::prev(last)->second,
            (std::vector<std::string>{"256x256x256", "openblas", "1.60 ms (contended)",
                                      "cublas (gpu0)", "200 µs", "8.00×"}));
  const std::string csv = CrossoverCsvPrinter().print(doc);
  EXPECT_NE(csv.find(",256x256x256,256,openblas,0.0016,cublas,gpu0,0.0002,8,contended,\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find(",64x64x64,64,openblas,2.5e-05,cublas,gpu0,5e-05,0.5,,\n"), std::string::npos);

  const std::string sheet = SheetPrinter(SheetLanguage::en).print(doc);
  EXPECT_NE(sheet.find("<li>SGEMM (fp32) — GPU end to end from pinned host memory, transfers "
                       "included: left out: at 2 of its 5 sizes a time was measured while "
                       "disturbed (contended, cut short, still drifting or on fewer threads); "
                       "report.md and report.html give it."),
            std::string::npos)
      << sheet;
  EXPECT_EQ(sheet.find("for SGEMM (fp32) from"), std::string::npos) << sheet;
  EXPECT_EQ(sheet.find("largest size, 64"), std::string::npos) << sheet;
  // Those measurements are said on the crossover's line, not counted again in the conditions.
  EXPECT_EQ(sheet.find("Measurements left out as contended"), std::string::npos) << sheet;
  // An interrupted GPU time is flagged as the sheet leaves it out: one predicate for both.
  ResultsDocument cut = sweep_document();
  for (auto& r : cut.measurements) {
    if (r.workload == WorkloadId::dot && on_gpu(r) && sweep_size(r.problem) == 4096)
      r.stopping_rule = "interrupted";
  }
  const std::string cut_md = MarkdownPrinter().print(cut);
  EXPECT_NE(cut_md.find("the CPU is as fast or faster at the largest size, 4096; at 1 of its 2 "
                        "sizes a time is flagged"),
            std::string::npos)
      << cut_md;
  EXPECT_NE(cut_md.find("| 6.00 µs (interrupted) |"), std::string::npos) << cut_md;
  EXPECT_NE(SheetPrinter(SheetLanguage::en)
                .print(cut)
                .find("<li>dot (fp32) — GPU device time, "
                      "transfers excluded: left out: at 1 "
                      "of its 2 sizes"),
            std::string::npos);

  // A CPU-only sweep is not reached for want of a GPU, however its CPU was disturbed.
  std::erase_if(doc.measurements, [](const auto& r) { return on_gpu(r); });
  EXPECT_EQ(MarkdownPrinter().print(doc).find("a time is flagged"), std::string::npos);
  EXPECT_NE(SheetPrinter(SheetLanguage::en)
                .print(doc)
                .find("<li>SGEMM (fp32), DGEMM (fp64), dot (fp32) — no GPU measurement to compare: "
                      "not reached: no GPU measurement"),
            std::string::npos);
}

TEST(ReportsFiles, AtomicWriteReplacesAndLeavesNoTemporary) {
  TempDir dir;
  const fs::path path = dir.path() / "report.md";
  write_file_atomically(path, "old\n");
  write_file_atomically(path, "new\n");
  EXPECT_EQ(read_text(path), "new\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(ReportsFiles, AtomicWriteIntoMissingDirectoryThrows) {
  TempDir dir;
  const fs::path missing = dir.path() / "missing";
  const fs::path path = missing / "results.csv";
  try {
    write_file_atomically(path, "x\n");
    FAIL() << "no error";
  } catch (const IoError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
  }
  EXPECT_FALSE(fs::exists(missing));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

}  // namespace
}  // namespace flopbench

namespace flopbench {
namespace {

// A % of peak of FP32 or FP64 is of the measurement's own peak: where that is not the
// inventory's (a run on one thread judged against one core, a measured ceiling), the notes give
// it, as they give a matrix format's; a peak as the inventory lists it needs no note.
TEST(ReportsPrecisions, APeakOtherThanTheInventorysIsNoted) {
  ResultsDocument doc = test_document();
  doc.measurements.resize(1);
  MeasurementRecord& r = doc.measurements[0];
  ASSERT_EQ(r.device, DeviceRef::cpu());
  ASSERT_TRUE(r.percent_of_peak.has_value());
  const std::string as_listed = MarkdownPrinter().print(doc);
  EXPECT_EQ(as_listed.find("peak on cpu: "), std::string::npos) << as_listed;
  r.threads = 1;
  r.peak = {80, "1 core x 16 lanes x 2 FMA pipes x 2 x 2.5 GHz"};
  r.percent_of_peak = 100 * *r.gflops / 80;
  const std::string one_core = MarkdownPrinter().print(doc);
  EXPECT_NE(one_core.find("peak on cpu: 80.0 GFLOP/s (1 core x 16 lanes x 2 FMA pipes x 2 x "
                          "2.5 GHz)"),
            std::string::npos)
      << one_core;
  EXPECT_NE(HtmlPrinter().print(doc).find("peak on cpu: 80.0 GFLOP/s (1 core x"),
            std::string::npos);
}

// The matrix precisions in every report: named exactly (BF16 GEMM, INT8 GEMM (TOPS), never
// "gemm" or FP32), INT8 in operations, each with its own peak's % and basis, and unsupported
// rows with their reason; results.json keeps them.
TEST(ReportsPrecisions, MatrixPrecisionsAreNamedExactlyWithPercentOfPeak) {
  ResultsDocument doc = test_document();
  doc.measurements.clear();
  const Problem g = Problem::matrix(256, 256, 256);
  const auto add = [&](Precision p, std::string impl, Disposition d, double median_s,
                       std::string reason, Peak peak) {
    MeasurementRecord r = make_record(
        {"gemm", std::move(impl), "cpu", p, g, d, median_s, std::move(reason)}, doc.environment);
    r.peak = std::move(peak);
    if (r.gflops) r.percent_of_peak = *r.gflops / *r.peak.gflops * 100;
    doc.measurements.push_back(std::move(r));
  };
  add(Precision::bf16, "onednn", Disposition::passed, 1e-4, "",
      {768, "2 cores x 32 BF16 FMA lanes x 2 FMA pipes x 2 (vdpbf16ps, dense) x 3.00 GHz"});
  add(Precision::int8, "onednn", Disposition::passed, 5e-5, "",
      {1536, "2 cores x 64 INT8 MAC lanes x 2 FMA pipes x 2 (vpdpbusd, dense) x 3.00 GHz"});
  add(Precision::bf16, "openblas", Disposition::unsupported, 0,
      "gemm openblas has no bf16 (it runs fp32, fp64)", {});
  // 2 * 256^3 / 1e-4 s = 335.5 GFLOP/s: 43.7 % of 768; INT8 671.1 GOP/s: 43.7 % of 1536.
  ASSERT_NEAR(*doc.measurements[0].percent_of_peak, 43.69, 0.01);

  const std::string md = MarkdownPrinter().print(doc);
  for (const std::string_view want :
       {"BF16 GEMM", "INT8 GEMM (TOPS)", "GOP/s", "43.7", "vdpbf16ps", "vpdpbusd",
        "gemm openblas has no bf16 (it runs fp32, fp64)"}) {
    EXPECT_NE(md.find(want), std::string::npos) << want << "\n" << md;
  }
  EXPECT_EQ(md.find("SGEMM"), std::string::npos) << "a BF16 row shown as FP32";

  const std::string csv = CsvPrinter().print(doc);
  EXPECT_NE(csv.find("gemm,BF16 GEMM,onednn,cpu,bf16,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("gemm,INT8 GEMM (TOPS),onednn,cpu,int8,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("43.69"), std::string::npos) << csv;

  const std::string html = HtmlPrinter().print(doc);
  for (const std::string_view want : {"BF16 GEMM", "INT8 GEMM (TOPS)", "GOP/s"})
    EXPECT_NE(html.find(want), std::string::npos) << want;

  const ResultsDocument back = results_from_json(json::parse(JsonPrinter().print(doc)));
  ASSERT_EQ(back.measurements.size(), 3u);
  EXPECT_EQ(back.measurements[1].precision, Precision::int8);
  EXPECT_EQ(back.measurements[1].percent_of_peak, doc.measurements[1].percent_of_peak);
}

TEST(ReportsCsv, FieldsAreQuotedOnlyWhenTheyMustBe) {
  EXPECT_EQ(csv_field("omp"), "omp");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field(" padded"), "\" padded\"");
  EXPECT_EQ(csv_field("padded\t"), "\"padded\t\"");
}

}  // namespace
}  // namespace flopbench
