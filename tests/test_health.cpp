// Health facts (harness/machine/gpu_health.hpp, kernel_log.hpp) read through a stand-in NVML
// library (tests/fake_nvml.cpp), a stand-in nvidia-smi and a fake kernel log; their record in
// results.json; their criteria in the judge and in the shipped SKU specs.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <tuple>

#include "harness/machine/gpu_health.hpp"
#include "harness/machine/kernel_log.hpp"
#include "harness/machine/telemetry.hpp"
#include "reports/acceptance/judge.hpp"
#include "reports/acceptance/spec.hpp"
#include "reports/output_files.hpp"
#include "reports/results_json.hpp"
#include "tests/process.hpp"
#include "tests/test_support.hpp"

namespace flopbench {
namespace {

namespace fs = std::filesystem;
using testing::read_text;
using testing::run_flopbench;
using testing::ScopedEnv;
using testing::TempDir;

const fs::path kSpecs = FLOPBENCH_SPEC_SOURCE_DIR;

// A healthy H100 SXM as NVML describes it, with two compute processes of others and this one.
constexpr const char* kHealthyH100 =
    "count 1\n"
    "driver 575.57.08\n"
    "gpu0.name NVIDIA H100 80GB HBM3\n"
    "gpu0.bus_id 00000000:17:00.0\n"
    "gpu0.pci_device_id 0x233010de\n"
    "gpu0.uuid GPU-8f6a1c2e-0000-4000-8000-000000000001\n"
    "gpu0.serial 1650123456789\n"
    "gpu0.vbios 96.00.74.00.01\n"
    "gpu0.inforom G520.0200.00.05\n"
    "gpu0.persistence 1\n"
    "gpu0.ecc 1\n"
    "gpu0.ecc.0.0 3\n"
    "gpu0.ecc.1.0 0\n"
    "gpu0.ecc.0.1 12\n"
    "gpu0.ecc.1.1 0\n"
    "gpu0.remap 2 0 0 0\n"
    "gpu0.pcie.gen 1\n"
    "gpu0.pcie.gen_max 5\n"
    "gpu0.pcie.width 16\n"
    "gpu0.pcie.width_max 16\n"
    "gpu0.pcie.replay 0\n"
    "gpu0.nvlink.links 18\n"
    "gpu0.nvlink.active 18\n"
    "gpu0.nvlink.error.0 1\n"
    "gpu0.nvlink.error.1 0\n"
    "gpu0.nvlink.error.2 0\n"
    "gpu0.nvlink.error.3 0\n"
    "gpu0.power.limit 700000\n"
    "gpu0.power.default 700000\n"
    "gpu0.clock.app.sm 1755\n"
    "gpu0.clock.app.mem 2619\n"
    "gpu0.clock.max.sm 1980\n"
    "gpu0.clock.max.mem 2619\n"
    "gpu0.reasons 0x1\n"
    "gpu0.pids 4242 self 4343\n";

// The stand-in NVML (FLOPBENCH_NVML_LIBRARY) answering from `config`, for the life of the object.
class FakeNvml {
 public:
  FakeNvml(const fs::path& dir, const std::string& config)
      : file_(dir / "nvml.conf"),
        library_(kNvmlLibraryEnv, FLOPBENCH_FAKE_NVML),
        config_("FLOPBENCH_FAKE_NVML_CONFIG", file_.string()) {
    set(config);
  }
  void set(const std::string& config) const { std::ofstream(file_) << config; }

 private:
  fs::path file_;
  ScopedEnv library_, config_;
};

const GpuHealth& only_gpu(const MachineHealth& h) {
  EXPECT_EQ(h.gpus.size(), 1u);
  return h.gpus.at(0);
}

std::string fact(const GpuHealth& g, const std::string& name) {
  const auto it = g.facts.find(name);
  return it == g.facts.end() ? "(missing)" : fact_text(it->second);
}

// ---- the kernel log --------------------------------------------------------------------------

constexpr const char* kKernelLog =
    "[  12.345678] nvidia: loading out-of-tree module taints kernel.\n"
    "[ 812.000001] NVRM: Xid (PCI:0000:17:00): 79, pid=1234, name=python, GPU has fallen off "
    "the bus.\n"
    "4,5678,900000000,-;NVRM: Xid (PCI:0000:17:00): 48, pid='<unknown>', name=<unknown>, An "
    "uncorrectable double bit error (DBE) has been detected on GPU in the framebuffer at "
    "partition 6, subpartition 0.\n"
    "[ 900.000000] NVRM: Xid (PCI:0000:65:00): 13, Graphics Exception\n"
    "[ 901.000000] NVRM: GPU at PCI:0000:17:00: GPU-8f6a1c2e\n"
    "[ 950.000000] NVRM: Xid (PCI:0000:3b:00 GPU-I:05): 94, pid=7194, Contained: CE User "
    "Channel (0x9). RST: No, D-RST: No\n";

TEST(KernelLog, FindsXidLinesInDmesgAndKmsgFormats) {
  const auto events = parse_xid_events(kKernelLog);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].pci, "0000:17:00");
  EXPECT_EQ(events[0].code, 79);
  EXPECT_EQ(events[0].line.rfind("NVRM: Xid (PCI:0000:17:00): 79", 0), 0u) << events[0].line;
  EXPECT_EQ(events[1].code, 48);
  EXPECT_EQ(events[2].pci, "0000:65:00");
  EXPECT_EQ(events[2].code, 13);
  EXPECT_EQ(events[3].pci, "0000:3b:00");  // a MIG instance's XID names its GPU too
  EXPECT_EQ(events[3].code, 94);
}

TEST(KernelLog, MatchesAnXidToItsGpuByDomainBusAndDevice) {
  EXPECT_TRUE(xid_matches_gpu("0000:17:00", "00000000:17:00.0"));
  EXPECT_TRUE(xid_matches_gpu("0000:8a:00", "00000000:8A:00.0"));
  EXPECT_FALSE(xid_matches_gpu("0000:17:00", "00000000:18:00.0"));
  EXPECT_FALSE(xid_matches_gpu("0001:17:00", "00000000:17:00.0"));
  EXPECT_FALSE(xid_matches_gpu("garbage", "00000000:17:00.0"));
}

TEST(KernelLog, CountsEachGpusXidsAndSaysWhereItReadThem) {
  TempDir dir;
  const fs::path log = dir.path() / "dmesg.txt";
  std::ofstream(log) << kKernelLog;
  MachineHealth h;
  h.gpus.resize(3);
  h.gpus[0].pci_bus_id = "00000000:17:00.0";
  h.gpus[1].pci_bus_id = "00000000:3B:00.0";
  // A GPU NVML lists but could not open has no PCI id: its XIDs cannot be told apart.
  add_xid_facts(h, read_kernel_log(log.string()));
  EXPECT_EQ(fact(h.gpus[2], "xid.count"), "unknown: its PCI bus id could not be read");
  EXPECT_EQ(h.kernel_log, log.string());
  EXPECT_EQ(fact(h.gpus[0], "xid.count"), "2");
  EXPECT_NE(fact(h.gpus[0], "xid.last").find(": 48,"), std::string::npos);
  EXPECT_EQ(fact(h.gpus[1], "xid.count"), "1");
  EXPECT_NE(fact(h.gpus[1], "xid.last").find("GPU-I:05): 94,"), std::string::npos);
}

// Reads `path` as an unprivileged user would: in a child that drops root first (as root, every
// file is readable). Returns the reason the log is unknown, or "" when it was read.
std::string unknown_as_unprivileged(const fs::path& path) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(2);
    const KernelLog log = read_kernel_log(path.string());
    const std::string why = log.text ? "" : log.unknown;
    if (::write(fds[1], why.data(), why.size()) < 0) ::_exit(3);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string why;
  char buffer[512];
  for (ssize_t got; (got = ::read(fds[0], buffer, sizeof buffer)) > 0;) why.append(buffer, got);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  return why;
}

TEST(KernelLog, AnUnreadableLogIsUnknownPermissionNeverNoXids) {
  TempDir dir;
  const fs::path log = dir.path() / "kmsg";
  std::ofstream(log) << kKernelLog;
  fs::permissions(log, fs::perms::none);
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::others_exec);
  const std::string why = unknown_as_unprivileged(log);
  EXPECT_EQ(why.rfind("permission", 0), 0u) << why;

  MachineHealth h;
  h.gpus.resize(1);
  h.gpus[0].pci_bus_id = "00000000:17:00.0";
  add_xid_facts(h, KernelLog{log.string(), std::nullopt, why});
  EXPECT_EQ(fact(h.gpus[0], "xid.count").rfind("unknown: permission", 0), 0u);
}

TEST(KernelLog, AMissingFileIsUnknownWithTheReason) {
  const KernelLog log = read_kernel_log("/nonexistent/kmsg");
  EXPECT_FALSE(log.text);
  EXPECT_NE(log.unknown.find("No such file"), std::string::npos) << log.unknown;
}

// ---- NVML ------------------------------------------------------------------------------------

