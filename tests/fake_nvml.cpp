// A stand-in for libnvidia-ml.so.1, loaded through FLOPBENCH_NVML_LIBRARY by the health tests:
// it answers the NVML entry points flopbench calls from a file of "key value" lines named by
// FLOPBENCH_FAKE_NVML_CONFIG, read at every call so that a test can change the answers.
//
//   init error:9            nvmlInit_v2's answer (default success)
//   count 2                 GPUs
//   driver 575.57.08
//   gpu0.name NVIDIA H100 80GB HBM3
//   gpu0.<key> <value>      the value an entry point answers for GPU 0 (keys below)
//
// A value "error:<N>" makes the entry point return NVML error N; a key that is not there makes
// it return NVML_ERROR_NOT_SUPPORTED (3), as NVML does for what a GPU lacks.

#include <strings.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "harness/machine/nvml_types.hpp"

namespace {

using Device = void*;
using flopbench::nvml::kInsufficientSize;
using flopbench::nvml::kInvalidArgument;
using flopbench::nvml::kNotSupported;
using flopbench::nvml::kSuccess;
using PciInfo = flopbench::nvml::PciInfo;
using FabricInfo = flopbench::nvml::FabricInfo;
using ProcessInfo = flopbench::nvml::ProcessInfo;

std::map<std::string, std::string> config() {
  std::map<std::string, std::string> values;
  const char* path = std::getenv("FLOPBENCH_FAKE_NVML_CONFIG");
  if (path == nullptr) return values;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const auto space = line.find(' ');
    if (line.empty() || line[0] == '#' || space == std::string::npos) continue;
    values[line.substr(0, space)] = line.substr(space + 1);
  }
  return values;
}

long index_of(Device d) { return reinterpret_cast<std::intptr_t>(d) - 1; }

std::string full_key(Device d, const std::string& key) {
  return d == nullptr ? key : "gpu" + std::to_string(index_of(d)) + "." + key;
}

bool has(Device d, const std::string& key) { return config().count(full_key(d, key)) != 0; }

// The value of `key` for device `d` ("gpu<i>.key"), or of a machine-wide key when d is null;
// `rc` is set to what the entry point returns.
std::optional<std::string> lookup(Device d, const std::string& key, int& rc) {
  const auto values = config();
  const auto it = values.find(full_key(d, key));
  if (it == values.end()) {
    rc = kNotSupported;
    return std::nullopt;
  }
  if (it->second.rfind("error:", 0) == 0) {
    rc = std::atoi(it->second.c_str() + 6);
    return std::nullopt;
  }
  rc = kSuccess;
  return it->second;
}

template <class T>
int number(Device d, const std::string& key, T* out) {
  int rc = 0;
  const auto v = lookup(d, key, rc);
  if (v) *out = static_cast<T>(std::stoull(*v, nullptr, 0));
  return rc;
}

int text(Device d, const std::string& key, char* out, unsigned size) {
  int rc = 0;
  const auto v = lookup(d, key, rc);
  if (!v) return rc;
  if (v->size() + 1 > size) return kInsufficientSize;
  std::memcpy(out, v->c_str(), v->size() + 1);
  return kSuccess;
}

const char* clock_name(int type) { return type == 1 ? "sm" : type == 2 ? "mem" : "other"; }

}  // namespace

