#include "harness/machine/load_sampler.hpp"

#include <fmt/format.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>

#include "harness/core/statistics.hpp"
#include "harness/machine/probe.hpp"
#include "harness/machine/telemetry.hpp"

namespace flopbench {
namespace {

Spread spread_of(std::vector<double> values) {
  const Statistics s = compute_statistics(values);
  return {s.min, s.median, s.max};
}

double seconds_of(const timespec& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return seconds_of(now);
}

}  // namespace

namespace {

// The fields of one line of /proc/stat after its name ("cpu", "cpu3"): user nice system idle
// iowait irq softirq steal guest guest_nice.
CpuTicks parse_cpu_fields(std::string_view line) {
  std::vector<double> v;
  while (!line.empty()) {
    const auto start = line.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    line.remove_prefix(start);
    std::uint64_t x = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), x);
    if (ec != std::errc()) throw InputError("/proc/stat: a 'cpu' field is not a number");
    v.push_back(static_cast<double>(x));
    line.remove_prefix(static_cast<std::size_t>(end - line.data()));
  }
  if (v.size() < 8) throw InputError("/proc/stat: a 'cpu' line has fewer than 8 fields");
  return {.busy = v[0] + v[1] + v[2] + v[5] + v[6], .idle = v[3] + v[4], .steal = v[7]};
}

}  // namespace

CpuTicks parse_proc_stat(std::string_view text, const std::vector<int>& cpus) {
  if (cpus.empty()) {
    if (!text.starts_with("cpu ")) throw InputError("/proc/stat: no aggregate 'cpu' line first");
    CpuTicks all = parse_cpu_fields(text.substr(4, text.find('\n') - 4));
    for (std::size_t at = text.find("\ncpu"); at != std::string_view::npos;
         at = text.find("\ncpu", at + 1)) {
      all.cpus += at + 4 < text.size() && text[at + 4] >= '0' && text[at + 4] <= '9';
    }
    return all;
  }
  // Only the lines asked for are parsed: a CPU of no concern that goes offline, or a line of
  // an unknown form, does not stop the reading.
  const std::set<int> wanted(cpus.begin(), cpus.end());
  std::map<int, CpuTicks> lines;
  while (!text.empty()) {
    const std::string_view line = text.substr(0, text.find('\n'));
    text.remove_prefix(std::min(text.size(), line.size() + 1));
    if (!line.starts_with("cpu") || line.size() < 4 || line[3] < '0' || line[3] > '9') continue;
    int cpu = 0;
    const auto [end, ec] = std::from_chars(line.data() + 3, line.data() + line.size(), cpu);
    if (ec != std::errc() || !wanted.contains(cpu)) continue;
    lines[cpu] = parse_cpu_fields(line.substr(static_cast<std::size_t>(end - line.data())));
  }
  CpuTicks sum{.cpus = static_cast<int>(cpus.size())};
  for (const int cpu : cpus) {
    const auto it = lines.find(cpu);
    if (it == lines.end()) throw InputError(fmt::format("/proc/stat: no line for cpu{}", cpu));
    sum.busy += it->second.busy;
    sum.idle += it->second.idle;
    sum.steal += it->second.steal;
  }
  return sum;
}

std::optional<double> parse_loadavg(std::string_view text) {
  double x = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc()) return std::nullopt;
  return x;
}

MachineLoad summarise_load(const std::vector<LoadInterval>& intervals, int cpus, int cpus_in_use) {
  MachineLoad load;
  load.readings = static_cast<int>(intervals.size());
  if (intervals.empty()) return load;
  std::vector<double> other, steal, average;
  double foreign_cpu_s = 0, seconds = 0;
  for (const auto& i : intervals) {
    other.push_back(i.other_cpus);
    steal.push_back(i.steal_cpus);
    average.push_back(i.load_average);
    foreign_cpu_s += i.foreign_cpu_s;
    seconds += i.seconds;
  }
  // Over the whole span, not a mean of the intervals: each interval's rounding is undone by the
  // next one's, where a mean of intervals each held at 0 or more would keep it.
  const double foreign = seconds > 0 ? foreign_cpu_s / seconds : 0;
  load.other_cpus = spread_of(other);
  load.steal_cpus = spread_of(steal);
  load.load_average = spread_of(average);
  const double free_cpus = std::max(0, cpus - cpus_in_use);
  load.contended = foreign >= free_cpus + 0.25;
  return load;
}

