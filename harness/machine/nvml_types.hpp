#pragma once

// The NVML types and values flopbench uses, written out here because nvml.h is not on every
// machine that builds flopbench (it comes with the CUDA toolkit, and flopbench loads NVML at run
// time: nvml_health.cpp, telemetry.cpp). The reader (nvml_health.cpp) and the tests' stand-in
// NVML (tests/fake_nvml.cpp) share these, so a layout written wrong here would be wrong in both
// and no test against the stand-in could see it: the static_asserts below hold each struct to the
// sizes and offsets of NVIDIA's nvml.h, and tests/test_nvml_layout.cpp compares them with the
// real header where the build finds one.
//
// Source: nvml.h of CUDA 13.3 (NVML_API_VERSION 13), as vendored in github.com/NVIDIA/go-nvml
// (gen/nvml/nvml.h, "sync nvml.h with CUDA version 13.3"), checked against that file's history:
// nvmlPciInfo_t and nvmlProcessInfo_t have had these members in every version since CUDA 11.1,
// nvmlGpuFabricInfo_t since CUDA 12.0, where it appeared (its cliqueId named partitionId until
// 12.2). Sizes and offsets are computed by hand for x86-64 (and aarch64) Linux, LP64: unsigned
// int and enums 4 bytes aligned 4, unsigned long long 8 aligned 8, so ProcessInfo has 4 bytes of
// padding after pid. The layout check compiles against the 12.0, 12.9 and 13.3 headers.

#include <cstddef>
#include <optional>

