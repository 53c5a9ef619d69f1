// GPU telemetry: clock event reason decoding, PCI bus id matching, nvidia-smi's CSV (recorded
// samples in data/nvidia-smi), and choosing a source on a machine without an NVIDIA driver,
// where a stand-in nvidia-smi script plays the driver's part.

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness/core/types.hpp"
#include "harness/machine/telemetry.hpp"
#include "tests/process.hpp"
#include "tests/test_support.hpp"

namespace flopbench {
namespace {

namespace fs = std::filesystem;
using testing::read_text;
using testing::TempDir;
using Names = std::vector<std::string>;

const fs::path kSamples = fs::path(FLOPBENCH_TEST_DATA_DIR) / "nvidia-smi";

std::string sample(const std::string& name) {
  std::ifstream in(kSamples / name, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << kSamples / name;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The InputError message parsing `csv` gives, or "" when it parses.
std::string parse_error(const std::string& csv) {
  try {
    parse_nvidia_smi_csv(csv);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

const std::string kHeader =
    "pci.bus_id, clocks.current.sm [MHz], clocks.current.memory [MHz], temperature.gpu, "
    "power.draw [W], clocks_event_reasons.active\n";

// ---- reasons ---------------------------------------------------------------------------------

TEST(TelemetryReasons, EveryDocumentedBitHasItsName) {
  EXPECT_EQ(clock_event_reason_names(0), Names{});
  EXPECT_EQ(clock_event_reason_names(0x1), Names{"gpu_idle"});
  EXPECT_EQ(clock_event_reason_names(0x2), Names{"applications_clocks_setting"});
  EXPECT_EQ(clock_event_reason_names(0x4), Names{"sw_power_cap"});
  EXPECT_EQ(clock_event_reason_names(0x8), Names{"hw_slowdown"});
  EXPECT_EQ(clock_event_reason_names(0x10), Names{"sync_boost"});
  EXPECT_EQ(clock_event_reason_names(0x20), Names{"sw_thermal_slowdown"});
  EXPECT_EQ(clock_event_reason_names(0x40), Names{"hw_thermal_slowdown"});
  EXPECT_EQ(clock_event_reason_names(0x80), Names{"hw_power_brake_slowdown"});
  EXPECT_EQ(clock_event_reason_names(0x100), Names{"display_clock_setting"});
  // nvml.h (driver 580) defines no bit above 0x100.
  EXPECT_EQ(clock_event_reason_names(0x200), Names{"unknown_0x200"});
}

TEST(TelemetryReasons, SeveralBitsLowestFirstAndUnknownBitsByValue) {
  EXPECT_EQ(clock_event_reason_names(0x64),
            (Names{"sw_power_cap", "sw_thermal_slowdown", "hw_thermal_slowdown"}));
  EXPECT_EQ(clock_event_reason_names(0x800 | 0x1), (Names{"gpu_idle", "unknown_0x800"}));
  EXPECT_EQ(clock_event_reason_names(0x8000000000000000ULL), Names{"unknown_0x8000000000000000"});
  EXPECT_EQ(clock_event_reason_names(0x7FF).size(), 11u);
}

// The power cap is how a busy GPU runs as specified: not throttling.
TEST(TelemetryReasons, OnlyReasonsThatSlowABusyGpuBeyondItsSpecificationAreThrottling) {
  for (const char* r :
       {"hw_slowdown", "sw_thermal_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown"}) {
    EXPECT_TRUE(is_throttling_reason(r)) << r;
  }
  for (const char* r :
       {"sw_power_cap", "gpu_idle", "applications_clocks_setting", "sync_boost",
        "display_clock_setting", "unknown_0x200", "unknown_0x800", "", "SW_POWER_CAP"}) {
    EXPECT_FALSE(is_throttling_reason(r)) << r;
  }
}

// ---- PCI bus ids -----------------------------------------------------------------------------

TEST(TelemetryPciBusId, CudaAndNvidiaSmiSpellingsMatch) {
  EXPECT_TRUE(same_pci_bus_id("0000:17:00.0", "00000000:17:00.0"));
  EXPECT_TRUE(same_pci_bus_id("0000:1b:00.0", "00000000:1B:00.0"));
  EXPECT_TRUE(same_pci_bus_id("00000000:DF:00.0", "0000:df:00.0"));
  EXPECT_TRUE(same_pci_bus_id("0001:c3:00.1", "00000001:C3:00.1"));
}

TEST(TelemetryPciBusId, DifferentDevicesAndMalformedIdsDoNotMatch) {
  EXPECT_FALSE(same_pci_bus_id("0000:17:00.0", "00000000:18:00.0"));  // bus
  EXPECT_FALSE(same_pci_bus_id("0001:17:00.0", "00000000:17:00.0"));  // domain
  EXPECT_FALSE(same_pci_bus_id("0000:17:00.0", "00000000:17:00.1"));  // function
  EXPECT_FALSE(same_pci_bus_id("0000:17:01.0", "00000000:17:00.0"));  // device
  EXPECT_FALSE(same_pci_bus_id("17:00.0", "0000:17:00.0"));           // no domain
  EXPECT_FALSE(same_pci_bus_id("", ""));
  EXPECT_FALSE(same_pci_bus_id("zz:17:00.0", "zz:17:00.0"));
  EXPECT_FALSE(same_pci_bus_id("0000:", "0000:"));
}

// ---- nvidia-smi's CSV ------------------------------------------------------------------------

TEST(TelemetryNvidiaSmiCsv, IdleEightGpuH100Box) {
  const auto readings = parse_nvidia_smi_csv(sample("h100-8gpu-idle.csv"));
  ASSERT_EQ(readings.size(), 8u);
  const Names bus_ids = {"00000000:1B:00.0", "00000000:43:00.0", "00000000:52:00.0",
                         "00000000:61:00.0", "00000000:9D:00.0", "00000000:C3:00.0",
                         "00000000:D1:00.0", "00000000:DF:00.0"};
  for (std::size_t i = 0; i < readings.size(); ++i) {
    SCOPED_TRACE(i);
    const GpuTelemetry& t = readings[i].telemetry;
    EXPECT_EQ(readings[i].pci_bus_id, bus_ids[i]);
    EXPECT_EQ(t.source, "nvidia-smi");
    EXPECT_EQ(t.device, "");
    EXPECT_EQ(t.sm_clock_mhz, 345);
    EXPECT_EQ(t.memory_clock_mhz, 2619);
    EXPECT_EQ(t.clock_event_reasons, Names{"gpu_idle"});
    EXPECT_FALSE(t.throttled);
  }
  EXPECT_EQ(readings[0].telemetry.temperature_c, 31);
  EXPECT_EQ(readings[0].telemetry.power_w, 69.82);
  EXPECT_EQ(readings[7].telemetry.temperature_c, 33);
  EXPECT_EQ(readings[7].telemetry.power_w, 72.40);
}

TEST(TelemetryNvidiaSmiCsv, SingleGpuUnderPowerCapIsNotThrottled) {
  const auto readings = parse_nvidia_smi_csv(sample("h100-pcie-power-cap.csv"));
  ASSERT_EQ(readings.size(), 1u);
  const GpuTelemetry& t = readings[0].telemetry;
  EXPECT_TRUE(same_pci_bus_id(readings[0].pci_bus_id, "0000:17:00.0"));
  EXPECT_EQ(t.sm_clock_mhz, 1620);
  EXPECT_EQ(t.memory_clock_mhz, 1593);
  EXPECT_EQ(t.temperature_c, 71);
  EXPECT_EQ(t.power_w, 349.87);
  EXPECT_EQ(t.clock_event_reasons, Names{"sw_power_cap"});
  EXPECT_FALSE(t.throttled);  // at its power cap, as specified
}

TEST(TelemetryNvidiaSmiCsv, OlderDriverWithThrottleReasonsAndNoPowerReading) {
  const auto readings = parse_nvidia_smi_csv(sample("older-driver-throttle-reasons.csv"));
  ASSERT_EQ(readings.size(), 2u);
  const GpuTelemetry& laptop = readings[0].telemetry;
  EXPECT_EQ(laptop.sm_clock_mhz, 1395);
  EXPECT_EQ(laptop.temperature_c, 47);
  EXPECT_FALSE(laptop.power_w.has_value());
  EXPECT_EQ(laptop.clock_event_reasons, Names{});
  EXPECT_FALSE(laptop.throttled);
  const GpuTelemetry& hot = readings[1].telemetry;
  EXPECT_EQ(hot.power_w, 69.21);
  EXPECT_EQ(hot.clock_event_reasons, (Names{"sw_thermal_slowdown", "hw_thermal_slowdown"}));
  EXPECT_TRUE(hot.throttled);
  EXPECT_TRUE(hot.clock_events_read);
}

TEST(TelemetryNvidiaSmiCsv, EveryNoValueSpellingLeavesTheFieldEmpty) {
  const auto readings = parse_nvidia_smi_csv(
      kHeader + "00000000:17:00.0, [Not Supported], N/A, [Unknown Error], [N/A], [N/A]\n");
  ASSERT_EQ(readings.size(), 1u);
  const GpuTelemetry& t = readings[0].telemetry;
  EXPECT_FALSE(t.sm_clock_mhz.has_value());
  EXPECT_FALSE(t.memory_clock_mhz.has_value());
  EXPECT_FALSE(t.temperature_c.has_value());
  EXPECT_FALSE(t.power_w.has_value());
  EXPECT_TRUE(t.clock_event_reasons.empty());
  EXPECT_FALSE(t.clock_events_read);
}

TEST(TelemetryNvidiaSmiCsv, HeaderAloneIsNoGpus) {
  EXPECT_TRUE(parse_nvidia_smi_csv(kHeader).empty());
}

TEST(TelemetryNvidiaSmiCsv, TruncatedRowNamesTheLine) {
  const std::string message = parse_error(sample("truncated.csv"));
  EXPECT_NE(message.find("Too few columns in line 3"), std::string::npos) << message;
}

TEST(TelemetryNvidiaSmiCsv, MalformedHeadersAreRefused) {
  EXPECT_NE(parse_error("").find("Header missing"), std::string::npos) << parse_error("");

  const std::string extra = parse_error(
      "pci.bus_id, clocks.current.sm [MHz], clocks.current.memory [MHz], temperature.gpu, "
      "power.draw [W], fan.speed [%], clocks_event_reasons.active\n");
  EXPECT_NE(extra.find("Extra column \"fan.speed [%]\""), std::string::npos) << extra;
  EXPECT_NE(extra.find("--query-gpu=" + std::string(kNvidiaSmiQuery)), std::string::npos) << extra;

  const std::string missing = parse_error(
      "pci.bus_id, clocks.current.sm [MHz], temperature.gpu, power.draw [W], "
      "clocks_event_reasons.active\n");
  EXPECT_NE(missing.find("line 1: missing column 'clocks.current.memory [MHz]'"), std::string::npos)
      << missing;

  const std::string no_reasons = parse_error(
      "pci.bus_id, clocks.current.sm [MHz], clocks.current.memory [MHz], temperature.gpu, "
      "power.draw [W]\n");
  EXPECT_NE(no_reasons.find("expected one of the columns 'clocks_event_reasons.active' and "
                            "'clocks_throttle_reasons.active'"),
            std::string::npos)
      << no_reasons;

  const std::string both = parse_error(
      "pci.bus_id, clocks.current.sm [MHz], clocks.current.memory [MHz], temperature.gpu, "
      "power.draw [W], clocks_event_reasons.active, clocks_throttle_reasons.active\n");
  EXPECT_NE(both.find("expected one of the columns"), std::string::npos) << both;
}

TEST(TelemetryNvidiaSmiCsv, MalformedValuesNameLineAndColumn) {
  // Without nounits, nvidia-smi writes the units into the values.
  EXPECT_EQ(parse_error(kHeader + "00000000:17:00.0, 1980 MHz, 2619 MHz, 45, 402.18 W, 0x0\n"),
            "nvidia-smi output, line 2: clocks.current.sm [MHz]: expected a number or [N/A], got "
            "'1980 MHz'");
  EXPECT_EQ(parse_error(kHeader + "00000000:17:00.0, 1980, 2619, 45, 402.18, 0x0\n" +
                        "00000000:18:00.0, 1980, 2619, 45, 402.18, 4\n"),
            "nvidia-smi output, line 3: clocks_event_reasons.active: expected a hexadecimal mask "
            "such as 0x0000000000000004, got '4'");
  EXPECT_NE(parse_error(kHeader + "00000000:17:00.0, 1980, 2619, 45, 1, 0x10000000000000000\n")
                .find("expected a hexadecimal mask"),
            std::string::npos);  // more than 64 bits
  EXPECT_EQ(parse_error(kHeader + "GPU 0, 1980, 2619, 45, 402.18, 0x0\n"),
            "nvidia-smi output, line 2: pci.bus_id: expected a PCI bus id such as "
            "00000000:17:00.0, got 'GPU 0'");
  EXPECT_EQ(parse_error(kHeader + "00000000:17:00.0, 1980, 2619, , 402.18, 0x0\n"),
            "nvidia-smi output, line 2: temperature.gpu: expected a number or [N/A], got ''");
  const std::string extra = parse_error(kHeader + "00000000:17:00.0, 1980, 2619, 45, 1, 0x0, 7\n");
  EXPECT_NE(extra.find("Too many columns in line 2"), std::string::npos) << extra;
}

// ---- choosing a source -----------------------------------------------------------------------

bool nvml_loads() {
  void* library = ::dlopen("libnvidia-ml.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (library != nullptr) ::dlclose(library);
  return library != nullptr;
}

bool nvidia_smi_on_path() {
  if (fs::exists("/usr/bin/nvidia-smi")) return true;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && fs::exists(fs::path(dir) / "nvidia-smi")) return true;
  }
  return false;
}

// Puts `dir` first on PATH for the life of the object.
class PathPrefix {
 public:
  explicit PathPrefix(const fs::path& dir) {
    const char* old = std::getenv("PATH");
    if (old != nullptr) old_ = old;
    ::setenv("PATH", (dir.string() + ":" + old_).c_str(), 1);
  }
  ~PathPrefix() { ::setenv("PATH", old_.c_str(), 1); }
  PathPrefix(const PathPrefix&) = delete;
  PathPrefix& operator=(const PathPrefix&) = delete;

 private:
  std::string old_;
};

// An executable `nvidia-smi` in `dir` that runs `body` (sh).
void fake_nvidia_smi(const fs::path& dir, const std::string& body) {
  const fs::path script = dir / "nvidia-smi";
  std::ofstream(script) << "#!/bin/sh\n" << body;
  fs::permissions(script, fs::perms::owner_all);
}

GpuDevice gpu(int index, std::string pci_bus_id) {
  GpuDevice d;
  d.index = index;
  d.pci_bus_id = std::move(pci_bus_id);
  return d;
}

TEST(TelemetrySource, NoneWithoutNvmlOrNvidiaSmi) {
  if (nvml_loads() || nvidia_smi_on_path()) GTEST_SKIP() << "this machine has an NVIDIA driver";
  std::string why_not;
  EXPECT_EQ(open_telemetry_source(&why_not), nullptr);
  EXPECT_NE(why_not.find("NVML: "), std::string::npos) << why_not;
  EXPECT_NE(why_not.find("libnvidia-ml.so.1"), std::string::npos) << why_not;
  EXPECT_NE(why_not.find("; nvidia-smi: cannot start: No such file or directory"),
            std::string::npos)
      << why_not;
  EXPECT_EQ(why_not.find('\n'), std::string::npos) << why_not;
  EXPECT_EQ(open_telemetry_source(), nullptr);  // and without asking why
}

TEST(TelemetrySource, NvidiaSmiOfAnOlderDriverReadsEachGpuByBusId) {
  if (nvml_loads()) GTEST_SKIP() << "NVML loads here, so nvidia-smi would not be used";
  TempDir dir;
  const fs::path calls = dir.path() / "calls";
  // An older driver: it rejects the new field name, and answers only the query flopbench sends.
  fake_nvidia_smi(dir.path(),
                  "echo x >> '" + calls.string() +
                      "'\n"
                      "case \"$1\" in *clocks_event_reasons*)\n"
                      "  echo 'Field \"clocks_event_reasons.active\" is not a valid field to "
                      "query.'\n"
                      "  exit 2;;\n"
                      "esac\n"
                      "[ \"$1\" = '--query-gpu=pci.bus_id,clocks.sm,clocks.mem,temperature.gpu,"
                      "power.draw,clocks_throttle_reasons.active' ] || exit 3\n"
                      "[ \"$2\" = '--format=csv,nounits' ] || exit 4\n"
                      "cat '" +
                      (kSamples / "older-driver-throttle-reasons.csv").string() + "'\n");
  const PathPrefix path(dir.path());
  std::string why_not;
  const auto source = open_telemetry_source(&why_not);
  ASSERT_NE(source, nullptr) << why_not;
  EXPECT_EQ(source->name(), "nvidia-smi");
  // The script leaves one line in `calls` for each time it runs.
  const auto runs = [&] {
    const std::string text = read_text(calls);
    return std::count(text.begin(), text.end(), '\n');
  };
  const auto opening_runs = runs();

  // gpu1 is not a GPU nvidia-smi lists: it has no reading.
  const auto readings =
      source->read({gpu(3, "0000:65:00.0"), gpu(1, "0000:02:00.0"), gpu(0, "0000:01:00.0")});
  EXPECT_EQ(runs(), opening_runs + 1) << "one nvidia-smi run for every GPU";
  ASSERT_EQ(readings.size(), 2u);
  const GpuTelemetry& hot = readings[0];
  EXPECT_EQ(hot.device, "gpu3");
  EXPECT_EQ(hot.source, "nvidia-smi");
  EXPECT_EQ(hot.sm_clock_mhz, 1110);
  EXPECT_EQ(hot.power_w, 69.21);
  EXPECT_TRUE(hot.throttled);
  const GpuTelemetry& first = readings[1];
  EXPECT_EQ(first.device, "gpu0");
  EXPECT_EQ(first.sm_clock_mhz, 1395);
}

TEST(TelemetrySource, FailingNvidiaSmiSaysWhy) {
  if (nvml_loads()) GTEST_SKIP() << "NVML loads here, so nvidia-smi would not be used";
  TempDir dir;
  fake_nvidia_smi(dir.path(),
                  "echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA "
                  "driver.\"\necho 'Make sure that the latest NVIDIA driver is installed.'\n"
                  "exit 9\n");
  const PathPrefix path(dir.path());
  std::string why_not;
  EXPECT_EQ(open_telemetry_source(&why_not), nullptr);
  EXPECT_NE(why_not.find("nvidia-smi: exit status 9: NVIDIA-SMI has failed because it couldn't "
                         "communicate with the NVIDIA driver."),
            std::string::npos)
      << why_not;
  EXPECT_EQ(why_not.find('\n'), std::string::npos) << why_not;
}

TEST(TelemetrySource, UnparsableNvidiaSmiOutputSaysWhy) {
  if (nvml_loads()) GTEST_SKIP() << "NVML loads here, so nvidia-smi would not be used";
  TempDir dir;
  fake_nvidia_smi(dir.path(), "echo 'index, name'\necho '0, NVIDIA H100 80GB HBM3'\n");
  const PathPrefix path(dir.path());
  std::string why_not;
  EXPECT_EQ(open_telemetry_source(&why_not), nullptr);
  EXPECT_NE(why_not.find("nvidia-smi: Extra column \"index\""), std::string::npos) << why_not;
}

TEST(TelemetrySource, EndlessNvidiaSmiOutputIsCutOff) {
  if (nvml_loads()) GTEST_SKIP() << "NVML loads here, so nvidia-smi would not be used";
  TempDir dir;
  fake_nvidia_smi(dir.path(), "exec yes 0000:17:00.0, 1410, 1593, 40, 60.0, 0x0\n");
  const PathPrefix path(dir.path());
  std::string why_not;
  EXPECT_EQ(open_telemetry_source(&why_not), nullptr);
  EXPECT_NE(why_not.find("nvidia-smi: more than 1024 KiB of output"), std::string::npos) << why_not;
}

TEST(TelemetrySource, HungNvidiaSmiIsKilledAndTheOlderQueryTried) {
  if (nvml_loads()) GTEST_SKIP() << "NVML loads here, so nvidia-smi would not be used";
  TempDir dir;
  fake_nvidia_smi(dir.path(), "case \"$1\" in *clocks_event_reasons*) exec sleep 60;; esac\ncat '" +
                                  (kSamples / "h100-pcie-power-cap.csv").string() + "'\n");
  const PathPrefix path(dir.path());
  const auto start = std::chrono::steady_clock::now();
  const auto source = open_telemetry_source();
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_NE(source, nullptr);
  EXPECT_GE(waited, 4.5);  // it gave the hung query its few seconds
  EXPECT_LT(waited, 30);   // and did not wait for it to end
  const auto t = source->read({gpu(0, "0000:17:00.0")});
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].clock_event_reasons, Names{"sw_power_cap"});
}

}  // namespace
}  // namespace flopbench