extern "C" {

int nvmlInit_v2() {
  int rc = 0;
  const auto v = lookup(nullptr, "init", rc);
  return v ? kSuccess : (rc == kNotSupported ? kSuccess : rc);
}
int nvmlShutdown() { return kSuccess; }
int nvmlSystemGetDriverVersion(char* out, unsigned size) {
  return text(nullptr, "driver", out, size);
}
int nvmlDeviceGetCount_v2(unsigned* count) { return number(nullptr, "count", count); }
int nvmlDeviceGetHandleByIndex_v2(unsigned index, Device* d) {
  unsigned count = 0;
  if (number(nullptr, "count", &count) != kSuccess || index >= count) return kInvalidArgument;
  *d = reinterpret_cast<Device>(static_cast<std::intptr_t>(index) + 1);
  int rc = 0;
  if (!lookup(*d, "handle", rc) && rc != kNotSupported) return rc;  // "gpuN.handle error:15"
  return kSuccess;
}
int nvmlDeviceGetHandleByPciBusId_v2(const char* bus_id, Device* d) {
  unsigned count = 0;
  number(nullptr, "count", &count);
  for (unsigned i = 0; i < count; ++i) {
    Device candidate = reinterpret_cast<Device>(static_cast<std::intptr_t>(i) + 1);
    int rc = 0;
    const auto v = lookup(candidate, "bus_id", rc);
    if (v && strcasecmp(v->c_str() + (v->size() > 12 ? v->size() - 12 : 0),
                        bus_id + (std::strlen(bus_id) > 12 ? std::strlen(bus_id) - 12 : 0)) == 0) {
      *d = candidate;
      return kSuccess;
    }
  }
  return flopbench::nvml::kNotFound;
}
int nvmlDeviceGetName(Device d, char* out, unsigned size) { return text(d, "name", out, size); }
int nvmlDeviceGetUUID(Device d, char* out, unsigned size) { return text(d, "uuid", out, size); }
int nvmlDeviceGetSerial(Device d, char* out, unsigned size) { return text(d, "serial", out, size); }
int nvmlDeviceGetVbiosVersion(Device d, char* out, unsigned size) {
  return text(d, "vbios", out, size);
}
int nvmlDeviceGetInforomImageVersion(Device d, char* out, unsigned size) {
  return text(d, "inforom", out, size);
}
int nvmlDeviceGetPciInfo_v3(Device d, PciInfo* pci) {
  *pci = PciInfo{};
  const int rc = text(d, "bus_id", pci->bus_id, sizeof pci->bus_id);
  if (rc != kSuccess) return rc;
  number(d, "pci_device_id", &pci->pci_device_id);
  return kSuccess;
}
int nvmlDeviceGetPersistenceMode(Device d, int* mode) { return number(d, "persistence", mode); }
int nvmlDeviceGetEccMode(Device d, int* current, int* pending) {
  const int rc = number(d, "ecc", current);
  *pending = *current;
  return rc;
}
int nvmlDeviceGetTotalEccErrors(Device d, int error_type, int counter, unsigned long long* out) {
  return number(d, "ecc." + std::to_string(error_type) + "." + std::to_string(counter), out);
}
int nvmlDeviceGetRetiredPages(Device d, int cause, unsigned* count, unsigned long long*) {
  unsigned pages = 0;
  const int rc = number(d, "retired." + std::to_string(cause), &pages);
  if (rc != kSuccess) return rc;
  const bool fits = *count >= pages;
  *count = pages;
  return fits ? kSuccess : kInsufficientSize;
}
int nvmlDeviceGetRetiredPagesPendingStatus(Device d, int* pending) {
  return number(d, "retired_pending", pending);
}
int nvmlDeviceGetRemappedRows(Device d, unsigned* corrected, unsigned* uncorrected,
                              unsigned* pending, unsigned* failed) {
  int rc = 0;
  const auto v = lookup(d, "remap", rc);  // "corrected uncorrected pending failed"
  if (!v) return rc;
  std::istringstream(*v) >> *corrected >> *uncorrected >> *pending >> *failed;
  return kSuccess;
}
int nvmlDeviceGetCurrPcieLinkGeneration(Device d, unsigned* v) { return number(d, "pcie.gen", v); }
int nvmlDeviceGetMaxPcieLinkGeneration(Device d, unsigned* v) {
  return number(d, "pcie.gen_max", v);
}
int nvmlDeviceGetCurrPcieLinkWidth(Device d, unsigned* v) { return number(d, "pcie.width", v); }
int nvmlDeviceGetMaxPcieLinkWidth(Device d, unsigned* v) { return number(d, "pcie.width_max", v); }
int nvmlDeviceGetPcieReplayCounter(Device d, unsigned* v) { return number(d, "pcie.replay", v); }
// "nvlink.links N": the GPU has links 0 to N-1 (none: not supported on every link), a larger
// index is an invalid argument; "nvlink.active M": the first M are active; "nvlink.state.<link>
// V": that link's answer instead (0 inactive, 1 active, error:<N>), so that a GPU can lack a link
// in the middle; "nvlink.error.<counter> V": every active link's count.
int nvmlDeviceGetNvLinkState(Device d, unsigned link, int* active) {
  if (const std::string key = "nvlink.state." + std::to_string(link); has(d, key)) {
    return number(d, key, active);
  }
  unsigned links = 0, up = 0;
  if (const int rc = number(d, "nvlink.links", &links); rc != kSuccess) return rc;
  if (link >= links) return kInvalidArgument;
  number(d, "nvlink.active", &up);
  *active = link < up ? 1 : 0;
  return kSuccess;
}
int nvmlDeviceGetNvLinkErrorCounter(Device d, unsigned, int counter, unsigned long long* v) {
  return number(d, "nvlink.error." + std::to_string(counter), v);
}
int nvmlDeviceGetGpuFabricInfo(Device d, FabricInfo* info) {
  *info = FabricInfo{};
  unsigned state = 0;
  const int rc = number(d, "fabric", &state);
  info->state = static_cast<unsigned char>(state);
  return rc;
}
int nvmlDeviceGetEnforcedPowerLimit(Device d, unsigned* mw) { return number(d, "power.limit", mw); }
int nvmlDeviceGetPowerManagementDefaultLimit(Device d, unsigned* mw) {
  return number(d, "power.default", mw);
}
int nvmlDeviceGetApplicationsClock(Device d, int type, unsigned* mhz) {
  return number(d, std::string("clock.app.") + clock_name(type), mhz);
}
int nvmlDeviceGetMaxClockInfo(Device d, int type, unsigned* mhz) {
  return number(d, std::string("clock.max.") + clock_name(type), mhz);
}
int nvmlDeviceGetClockInfo(Device d, int type, unsigned* mhz) {
  return number(d, std::string("clock.") + clock_name(type), mhz);
}
int nvmlDeviceGetTemperature(Device d, int, unsigned* c) { return number(d, "temperature", c); }
int nvmlDeviceGetPowerUsage(Device d, unsigned* mw) { return number(d, "power.usage", mw); }
// Field NVML_FI_DEV_POWER_INSTANT from "power.instant" (milliwatts, an unsigned int); any other
// field is not supported.
int nvmlDeviceGetFieldValues(Device d, int count, flopbench::nvml::FieldValue* values) {
  for (int i = 0; i < count; ++i) {
    flopbench::nvml::FieldValue& f = values[i];
    f.nvml_return = kNotSupported;
    if (f.field_id != flopbench::nvml::kFieldPowerInstant) continue;
    f.value_type = flopbench::nvml::kValueTypeUnsignedInt;
    f.nvml_return = number(d, "power.instant", &f.value.ui);
  }
  return kSuccess;
}
int nvmlDeviceGetCurrentClocksEventReasons(Device d, unsigned long long* mask) {
  return number(d, "reasons", mask);
}
// "pids 100 200 self": the compute processes; "self" is the calling process.
int nvmlDeviceGetComputeRunningProcesses_v3(Device d, unsigned* count, ProcessInfo* infos) {
  int rc = 0;
  const auto v = lookup(d, "pids", rc);
  if (!v) return rc;
  std::vector<unsigned> pids;
  std::istringstream in(*v);
  for (std::string word; in >> word;) {
    pids.push_back(word == "self" ? static_cast<unsigned>(::getpid())
                                  : static_cast<unsigned>(std::stoul(word)));
  }
  if (*count < pids.size()) {
    *count = static_cast<unsigned>(pids.size());
    return kInsufficientSize;
  }
  *count = static_cast<unsigned>(pids.size());
  for (std::size_t i = 0; i < pids.size(); ++i) infos[i] = ProcessInfo{pids[i], 0, 0, 0};
  return kSuccess;
}

}  // extern "C"
