#include "harness/types.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "harness/results.hpp"

namespace flopbench {
namespace {

template <class Enum, std::size_t N>
Enum parse_enum(std::string_view what, std::string_view s,
                const std::array<std::pair<std::string_view, Enum>, N>& names) {
  std::string valid;
  for (const auto& [name, value] : names) {
    if (name == s) return value;
    valid += valid.empty() ? "" : ", ";
    valid += name;
  }
  throw InputError(fmt::format("unknown {} '{}' (expected one of: {})", what, s, valid));
}

constexpr std::array<std::pair<std::string_view, Precision>, 2> kPrecisions{{
    {"fp32", Precision::fp32},
    {"fp64", Precision::fp64},
}};
constexpr std::array<std::pair<std::string_view, Disposition>, 5> kDispositions{{
    {"passed", Disposition::passed},
    {"incorrect", Disposition::incorrect},
    {"failed", Disposition::failed},
    {"skipped", Disposition::skipped},
    {"unsupported", Disposition::unsupported},
}};

template <class Enum, std::size_t N>
std::string_view name_of(Enum e, const std::array<std::pair<std::string_view, Enum>, N>& names) {
  for (const auto& [name, value] : names) {
    if (value == e) return name;
  }
  return "?";
}

}  // namespace

std::string_view to_string(Precision p) { return name_of(p, kPrecisions); }
std::string_view to_string(Disposition d) { return name_of(d, kDispositions); }
std::string_view to_string(DeviceKind d) { return d == DeviceKind::cpu ? "cpu" : "gpu"; }

Precision parse_precision(std::string_view s) { return parse_enum("precision", s, kPrecisions); }
Disposition parse_disposition(std::string_view s) {
  return parse_enum("disposition", s, kDispositions);
}

std::string Problem::label() const {
  return is_matrix() ? fmt::format("{}x{}x{}", m, n, k) : fmt::format("{}", n);
}

std::string display_name(const std::string& workload, Precision precision) {
  if (workload == "gemm") return precision == Precision::fp32 ? "SGEMM" : "DGEMM";
  return workload;
}

}  // namespace flopbench
