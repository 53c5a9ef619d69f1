#pragma once

// An x86 CPU's caches from CPUID, for machines whose kernel shows no sysfs cache entries (some
// virtual machines). Decoding is pure, so that tests can feed recorded register values.

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "harness/core/results.hpp"

namespace flopbench {

// The registers of one x86 CPUID leaf and subleaf.
struct CpuidRegisters {
  std::uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

// The CPUID leaves that describe an x86 CPU's caches, for machines without sysfs cache entries
// (some virtual machines).
struct CpuidCacheLeaves {
  // Deterministic cache parameters, one subleaf per cache: leaf 4 (Intel) or 0x8000001D (AMD
  // with topology extensions; AMD reserves leaf 4).
  std::vector<CpuidRegisters> deterministic;
  // AMD's older descriptions, 0x80000005 (L1) and 0x80000006 (L2, L3), which say nothing about
  // sharing; read only when there are no deterministic leaves. Their L3 is left out when its
  // associativity field defers to 0x8000001D.
  std::optional<std::array<CpuidRegisters, 2>> amd_legacy;
};

// The caches CPUID describes, sorted like read_caches(). Sharing is counted against the usable
// CPUs: a cache shared by n of them has ceil(usable_cpus / n) instances. The deterministic leaves
// give n as the logical processor ids that share the cache, which can exceed the CPUs this
// process sees (capped at usable_cpus); the legacy leaves give none, so L1 and L2 are taken to be
// per core (threads_per_core CPUs) and L3 to be shared by every usable CPU.
std::vector<CacheLevel> caches_from_cpuid(const CpuidCacheLeaves& leaves, int usable_cpus,
                                          int threads_per_core);

// This CPU's cache leaves; empty on non-x86 builds.
CpuidCacheLeaves read_cpuid_cache_leaves();

}  // namespace flopbench
