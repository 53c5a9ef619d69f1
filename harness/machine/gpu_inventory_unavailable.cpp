// gpu_inventory() for a CPU-only build; the CUDA build uses kernels/gpu_inventory.cpp.

#include "harness/machine/inventory.hpp"

namespace flopbench {

GpuInventory gpu_inventory() {
  GpuInventory inventory;
  inventory.cuda_built = false;
  inventory.no_device_reason =
      "flopbench was built without CUDA support (no CUDA compiler at configure time, or "
      "FLOPBENCH_CUDA=OFF)";
  return inventory;
}

std::optional<LaunchLatency> launch_latency(int) { return std::nullopt; }

std::optional<std::int64_t> gpu_free_memory_bytes(int) { return std::nullopt; }

std::map<std::string, std::string> gpu_libraries() { return {}; }

}  // namespace flopbench
