#pragma once

// Plain result records: the runner fills them, reporters only read them. results.json is their
// serialisation (reports/results_json.cpp); every other output is generated from that file.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/catalog.hpp"
#include "harness/core/health.hpp"
#include "harness/core/types.hpp"

namespace flopbench {

inline constexpr int kSchemaVersion = 1;

// Fields of a results file that this version does not know, kept so that rewriting the file
// (`flopbench check --results`) loses none: JSON pointer relative to the record that keeps them
// -> the value as JSON text. The reader fills it; the writer puts each field back where it was.
// Records with such a member keep what is unknown in their part of the file.
using UnknownFields = std::map<std::string, std::string>;

struct CacheLevel {
  int level = 0;
  std::string type;  // "Data", "Instruction", "Unified"
  std::int64_t size_bytes = 0;
  int shared_by_cpus = 0;  // logical CPUs sharing one instance
  int instances = 0;       // how many of this cache the machine has
};

// A theoretical peak and how it was derived, so every % of peak can be checked by hand.
struct Peak {
  // The basis's markers, read back from results.json: a ceiling measured by the peak workload
  // (where no theoretical peak exists) starts with kMeasuredCeiling; a CPU peak whose clock was
  // measured as the run started says kClockMeasured; one bound by a cgroup CPU quota below the
  // cores says kCpuQuota.
  static constexpr std::string_view kMeasuredCeiling = "measured: ";
  static constexpr std::string_view kClockMeasured = "clock measured";
  static constexpr std::string_view kCpuQuota = "of cgroup quota";

  std::optional<double> gflops;  // empty: unknown
  std::string basis;             // the formula with its numbers, or why it is unknown

  bool is_measured_ceiling() const { return basis.starts_with(kMeasuredCeiling); }
  bool assumes_measured_clock() const { return basis.find(kClockMeasured) != std::string::npos; }
  bool bound_by_cpu_quota() const { return basis.find(kCpuQuota) != std::string::npos; }
};

// A device's vector-unit peak at a precision (CpuInventory and GpuDevice): the inventory keeps
// FP32 and FP64; nullptr for the matrix precisions, whose peak depends on the path a
// measurement takes and is in its record (MeasurementRecord::peak).
template <class Device>
const Peak* peak_at(const Device& d, Precision p) {
  switch (p) {
    case Precision::fp32:
      return &d.peak_fp32;
    case Precision::fp64:
      return &d.peak_fp64;
    case Precision::tf32:
    case Precision::bf16:
    case Precision::fp16:
    case Precision::fp8_e4m3:
    case Precision::int8:
      return nullptr;
  }
  throw std::logic_error("unknown precision");
}

// The CPU time a cgroup grants this process: a container's `--cpus`, a Kubernetes CPU limit.
// Threads beyond it are throttled, so CPU work runs no faster than on this many CPUs.
struct CpuQuota {
  double cpus = 0;   // CPUs' worth of time per period: 2.5
  std::string file;  // the cgroup file that sets it: "/sys/fs/cgroup/cpu.max"

  std::string cpus_text() const;  // "2.5 CPUs", "1 CPU"
};

// The cgroup memory limit that leaves this process the least memory, of its cgroup's and its
// ancestors' (harness/machine/probe.hpp, read_cgroup_memory).
struct MemoryLimit {
  std::int64_t bytes = 0;
  std::string file;  // the cgroup file that sets it: "/sys/fs/cgroup/memory.max"
};

struct CpuInventory {
  std::string model;              // "AMD EPYC 9654 96-Core Processor"
  std::string vendor;             // "AuthenticAMD", "GenuineIntel", "ARM"
  std::string microarchitecture;  // "Zen 4", or "unknown"
  int family = 0, model_number = 0, stepping = 0;
  int sockets = 0;
  int cores = 0;         // physical cores usable by this process
  int logical_cpus = 0;  // hardware threads usable by this process
  int online_cpus = 0;   // hardware threads online on the machine; 0 in files from before it
  std::optional<CpuQuota> quota;  // the least CPU quota of this process's cgroups; none: none set
  std::vector<std::string> simd;  // ISA extensions present: "avx512f", "avx2", "fma", "neon", ...
  std::vector<CacheLevel> caches;
  std::int64_t memory_bytes = 0;
  std::optional<MemoryLimit> memory_limit;  // none: no cgroup memory limit set
  // The all-core clock the peak model uses: measured under vector FMA load (clock.hpp), which
  // on parts with AVX-512 frequency licences is below the scalar clock.
  std::optional<double> clock_ghz;
  std::string clock_source;  // how clock_ghz was obtained
  // The width of the FMAs clock_ghz was measured beside (the vector kernels' width,
  // harness/machine/vector_shape.hpp); 0 where unknown. Not in results.json, whose clock_source
  // says it: the peaks made from it are there.
  int clock_vector_bits = 0;
  std::optional<double> scalar_clock_ghz;  // the all-core clock under scalar integer adds
  Peak peak_fp32;
  Peak peak_fp64;

