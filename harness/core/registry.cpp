#include "harness/core/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace flopbench {

bool Implementation::supports(Precision p) const {
  return std::find(spec.precisions.begin(), spec.precisions.end(), p) != spec.precisions.end();
}

std::string Implementation::unsupported_reason(Precision p) const {
  if (supports(p)) return unavailable_reason(p);
  std::vector<std::string_view> has;
  for (const Precision q : spec.precisions) has.push_back(to_string(q));
  return fmt::format("{} {} has no {} (it runs {})", workload, name(), to_string(p),
                     fmt::join(has, ", "));
}

bool Registry::add(Implementation impl) {
  if (find(impl.workload, impl.name())) {
    throw std::logic_error("implementation registered twice: " +
                           std::string(to_string(impl.workload)) + "/" + impl.name());
  }
  impls_.push_back(std::move(impl));
  // Registration order depends on link order; keep listings stable.
  std::stable_sort(impls_.begin(), impls_.end(), [](const auto& a, const auto& b) {
    return std::tie(a.workload, a.spec.device, a.spec.name) <
           std::tie(b.workload, b.spec.device, b.spec.name);
  });
  return true;
}

const Implementation* Registry::find(WorkloadId workload, std::string_view name) const {
  for (const auto& impl : impls_) {
    if (impl.workload == workload && impl.name() == name) return &impl;
  }
  return nullptr;
}

std::optional<DeviceKind> Registry::device_of(std::string_view name) const {
  for (const auto& impl : impls_) {
    if (impl.name() == name) return impl.spec.device;
  }
  return std::nullopt;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (const auto& impl : impls_) out.push_back(impl.name());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Registry& registry() {
  static Registry instance;
  return instance;
}

Implementation unavailable_implementation(WorkloadId workload, ImplementationSpec spec,
                                          std::string reason) {
  Implementation impl{workload, std::move(spec)};
  impl.unavailable_reason = [reason = std::move(reason)](Precision) { return reason; };
  return impl;
}

}  // namespace flopbench