TEST(GpuHealthNvml, ReadsEveryFactOfAGpuCudaDoesNotSee) {
  TempDir dir;
  const FakeNvml nvml(dir.path(), kHealthyH100);
  MachineHealth h;
  read_gpu_health(h);
  EXPECT_EQ(h.gpu_source, "nvml");
  EXPECT_EQ(h.gpu_unknown, "");
  match_cuda_indices(h, GpuInventory{});
  const GpuHealth& g = only_gpu(h);
  EXPECT_EQ(g.index, 0);
  EXPECT_FALSE(g.cuda_visible);
  EXPECT_EQ(g.name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(g.pci_bus_id, "00000000:17:00.0");
  EXPECT_EQ(g.pci_device_id, "10de:2330");
  const std::map<std::string, std::string> expected = {
      {"uuid", "GPU-8f6a1c2e-0000-4000-8000-000000000001"},
      {"serial", "1650123456789"},
      {"vbios", "96.00.74.00.01"},
      {"inforom", "G520.0200.00.05"},
      {"driver", "575.57.08"},
      {"persistence_mode", "1"},
      {"ecc.enabled", "1"},
      {"ecc.corrected_volatile", "3"},
      {"ecc.uncorrected_volatile", "0"},
      {"ecc.corrected_aggregate", "12"},
      {"ecc.uncorrected_aggregate", "0"},
      // Page retirement is for GPUs before Ampere: the stand-in, like an H100, lacks it.
      {"retired_pages.count", "unknown: not supported"},
      {"retired_pages.pending", "unknown: not supported"},
      {"row_remap.corrected", "2"},
      {"row_remap.uncorrected", "0"},
      {"row_remap.pending", "0"},
      {"row_remap.failed", "0"},
      {"pcie.gen", "1"},
      {"pcie.gen_max", "5"},
      {"pcie.width", "16"},
      {"pcie.width_max", "16"},
      {"pcie.replay_count", "0"},
      {"nvlink.active", "18"},
      {"nvlink.errors", "18"},  // one replay on each of the 18 links
      {"fabric.state", "none"},
      {"power.limit_w", "700"},
      {"power.default_limit_w", "700"},
      {"power.limit_percent_of_default", "100"},
      {"clocks.applications_sm_mhz", "1755"},
      {"clocks.applications_memory_mhz", "2619"},
      {"clocks.max_sm_mhz", "1980"},
      {"clocks.max_memory_mhz", "2619"},
      {"clocks.event_reasons", "gpu_idle"},
      {"clocks.throttling", "0"},
      {"processes.other", "2"},  // this process is not counted
  };
  for (const auto& [name, text] : expected) EXPECT_EQ(fact(g, name), text) << name;
  // Every fact the table lists is recorded (xid.* come from the kernel log).
  for (const auto& info : kGpuHealthFacts) {
    if (std::string(info.name).starts_with("xid.")) continue;
    EXPECT_TRUE(g.facts.count(std::string(info.name))) << info.name;
  }
}

TEST(GpuHealthNvml, WhatCannotBeReadIsUnknownWithWhyNeverZero) {
  TempDir dir;
  const FakeNvml nvml(dir.path(), std::string(kHealthyH100) +
                                      "gpu0.ecc.1.0 error:4\n"        // no permission
                                      "gpu0.pcie.width error:999\n"   // NVML_ERROR_UNKNOWN
                                      "gpu0.nvlink.links error:15\n"  // the GPU is lost
                                      "gpu0.power.default error:3\n"  // not supported
                                      "gpu0.pids error:4\n"
                                      "gpu0.fabric 3\n");
  MachineHealth h;
  read_gpu_health(h);
  const GpuHealth& g = only_gpu(h);
  EXPECT_EQ(fact(g, "ecc.uncorrected_volatile"), "unknown: permission");
  EXPECT_EQ(fact(g, "pcie.width"),
            "unknown: nvmlDeviceGetCurrPcieLinkWidth failed with NVML error 999");
  EXPECT_EQ(fact(g, "nvlink.active"), "unknown: the GPU is lost (fallen off the bus)");
  EXPECT_EQ(fact(g, "nvlink.errors"), "unknown: the GPU is lost (fallen off the bus)");
  EXPECT_EQ(fact(g, "power.default_limit_w"), "unknown: not supported");
  EXPECT_EQ(fact(g, "power.limit_percent_of_default"), "unknown: not supported");
  EXPECT_EQ(fact(g, "processes.other"), "unknown: permission");
  EXPECT_EQ(fact(g, "fabric.state"), "completed");
  EXPECT_EQ(fact(g, "ecc.corrected_volatile"), "3");  // the others are still read
}

TEST(GpuHealthNvml, APcieCardWithoutNvlinkHasNoneActive) {
  TempDir dir;
  // A later line replaces an earlier one: NVML says "not supported" for the first link.
  const FakeNvml nvml(dir.path(), std::string(kHealthyH100) + "gpu0.nvlink.links error:3\n");
  MachineHealth h;
  read_gpu_health(h);
  EXPECT_EQ(fact(only_gpu(h), "nvlink.active"), "0");
  EXPECT_EQ(fact(only_gpu(h), "nvlink.errors"), "0");
}

TEST(GpuHealthNvml, TheNvlinkWalkGoesOnPastALinkTheGpuLacks) {
  TempDir dir;
  // Links 0-5 and 7-17: link 6 answers "not supported", link 9 "invalid argument" (no such
  // link), link 3 is there but inactive.
  const FakeNvml nvml(dir.path(), std::string(kHealthyH100) +
                                      "gpu0.nvlink.state.6 error:3\n"
                                      "gpu0.nvlink.state.9 error:2\n"
                                      "gpu0.nvlink.state.3 0\n");
  MachineHealth h;
  read_gpu_health(h);
  EXPECT_EQ(fact(only_gpu(h), "nvlink.active"), "15");
  EXPECT_EQ(fact(only_gpu(h), "nvlink.errors"), "15");  // one replay on each active link
}

TEST(GpuHealthNvml, OnlyTheMissingLinkIsSkipped) {
  TempDir dir;
  const FakeNvml nvml(dir.path(), std::string(kHealthyH100) + "gpu0.nvlink.state.6 error:3\n");
  MachineHealth h;
  read_gpu_health(h);
  EXPECT_EQ(fact(only_gpu(h), "nvlink.active"), "17");
}

TEST(GpuHealthNvml, TheNvlinkWalkReachesTheMostLinksNvmlKnows) {
  TempDir dir;
  // NVML_NVLINK_MAX_LINKS is 36 from CUDA 13.3's nvml.h (18 before).
  const FakeNvml nvml(dir.path(),
                      std::string(kHealthyH100) + "gpu0.nvlink.links 36\ngpu0.nvlink.active 36\n");
  MachineHealth h;
  read_gpu_health(h);
  EXPECT_EQ(fact(only_gpu(h), "nvlink.active"), "36");
}

TEST(GpuHealthNvml, AnErrorCounterTheGpuLacksIsLeftOutOfItsLinksErrors) {
  TempDir dir;
  // No DL CRC data counter (as Hopper is reported to lack), two recoveries on every link.
  const FakeNvml nvml(dir.path(), std::string(kHealthyH100) +
                                      "gpu0.nvlink.error.3 error:3\n"
                                      "gpu0.nvlink.error.1 2\n");
  MachineHealth h;
  read_gpu_health(h);
  EXPECT_EQ(fact(only_gpu(h), "nvlink.active"), "18");
  EXPECT_EQ(fact(only_gpu(h), "nvlink.errors"), "54");  // 18 links x (1 replay + 2 recoveries)

  // A link without any counter NVML reads has errors nobody knows.
  nvml.set(std::string(kHealthyH100) +
           "gpu0.nvlink.error.0 error:3\ngpu0.nvlink.error.1 error:3\n"
           "gpu0.nvlink.error.2 error:3\ngpu0.nvlink.error.3 error:3\n");
  MachineHealth h2;
  read_gpu_health(h2);
  EXPECT_EQ(fact(only_gpu(h2), "nvlink.active"), "18");
  EXPECT_EQ(fact(only_gpu(h2), "nvlink.errors"),
            "unknown: NVLink 0 has no error counter NVML reads");
}

TEST(GpuHealthNvml, FabricStateNotSupportedReadsNoneAsNvidiaSmisNa) {
  TempDir dir;
  const FakeNvml nvml(dir.path(), std::string(kHealthyH100) + "gpu0.fabric 0\n");
  MachineHealth h;
  read_gpu_health(h);
  EXPECT_EQ(fact(only_gpu(h), "fabric.state"), "none");
}

TEST(GpuHealthNvml, AnotherNvlinkErrorOnALaterLinkIsUnknownNeverACount) {
  TempDir dir;
  const FakeNvml nvml(dir.path(), std::string(kHealthyH100) + "gpu0.nvlink.state.7 error:999\n");
  MachineHealth h;
  read_gpu_health(h);
  EXPECT_EQ(fact(only_gpu(h), "nvlink.active"),
            "unknown: nvmlDeviceGetNvLinkState failed with NVML error 999");
  EXPECT_EQ(fact(only_gpu(h), "nvlink.errors"),
            "unknown: nvmlDeviceGetNvLinkState failed with NVML error 999");
}

TEST(GpuHealthNvml, AGpuNvmlCannotOpenHasEveryFactUnknown) {
  TempDir dir;
  const FakeNvml nvml(dir.path(), std::string(kHealthyH100) + "count 2\ngpu1.handle error:15\n");
  MachineHealth h;
  read_gpu_health(h);
  ASSERT_EQ(h.gpus.size(), 2u);
  EXPECT_EQ(fact(h.gpus[1], "ecc.uncorrected_volatile"),
            "unknown: the GPU is lost (fallen off the bus)");
  EXPECT_EQ(fact(h.gpus[1], "uuid"), "unknown: the GPU is lost (fallen off the bus)");
  EXPECT_TRUE(h.gpus[1].lost);
  EXPECT_FALSE(h.gpus[0].lost);
  // A GPU this process may not open (a job confined to other GPUs) is not lost.
  nvml.set(std::string(kHealthyH100) + "count 2\ngpu1.handle error:4\n");
  MachineHealth c;
  read_gpu_health(c);
  ASSERT_EQ(c.gpus.size(), 2u);
  EXPECT_FALSE(c.gpus[1].lost);
}

TEST(GpuHealthNvml, CudaIndicesNameTheGpusCudaSees) {
  TempDir dir;
  const FakeNvml nvml(dir.path(), std::string(kHealthyH100) +
                                      "count 2\n"
                                      "gpu1.name NVIDIA H100 80GB HBM3\n"
                                      "gpu1.bus_id 00000000:3B:00.0\n");
  MachineHealth h;
  read_gpu_health(h);
  GpuInventory cuda;
  cuda.devices.resize(1);
  cuda.devices[0].index = 0;
  cuda.devices[0].pci_bus_id = "0000:3b:00.0";  // CUDA's fastest-first order put NVML's 1 first
  match_cuda_indices(h, cuda);
  ASSERT_EQ(h.gpus.size(), 2u);
  EXPECT_FALSE(h.gpus[0].cuda_visible);
  EXPECT_TRUE(h.gpus[1].cuda_visible);
  EXPECT_EQ(h.gpus[1].index, 0);
  EXPECT_EQ(h.gpus[1].nvml_index, 1);
}

TEST(GpuHealthNvml, NeitherNvmlNorNvidiaSmiSaysWhy) {
  TempDir dir;
  const ScopedEnv library(kNvmlLibraryEnv, (dir.path() / "no-such-libnvidia-ml.so").string());
  const ScopedEnv path("PATH", dir.path().string());  // no nvidia-smi
  MachineHealth h;
  read_gpu_health(h);
  EXPECT_EQ(h.gpu_source, "");
  EXPECT_TRUE(h.gpus.empty());
  EXPECT_NE(h.gpu_unknown.find("NVML: "), std::string::npos) << h.gpu_unknown;
  EXPECT_NE(h.gpu_unknown.find("no-such-libnvidia-ml.so"), std::string::npos) << h.gpu_unknown;
  EXPECT_NE(h.gpu_unknown.find("; nvidia-smi: cannot start"), std::string::npos) << h.gpu_unknown;
}

TEST(GpuHealthNvml, AnNvmlThatDoesNotInitialiseFallsBackToNvidiaSmi) {
  TempDir dir;
  const FakeNvml nvml(dir.path(), "init error:9\n");  // driver not loaded
  const fs::path script = dir.path() / "nvidia-smi";
  std::ofstream(script)
      << "#!/bin/sh\n"
         "[ \"$1\" = '--query-gpu="
      << kNvidiaSmiHealthQuery
      << "' ] || exit 3\n"
         "[ \"$2\" = '--format=csv,noheader,nounits' ] || exit 4\n"
         "echo '0, 00000000:17:00.0, NVIDIA H100 PCIe, 0x233110DE, GPU-1234, [N/A], "
         "96.00.30.00.01, G520.0200.00.05, 575.57.08, Enabled, Enabled, 0, 2, 0, 5, No, 1, 5, "
         "8, 16, 350.00, 350.00, 1755, 1593, 1980, 1593, 0x0000000000000004'\n";
  fs::permissions(script, fs::perms::owner_all);
  const ScopedEnv path("PATH", dir.path().string() + ":/usr/bin:/bin");
  MachineHealth h;
  read_gpu_health(h);
  EXPECT_EQ(h.gpu_source, "nvidia-smi") << h.gpu_unknown;
  const GpuHealth& g = only_gpu(h);
  EXPECT_EQ(g.name, "NVIDIA H100 PCIe");
  EXPECT_EQ(g.pci_device_id, "10de:2331");
  EXPECT_EQ(fact(g, "serial"), "unknown: nvidia-smi: N/A");
  EXPECT_EQ(fact(g, "ecc.enabled"), "1");
  EXPECT_EQ(fact(g, "ecc.uncorrected_volatile"), "2");
  EXPECT_EQ(fact(g, "ecc.uncorrected_aggregate"), "5");
  EXPECT_EQ(fact(g, "retired_pages.pending"), "0");
  EXPECT_EQ(fact(g, "pcie.width"), "8");
  EXPECT_EQ(fact(g, "power.limit_percent_of_default"), "100");
  EXPECT_EQ(fact(g, "clocks.event_reasons"), "sw_power_cap");
  EXPECT_EQ(fact(g, "clocks.throttling"), "0");  // the power cap is no throttling
  // The stand-in knows only the query: the facts of the other commands say why they are unknown.
  EXPECT_EQ(fact(g, "nvlink.active"), "unknown: nvidia-smi nvlink --status: exit status 3");
  EXPECT_EQ(fact(g, "row_remap.pending"), "unknown: nvidia-smi -q -x: exit status 3");
}

TEST(GpuHealthNvml, NvidiaSmiOfAnOlderDriverIsAskedForThrottleReasons) {
  TempDir dir;
  const FakeNvml nvml(dir.path(), "init error:9\n");
  const fs::path script = dir.path() / "nvidia-smi";
  // Drivers before R535 reject the newer field name.
  std::ofstream(script)
      << "#!/bin/sh\n"
         "case \"$1\" in *clocks_event_reasons*) echo 'Field \"clocks_event_reasons.active\" is "
         "not a valid field to query.'; exit 2;; esac\n"
         "case \"$1\" in *,clocks_throttle_reasons.active) ;; *) exit 3;; esac\n"
         "echo '0, 00000000:17:00.0, Tesla T4, 0x1EB810DE, GPU-1, 1322, 90.04.38.00.03, "
         "G183.0200.00.02, 470.82.01, Disabled, Enabled, 0, 0, 0, 0, No, 1, 3, 16, 16, 70.00, "
         "70.00, 585, 5000, 1590, 5001, 0x0000000000000001'\n";
  fs::permissions(script, fs::perms::owner_all);
  const ScopedEnv path("PATH", dir.path().string() + ":/usr/bin:/bin");
  MachineHealth h;
  read_gpu_health(h);
  EXPECT_EQ(h.gpu_source, "nvidia-smi") << h.gpu_unknown;
  EXPECT_EQ(fact(only_gpu(h), "clocks.event_reasons"), "gpu_idle");
  EXPECT_EQ(fact(only_gpu(h), "persistence_mode"), "0");
  EXPECT_EQ(fact(only_gpu(h), "pcie.gen_max"), "3");
}

// Telemetry reads the power drawn now where NVML has that field, and falls back to
// nvmlDeviceGetPowerUsage (a one-second average on Ampere and later) where it has not; a GPU at
// its power cap is not throttled, one slowed by heat is.
TEST(GpuTelemetryNvml, PowerIsTheInstantReadingAndThePowerCapIsNoThrottling) {
  TempDir dir;
  const FakeNvml nvml(dir.path(), std::string(kHealthyH100) +
                                      "gpu0.power.usage 300000\n"
                                      "gpu0.power.instant 612345\n"
                                      "gpu0.clock.sm 1755\n"
                                      "gpu0.reasons 0x4\n");
  const auto source = open_telemetry_source();
  ASSERT_NE(source, nullptr);
  ASSERT_EQ(source->name(), "nvml");
  GpuDevice gpu;
  gpu.index = 0;
  gpu.pci_bus_id = "0000:17:00.0";
  auto t = source->read({gpu});
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].power_w, 612.345);
  EXPECT_EQ(t[0].sm_clock_mhz, 1755);
  EXPECT_EQ(t[0].clock_event_reasons, std::vector<std::string>{"sw_power_cap"});
  EXPECT_FALSE(t[0].throttled);

  nvml.set(std::string(kHealthyH100) + "gpu0.power.usage 300000\ngpu0.reasons 0x24\n");
  t = source->read({gpu});
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].power_w, 300);
  EXPECT_TRUE(t[0].throttled);
  EXPECT_TRUE(t[0].clock_events_read);

  // A GPU that does not answer the clock event reasons (a vGPU) is not "not throttled".
  nvml.set(std::string(kHealthyH100) + "gpu0.power.usage 300000\ngpu0.reasons error:3\n");
  t = source->read({gpu});
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].power_w, 300);
  EXPECT_FALSE(t[0].clock_events_read);
  EXPECT_FALSE(t[0].throttled);
}

