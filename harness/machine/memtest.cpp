// The memory test's limits on its size (harness/machine/memtest.hpp), apart from the CUDA code
// so that the host's tests check them.

#include "harness/machine/memtest.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace flopbench {
namespace {

constexpr double kGiB = 1073741824.0;
constexpr double kMiB = 1048576.0;

}  // namespace

std::int64_t memtest_driver_reserve(std::int64_t total_bytes) {
  return std::max(std::int64_t{1} << 30, total_bytes / 50);
}

std::string memtest_too_large(std::int64_t bytes, std::int64_t free_bytes,
                              std::int64_t total_bytes) {
  const std::int64_t reserve = memtest_driver_reserve(total_bytes);
  if (free_bytes <= reserve) {
    return fmt::format(
        "{:.2f} GiB free, no more than the driver must keep ({:.2f} GiB: the larger "
        "of 1 GiB and 2 % of the GPU's {:.2f} GiB)",
        static_cast<double>(free_bytes) / kGiB, static_cast<double>(reserve) / kGiB,
        static_cast<double>(total_bytes) / kGiB);
  }
  if (bytes <= free_bytes - reserve) return "";
  return fmt::format(
      "{:.2f} GiB asked for, {:.2f} GiB free: at most {:.2f} GiB can be tested, leaving the "
      "driver {:.2f} GiB (the larger of 1 GiB and 2 % of the GPU's {:.2f} GiB)",
      static_cast<double>(bytes) / kGiB, static_cast<double>(free_bytes) / kGiB,
      static_cast<double>(std::max<std::int64_t>(free_bytes - reserve, 0)) / kGiB,
      static_cast<double>(reserve) / kGiB, static_cast<double>(total_bytes) / kGiB);
}

std::string memtest_silence(double now_s, std::optional<double> last_step_s,
                            double longest_step_s) {
  if (!last_step_s) {
    if (now_s < kMemtestFirstStepS) return "";
    return fmt::format("no step of the test ended in {:.0f} s; the GPU may be hung", now_s);
  }
  const double quiet_s = now_s - *last_step_s;
  if (quiet_s < std::max(kMemtestQuietS, 20 * longest_step_s)) return "";
  return fmt::format(
      "no step of the test ended for {:.0f} s (the last at {:.1f} s; the longest took {:.2f} s); "
      "the GPU may be hung",
      quiet_s, *last_step_s, longest_step_s);
}

void record_bad_words(MemtestDevice& d, std::int64_t count,
                      const std::vector<MemtestError>& found) {
  d.bad_words += count;
  for (const MemtestError& e : found) {
    if (d.errors.size() >= kMemtestMaxErrors) return;
    const bool known = std::any_of(d.errors.begin(), d.errors.end(),
                                   [&](const MemtestError& k) { return k.offset == e.offset; });
    if (!known) d.errors.push_back(e);
  }
}

std::string memtest_too_small(std::int64_t bytes, std::int64_t l2_bytes) {
  if (l2_bytes <= 0 || bytes >= kMemtestCacheMultiple * l2_bytes) return "";
  return fmt::format(
      "a test of {:.1f} MiB is smaller than {} x this GPU's {:.1f} MiB L2 cache ({:.1f} MiB): "
      "it would test the cache, not the memory",
      static_cast<double>(bytes) / kMiB, kMemtestCacheMultiple,
      static_cast<double>(l2_bytes) / kMiB,
      static_cast<double>(kMemtestCacheMultiple * l2_bytes) / kMiB);
}

}  // namespace flopbench