std::vector<GpuTelemetrySpread> summarise_telemetry(
    const std::vector<std::vector<GpuTelemetry>>& rounds) {
  std::vector<std::string> devices;
  for (const auto& round : rounds) {
    for (const auto& t : round) {
      if (std::find(devices.begin(), devices.end(), t.device) == devices.end())
        devices.push_back(t.device);
    }
  }
  std::vector<GpuTelemetrySpread> out;
  for (const auto& device : devices) {
    GpuTelemetrySpread s{.device = device};
    std::vector<double> sm, mem, temp, power;
    std::set<std::string> reasons;
    for (const auto& round : rounds) {
      for (const auto& t : round) {
        if (t.device != device) continue;
        ++s.readings;
        if (t.sm_clock_mhz) sm.push_back(*t.sm_clock_mhz);
        if (t.memory_clock_mhz) mem.push_back(*t.memory_clock_mhz);
        if (t.temperature_c) temp.push_back(*t.temperature_c);
        if (t.power_w) power.push_back(*t.power_w);
        if (t.throttled) ++s.throttled_readings;
        if (!t.clock_events_read) ++s.clock_events_unread;
        if (at_power_cap(t)) ++s.power_capped_readings;
        for (const auto& r : t.clock_event_reasons) {
          if (is_throttling_reason(r)) reasons.insert(r);
        }
      }
    }
    const auto maybe = [](std::vector<double>& v) {
      return v.empty() ? std::nullopt : std::optional(spread_of(std::move(v)));
    };
    s.sm_clock_mhz = maybe(sm);
    s.memory_clock_mhz = maybe(mem);
    s.temperature_c = maybe(temp);
    s.power_w = maybe(power);
    s.throttling_reasons.assign(reasons.begin(), reasons.end());
    out.push_back(std::move(s));
  }
  return out;
}

bool wait_for_quiet(int limit_s, const std::function<std::optional<MachineLoad>()>& read_one_second,
                    const std::function<void(const MachineLoad&, int waited_s)>& not_quiet) {
  for (int waited_s = 1;; ++waited_s) {
    const std::optional<MachineLoad> load = read_one_second();
    if (!load || !load->contended) return true;
    not_quiet(*load, waited_s);
    if (waited_s >= limit_s) return false;
  }
}

std::optional<MachineLoad> load_over_one_second() {
  // As for a measurement that keeps every CPU this process may use busy.
  const int cpus = std::max(1, static_cast<int>(usable_cpus().size()));
  LoadSampler sampler(cpus, nullptr, {});
  std::this_thread::sleep_for(std::chrono::seconds(1));
  return sampler.stop().load;
}

std::optional<LoadInterval> load_between(const LoadReading& before, const LoadReading& after,
                                         bool busy_from_fields, double ticks_per_s) {
  const double wall = std::chrono::duration<double>(after.at - before.at).count();
  if (after.ticks.cpus != before.ticks.cpus || wall <= 0) return std::nullopt;
  const double idle_s = (after.ticks.idle - before.ticks.idle) / ticks_per_s;
  const double steal_s = (after.ticks.steal - before.ticks.steal) / ticks_per_s;
  const double busy_s = busy_from_fields ? (after.ticks.busy - before.ticks.busy) / ticks_per_s
                                         : after.ticks.cpus * wall - idle_s - steal_s;
  std::optional<double> self_s;
  if (before.threads && after.threads) self_s = cpu_s_between(*before.threads, *after.threads);
  const double other_s = busy_s - self_s.value_or(after.self_cpu_s - before.self_cpu_s);
  LoadInterval i;
  i.other_cpus = std::max(0.0, other_s) / wall;
  i.steal_cpus = steal_s / wall;
  i.seconds = wall;
  i.foreign_cpu_s = other_s + steal_s;
  return i;
}

CpuLoadReader::CpuLoadReader() {
  // A /proc/stat mounted over (lxcfs) numbers a container's CPUs its own way, not as the
  // affinity mask does: only its aggregate line is the container's.
  mounted_over_ = proc_stat_is_mounted_over(read_text("/proc/self/mountinfo"));
  if (!mounted_over_) cpus_ = usable_cpus();
  cpus_count_ = static_cast<int>(cpus_.size());
  if (!cpus_.empty()) last_ = read();
  if (!last_) use_whole_machine();
}

void CpuLoadReader::use_whole_machine() {
  cpus_.clear();
  last_ = read();
  // The CPUs the aggregate line's time is of (lxcfs lists the container's).
  cpus_count_ = last_ && last_->ticks.cpus > 0 ? last_->ticks.cpus
                                               : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
}

std::optional<LoadReading> CpuLoadReader::read() const {
  try {
    LoadReading r;
    r.ticks = parse_proc_stat(read_text("/proc/stat"), cpus_);
    r.at = std::chrono::steady_clock::now();
    r.self_cpu_s = process_cpu_seconds();
    r.threads = own_threads_cpu_s();
    return r;
  } catch (const std::exception&) {
    return std::nullopt;  // no /proc: no load figures, the measurement goes on
  }
}