TEST(GpuHealthNvml, MalformedNvidiaSmiOutputIsAnInputError) {
  EXPECT_THROW(parse_nvidia_smi_health("0, 00000000:17:00.0, only three\n"), InputError);
}

TEST(HostHealth, CpuCountMemoryAndNumaNodesOfThisMachine) {
  const HealthFacts host = host_health_facts();
  ASSERT_TRUE(host.at("cpu.count").number);
  EXPECT_EQ(*host.at("cpu.count").number, double(::sysconf(_SC_NPROCESSORS_ONLN)));
  ASSERT_TRUE(host.at("memory.gib").number);
  EXPECT_GT(*host.at("memory.gib").number, 0.1);
  if (fs::exists("/sys/devices/system/node/node0")) {
    ASSERT_TRUE(host.at("numa.nodes").number) << host.at("numa.nodes").unknown;
    EXPECT_GE(*host.at("numa.nodes").number, 1);
  } else {
    EXPECT_FALSE(host.at("numa.nodes").known());
  }
}

// An 8-GPU node, as the PCI bus and NVML list it, with one of its GPUs lost
// (NVML_ERROR_GPU_IS_LOST): a command given every GPU misses it wherever CUDA sees 7, and misses
// none where it was given fewer (a container, a job) or none on purpose.
TEST(HostHealth, GpusCudaMissesCountsWhatAProcessGivenEveryGpuCannotUse) {
  MachineHealth node;
  node.host["pci.nvidia_gpus"] = HealthFact::of(8);
  for (int i = 0; i < 8; ++i) {
    GpuHealth g;
    g.nvml_index = i;
    g.cuda_visible = i != 3;
    g.lost = i == 3;
    node.gpus.push_back(g);
  }
  const GpuVisibility unset;
  EXPECT_EQ(gpus_cuda_misses(node, 7, unset), 1);
  EXPECT_EQ(gpus_cuda_misses(node, 0, unset), 8);  // the driver lost them all
  MachineHealth healthy = node;
  healthy.gpus[3].cuda_visible = true;
  healthy.gpus[3].lost = false;
  EXPECT_EQ(gpus_cuda_misses(healthy, 8, unset), 0);
  // A job given the node's GPUs by index or UUID (Slurm's --gres=gpu:8), one of them lost.
  EXPECT_EQ(gpus_cuda_misses(node, 7, {.cuda_visible_devices = "0,1,2,3,4,5,6,7"}), 1);
  EXPECT_EQ(gpus_cuda_misses(node, 2, {.cuda_visible_devices = "GPU-a1,GPU-b2"}), 0);
  // Given some: two GPUs; a MIG instance (CUDA sees one a process); none at all.
  EXPECT_EQ(gpus_cuda_misses(node, 2, {.cuda_visible_devices = "0,1"}), 0);
  EXPECT_EQ(gpus_cuda_misses(node, 1, {.cuda_visible_devices = "MIG-a1,MIG-b2"}), 0);
  for (const char* none : {"", "-1", "NoDevFiles"}) {
    EXPECT_EQ(gpus_cuda_misses(node, 0, {.cuda_visible_devices = none}), 0) << none;
  }
  // CUDA_VISIBLE_DEVICES naming a GPU that CUDA does not see: the listed ones are missed.
  EXPECT_EQ(gpus_cuda_misses(node, 0, {.cuda_visible_devices = "0"}), 8);
  // A container given one GPU of the eight its PCI bus shows (CDI, whose image still says
  // NVIDIA_VISIBLE_DEVICES=all, or a list): NVML lists the one it was given.
  MachineHealth container;
  container.host["pci.nvidia_gpus"] = HealthFact::of(8);
  container.gpus.resize(1);
  container.gpus[0].cuda_visible = true;
  for (const auto& given : {GpuVisibility{}, GpuVisibility{.nvidia_visible_devices = "all"},
                            GpuVisibility{.nvidia_visible_devices = "3"}}) {
    EXPECT_EQ(gpus_cuda_misses(container, 1, given), 0);
  }
  container.gpus.resize(2);  // given two, one lost
  EXPECT_EQ(gpus_cuda_misses(container, 1, {.nvidia_visible_devices = "3,4"}), 1);
  for (const char* none : {"void", "none"}) {
    EXPECT_EQ(gpus_cuda_misses(node, 0, {.nvidia_visible_devices = none}), 0) << none;
  }
}

// ---- judging --------------------------------------------------------------------------------

HealthFacts healthy_gpu_facts(int nvlinks) {
  HealthFacts f;
  for (const auto& info : kGpuHealthFacts) {
    f[std::string(info.name)] =
        info.kind == FactKind::number ? HealthFact::of(0) : HealthFact::of_text("x");
  }
  f["ecc.enabled"] = f["persistence_mode"] = HealthFact::of(1);
  f["pcie.gen"] = HealthFact::of(1);  // idle
  f["pcie.gen_max"] = HealthFact::of(5);
  f["pcie.width"] = f["pcie.width_max"] = HealthFact::of(16);
  f["nvlink.active"] = HealthFact::of(nvlinks);
  f["power.limit_w"] = f["power.default_limit_w"] = HealthFact::of(700);
  f["power.limit_percent_of_default"] = HealthFact::of(100);
  return f;
}

