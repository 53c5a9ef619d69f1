#include "harness/core/sizes.hpp"

#include <fmt/format.h>

#include <charconv>
#include <limits>
#include <string>

namespace flopbench {
namespace {

std::int64_t parse_count(std::string_view text, std::string_view whole) {
  auto bad = [&](std::string_view why) {
    return InputError(
        fmt::format("bad size '{}': {} (expected a positive integer, optionally "
                    "with K, M or G, or MxNxK for gemm)",
                    whole, why));
  };
  if (text.empty()) throw bad("empty value");
  std::int64_t scale = 1;
  switch (text.back()) {
    case 'K':
    case 'k':
      scale = std::int64_t{1} << 10;
      break;
    case 'M':
    case 'm':
      scale = std::int64_t{1} << 20;
      break;
    case 'G':
    case 'g':
      scale = std::int64_t{1} << 30;
      break;
    default:
      break;
  }
  if (scale != 1) text.remove_suffix(1);
  if (!text.empty() && text.front() == '-') throw bad("negative");
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) throw bad("too large");
  if (ec != std::errc() || end != text.data() + text.size()) throw bad("not a number");
  if (value == 0) throw bad("zero");
  if (value > std::numeric_limits<std::int64_t>::max() / scale) throw bad("too large");
  return value * scale;
}

}  // namespace

SizeSpec parse_size(std::string_view text) {
  // "4096x4096x512", or with capitals as some write it: "4096X4096X512".
  constexpr std::string_view kBy = "xX";
  const auto x1 = text.find_first_of(kBy);
  if (x1 == std::string_view::npos) return {0, parse_count(text, text), 0};
  const auto x2 = text.find_first_of(kBy, x1 + 1);
  if (x2 == std::string_view::npos || text.find_first_of(kBy, x2 + 1) != std::string_view::npos) {
    throw InputError(fmt::format("bad size '{}': expected N or MxNxK", text));
  }
  return {parse_count(text.substr(0, x1), text),
          parse_count(text.substr(x1 + 1, x2 - x1 - 1), text),
          parse_count(text.substr(x2 + 1), text)};
}

std::vector<SizeSpec> parse_sizes(std::string_view comma_separated) {
  std::vector<SizeSpec> sizes;
  for (const std::string_view item : split_commas(comma_separated)) {
    sizes.push_back(parse_size(item));
  }
  return sizes;
}

Problem to_problem(const SizeSpec& size, const WorkloadInfo& workload) {
  switch (workload.size_kind) {
    case SizeKind::matrix:
      return size.is_triple() ? Problem::matrix(size.m, size.n, size.k)
                              : Problem::matrix(size.n, size.n, size.n);
    case SizeKind::elements:
    case SizeKind::chain_steps:
      if (size.is_triple()) {
        throw InputError(
            fmt::format("size {}x{}x{} is a matrix shape, but {} takes an element count", size.m,
                        size.n, size.k, workload.name));
      }
      if (workload.size_kind == SizeKind::chain_steps && size.n > kMaxChainSteps) {
        throw InputError(fmt::format(
            "size {}: {} takes at most {} steps per chain, which its FP32 chains count exactly; "
            "longer samples come from more runs per sample, not longer chains",
            size.n, workload.name, kMaxChainSteps));
      }
      return Problem::vector(size.n);
  }
  throw std::logic_error("unknown size kind");
}

}  // namespace flopbench