  const Peak* peak(Precision p) const { return peak_at(*this, p); }
  // An x86 CPU whose caches are known but name no L3: every x86 server part has one, and a
  // hypervisor may hide it (a 2-vCPU Zen 5 KVM guest read zeros from CPUID's cache leaves but
  // AMD's legacy L1 and L2 ones), so the cache that sizes are judged against may be far larger.
  bool no_l3_reported() const;
};

// The launch latency of an empty kernel on one GPU (docs/methodology.md, "Launch latency"): the
// least time any GPU work takes from the host's point of view. Measured by a run that times GPU
// work end to end (a sweep), once per GPU.
struct LaunchLatency {
  double synchronous_us = 0;   // median host time of one launch and the wait for it to finish
  double back_to_back_us = 0;  // device time per launch of launches queued one after another
  int launches = 0;            // measured of each kind
};

struct GpuDevice {
  int index = 0;
  std::string name;
  int cc_major = 0, cc_minor = 0;
  int sm_count = 0;
  double sm_clock_mhz = 0;  // maximum SM clock
  double memory_clock_mhz = 0;
  std::int64_t memory_bytes = 0;
  int memory_bus_width_bits = 0;
  std::int64_t l2_bytes = 0;
  bool ecc_enabled = false;
  std::string pci_bus_id;     // "0000:17:00.0"
  std::string pci_device_id;  // vendor:device as lspci -nn shows it, "10de:2330"; "" if unknown
  // The CPUs of its NUMA node, as the kernel lists them ("0-47,96-143"); "" if unknown. The host
  // thread that drives it runs there (HeldNearGpu).
  std::string local_cpus;
  std::string uuid;
  Peak peak_fp32;
  Peak peak_fp64;
  std::optional<LaunchLatency> launch_latency;  // empty unless the run measured it

  const Peak* peak(Precision p) const { return peak_at(*this, p); }
};

struct GpuInventory {
  bool cuda_built = false;      // false in a CPU-only build
  std::string runtime_version;  // "13.0"
  std::string driver_version;   // CUDA version the driver supports, "" when there is no driver
  std::vector<GpuDevice> devices;
  std::string no_device_reason;  // why devices is empty ("" when it is not)
  // CUDA_DEVICE_ORDER and CUDA_VISIBLE_DEVICES, "" when unset: how CUDA numbered the devices.
  std::map<std::string, std::string> cuda_env;

