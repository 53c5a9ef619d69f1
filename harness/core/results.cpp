#include "harness/core/results.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "harness/core/statistics.hpp"

namespace flopbench {

std::string CpuQuota::cpus_text() const { return counted(cpus, "CPU"); }

void add_sample_waits(MachineLoad& load, const std::vector<double>& samples_waited,
                      double own_excess) {
  if (samples_waited.empty()) return;
  load.waited = compute_statistics(samples_waited).median;
  if (*load.waited >= std::max(0.0, own_excess) + kContendedWait) load.contended = true;
}

bool ran_on_fewer_threads(double busy_or_waiting, double stolen, int threads, double cpus_may_use) {
  return busy_or_waiting + stolen <
         kFewerThreadsShare * std::min(static_cast<double>(threads), cpus_may_use);
}

std::string contention_figures(const MachineLoad& l) {
  const std::string waits =
      l.waited ? fmt::format("our threads waited for a CPU {:.0f}% of a sample's time (median)",
                             100 * *l.waited)
               : "";
  // The samples took less than one interval of /proc/stat: the waits are all there is.
  if (l.readings == 0) return waits.empty() ? "no reading of the machine's load" : waits;
  const std::string with_waits = waits.empty() ? "" : "; " + waits;
  // One reading (--wait-quiet's each second) has no median or maximum to give.
  if (l.readings == 1) {
    return fmt::format(
        "other processes used {:.2f} CPUs and steal {:.2f} (one reading), load average {:.2f}{}",
        l.other_cpus.median, l.steal_cpus.median, l.load_average.median, with_waits);
  }
  return fmt::format(
      "other processes used {:.2f} CPUs and steal {:.2f} (medians of {} readings; max {:.2f} and "
      "{:.2f}), load average {:.2f}{}",
      l.other_cpus.median, l.steal_cpus.median, l.readings, l.other_cpus.max, l.steal_cpus.max,
      l.load_average.median, with_waits);
}

const GpuDevice* GpuInventory::find(int index) const {
  for (const auto& d : devices) {
    if (d.index == index) return &d;
  }
  return nullptr;
}

bool CpuInventory::no_l3_reported() const {
  return (vendor == "AuthenticAMD" || vendor == "GenuineIntel") && !caches.empty() &&
         std::none_of(caches.begin(), caches.end(),
                      [](const CacheLevel& c) { return c.level >= 3; });
}

SizingFacts sizing_facts_of(const CpuInventory& cpu) {
  SizingFacts facts;
  for (const auto& c : cpu.caches) {
    if (c.type != "Instruction")
      facts.cache_bytes = std::max(facts.cache_bytes, c.size_bytes * std::max(1, c.instances));
  }
  facts.no_l3_reported = cpu.no_l3_reported();
  return facts;
}

SizingFacts sizing_facts_of(const GpuInventory& inventory, const std::vector<int>& gpus) {
  SizingFacts facts{.device = DeviceKind::gpu};
  for (const auto& d : inventory.devices) {
    if (std::find(gpus.begin(), gpus.end(), d.index) == gpus.end()) continue;
    facts.cache_bytes = std::max(facts.cache_bytes, d.l2_bytes);
    facts.memory_bytes =
        facts.memory_bytes == 0 ? d.memory_bytes : std::min(facts.memory_bytes, d.memory_bytes);
    facts.sm_count = facts.sm_count == 0 ? d.sm_count : std::min(facts.sm_count, d.sm_count);
  }
  return facts;
}

SizingFacts sizing_facts_of(const Environment& env, const DeviceRef& device) {
  return device.on_gpu() ? sizing_facts_of(env.gpu, device.gpus) : sizing_facts_of(env.cpu);
}

namespace {

// The mean of a figure over two merged points of na and nb readings; a figure one of them lacks
// is the other's.
std::optional<double> mean_of(std::optional<double> a, int na, std::optional<double> b, int nb) {
  if (!a || !b) return a ? a : b;
  return (*a * na + *b * nb) / (na + nb);
}
double mean_of(double a, int na, double b, int nb) { return (a * na + b * nb) / (na + nb); }

// `a` and the point after it, `b`, as one point.
BurnPoint merged(const BurnPoint& a, const BurnPoint& b) {
  const double run_s = a.run_s + b.run_s;
  return {.at_s = b.at_s,
          .gflops = run_s > 0 ? (a.gflops * a.run_s + b.gflops * b.run_s) / run_s
                              : mean_of(a.gflops, a.windows, b.gflops, b.windows),
          .run_s = run_s,
          .windows = a.windows + b.windows};
}
int merged_count(const BurnPoint& p) { return p.windows; }

BurnTelemetry merged(const BurnTelemetry& a, const BurnTelemetry& b) {
  const int na = a.readings, nb = b.readings;
  GpuTelemetry r = b.reading;
  r.sm_clock_mhz = mean_of(a.reading.sm_clock_mhz, na, b.reading.sm_clock_mhz, nb);
  r.memory_clock_mhz = mean_of(a.reading.memory_clock_mhz, na, b.reading.memory_clock_mhz, nb);
  r.temperature_c = mean_of(a.reading.temperature_c, na, b.reading.temperature_c, nb);
  r.power_w = mean_of(a.reading.power_w, na, b.reading.power_w, nb);
  std::set<std::string> reasons(a.reading.clock_event_reasons.begin(),
                                a.reading.clock_event_reasons.end());
  reasons.insert(b.reading.clock_event_reasons.begin(), b.reading.clock_event_reasons.end());
  r.clock_event_reasons.assign(reasons.begin(), reasons.end());
  r.throttled = a.reading.throttled || b.reading.throttled;
  r.clock_events_read = a.reading.clock_events_read || b.reading.clock_events_read;
  return {.at_s = b.at_s,
          .reading = std::move(r),
          .readings = na + nb,
          .throttled_readings = a.throttled() + b.throttled()};
}
int merged_count(const BurnTelemetry& p) { return p.readings; }

CpuBurnReading merged(const CpuBurnReading& a, const CpuBurnReading& b) {
  const int na = a.readings, nb = b.readings;
  return {.at_s = b.at_s,
          .other_cpus = mean_of(a.other_cpus, na, b.other_cpus, nb),
          .steal_cpus = mean_of(a.steal_cpus, na, b.steal_cpus, nb),
          .clock_mhz = mean_of(a.clock_mhz, na, b.clock_mhz, nb),
          .readings = na + nb};
}
int merged_count(const CpuBurnReading& p) { return p.readings; }

// Merges neighbouring points in pairs: every point but an odd last one then holds twice as many.
template <class Point>
void halve(std::vector<Point>& series) {
  std::vector<Point> halved;
  halved.reserve(series.size() / 2 + 1);
  for (std::size_t i = 0; i < series.size(); i += 2) {
    halved.push_back(i + 1 < series.size() ? merged(series[i], series[i + 1]) : series[i]);
  }
  series = std::move(halved);
}

template <class Point>
void add_point(std::vector<Point>& series, const Point& point, std::size_t max_points) {
  max_points = std::max<std::size_t>(max_points, 2);  // one point could never be halved
  for (;;) {
    if (!series.empty() && merged_count(series.back()) < merged_count(series.front())) {
      series.back() = merged(series.back(), point);
      return;
    }
    if (series.size() < max_points) {
      series.push_back(point);
      return;
    }
    halve(series);
  }
}

template <class Point>
void thin(std::vector<Point>& series, std::size_t max_points) {
  max_points = std::max<std::size_t>(max_points, 2);
  while (series.size() > max_points) halve(series);
}

}  // namespace

void add_to_series(std::vector<BurnPoint>& series, const BurnPoint& point, std::size_t max_points) {
  add_point(series, point, max_points);
}
void add_to_series(std::vector<BurnTelemetry>& series, const BurnTelemetry& point,
                   std::size_t max_points) {
  add_point(series, point, max_points);
}
void add_to_series(std::vector<CpuBurnReading>& series, const CpuBurnReading& point,
                   std::size_t max_points) {
  add_point(series, point, max_points);
}

std::vector<Precision> BurnResult::precisions_not_burned() const {
  std::vector<Precision> out;
  for (const Precision p : precisions) {
    if (std::ranges::none_of(devices, [p](const BurnDevice& d) { return d.precision == p; }))
      out.push_back(p);
  }
  return out;
}

void thin_series(BurnDevice& device, std::size_t max_points) {
  thin(device.throughput, max_points);
  thin(device.telemetry, max_points);
  thin(device.cpu_load, max_points);
}

std::optional<double> BurnDevice::median_gflops() const {
  if (throughput.empty()) return std::nullopt;
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

int BurnDevice::telemetry_readings() const {
  int n = 0;
  for (const BurnTelemetry& t : telemetry) n += t.readings;
  return n;
}

std::string_view BurnDevice::throttling_unread() const {
  if (!device.on_gpu()) return "";
  if (telemetry.empty()) return "no telemetry";
  const bool read = std::any_of(telemetry.begin(), telemetry.end(),
                                [](const BurnTelemetry& t) { return t.reading.clock_events_read; });
  return read ? "" : "no clock event reason";
}

bool same_measurement(const MeasurementRecord& a, const MeasurementRecord& b) {
  return a.workload == b.workload && a.implementation == b.implementation && a.device == b.device &&
         a.precision == b.precision && a.problem == b.problem && a.timing == b.timing &&
         a.threads == b.threads;
}

std::string MeasurementRecord::note_starting(std::string_view prefix) const {
  const auto note =
      std::ranges::find_if(notes, [&](const std::string& n) { return n.starts_with(prefix); });
  return note == notes.end() ? "" : *note;
}

bool throttling_was_read(const MeasurementRecord& r) {
  const auto read = [](const GpuTelemetry& t) { return t.clock_events_read; };
  return std::ranges::any_of(r.telemetry_before, read) ||
         std::ranges::any_of(r.telemetry_after, read) ||
         std::ranges::any_of(r.telemetry_during, [](const GpuTelemetrySpread& s) {
           return s.readings > s.clock_events_unread;
         });
}

bool within_cache(const Environment& env, const MeasurementRecord& r) {
  return r.workload_info().cache_sensitive &&
         !within_cache_note(r.problem, r.precision, sizing_facts_of(env, r.device)).empty();
}

int BurnDevice::throttled_readings() const {
  int n = 0;
  for (const BurnTelemetry& t : telemetry) n += t.throttled();
  return n;
}

std::optional<double> BurnDevice::most_foreign_cpus() const {
  std::optional<double> most;
  for (const CpuBurnReading& r : cpu_load) {
    most = std::max(most.value_or(0), r.other_cpus + r.steal_cpus);
  }
  return most;
}

}  // namespace flopbench
