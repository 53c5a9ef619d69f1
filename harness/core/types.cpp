#include "harness/core/types.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <ostream>
#include <utility>

namespace flopbench {
namespace {

// The names of an enum's values, from its exhaustive to_string.
template <class Enum, std::size_t N>
Enum parse_enum(std::string_view what, std::string_view s, const std::array<Enum, N>& values) {
  std::vector<std::string_view> valid;
  for (const Enum value : values) {
    if (to_string(value) == s) return value;
    valid.push_back(to_string(value));
  }
  throw InputError(
      fmt::format("unknown {} '{}' (expected one of: {})", what, s, fmt::join(valid, ", ")));
}

constexpr std::array kDispositions = {Disposition::passed, Disposition::incorrect,
                                      Disposition::failed, Disposition::skipped,
                                      Disposition::unsupported};
constexpr std::array kProfiles = {Profile::quick, Profile::standard, Profile::full, Profile::sweep};
constexpr std::array kSeverities = {Severity::fail, Severity::warn};
constexpr std::array kVerdicts = {Verdict::pass, Verdict::fail, Verdict::warn};
constexpr std::array kBurnVerdicts = {BurnVerdict::ok, BurnVerdict::faulty, BurnVerdict::degraded,
                                      BurnVerdict::unsupported, BurnVerdict::unchecked};

}  // namespace

std::string_view to_string(Precision p) {
  switch (p) {
    case Precision::fp32:
      return "fp32";
    case Precision::fp64:
      return "fp64";
    case Precision::tf32:
      return "tf32";
    case Precision::bf16:
      return "bf16";
    case Precision::fp16:
      return "fp16";
    case Precision::fp8_e4m3:
      return "fp8_e4m3";
    case Precision::int8:
      return "int8";
  }
  throw std::logic_error("unknown precision");
}

std::string_view precision_label(Precision p) {
  switch (p) {
    case Precision::fp32:
      return "FP32";
    case Precision::fp64:
      return "FP64";
    case Precision::tf32:
      return "TF32";
    case Precision::bf16:
      return "BF16";
    case Precision::fp16:
      return "FP16";
    case Precision::fp8_e4m3:
      return "FP8 E4M3";
    case Precision::int8:
      return "INT8";
  }
  throw std::logic_error("unknown precision");
}

std::size_t size_of(Precision p) {
  switch (p) {
    case Precision::fp32:
    case Precision::tf32:
      return 4;
    case Precision::fp64:
      return 8;
    case Precision::bf16:
    case Precision::fp16:
      return 2;
    case Precision::fp8_e4m3:
    case Precision::int8:
      return 1;
  }
  throw std::logic_error("unknown precision");
}

std::size_t accumulator_size_of(Precision p) {
  switch (p) {
    case Precision::fp64:
      return 8;
    case Precision::fp32:
    case Precision::tf32:
    case Precision::bf16:
    case Precision::fp16:
    case Precision::fp8_e4m3:
    case Precision::int8:
      return 4;
  }
  throw std::logic_error("unknown precision");
}

bool is_integer(Precision p) {
  switch (p) {
    case Precision::int8:
      return true;
    case Precision::fp32:
    case Precision::fp64:
    case Precision::tf32:
    case Precision::bf16:
    case Precision::fp16:
    case Precision::fp8_e4m3:
      return false;
  }
  throw std::logic_error("unknown precision");
}

bool is_matrix_precision(Precision p) {
  switch (p) {
    case Precision::tf32:
    case Precision::bf16:
    case Precision::fp16:
    case Precision::fp8_e4m3:
    case Precision::int8:
      return true;
    case Precision::fp32:
    case Precision::fp64:
      return false;
  }
  throw std::logic_error("unknown precision");
}

std::optional<std::pair<int, int>> oldest_tensor_core_gpu(Precision p) {
  switch (p) {
    case Precision::fp16:
      return std::pair{7, 0};
    case Precision::int8:
      return std::pair{7, 5};
    case Precision::tf32:
    case Precision::bf16:
      return std::pair{8, 0};
    case Precision::fp8_e4m3:
      return std::pair{8, 9};
    case Precision::fp32:
    case Precision::fp64:
      return std::nullopt;
  }
  throw std::logic_error("unknown precision");
}

std::string_view to_string(DeviceKind d) {
  switch (d) {
    case DeviceKind::cpu:
      return "cpu";
    case DeviceKind::gpu:
      return "gpu";
  }
  throw std::logic_error("unknown device kind");
}

std::string_view to_string(Disposition d) {
  switch (d) {
    case Disposition::passed:
      return "passed";
    case Disposition::incorrect:
      return "incorrect";
    case Disposition::failed:
      return "failed";
    case Disposition::skipped:
      return "skipped";
    case Disposition::unsupported:
      return "unsupported";
  }
  throw std::logic_error("unknown disposition");
}

std::string_view to_string(Profile p) {
  switch (p) {
    case Profile::quick:
      return "quick";
    case Profile::standard:
      return "standard";
    case Profile::full:
      return "full";
    case Profile::sweep:
      return "sweep";
  }
  throw std::logic_error("unknown profile");
}

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::fail:
      return "fail";
    case Severity::warn:
      return "warn";
  }
  throw std::logic_error("unknown severity");
}

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::pass:
      return "PASS";
    case Verdict::fail:
      return "FAIL";
    case Verdict::warn:
      return "WARN";
  }
  throw std::logic_error("unknown verdict");
}