  // The device CUDA numbers `index`; nullptr where there is none.
  const GpuDevice* find(int index) const;
};

struct Environment {
  std::string flopbench_version;
  std::string git_commit;
  std::string host;
  std::string os;      // "Debian GNU/Linux 12 (bookworm)"
  std::string kernel;  // uname -r
  std::string compiler;
  std::string compiler_flags;
  std::string build_type;
  std::map<std::string, std::string> libraries;   // name -> version
  std::map<std::string, std::string> openmp_env;  // OMP_NUM_THREADS etc., "" when unset
  CpuInventory cpu;
  GpuInventory gpu;
  // Health facts (harness/core/health.hpp); empty in files written before they were recorded.
  std::optional<MachineHealth> health;
};

// What default sizes depend on (catalog.hpp): the CPU's largest cache level over all instances; the
// selected GPUs' smallest memory and SM count and largest L2, so that one default fits and fills
// every one of them.
SizingFacts sizing_facts_of(const CpuInventory& cpu);
SizingFacts sizing_facts_of(const GpuInventory& inventory, const std::vector<int>& gpus);
// The facts of the device a measurement ran on.
SizingFacts sizing_facts_of(const Environment& env, const DeviceRef& device);

struct Statistics {
  std::int64_t samples = 0;
  double median = 0, min = 0, max = 0, mean = 0, stddev = 0;
  double cv = 0;  // stddev / mean
};

struct Verification {
  std::string method;    // what was compared, e.g. "6143 sampled elements vs double reference"
  double max_error = 0;  // the worst error found, in the output's units
  double tolerance = 0;  // what was allowed at that element
  // max over checked elements of error / allowed error: <= 1 passes.
  double error_ratio = 0;
  bool passed = false;
};

// A GPU's state read just before or just after a measurement (docs/methodology.md, "On the GPU").
// Readings the source could not give stay empty.
struct GpuTelemetry {
  std::string device;  // "gpu0"
  std::string source;  // "nvml" or "nvidia-smi"
  std::optional<double> sm_clock_mhz, memory_clock_mhz, temperature_c, power_w;
  // Active clock event ("throttle") reasons, by name: "sw_power_cap", "hw_thermal_slowdown", ...
  std::vector<std::string> clock_event_reasons;
  // Whether any of them slows a busy GPU beyond how it is specified to run (telemetry.hpp,
  // is_throttling_reason: not the power cap, nor idle or application-clock settings); a
  // measurement with such a reading is flagged "throttled".
  bool throttled = false;
  // Whether the source gave the reasons at all: a vGPU or an old driver may not, and then
  // `throttled` false says nothing. True in files from before it.
  bool clock_events_read = true;
};

// The smallest, median and largest of the readings taken during a measurement.
struct Spread {
  double min = 0, median = 0, max = 0;
};

// What else the machine did while a measurement took its samples: readings every 100 ms by a
// background sampler (harness/machine/load_sampler.hpp). Figures are in CPUs (1.0 = one CPU
// busy for the whole interval).
struct MachineLoad {
  int readings = 0;
  Spread other_cpus;    // other processes' CPU time (/proc/stat: not idle, stolen or ours)
  Spread steal_cpus;    // time the hypervisor gave this VM's CPUs to others (/proc/stat steal)
  Spread load_average;  // 1-minute load average (/proc/loadavg)
  // The median over the samples of the share of a sample's time that our threads waited,
  // runnable, for a CPU (MeasurementRecord::samples_waited); empty where it is not known.
  std::optional<double> waited;
  // For a CPU measurement, this process's CPU time during its samples over their time: the CPUs
  // its threads kept busy (1.0 for a library that ran a call on one of its threads), flopbench's
  // own load sampler's share (well under 0.01) included. Empty for GPU work, where a reading
  // failed, and in files written before it was recorded.
  std::optional<double> busy;
  // A CPU measurement's threads kept fewer CPUs busy than they were given (ran_on_fewer_threads);
  // empty where not judged: GPU work, one thread, a figure not known.
  std::optional<bool> fewer_threads;
  // Other processes and steal took more than the CPUs this measurement left free, by at least
  // a quarter of a CPU on average, or our threads waited kContendedWait of a sample's time more
  // than the threads beyond the CPUs they may use wait anyway (docs/methodology.md,
  // "Contention"). With no reading of /proc/stat (`readings` 0: the samples took less than one
  // interval), the waits alone decide.
  bool contended = false;
};

// The waits that make a measurement contended: a quarter of a sample's time, as if a quarter of
// a CPU were taken from it (the threshold of the /proc/stat rule). On a quiet VM the median
// sample waits some 0.2-0.4 %, the slowest 5-6 %.
inline constexpr double kContendedWait = 0.25;

// A CPU measurement whose threads kept busy, waited for a CPU or had stolen less than this share
// of the CPUs they could use, over its samples' time, ran on fewer threads than it was given, or
// left some idle: a quarter of them, beyond what a parallel loop's imbalance or serial part
// leaves (the threads of libgomp and OpenBLAS spin while they wait at a barrier, so that counts
// as busy).
inline constexpr double kFewerThreadsShare = 0.75;

// Whether a CPU measurement of `threads` threads, `cpus_may_use` CPUs available to the process
// (its affinity mask, or its cgroup quota where less), ran on fewer of them than it was given:
// `busy_or_waiting`, the CPUs its threads kept busy or waited for over the samples' time, and
// `stolen`, the CPUs the hypervisor took from it, against the CPUs it could use. A thread beyond
// the CPUs, or one held back by the quota, waits for a CPU; one asleep at a barrier for a
// descheduled one does neither, which is why the CPUs, not the threads, are the measure.
bool ran_on_fewer_threads(double busy_or_waiting, double stolen, int threads, double cpus_may_use);

// Adds the waits of a host-timed measurement's samples (samples_waited) to what the sampler
// read. `own_excess`: the threads it runs beyond the CPUs it may use (its affinity mask, or its
// cgroup's CPU quota where less), which wait that much of each sample without anyone else on the
// machine.
void add_sample_waits(MachineLoad& load, const std::vector<double>& samples_waited,
                      double own_excess);
// "other processes used 0.95 CPUs and steal 0.00 (medians of 12 readings; max 1.02 and 0.00),
// load average 2.10": the figures behind a contended verdict, for notes and reasons.
std::string contention_figures(const MachineLoad& load);

// One GPU's telemetry read every 100 ms during a measurement (the readings the source could
// give; a quantity it never gave stays empty).
struct GpuTelemetrySpread {
  std::string device;  // "gpu0"
  int readings = 0;
  std::optional<Spread> sm_clock_mhz, memory_clock_mhz, temperature_c, power_w;
  int throttled_readings = 0;                   // readings with a throttling reason
  std::vector<std::string> throttling_reasons;  // every throttling reason seen
  int power_capped_readings = 0;                // readings at the power cap (sw_power_cap)
  int clock_events_unread = 0;  // readings without clock event reasons (clock_events_read)
};

struct MeasurementRecord;
// Whether a GPU measurement had a telemetry reading, before, during or after its samples, that
// gave the clock event reasons: without one, whether it was throttled is unknown.
bool throttling_was_read(const MeasurementRecord& r);
// Whether a measurement's GB/s is partly its device's cache's: a cache-sensitive workload whose
// vectors are within kBeyondCacheMultiple times the cache (STREAM's rule, within_cache_note), or
// on a CPU that reports no L3, below the size a hidden one could hold (kHiddenCacheBytes).
bool within_cache(const Environment& env, const MeasurementRecord& r);

// How the runner's note on a measurement whose samples still drifted when sampling stopped
// begins (runner.cpp); the sheet leaves such a measurement out.
inline constexpr std::string_view kStillDriftingNote =
    "samples still drifting when sampling stopped";

struct MeasurementRecord {
  WorkloadId workload = WorkloadId::gemm;
  std::string implementation;  // "omp", "eigen", "openblas", "cuda", ...
  DeviceRef device;
  Precision precision = Precision::fp32;
  Problem problem;
  Disposition disposition = Disposition::skipped;
  std::string reason;  // why it did not pass; "" when it passed
  std::vector<std::string> notes;
  // CPU threads the implementation was given, or used where it says (Kernel::threads_used); 0 for
  // GPU work. A library may use fewer (ran_on_fewer_threads).
  int threads = 0;
  // CPU work whose implementation says (Kernel::vector_width): the width, in bits, of the vectors
  // its arithmetic ran. Where it cannot reach the whole of the CPU's peak (vector_reach), a note
  // starting with kNarrowVectors says so.
  std::optional<int> vector_bits;
  static constexpr std::string_view kNarrowVectors = "narrow vectors: ";
  // A rate above its theoretical peak starts a note with this (above_peak_note).
  static constexpr std::string_view kAbovePeak = "above the theoretical peak by ";
  // A GPU transfer or end-to-end timing whose process may not run on the GPU's NUMA node starts
  // a note with this (far_from_gpu_note).
  static constexpr std::string_view kFarFromGpu = "host memory on another NUMA node: ";

