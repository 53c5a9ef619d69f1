// NVML's structs and values as flopbench writes them out (harness/machine/nvml_types.hpp) against
// NVIDIA's nvml.h, built only where the build finds that header (a CUDA toolkit's include
// directory): a layout that differs fails to compile.

#include <gtest/gtest.h>
#include <nvml.h>

#include <cstddef>
#include <type_traits>

#include "harness/machine/nvml_types.hpp"

namespace flopbench::nvml {
namespace {

#define FLOPBENCH_SAME_MEMBER(ours, member, theirs, their_member)                   \
  static_assert(offsetof(ours, member) == offsetof(theirs, their_member), #member); \
  static_assert(sizeof(ours::member) == sizeof(theirs::their_member), #member " size");

static_assert(sizeof(PciInfo) == sizeof(nvmlPciInfo_t));
FLOPBENCH_SAME_MEMBER(PciInfo, bus_id_legacy, nvmlPciInfo_t, busIdLegacy)
FLOPBENCH_SAME_MEMBER(PciInfo, domain, nvmlPciInfo_t, domain)
FLOPBENCH_SAME_MEMBER(PciInfo, bus, nvmlPciInfo_t, bus)
FLOPBENCH_SAME_MEMBER(PciInfo, device, nvmlPciInfo_t, device)
FLOPBENCH_SAME_MEMBER(PciInfo, pci_device_id, nvmlPciInfo_t, pciDeviceId)
FLOPBENCH_SAME_MEMBER(PciInfo, pci_subsystem_id, nvmlPciInfo_t, pciSubSystemId)
FLOPBENCH_SAME_MEMBER(PciInfo, bus_id, nvmlPciInfo_t, busId)

static_assert(sizeof(FabricInfo) == sizeof(nvmlGpuFabricInfo_t));
FLOPBENCH_SAME_MEMBER(FabricInfo, cluster_uuid, nvmlGpuFabricInfo_t, clusterUuid)
FLOPBENCH_SAME_MEMBER(FabricInfo, status, nvmlGpuFabricInfo_t, status)
// clique_id is partitionId in CUDA 12.0 to 12.2's nvml.h, cliqueId from 12.3: the same four
// bytes between status and state, which are checked.
FLOPBENCH_SAME_MEMBER(FabricInfo, state, nvmlGpuFabricInfo_t, state)

static_assert(sizeof(ProcessInfo) == sizeof(nvmlProcessInfo_t));
FLOPBENCH_SAME_MEMBER(ProcessInfo, pid, nvmlProcessInfo_t, pid)
FLOPBENCH_SAME_MEMBER(ProcessInfo, used_gpu_memory, nvmlProcessInfo_t, usedGpuMemory)
FLOPBENCH_SAME_MEMBER(ProcessInfo, gpu_instance_id, nvmlProcessInfo_t, gpuInstanceId)
FLOPBENCH_SAME_MEMBER(ProcessInfo, compute_instance_id, nvmlProcessInfo_t, computeInstanceId)

static_assert(sizeof(FieldValue) == sizeof(nvmlFieldValue_t));
FLOPBENCH_SAME_MEMBER(FieldValue, field_id, nvmlFieldValue_t, fieldId)
FLOPBENCH_SAME_MEMBER(FieldValue, scope_id, nvmlFieldValue_t, scopeId)
FLOPBENCH_SAME_MEMBER(FieldValue, timestamp, nvmlFieldValue_t, timestamp)
FLOPBENCH_SAME_MEMBER(FieldValue, latency_usec, nvmlFieldValue_t, latencyUsec)
FLOPBENCH_SAME_MEMBER(FieldValue, value_type, nvmlFieldValue_t, valueType)
FLOPBENCH_SAME_MEMBER(FieldValue, nvml_return, nvmlFieldValue_t, nvmlReturn)
FLOPBENCH_SAME_MEMBER(FieldValue, value, nvmlFieldValue_t, value)
static_assert(kFieldPowerInstant == NVML_FI_DEV_POWER_INSTANT &&
              kValueTypeDouble == NVML_VALUE_TYPE_DOUBLE &&
              kValueTypeUnsignedInt == NVML_VALUE_TYPE_UNSIGNED_INT &&
              kValueTypeUnsignedLong == NVML_VALUE_TYPE_UNSIGNED_LONG &&
              kValueTypeUnsignedLongLong == NVML_VALUE_TYPE_UNSIGNED_LONG_LONG &&
              kValueTypeSignedLongLong == NVML_VALUE_TYPE_SIGNED_LONG_LONG &&
              kValueTypeSignedInt == NVML_VALUE_TYPE_SIGNED_INT &&
              kValueTypeUnsignedShort == NVML_VALUE_TYPE_UNSIGNED_SHORT);

// The return codes and enum values are ints of these values.
static_assert(sizeof(nvmlReturn_t) == sizeof(int) && sizeof(nvmlEnableState_t) == sizeof(int));
static_assert(kSuccess == NVML_SUCCESS && kInvalidArgument == NVML_ERROR_INVALID_ARGUMENT &&
              kNotSupported == NVML_ERROR_NOT_SUPPORTED &&
              kNoPermission == NVML_ERROR_NO_PERMISSION && kNotFound == NVML_ERROR_NOT_FOUND &&
              kInsufficientSize == NVML_ERROR_INSUFFICIENT_SIZE &&
              kDriverNotLoaded == NVML_ERROR_DRIVER_NOT_LOADED &&
              kGpuIsLost == NVML_ERROR_GPU_IS_LOST);
static_assert(kFeatureEnabled == NVML_FEATURE_ENABLED && kClockSm == NVML_CLOCK_SM &&
              kClockMem == NVML_CLOCK_MEM && kTemperatureGpu == NVML_TEMPERATURE_GPU &&
              kFabricStateCompleted == NVML_GPU_FABRIC_STATE_COMPLETED);
static_assert(kPciBusIdBufferSize == NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE &&
              kPciBusIdBufferV2Size == NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE &&
              kFabricUuidLength == NVML_GPU_FABRIC_UUID_LEN);
// The NVLink walk goes at least as far as this header's NVML knows links.
static_assert(kMaxNvLinks >= NVML_NVLINK_MAX_LINKS);

TEST(NvmlLayout, TheMirroredStructsMatchNvmlH) {
  // The checks are the static_asserts above; this records that they were compiled.
  EXPECT_EQ(sizeof(PciInfo), sizeof(nvmlPciInfo_t));
}

}  // namespace
}  // namespace flopbench::nvml
