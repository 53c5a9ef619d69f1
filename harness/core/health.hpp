#pragma once

// Health facts (docs/results-schema.md, "health"): what NVML, nvidia-smi, the kernel log and
// the operating system say about the state of the machine's GPUs and host, recorded by `info`
// and `run` and judged by acceptance specs (docs/acceptance.md, "Health facts"). A fact that
// could not be read says why; it is never recorded as 0.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flopbench {

// One fact: a number, a text, or why it is unknown.
struct HealthFact {
  std::optional<double> number;
  std::string text;     // a text fact ("96.00.74.00.01"); "" for a number
  std::string unknown;  // why it could not be read ("permission", "not supported"); "" when known

  static HealthFact of(double v) { return {v, "", ""}; }
  static HealthFact of_text(std::string v) { return {std::nullopt, std::move(v), ""}; }
  static HealthFact unknown_because(std::string why) { return {std::nullopt, "", std::move(why)}; }
  bool known() const { return unknown.empty(); }
  bool operator==(const HealthFact&) const = default;
};

// Fact name ("ecc.uncorrected_volatile") -> fact.
using HealthFacts = std::map<std::string, HealthFact>;

// The health of one GPU, as NVML (or nvidia-smi) enumerates it: CUDA need not see it.
struct GpuHealth {
  // The GPU's name in metrics and measurements ("gpu<index>"): CUDA's index where CUDA sees
  // this GPU (matched by PCI bus id), else NVML's.
  int index = 0;
  int nvml_index = 0;
  bool cuda_visible = false;
  // NVML lists it but says it is lost (its handle failed with GPU_IS_LOST, or an unknown error):
  // not a GPU this process may not open (NO_PERMISSION, as in a job confined to other GPUs).
  bool lost = false;
  std::string name;           // "NVIDIA H100 80GB HBM3"
  std::string pci_bus_id;     // as NVML writes it, "00000000:17:00.0"
  std::string pci_device_id;  // "10de:2330"; "" when unknown
  HealthFacts facts;
  bool operator==(const GpuHealth&) const = default;
};

struct MachineHealth {
  std::string gpu_source;  // "nvml" or "nvidia-smi"; "" when neither answered
  // Why no GPU's facts could be read ("" when gpu_source is set): a GPU that CUDA sees and this
  // does not list has every fact unknown for this reason.
  std::string gpu_unknown;
  std::string kernel_log;  // where XID errors were read from: "/dev/kmsg" or the override file
  HealthFacts host;        // cpu.count, memory.gib, numa.nodes, pci.nvidia_gpus
  std::vector<GpuHealth> gpus;
  bool operator==(const MachineHealth&) const = default;
};

// The NVIDIA GPUs the machine lists whether or not CUDA sees them: the PCI bus's count, or the
// driver's (NVML, nvidia-smi) where more. A GPU node whose driver lost or never loaded its GPUs
// still lists them on its bus.
int nvidia_gpus_listed(const MachineHealth& health);

// How the process was given GPUs: CUDA_VISIBLE_DEVICES and NVIDIA_VISIBLE_DEVICES (a container's),
// nullopt where unset.
struct GpuVisibility {
  std::optional<std::string> cuda_visible_devices;
  std::optional<std::string> nvidia_visible_devices;
};

// The GPUs a process was given that CUDA, seeing `cuda_seen`, does not: a lost GPU, one in MIG
// mode (CUDA sees a single MIG instance unless told which). Where CUDA sees none, every GPU the
// machine lists (nvidia_gpus_listed: its driver may not have loaded); where CUDA_VISIBLE_DEVICES
// names GPUs (a Slurm job's), those it names beyond the ones CUDA sees (none for MIG instances);
// else those NVML lists that CUDA does not see (not the PCI bus's: a container's shows the host's
// GPUs, given to it or not). 0 where GPUs are hidden on purpose (CUDA_VISIBLE_DEVICES empty, "-1"
// or Slurm's "NoDevFiles"; NVIDIA_VISIBLE_DEVICES "void" or "none").
int gpus_cuda_misses(const MachineHealth& health, int cuda_seen, const GpuVisibility& given);

enum class FactKind { number, text };

// The groups reports show the facts in (report.md and report.html: a table each), in the
// order of the tables below.
enum class HealthGroup {
  host,
  identity,
  memory_errors,
  pcie,
  nvlink,
  power_clocks,
  processes,
  xid
};

struct HealthFactInfo {
  std::string_view name;
  FactKind kind;
  std::string_view description;
  HealthGroup group;
};

