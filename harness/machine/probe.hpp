#pragma once

// Readers of what Linux says about this machine: /proc, sysfs and the scheduler. The parsers are
// pure functions over file text or a sysfs root so that tests can feed recorded samples. Missing
// or malformed files leave fields empty or unknown; nothing here throws on bad data.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/results.hpp"

namespace flopbench {

// The whole text of a file; "" when it cannot be read.
std::string read_text(const std::filesystem::path& path);

// A file that holds one integer, decimal or 0x-prefixed hexadecimal; empty when unreadable.
std::optional<long long> read_integer(const std::filesystem::path& path);

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
  int cores = 0;         // distinct cores among `usable` (core_of in probe.cpp)
  int logical_cpus = 0;  // size of `usable`
};

// Reads <cpu_root>/cpuN/topology/ (physical_package_id; a core by its threads' list,
// core_cpus_list or thread_siblings_list, else by core_id; cpu_root is normally
// /sys/devices/system/cpu). Empty when a CPU's topology is unreadable.
std::optional<CpuTopology> read_cpu_topology(const std::filesystem::path& cpu_root,
                                             const std::vector<int>& online,
                                             const std::vector<int>& usable);

// Caches of the first CPU in `online` from <cpu_root>/cpuN/cache/index*/, sorted by level and
// type; instances counts the distinct shared_cpu_lists of that cache over all of `online`.
std::vector<CacheLevel> read_caches(const std::filesystem::path& cpu_root,
                                    const std::vector<int>& online);

// The PCI vendor:device id ("10de:2330") of the device at bus id `bus_id` ("0000:17:00.0", any
// case) from <pci_root>/<bus id>/{vendor,device} (pci_root is normally /sys/bus/pci/devices);
// "" when unreadable. The CUDA runtime names the bus slot, not the product, so specs keyed by
// PCI device id need this.
std::string read_pci_device_id(const std::filesystem::path& pci_root, std::string_view bus_id);
// The CPUs local to that device, those of its NUMA node, as <pci_root>/<bus id>/local_cpulist
// lists them ("0-47,96-143"); "" when unreadable.
std::string read_pci_local_cpus(const std::filesystem::path& pci_root, std::string_view bus_id);

// How many NVIDIA GPUs (vendor 0x10de, class display controller: VGA 0x0300 or 3D 0x0302) the
// PCI bus lists under `pci_root`, whether or not a driver sees them; none when the directory
// cannot be listed. NVSwitches and other NVIDIA bridges are not GPUs.
std::optional<int> count_pci_nvidia_gpus(const std::filesystem::path& pci_root);

// Whether /proc/self/mountinfo shows a file system mounted over /proc/stat (lxcfs in a
// container), whose per-CPU lines are numbered its own way.
bool proc_stat_is_mounted_over(std::string_view mountinfo);

// The first of `usable` on each physical core (package, core id), ascending; empty where a CPU's
// topology is unreadable.
std::vector<int> first_cpu_of_each_core(const std::filesystem::path& cpu_root,
                                        const std::vector<int>& usable);

// The least CPU quota among the cgroup of this process and its ancestors, as far up as the
// cgroup mount shows them: cgroup v1's cpu.cfs_quota_us over cpu.cfs_period_us in the hierarchy
// that holds the cpu controller, else cgroup v2's cpu.max. `mountinfo` and `self_cgroup` are the
// texts of /proc/self/mountinfo and /proc/self/cgroup; `root` is prefixed to the mount points
// ("/" on a live system). None where no level sets a quota or none can be read.
std::optional<CpuQuota> read_cpu_quota(std::string_view mountinfo, std::string_view self_cgroup,
                                       const std::filesystem::path& root);

// What a cgroup memory limit leaves this process: the least, among its cgroup and its ancestors
// (found as read_cpu_quota finds them, in the cgroup v1 hierarchy that holds the memory
// controller, else v2), of a level's limit less what that cgroup uses and cannot drop at once:
// v1 memory.limit_in_bytes less memory.usage_in_bytes and total_inactive_file of memory.stat, v2
// memory.max less memory.current and inactive_file. `limit` is that level's. None where no level
// sets a limit (v2 "max", v1's page-rounded 2^63) or none can be read.
struct CgroupMemory {
  MemoryLimit limit;
  std::int64_t headroom_bytes = 0;
};
std::optional<CgroupMemory> read_cgroup_memory(std::string_view mountinfo,
                                               std::string_view self_cgroup,
                                               const std::filesystem::path& root);

