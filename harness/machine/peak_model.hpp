#pragma once

// The theoretical peak model (docs/methodology.md, "Theoretical peak"):
//   peak = units x lanes per unit x 2 (an FMA is two FLOPs) x clock.
// No API exposes a core's FMA pipe count or a GPU's lanes per SM, so both come from tables here.
// A CPU whose model number is not in the table (a cloud VM's hypervisor often reports a generic
// one) is identified from the ISA extensions it declares, and says "inferred from features".
// Anything else gives an unknown peak with the reason, never a guess.

#include <optional>
#include <string_view>

#include "harness/core/results.hpp"
#include "harness/core/types.hpp"

namespace flopbench {

// The vector FMA units of one core: `pipes` units, each `width_bits` wide, one FMA per cycle each.
struct FmaUnits {
  int pipes = 0;
  int width_bits = 0;
  std::string_view isa;  // the extension (as CpuInventory::simd names it) this width needs
};

struct CpuMicroarchitecture {
  std::string_view name;  // "Zen 4"
  FmaUnits fma;
  // Used when `fma.isa` is not exposed (a hypervisor hiding AVX-512, a kernel without SVE).
  std::optional<FmaUnits> fallback;
  std::string_view assumption;  // what the table assumes where parts differ; "" when nothing
};

// Looks up the microarchitecture. x86: vendor is the CPUID vendor string ("GenuineIntel",
// "AuthenticAMD"), family and model the CPUID display family and model. ARM: vendor is the
// implementer's name as parse_cpuinfo writes it ("ARM", "Fujitsu", ...), model the part number;
// family (the architecture version) is ignored.
std::optional<CpuMicroarchitecture> find_cpu_microarchitecture(std::string_view vendor, int family,
                                                               int model);

// The table's entry for the CPU's vendor, family and model, else one inferred from its vendor,
// family and ISA extensions (cpu.simd), whose name ends in "(inferred from features)": AMX with
// AVX512-FP16 is Sapphire Rapids or newer, AVX-512 on AMD family 0x1A is Zen 5, family 0x19 is
// Zen 3 or 4. Empty where neither identifies it.
std::optional<CpuMicroarchitecture> identify_cpu_microarchitecture(const CpuInventory& cpu);

// How much of cpu_peak's FMA throughput vectors of `bits` can reach: the FMA units it counts (the
// table's, or its fallback where the table's ISA is not exposed), and the share, 1 at their width
// or wider. Narrower vectors run on the pipes that take that width, the fallback's where there is
// one: on Zen 5 (2 x 512-bit) 256-bit FMAs reach half, on an Intel client core (1 x 512-bit,
// whose two 256-bit ports make it) all, on Zen 4 (2 x 256-bit) all. Empty where the CPU is not
// identified, where the ISA its units need is not exposed and there is no fallback, and for
// bits <= 0.
struct VectorReach {
  FmaUnits units;
  double share = 1;
};
std::optional<VectorReach> vector_reach(const CpuInventory& cpu, int bits);

// Peak of a measurement that used `threads` threads: min(threads, cpu.cores) cores, each at the
// table's FMA width and pipe count, at cpu.clock_ghz. threads <= 0 means all cores. BF16, FP16
// and INT8 use the best unit the CPU's flags show: AMX (Intel's per-core rates; not where `amx`
// says the kernel did not use it), else the AVX-512 dot-product instructions on the FMA pipes;
// without one, or for TF32 and FP8, "unknown". A cgroup quota below the cores caps the cores.
Peak cpu_peak(const CpuInventory& cpu, Precision precision, int threads,
              std::optional<bool> amx = std::nullopt);

bool has_fp64_tensor_cores(int cc_major, int cc_minor);

// GPU peak: SMs x lanes per SM x 2 x SM clock. With fp64_tensor_cores, the FP64 peak is the
// tensor-core rate where the compute capability has FP64 tensor cores (the CUDA-core rate, said
// so in the basis, where it does not); FP32 ignores the flag (FP32 GEMM must not use TF32).
// TF32, BF16, FP16, FP8 E4M3 and INT8 are dense tensor-core rates from a per-compute-capability
// table (INT8 in operations); a capability or precision not in it gives "unknown".
Peak gpu_peak(int cc_major, int cc_minor, int sm_count, double sm_clock_mhz, Precision precision,
              bool fp64_tensor_cores);

// The same for one GPU of the inventory, with what its name says beyond its compute capability:
// a GeForce part runs the FP32-accumulating tensor-core formats (TF32, BF16, FP16, FP8) at half
// the data-centre rate; the export variants H800 (FP64) and H20 (FP64 and the tensor formats)
// are cut by amounts no table here holds, so those peaks are unknown.
Peak gpu_peak(const GpuDevice& device, Precision precision, bool fp64_tensor_cores);

}  // namespace flopbench