  // Cost of one run, from the workload's cost model (0 where meaningless).
  double flops = 0;
  double bytes = 0;

  // Timing. One sample is the mean time per run over `iterations_per_sample` back-to-back runs.
  // "host_real_time", "device_events", or a sweep's "end_to_end_pinned", "end_to_end_pageable"
  std::string timing;
  // How long it waited, before its samples, for flopbench's other threads to rest (the thread
  // pool of the library measured before, or the verification's, may still spin):
  // wait_for_own_threads_at_rest.
  double threads_rest_wait_s = 0;
  std::vector<double> samples_s;
  std::vector<double> host_wall_s;  // host wall time per run for each sample
  // Per sample, the CPU time our threads spent waiting, runnable, for a CPU, over the sample's
  // time (0.3: waits summing to 30% of it); empty where the kernel does not keep it.
  std::vector<double> samples_waited;
  std::int64_t iterations_per_sample = 0;
  std::string stopping_rule;  // which rule ended sampling (see runner.hpp)
  std::optional<Statistics> stats;
  double wall_s = 0;  // the whole measurement: setup, verification, sampling

  // Derived from stats.median and the cost model; empty where meaningless or not passed.
  std::optional<double> gflops;
  std::optional<double> gbytes_per_s;
  Peak peak;  // the peak this measurement is judged against
  std::optional<double> percent_of_peak;
  // A CPU measurement whose peak assumes the clock measured as the run started
  // (Peak::assumes_measured_clock): the vector clock measured again on its threads right after
  // its samples, which shows whether the cores still ran at the clock the peak assumes.
  std::optional<double> clock_after_ghz;