// "Memory errors", "PCIe": a group's title in reports.
std::string_view health_group_title(HealthGroup g);

// Every GPU fact, in the order `info` shows them. The numbers are acceptance metrics
// ("gpu.<name>"); docs/acceptance.md lists them.
inline constexpr std::array kGpuHealthFacts = {
    HealthFactInfo{"uuid", FactKind::text, "GPU UUID", HealthGroup::identity},
    HealthFactInfo{"serial", FactKind::text, "board serial number", HealthGroup::identity},
    HealthFactInfo{"vbios", FactKind::text, "VBIOS version", HealthGroup::identity},
    HealthFactInfo{"inforom", FactKind::text, "InfoROM image version", HealthGroup::identity},
    HealthFactInfo{"driver", FactKind::text, "driver version", HealthGroup::identity},
    HealthFactInfo{"persistence_mode", FactKind::number, "persistence mode (1 on, 0 off)",
                   HealthGroup::identity},
    HealthFactInfo{"ecc.enabled", FactKind::number, "ECC mode (1 on, 0 off)",
                   HealthGroup::memory_errors},
    HealthFactInfo{"ecc.corrected_volatile", FactKind::number,
                   "corrected ECC errors since the driver loaded", HealthGroup::memory_errors},
    HealthFactInfo{"ecc.uncorrected_volatile", FactKind::number,
                   "uncorrected ECC errors since the driver loaded", HealthGroup::memory_errors},
    HealthFactInfo{"ecc.corrected_aggregate", FactKind::number,
                   "corrected ECC errors over the GPU's life", HealthGroup::memory_errors},
    HealthFactInfo{"ecc.uncorrected_aggregate", FactKind::number,
                   "uncorrected ECC errors over the GPU's life", HealthGroup::memory_errors},
    HealthFactInfo{"retired_pages.count", FactKind::number,
                   "retired memory pages (before Ampere; single- and double-bit causes)",
                   HealthGroup::memory_errors},
    HealthFactInfo{"retired_pages.pending", FactKind::number,
                   "a page retirement waits for a reset (1 yes, 0 no; before Ampere)",
                   HealthGroup::memory_errors},
    HealthFactInfo{"row_remap.corrected", FactKind::number,
                   "rows remapped for corrected errors (Ampere and later)",
                   HealthGroup::memory_errors},
    HealthFactInfo{"row_remap.uncorrected", FactKind::number,
                   "rows remapped for uncorrected errors (Ampere and later)",
                   HealthGroup::memory_errors},
    HealthFactInfo{"row_remap.pending", FactKind::number,
                   "a row remapping waits for a reset (1 yes, 0 no)", HealthGroup::memory_errors},
    HealthFactInfo{"row_remap.failed", FactKind::number,
                   "a row remapping failed (1 yes, 0 no): the GPU needs service",
                   HealthGroup::memory_errors},
    HealthFactInfo{"pcie.gen", FactKind::number,
                   "current PCIe link generation (an idle GPU trains down to save power)",
                   HealthGroup::pcie},
    HealthFactInfo{"pcie.gen_max", FactKind::number,
                   "the highest PCIe generation the link can train to, GPU and slot together",
                   HealthGroup::pcie},
    HealthFactInfo{"pcie.width", FactKind::number, "current PCIe link width (lanes)",
                   HealthGroup::pcie},
    HealthFactInfo{"pcie.width_max", FactKind::number, "the widest the PCIe link can train to",
                   HealthGroup::pcie},
    HealthFactInfo{"pcie.replay_count", FactKind::number, "PCIe replay counter", HealthGroup::pcie},
    HealthFactInfo{"nvlink.active", FactKind::number, "active NVLink links (0: none)",
                   HealthGroup::nvlink},
    HealthFactInfo{"nvlink.errors", FactKind::number,
                   "NVLink replay, recovery and CRC errors summed over the active links",
                   HealthGroup::nvlink},
    HealthFactInfo{"fabric.state", FactKind::text,
                   "NVLink fabric registration: completed, in progress, not started, or none",
                   HealthGroup::nvlink},
    HealthFactInfo{"power.limit_w", FactKind::number, "enforced power limit, W",
                   HealthGroup::power_clocks},
    HealthFactInfo{"power.default_limit_w", FactKind::number, "default power limit, W",
                   HealthGroup::power_clocks},
    HealthFactInfo{"power.limit_percent_of_default", FactKind::number,
                   "enforced power limit as a percentage of the default",
                   HealthGroup::power_clocks},
    HealthFactInfo{"clocks.applications_sm_mhz", FactKind::number, "application SM clock, MHz",
                   HealthGroup::power_clocks},
    HealthFactInfo{"clocks.applications_memory_mhz", FactKind::number,
                   "application memory clock, MHz", HealthGroup::power_clocks},
    HealthFactInfo{"clocks.max_sm_mhz", FactKind::number, "maximum SM clock, MHz",
                   HealthGroup::power_clocks},
    HealthFactInfo{"clocks.max_memory_mhz", FactKind::number, "maximum memory clock, MHz",
                   HealthGroup::power_clocks},
    HealthFactInfo{"clocks.event_reasons", FactKind::text,
                   "active clock event (throttle) reasons when the facts were read",
                   HealthGroup::power_clocks},
    HealthFactInfo{"clocks.throttling", FactKind::number,
                   "how many of those reasons slow a busy GPU beyond its specification",
                   HealthGroup::power_clocks},
    HealthFactInfo{"processes.other", FactKind::number,
                   "compute processes of others on the GPU (this one not counted)",
                   HealthGroup::processes},
    HealthFactInfo{"xid.count", FactKind::number, "XID errors of this GPU in the kernel log",
                   HealthGroup::xid},
    HealthFactInfo{"xid.last", FactKind::text, "the last XID error of this GPU in the kernel log",
                   HealthGroup::xid},
};