namespace flopbench::nvml {

// nvmlReturn_t values.
inline constexpr int kSuccess = 0;               // NVML_SUCCESS
inline constexpr int kInvalidArgument = 2;       // NVML_ERROR_INVALID_ARGUMENT
inline constexpr int kNotSupported = 3;          // NVML_ERROR_NOT_SUPPORTED
inline constexpr int kNoPermission = 4;          // NVML_ERROR_NO_PERMISSION
inline constexpr int kNotFound = 6;              // NVML_ERROR_NOT_FOUND
inline constexpr int kInsufficientSize = 7;      // NVML_ERROR_INSUFFICIENT_SIZE
inline constexpr int kDriverNotLoaded = 9;       // NVML_ERROR_DRIVER_NOT_LOADED
inline constexpr int kGpuIsLost = 15;            // NVML_ERROR_GPU_IS_LOST
inline constexpr int kUnknownError = 999;        // NVML_ERROR_UNKNOWN
inline constexpr int kFeatureEnabled = 1;        // NVML_FEATURE_ENABLED (nvmlEnableState_t)
inline constexpr int kClockSm = 1;               // NVML_CLOCK_SM (nvmlClockType_t)
inline constexpr int kClockMem = 2;              // NVML_CLOCK_MEM
inline constexpr int kTemperatureGpu = 0;        // NVML_TEMPERATURE_GPU (nvmlTemperatureSensors_t)
inline constexpr int kFabricStateCompleted = 3;  // NVML_GPU_FABRIC_STATE_COMPLETED

// The most NVLink links a GPU has: NVML_NVLINK_MAX_LINKS is 12 up to CUDA 11.7's nvml.h, 18 from
// CUDA 11.8 to 13.2, 36 from 13.3 (go-nvml's history of gen/nvml/nvml.h). Walking the largest of
// them costs nothing on an older driver: a link index past its own maximum answers
// NVML_ERROR_INVALID_ARGUMENT, which the walk takes as "no such link".
inline constexpr unsigned kMaxNvLinks = 36;

inline constexpr std::size_t kPciBusIdBufferSize = 32;    // NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE
inline constexpr std::size_t kPciBusIdBufferV2Size = 16;  // NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE
inline constexpr std::size_t kFabricUuidLength = 16;      // NVML_GPU_FABRIC_UUID_LEN

// nvmlPciInfo_t (nvmlDeviceGetPciInfo_v3).
struct PciInfo {
  char bus_id_legacy[kPciBusIdBufferV2Size];  // busIdLegacy
  unsigned domain;                            // domain
  unsigned bus;                               // bus
  unsigned device;                            // device
  unsigned pci_device_id;                     // pciDeviceId: device id << 16 | vendor id
  unsigned pci_subsystem_id;                  // pciSubSystemId
  char bus_id[kPciBusIdBufferSize];           // busId
};
static_assert(sizeof(PciInfo) == 68);
static_assert(offsetof(PciInfo, bus_id_legacy) == 0);
static_assert(offsetof(PciInfo, domain) == 16);
static_assert(offsetof(PciInfo, bus) == 20);
static_assert(offsetof(PciInfo, device) == 24);
static_assert(offsetof(PciInfo, pci_device_id) == 28);
static_assert(offsetof(PciInfo, pci_subsystem_id) == 32);
static_assert(offsetof(PciInfo, bus_id) == 36);

// nvmlGpuFabricInfo_t (nvmlDeviceGetGpuFabricInfo; deprecated in 13.0 for
// nvmlDeviceGetGpuFabricInfoV, which still answers it).
struct FabricInfo {
  unsigned char cluster_uuid[kFabricUuidLength];  // clusterUuid
  int status;                                     // status (nvmlReturn_t), valid when completed
  unsigned clique_id;                             // cliqueId (partitionId before 12.3)
  unsigned char state;                            // state (nvmlGpuFabricState_t)
};
static_assert(sizeof(FabricInfo) == 28);
static_assert(offsetof(FabricInfo, cluster_uuid) == 0);
static_assert(offsetof(FabricInfo, status) == 16);
static_assert(offsetof(FabricInfo, clique_id) == 20);
static_assert(offsetof(FabricInfo, state) == 24);

// nvmlProcessInfo_t, which is nvmlProcessInfo_v2_t (nvmlDeviceGetComputeRunningProcesses_v3 and
// _v2 both fill an array of it).
struct ProcessInfo {
  unsigned pid;                        // pid
  unsigned long long used_gpu_memory;  // usedGpuMemory
  unsigned gpu_instance_id;            // gpuInstanceId
  unsigned compute_instance_id;        // computeInstanceId
};
static_assert(sizeof(ProcessInfo) == 24);
static_assert(offsetof(ProcessInfo, pid) == 0);
static_assert(offsetof(ProcessInfo, used_gpu_memory) == 8);
static_assert(offsetof(ProcessInfo, gpu_instance_id) == 16);
static_assert(offsetof(ProcessInfo, compute_instance_id) == 20);

// nvmlFieldValue_t (nvmlDeviceGetFieldValues), with the one field read and its value types.
inline constexpr unsigned kFieldPowerInstant = 186;   // NVML_FI_DEV_POWER_INSTANT, milliwatts
inline constexpr int kValueTypeDouble = 0;            // NVML_VALUE_TYPE_DOUBLE (nvmlValueType_t)
inline constexpr int kValueTypeUnsignedInt = 1;       // NVML_VALUE_TYPE_UNSIGNED_INT
inline constexpr int kValueTypeUnsignedLong = 2;      // NVML_VALUE_TYPE_UNSIGNED_LONG
inline constexpr int kValueTypeUnsignedLongLong = 3;  // NVML_VALUE_TYPE_UNSIGNED_LONG_LONG
inline constexpr int kValueTypeSignedLongLong = 4;    // NVML_VALUE_TYPE_SIGNED_LONG_LONG
inline constexpr int kValueTypeSignedInt = 5;         // NVML_VALUE_TYPE_SIGNED_INT
inline constexpr int kValueTypeUnsignedShort = 6;     // NVML_VALUE_TYPE_UNSIGNED_SHORT
union Value {                                         // nvmlValue_t
  double d;                                           // dVal
  int si;                                             // siVal
  unsigned ui;                                        // uiVal
  unsigned long ul;                                   // ulVal
  unsigned long long ull;                             // ullVal
  long long sll;                                      // sllVal
  unsigned short us;                                  // usVal
};
struct FieldValue {
  unsigned field_id;       // fieldId
  unsigned scope_id;       // scopeId
  long long timestamp;     // timestamp
  long long latency_usec;  // latencyUsec
  int value_type;          // valueType (nvmlValueType_t)
  int nvml_return;         // nvmlReturn (nvmlReturn_t)
  Value value;             // value
};
static_assert(sizeof(Value) == 8);
static_assert(sizeof(FieldValue) == 40);
static_assert(offsetof(FieldValue, field_id) == 0);
static_assert(offsetof(FieldValue, scope_id) == 4);
static_assert(offsetof(FieldValue, timestamp) == 8);
static_assert(offsetof(FieldValue, latency_usec) == 16);
static_assert(offsetof(FieldValue, value_type) == 24);
static_assert(offsetof(FieldValue, nvml_return) == 28);
static_assert(offsetof(FieldValue, value) == 32);

// The number a field value holds, whatever its type; nullopt for a type this does not know.
inline std::optional<double> field_number(const FieldValue& f) {
  switch (f.value_type) {
    case kValueTypeDouble:
      return f.value.d;
    case kValueTypeUnsignedInt:
      return f.value.ui;
    case kValueTypeUnsignedLong:
      return static_cast<double>(f.value.ul);
    case kValueTypeUnsignedLongLong:
      return static_cast<double>(f.value.ull);
    case kValueTypeSignedLongLong:
      return static_cast<double>(f.value.sll);
    case kValueTypeSignedInt:
      return f.value.si;
    case kValueTypeUnsignedShort:
      return f.value.us;
    default:
      return std::nullopt;
  }
}

}  // namespace flopbench::nvml