// A machine whose one GPU, `name`, CUDA does not see (as here): NVML's facts only.
ResultsDocument health_document(const std::string& name, HealthFacts facts) {
  ResultsDocument doc;
  doc.environment.gpu.no_device_reason = "no CUDA device";
  MachineHealth h;
  h.gpu_source = "nvml";
  h.kernel_log = "/dev/kmsg";
  h.host = {{"cpu.count", HealthFact::of(96)},
            {"memory.gib", HealthFact::of(1843.5)},
            {"numa.nodes", HealthFact::of(2)}};
  GpuHealth g;
  g.name = name;
  g.pci_bus_id = "00000000:17:00.0";
  g.facts = std::move(facts);
  h.gpus.push_back(std::move(g));
  doc.environment.health = std::move(h);
  return doc;
}

Spec spec_of(const std::string& rows) {
  return parse_spec("metric,comparator,bound,reference,severity,applies_to,description\n" + rows,
                    "test.csv");
}

const CriterionVerdict& verdict_of(const AcceptanceResult& r, const std::string& metric) {
  for (const auto& v : r.criteria) {
    if (v.metric == metric) return v;
  }
  throw std::runtime_error("no verdict for " + metric);
}

// ---- nvidia-smi beyond its query: -q -x and nvlink ------------------------------------------

// A stand-in nvidia-smi first on PATH, answering each command it is given from a file of `dir`
// (exit status 1 when that file is not there, 3 for a command it does not know).
class FakeNvidiaSmi {
 public:
  explicit FakeNvidiaSmi(const fs::path& dir)
      : dir_(dir), path_("PATH", dir.string() + ":/usr/bin:/bin") {
    const fs::path script = dir / "nvidia-smi";
    std::ofstream(script) << "#!/bin/sh\n"
                             "d=$(dirname \"$0\")\n"
                             "case \"$*\" in\n"
                             "  --query-gpu=*) f=query.csv ;;\n"
                             "  '-q -x') f=q.xml ;;\n"
                             "  'nvlink --status') f=nvlink-status.txt ;;\n"
                             "  'nvlink -e') f=nvlink-errors.txt ;;\n"
                             "  *) exit 3 ;;\n"
                             "esac\n"
                             "[ -f \"$d/$f\" ] || exit 1\n"
                             "cat \"$d/$f\"\n";
    fs::permissions(script, fs::perms::owner_all);
  }
  void set(const std::string& file, const std::string& text) const {
    std::ofstream(dir_ / file) << text;
  }

 private:
  fs::path dir_;
  ScopedEnv path_;
};

// Two H100 SXM GPUs in an NVSwitch system as `--query-gpu` gives them.
constexpr const char* kSxmQuery =
    "0, 00000000:17:00.0, NVIDIA H100 80GB HBM3, 0x233010DE, GPU-1111, 1650123456789, "
    "96.00.74.00.01, G520.0200.00.05, 575.57.08, Enabled, Enabled, 0, 0, 0, 0, No, 5, 5, 16, 16, "
    "700.00, 700.00, 1755, 2619, 1980, 2619, 0x0000000000000001\n"
    "1, 00000000:3B:00.0, NVIDIA H100 80GB HBM3, 0x233010DE, GPU-2222, 1650123456790, "
    "96.00.74.00.01, G520.0200.00.05, 575.57.08, Enabled, Enabled, 0, 0, 0, 0, No, 5, 5, 16, 16, "
    "700.00, 700.00, 1755, 2619, 1980, 2619, 0x0000000000000001\n";

// One GPU of `nvidia-smi -q -x`, trimmed to the elements read and their neighbours, in the form of
// nvsmi_device_v12.dtd (driver 575): the text of <remapped_rows> children (or of <remapped_rows>
// itself: "N/A"), <replay_counter>, the two <retired_count>, the fabric's state and status, and
// what <processes> holds.
std::string smi_xml_gpu(const std::string& bus_id, const std::string& remapped,
                        const std::string& replay, const std::string& retired_single,
                        const std::string& retired_double, const std::string& fabric_state,
                        const std::string& fabric_status, const std::string& processes) {
  return "\t<gpu id=\"" + bus_id +
         "\">\n"
         "\t\t<product_name>NVIDIA H100 80GB HBM3</product_name>\n"
         "\t\t<persistence_mode>Enabled</persistence_mode>\n"
         "\t\t<pci>\n"
         "\t\t\t<pci_bus>17</pci_bus>\n"
         "\t\t\t<pci_bus_id>" +
         bus_id +
         "</pci_bus_id>\n"
         "\t\t\t<pci_gpu_link_info>\n"
         "\t\t\t\t<pcie_gen>\n"
         "\t\t\t\t\t<max_link_gen>5</max_link_gen>\n"
         "\t\t\t\t\t<current_link_gen>5</current_link_gen>\n"
         "\t\t\t\t</pcie_gen>\n"
         "\t\t\t</pci_gpu_link_info>\n"
         "\t\t\t<replay_counter>" +
         replay +
         "</replay_counter>\n"
         "\t\t\t<replay_rollover_counter>0</replay_rollover_counter>\n"
         "\t\t\t<tx_util>0 KB/s</tx_util>\n"
         "\t\t</pci>\n"
         "\t\t<retired_pages>\n"
         "\t\t\t<multiple_single_bit_retirement>\n"
         "\t\t\t\t<retired_count>" +
         retired_single +
         "</retired_count>\n"
         "\t\t\t\t<retired_pagelist>N/A</retired_pagelist>\n"
         "\t\t\t</multiple_single_bit_retirement>\n"
         "\t\t\t<double_bit_retirement>\n"
         "\t\t\t\t<retired_count>" +
         retired_double +
         "</retired_count>\n"
         "\t\t\t\t<retired_pagelist>N/A</retired_pagelist>\n"
         "\t\t\t</double_bit_retirement>\n"
         "\t\t\t<pending_blacklist>N/A</pending_blacklist>\n"
         "\t\t\t<pending_retirement>N/A</pending_retirement>\n"
         "\t\t</retired_pages>\n"
         "\t\t<remapped_rows>" +
         remapped +
         "</remapped_rows>\n"
         "\t\t<max_clocks>\n"
         "\t\t\t<graphics_clock>1980 MHz</graphics_clock>\n"
         "\t\t</max_clocks>\n"
         "\t\t<fabric>\n"
         "\t\t\t<state>" +
         fabric_state +
         "</state>\n"
         "\t\t\t<status>" +
         fabric_status +
         "</status>\n"
         "\t\t\t<cliqueId>0</cliqueId>\n"
         "\t\t\t<clusterUuid>00000000-0000-0000-0000-000000000000</clusterUuid>\n"
         "\t\t\t<health>\n"
         "\t\t\t\t<bandwidth>N/A</bandwidth>\n"
         "\t\t\t</health>\n"
         "\t\t</fabric>\n"
         "\t\t<processes>" +
         processes +
         "</processes>\n"
         "\t</gpu>\n";
}

std::string remapped_rows(int corrected, int uncorrected, const std::string& pending,
                          const std::string& failure) {
  return "\n\t\t\t<remapped_row_corr>" + std::to_string(corrected) +
         "</remapped_row_corr>\n"
         "\t\t\t<remapped_row_unc>" +
         std::to_string(uncorrected) +
         "</remapped_row_unc>\n"
         "\t\t\t<remapped_row_pending>" +
         pending +
         "</remapped_row_pending>\n"
         "\t\t\t<remapped_row_failure>" +
         failure +
         "</remapped_row_failure>\n"
         "\t\t\t<row_remapper_histogram>\n"
         "\t\t\t\t<row_remapper_histogram_max>640 bank(s)</row_remapper_histogram_max>\n"
         "\t\t\t</row_remapper_histogram>\n\t\t";
}

std::string process_info(const std::string& pid, const std::string& type) {
  return "\n\t\t\t<process_info>\n"
         "\t\t\t\t<gpu_instance_id>N/A</gpu_instance_id>\n"
         "\t\t\t\t<compute_instance_id>N/A</compute_instance_id>\n"
         "\t\t\t\t<pid>" +
         pid +
         "</pid>\n"
         "\t\t\t\t<type>" +
         type +
         "</type>\n"
         "\t\t\t\t<process_name>/usr/bin/python3 &amp; co</process_name>\n"
         "\t\t\t\t<used_memory>1448 MiB</used_memory>\n"
         "\t\t\t</process_info>\n\t\t";
}

std::string smi_xml(const std::string& gpus) {
  return "<?xml version=\"1.0\" ?>\n"
         "<!DOCTYPE nvidia_smi_log SYSTEM \"nvsmi_device_v12.dtd\">\n"
         "<nvidia_smi_log>\n"
         "\t<timestamp>Mon Nov 30 12:00:00 2026</timestamp>\n"
         "\t<driver_version>575.57.08</driver_version>\n"
         "\t<attached_gpus>2</attached_gpus>\n" +
         gpus + "</nvidia_smi_log>\n";
}

// `nvidia-smi nvlink --status` of one GPU: `links` links, those of `inactive` "<inactive>".
std::string nvlink_status(int gpu, int links, const std::set<int>& inactive = {}) {
  std::string out =
      fmt::format("GPU {}: NVIDIA H100 80GB HBM3 (UUID: GPU-{}{}{}{})\n", gpu, gpu, gpu, gpu, gpu);
  for (int l = 0; l < links; ++l) {
    out += inactive.count(l) ? fmt::format("\t Link {}: <inactive>\n", l)
                             : fmt::format("\t Link {}: 26.562 GB/s\n", l);
  }
  return out;
}

// The two H100s: GPU 0 healthy with two rows remapped for corrected errors, three PCIe replays,
// 18 links and three NVLink errors, a compute process of another user, a graphics one and this
// one; GPU 1 waits for a reset to remap a row, its fabric registration is still in progress,
// link 6 is down.
void set_sxm_machine(const FakeNvidiaSmi& smi) {
  const std::string self = std::to_string(::getpid());
  smi.set("query.csv", kSxmQuery);
  smi.set("q.xml", smi_xml(smi_xml_gpu("00000000:17:00.0", remapped_rows(2, 0, "No", "No"), "3",
                                       "N/A", "N/A", "Completed", "Success",
                                       process_info("4242", "C") + process_info("1802", "G") +
                                           process_info(self, "C")) +
                           smi_xml_gpu("00000000:3B:00.0", remapped_rows(0, 1, "Yes", "No"), "0",
                                       "N/A", "N/A", "In Progress", "N/A", "\n\t\t\tNone\n\t\t")));
  smi.set("nvlink-status.txt", nvlink_status(0, 18) + nvlink_status(1, 18, {6}));
  std::string errors = "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0000)\n";
  for (int l = 0; l < 18; ++l) {
    errors += fmt::format(
        "\t Link {0}: Replay Errors: {1}\n\t Link {0}: Recovery Errors: 0\n"
        "\t Link {0}: CRC Errors: {2}\n\n",
        l, l == 0 ? 2 : 0, l == 5 ? 1 : 0);
  }
  // A counter the NVML reader does not sum either, as newer drivers may add: left out.
  errors += "\t Link 0: Effective BER: 1.2e-15\n";
  // Some drivers fold links with the same counts into one line.
  errors +=
      "GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-1111)\n"
      "\t Links 0-5, 7-17: Replay/Recovery/CRC Errors: 0\n"
      "\t Link 6: Replay Errors: 9\n";
  smi.set("nvlink-errors.txt", errors);
}

