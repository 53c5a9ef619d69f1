// Health facts through NVML, loaded with dlopen from nvml_library() (telemetry.hpp). Each entry
// point is looked up by name when it is called, so a driver that lacks one leaves only its facts
// unknown. Signatures as nvml.h declares them: nvmlReturn_t and the enums are ints,
// nvmlDevice_t an opaque pointer, the structs those of nvml_types.hpp.

#include <dlfcn.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "harness/machine/gpu_health.hpp"
#include "harness/machine/nvml_types.hpp"
#include "harness/machine/telemetry.hpp"

namespace flopbench {
namespace {

using Device = struct NvmlHealthDevice*;

using nvml::kGpuIsLost;
using nvml::kInsufficientSize;
using nvml::kNoPermission;
using nvml::kNotSupported;
using nvml::kSuccess;
constexpr int kMissing = -1;  // the entry point is not in this library

std::string why(int rc, const char* function) {
  switch (rc) {
    case kMissing:
      return fmt::format("this driver's NVML has no {}", function);
    case kNotSupported:
      return "not supported";
    case kNoPermission:
      return "permission";
    case kGpuIsLost:
      return "the GPU is lost (fallen off the bus)";
    default:
      return fmt::format("{} failed with NVML error {}", function, rc);
  }
}

class Nvml {
 public:
  explicit Nvml(void* library) : library_(library) {}

  template <class... Args>
  int call(const char* function, Args... args) const {
    void* f = ::dlsym(library_, function);
    if (f == nullptr) return kMissing;
    return reinterpret_cast<int (*)(Args...)>(f)(args...);
  }

  HealthFact number(double value, int rc, const char* function) const {
    return rc == kSuccess ? HealthFact::of(value) : HealthFact::unknown_because(why(rc, function));
  }

  // A text an entry point writes into a buffer: f(device, buffer, size), or f(buffer, size).
  template <class... Args>
  HealthFact text(const char* function, Args... args) const {
    std::array<char, 128> buffer{};
    const int rc = call(function, args..., buffer.data(), unsigned(buffer.size() - 1));
    return rc == kSuccess ? HealthFact::of_text(buffer.data())
                          : HealthFact::unknown_because(why(rc, function));
  }