// The threads a run starts by default: `threads`, but no more than whole CPUs of the quota (and
// at least one), so that none waits for the quota's next period.
int threads_within_quota(int threads, const std::optional<CpuQuota>& quota);

// --- this machine ------------------------------------------------------------------------------

// The logical CPUs this process may run on, ascending: the calling thread's affinity mask
// (sched_getaffinity; the main thread's is the process's; the one it had while HeldNearGpu
// holds it), or under OpenMP binding
// (OMP_PROC_BIND, OMP_PLACES or GOMP_CPU_AFFINITY) the CPUs of OpenMP's places, since the
// runtime binds the initial thread to the first place.
std::vector<int> usable_cpus();

// first_cpu_of_each_core of this process's usable CPUs in /sys/devices/system/cpu.
std::vector<int> usable_cpu_of_each_core();

// The CPU quota of this process's cgroups (read_cpu_quota on /proc/self).
std::optional<CpuQuota> cpu_quota();

// The memory limit of this process's cgroups (read_cgroup_memory on /proc/self).
std::optional<CgroupMemory> cgroup_memory();

// The CPUs of the calling thread's affinity mask, ascending; empty when unreadable.
std::vector<int> thread_affinity();
// Sets the calling thread's affinity mask to `cpus`; false where the kernel refuses it.
bool set_thread_affinity(const std::vector<int>& cpus);

// Holds the calling thread to `cpus` while it lives, then gives it back the CPUs it had (an
// OpenMP thread outlives the region, and the workloads' teams must not inherit a pin). The CPUs
// may lie outside the thread's mask (OpenMP binds each thread to its place); does nothing where
// `cpus` is empty or the mask cannot be read or set.
class ScopedAffinity {
 public:
  explicit ScopedAffinity(const std::vector<int>& cpus) {
    if (cpus.empty()) return;
    saved_ = thread_affinity();
    bound_ = !saved_.empty() && set_thread_affinity(cpus);
  }
  ~ScopedAffinity() {
    if (bound_) set_thread_affinity(saved_);
  }
  ScopedAffinity(const ScopedAffinity&) = delete;
  ScopedAffinity& operator=(const ScopedAffinity&) = delete;

 private:
  std::vector<int> saved_;
  bool bound_ = false;
};

// Holds the calling thread, while it lives, on the CPUs of a GPU's NUMA node (`local`, a kernel
// CPU list: the GPU's local_cpus) that the process may use, so that the host memory it allocates
// and first touches is on the GPU's node; then gives it back the CPUs it had. Meanwhile
// usable_cpus() on this thread still answers with the process's CPUs, so that the contention
// sampler watches all of them. An OpenMP thread started meanwhile would keep the node's CPUs for
// good: those of the team are given this thread's CPUs back at the end (unless OpenMP binds its
// threads itself: OMP_PROC_BIND, OMP_PLACES, GOMP_CPU_AFFINITY). Does nothing where `local` is
// unknown or holds all of the process's CPUs or none of them, or where the thread is held
// already (a hold inside another keeps the outer one).
class HeldNearGpu {
 public:
  explicit HeldNearGpu(std::string_view local);
  ~HeldNearGpu();
  HeldNearGpu(const HeldNearGpu&) = delete;
  HeldNearGpu& operator=(const HeldNearGpu&) = delete;
  bool held() const { return held_; }

 private:
  std::vector<int> usable_, saved_, near_;
  bool held_ = false;
};

// Memory this process may still allocate: MemAvailable, or what a cgroup memory limit leaves
// where that is less (`limited_by`; 0 bytes where the cgroup is full). 0 bytes and no limit:
// neither is known.
struct AvailableMemory {
  std::int64_t bytes = 0;
  std::optional<MemoryLimit> limited_by;

  // Whether `need` bytes fit in 90 % of it (true where nothing is known).
  bool holds(double need) const;
  // "7.5 GiB is available", or "0.4 GiB is available (what the cgroup memory limit of 1.0 GiB
  // leaves: /sys/fs/cgroup/memory.max)"
  std::string text() const;
};
// Of MemAvailable (0: unknown) and a cgroup's memory, what this process may allocate.
AvailableMemory available_memory_of(std::int64_t mem_available,
                                    const std::optional<CgroupMemory>& cgroup);
// available_memory_of this machine's /proc/meminfo and cgroup_memory().
AvailableMemory available_memory();

}  // namespace flopbench