  std::optional<Verification> verification;

  // GPU measurements: one reading per GPU used, before the first run and after the last sample.
  // Empty for CPU measurements and where no telemetry source could be loaded.
  std::vector<GpuTelemetry> telemetry_before, telemetry_after;
  // While sampling: the machine's load (empty where nothing could be read, and for records
  // written before it was recorded), and for GPU work each GPU's telemetry.
  std::optional<MachineLoad> load;
  std::vector<GpuTelemetrySpread> telemetry_during;

  bool contended() const { return load && load->contended; }
  // Timed by one GPU's own events: its time is the GPU's, which a co-tenant on the host's CPUs
  // does not take (a machine aggregate's release and end the host times).
  bool timed_by_the_gpu() const {
    return device.on_gpu() && !device.machine_aggregate() && timing == "device_events";
  }
  // Its samples were still drifting when sampling stopped (a GPU settling into its power cap): a
  // note that starts kStillDriftingNote says so, and by how much.
  bool still_drifting() const {
    return std::ranges::any_of(
        notes, [](const std::string& n) { return n.starts_with(kStillDriftingNote); });
  }
  // Its implementation ran on fewer threads than it was given, as OpenBLAS 0.3.21 runs SDOT on
  // one (MachineLoad::fewer_threads).
  bool ran_on_fewer_threads() const { return load && load->fewer_threads.value_or(false); }
  // The note that starts with `prefix`, or "".
  std::string note_starting(std::string_view prefix) const;

  UnknownFields unknown_fields;  // in this measurement's part of the file

  const WorkloadInfo& workload_info() const { return info(workload); }
};

// Whether two records measured the same thing: one workload, implementation, device, precision,
// problem, timing and thread count. Within one document, a re-measurement (`check` keeps both);
// across two, the pair `compare` compares.
bool same_measurement(const MeasurementRecord& a, const MeasurementRecord& b);

// The most tasks a job may have: the largest GPU systems run some 10^5. merge stands a missing
// node in for each rank of a job that did not report, so a count beyond it in a file (or a
// launcher's environment) is refused rather than have it make millions.
inline constexpr int kMostLaunchTasks = 1 << 18;

// How the process was started: by a cluster's launcher (Slurm's srun, mpirun) as one task of a
// job, or directly (launcher ""). Read from the launcher's environment (harness/machine/launcher).
struct Launch {
  std::string launcher;           // "slurm", "openmpi", "pmix", "mpich"; "" when started directly
  std::string job;                // the job's id, "" when the launcher gives none
  std::optional<int> rank;        // the task's rank in the job
  std::optional<int> local_rank;  // its rank among the tasks on this node
  std::optional<int> node;        // the node's index in the job (Slurm)
  std::optional<int> tasks;       // how many tasks the job (Slurm: the step) has
  // Slurm's job step (SLURM_STEP_ID): each srun of a batch script is a step of its own, whose
  // ranks start again at 0. Empty for other launchers.
  std::optional<int> step;
  // The launcher's name for the node (Slurm's SLURMD_NODENAME, which `scontrol show hostnames`
  // lists): it need not be the host name. "" when the launcher gives none.
  std::string node_name;
};

// RunInfo::profile of the stress tests, which measure no profile of workloads: a burn-in
// (`flopbench burn`) and a GPU memory test (`flopbench memtest`).
inline constexpr std::string_view kBurnProfile = "burn", kMemtestProfile = "memtest";
// What a RunInfo's results are of: a run of workloads, a burn-in or a memory test; and what the
// reports call the two stress tests.
inline constexpr std::string_view kRunKind = "run";
inline constexpr std::string_view kBurnIn = "burn-in", kMemoryTest = "memory test";
// What the reports call a RunInfo::kind: "run", kBurnIn or kMemoryTest.
inline std::string_view kind_name(std::string_view kind) {
  if (kind == kBurnProfile) return kBurnIn;
  if (kind == kMemtestProfile) return kMemoryTest;
  return kRunKind;
}

// Whether GPU `index` (CUDA's numbering) is among `gpus`, as --gpus parsed them; empty: every GPU.
inline bool gpu_selected(const std::vector<int>& gpus, int index) {
  return gpus.empty() || std::find(gpus.begin(), gpus.end(), index) != gpus.end();
}

// Run `index` (from 1) of the `of` runs of one `run --repeat`: replicates of one command.
struct Replicate {
  int index = 1;
  int of = 1;
};

// How a run's measurements took their samples: its profile's stopping rule and minimum sample
// time (runner.hpp's settings_for; docs/methodology.md, "One measurement"). A workload may take
// longer samples (WorkloadInfo::min_sample_s).
struct Sampling {
  int min_samples = 0, max_samples = 0;
  double min_sample_s = 0;    // the shortest sample: back-to-back runs of the kernel
  double min_measured_s = 0;  // the least time of runs before the CV may end sampling
  double target_cv = 0;       // a fraction; an event-timed measurement's drift within half of it
  double time_limit_s = 0;    // sampling starts no sample past it
};

struct RunInfo {
  std::vector<std::string> command_line;
  std::string profile;  // a Profile's name (types.hpp), or kBurnProfile or kMemtestProfile
  std::uint64_t seed = 0;
  int threads = 0;
  std::string started_utc;   // ISO 8601
  std::string finished_utc;  // "" until the run ends: a file without it is from a run that died
  bool interrupted = false;
  Launch launch;
  // The GPUs --gpus confined the run to (CUDA indices, as given); empty: every GPU CUDA sees.
  // A task of a one-task-per-GPU fleet is judged on its own GPU, not on its siblings'.
  std::vector<int> gpus;
  // Where GPU telemetry came from: "nvml", "nvidia-smi", or "none: <why>"; "" in a run that saw
  // no GPU.
  std::string telemetry_source;
  // Which run of a `run --repeat N` this is; empty for a run of its own.
  std::optional<Replicate> replicate;
  // Empty for a burn-in, a memory test, and files from before it was recorded.
  std::optional<Sampling> sampling;

