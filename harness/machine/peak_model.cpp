#include "harness/machine/peak_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <regex>
#include <stdexcept>

namespace flopbench {
namespace {

// --- CPU ------------------------------------------------------------------------------------

struct CpuTableEntry {
  std::string_view vendor;
  int family;  // CPUID display family; -1 matches any (ARM keys on implementer and part only)
  int model_first;
  int model_last;
  CpuMicroarchitecture uarch;
};

constexpr FmaUnits kAvx2x128{2, 128, "fma"};
constexpr FmaUnits kAvx2x256{2, 256, "fma"};
constexpr FmaUnits kAvx512x2{2, 512, "avx512f"};
constexpr FmaUnits kNeon2x128{2, 128, "neon"};
constexpr FmaUnits kNeon4x128{4, 128, "neon"};

// On every AVX-512 part here, ports 0 and 1 also run 256-bit FMAs: with AVX-512 hidden the core
// still does 2 x 256 bits per cycle.
constexpr CpuMicroarchitecture intel_avx512(std::string_view name,
                                            std::string_view assumption = "") {
  return {name, kAvx512x2, kAvx2x256, assumption};
}

constexpr std::string_view kIntel = "GenuineIntel";
constexpr std::string_view kAmd = "AuthenticAMD";

constexpr CpuMicroarchitecture kHaswell{"Haswell", kAvx2x256, {}, ""};
constexpr CpuMicroarchitecture kBroadwell{"Broadwell", kAvx2x256, {}, ""};
constexpr CpuMicroarchitecture kSkylakeClient{"Skylake (client)", kAvx2x256, {}, ""};
// Client cores with AVX-512 fuse ports 0 and 1 into their one 512-bit FMA unit; port 5 has none.
constexpr CpuMicroarchitecture intel_client_avx512(std::string_view name) {
  return {name, {1, 512, "avx512f"}, kAvx2x256, "one 512-bit FMA unit per core"};
}
constexpr CpuMicroarchitecture kZen1{"Zen/Zen+", kAvx2x128, {}, ""};  // 256-bit ops split in two
constexpr CpuMicroarchitecture kZen2{"Zen 2", kAvx2x256, {}, ""};
constexpr CpuMicroarchitecture kZen3{"Zen 3", kAvx2x256, {}, ""};
constexpr CpuMicroarchitecture kZen4{
    "Zen 4", kAvx2x256, {}, "AVX-512 runs on the two 256-bit FMA pipes"};
constexpr CpuMicroarchitecture kZen5{"Zen 5", kAvx512x2, kAvx2x256, ""};
constexpr CpuMicroarchitecture kZen5Mobile{
    "Zen 5 (mobile)", kAvx2x256, {}, "AVX-512 runs on 256-bit pipes"};

// Model numbers: Linux arch/x86/include/asm/intel-family.h, the Zen ranges of
// arch/x86/kernel/cpu/amd.c, and arch/arm64/include/asm/cputype.h. Hybrid Intel client parts
// (Alder Lake and later) are left out on purpose: their P and E cores differ, so one per-core
// figure would be wrong.
constexpr std::array kCpuTable = {
    CpuTableEntry{kIntel, 6, 0x3C, 0x3C, kHaswell},
    CpuTableEntry{kIntel, 6, 0x3F, 0x3F, {"Haswell-EP", kAvx2x256, {}, ""}},
    CpuTableEntry{kIntel, 6, 0x45, 0x46, kHaswell},
    CpuTableEntry{kIntel, 6, 0x3D, 0x3D, kBroadwell},
    CpuTableEntry{kIntel, 6, 0x47, 0x47, kBroadwell},
    CpuTableEntry{kIntel, 6, 0x4F, 0x4F, {"Broadwell-EP", kAvx2x256, {}, ""}},
    CpuTableEntry{kIntel, 6, 0x56, 0x56, {"Broadwell-DE", kAvx2x256, {}, ""}},
    CpuTableEntry{kIntel, 6, 0x4E, 0x4E, kSkylakeClient},
    CpuTableEntry{kIntel, 6, 0x5E, 0x5E, kSkylakeClient},
    CpuTableEntry{kIntel, 6, 0x8E, 0x8E, {"Kaby/Coffee Lake (Skylake core)", kAvx2x256, {}, ""}},
    CpuTableEntry{kIntel, 6, 0x9E, 0x9E, {"Kaby/Coffee Lake (Skylake core)", kAvx2x256, {}, ""}},
    CpuTableEntry{kIntel, 6, 0xA5, 0xA6, {"Comet Lake (Skylake core)", kAvx2x256, {}, ""}},
    CpuTableEntry{kIntel, 6, 0x66, 0x66, intel_client_avx512("Cannon Lake")},
    CpuTableEntry{kIntel, 6, 0x7D, 0x7E, intel_client_avx512("Ice Lake (client)")},
    CpuTableEntry{kIntel, 6, 0x8C, 0x8D, intel_client_avx512("Tiger Lake")},
    // Rocket Lake (0xA7) is left out: KVM guests on Xeon hosts report that model number, and
    // their features say better what they are (tests/data/cpuinfo-kvm-generic-amx.txt).
    CpuTableEntry{kIntel, 6, 0x55, 0x55,
                  intel_avx512("Skylake-SP/Cascade Lake",
                               "assumes 2 AVX-512 FMA units per core (Platinum, Gold 6xxx); "
                               "Bronze, Silver and Gold 51xx have 1 and are told by their name; "
                               "some Gold 52xx and Xeon D-21xx may have 1")},
    CpuTableEntry{kIntel, 6, 0x6A, 0x6A, intel_avx512("Ice Lake-SP")},
    CpuTableEntry{kIntel, 6, 0x6C, 0x6C, intel_avx512("Ice Lake-SP")},
    CpuTableEntry{kIntel, 6, 0x8F, 0x8F, intel_avx512("Sapphire Rapids")},
    CpuTableEntry{kIntel, 6, 0xCF, 0xCF, intel_avx512("Emerald Rapids")},
    CpuTableEntry{kIntel, 6, 0xAD, 0xAE, intel_avx512("Granite Rapids")},

    CpuTableEntry{kAmd, 0x17, 0x00, 0x2F, kZen1},
    CpuTableEntry{kAmd, 0x17, 0x50, 0x5F, kZen1},
    CpuTableEntry{kAmd, 0x17, 0x30, 0x4F, kZen2},
    CpuTableEntry{kAmd, 0x17, 0x60, 0x7F, kZen2},
    CpuTableEntry{kAmd, 0x17, 0x90, 0x91, kZen2},
    CpuTableEntry{kAmd, 0x17, 0xA0, 0xAF, kZen2},
    CpuTableEntry{kAmd, 0x19, 0x00, 0x0F, kZen3},
    CpuTableEntry{kAmd, 0x19, 0x20, 0x5F, kZen3},
    CpuTableEntry{kAmd, 0x19, 0x10, 0x1F, kZen4},
    CpuTableEntry{kAmd, 0x19, 0x60, 0xAF, kZen4},
    // Server (Turin) and desktop/Strix Halo Zen 5 have 512-bit pipes; the mobile Strix Point
    // (0x20-0x2F) and Krackan (0x60-0x6F) run AVX-512 on 256-bit ones.
    CpuTableEntry{kAmd, 0x1A, 0x00, 0x1F, kZen5},
    CpuTableEntry{kAmd, 0x1A, 0x40, 0x4F, kZen5},
    CpuTableEntry{kAmd, 0x1A, 0x70, 0x7F, kZen5},
    CpuTableEntry{kAmd, 0x1A, 0x20, 0x2F, kZen5Mobile},
    CpuTableEntry{kAmd, 0x1A, 0x60, 0x6F, kZen5Mobile},

    CpuTableEntry{"ARM", -1, 0xD0C, 0xD0C, {"Neoverse N1", kNeon2x128, {}, ""}},
    // V1's SVE is 256 bits wide on two pipes; NEON uses the same hardware as 4 x 128.
    CpuTableEntry{"ARM", -1, 0xD40, 0xD40, {"Neoverse V1", {2, 256, "sve"}, kNeon4x128, ""}},
    CpuTableEntry{"ARM", -1, 0xD49, 0xD49, {"Neoverse N2", kNeon2x128, {}, ""}},
    CpuTableEntry{"ARM", -1, 0xD4F, 0xD4F, {"Neoverse V2", kNeon4x128, {}, ""}},
    CpuTableEntry{"ARM", -1, 0xD84, 0xD84, {"Neoverse V3", kNeon4x128, {}, ""}},
    CpuTableEntry{"ARM", -1, 0xD8E, 0xD8E, {"Neoverse N3", kNeon2x128, {}, ""}},
    CpuTableEntry{"Fujitsu", -1, 0x001, 0x001, {"A64FX", {2, 512, "sve"}, kNeon2x128, ""}},
};

bool has_isa(const CpuInventory& cpu, std::string_view isa) {
  return std::find(cpu.simd.begin(), cpu.simd.end(), isa) != cpu.simd.end();
}

// What a CPU that is not in the table declares, and what that implies. First match wins, so the
// most specific rule comes first. Left out on purpose: AMD family 0x17 (Zen 1's 128-bit pipes and
// Zen 2's 256-bit ones declare the same extensions) and Intel without AVX-512 (hybrid parts).
struct FeatureRule {
  std::string_view vendor;
  int family;                             // -1 matches any
  std::array<std::string_view, 2> needs;  // extensions all present; "" needs nothing
  CpuMicroarchitecture uarch;
};

constexpr std::array kFeatureRules = {
    FeatureRule{kIntel,
                -1,
                {"amx_tile", "avx512_fp16"},
                intel_avx512("Sapphire Rapids or newer (inferred from features)")},
    FeatureRule{kIntel,
                -1,
                {"avx512f", ""},
                intel_avx512("Intel AVX-512 server core (inferred from features)",
                             "assumes 2 AVX-512 FMA units per core; some Skylake-SP and Cascade "
                             "Lake parts have 1")},
    // A hidden avx512f leaves Zen 5's fallback, 2 x 256 bits.
    FeatureRule{kAmd,
                0x1A,
                {"", ""},
                {"Zen 5 (inferred from features)", kAvx512x2, kAvx2x256,
                 "assumes a server or desktop part; the mobile parts run AVX-512 on 256-bit "
                 "pipes"}},
    FeatureRule{kAmd,
                0x19,
                {"avx512f", ""},
                {"Zen 4 (inferred from features)", kZen4.fma, {}, kZen4.assumption}},
    FeatureRule{
        kAmd, 0x19, {"", ""}, {"Zen 3 or Zen 4 (inferred from features)", kAvx2x256, {}, ""}},
};

std::optional<CpuMicroarchitecture> infer_from_features(const CpuInventory& cpu) {
  for (const FeatureRule& rule : kFeatureRules) {
    if (rule.vendor != cpu.vendor || (rule.family != -1 && rule.family != cpu.family)) continue;
    if (std::ranges::all_of(
            rule.needs, [&](std::string_view isa) { return isa.empty() || has_isa(cpu, isa); })) {
      return rule.uarch;
    }
  }
  return std::nullopt;
}

// The FMA units the peak counts: the table's, which need their ISA exposed (an empty simd list
// means the flags were unreadable and the table is trusted as is), else its fallback. `why` says
// why the fallback was taken, or why there are none.
struct FmaChoice {
  std::optional<FmaUnits> fma;
  std::string why;
};

FmaChoice choose_fma_units(const CpuInventory& cpu, const CpuMicroarchitecture& uarch) {
  if (cpu.simd.empty() || has_isa(cpu, uarch.fma.isa)) return {uarch.fma, ""};
  if (!uarch.fallback || !has_isa(cpu, uarch.fallback->isa)) {
    return {std::nullopt, fmt::format("{} needs '{}', which this CPU does not expose", uarch.name,
                                      uarch.fma.isa)};
  }
  return {uarch.fallback,
          fmt::format("'{}' not exposed: {}-bit FMA", uarch.fma.isa, uarch.fallback->width_bits)};
}

Peak unknown(std::string why) { return {std::nullopt, "unknown: " + std::move(why)}; }

// What one core does per cycle at a precision, and the formula that says why; no ops_per_cycle
// (and the reason in formula) where this CPU has no unit for it.
struct CoreRate {
  std::optional<double> ops_per_cycle;
  std::string formula;
};

// Vector dot-product instructions on the FMA pipes: `per_lane` multiply-adds per 32-bit lane
// (vdpbf16ps and vfmadd*ph: 2 per 32 bits, vpdpbusd: 4), assumed to issue on every FMA pipe as
// an FMA does.
CoreRate dot_product_rate(const FmaUnits& fma, int per_lane, std::string_view what,
                          std::string_view instruction) {
  const int lanes = fma.width_bits / 32 * per_lane;
  return {lanes * fma.pipes * 2.0,
          fmt::format("{} {} lanes x {} FMA pipes x 2 ({}, dense; assumes one per FMA pipe per "
                      "cycle)",
                      lanes, what, fma.pipes, instruction)};
}

// AMX: one TMUL per core; Intel's figures for Sapphire Rapids and later (Intel Optimization
// Reference Manual, AMX chapter): 1,024 BF16 or FP16 FLOP, 2,048 INT8 operations per cycle. The
// clock is the one measured under vector FMAs; under AMX load Xeons run lower, so this peak is an
// upper bound.
CoreRate amx_rate(double ops, std::string_view what) {
  return {ops, fmt::format("{:.0f} {} per cycle (AMX TMUL, dense; at the vector FMA clock, "
                           "which AMX load lowers)",
                           ops, what)};
}

// `amx`: whether the AMX tiles the flags show count (not where the kernel did not use them).
CoreRate core_rate(const CpuInventory& cpu, const FmaUnits& fma, Precision precision, bool amx) {
  const auto flags_say = [&](std::string_view isa) {
    return (amx || !isa.starts_with("amx")) && has_isa(cpu, isa);
  };
  // `needs`: the x86 instructions the model counts at this precision; on another architecture
  // no rate is modelled (an ARM CPU's BF16 or INT8 dot products are not in the table).
  const auto none = [&](std::string_view needs) {
    if (cpu.vendor != kIntel && cpu.vendor != kAmd) {
      return CoreRate{std::nullopt,
                      fmt::format("no {} rate is modelled for {} CPUs", precision_label(precision),
                                  cpu.vendor.empty() ? "these" : cpu.vendor)};
    }
    return CoreRate{std::nullopt, cpu.simd.empty()
                                      ? std::string("the CPU's ISA extensions are unknown")
                                      : fmt::format("this CPU has no {}", needs)};
  };
  switch (precision) {
    case Precision::fp32:
    case Precision::fp64: {
      const int lanes = fma.width_bits / static_cast<int>(8 * size_of(precision));
      return {lanes * fma.pipes * 2.0, fmt::format("{} {} lanes x {} FMA pipes x 2", lanes,
                                                   precision_label(precision), fma.pipes)};
    }
    case Precision::bf16:
      if (flags_say("amx_bf16")) return amx_rate(1024, "BF16 FLOP");
      if (flags_say("avx512_bf16")) return dot_product_rate(fma, 2, "BF16 FMA", "vdpbf16ps");
      return none("BF16 instructions (amx_bf16, avx512_bf16)");
    case Precision::fp16:
      // AMX-FP16 (Granite Rapids) accumulates in FP32 at the BF16 rate. AVX512-FP16's FMAs
      // accumulate in FP16, not in the FP32 that this GEMM promises: FP16 inputs are multiplied
      // as FP32 (converted, then FP32 FMAs), so FP32's rate is the ceiling.
      if (flags_say("amx_fp16")) return amx_rate(1024, "FP16 FLOP");
      if (flags_say("avx512_fp16")) {
        const int lanes = fma.width_bits / 32;
        return {lanes * fma.pipes * 2.0,
                fmt::format("{} FP32 lanes x {} FMA pipes x 2 (FP16 converted to FP32: "
                            "AVX512-FP16's FMAs accumulate in FP16)",
                            lanes, fma.pipes)};
      }
      return none("FP16 arithmetic (avx512_fp16)");
    case Precision::int8:
      if (flags_say("amx_int8")) return amx_rate(2048, "INT8 ops");
      if (flags_say("avx512_vnni")) return dot_product_rate(fma, 4, "INT8 MAC", "vpdpbusd");
      return none("INT8 dot-product instructions (amx_int8, avx512_vnni)");
    case Precision::tf32:
    case Precision::fp8_e4m3:
      return {std::nullopt, fmt::format("no CPU {} unit is modelled", precision_label(precision))};
  }
  throw std::logic_error("unknown precision");
}

// --- GPU ------------------------------------------------------------------------------------

struct GpuLanes {
  int major;
  int minor;
  int fp32_lanes;  // per SM
  int fp64_lanes;  // per SM, CUDA cores
  // FP64 tensor-core throughput per SM in FMA lanes (0: no FP64 tensor cores), and how that
  // relates to the CUDA cores, for the basis.
  int fp64_tensor_lanes;
  std::string_view fp64_tensor_note;
};

// Lanes per SM by compute capability (docs/methodology.md, "Theoretical peak"). B200 (10.0):
// NVIDIA's datasheet gives the same FP64 figure with and without tensor cores (37 TFLOPS per GPU
// in HGX B200's table, 40 in earlier ones), so its tensor-core lanes equal its CUDA-core lanes.
constexpr std::array kGpuTable = {
    GpuLanes{7, 0, 64, 32, 0, ""},
    GpuLanes{7, 5, 64, 2, 0, ""},
    GpuLanes{8, 0, 64, 32, 64, "= the FP32 rate"},
    GpuLanes{8, 6, 128, 2, 0, ""},
    GpuLanes{8, 7, 128, 2, 0, ""},
    GpuLanes{8, 9, 128, 2, 0, ""},
    GpuLanes{9, 0, 128, 64, 128, "2x the FP64 CUDA-core rate"},
    GpuLanes{10, 0, 128, 64, 64, "= the FP64 CUDA-core rate"},
    GpuLanes{12, 0, 128, 2, 0, ""},
};

// Dense tensor-core multiply-adds per SM per clock (0: the precision has no tensor-core path),
// from NVIDIA's datasheet TFLOPS / (SMs x 2 x the clock those figures use): V100 (7.0), T4
// (7.5), A100 (8.0), A10/A40 (8.6: data-centre parts; GeForce GA10x halves the FP32-accumulate
// rates), L4/L40S (8.9: likewise), H100/H200 SXM (9.0: 989.4 BF16 TFLOPS dense = 132 SMs x
// 2,048 x 2 x 1,830 MHz, the clock NVIDIA's tensor figures assume; at the maximum SM clock of
// 1,980 MHz the same lanes give 1,070.5), B200 (10.0: HGX B200's dense 2,250 BF16 TFLOPS = 148
// SMs x 4,096 x 2 x 1,856 MHz, and FP8 and INT8 4,500 at 8,192; its TF32 1,100 is 1,125 rounded
// down). Not in the table (10.3, 12.0): unknown.
struct TensorLanes {
  int major;
  int minor;
  int tf32, bf16, fp16, fp8, int8;
};
constexpr std::array kTensorTable = {
    TensorLanes{7, 0, 0, 0, 512, 0, 0},
    TensorLanes{7, 5, 0, 0, 512, 0, 1024},
    TensorLanes{8, 0, 512, 1024, 1024, 0, 2048},
    TensorLanes{8, 6, 256, 512, 512, 0, 1024},
    TensorLanes{8, 9, 256, 512, 512, 1024, 1024},
    TensorLanes{9, 0, 1024, 2048, 2048, 4096, 4096},
    TensorLanes{10, 0, 2048, 4096, 4096, 8192, 8192},
};

const TensorLanes* find_tensor_lanes(int major, int minor) {
  for (const TensorLanes& entry : kTensorTable) {
    if (entry.major == major && entry.minor == minor) return &entry;
  }
  return nullptr;
}

const GpuLanes* find_gpu_lanes(int major, int minor) {
  for (const GpuLanes& entry : kGpuTable) {
    if (entry.major == major && entry.minor == minor) return &entry;
  }
  return nullptr;
}

}  // namespace

std::optional<CpuMicroarchitecture> find_cpu_microarchitecture(std::string_view vendor, int family,
                                                               int model) {
  for (const CpuTableEntry& entry : kCpuTable) {
    if (entry.vendor == vendor && (entry.family == -1 || entry.family == family) &&
        model >= entry.model_first && model <= entry.model_last) {
      return entry.uarch;
    }
  }
  return std::nullopt;
}

std::optional<CpuMicroarchitecture> identify_cpu_microarchitecture(const CpuInventory& cpu) {
  const auto named = [&](std::string_view word) {
    return cpu.model.find(word) != std::string::npos;
  };
  if (auto uarch = find_cpu_microarchitecture(cpu.vendor, cpu.family, cpu.model_number)) {
    // Skylake-SP Bronze, Silver and Gold 51xx have one AVX-512 FMA unit per core (but the Gold
    // 5122), as do Cascade Lake's Bronze and Silver; their model name tells. Gold 52xx and
    // Cooper Lake's Gold 53xxH keep the table's two, as does a hypervisor's generic name.
    if (cpu.vendor == kIntel && cpu.model_number == 0x55 &&
        (named("Bronze") || named("Silver") || (named("Gold 51") && !named("Gold 5122")))) {
      return CpuMicroarchitecture{"Skylake-SP/Cascade Lake (one AVX-512 FMA unit)",
                                  {1, 512, "avx512f"},
                                  kAvx2x256,
                                  "Bronze, Silver and Gold 51xx (but 5122) have one AVX-512 FMA "
                                  "unit per core"};
    }
    return uarch;
  }
  auto inferred = infer_from_features(cpu);
  // An Intel core with AVX-512 whose name says it is a client part has one 512-bit FMA unit, not
  // a server core's two: a Core (not a Xeon; a Rocket Lake, say), or one of the Xeons made of
  // Rocket Lake's client cores, the E-2300 and W-1300.
  const bool client_name =
      (named("Core") && !named("Xeon")) || named("Xeon(R) E-23") || named("Xeon(R) W-13");
  if (inferred && cpu.vendor == kIntel && inferred->fma.width_bits == 512 &&
      inferred->fma.pipes == 2 && client_name) {
    return intel_client_avx512("Intel AVX-512 client core (inferred from features and its name)");
  }
  return inferred;
}

std::optional<VectorReach> vector_reach(const CpuInventory& cpu, int bits) {
  const auto uarch = identify_cpu_microarchitecture(cpu);
  if (!uarch || bits <= 0) return std::nullopt;
  const auto fma = choose_fma_units(cpu, *uarch).fma;
  if (!fma) return std::nullopt;
  if (bits >= fma->width_bits) return VectorReach{*fma, 1};
  const bool fallback_takes_it = uarch->fallback && uarch->fallback->width_bits >= bits;
  const int pipes = fallback_takes_it ? std::max(fma->pipes, uarch->fallback->pipes) : fma->pipes;
  const double share = static_cast<double>(pipes * bits) / (fma->pipes * fma->width_bits);
  return VectorReach{*fma, std::min(share, 1.0)};
}

Peak cpu_peak(const CpuInventory& cpu, Precision precision, int threads, std::optional<bool> amx) {
  const auto uarch = identify_cpu_microarchitecture(cpu);
  if (!uarch) {
    return unknown(
        fmt::format("{} family {} model {} (0x{:X}) is not in the peak table, and its "
                    "ISA extensions do not identify it",
                    cpu.vendor.empty() ? "unknown vendor" : cpu.vendor, cpu.family,
                    cpu.model_number, cpu.model_number));
  }
  if (cpu.cores <= 0) return unknown("core count unknown");
  if (!cpu.clock_ghz || *cpu.clock_ghz <= 0) {
    return unknown(fmt::format("all-core clock unknown ({})", cpu.clock_source));
  }

  const FmaChoice choice = choose_fma_units(cpu, *uarch);
  if (!choice.fma) return unknown(choice.why);
  const FmaUnits fma = *choice.fma;
  const std::string& isa_note = choice.why;

  const int cores = threads <= 0 ? cpu.cores : std::min(threads, cpu.cores);
  const auto rate = core_rate(cpu, fma, precision, amx.value_or(true));
  if (!rate.ops_per_cycle) return unknown(rate.formula);
  // A cgroup quota below the cores gives the threads no more than that many CPUs' time.
  const bool quota_bound = cpu.quota && cpu.quota->cpus < cores;
  const double gflops =
      (quota_bound ? cpu.quota->cpus : cores) * *rate.ops_per_cycle * *cpu.clock_ghz;

  std::string notes(uarch->name);
  for (const std::string_view note :
       {std::string_view(uarch->assumption), std::string_view(isa_note)}) {
    if (!note.empty()) notes += fmt::format("; {}", note);
  }
  // The AMX flag that would have counted at this precision.
  const std::string_view amx_flag = precision == Precision::bf16   ? "amx_bf16"
                                    : precision == Precision::fp16 ? "amx_fp16"
                                    : precision == Precision::int8 ? "amx_int8"
                                                                   : "";
  if (amx == false && !amx_flag.empty() && has_isa(cpu, amx_flag)) {
    notes += "; the kernel did not run on the CPU's AMX tiles: the peak is of its vector units";
  }
  notes += cpu.clock_source.starts_with("measured") ? fmt::format("; {}", Peak::kClockMeasured)
                                                    : fmt::format("; clock: {}", cpu.clock_source);
  // Vector code narrower than the hardware (FLOPBENCH_MAX_VECTOR_BITS, or a build without the
  // wide pass) measures the clock under its own FMAs; wider ones can lower it.
  if (cpu.clock_vector_bits > 0 && cpu.clock_vector_bits < fma.width_bits) {
    notes += fmt::format(
        "; the clock was measured beside {}-bit FMAs (the vector kernels' width), and {}-bit ones "
        "may run at a lower clock: an upper bound",
        cpu.clock_vector_bits, fma.width_bits);
  }
  const std::string cpus = quota_bound ? fmt::format("{} {} (on {})", cpu.quota->cpus_text(),
                                                     Peak::kCpuQuota, counted(cores, "core"))
                                       : counted(cores, "core");
  return {gflops,
          fmt::format("{} x {} x {:.2f} GHz ({})", cpus, rate.formula, *cpu.clock_ghz, notes)};
}

bool has_fp64_tensor_cores(int cc_major, int cc_minor) {
  const GpuLanes* lanes = find_gpu_lanes(cc_major, cc_minor);
  return lanes != nullptr && lanes->fp64_tensor_lanes > 0;
}

Peak gpu_peak(int cc_major, int cc_minor, int sm_count, double sm_clock_mhz, Precision precision,
              bool fp64_tensor_cores) {
  const GpuLanes* lanes = find_gpu_lanes(cc_major, cc_minor);
  if (lanes == nullptr) {
    return unknown(
        fmt::format("compute capability {}.{} is not in the lane table", cc_major, cc_minor));
  }
  if (sm_count <= 0) return unknown("SM count not reported");
  if (sm_clock_mhz <= 0) return unknown("SM clock not reported");

  const std::string cc = fmt::format("cc {}.{}", cc_major, cc_minor);
  auto peak = [&](int lanes_per_sm, std::string_view what, std::string_view note) {
    const double gflops = sm_count * lanes_per_sm * 2.0 * sm_clock_mhz / 1e3;
    return Peak{gflops, fmt::format("{} SMs x {} {} x 2 x {:.0f} MHz ({}{})", sm_count,
                                    lanes_per_sm, what, sm_clock_mhz, cc, note)};
  };
  switch (precision) {
    case Precision::fp32:
      return peak(lanes->fp32_lanes, "FP32 lanes", "");
    case Precision::fp64:
      if (!fp64_tensor_cores) return peak(lanes->fp64_lanes, "FP64 lanes", "");
      if (lanes->fp64_tensor_lanes == 0) {
        return peak(lanes->fp64_lanes, "FP64 lanes", "; no FP64 tensor cores: CUDA-core peak");
      }
      return peak(lanes->fp64_tensor_lanes, "FP64 tensor-core lanes",
                  fmt::format("; FP64 tensor cores, {}", lanes->fp64_tensor_note));
    case Precision::tf32:
    case Precision::bf16:
    case Precision::fp16:
    case Precision::fp8_e4m3:
    case Precision::int8:
      break;
  }
  const TensorLanes* tensor = find_tensor_lanes(cc_major, cc_minor);
  if (tensor == nullptr) {
    return unknown(fmt::format("compute capability {}.{} is not in the tensor-core table", cc_major,
                               cc_minor));
  }
  const auto tensor_peak = [&](int per_sm) {
    if (per_sm == 0) {
      return unknown(fmt::format("{} has no {} tensor-core path", cc, precision_label(precision)));
    }
    return peak(per_sm,
                fmt::format("dense {} tensor-core {} lanes", precision_label(precision),
                            is_integer(precision) ? "MAC" : "FMA"),
                "; NVIDIA datasheet rate per SM per clock");
  };
  switch (precision) {
    case Precision::tf32:
      return tensor_peak(tensor->tf32);
    case Precision::bf16:
      return tensor_peak(tensor->bf16);
    case Precision::fp16:
      return tensor_peak(tensor->fp16);
    case Precision::fp8_e4m3:
      return tensor_peak(tensor->fp8);
    case Precision::int8:
      return tensor_peak(tensor->int8);
    case Precision::fp32:
    case Precision::fp64:
      break;
  }
  throw std::logic_error("unknown precision");
}

Peak gpu_peak(const GpuDevice& device, Precision precision, bool fp64_tensor_cores) {
  Peak p = gpu_peak(device.cc_major, device.cc_minor, device.sm_count, device.sm_clock_mhz,
                    precision, fp64_tensor_cores);
  // Compiled once: the runner asks for a peak per measurement.
  static const std::regex kNoTensorCores(
      R"(GTX 16|\bMX ?[45]50\b|\bT(400|500|550|600|1000|1200|2000)\b)");
  static const std::regex kH800(R"(\bH800\b)");
  static const std::regex kH20(R"(\bH20\b)");
  static const std::regex kGeForce("GeForce");
  static const std::regex kL40(R"(\bL40\b)");  // not the L40S
  const auto named = [&](const std::regex& pattern) {
    return std::regex_search(device.name, pattern);
  };
  const bool fp32_accumulating_tensor =
      precision == Precision::tf32 || precision == Precision::bf16 ||
      precision == Precision::fp16 || precision == Precision::fp8_e4m3;
  // Turing parts without tensor cores: the GeForce GTX 16 and MX450/550, the T400 to T2000.
  if (named(kNoTensorCores) && is_matrix_precision(precision)) {
    return unknown(fmt::format("{} has no tensor cores", device.name));
  }
  if ((named(kH800) && precision == Precision::fp64) ||
      (named(kH20) && (precision == Precision::fp64 || is_matrix_precision(precision)))) {
    return unknown(
        fmt::format("{}: an export variant whose {} rate is cut below its compute "
                    "capability's table",
                    device.name, precision_label(precision)));
  }
  if (p.gflops && fp32_accumulating_tensor && named(kGeForce)) {
    *p.gflops /= 2;
    p.basis += "; GeForce: half the data-centre rate with FP32 accumulation";
  }
  // The L40 has half the L40S's (and the L4's) tensor rate per SM at every matrix format: its
  // datasheet's dense BF16 181 TFLOPS and INT8 362 TOPS at 142 SMs and 2,490 MHz.
  if (p.gflops && is_matrix_precision(precision) && named(kL40)) {
    *p.gflops /= 2;
    p.basis += "; L40: half the tensor rate of its compute capability's table";
  }
  return p;
}

}  // namespace flopbench
