#pragma once

// What else the machine does while a measurement samples (docs/methodology.md, "Contention"):
// one background thread reads, every 100 ms, the CPU time of other processes and the steal time
// (/proc/stat), the load average (/proc/loadavg) and, for GPU work, each GPU's telemetry
// (clocks, power, temperature, throttle reasons; telemetry.hpp).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "harness/core/results.hpp"

namespace flopbench {

class TelemetrySource;

// CPU time from /proc/stat, in clock ticks (USER_HZ).
struct CpuTicks {
  double busy = 0;   // user, nice, system, irq, softirq (guest time is inside user)
  double idle = 0;   // idle and iowait
  double steal = 0;  // given by the hypervisor to other guests
  int cpus = 0;      // the "cpuN" lines counted: the CPUs online
};
// The aggregate "cpu" line, or with `cpus` the sum of their "cpuN" lines. Throws InputError when
// a line is missing or malformed.
CpuTicks parse_proc_stat(std::string_view text, const std::vector<int>& cpus = {});
// The 1-minute load average of /proc/loadavg; nullopt when malformed.
std::optional<double> parse_loadavg(std::string_view text);

// The load over one interval between two readings, in CPUs.
struct LoadInterval {
  double other_cpus = 0;  // never below 0
  double steal_cpus = 0;
  double load_average = 0;
  double seconds = 0;
  // Other processes' and steal's CPU time over the interval, unrounded: /proc/stat's 10 ms
  // units can make it a little below 0. Summed over a measurement's intervals, they cancel.
  double foreign_cpu_s = 0;
};

// One reading of the CPUs' time and of this process's.
struct LoadReading {
  std::chrono::steady_clock::time_point at;  // just after /proc/stat was read
  CpuTicks ticks;
  double self_cpu_s = 0;  // CLOCK_PROCESS_CPUTIME_ID: up to a tick behind for running threads
  std::optional<std::map<int, double>> threads;  // each thread's CPU time (own_threads_cpu_s)
};

// The load between two readings at least 50 ms apart, or nullopt where the CPUs online changed
// between them (the kernel's idle time for a CPU jumps as it goes offline or comes back).
// Other processes' time is the busy time of the CPUs less this process's, which is exact from
// its threads' own clocks (the process clock, where a thread ended between them).
// The CPUs' busy time is, where the kernel keeps idle time from the clock (a tickless kernel,
// the default), the time that passed on them less their idle and steal time: user and system
// time are sampled a whole scheduler tick (4 ms at HZ=250) at a time, to whatever runs as the
// tick fires, and threads that start and stop within ticks make them off by up to half a CPU
// over 100 ms (docs/methodology.md). With `busy_from_fields` it is their own busy fields: a
// /proc/stat that lxcfs mounts over takes those from the container's cgroup, exactly, and
// derives its idle time from them.
std::optional<LoadInterval> load_between(const LoadReading& before, const LoadReading& after,
                                         bool busy_from_fields, double ticks_per_s);

// The load since the previous reading on the CPUs the constructing thread may use (usable_cpus():
// other processes on other CPUs take nothing from it; construct it on a thread that holds every
// CPU of the work it watches, as the main thread does), reading /proc/stat (and /proc/loadavg)
// each time. The whole machine's where /proc/stat is mounted over or does not list those CPUs,
// and from the next reading on where one of them goes offline.
class CpuLoadReader {
 public:
  CpuLoadReader();                          // takes the first reading
  int cpus() const { return cpus_count_; }  // the CPUs read
  // The load since the previous reading; nullopt when /proc cannot be read (readable() is then
  // false for good) or when less than 50 ms have passed (/proc/stat counts in 10 ms ticks, so a
  // shorter interval would be mostly rounding; the previous reading is kept).
  std::optional<LoadInterval> next();
  bool readable() const { return last_.has_value(); }