MachineHealth read_through_nvidia_smi(const fs::path& dir) {
  const FakeNvml nvml(dir, "init error:9\n");  // the driver is not loaded, as NVML sees it
  MachineHealth h;
  read_gpu_health(h);
  EXPECT_EQ(h.gpu_source, "nvidia-smi") << h.gpu_unknown;
  return h;
}

TEST(GpuHealthNvidiaSmi, ReadsRowRemappingReplaysNvlinkFabricAndProcesses) {
  TempDir dir;
  const FakeNvidiaSmi smi(dir.path());
  set_sxm_machine(smi);
  const MachineHealth h = read_through_nvidia_smi(dir.path());
  ASSERT_EQ(h.gpus.size(), 2u);
  const std::map<std::string, std::string> gpu0 = {
      {"row_remap.corrected", "2"},
      {"row_remap.uncorrected", "0"},
      {"row_remap.pending", "0"},
      {"row_remap.failed", "0"},
      {"pcie.replay_count", "3"},
      {"fabric.state", "completed"},
      {"nvlink.active", "18"},
      {"nvlink.errors", "3"},
      {"processes.other", "1"},  // the graphics process and this one are not counted
      {"retired_pages.count", "unknown: nvidia-smi: N/A"},  // Hopper retires no pages
      {"ecc.enabled", "1"},                                 // the query's facts are still there
  };
  for (const auto& [name, text] : gpu0) EXPECT_EQ(fact(h.gpus[0], name), text) << name;
  const std::map<std::string, std::string> gpu1 = {
      {"row_remap.uncorrected", "1"}, {"row_remap.pending", "1"},      {"row_remap.failed", "0"},
      {"pcie.replay_count", "0"},     {"fabric.state", "in progress"}, {"nvlink.active", "17"},
      {"nvlink.errors", "0"},  // link 6's replays are not counted: it is down
      {"processes.other", "0"},
  };
  for (const auto& [name, text] : gpu1) EXPECT_EQ(fact(h.gpus[1], name), text) << name;
}

TEST(GpuHealthNvidiaSmi, WhatAGpuLacksIsUnknownWithWhy) {
  TempDir dir;
  const FakeNvidiaSmi smi(dir.path());
  // A T4: no row remapping (before Ampere), no fabric, no NVLink; two retired pages.
  smi.set("query.csv",
          "0, 00000000:17:00.0, Tesla T4, 0x1EB810DE, GPU-1, 1322, 90.04.38.00.03, "
          "G183.0200.00.02, 575.57.08, Enabled, Enabled, 0, 0, 0, 0, No, 1, 3, 16, 16, 70.00, "
          "70.00, 585, 5000, 1590, 5001, 0x0000000000000001\n");
  smi.set("q.xml", smi_xml(smi_xml_gpu("00000000:17:00.0", "N/A", "[Not Supported]", "1", "1",
                                       "N/A", "N/A", "")));
  smi.set("nvlink-status.txt", "GPU 0: Tesla T4 (UUID: GPU-1)\n");
  smi.set("nvlink-errors.txt", "GPU 0: Tesla T4 (UUID: GPU-1)\n");
  const MachineHealth h = read_through_nvidia_smi(dir.path());
  const GpuHealth& g = only_gpu(h);
  EXPECT_EQ(fact(g, "row_remap.corrected"), "unknown: nvidia-smi: N/A");
  EXPECT_EQ(fact(g, "row_remap.failed"), "unknown: nvidia-smi: N/A");
  EXPECT_EQ(fact(g, "pcie.replay_count"), "unknown: not supported");
  EXPECT_EQ(fact(g, "retired_pages.count"), "2");
  EXPECT_EQ(fact(g, "fabric.state"), "none");  // as NVML's "not supported" reads
  EXPECT_EQ(fact(g, "nvlink.active"), "0");
  EXPECT_EQ(fact(g, "nvlink.errors"), "0");
  EXPECT_EQ(fact(g, "processes.other"), "0");
}

TEST(GpuHealthNvidiaSmi, NoNvlinkOutputOrAllLinksInactiveIsNoneActive) {
  TempDir dir;
  const FakeNvidiaSmi smi(dir.path());
  set_sxm_machine(smi);
  // GPU 1's links are all down: nvidia-smi says so in one line under it.
  smi.set("nvlink-status.txt",
          nvlink_status(0, 18) +
              "GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-1111)\n"
              "\tNVML: Unable to retrieve NVLink information as all links are inActive\n");
  const MachineHealth h = read_through_nvidia_smi(dir.path());
  ASSERT_EQ(h.gpus.size(), 2u);
  EXPECT_EQ(fact(h.gpus[0], "nvlink.active"), "18");
  EXPECT_EQ(fact(h.gpus[1], "nvlink.active"), "0");
  EXPECT_EQ(fact(h.gpus[1], "nvlink.errors"), "0");

  // A machine without NVLink: nvidia-smi nvlink prints nothing at all.
  smi.set("nvlink-status.txt", "");
  smi.set("nvlink-errors.txt", "");
  const MachineHealth none = read_through_nvidia_smi(dir.path());
  ASSERT_EQ(none.gpus.size(), 2u);
  for (const GpuHealth& g : none.gpus) {
    EXPECT_EQ(fact(g, "nvlink.active"), "0");
    EXPECT_EQ(fact(g, "nvlink.errors"), "0");
  }
}

TEST(GpuHealthNvidiaSmi, OutputItCannotReadIsUnknownQuotingIt) {
  TempDir dir;
  const FakeNvidiaSmi smi(dir.path());
  set_sxm_machine(smi);
  // -q -x fails; GPU 1's link 3 reads in a way not known here; GPU 0's error counters are
  // missing for link 17.
  fs::remove(dir.path() / "q.xml");
  smi.set("nvlink-status.txt", nvlink_status(0, 18) +
                                   "GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-1111)\n"
                                   "\t Link 0: 26.562 GB/s\n\t Link 3: <training>\n");
  std::string errors = "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0000)\n";
  for (int l = 0; l < 17; ++l) errors += fmt::format("\t Link {}: Replay Errors: 0\n", l);
  smi.set("nvlink-errors.txt", errors);
  const MachineHealth h = read_through_nvidia_smi(dir.path());
  ASSERT_EQ(h.gpus.size(), 2u);
  EXPECT_EQ(fact(h.gpus[0], "row_remap.pending"), "unknown: nvidia-smi -q -x: exit status 1");
  EXPECT_EQ(fact(h.gpus[1], "fabric.state"), "unknown: nvidia-smi -q -x: exit status 1");
  EXPECT_EQ(fact(h.gpus[0], "nvlink.active"), "18");
  EXPECT_EQ(fact(h.gpus[0], "nvlink.errors"),
            "unknown: nvidia-smi nvlink -e gave no counters for the active link 17");
  EXPECT_EQ(fact(h.gpus[1], "nvlink.active"),
            "unknown: nvidia-smi nvlink --status wrote 'Link 3: <training>'");
  EXPECT_EQ(fact(h.gpus[1], "nvlink.errors"), fact(h.gpus[1], "nvlink.active"));

  // A GPU the XML does not list, and NVLink commands that fail.
  smi.set("q.xml", smi_xml(smi_xml_gpu("00000000:17:00.0", remapped_rows(0, 0, "No", "No"), "0",
                                       "0", "0", "N/A", "N/A", "")));
  fs::remove(dir.path() / "nvlink-status.txt");
  const MachineHealth again = read_through_nvidia_smi(dir.path());
  ASSERT_EQ(again.gpus.size(), 2u);
  EXPECT_EQ(fact(again.gpus[0], "row_remap.pending"), "0");
  EXPECT_EQ(fact(again.gpus[1], "row_remap.pending"),
            "unknown: nvidia-smi -q -x did not list 00000000:3B:00.0");
  EXPECT_EQ(fact(again.gpus[0], "nvlink.active"),
            "unknown: nvidia-smi nvlink --status: exit status 1");
}

TEST(GpuHealthNvidiaSmi, ItsFactsAreJudgedLikeNvmls) {
  TempDir dir;
  const FakeNvidiaSmi smi(dir.path());
  set_sxm_machine(smi);
  ResultsDocument doc;
  doc.environment.gpu.no_device_reason = "no CUDA device";
  doc.environment.health = read_through_nvidia_smi(dir.path());
  const Spec spec = spec_of(
      "gpu.row_remap.pending,==,0,,fail,any,\n"
      "gpu.row_remap.uncorrected,<=,0,,fail,any,\n"
      "gpu.pcie.replay_count,<=,100,,fail,any,\n"
      "gpu.nvlink.active,==,18,,fail,any,\n"
      "gpu.nvlink.errors,<=,10,,fail,any,\n"
      "gpu.processes.other,==,0,,warn,any,\n"
      "gpu.retired_pages.count,<=,10,,fail,any,\n");
  const auto r = judge(spec, doc, "test.csv", "now");
  const std::map<std::string, Verdict> expected = {
      {"gpu0.row_remap.pending", Verdict::pass},     {"gpu1.row_remap.pending", Verdict::fail},
      {"gpu0.row_remap.uncorrected", Verdict::pass}, {"gpu1.row_remap.uncorrected", Verdict::fail},
      {"gpu0.pcie.replay_count", Verdict::pass},     {"gpu1.pcie.replay_count", Verdict::pass},
      {"gpu0.nvlink.active", Verdict::pass},         {"gpu1.nvlink.active", Verdict::fail},
      {"gpu0.nvlink.errors", Verdict::pass},         {"gpu1.nvlink.errors", Verdict::pass},
      {"gpu0.processes.other", Verdict::warn},       {"gpu1.processes.other", Verdict::pass},
      {"gpu0.retired_pages.count", Verdict::fail},
  };
  for (const auto& [metric, verdict] : expected) {
    EXPECT_EQ(verdict_of(r, metric).verdict, verdict)
        << metric << ": " << verdict_of(r, metric).reason;
  }
  EXPECT_EQ(verdict_of(r, "gpu0.retired_pages.count").reason, "unknown: nvidia-smi: N/A");
  EXPECT_FALSE(r.passed);
}

struct Case {
  std::string row;   // metric,comparator,bound
  std::string fact;  // the fact it reads ("host:" for a host fact)
  double good, bad;
};