// The host facts the instance type promises.
inline constexpr std::array kHostHealthFacts = {
    HealthFactInfo{"cpu.count", FactKind::number, "online logical CPUs", HealthGroup::host},
    HealthFactInfo{"memory.gib", FactKind::number,
                   "memory the kernel manages (MemTotal), GiB: a little below what is installed",
                   HealthGroup::host},
    HealthFactInfo{"numa.nodes", FactKind::number, "NUMA nodes", HealthGroup::host},
    HealthFactInfo{"pci.nvidia_gpus", FactKind::number,
                   "NVIDIA GPUs on the PCI bus, whether a driver sees them or not (a container "
                   "may list the host's)",
                   HealthGroup::host},
};

// The row of kGpuHealthFacts or kHostHealthFacts named `name`; nullptr when none is.
const HealthFactInfo* gpu_health_fact(std::string_view name);
const HealthFactInfo* host_health_fact(std::string_view name);

// "12", "3.5", the text, or "unknown: <why>": a fact as `info` and reports show it.
std::string fact_text(const HealthFact& f);

// ---- memory errors during a memory test (`flopbench memtest`) ---------------------------------

// A memory-error count (or flag) that rose while a memory test ran.
struct FactRise {
  std::string fact;  // "ecc.corrected_volatile"
  double before = 0, after = 0;
  bool operator==(const FactRise&) const = default;
};

// The counts and flags whose rise during a memory test shows an error that the test's own check
// may not see: with ECC on, a single-bit error is corrected before the test reads the word. Not
// the aggregate ECC counts: the driver updates those lazily, so a rise shows late or not at all.
// A GPU has retired pages (before Ampere) or row remapping (Ampere and later), not both.
inline constexpr std::array<std::string_view, 8> kMemoryErrorFacts = {
    "ecc.corrected_volatile", "ecc.uncorrected_volatile", "retired_pages.count",
    "retired_pages.pending",  "row_remap.corrected",      "row_remap.uncorrected",
    "row_remap.pending",      "row_remap.failed"};

// The facts of kMemoryErrorFacts, in that order, that are known numbers both before and after
// and rose. One unknown on either side is skipped: a GPU does not have every one of them
// (ecc_counts_not_compared says when the ECC counts should have been there).
std::vector<FactRise> memory_error_rises(const HealthFacts& before, const HealthFacts& after);

// What rose between two readings of a GPU's facts that shows a fault no output check sees: its
// memory-error counts (memory_error_rises) and its XID count, each "<fact> rose from <before>
// to <after>" (the XID with the last one logged); empty when nothing did. A burn fails a GPU on
// any of them.
std::vector<std::string> error_rises(const HealthFacts& before, const HealthFacts& after);

// "ECC counts could not be compared: <why>" for a GPU whose ECC is on, or not known to be off,
// whose volatile ECC counts were not both read before and after; "" when they were, or ECC is
// off (as the facts before say, else those after).
std::string ecc_counts_not_compared(const HealthFacts& before, const HealthFacts& after);

// The facts of the GPU that CUDA numbers `cuda_index` (cuda_visible and that index). Where
// `health` lists none, every GPU fact is unknown, with why.
HealthFacts cuda_gpu_facts(const MachineHealth& health, int cuda_index);

}  // namespace flopbench