  bool complete() const { return !finished_utc.empty() && !interrupted; }
  // Whether the run was allowed GPU `index` (CUDA's numbering).
  bool selected_gpu(int index) const { return gpu_selected(gpus, index); }
  // kRunKind, kBurnProfile or kMemtestProfile: a fleet's check judges each with the spec's rows
  // for that kind of results.
  std::string_view kind() const {
    return profile == kBurnProfile      ? kBurnProfile
           : profile == kMemtestProfile ? kMemtestProfile
                                        : kRunKind;
  }
};

// One acceptance criterion judged against a results document (`flopbench check`).
struct CriterionVerdict {
  std::string metric;              // e.g. "gpu.sgemm.cublas.tflops"
  std::string comparator;          // ">=", ">", "<=", "<", "=="
  std::string bound_text;          // the bound as the spec wrote it, e.g. "0.85 * peak"
  std::optional<double> measured;  // in `unit`; empty when not measured
  std::optional<double> bound;     // resolved, in `unit`
  std::string unit;
  std::optional<double> margin_percent;  // how far measured is on the passing side of bound
  Severity severity = Severity::fail;
  Verdict verdict = Verdict::fail;
  std::string reason;  // why it did not pass ("not measured", ...); "" when it passed
  std::string description;
};

struct AcceptanceResult {
  std::string spec;  // the spec file (or "auto: <file>")
  std::string checked_utc;
  std::vector<CriterionVerdict> criteria;
  // The spec's rows for GPUs this machine lacks, not judged: "line 14: gpu.count >= 1, for
  // NVIDIA A100-SXM4-40GB". Empty when no row applied (the verdict then says so).
  std::vector<std::string> not_applied;
  bool passed = false;           // every fail-severity criterion passed
  UnknownFields unknown_fields;  // its own: a new verdict replaces them with the old verdict
};

// ---- burn-in (`flopbench burn`, harness/measure/burn.hpp) -----------------------------------

// A burn's series (throughput, telemetry, cpu_load) hold at most this many points each: a point
// merges `windows` or `readings` of its second-long windows or readings, and once a series is
// full its neighbours are merged in pairs. So a burn of any length keeps evenly spaced points and
// a results.json that can be read back (an 8-GPU night at one point a second would pass the
// input limit, kMaxInputFileBytes), while the counts that verdicts use stay exact.
inline constexpr std::size_t kBurnSeriesPoints = 2048;

// Throughput of the runs that ended in one window (about a second), or in `windows` consecutive
// windows: their FLOPs over their run time.
struct BurnPoint {
  double at_s = 0;  // end of the (last) window, since the burn started
  double gflops = 0;
  double run_s = 0;  // the run time in the window(s); 0 in files from before it
  int windows = 1;
};

// A GPU's telemetry read during a burn, about once a second; or `readings` consecutive readings
// merged: each figure their mean, every clock event reason any of them had, `throttled` if one was.
struct BurnTelemetry {
  double at_s = 0;  // since the burn started, of the (last) reading
  GpuTelemetry reading;
  int readings = 1;
  // Of the readings, those with a throttling reason; empty in files from before readings were
  // merged, whose points are one reading each: reading.throttled.
  std::optional<int> throttled_readings;

