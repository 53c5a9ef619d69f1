#include "harness/core/results.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace flopbench {

std::string contention_figures(const MachineLoad& l) {
  return fmt::format(
      "other processes used {:.2f} CPUs and steal {:.2f} (medians of {} readings; max {:.2f} and "
      "{:.2f}), load average {:.2f}",
      l.other_cpus.median, l.steal_cpus.median, l.readings, l.other_cpus.max, l.steal_cpus.max,
      l.load_average.median);
}

namespace {

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

}  // namespace

double BurnDevice::median_gflops() const {
  std::vector<double> rates;
  for (const BurnPoint& p : throughput) rates.push_back(p.gflops);
  return median_of(std::move(rates));
}

std::optional<double> BurnDevice::busy_share() const {
  if (busy_s <= 0 || seconds <= 0) return std::nullopt;
  return busy_s / seconds;
}

std::optional<double> BurnDevice::throughput_drop() const {
  const std::size_t quarter = throughput.size() / 4;
  if (quarter == 0) return std::nullopt;
  std::vector<double> first, last;
  for (std::size_t i = 0; i < quarter; ++i) {
    first.push_back(throughput[i].gflops);
    last.push_back(throughput[throughput.size() - 1 - i].gflops);
  }
  const double before = median_of(std::move(first));
  if (before <= 0) return std::nullopt;
  return 1 - median_of(std::move(last)) / before;
}

int BurnDevice::throttled_readings() const {
  return static_cast<int>(
      std::count_if(telemetry.begin(), telemetry.end(),
                    [](const BurnTelemetry& t) { return t.reading.throttled; }));
}

std::optional<double> BurnDevice::most_foreign_cpus() const {
  std::optional<double> most;
  for (const CpuBurnReading& r : cpu_load) {
    most = std::max(most.value_or(0), r.other_cpus + r.steal_cpus);
  }
  return most;
}

}  // namespace flopbench