 private:
  void* library_;
};

void read_counters(const Nvml& nvml, Device d, HealthFacts& f) {
  unsigned u = 0;
  unsigned long long ull = 0;
  int a = 0, b = 0;
  int rc = nvml.call("nvmlDeviceGetPersistenceMode", d, &a);
  f["persistence_mode"] = nvml.number(a, rc, "nvmlDeviceGetPersistenceMode");
  rc = nvml.call("nvmlDeviceGetEccMode", d, &a, &b);
  f["ecc.enabled"] = nvml.number(a, rc, "nvmlDeviceGetEccMode");
  // error type: corrected 0, uncorrected 1; counter: volatile 0, aggregate 1.
  const std::array<std::pair<const char*, std::array<int, 2>>, 4> ecc = {{
      {"ecc.corrected_volatile", {0, 0}},
      {"ecc.uncorrected_volatile", {1, 0}},
      {"ecc.corrected_aggregate", {0, 1}},
      {"ecc.uncorrected_aggregate", {1, 1}},
  }};
  for (const auto& [name, kind] : ecc) {
    ull = 0;
    rc = nvml.call("nvmlDeviceGetTotalEccErrors", d, kind[0], kind[1], &ull);
    f[name] = nvml.number(double(ull), rc, "nvmlDeviceGetTotalEccErrors");
  }
  // Page retirement (before Ampere): pages retired for multiple single-bit (0) and double-bit
  // (1) errors. A zero-sized query answers the count, as success or "insufficient size".
  double pages = 0;
  HealthFact retired = HealthFact::of(0);
  for (int cause : {0, 1}) {
    unsigned count = 0;
    rc = nvml.call("nvmlDeviceGetRetiredPages", d, cause, &count,
                   static_cast<unsigned long long*>(nullptr));
    if (rc != kSuccess && rc != kInsufficientSize) {
      retired = HealthFact::unknown_because(why(rc, "nvmlDeviceGetRetiredPages"));
      break;
    }
    pages += count;
  }
  if (retired.known()) retired = HealthFact::of(pages);
  f["retired_pages.count"] = retired;
  rc = nvml.call("nvmlDeviceGetRetiredPagesPendingStatus", d, &a);
  f["retired_pages.pending"] = nvml.number(a, rc, "nvmlDeviceGetRetiredPagesPendingStatus");
  unsigned corrected = 0, uncorrected = 0, pending = 0, failed = 0;
  rc = nvml.call("nvmlDeviceGetRemappedRows", d, &corrected, &uncorrected, &pending, &failed);
  f["row_remap.corrected"] = nvml.number(corrected, rc, "nvmlDeviceGetRemappedRows");
  f["row_remap.uncorrected"] = nvml.number(uncorrected, rc, "nvmlDeviceGetRemappedRows");
  f["row_remap.pending"] = nvml.number(pending, rc, "nvmlDeviceGetRemappedRows");
  f["row_remap.failed"] = nvml.number(failed, rc, "nvmlDeviceGetRemappedRows");

  for (const auto& [name, function] : std::array<std::pair<const char*, const char*>, 5>{{
           {"pcie.gen", "nvmlDeviceGetCurrPcieLinkGeneration"},
           {"pcie.gen_max", "nvmlDeviceGetMaxPcieLinkGeneration"},
           {"pcie.width", "nvmlDeviceGetCurrPcieLinkWidth"},
           {"pcie.width_max", "nvmlDeviceGetMaxPcieLinkWidth"},
           {"pcie.replay_count", "nvmlDeviceGetPcieReplayCounter"},
       }}) {
    u = 0;
    rc = nvml.call(function, d, &u);
    f[name] = nvml.number(u, rc, function);
  }
}

void read_nvlink(const Nvml& nvml, Device d, HealthFacts& f) {
  unsigned active = 0;
  double errors = 0;
  std::string errors_unknown;
  // Every link index up to the most NVML knows. nvml.h documents NVML_ERROR_INVALID_ARGUMENT for
  // "device or link is invalid" and NVML_ERROR_NOT_SUPPORTED for "the device doesn't support this
  // feature" (a GPU without NVLink answers it for every link); it says nothing of a GPU's links
  // being numbered without gaps, so neither answer ends the walk: that index has no link.
  for (unsigned link = 0; link < nvml::kMaxNvLinks; ++link) {
    int state = 0;  // nvmlEnableState_t
    const int rc = nvml.call("nvmlDeviceGetNvLinkState", d, link, &state);
    if (rc == nvml::kInvalidArgument || rc == kNotSupported) continue;
    if (rc != kSuccess) {
      f["nvlink.active"] = HealthFact::unknown_because(why(rc, "nvmlDeviceGetNvLinkState"));
      f["nvlink.errors"] = f["nvlink.active"];
      return;
    }
    if (state != nvml::kFeatureEnabled) continue;
    ++active;
    // DL replay, DL recovery, DL CRC flit, DL CRC data (nvmlNvLinkErrorCounter_t 0-3). A GPU
    // may lack one (Hopper is reported to have no DL CRC data counter): the link's errors are
    // those it has, and unknown only when it has none or one fails otherwise.
    int counted = 0;
    for (int counter = 0; counter < 4 && errors_unknown.empty(); ++counter) {
      unsigned long long value = 0;
      const int crc = nvml.call("nvmlDeviceGetNvLinkErrorCounter", d, link, counter, &value);
      if (crc == kNotSupported) continue;
      if (crc != kSuccess) {
        errors_unknown = why(crc, "nvmlDeviceGetNvLinkErrorCounter");
      }
      errors += double(value);
      ++counted;
    }
    if (counted == 0 && errors_unknown.empty()) {
      errors_unknown = fmt::format("NVLink {} has no error counter NVML reads", link);
    }
  }
  f["nvlink.active"] = HealthFact::of(active);
  f["nvlink.errors"] =
      errors_unknown.empty() ? HealthFact::of(errors) : HealthFact::unknown_because(errors_unknown);
}

// The NVLink fabric a GPU registers with (NVSwitch systems); "none" for a GPU outside one.
void read_fabric(const Nvml& nvml, Device d, HealthFacts& f) {
  nvml::FabricInfo fabric{};
  const int rc = nvml.call("nvmlDeviceGetGpuFabricInfo", d, &fabric);
  if (rc == kNotSupported) {
    f["fabric.state"] = HealthFact::of_text("none");  // a GPU outside an NVLink fabric
  } else if (rc != kSuccess) {
    f["fabric.state"] = HealthFact::unknown_because(why(rc, "nvmlDeviceGetGpuFabricInfo"));
  } else {
    // State 0 is NVML's "not supported": a GPU outside a fabric, "none" as nvidia-smi's N/A reads.
    constexpr std::array<const char*, 4> kStates = {"none", "not started", "in progress",
                                                    "completed"};
    std::string state = fabric.state < kStates.size() ? kStates[fabric.state]
                                                      : fmt::format("state {}", fabric.state);
    if (fabric.state == nvml::kFabricStateCompleted && fabric.status != kSuccess) {
      state += fmt::format(" with NVML error {}", fabric.status);
    }
    f["fabric.state"] = HealthFact::of_text(state);
  }
}

void read_power_and_clocks(const Nvml& nvml, Device d, HealthFacts& f) {
  unsigned limit = 0, default_limit = 0, u = 0;
  const int rc_limit = nvml.call("nvmlDeviceGetEnforcedPowerLimit", d, &limit);
  const int rc_default = nvml.call("nvmlDeviceGetPowerManagementDefaultLimit", d, &default_limit);
  f["power.limit_w"] = nvml.number(limit / 1000.0, rc_limit, "nvmlDeviceGetEnforcedPowerLimit");
  f["power.default_limit_w"] =
      nvml.number(default_limit / 1000.0, rc_default, "nvmlDeviceGetPowerManagementDefaultLimit");
  derive_power_limit_percent(f);
  for (const auto& [name, function, type] :
       std::array<std::tuple<const char*, const char*, int>, 4>{{
           {"clocks.applications_sm_mhz", "nvmlDeviceGetApplicationsClock", nvml::kClockSm},
           {"clocks.applications_memory_mhz", "nvmlDeviceGetApplicationsClock", nvml::kClockMem},
           {"clocks.max_sm_mhz", "nvmlDeviceGetMaxClockInfo", nvml::kClockSm},
           {"clocks.max_memory_mhz", "nvmlDeviceGetMaxClockInfo", nvml::kClockMem},
       }}) {
    u = 0;
    const int rc = nvml.call(function, d, type, &u);
    f[name] = nvml.number(u, rc, function);
  }
  unsigned long long mask = 0;
  const char* reasons = "nvmlDeviceGetCurrentClocksEventReasons";
  int rc = nvml.call(reasons, d, &mask);
  if (rc == kMissing) {  // drivers before R535
    reasons = "nvmlDeviceGetCurrentClocksThrottleReasons";
    rc = nvml.call(reasons, d, &mask);
  }
  if (rc != kSuccess) {
    f["clocks.event_reasons"] = HealthFact::unknown_because(why(rc, reasons));
    f["clocks.throttling"] = f["clocks.event_reasons"];
  } else {
    set_clock_event_facts(f, mask);
  }
}

// Compute processes on the GPU other than this one.
HealthFact other_processes(const Nvml& nvml, Device d) {
  const char* function = "nvmlDeviceGetComputeRunningProcesses_v3";
  std::vector<nvml::ProcessInfo> infos(64);
  for (int attempt = 0; attempt < 3; ++attempt) {
    unsigned count = static_cast<unsigned>(infos.size());
    int rc = nvml.call(function, d, &count, infos.data());
    if (rc == kMissing) {
      function = "nvmlDeviceGetComputeRunningProcesses_v2";
      rc = nvml.call(function, d, &count, infos.data());
    }
    if (rc == kInsufficientSize) {
      infos.resize(count + 16);  // processes may start meanwhile
      continue;
    }
    if (rc != kSuccess) return HealthFact::unknown_because(why(rc, function));
    const auto self = static_cast<unsigned>(::getpid());
    return HealthFact::of(
        double(std::count_if(infos.begin(), infos.begin() + count,
                             [&](const nvml::ProcessInfo& p) { return p.pid != self; })));
  }
  return HealthFact::unknown_because("the list of processes kept growing");
}

GpuHealth read_gpu(const Nvml& nvml, Device d, int index) {
  GpuHealth g;
  g.index = g.nvml_index = index;
  HealthFacts& f = g.facts;
  std::array<char, 128> name{};
  if (nvml.call("nvmlDeviceGetName", d, name.data(), unsigned(name.size() - 1)) == kSuccess) {
    g.name = name.data();
  }
  nvml::PciInfo pci{};
  if (nvml.call("nvmlDeviceGetPciInfo_v3", d, &pci) == kSuccess) {
    g.pci_bus_id = pci.bus_id;
    g.pci_device_id =
        fmt::format("{:04x}:{:04x}", pci.pci_device_id & 0xffffu, pci.pci_device_id >> 16);
  }
  f["uuid"] = nvml.text("nvmlDeviceGetUUID", d);
  f["serial"] = nvml.text("nvmlDeviceGetSerial", d);
  f["vbios"] = nvml.text("nvmlDeviceGetVbiosVersion", d);
  f["inforom"] = nvml.text("nvmlDeviceGetInforomImageVersion", d);
  f["driver"] = nvml.text("nvmlSystemGetDriverVersion");
  read_counters(nvml, d, f);
  read_nvlink(nvml, d, f);
  read_fabric(nvml, d, f);
  read_power_and_clocks(nvml, d, f);
  f["processes.other"] = other_processes(nvml, d);
  return g;
}

}  // namespace

bool read_nvml_health(std::vector<GpuHealth>& gpus, std::string& why_not) {
  const std::string path = nvml_library();
  void* library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* error = ::dlerror();
    why_not = error != nullptr ? error : "cannot load " + path;
    return false;
  }
  const Nvml nvml(library);
  if (const int rc = nvml.call("nvmlInit_v2"); rc != kSuccess) {
    why_not = rc == kMissing ? path + " has no nvmlInit_v2 (driver too old)"
                             : fmt::format("nvmlInit_v2 failed with NVML error {}", rc);
    ::dlclose(library);
    return false;
  }
  unsigned count = 0;
  const int rc = nvml.call("nvmlDeviceGetCount_v2", &count);
  if (rc != kSuccess) {
    why_not = why(rc, "nvmlDeviceGetCount_v2");
  } else {
    for (unsigned i = 0; i < count; ++i) {
      Device d = nullptr;
      if (const int hrc = nvml.call("nvmlDeviceGetHandleByIndex_v2", i, &d); hrc != kSuccess) {
        // Listed, but not readable (lost, say): every fact unknown, loudly.
        GpuHealth g;
        g.index = g.nvml_index = static_cast<int>(i);
        g.lost = hrc == nvml::kGpuIsLost || hrc == nvml::kUnknownError;
        for (const auto& info : kGpuHealthFacts) {
          g.facts[std::string(info.name)] =
              HealthFact::unknown_because(why(hrc, "nvmlDeviceGetHandleByIndex_v2"));
        }
        gpus.push_back(std::move(g));
        continue;
      }
      gpus.push_back(read_gpu(nvml, d, static_cast<int>(i)));
    }
  }
  nvml.call("nvmlShutdown");
  ::dlclose(library);
  return rc == kSuccess;
}

}  // namespace flopbench