  int throttled() const { return throttled_readings.value_or(reading.throttled ? 1 : 0); }
};

// The CPU's load over about one second of a burn-in (harness/machine/load_sampler.hpp), or over
// `readings` consecutive seconds merged: what else ran on it, which a CPU burn has no sibling to
// show.
struct CpuBurnReading {
  double at_s = 0;        // since the burn started, of the (last) reading
  double other_cpus = 0;  // CPU time of other processes, in CPUs (1.0 = one CPU all the time)
  double steal_cpus = 0;  // time the hypervisor gave to other guests, in CPUs
  std::optional<double> clock_mhz;  // the CPUs' mean clock, where the kernel reports it (cpufreq)
  int readings = 1;
};

// Adds a point (one window or reading) to a burn series of at most max_points (at least 2)
// points, each but the last merging as many windows or readings as the first: the new point
// joins the last one until it has that many, and a full series first merges its points in pairs.
void add_to_series(std::vector<BurnPoint>& series, const BurnPoint& point, std::size_t max_points);
void add_to_series(std::vector<BurnTelemetry>& series, const BurnTelemetry& point,
                   std::size_t max_points);
void add_to_series(std::vector<CpuBurnReading>& series, const CpuBurnReading& point,
                   std::size_t max_points);

// One device burned at one precision.
struct BurnDevice {
  DeviceRef device;
  std::string implementation;
  Precision precision = Precision::fp64;
  Problem problem;
  std::int64_t iterations = 0;  // iterations checked (each of runs_per_iteration runs)
  std::int64_t runs_per_iteration = 1;
  double seconds = 0;  // from the start to the last run's end
  // The run time of the iterations counted: the device's own (CUDA events) on a GPU, the
  // host's on the CPU. What is left of `seconds` went to setting up, checking, and on a GPU to
  // launching and waiting: time the device was not loaded.
  double busy_s = 0;
  std::vector<BurnPoint> throughput;
  std::vector<BurnTelemetry> telemetry;  // GPUs with a telemetry source; empty otherwise
  std::vector<CpuBurnReading> cpu_load;  // the CPU, where /proc can be read; empty for GPUs
  std::string fault;  // "iteration 7: element 3 (row 3, column 0) is nan"; "" when none
  // Why its last iteration was stopped unfinished, the burn's duration long past (its runs far
  // slower than sized: other work on a busy host, a throttled device); "" when it was not.
  std::string cut_short;
  BurnVerdict verdict = BurnVerdict::ok;
  std::string why;  // the verdict's reason; "" for OK
  // The device stopped responding and its burn thread was left running, stuck in it (not saved:
  // the fault says so). The process should end without waiting for that thread.
  bool hung = false;
  // A fault left the GPU's CUDA context unusable (GpuError::context_lost(): an illegal address,
  // an uncorrectable ECC error): no CUDA work can run on it again in this process (not saved:
  // the fault says so: "failed: ... (its CUDA context is lost)").
  bool context_lost = false;

