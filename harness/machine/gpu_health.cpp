#include "harness/machine/gpu_health.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <regex>
#include <system_error>

#include "harness/machine/probe.hpp"
#include "harness/machine/telemetry.hpp"

namespace flopbench {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---- nvidia-smi ------------------------------------------------------------------------------

std::vector<std::string> split_fields(std::string_view row) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (;;) {
    const auto comma = row.find(',', start);
    std::string_view f = row.substr(start, comma == std::string_view::npos ? comma : comma - start);
    while (!f.empty() && f.front() == ' ') f.remove_prefix(1);
    while (!f.empty() && (f.back() == ' ' || f.back() == '\r')) f.remove_suffix(1);
    fields.emplace_back(f);
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}

// nvidia-smi writes what it cannot give as "[N/A]", "[Not Supported]", "[Insufficient
// Permissions]", or a bare "N/A".
std::optional<std::string> not_given(const std::string& v) {
  if (v == "N/A" || v.empty()) return std::string("nvidia-smi: N/A");
  if (v.size() >= 2 && v.front() == '[' && v.back() == ']') {
    const std::string inner = v.substr(1, v.size() - 2);
    if (inner == "Not Supported") return std::string("not supported");
    if (inner.find("Permission") != std::string::npos) return std::string("permission");
    return "nvidia-smi: " + inner;
  }
  return std::nullopt;
}

HealthFact smi_number(const std::string& v) {
  if (auto why = not_given(v)) return HealthFact::unknown_because(*why);
  double x = 0;
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || ptr != v.data() + v.size() || !std::isfinite(x)) {
    return HealthFact::unknown_because(fmt::format("nvidia-smi wrote '{}', not a number", v));
  }
  return HealthFact::of(x);
}

HealthFact smi_text(const std::string& v) {
  if (auto why = not_given(v)) return HealthFact::unknown_because(*why);
  return HealthFact::of_text(v);
}

// "Enabled"/"Disabled", "Yes"/"No" as 1 or 0.
HealthFact smi_flag(const std::string& v) {
  if (auto why = not_given(v)) return HealthFact::unknown_because(*why);
  if (v == "Enabled" || v == "Yes") return HealthFact::of(1);
  if (v == "Disabled" || v == "No") return HealthFact::of(0);
  return HealthFact::unknown_because(fmt::format("nvidia-smi wrote '{}'", v));
}

}  // namespace

std::vector<GpuHealth> parse_nvidia_smi_health(std::string_view csv) {
  const std::size_t columns = split_fields(kNvidiaSmiHealthQuery).size();
  std::vector<GpuHealth> gpus;
  unsigned line_no = 0;
  std::size_t start = 0;
  while (start < csv.size()) {
    auto end = csv.find('\n', start);
    if (end == std::string_view::npos) end = csv.size();
    const std::string_view row = csv.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (row.find_first_not_of(" \r") == std::string_view::npos) continue;
    const auto v = split_fields(row);
    if (v.size() != columns) {
      throw InputError(fmt::format("nvidia-smi output, line {}: expected {} fields, found {}",
                                   line_no, columns, v.size()));
    }
    GpuHealth g;
    const HealthFact index = smi_number(v[0]);
    if (!index.known()) {
      throw InputError(fmt::format("nvidia-smi output, line {}: index '{}'", line_no, v[0]));
    }
    g.index = g.nvml_index = static_cast<int>(*index.number);
    g.pci_bus_id = v[1];
    g.name = v[2];
    // "0x233010DE": device 0x2330, vendor 0x10DE.
    if (unsigned long id = 0;
        v[3].size() == 10 && v[3].starts_with("0x") &&
        std::from_chars(v[3].data() + 2, v[3].data() + 10, id, 16).ec == std::errc()) {
      g.pci_device_id = fmt::format("{:04x}:{:04x}", id & 0xffffu, id >> 16);
    }
    HealthFacts& f = g.facts;
    f["uuid"] = smi_text(v[4]);
    f["serial"] = smi_text(v[5]);
    f["vbios"] = smi_text(v[6]);
    f["inforom"] = smi_text(v[7]);
    f["driver"] = smi_text(v[8]);
    f["persistence_mode"] = smi_flag(v[9]);
    f["ecc.enabled"] = smi_flag(v[10]);
    f["ecc.corrected_volatile"] = smi_number(v[11]);
    f["ecc.uncorrected_volatile"] = smi_number(v[12]);
    f["ecc.corrected_aggregate"] = smi_number(v[13]);
    f["ecc.uncorrected_aggregate"] = smi_number(v[14]);
    f["retired_pages.pending"] = smi_flag(v[15]);
    f["pcie.gen"] = smi_number(v[16]);
    f["pcie.gen_max"] = smi_number(v[17]);
    f["pcie.width"] = smi_number(v[18]);
    f["pcie.width_max"] = smi_number(v[19]);
    f["power.limit_w"] = smi_number(v[20]);
    f["power.default_limit_w"] = smi_number(v[21]);
    derive_power_limit_percent(f);
    f["clocks.applications_sm_mhz"] = smi_number(v[22]);
    f["clocks.applications_memory_mhz"] = smi_number(v[23]);
    f["clocks.max_sm_mhz"] = smi_number(v[24]);
    f["clocks.max_memory_mhz"] = smi_number(v[25]);
    if (auto why = not_given(v[26])) {
      f["clocks.event_reasons"] = f["clocks.throttling"] = HealthFact::unknown_because(*why);
    } else {
      std::uint64_t mask = 0;
      const bool hex =
          v[26].starts_with("0x") &&
          std::from_chars(v[26].data() + 2, v[26].data() + v[26].size(), mask, 16).ec ==
              std::errc();
      if (!hex) {
        f["clocks.event_reasons"] = f["clocks.throttling"] =
            HealthFact::unknown_because(fmt::format("nvidia-smi wrote '{}'", v[26]));
      } else {
        set_clock_event_facts(f, mask);
      }
    }
    const std::string not_queried = "nvidia-smi's query has no such field (NVML did not load)";
    for (const char* name : {"retired_pages.count", "row_remap.corrected", "row_remap.uncorrected",
                             "row_remap.pending", "row_remap.failed", "pcie.replay_count",
                             "nvlink.active", "nvlink.errors", "fabric.state", "processes.other"}) {
      f[name] = HealthFact::unknown_because(not_queried);
    }
    gpus.push_back(std::move(g));
  }
  return gpus;
}