const std::vector<Case> kCases = {
    {"gpu.ecc.enabled,==,1", "ecc.enabled", 1, 0},
    {"gpu.ecc.uncorrected_volatile,==,0", "ecc.uncorrected_volatile", 0, 1},
    {"gpu.ecc.uncorrected_aggregate,==,0", "ecc.uncorrected_aggregate", 0, 2},
    {"gpu.ecc.corrected_volatile,<=,100", "ecc.corrected_volatile", 3, 5000},
    {"gpu.retired_pages.pending,==,0", "retired_pages.pending", 0, 1},
    {"gpu.retired_pages.count,<=,10", "retired_pages.count", 2, 64},
    {"gpu.row_remap.pending,==,0", "row_remap.pending", 0, 1},
    {"gpu.row_remap.failed,==,0", "row_remap.failed", 0, 1},
    {"gpu.row_remap.uncorrected,<=,8", "row_remap.uncorrected", 1, 9},
    {"gpu.pcie.width,>=,16", "pcie.width", 16, 8},
    {"gpu.pcie.gen_max,>=,5", "pcie.gen_max", 5, 4},
    {"gpu.pcie.gen,>=,1", "pcie.gen", 1, 0},
    {"gpu.pcie.replay_count,<=,100", "pcie.replay_count", 0, 101},
    {"gpu.nvlink.active,==,18", "nvlink.active", 18, 17},
    {"gpu.nvlink.errors,<=,10", "nvlink.errors", 0, 11},
    {"gpu.persistence_mode,==,1", "persistence_mode", 1, 0},
    {"gpu.power.limit_percent_of_default,>=,100", "power.limit_percent_of_default", 100, 80},
    {"gpu.power.limit_w,>=,700", "power.limit_w", 700, 500},
    {"gpu.clocks.max_sm_mhz,>=,1980", "clocks.max_sm_mhz", 1980, 1755},
    {"gpu.clocks.throttling,==,0", "clocks.throttling", 0, 1},
    {"gpu.processes.other,==,0", "processes.other", 0, 2},
    {"gpu.xid.count,==,0", "xid.count", 0, 1},
    {"cpu.count,>=,96", "host:cpu.count", 96, 64},
    {"memory.gib,>=,1800", "host:memory.gib", 1843.5, 1007.7},
    {"numa.nodes,==,2", "host:numa.nodes", 2, 1},
};

ResultsDocument with_fact(const std::string& fact, HealthFact value) {
  ResultsDocument doc = health_document("NVIDIA H100 80GB HBM3", healthy_gpu_facts(18));
  if (fact.starts_with("host:")) {
    doc.environment.health->host[fact.substr(5)] = std::move(value);
  } else {
    doc.environment.health->gpus[0].facts[fact] = std::move(value);
  }
  return doc;
}

std::string judged_name(const Case& c) {
  const std::string metric = c.row.substr(0, c.row.find(','));
  return c.fact.starts_with("host:") ? metric : "gpu0." + c.fact;
}

TEST(HealthCriteria, EachPassesOnAHealthyFactAndFailsOnABadOne) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.row);
    const Spec spec = spec_of(c.row + ",,fail,any,\n");
    const auto good = judge(spec, with_fact(c.fact, HealthFact::of(c.good)), "test.csv", "now");
    EXPECT_EQ(verdict_of(good, judged_name(c)).verdict, Verdict::pass)
        << verdict_of(good, judged_name(c)).reason;
    const auto bad = judge(spec, with_fact(c.fact, HealthFact::of(c.bad)), "test.csv", "now");
    const auto& v = verdict_of(bad, judged_name(c));
    EXPECT_EQ(v.verdict, Verdict::fail);
    ASSERT_TRUE(v.measured);
    EXPECT_EQ(*v.measured, c.bad);
    EXPECT_FALSE(bad.passed);
  }
}

TEST(HealthCriteria, AnUnknownFactNeverPasses) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.row);
    const ResultsDocument doc = with_fact(c.fact, HealthFact::unknown_because("permission"));
    const auto failed = judge(spec_of(c.row + ",,fail,any,\n"), doc, "test.csv", "now");
    const auto& v = verdict_of(failed, judged_name(c));
    EXPECT_EQ(v.verdict, Verdict::fail);
    EXPECT_EQ(v.reason, "unknown: permission");
    EXPECT_FALSE(v.measured);
    // A warn row warns, loudly, rather than passing.
    const auto warned = judge(spec_of(c.row + ",,warn,any,\n"), doc, "test.csv", "now");
    EXPECT_EQ(verdict_of(warned, judged_name(c)).verdict, Verdict::warn);
  }
}

TEST(HealthCriteria, ResultsWithoutHealthFactsFailAsNotRecorded) {
  ResultsDocument doc = health_document("NVIDIA H100 80GB HBM3", healthy_gpu_facts(18));
  doc.environment.health.reset();
  GpuDevice cuda;
  cuda.name = "NVIDIA H100 80GB HBM3";
  doc.environment.gpu.devices.push_back(cuda);
  const auto r = judge(spec_of("gpu.xid.count,==,0,,fail,NVIDIA H100*,\nnuma.nodes,==,2,,fail,"
                               "any,\n"),
                       doc, "test.csv", "now");
  EXPECT_EQ(verdict_of(r, "gpu0.xid.count").verdict, Verdict::fail);
  EXPECT_NE(verdict_of(r, "gpu0.xid.count").reason.find("unknown: not recorded"),
            std::string::npos);
  EXPECT_EQ(verdict_of(r, "numa.nodes").verdict, Verdict::fail);
}

TEST(HealthCriteria, AGpuCudaSeesThatNvmlCouldNotReadFails) {
  ResultsDocument doc = health_document("NVIDIA H100 80GB HBM3", {});
  doc.environment.health->gpus.clear();
  doc.environment.health->gpu_source = "";
  doc.environment.health->gpu_unknown = "NVML: cannot load; nvidia-smi: cannot start";
  GpuDevice cuda;
  cuda.name = "NVIDIA H100 80GB HBM3";
  doc.environment.gpu.devices.push_back(cuda);
  const auto r = judge(spec_of("gpu.nvlink.active,==,18,,fail,NVIDIA H100 80GB HBM3,\n"), doc,
                       "test.csv", "now");
  const auto& v = verdict_of(r, "gpu0.nvlink.active");
  EXPECT_EQ(v.verdict, Verdict::fail);
  EXPECT_EQ(v.reason, "unknown: NVML: cannot load; nvidia-smi: cannot start");
}

// Seven GPUs CUDA sees, and an eighth NVML lists but cannot open (fallen off the bus): it has no
// name to match the SKU's rows with, but it is judged with them, and fails, rather than the
// machine passing on the seven.
TEST(HealthCriteria, AGpuNvmlCannotOpenFailsTheRowsOfItsMachine) {
  ResultsDocument doc = health_document("NVIDIA H100 80GB HBM3", healthy_gpu_facts(18));
  doc.environment.health->gpus[0].cuda_visible = true;
  GpuDevice cuda;
  cuda.name = "NVIDIA H100 80GB HBM3";
  cuda.pci_bus_id = "00000000:17:00.0";
  doc.environment.gpu.devices.push_back(cuda);
  doc.environment.gpu.no_device_reason = "";
  GpuHealth lost;
  lost.index = lost.nvml_index = 1;
  lost.lost = true;
  for (const auto& info : kGpuHealthFacts) {
    lost.facts[std::string(info.name)] =
        HealthFact::unknown_because("the GPU is lost (fallen off the bus)");
  }
  doc.environment.health->gpus.push_back(lost);
  const auto r =
      judge(spec_of("gpu.xid.count,==,0,,fail,NVIDIA H100 80GB HBM3,\n"), doc, "test.csv", "now");
  EXPECT_EQ(verdict_of(r, "gpu0.xid.count").verdict, Verdict::pass);
  // Named by its NVML index, as nvidia-smi numbers it: CUDA's numbers are the GPUs it sees.
  const auto& v = verdict_of(r, "nvml1.xid.count");
  EXPECT_EQ(v.verdict, Verdict::fail);
  EXPECT_EQ(v.reason, "unknown: the GPU is lost (fallen off the bus)");
  EXPECT_FALSE(r.passed);
  // NVML's GPU 0 lost, and CUDA's gpu0 another GPU (NVML's 1): two GPUs, two names.
  ResultsDocument first_lost = doc;
  first_lost.environment.health->gpus[0].nvml_index = 1;
  first_lost.environment.health->gpus[1].index = first_lost.environment.health->gpus[1].nvml_index =
      0;
  const auto both =
      judge(spec_of("gpu.xid.count,==,0,,fail,NVIDIA H100 80GB HBM3,\n"), first_lost, "t", "now");
  EXPECT_EQ(verdict_of(both, "gpu0.xid.count").verdict, Verdict::pass);
  EXPECT_EQ(verdict_of(both, "nvml0.xid.count").verdict, Verdict::fail);
  // One this process may not open (a job confined to the other GPUs) is not judged.
  ResultsDocument confined = doc;
  confined.environment.health->gpus[1].lost = false;
  const auto other_job = judge(spec_of("gpu.xid.count,==,0,,fail,NVIDIA H100 80GB HBM3,\n"),
                               confined, "test.csv", "now");
  EXPECT_EQ(verdict_of(other_job, "gpu0.xid.count").verdict, Verdict::pass);
  EXPECT_TRUE(std::none_of(other_job.criteria.begin(), other_job.criteria.end(), [](const auto& c) {
    return c.metric == "nvml1.xid.count" || c.metric == "gpu1.xid.count";
  }));
  // A row for another SKU does not apply to it.
  const auto other =
      judge(spec_of("gpu.xid.count,==,0,,fail,NVIDIA A100*,\n"), doc, "t.csv", "now");
  EXPECT_TRUE(std::none_of(other.criteria.begin(), other.criteria.end(), [](const auto& c) {
    return c.metric == "nvml1.xid.count" || c.metric == "gpu1.xid.count";
  }));
}

TEST(HealthCriteria, TextFactsAndMisspelledFactsAreNotMetrics) {
  for (const auto& info : kGpuHealthFacts) {
    const std::string name = "gpu." + std::string(info.name);
    if (info.kind == FactKind::number) {
      EXPECT_EQ(parse_metric(name).health_fact, info.name);
    } else {
      EXPECT_THROW(parse_metric(name), InputError) << name;
    }
  }
  try {
    parse_metric("gpu.ecc.uncorected_volatile");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("gpu.ecc.uncorrected_volatile"), std::string::npos)
        << e.what();
  }
}

// Only the health rows of a shipped spec (the others need measurements).
std::vector<CriterionVerdict> health_verdicts(const std::string& file, const ResultsDocument& doc) {
  const AcceptanceResult r = judge(read_spec(kSpecs / file), doc, file, "now");
  std::vector<CriterionVerdict> out;
  for (const auto& v : r.criteria) {
    if (v.description.starts_with("health:")) out.push_back(v);
  }
  return out;
}

