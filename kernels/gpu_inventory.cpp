// GpuInventory from the CUDA runtime (CUDA build; the CPU-only build uses
// harness/machine/gpu_inventory_unavailable.cpp).

#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <array>

#include "harness/machine/inventory.hpp"
#include "harness/machine/peak_model.hpp"
#include "harness/machine/probe.hpp"
#include "kernels/cublas.hpp"
#include "kernels/cublaslt.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/device.hpp"

namespace flopbench {
namespace {

// CUDA encodes versions as 1000 * major + 10 * minor: 13000 -> "13.0".
std::string cuda_version_string(int version) {
  return fmt::format("{}.{}", version / 1000, version % 1000 / 10);
}

// nvidia-smi's spelling, so the UUID can be matched with its output and NVML's.
std::string format_uuid(const cudaUUID_t& uuid) {
  std::string text = "GPU-";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += fmt::format("{:02x}", static_cast<unsigned char>(uuid.bytes[i]));
  }
  return text;
}

int attribute(cudaDeviceAttr which, int device) {
  int value = 0;
  FLOPBENCH_CUDA_CALL(cudaDeviceGetAttribute(&value, which, device));
  return value;
}

GpuDevice query_device(int index) {
  cudaDeviceProp prop{};
  FLOPBENCH_CUDA_CALL(cudaGetDeviceProperties(&prop, index));
  GpuDevice device;
  device.index = index;
  device.name = prop.name;
  device.cc_major = prop.major;
  device.cc_minor = prop.minor;
  device.sm_count = prop.multiProcessorCount;
  // cudaDeviceProp::clockRate and memoryClockRate are gone in CUDA 13; the attributes remain
  // (kHz, the maximum clocks).
  device.sm_clock_mhz = attribute(cudaDevAttrClockRate, index) / 1e3;
  device.memory_clock_mhz = attribute(cudaDevAttrMemoryClockRate, index) / 1e3;
  device.memory_bytes = static_cast<std::int64_t>(prop.totalGlobalMem);
  device.memory_bus_width_bits = prop.memoryBusWidth;
  device.l2_bytes = prop.l2CacheSize;
  device.ecc_enabled = prop.ECCEnabled != 0;
  std::array<char, 32> bus_id{};
  FLOPBENCH_CUDA_CALL(cudaDeviceGetPCIBusId(bus_id.data(), static_cast<int>(bus_id.size()), index));
  device.pci_bus_id = bus_id.data();
  device.pci_device_id = read_pci_device_id("/sys/bus/pci/devices", device.pci_bus_id);
  device.local_cpus = read_pci_local_cpus("/sys/bus/pci/devices", device.pci_bus_id);
  device.uuid = format_uuid(prop.uuid);
  device.peak_fp32 = gpu_peak(device, Precision::fp32, false);
  device.peak_fp64 =
      gpu_peak(device, Precision::fp64, has_fp64_tensor_cores(device.cc_major, device.cc_minor));
  return device;
}

}  // namespace

GpuInventory gpu_inventory() {
  GpuInventory inventory;
  inventory.cuda_built = true;
  int runtime = 0;
  if (cudaRuntimeGetVersion(&runtime) == cudaSuccess) {
    inventory.runtime_version = cuda_version_string(runtime);
  }
  // 0 when no driver is installed.
  int driver = 0;
  if (cudaDriverGetVersion(&driver) == cudaSuccess && driver > 0) {
    inventory.driver_version = cuda_version_string(driver);
  }

  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    static_cast<void>(cudaGetLastError());
    // Without a driver the runtime says its version is "insufficient"; say what is missing.
    const std::string_view missing_driver =
        driver == 0 ? "no NVIDIA driver is installed or loaded; " : "";
    inventory.no_device_reason = fmt::format("{}{}: {}", missing_driver, cudaGetErrorName(status),
                                             cudaGetErrorString(status));
    return inventory;
  }
  if (count == 0) {
    inventory.no_device_reason = "the CUDA runtime reports 0 devices";
    return inventory;
  }
  try {
    for (int index = 0; index < count; ++index) inventory.devices.push_back(query_device(index));
  } catch (const CudaError& error) {
    // A half-listed machine would look like a smaller one: report none, and why.
    inventory.devices.clear();
    inventory.no_device_reason = error.what();
  }
  return inventory;
}

std::optional<LaunchLatency> launch_latency(int index) {
  return cuda::measure_launch_latency(index);
}

std::optional<std::int64_t> gpu_free_memory_bytes(int index) {
  cuda::use_device(index);
  std::size_t free = 0, total = 0;
  FLOPBENCH_CUDA_CALL(cudaMemGetInfo(&free, &total));
  return static_cast<std::int64_t>(free);
}

std::map<std::string, std::string> gpu_libraries() {
  const std::string version = cuda::cublas_version();
  const std::string lt_version = cuda::cublaslt_version();
  return {
      {"cuBLAS", version.empty() ? "not loaded: " + cuda::cublas_unavailable_reason() : version},
      {"cuBLASLt",
       lt_version.empty() ? "not loaded: " + cuda::cublaslt_unavailable_reason() : lt_version}};
}

}  // namespace flopbench
