#pragma once

// OpenBLAS is optional: without it its implementations are registered as unsupported, so runs
// say why instead of leaving the comparison line out.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/registry.hpp"

#if FLOPBENCH_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace flopbench {

inline ImplementationSpec openblas_spec(std::string description) {
  ImplementationSpec spec{.name = "openblas",
                          .device = DeviceKind::cpu,
                          .description = std::move(description),
                          .library = "OpenBLAS"};
#if FLOPBENCH_HAVE_OPENBLAS
  // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ... Cooperlake": the version and the kernels chosen.
  const std::string_view config = openblas_get_config();
  spec.library_version = config.substr(config.starts_with("OpenBLAS ") ? 9 : 0);
#endif
  return spec;
}

// The vector width of OpenBLAS's x86 kernel sets, by the core names openblas_get_corename gives
// (DYNAMIC_ARCH's list, in any case, as OpenBLAS compares them): AVX-512 from SkylakeX on, AVX2 and
// AVX below, SSE before. Empty for names it does not know (other architectures, the AMD Bulldozer
// family).
inline std::optional<int> openblas_core_vector_bits(std::string_view core) {
  const auto is = [&](std::initializer_list<std::string_view> names) {
    return std::ranges::any_of(names, [&](std::string_view name) { return iequal(core, name); });
  };
  if (is({"SkylakeX", "Cooperlake", "SapphireRapids"})) return 512;
  if (is({"Haswell", "Zen", "Sandybridge"})) return 256;
  if (is({"Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2", "Penryn",
          "Dunnington", "Nehalem", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Nano",
          "Bobcat"})) {
    return 128;
  }
  return std::nullopt;
}

// The instruction sets that OpenBLAS's x86 kernel set `core` needs and `has` says the CPU lacks:
// OpenBLAS runs the kernels OPENBLAS_CORETYPE names whatever the CPU (SkylakeX's on a CPU without
// AVX-512), and the process dies of an illegal instruction. Empty where the CPU has them, or
// for a core whose needs are not known here.
inline std::vector<std::string_view> openblas_core_lacks(
    std::string_view core, const std::function<bool(std::string_view)>& has) {
  const auto is = [&](std::initializer_list<std::string_view> names) {
    return std::ranges::any_of(names, [&](std::string_view name) { return iequal(core, name); });
  };
  std::vector<std::string_view> needs;
  if (is({"SkylakeX", "Cooperlake", "SapphireRapids"})) {
    needs = {"avx512f", "avx512bw", "avx512dq", "avx512vl"};
    if (!is({"SkylakeX"})) needs.emplace_back("avx512bf16");
  } else if (is({"Haswell", "Zen"})) {
    needs = {"avx2", "fma"};
  } else if (is({"Sandybridge"})) {
    needs = {"avx"};
  } else if (is({"Bulldozer"})) {
    needs = {"avx", "fma4"};
  } else if (is({"Piledriver", "Steamroller", "Excavator"})) {
    needs = {"avx", "fma"};
  }
  std::erase_if(needs, has);
  return needs;
}

// Whether this CPU (and its operating system) runs an instruction set openblas_core_lacks names.
inline bool x86_cpu_has(std::string_view isa) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (isa == "avx") return __builtin_cpu_supports("avx");
  if (isa == "avx2") return __builtin_cpu_supports("avx2");
  if (isa == "fma") return __builtin_cpu_supports("fma");
  if (isa == "fma4") return __builtin_cpu_supports("fma4");
  if (isa == "avx512f") return __builtin_cpu_supports("avx512f");
  if (isa == "avx512bw") return __builtin_cpu_supports("avx512bw");
  if (isa == "avx512dq") return __builtin_cpu_supports("avx512dq");
  if (isa == "avx512vl") return __builtin_cpu_supports("avx512vl");
  if (isa == "avx512bf16") return __builtin_cpu_supports("avx512bf16");
#endif
  return false;
}

inline const char* kNoOpenBlas =
    "flopbench was built without OpenBLAS (install libopenblas-dev and rebuild)";

#if FLOPBENCH_HAVE_OPENBLAS
// OpenBLAS runs its own thread pool: give it the thread count the rest of the run uses.
inline void use_openmp_thread_count() { openblas_set_num_threads(omp_get_max_threads()); }

// The kernels OpenBLAS runs, and what chose them. A DYNAMIC_ARCH build (Debian's) detects the
// CPU, unless OPENBLAS_CORETYPE (which some images set) names a core it has, in any case
// (otherwise it says "Core not found" and detects the CPU itself); the variable can hold it to
// half the vector width of the CPU (Haswell's AVX2 on an AVX-512 CPU), which its figures then
// reflect. Any other build runs the one target it was built for.
struct OpenBlasCore {
  std::string name;    // openblas_get_corename()
  std::string forced;  // OPENBLAS_CORETYPE, "" when unset or empty
  bool dynamic = true;

  // "with OPENBLAS_CORETYPE=Haswell set", "its own choice for this CPU", ...
  std::string choice() const {
    if (!dynamic) return "the target this OpenBLAS was built for";
    if (!forced.empty()) return fmt::format("with OPENBLAS_CORETYPE={} set", forced);
    return "its own choice for this CPU";
  }
  // What an operator can do about kernels narrower than the CPU's, "" when nothing.
  std::string remedy() const {
    if (!dynamic) return "";
    if (forced.empty()) return ": an OpenBLAS older than this CPU may not know it";
    return iequal(name, forced) ? ": unset it to let OpenBLAS choose" : "";
  }
};

inline OpenBlasCore openblas_core() {
  const char* forced = std::getenv("OPENBLAS_CORETYPE");
  return {openblas_get_corename(), forced != nullptr ? forced : "",
          std::string_view(openblas_get_config()).find("DYNAMIC_ARCH") != std::string_view::npos};
}

inline std::vector<std::string> openblas_notes() {
  const OpenBlasCore core = openblas_core();
  return {fmt::format("OpenBLAS kernels: {}, {}", core.name, core.choice())};
}

// Why OpenBLAS cannot run on this CPU: the kernels it chose, or was made to choose, need
// instructions the CPU lacks (openblas_core_lacks); "" where it can.
inline std::string openblas_unavailable_reason(Precision) {
  const OpenBlasCore core = openblas_core();
  const auto lacks = openblas_core_lacks(core.name, x86_cpu_has);
  if (lacks.empty()) return "";
  return fmt::format(
      "OpenBLAS would run its {} kernels ({}), which need {} that this CPU lacks: it would die of "
      "an illegal instruction{}",
      core.name, core.choice(), fmt::join(lacks, ", "),
      core.forced.empty() ? "" : "; unset OPENBLAS_CORETYPE, or name a core this CPU runs");
}

// An OpenBLAS implementation of workload W, refused where the CPU cannot run its kernels.
template <class W, template <class> class K>
Implementation openblas_implementation(std::string description) {
  Implementation impl = make_implementation<W, K>(openblas_spec(std::move(description)));
  impl.unavailable_reason = openblas_unavailable_reason;
  return impl;
}

inline std::optional<VectorWidth> openblas_vector_width() {
  const OpenBlasCore core = openblas_core();
  const auto bits = openblas_core_vector_bits(core.name);
  if (!bits) return std::nullopt;
  return VectorWidth{
      *bits, fmt::format("OpenBLAS's {} kernels, {}{}", core.name, core.choice(), core.remedy())};
}
#endif

}  // namespace flopbench