HealthFacts host_health_facts() {
  HealthFacts facts;
  const std::vector<int> online = parse_cpu_list(read_text("/sys/devices/system/cpu/online"));
  const long configured = ::sysconf(_SC_NPROCESSORS_ONLN);
  facts["cpu.count"] = !online.empty()  ? HealthFact::of(double(online.size()))
                       : configured > 0 ? HealthFact::of(double(configured))
                                        : HealthFact::unknown_because(
                                              "neither /sys/devices/system/cpu/online "
                                              "nor sysconf gives the online CPUs");
  const std::int64_t memory = parse_meminfo(read_text("/proc/meminfo"), "MemTotal");
  facts["memory.gib"] = memory > 0 ? HealthFact::of(double(memory) / double(1ull << 30))
                                   : HealthFact::unknown_because("/proc/meminfo has no MemTotal");
  std::error_code ec;
  int nodes = 0;
  const std::regex node_name("node[0-9]+");
  for (fs::directory_iterator it("/sys/devices/system/node", ec), end; !ec && it != end;
       it.increment(ec)) {
    if (std::regex_match(it->path().filename().string(), node_name)) ++nodes;
  }
  facts["numa.nodes"] =
      nodes > 0 ? HealthFact::of(nodes)
                : HealthFact::unknown_because(
                      ec ? fmt::format("cannot list /sys/devices/system/node: {}", ec.message())
                         : "/sys/devices/system/node lists no node");
  return facts;
}

void read_gpu_health(MachineHealth& health) {
  std::string nvml_why, smi_why;
  std::vector<GpuHealth> gpus;
  if (read_nvml_health(gpus, nvml_why)) {
    health.gpu_source = "nvml";
    health.gpus = std::move(gpus);
    return;
  }
  // Drivers before R535 know the reasons as clocks_throttle_reasons.active (the last field).
  const std::string query(kNvidiaSmiHealthQuery);
  for (const std::string& fields :
       {query, query.substr(0, query.rfind(',') + 1) + "clocks_throttle_reasons.active"}) {
    try {
      const auto output =
          run_for_output({"nvidia-smi", "--query-gpu=" + fields, "--format=csv,noheader,nounits"},
                         5000ms, smi_why);
      if (output) {
        health.gpus = parse_nvidia_smi_health(*output);
        health.gpu_source = "nvidia-smi";
        return;
      }
    } catch (const InputError& e) {
      smi_why = e.what();
    }
  }
  health.gpu_unknown = fmt::format("NVML: {}; nvidia-smi: {}", nvml_why, smi_why);
}

void add_xid_facts(MachineHealth& health, const KernelLog& log) {
  health.kernel_log = log.source;
  const auto events = log.text ? parse_xid_events(*log.text) : std::vector<XidEvent>{};
  for (GpuHealth& g : health.gpus) {
    if (!log.text) {
      g.facts["xid.count"] = g.facts["xid.last"] = HealthFact::unknown_because(log.unknown);
      continue;
    }
    int count = 0;
    const XidEvent* last = nullptr;
    for (const auto& e : events) {
      if (!xid_matches_gpu(e.pci, g.pci_bus_id)) continue;
      ++count;
      last = &e;
    }
    g.facts["xid.count"] = HealthFact::of(count);
    g.facts["xid.last"] = HealthFact::of_text(last ? last->line : "none");
  }
}

void match_cuda_indices(MachineHealth& health, const GpuInventory& cuda) {
  for (GpuHealth& g : health.gpus) {
    const auto it = std::find_if(cuda.devices.begin(), cuda.devices.end(), [&](const GpuDevice& d) {
      return same_pci_bus_id(d.pci_bus_id, g.pci_bus_id);
    });
    g.cuda_visible = it != cuda.devices.end();
    if (g.cuda_visible) g.index = it->index;
  }
}

MachineHealth collect_health(const GpuInventory& cuda) {
  MachineHealth health;
  health.host = host_health_facts();
  read_gpu_health(health);
  match_cuda_indices(health, cuda);
  add_xid_facts(health, read_kernel_log());
  return health;
}

void derive_power_limit_percent(HealthFacts& f) {
  const HealthFact& limit = f["power.limit_w"];
  const HealthFact& default_limit = f["power.default_limit_w"];
  f["power.limit_percent_of_default"] =
      !limit.known()               ? HealthFact::unknown_because(limit.unknown)
      : !default_limit.known()     ? HealthFact::unknown_because(default_limit.unknown)
      : *default_limit.number <= 0 ? HealthFact::unknown_because("the default power limit is 0")
                                   : HealthFact::of(100 * *limit.number / *default_limit.number);
}

void set_clock_event_facts(HealthFacts& f, std::uint64_t mask) {
  const auto names = clock_event_reason_names(mask);
  f["clocks.event_reasons"] =
      HealthFact::of_text(names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")));
  f["clocks.throttling"] = HealthFact::of(double(
      std::ranges::count_if(names, [](const std::string& n) { return is_throttling_reason(n); })));
}

}  // namespace flopbench
