#include "harness/core/health.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace flopbench {
namespace {

template <class Table>
const HealthFactInfo* find_fact(const Table& table, std::string_view name) {
  const auto it = std::find_if(table.begin(), table.end(),
                               [&](const HealthFactInfo& f) { return f.name == name; });
  return it == table.end() ? nullptr : &*it;
}

}  // namespace

const HealthFactInfo* gpu_health_fact(std::string_view name) {
  return find_fact(kGpuHealthFacts, name);
}

const HealthFactInfo* host_health_fact(std::string_view name) {
  return find_fact(kHostHealthFacts, name);
}

std::string_view health_group_title(HealthGroup g) {
  switch (g) {
    case HealthGroup::host:
      return "Host";
    case HealthGroup::identity:
      return "Identity and driver";
    case HealthGroup::memory_errors:
      return "Memory errors";
    case HealthGroup::pcie:
      return "PCIe";
    case HealthGroup::nvlink:
      return "NVLink";
    case HealthGroup::power_clocks:
      return "Power and clocks";
    case HealthGroup::processes:
      return "Other processes";
    case HealthGroup::xid:
      return "XID errors";
  }
  return "Other";
}

std::string fact_text(const HealthFact& f) {
  if (!f.known()) return "unknown: " + f.unknown;
  if (f.number) {
    return *f.number == std::floor(*f.number) ? fmt::format("{:.0f}", *f.number)
                                              : fmt::format("{:.2f}", *f.number);
  }
  return f.text;
}

}  // namespace flopbench
