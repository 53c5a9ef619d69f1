#pragma once

// Health facts (harness/core/health.hpp): every GPU NVML enumerates, whether CUDA sees it or not,
// read through NVML (loaded at run time, as telemetry.hpp loads it), else through nvidia-smi;
// XID errors from the kernel log (kernel_log.hpp); the host's CPU count, memory and NUMA nodes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/results.hpp"
#include "harness/machine/kernel_log.hpp"

namespace flopbench {

// The whole machine's health now. `cuda`: the GPUs CUDA sees, whose indices name the GPUs that
// both list. Never throws: whatever cannot be read is "unknown: <why>".
MachineHealth collect_health(const GpuInventory& cuda);

// cpu.count, memory.gib and numa.nodes of this host.
HealthFacts host_health_facts();

// The GPU facts NVML gives, or nvidia-smi where NVML does not load; gpu_source and gpu_unknown
// of `health` say which answered, or why neither did.
void read_gpu_health(MachineHealth& health);

// The output of `nvidia-smi --query-gpu=<kNvidiaSmiHealthQuery> --format=csv,noheader,nounits`
// (with clocks_throttle_reasons.active last for drivers before R535)
// as GPUs with their facts; those the query has no field for (row remapping, PCIe replays,
// NVLink, the fabric, retired pages, processes) are unknown until add_nvidia_smi_details reads
// them, and XIDs until add_xid_facts does. Throws InputError on a row with the wrong number of
// fields.
inline constexpr std::string_view kNvidiaSmiHealthQuery =
    "index,pci.bus_id,name,pci.device_id,uuid,serial,vbios_version,inforom.img,driver_version,"
    "persistence_mode,ecc.mode.current,ecc.errors.corrected.volatile.total,"
    "ecc.errors.uncorrected.volatile.total,ecc.errors.corrected.aggregate.total,"
    "ecc.errors.uncorrected.aggregate.total,retired_pages.pending,pcie.link.gen.current,"
    "pcie.link.gen.max,pcie.link.width.current,pcie.link.width.max,enforced.power.limit,"
    "power.default_limit,clocks.applications.graphics,clocks.applications.memory,clocks.max.sm,"
    "clocks.max.memory,clocks_event_reasons.active";
std::vector<GpuHealth> parse_nvidia_smi_health(std::string_view csv);

// What one nvidia-smi command wrote to stdout, or why it gave nothing ("cannot start: ...",
// "exit status 6: ...").
struct CommandOutput {
  std::optional<std::string> text;
  std::string unknown;
};

// The other nvidia-smi commands the facts come from where NVML does not load.
struct NvidiaSmiDetails {
  CommandOutput xml;            // `nvidia-smi -q -x`
  CommandOutput nvlink_status;  // `nvidia-smi nvlink --status`
  CommandOutput nvlink_errors;  // `nvidia-smi nvlink -e`
};

// Runs the three commands of NvidiaSmiDetails.
NvidiaSmiDetails read_nvidia_smi_details();

// Adds to GPUs read by parse_nvidia_smi_health the facts its query lacks: from the XML
// (matched by PCI bus id) row_remap.*, pcie.replay_count, fabric.state, retired_pages.count and
// processes.other; from the NVLink commands (matched by nvidia-smi's index) nvlink.active and
// nvlink.errors. Never throws: what an output does not give, or gives in a form not known here,
// is unknown with why.
void add_nvidia_smi_details(std::vector<GpuHealth>& gpus, const NvidiaSmiDetails& details);

// Adds xid.count and xid.last to every GPU of `health` from `log` (unknown with its reason when
// the log could not be read), and records where it was read.
void add_xid_facts(MachineHealth& health, const KernelLog& log);

// Gives each GPU CUDA's index where CUDA lists its PCI bus id (cuda_visible), else keeps
// NVML's.
void match_cuda_indices(MachineHealth& health, const GpuInventory& cuda);

// The facts made from others, the same whichever source (NVML, nvidia-smi) read them:
// power.limit_percent_of_default from power.limit_w and power.default_limit_w (unknown with the
// first one's reason, or when the default is 0)...
void derive_power_limit_percent(HealthFacts& f);
// ...and clocks.event_reasons and clocks.throttling from a clock event reason mask.
void set_clock_event_facts(HealthFacts& f, std::uint64_t mask);

// The GPUs NVML enumerates with their facts (nvml_health.cpp); false, with why in `why_not`,
// when NVML does not load or initialise.
bool read_nvml_health(std::vector<GpuHealth>& gpus, std::string& why_not);

}  // namespace flopbench