Severity parse_severity(std::string_view s) { return parse_enum("severity", s, kSeverities); }
Verdict parse_verdict(std::string_view s) { return parse_enum("verdict", s, kVerdicts); }
BurnVerdict parse_burn_verdict(std::string_view s) {
  return parse_enum("burn verdict", s, kBurnVerdicts);
}

std::string_view to_string(BurnVerdict v) {
  switch (v) {
    case BurnVerdict::ok:
      return "OK";
    case BurnVerdict::faulty:
      return "FAULTY";
    case BurnVerdict::degraded:
      return "DEGRADED";
    case BurnVerdict::unsupported:
      return "UNSUPPORTED";
    case BurnVerdict::unchecked:
      return "UNCHECKED";
  }
  throw std::logic_error("unknown burn verdict");
}

Precision parse_precision(std::string_view s) { return parse_enum("precision", s, kPrecisions); }
Disposition parse_disposition(std::string_view s) {
  return parse_enum("disposition", s, kDispositions);
}
Profile parse_profile(std::string_view s) { return parse_enum("profile", s, kProfiles); }

bool iequal(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::vector<std::string_view> split_commas(std::string_view text) {
  std::vector<std::string_view> items;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

std::string_view trim_space(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::string_view plural_s(double n) { return n == 1 ? "" : "s"; }

std::string counted(double n, std::string_view noun) {
  // Whole counts in full ({:g} would write a million as 1e+06); fractions to six digits.
  const bool whole = n == std::floor(n) && std::fabs(n) < 1e15;
  return fmt::format("{} {}{}", whole ? fmt::format("{:.0f}", n) : fmt::format("{:g}", n), noun,
                     plural_s(n));
}

std::string Problem::label() const {
  return is_matrix() ? fmt::format("{}x{}x{}", m, n, k) : fmt::format("{}", n);
}

std::string DeviceRef::label() const {
  if (!on_gpu()) return "cpu";
  if (gpus.empty()) return "gpu";
  return gpu_labels(gpus, "+");
}

std::string gpu_labels(const std::vector<int>& gpus, std::string_view separator) {
  std::string out;
  for (const int g : gpus) out += fmt::format("{}gpu{}", out.empty() ? "" : separator, g);
  return out;
}

std::ostream& operator<<(std::ostream& out, const DeviceRef& d) { return out << d.label(); }

DeviceRef DeviceRef::parse(std::string_view label) {
  if (label == "cpu") return cpu();
  if (label == "gpu") return gpu({});
  std::vector<int> indices;
  for (std::string_view rest = label;;) {
    const std::size_t plus = std::min(rest.find('+'), rest.size());
    const std::string_view item = rest.substr(0, plus);
    int index = -1;
    const char* digits = item.data() + std::min<std::size_t>(3, item.size());
    const auto [end, ec] = std::from_chars(digits, item.data() + item.size(), index);
    if (!item.starts_with("gpu") || item.size() == 3 || ec != std::errc() ||
        end != item.data() + item.size() || index < 0) {
      throw InputError(
          fmt::format("unknown device '{}' (expected cpu, gpu, gpuN or gpuN+gpuM+...)", label));
    }
    indices.push_back(index);
    if (plus == rest.size()) break;
    rest.remove_prefix(plus + 1);
  }
  return gpu(std::move(indices));
}

}  // namespace flopbench
