#include "harness/machine/cpuid_caches.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <tuple>
#include <utility>

namespace flopbench {

std::vector<CacheLevel> caches_from_cpuid(const CpuidCacheLeaves& leaves, int usable_cpus,
                                          int threads_per_core) {
  usable_cpus = std::max(1, usable_cpus);
  std::vector<CacheLevel> caches;
  const auto add = [&](int level, std::string type, std::int64_t size_bytes, int sharing) {
    if (size_bytes <= 0) return;
    const int shared_by = std::clamp(sharing, 1, usable_cpus);
    caches.push_back({.level = level,
                      .type = std::move(type),
                      .size_bytes = size_bytes,
                      .shared_by_cpus = shared_by,
                      .instances = (usable_cpus + shared_by - 1) / shared_by});
  };
  // Intel SDM vol. 2A, CPUID leaf 4; AMD APM vol. 3, Fn8000_001D: the same layout.
  for (const CpuidRegisters& r : leaves.deterministic) {
    static constexpr std::array<const char*, 4> kTypes = {"", "Data", "Instruction", "Unified"};
    const std::uint32_t type = r.eax & 0x1F;
    if (type == 0 || type >= kTypes.size()) break;
    const std::int64_t ways = (r.ebx >> 22) + 1, partitions = ((r.ebx >> 12) & 0x3FF) + 1,
                       line = (r.ebx & 0xFFF) + 1, sets = std::int64_t{r.ecx} + 1;
    add(static_cast<int>((r.eax >> 5) & 0x7), kTypes[type], ways * partitions * line * sets,
        static_cast<int>((r.eax >> 14) & 0xFFF) + 1);
  }
  if (leaves.deterministic.empty() && leaves.amd_legacy) {
    // AMD APM vol. 3, Fn8000_0005 and Fn8000_0006: sizes in KiB, L3 in 512 KiB units.
    const auto& [l1, l2l3] = *leaves.amd_legacy;
    add(1, "Data", std::int64_t{l1.ecx >> 24} << 10, threads_per_core);
    add(1, "Instruction", std::int64_t{l1.edx >> 24} << 10, threads_per_core);
    add(2, "Unified", std::int64_t{l2l3.ecx >> 16} << 10, threads_per_core);
    // L3 associativity 9 means "take every field from Fn8000_001D": the size is not the L3's.
    if (((l2l3.edx >> 12) & 0xF) != 9) {
      add(3, "Unified", std::int64_t{l2l3.edx >> 18} << 19, usable_cpus);
    }
  }
  std::stable_sort(caches.begin(), caches.end(), [](const CacheLevel& a, const CacheLevel& b) {
    return std::tie(a.level, a.type) < std::tie(b.level, b.type);
  });
  return caches;
}

CpuidCacheLeaves read_cpuid_cache_leaves() {
  CpuidCacheLeaves leaves;
#if defined(__x86_64__) || defined(__i386__)
  // __get_cpuid_count checks the leaf against the highest one the CPU supports.
  const auto query = [](unsigned leaf, unsigned subleaf) -> std::optional<CpuidRegisters> {
    CpuidRegisters r;
    if (__get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx) == 0) return std::nullopt;
    return r;
  };
  const auto extended = query(0x80000001, 0);
  const bool topology_extensions = extended && (extended->ecx & (1U << 22)) != 0;
  const unsigned leaf = topology_extensions ? 0x8000001D : 4;
  for (unsigned subleaf = 0; subleaf < 16; ++subleaf) {
    const auto r = query(leaf, subleaf);
    if (!r || (r->eax & 0x1F) == 0) break;
    leaves.deterministic.push_back(*r);
  }
  // Leaf 4 reads as zeros on AMD, and hypervisors may hide 0x8000001D.
  if (leaves.deterministic.empty()) {
    const auto l1 = query(0x80000005, 0), l2l3 = query(0x80000006, 0);
    if (l1 && l2l3) leaves.amd_legacy = std::array{*l1, *l2l3};
  }
#endif
  return leaves;
}

}  // namespace flopbench