 private:
  std::optional<LoadReading> read() const;
  void use_whole_machine();  // the aggregate line from now on, from a new first reading
  std::vector<int> cpus_;    // empty: the aggregate line
  int cpus_count_ = 0;
  bool mounted_over_ = false;  // lxcfs's /proc/stat
  std::optional<LoadReading> last_;
};

// Per thread of this process, by its id, the CPU time it has used, in seconds, read from the
// thread's own CPU clock: exact also for a thread running on another CPU at that moment, whose
// time CLOCK_PROCESS_CPUTIME_ID and schedstat count only up to its last scheduler tick (4 ms
// apart at HZ=250), so that a 2 ms sample of two busy threads reads as 1 or 3 CPUs. Time a
// hypervisor stole is not in it. nullopt where /proc cannot be read, where it numbers threads in
// another PID namespace than this one's, or where a thread ended during the reading.
std::optional<std::map<int, double>> own_threads_cpu_s();
// The CPU time used between two readings of own_threads_cpu_s: a thread that started between
// them counts whole; nullopt when one ended between them, whose time is lost with it.
std::optional<double> cpu_s_between(const std::map<int, double>& before,
                                    const std::map<int, double>& after);

// How long this process's threads have waited, runnable, for a CPU since they started: the sum
// of the run-queue delays in /proc/self/task/*/schedstat, in seconds. Time that other
// processes (or this process's other threads) had the CPU our threads were ready to use;
// nanosecond resolution, where /proc/stat counts 10 ms ticks. nullopt where the kernel does not
// keep it (no CONFIG_SCHED_INFO) or /proc cannot be read.
std::optional<double> process_run_delay_s();

// The state letter of a line of /proc/<pid>/task/<tid>/stat ('R' running or runnable, 'S'
// sleeping, ...): the field after the command name, which may itself hold spaces and ')'.
// nullopt when malformed.
std::optional<char> parse_task_state(std::string_view stat);

// The threads of this process other than the calling one that are running or runnable now
// (/proc/self/task/*/stat); nullopt where /proc cannot be read.
std::optional<std::vector<int>> other_running_threads();

// Waits until no thread of this process but the caller is running, polling every millisecond
// for at most `limit_s` seconds, or until `stop` says so. A library's thread pool spins for a
// while after its last call (OpenBLAS's for 2^OPENBLAS_THREAD_TIMEOUT TSC cycles, 2^28 by
// default; libgomp's for GOMP_SPINCOUNT), and a measurement started meanwhile shares the CPUs
// with it. A thread found running by nearly every poll of a wait that reached the limit never
// rests (a pool under OMP_WAIT_POLICY=active): it is not waited for again until it is seen at
// rest.
struct OwnThreadsSettled {
  double waited_s = 0;
  int left_running = 0;  // threads still running at the limit
};
OwnThreadsSettled wait_for_own_threads_at_rest(double limit_s,
                                               const std::function<bool()>& stop = {});

// The CPUs this process may use: those of its affinity mask (the online CPUs where the mask
// cannot be read), or its cgroup's CPU quota where that is less.
double cpus_this_process_may_use();

// The CPUs' mean current clock in MHz from cpufreq (scaling_cur_freq); nullopt where the kernel
// does not report it, as on most virtual machines.
std::optional<double> cpufreq_mean_mhz();

// The spread of the intervals, and whether other processes and steal took, over all of them
// together, at least a quarter of a CPU more than the CPUs the measurement left free
// (cpus - cpus_in_use).
MachineLoad summarise_load(const std::vector<LoadInterval>& intervals, int cpus, int cpus_in_use);

// Each GPU's readings (one vector of readings per round, as TelemetrySource::read returns them)
// as one spread per GPU, in the order the GPUs first appear.
std::vector<GpuTelemetrySpread> summarise_telemetry(
    const std::vector<std::vector<GpuTelemetry>>& rounds);

// Waits until the machine is quiet, for at most `limit_s` seconds: until other processes and
// steal take less than a quarter of a CPU over one second (the contention rule for a
// measurement that uses every CPU). `read_one_second` takes one such reading (nullopt when the
// load cannot be read: nothing to wait for); `not_quiet` hears of each reading that was not
// quiet, with the seconds waited so far. Returns whether the machine was quiet.
bool wait_for_quiet(int limit_s, const std::function<std::optional<MachineLoad>()>& read_one_second,
                    const std::function<void(const MachineLoad&, int waited_s)>& not_quiet);

// One second of the machine's load, judged as for a measurement that keeps every CPU busy.
std::optional<MachineLoad> load_over_one_second();

class LoadSampler {
 public:
  static constexpr std::chrono::milliseconds kFirstGpuReading{20};
  // Starts reading at once: the GPUs kFirstGpuReading after it starts and then every `period`,
  // the CPUs' load over each period. `cpus_in_use`: the CPUs the measurement itself keeps busy.
  // GPUs are read through `source` when it is not null.
  LoadSampler(int cpus_in_use, TelemetrySource* source, std::vector<GpuDevice> gpus,
              std::chrono::milliseconds period = std::chrono::milliseconds(100));
  LoadSampler(const LoadSampler&) = delete;
  LoadSampler& operator=(const LoadSampler&) = delete;
  ~LoadSampler();

  struct Result {
    std::optional<MachineLoad> load;  // empty when /proc could not be read or no interval ended
    std::vector<GpuTelemetrySpread> gpus;
  };
  // Stops the thread and summarises what it read. The CPUs' load is read once more, to end the
  // last interval; the GPUs are not: the work is over, and a reading now would show them idle.
  Result stop();

 private:
  void read_gpus();
  void loop();

  int cpus_in_use_;
  TelemetrySource* source_;
  std::vector<GpuDevice> gpus_;
  std::chrono::milliseconds period_;
  CpuLoadReader cpu_;
  std::vector<LoadInterval> intervals_;
  std::vector<std::vector<GpuTelemetry>> gpu_rounds_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace flopbench
