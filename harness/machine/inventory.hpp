#pragma once

// The environment every result file records (docs/methodology.md, "Environment"): build, host, CPU
// and GPU inventory. The parsers are pure functions over file text or a sysfs root so that tests
// can feed recorded samples; cpu_inventory() runs them on this machine's files. Missing or
// malformed files leave fields empty or unknown; nothing here throws on bad data.

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/results.hpp"

namespace flopbench {

// --- parsers ----------------------------------------------------------------------------------

// /proc/cpuinfo. Fills model, vendor, family, model_number, stepping, microarchitecture, simd,
// and sockets, cores and logical_cpus counted over every processor listed (cpu_inventory()
// replaces the counts with those usable by this process). x86: from vendor_id, cpu family,
// model, stepping, physical id, core id and flags. ARM: vendor is the implementer's name ("ARM"),
// family the architecture, model_number the part number, stepping the revision, simd from
// Features; the model is "<vendor> <microarchitecture>" when the kernel gives no model name.
CpuInventory parse_cpuinfo(std::string_view text);

// A kernel CPU list ("0-3,8-11", "5"); malformed pieces are skipped.
std::vector<int> parse_cpu_list(std::string_view text);

// A field of /proc/meminfo ("MemTotal", "MemAvailable") in bytes; 0 when absent.
std::int64_t parse_meminfo(std::string_view text, std::string_view key);

// PRETTY_NAME from /etc/os-release, unquoted; "" when absent.
std::string parse_os_release(std::string_view text);

struct CpuTopology {
  int sockets = 0;       // packages holding any of `online`
  int cores = 0;         // distinct (package, core) pairs among `usable`
  int logical_cpus = 0;  // size of `usable`
};

// Reads <cpu_root>/cpuN/topology/{physical_package_id,core_id} (cpu_root is normally
// /sys/devices/system/cpu). Empty when a CPU's topology is unreadable.
std::optional<CpuTopology> read_cpu_topology(const std::filesystem::path& cpu_root,
                                             const std::vector<int>& online,
                                             const std::vector<int>& usable);

// Caches of the first CPU in `online` from <cpu_root>/cpuN/cache/index*/, sorted by level and
// type; instances counts the distinct shared_cpu_lists of that cache over all of `online`.
std::vector<CacheLevel> read_caches(const std::filesystem::path& cpu_root,
                                    const std::vector<int>& online);

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
  // sharing; read only when there are no deterministic leaves.
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

// The PCI vendor:device id ("10de:2330") of the device at bus id `bus_id` ("0000:17:00.0", any
// case) from <pci_root>/<bus id>/{vendor,device} (pci_root is normally /sys/bus/pci/devices);
// "" when unreadable. The CUDA runtime names the bus slot, not the product, so specs keyed by
// PCI device id need this.
std::string read_pci_device_id(const std::filesystem::path& pci_root, std::string_view bus_id);

// --- this machine ------------------------------------------------------------------------------

// The logical CPUs this process may run on (sched_getaffinity), ascending.
std::vector<int> usable_cpus();

// Memory this process may still allocate (MemAvailable), or 0 when unknown.
std::int64_t available_memory_bytes();

// The all-core clock in GHz, measured: every usable CPU (or `threads` of them when > 0) runs a
// chain of dependent integer adds at once for ~0.3 s of CPU time; one add completes per cycle,
// so adds per CPU-second per thread is the clock. Returns the median over threads of each
// thread's median window. A scalar measurement: on Intel parts with AVX-512 frequency licences
// the vector clock can be lower, which the measured `peak` workload shows.
double measure_cpu_clock_ghz(int threads = 0);

// The caches of the logical CPUs `cpus` (the online or the usable ones): from sysfs
// (read_caches), else from CPUID with instances counted over `cpus`.
std::vector<CacheLevel> cpu_caches(const std::vector<int>& cpus);

CpuInventory cpu_inventory();

// Defined in kernels/gpu_inventory.cpp (CUDA build) or harness/gpu_inventory_unavailable.cpp.
// Never throws: a CUDA failure empties devices and says why in no_device_reason.
GpuInventory gpu_inventory();

// Versions of the GPU libraries loaded at run time (cuBLAS), or why one could not be loaded; empty
// in a CPU-only build. Defined beside gpu_inventory().
std::map<std::string, std::string> gpu_libraries();

// Build facts, host, OS, library versions, OpenMP environment, CPU and GPU inventory.
// extra_libraries (Eigen, OpenBLAS, cuBLAS versions from the implementations) are added to the
// libraries this file knows, replacing any of the same name.
Environment collect_environment(const std::map<std::string, std::string>& extra_libraries);

// The text `flopbench info` prints. Without GPUs, the GPU block holds exactly one line that
// starts "no CUDA device: " followed by the reason.
std::string describe_environment(const Environment& env);

}  // namespace flopbench