std::optional<LoadInterval> CpuLoadReader::next() {
  if (!last_) return std::nullopt;
  const auto now = read();
  if (!now) {
    // A CPU of ours went offline: the whole machine's line from here on, or none.
    if (cpus_.empty()) {
      last_.reset();
    } else {
      use_whole_machine();
    }
    return std::nullopt;
  }
  if (now->at - last_->at < std::chrono::milliseconds(50)) return std::nullopt;
  static const double ticks_per_s = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::optional<LoadInterval> i = load_between(*last_, *now, mounted_over_, ticks_per_s);
  last_ = now;
  if (!i) return std::nullopt;
  try {
    i->load_average = parse_loadavg(read_text("/proc/loadavg")).value_or(0);
  } catch (const std::exception&) {
  }
  return i;
}

namespace {

// This thread's id as /proc/self/task names it: "/proc/thread-self" links to "<pid>/task/<tid>".
// gettid() gives the id in the thread's own PID namespace, which a /proc mounted for another
// one does not use.
std::optional<int> proc_thread_id() {
  std::error_code error;
  const std::string link = std::filesystem::read_symlink("/proc/thread-self", error).string();
  const auto slash = link.rfind('/');
  if (error || slash == std::string::npos) return std::nullopt;
  int tid = 0;
  const auto [end, ec] = std::from_chars(link.data() + slash + 1, link.data() + link.size(), tid);
  if (ec != std::errc()) return std::nullopt;
  return tid;
}

// The ids of this process's threads, as /proc/self/task lists them.
std::vector<int> own_thread_ids() {
  std::vector<int> ids;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    int tid = 0;
    const std::string name = task.path().filename().string();
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), tid);
    if (ec == std::errc()) ids.push_back(tid);
  }
  return ids;
}

// The CPU clock of one of this process's threads, by its id in this thread's PID namespace: the
// kernel's encoding (glibc's MAKE_THREAD_CPUCLOCK), the id's complement above three bits that
// say "one thread" and "the scheduler's exact runtime".
clockid_t thread_cpu_clock(int tid) {
  constexpr std::uint32_t kPerThread = 4, kSchedulerRuntime = 2, kClockTypeBits = 3;
  return static_cast<clockid_t>((~static_cast<std::uint32_t>(tid) << kClockTypeBits) | kPerThread |
                                kSchedulerRuntime);
}

}  // namespace