TEST(HealthCriteria, NvlinkIsDemandedOfSxmGpusOnly) {
  for (const int links : {0, 18}) {
    SCOPED_TRACE(links);
    const HealthFacts facts = healthy_gpu_facts(links);
    const auto pcie = health_verdicts("h100-pcie.csv", health_document("NVIDIA H100 PCIe", facts));
    ASSERT_FALSE(pcie.empty());
    for (const auto& v : pcie) {
      EXPECT_NE(v.metric, "gpu0.nvlink.active");
      EXPECT_EQ(v.verdict, Verdict::pass) << v.metric << ": " << v.reason;
    }
    const auto sxm =
        health_verdicts("h100-sxm.csv", health_document("NVIDIA H100 80GB HBM3", facts));
    const auto it = std::find_if(sxm.begin(), sxm.end(), [](const CriterionVerdict& v) {
      return v.metric == "gpu0.nvlink.active";
    });
    ASSERT_NE(it, sxm.end());
    EXPECT_EQ(it->verdict, links == 18 ? Verdict::pass : Verdict::fail);
    EXPECT_EQ(*it->bound, 18);
  }
}

TEST(HealthCriteria, AHealthyMachinePassesEveryShippedSpecsHealthRows) {
  const std::vector<std::tuple<std::string, std::string, int>> skus = {
      {"h100-sxm.csv", "NVIDIA H100 80GB HBM3", 18},
      {"h200.csv", "NVIDIA H200", 18},
      {"b200.csv", "NVIDIA B200", 18},
      {"a100-sxm.csv", "NVIDIA A100-SXM4-80GB", 12},
      {"h100-pcie.csv", "NVIDIA H100 PCIe", 0},
      {"h100-nvl.csv", "NVIDIA H100 NVL", 0},
      {"h200-nvl.csv", "NVIDIA H200 NVL", 0},
      {"a100-pcie.csv", "NVIDIA A100 80GB PCIe", 0},
      {"l40s.csv", "NVIDIA L40S", 0},
      {"l4.csv", "NVIDIA L4", 0},
      {"a10.csv", "NVIDIA A10", 0},
      {"t4.csv", "Tesla T4", 0}};
  for (const auto& [file, name, links] : skus) {
    SCOPED_TRACE(file);
    const auto verdicts = health_verdicts(file, health_document(name, healthy_gpu_facts(links)));
    EXPECT_GE(verdicts.size(), 3u);
    for (const auto& v : verdicts) {
      EXPECT_EQ(v.verdict, Verdict::pass) << v.metric << ": " << v.reason;
    }
  }
}

// A T4 at x8, which NVIDIA supports, is a warning; at x4 it fails. Every other SKU needs x16.
TEST(HealthCriteria, AT4AtX8WarnsWhereOtherGpusFail) {
  const auto width_verdicts = [](const std::string& file, const std::string& name, int lanes) {
    HealthFacts facts = healthy_gpu_facts(0);
    facts["pcie.width"] = HealthFact::of(lanes);
    std::vector<Verdict> out;
    for (const auto& v : health_verdicts(file, health_document(name, facts))) {
      if (v.metric.ends_with("pcie.width")) out.push_back(v.verdict);
    }
    return out;
  };
  using Verdicts = std::vector<Verdict>;
  EXPECT_EQ(width_verdicts("t4.csv", "Tesla T4", 8), (Verdicts{Verdict::pass, Verdict::warn}));
  EXPECT_EQ(width_verdicts("t4.csv", "Tesla T4", 4), (Verdicts{Verdict::fail, Verdict::warn}));
  EXPECT_EQ(width_verdicts("l4.csv", "NVIDIA L4", 8), (Verdicts{Verdict::fail}));
}

// ---- results.json -----------------------------------------------------------------------------

TEST(HealthRecord, RoundTripsThroughResultsJson) {
  ResultsDocument doc = health_document("NVIDIA H100 80GB HBM3", healthy_gpu_facts(18));
  doc.run.started_utc = "2026-11-30T12:00:00Z";
  auto& g = doc.environment.health->gpus[0];
  g.index = 3;
  g.nvml_index = 1;
  g.cuda_visible = true;
  g.pci_device_id = "10de:2330";
  g.facts["xid.count"] = HealthFact::unknown_because("permission (reading /dev/kmsg)");
  g.facts["vbios"] = HealthFact::of_text("96.00.74.00.01");
  doc.environment.health->host["numa.nodes"] = HealthFact::unknown_because("no node");
  const std::string text = JsonPrinter().print(doc);
  EXPECT_NE(text.find("\"xid.count\": \"unknown: permission (reading /dev/kmsg)\""),
            std::string::npos);
  EXPECT_NE(text.find("\"memory.gib\": 1843.5"), std::string::npos);
  const ResultsDocument back = parse_results(text, "results.json");
  ASSERT_TRUE(back.environment.health);
  EXPECT_EQ(*back.environment.health, *doc.environment.health);
  EXPECT_EQ(JsonPrinter().print(back), text);

  // A file from before health facts reads without them.
  ResultsDocument old = doc;
  old.environment.health.reset();
  std::string old_text = JsonPrinter().print(old);
  EXPECT_EQ(old_text.find("\"health\""), old_text.find("\"health\": null"));
  EXPECT_FALSE(parse_results(old_text, "old.json").environment.health);
}

// ---- memory errors during a memory test (memtest) ---------------------------------------------

// An H200's memory-error facts with ECC on: volatile and aggregate ECC counts, row remapping,
// and retired pages, which it does not have.
HealthFacts h200_memory_facts(double corrected, double aggregate) {
  return {{"ecc.enabled", HealthFact::of(1)},
          {"ecc.corrected_volatile", HealthFact::of(corrected)},
          {"ecc.uncorrected_volatile", HealthFact::of(0)},
          {"ecc.corrected_aggregate", HealthFact::of(aggregate)},
          {"ecc.uncorrected_aggregate", HealthFact::of(0)},
          {"retired_pages.count", HealthFact::unknown_because("not supported")},
          {"retired_pages.pending", HealthFact::unknown_because("not supported")},
          {"row_remap.corrected", HealthFact::of(0)},
          {"row_remap.uncorrected", HealthFact::of(0)},
          {"row_remap.pending", HealthFact::of(0)},
          {"row_remap.failed", HealthFact::of(0)},
          {"pcie.replay_count", HealthFact::of(0)}};
}

// A burn fails a GPU on what rose while it burned: memory-error counts, and XIDs with the last.
TEST(MemoryErrorRises, ABurnNamesTheCountsAndTheXidsThatRose) {
  HealthFacts before = h200_memory_facts(2, 10);
  before["xid.count"] = HealthFact::of(0);
  before["xid.last"] = HealthFact::of_text("none");
  HealthFacts after = h200_memory_facts(3, 10);
  after["xid.count"] = HealthFact::of(1);
  after["xid.last"] = HealthFact::of_text("NVRM: Xid (PCI:0000:17:00): 48, pid=7, DBE");
  EXPECT_EQ(error_rises(before, after),
            (std::vector<std::string>{
                "ecc.corrected_volatile rose from 2 to 3",
                "xid.count rose from 0 to 1 (last: NVRM: Xid (PCI:0000:17:00): 48, pid=7, DBE)"}));
  EXPECT_TRUE(error_rises(before, before).empty());
  // An XID count that could not be read after is no rise (and no error either).
  after["xid.count"] = HealthFact::unknown_because("no kernel log");
  EXPECT_EQ(error_rises(before, after).size(), 1u);
}

TEST(MemoryErrorRises, EveryCountThatRoseWithBeforeAndAfter) {
  const HealthFacts before = h200_memory_facts(2, 10);
  HealthFacts after = h200_memory_facts(5, 10);
  after["row_remap.pending"] = HealthFact::of(1);
  after["ecc.uncorrected_volatile"] = HealthFact::of(0);  // the same: no rise
  after["pcie.replay_count"] = HealthFact::of(9);         // not a memory error
  EXPECT_EQ(memory_error_rises(before, after),
            (std::vector<FactRise>{{"ecc.corrected_volatile", 2, 5}, {"row_remap.pending", 0, 1}}));
  EXPECT_EQ(ecc_counts_not_compared(before, after), "");
  EXPECT_TRUE(memory_error_rises(before, before).empty());
  // A count that fell (a driver reload between the readings) is not an error.
  EXPECT_TRUE(memory_error_rises(after, before).empty());
  // Every fact of the list is compared.
  for (const std::string_view fact : kMemoryErrorFacts) {
    HealthFacts b = h200_memory_facts(0, 0), a = b;
    b[std::string(fact)] = HealthFact::of(0);
    a[std::string(fact)] = HealthFact::of(1);
    EXPECT_EQ(memory_error_rises(b, a), (std::vector<FactRise>{{std::string(fact), 0, 1}})) << fact;
  }
}

// The aggregate counts are updated lazily by the driver: they are not compared.
TEST(MemoryErrorRises, AggregateEccCountsAreIgnored) {
  HealthFacts after = h200_memory_facts(2, 10);
  after["ecc.uncorrected_aggregate"] = HealthFact::of(4);
  after["ecc.corrected_aggregate"] = HealthFact::of(50);
  EXPECT_TRUE(memory_error_rises(h200_memory_facts(2, 10), after).empty());
}

// With ECC on, or not known to be off, a volatile count unread before or after is a reason: the
// test could not see the errors ECC corrected.
TEST(MemoryErrorRises, UnknownEccCountsWithEccOnSayWhy) {
  HealthFacts after = h200_memory_facts(2, 10);
  after["ecc.corrected_volatile"] = HealthFact::unknown_because("GPU is lost");
  EXPECT_EQ(ecc_counts_not_compared(h200_memory_facts(2, 10), after),
            "ECC counts could not be compared: ecc.corrected_volatile after the test: GPU is lost");
  EXPECT_TRUE(memory_error_rises(h200_memory_facts(2, 10), after).empty());

  HealthFacts before = h200_memory_facts(2, 10);
  before.erase("ecc.uncorrected_volatile");
  EXPECT_EQ(ecc_counts_not_compared(before, h200_memory_facts(2, 10)),
            "ECC counts could not be compared: ecc.uncorrected_volatile before the test: not "
            "recorded");

  // ECC mode unknown on both sides: the counts should have been there.
  HealthFacts unknown = h200_memory_facts(2, 10);
  unknown["ecc.enabled"] = HealthFact::unknown_because("permission");
  unknown["ecc.corrected_volatile"] = HealthFact::unknown_because("permission");
  EXPECT_EQ(ecc_counts_not_compared(unknown, unknown),
            "ECC counts could not be compared: ecc.corrected_volatile before the test: permission");

  // A GPU the health facts do not list: every fact unknown, with why.
  MachineHealth health;
  health.gpus.push_back({.index = 1, .cuda_visible = true, .facts = h200_memory_facts(0, 0)});
  health.gpus.push_back({.index = 0, .cuda_visible = false, .facts = h200_memory_facts(0, 0)});
  EXPECT_EQ(cuda_gpu_facts(health, 1), h200_memory_facts(0, 0));
  const HealthFacts missing = cuda_gpu_facts(health, 0);  // NVML's gpu0 is not CUDA's
  EXPECT_EQ(missing.size(), kGpuHealthFacts.size());
  EXPECT_EQ(ecc_counts_not_compared(missing, missing),
            "ECC counts could not be compared: ecc.corrected_volatile before the test: neither "
            "NVML nor nvidia-smi lists CUDA's gpu0");
  health.gpu_unknown = "NVML: not found; nvidia-smi: cannot start";
  EXPECT_EQ(cuda_gpu_facts(health, 0).at("ecc.uncorrected_volatile").unknown,
            "NVML: not found; nvidia-smi: cannot start");
}