  // Hung or its context lost: a later precision's burn of it would only fail at its first call.
  bool burns_no_further() const { return hung || context_lost; }
  std::int64_t runs() const { return iterations * runs_per_iteration; }
  // busy_s / seconds; empty before the first iteration, or in files from before busy_s.
  std::optional<double> busy_share() const;
  // The median of the throughput points; empty when there are none (no iteration checked).
  std::optional<double> median_gflops() const;
  // How far the throughput fell from the first quarter of the burn to the last: 1 - (median of
  // the last quarter's points) / (median of the first quarter's). Empty with fewer than four
  // points (a burn too short to compare its start with its end) or a first quarter at 0.
  std::optional<double> throughput_drop() const;
  // The telemetry readings taken, and those with a throttling reason.
  int telemetry_readings() const;
  // What kept a GPU's throttling from being seen: "no telemetry" (none was read) or "no clock
  // event reason" (no reading gave the reasons: a vGPU, an old driver; a merged point gave them
  // when one of its readings did); "" when some reading gave them, and for the CPU.
  std::string_view throttling_unread() const;
  int throttled_readings() const;
  // The most CPU that other processes and other guests (steal) took in one cpu_load point (a
  // second, or the mean of the seconds a long burn's point merges); empty without readings.
  std::optional<double> most_foreign_cpus() const;
};

// Merges neighbouring points of each of the device's series in pairs, as a full series does,
// until each holds at most max_points (at least 2): the counts verdicts use stay exact, and the
// figures of a merged point are those of its windows or readings together.
void thin_series(BurnDevice& device, std::size_t max_points);

struct BurnResult {
  double duration_s = 0;  // asked for, per precision
  // Asked for, in burn order: a precision none of the devices has a record of was not burned
  // (interrupted before it, or no device left to burn it). Empty in files from before it.
  std::vector<Precision> precisions;
  double degraded_fraction = 0;
  std::string telemetry_source;  // "nvml", "nvidia-smi", or why there was none
  // Where the telemetry source stopped answering during the burn (a hung driver?), what and
  // when; "" when it did not. The burn then fails, whatever the devices' verdicts.
  std::string telemetry_stopped;
  std::vector<BurnDevice> devices;  // every device at each precision, in burn order

  // The precisions asked for that no device has a record of.
  std::vector<Precision> precisions_not_burned() const;
};

// ---- GPU memory test (`flopbench memtest`, harness/machine/memtest.hpp) ------------------------

// The bad words a memory test records per GPU; beyond them it only counts.
inline constexpr int kMemtestMaxErrors = 64;

// A word that read back other than written.
struct MemtestError {
  std::string pattern;      // "walking ones", "random", "own address"
  std::int64_t offset = 0;  // byte offset into the tested memory
  std::uint64_t expected = 0, actual = 0;
};

struct MemtestDevice {
  std::string device;  // "gpu0"
  std::int64_t bytes_tested = 0;
  std::int64_t bytes_asked = 0;       // what the test was to allocate; 0 in files from before it
  std::int64_t free_bytes = 0;        // free device memory before the test allocated
  int passes = 0;                     // complete passes of every pattern
  std::vector<std::string> patterns;  // the patterns run, in order, each one write + verify
  double seconds = 0;
  std::int64_t bad_words = 0;
  std::vector<MemtestError> errors;  // the first bad words found (at most kMemtestMaxErrors)
  std::string failure;               // a CUDA error or allocation failure; "" when none
  // The GPU's memory-error counts (kMemoryErrorFacts) that rose while the test ran: with ECC on,
  // an error the test itself cannot see, since ECC corrects it before the test reads the word.
  std::vector<FactRise> memory_error_rises;
  // "ECC counts could not be compared: <why>"; "" when they were, or ECC is off.
  std::string ecc_not_compared;

  // At least one complete pass of every pattern, and no failure: bad_words is the whole count.
  bool completed() const { return failure.empty() && passes >= 1; }
  // Completed with no bad word and no memory-error count risen.
  bool passed() const { return completed() && bad_words == 0 && memory_error_rises.empty(); }
  // Found something wrong: bad words, a memory-error count risen, or a failure.
  bool failed() const { return bad_words > 0 || !memory_error_rises.empty() || !failure.empty(); }
  // PASS; FAIL (failed()); INCOMPLETE when it found nothing wrong but completed no pass of every
  // pattern, so that its memory was not all tested.
  std::string_view verdict() const { return passed() ? "PASS" : failed() ? "FAIL" : "INCOMPLETE"; }
  // Why a test did not complete: its failure, or that no pass completed.
  std::string incomplete_reason() const {
    return failure.empty() ? "no complete pass of every pattern" : failure;
  }
};

struct MemtestResult {
  double duration_s = 0;  // the time box asked for, per GPU
  std::vector<MemtestDevice> devices;
};

struct ResultsDocument {
  int schema_version = kSchemaVersion;
  Environment environment;
  RunInfo run;
  std::vector<MeasurementRecord> measurements;
  std::optional<AcceptanceResult> acceptance;  // present once `flopbench check` judged the run
  std::optional<BurnResult> burn;        // `flopbench burn` (its documents have no measurements)
  std::optional<MemtestResult> memtest;  // `flopbench memtest`
  UnknownFields unknown_fields;          // outside the measurements and the verdict
};

}  // namespace flopbench