std::optional<double> process_run_delay_s() {
  std::uint64_t total_ns = 0;
  try {
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      // A thread that ended since the listing has no file left to read: read_text gives "".
      const std::string text = read_text(task.path() / "schedstat");
      if (text.empty()) continue;
      // "<time on the CPU> <time waiting on a run queue> <timeslices>", in nanoseconds
      const auto space = text.find(' ');
      if (space == std::string::npos) return std::nullopt;
      std::uint64_t waited = 0;
      const char* first = text.data() + space + 1;
      const auto [end, ec] = std::from_chars(first, text.data() + text.size(), waited);
      if (ec != std::errc()) return std::nullopt;
      total_ns += waited;
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return static_cast<double>(total_ns) * 1e-9;
}

std::optional<std::map<int, double>> own_threads_cpu_s() {
  // A thread's clock is named by its id in this thread's PID namespace: /proc's ids are those
  // only where this thread's id there is gettid()'s.
  if (proc_thread_id() != static_cast<int>(gettid())) return std::nullopt;
  std::map<int, double> cpu_s;
  try {
    for (const int tid : own_thread_ids()) {
      timespec t{};
      // A thread that ended since the listing has no clock left to read, and its time is lost.
      if (clock_gettime(thread_cpu_clock(tid), &t) != 0) return std::nullopt;
      cpu_s[tid] = seconds_of(t);
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return cpu_s;
}

std::optional<double> cpu_s_between(const std::map<int, double>& before,
                                    const std::map<int, double>& after) {
  double used = 0;
  for (const auto& [tid, then] : before) {
    const auto now = after.find(tid);
    // An ended thread's time since `before` is gone with its clock. A thread whose id a new one
    // took meanwhile would go backwards: its time is lost too.
    if (now == after.end() || now->second < then) return std::nullopt;
    used += now->second - then;
  }
  for (const auto& [tid, now] : after) {
    if (!before.contains(tid)) used += now;
  }
  return used;
}

std::optional<char> parse_task_state(std::string_view stat) {
  const auto name_end = stat.rfind(')');
  if (name_end == std::string_view::npos || name_end + 2 >= stat.size() ||
      stat[name_end + 1] != ' ') {
    return std::nullopt;
  }
  return stat[name_end + 2];
}

std::optional<std::vector<int>> other_running_threads() {
  const std::optional<int> self = proc_thread_id();
  if (!self) return std::nullopt;
  std::vector<int> running;
  try {
    for (const int tid : own_thread_ids()) {
      if (tid == *self) continue;
      // A thread that ended since the listing has no file left to read: read_text gives "".
      const std::string text = read_text(fmt::format("/proc/self/task/{}/stat", tid));
      if (text.empty()) continue;
      const std::optional<char> state = parse_task_state(text);
      if (!state) return std::nullopt;
      if (*state == 'R') running.push_back(tid);
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return running;
}

OwnThreadsSettled wait_for_own_threads_at_rest(double limit_s, const std::function<bool()>& stop) {
  static std::mutex mutex;
  // Threads that ran through a whole wait; each leaves the set when seen at rest (or gone: its
  // id may be given to a new thread).
  static std::set<int> restless;
  const std::lock_guard lock(mutex);
  const auto start = std::chrono::steady_clock::now();
  int polls = 0;
  std::map<int, int> polls_running;  // per thread, the polls that found it running
  for (;;) {
    const std::optional<std::vector<int>> running = other_running_threads();
    const double waited_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!running) return {waited_s, 0};
    ++polls;
    std::erase_if(restless,
                  [&](int tid) { return std::ranges::find(*running, tid) == running->end(); });
    std::vector<int> waited_for;
    for (const int tid : *running) {
      ++polls_running[tid];
      if (!restless.contains(tid)) waited_for.push_back(tid);
    }
    if (waited_for.empty() || (stop && stop())) return {waited_s, 0};
    if (waited_s >= limit_s) {
      // Only a thread found running by nearly every one of many polls never rests: not one
      // caught running at the end of a wait that another kept going, nor one that ran through
      // the few polls of a wait whose process was stopped meanwhile (Ctrl-Z). Running includes
      // waiting for a CPU, so a busy machine does not hide it.
      for (const int tid : waited_for) {
        if (polls >= 50 && polls_running[tid] >= polls * 9 / 10) restless.insert(tid);
      }
      return {waited_s, static_cast<int>(waited_for.size())};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

double cpus_this_process_may_use() {
  const auto usable = usable_cpus().size();
  const double cpus =
      usable > 0 ? static_cast<double>(usable) : static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN));
  const auto quota = cpu_quota();
  return quota ? std::min(cpus, quota->cpus) : cpus;
}

std::optional<double> cpufreq_mean_mhz() {
  try {
    const std::vector<int> cpus = parse_cpu_list(read_text("/sys/devices/system/cpu/online"));
    if (cpus.empty()) return std::nullopt;
    double sum_khz = 0;
    for (const int cpu : cpus) {
      const std::string text =
          read_text(fmt::format("/sys/devices/system/cpu/cpu{}/cpufreq/scaling_cur_freq", cpu));
      double khz = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), khz);
      if (ec != std::errc() || khz <= 0) return std::nullopt;
      sum_khz += khz;
    }
    return sum_khz / static_cast<double>(cpus.size()) / 1e3;
  } catch (const std::exception&) {
    return std::nullopt;  // no cpufreq, as on most virtual machines
  }
}

LoadSampler::LoadSampler(int cpus_in_use, TelemetrySource* source, std::vector<GpuDevice> gpus,
                         std::chrono::milliseconds period)
    : cpus_in_use_(cpus_in_use), source_(source), gpus_(std::move(gpus)), period_(period) {
  thread_ = std::thread([this] { loop(); });
}

LoadSampler::~LoadSampler() {
  if (thread_.joinable()) stop();
}

void LoadSampler::read_gpus() {
  if (source_ && !gpus_.empty()) gpu_rounds_.push_back(source_->read(gpus_));
}

void LoadSampler::loop() {
  std::unique_lock lock(mutex_);
  const auto stopping = [this] { return stopping_; };
  // The sampler starts just before the samples do: 20 ms in, the GPUs are at work, and a
  // measurement shorter than the period has this one reading of its own.
  if (wake_.wait_for(lock, std::min(period_, kFirstGpuReading), stopping)) return;
  read_gpus();
  while (!wake_.wait_for(lock, period_, stopping)) {
    read_gpus();
    if (const auto i = cpu_.next()) intervals_.push_back(*i);
  }
}

LoadSampler::Result LoadSampler::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (const auto i = cpu_.next()) intervals_.push_back(*i);
  Result result;
  if (cpu_.readable() && !intervals_.empty()) {
    result.load = summarise_load(intervals_, cpu_.cpus(), cpus_in_use_);
  }
  result.gpus = summarise_telemetry(gpu_rounds_);
  return result;
}

}  // namespace flopbench