// A fact the GPU does not have (retired pages after Ampere, row remapping before it) is skipped
// when unknown, and so is every ECC count where ECC is off.
TEST(MemoryErrorRises, FactsTheGpuLacksAndEccOffAreSkipped) {
  HealthFacts pre_ampere = h200_memory_facts(0, 0);
  for (const char* fact :
       {"row_remap.corrected", "row_remap.uncorrected", "row_remap.pending", "row_remap.failed"}) {
    pre_ampere[fact] = HealthFact::unknown_because("not supported");
  }
  pre_ampere["retired_pages.count"] = HealthFact::of(0);
  pre_ampere["retired_pages.pending"] = HealthFact::of(0);
  HealthFacts after = pre_ampere;
  after["retired_pages.count"] = HealthFact::of(2);
  EXPECT_EQ(memory_error_rises(pre_ampere, after),
            (std::vector<FactRise>{{"retired_pages.count", 0, 2}}));
  EXPECT_EQ(ecc_counts_not_compared(pre_ampere, after), "");

  HealthFacts ecc_off = h200_memory_facts(0, 0);
  ecc_off["ecc.enabled"] = HealthFact::of(0);
  ecc_off["ecc.corrected_volatile"] = HealthFact::unknown_because("not supported");
  ecc_off["ecc.uncorrected_volatile"] = HealthFact::unknown_because("not supported");
  EXPECT_EQ(ecc_counts_not_compared(ecc_off, ecc_off), "");
  EXPECT_TRUE(memory_error_rises(ecc_off, ecc_off).empty());
  // The mode read before decides; after, the GPU may not answer.
  HealthFacts lost = ecc_off;
  lost["ecc.enabled"] = HealthFact::unknown_because("GPU is lost");
  EXPECT_EQ(ecc_counts_not_compared(ecc_off, lost), "");
}

// ---- the command line -------------------------------------------------------------------------

TEST(HealthCli, InfoAndRunRecordNvmlOnlyGpusAndTheKernelLog) {
  TempDir dir;
  const FakeNvml nvml(dir.path(), kHealthyH100);
  const fs::path log = dir.path() / "kmsg.txt";
  std::ofstream(log) << kKernelLog;
  const ScopedEnv kernel_log(kKernelLogEnv, log.string());

  const auto info = run_flopbench({"info"}, dir.path() / "info");
  ASSERT_EQ(info.status, 0) << info.err;
  for (const std::string& expected : std::vector<std::string>{
           "== Health ==", "gpu facts:       from nvml", "kernel log:      " + log.string(),
           "gpu0:       NVIDIA H100 80GB HBM3, PCI 00000000:17:00.0 (10de:2330)",
           "  xid.count:                      2", "  nvlink.active:                  18",
           "  retired_pages.pending:          unknown: not supported"}) {
    EXPECT_NE(info.out.find(expected), std::string::npos) << expected << "\n" << info.out;
  }
  if (!FLOPBENCH_HAVE_CUDA) {
    EXPECT_NE(info.out.find("; NVML index 0, CUDA does not see it"), std::string::npos);
    EXPECT_NE(info.out.find("no CUDA device: "), std::string::npos);
  }

  const fs::path out = dir.path() / "run";
  const auto run = run_flopbench(
      {"run", "--workloads", "dot", "--implementations", "omp", "--precision", "fp32", "--sizes",
       "1024", "--profile", "quick", "--threads", "1", "--out", out.string()},
      dir.path() / "run-capture");
  ASSERT_EQ(run.status, 0) << run.err;
  if (!FLOPBENCH_HAVE_CUDA) {
    EXPECT_NE(run.out.find("gpu0 (health facts only: CUDA does not see it): NVIDIA H100 80GB "
                           "HBM3, PCI 00000000:17:00.0"),
              std::string::npos)
        << run.out;
  }
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_TRUE(doc.environment.health);
  ASSERT_EQ(doc.environment.health->gpus.size(), 1u);
  EXPECT_EQ(fact(doc.environment.health->gpus[0], "xid.count"), "2");
  EXPECT_EQ(fact(doc.environment.health->gpus[0], "ecc.uncorrected_volatile"), "0");
  EXPECT_TRUE(doc.environment.health->host.at("cpu.count").number);

  // Judged: the XIDs fail the H100 SXM spec, with the GPU's name in the verdict.
  const auto check = run_flopbench({"check", "--spec", (kSpecs / "h100-sxm.csv").string(),
                                    "--results", (out / "results.json").string()},
                                   dir.path() / "check-capture");
  EXPECT_EQ(check.status, 1) << check.out << check.err;
  EXPECT_NE(check.out.find("gpu0.xid.count"), std::string::npos) << check.out;
}

// A burn of the GPUs on a machine whose driver lists a GPU that CUDA does not see burns no CPU
// in its place, which would pass its GPU burn-in: it fails, writing nothing; --cpu burns the CPU.
TEST(HealthCli, ABurnOfGpusThatCudaDoesNotSeeFails) {
  TempDir dir;
  const FakeNvml nvml(dir.path(), kHealthyH100);
  const fs::path out = dir.path() / "burn";
  const auto burn = run_flopbench({"burn", "--duration", "1s", "--out", out.string()},
                                  dir.path() / "burn-capture");
  if (burn.out.find("burning gpu") != std::string::npos) GTEST_SKIP() << "CUDA sees a GPU here";
  // A build without CUDA could not burn them: it is refused as such (exit 2), not a failure.
  EXPECT_EQ(burn.status, FLOPBENCH_HAVE_CUDA ? 1 : 2) << burn.out << burn.err;
  EXPECT_NE(burn.err.find(FLOPBENCH_HAVE_CUDA
                              ? "flopbench: error: burn: 1 NVIDIA GPU listed on this machine (the "
                                "PCI bus or the driver), and CUDA sees none ("
                              : "flopbench: error: burn: this machine lists 1 NVIDIA GPU, and this "
                                "build of flopbench has no CUDA support: a CUDA build burns them "
                                "in; "),
            std::string::npos)
      << burn.err;
  EXPECT_NE(burn.err.find("--cpu burns the CPU alone"), std::string::npos);
  EXPECT_FALSE(fs::exists(out));
  // GPUs hidden on purpose (CUDA_VISIBLE_DEVICES naming none, a container given none): the CPU
  // burns in their place, long enough for two iterations to be compared on a loaded machine (a
  // one-iteration burn is UNCHECKED, exit 1).
  for (const auto& [variable, value] :
       {std::pair{"CUDA_VISIBLE_DEVICES", ""}, std::pair{"NVIDIA_VISIBLE_DEVICES", "void"}}) {
    const ScopedEnv hidden(variable, value);
    const auto cpu_alone =
        run_flopbench({"burn", "--duration", "3s", "--size", "64", "--out",
                       (dir.path() / ("hidden-" + std::string(variable))).string()},
                      dir.path() / "hidden-capture");
    EXPECT_EQ(cpu_alone.status, 0) << cpu_alone.out << cpu_alone.err;
    EXPECT_NE(cpu_alone.out.find("burning the CPU"), std::string::npos) << cpu_alone.out;
  }
  const auto cpu =
      run_flopbench({"burn", "--cpu", "--duration", "3s", "--size", "256", "--out", out.string()},
                    dir.path() / "cpu-capture");
  EXPECT_EQ(cpu.status, 0) << cpu.out << cpu.err;
  EXPECT_TRUE(fs::exists(out / "results.json"));
}

TEST(HealthCli, InfoShowsTheFactsOfNvidiaSmiWhereNvmlDoesNotLoad) {
  TempDir dir;
  const FakeNvml nvml(dir.path(), "init error:9\n");
  const FakeNvidiaSmi smi(dir.path());
  set_sxm_machine(smi);
  const auto info = run_flopbench({"info"}, dir.path() / "info");
  ASSERT_EQ(info.status, 0) << info.err;
  for (const std::string& expected :
       {std::string("gpu facts:       from nvidia-smi"),
        fmt::format("  {:<32}{}", "fabric.state:", "completed"),
        fmt::format("  {:<32}{}", "nvlink.active:", "17"),
        fmt::format("  {:<32}{}", "row_remap.pending:", "1"),
        fmt::format("  {:<32}{}", "retired_pages.count:", "unknown: nvidia-smi: N/A")}) {
    EXPECT_NE(info.out.find(expected), std::string::npos) << expected << "\n" << info.out;
  }
}

// `check --spec auto` where NVML names a GPU that CUDA does not see (here: a build without CUDA):
// the GPU's spec, whose GPU criteria fail as not measured, not the CPU machine's, which would
// pass.
TEST(HealthCli, CheckAutoChoosesTheSpecOfTheGpuNvmlNames) {
  if (FLOPBENCH_HAVE_CUDA) GTEST_SKIP() << "CUDA may see a GPU here; this is the CPU-only build's";
  TempDir dir;
  std::string h200 = kHealthyH100;
  h200.replace(h200.find("NVIDIA H100 80GB HBM3"), std::string("NVIDIA H100 80GB HBM3").size(),
               "NVIDIA H200");
  const FakeNvml nvml(dir.path(), h200);
  const fs::path log = dir.path() / "kmsg.txt";
  std::ofstream(log) << "";
  const ScopedEnv kernel_log(kKernelLogEnv, log.string());
  const ScopedEnv specs("FLOPBENCH_SPEC_DIR", kSpecs.string());
  const fs::path out = dir.path() / "check";
  const auto check = run_flopbench(
      {"check", "--spec", "auto", "--profile", "quick", "--threads", "1", "--out", out.string()},
      dir.path() / "check-capture");
  EXPECT_EQ(check.status, 1) << check.out << check.err;
  EXPECT_NE(check.out.find("spec: auto -> " + (kSpecs / "h200.csv").string() +
                           " (for GPU 'NVIDIA H200' named by NVML; CUDA sees no GPU: "),
            std::string::npos)
      << check.out;
  EXPECT_EQ(check.out.find("cpu-only.csv"), std::string::npos) << check.out;
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_TRUE(doc.acceptance);
  EXPECT_FALSE(doc.acceptance->passed);
  const auto count =
      std::find_if(doc.acceptance->criteria.begin(), doc.acceptance->criteria.end(),
                   [](const CriterionVerdict& v) { return v.metric == "gpu.count"; });
  ASSERT_NE(count, doc.acceptance->criteria.end());
  EXPECT_EQ(count->verdict, Verdict::fail);
  EXPECT_NE(count->reason.find("though NVML lists gpu0 NVIDIA H200"), std::string::npos)
      << count->reason;
}

}  // namespace
}  // namespace flopbench
