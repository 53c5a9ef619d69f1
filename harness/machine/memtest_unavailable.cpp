// memtest_gpu() for a CPU-only build; the CUDA build uses kernels/memtest.cu.

#include "harness/machine/memtest.hpp"

namespace flopbench {

bool memtest_built() { return false; }

MemtestDevice memtest_gpu(int gpu, const MemtestSettings&) {
  MemtestDevice d;
  d.device = DeviceRef::gpu({gpu}).label();
  d.failure = "flopbench was built without CUDA support: the memory test needs the CUDA build";
  return d;
}

}  // namespace flopbench
