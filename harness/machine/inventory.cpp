#include "harness/machine/inventory.hpp"

#include <gnu/libc-version.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/Version.hpp>
#include <nlohmann/json_fwd.hpp>  // the version macros, without the library

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "harness/core/build_info.hpp"
#include "harness/machine/clock.hpp"
#include "harness/machine/cpuid_caches.hpp"
#include "harness/machine/gpu_health.hpp"
#include "harness/machine/peak_model.hpp"
#include "harness/machine/probe.hpp"
#include "harness/machine/vector_shape.hpp"

namespace flopbench {
namespace {

std::string openmp_version() {
#ifdef _OPENMP
  constexpr std::array<std::pair<int, std::string_view>, 9> kVersions = {{
      {200505, "2.5"},
      {200805, "3.0"},
      {201107, "3.1"},
      {201307, "4.0"},
      {201511, "4.5"},
      {201811, "5.0"},
      {202011, "5.1"},
      {202111, "5.2"},
      {202411, "6.0"},
  }};
  for (const auto& [date, version] : kVersions) {
    if (date == _OPENMP) return fmt::format("{} (OpenMP {})", _OPENMP, version);
  }
  return fmt::format("{}", _OPENMP);
#else
  return "not enabled";
#endif
}

std::string or_none(const std::string& s) { return s.empty() ? "(none)" : s; }

const std::filesystem::path kCpuRoot = "/sys/devices/system/cpu";

std::vector<int> online_cpus(const std::vector<int>& usable) {
  std::vector<int> online = parse_cpu_list(read_text(kCpuRoot / "online"));
  return online.empty() ? usable : online;
}

// The sysfs topology, else /proc/cpuinfo's counts (`listed`) with its cores per logical CPU
// assumed to hold for the usable set.
CpuTopology usable_topology(const CpuInventory& listed, const std::vector<int>& online,
                            const std::vector<int>& usable) {
  if (const auto topology = read_cpu_topology(kCpuRoot, online, usable)) return *topology;
  CpuTopology topology{listed.sockets, listed.cores, listed.logical_cpus};
  if (!usable.empty() && listed.logical_cpus > 0) {
    const double cores_per_cpu = static_cast<double>(listed.cores) / listed.logical_cpus;
    topology.logical_cpus = static_cast<int>(usable.size());
    topology.cores =
        std::max(1, static_cast<int>(std::lround(topology.logical_cpus * cores_per_cpu)));
  }
  return topology;
}

}  // namespace

std::vector<CacheLevel> cpu_caches(const std::vector<int>& cpus) {
  if (auto caches = read_caches(kCpuRoot, cpus); !caches.empty()) return caches;
  const std::vector<int> usable = usable_cpus();
  const CpuTopology topology =
      usable_topology(parse_cpuinfo(read_text("/proc/cpuinfo")), online_cpus(usable), usable);
  return caches_from_cpuid(read_cpuid_cache_leaves(), static_cast<int>(cpus.size()),
                           topology.logical_cpus / std::max(1, topology.cores));
}

CpuInventory cpu_inventory() {
  CpuInventory cpu = parse_cpuinfo(read_text("/proc/cpuinfo"));
  const std::vector<int> usable = usable_cpus();
  const std::vector<int> online = online_cpus(usable);
  const CpuTopology topology = usable_topology(cpu, online, usable);
  cpu.sockets = topology.sockets;
  cpu.cores = topology.cores;
  cpu.logical_cpus = topology.logical_cpus;
  cpu.online_cpus = static_cast<int>(online.size());
  cpu.caches = cpu_caches(online);
  cpu.memory_bytes = parse_meminfo(read_text("/proc/meminfo"), "MemTotal");
  cpu.quota = cpu_quota();
  if (const auto cgroup = cgroup_memory()) cpu.memory_limit = cgroup->limit;

  // Measured once per process: each takes ~0.3 s and the answer does not change between calls.
  // Threads beyond the quota would wait for CPU time, and the clock would take that much longer.
  const int threads = threads_within_quota(std::max(1, static_cast<int>(usable.size())), cpu.quota);
  const int vector_threads = vector_clock_threads(threads, cpu.cores);
  static const double scalar_ghz = measure_cpu_clock(threads, ClockLoad::scalar).ghz;
  static const ClockReading vector = measure_cpu_clock(vector_threads, ClockLoad::vector_fma);
  const double vector_ghz = vector.ghz;
  if (plausible_cpu_clock(scalar_ghz)) cpu.scalar_clock_ghz = scalar_ghz;
  if (plausible_cpu_clock(vector_ghz)) {
    cpu.clock_ghz = vector_ghz;
    cpu.clock_vector_bits = simd::dispatched_vector_bytes() * 8;
    // The threads that measured it (fewer than asked only where the system would not start one).
    const std::string cores = counted(vector.threads, "core");
    const std::string on = cpu.cores <= 0              ? counted(vector.threads, "CPU")
                           : vector_threads == threads ? cores
                                                       : cores + ", a thread each";
    cpu.clock_source =
        fmt::format("measured: dependent integer adds beside {}-bit vector FMAs on {}",
                    cpu.clock_vector_bits, on);
  } else {
    cpu.clock_source =
        fmt::format("unknown: the vector FMA clock measurement gave {:.3f} GHz, outside 0.2-10 GHz",
                    vector_ghz);
  }
  if (!online.empty()) {
    const auto max_khz = read_integer(kCpuRoot / fmt::format("cpu{}", online.front()) / "cpufreq" /
                                      "cpuinfo_max_freq");
    if (max_khz && *max_khz > 0) {
      cpu.clock_source += fmt::format("; cpufreq max {:.2f} GHz", *max_khz / 1e6);
    }
  }
  cpu.peak_fp32 = cpu_peak(cpu, Precision::fp32, cpu.cores);
  cpu.peak_fp64 = cpu_peak(cpu, Precision::fp64, cpu.cores);
  return cpu;
}

std::string host_name() {
  std::array<char, 256> host{};
  return gethostname(host.data(), host.size() - 1) == 0 ? host.data() : "";
}

Environment collect_environment(const std::map<std::string, std::string>& extra_libraries) {
  // The vector kernels' width was chosen as they registered; a cap it could not obey is refused
  // before the clock is measured beside FMAs of another width.
  simd::refuse_a_vector_cap_it_cannot_obey();
  Environment env;
  env.flopbench_version = build::version;
  env.git_commit = build::git_commit;
  env.compiler = build::cxx_compiler;
  env.compiler_flags = build::cxx_flags;
  env.build_type = build::build_type;

  env.host = host_name();
  env.os = parse_os_release(read_text("/etc/os-release"));
  if (utsname names{}; uname(&names) == 0) env.kernel = names.release;

  env.cpu = cpu_inventory();
  env.gpu = gpu_inventory();
  for (const char* name : {"CUDA_DEVICE_ORDER", "CUDA_VISIBLE_DEVICES"}) {
    const char* value = std::getenv(name);
    env.gpu.cuda_env[name] = value ? value : "";
  }
  env.health = collect_health(env.gpu);

  env.libraries["OpenMP"] = openmp_version();
  env.libraries["Google Benchmark"] = build::google_benchmark_version;
  env.libraries["nlohmann_json"] =
      fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR,
                  NLOHMANN_JSON_VERSION_PATCH);
  env.libraries["CLI11"] = CLI11_VERSION;
  env.libraries["fmt"] =
      fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100);
  env.libraries["glibc"] = gnu_get_libc_version();
  if (env.gpu.cuda_built) {
    env.libraries["CUDA compiler"] = build::cuda_compiler_version;
    env.libraries["CUDA runtime"] = env.gpu.runtime_version;
    env.libraries["CUDA driver"] = or_none(env.gpu.driver_version);
    env.libraries.merge(gpu_libraries());
  }
  for (const auto& [name, version] : extra_libraries) env.libraries[name] = version;

  env.openmp_env = threading_environment(environ);
  return env;
}

std::map<std::string, std::string> threading_environment(const char* const* envp) {
  std::map<std::string, std::string> vars;
  // Always present, so that a reader sees they were unset.
  for (const char* name : {"OMP_NUM_THREADS", "OMP_PROC_BIND", "OMP_PLACES", "OMP_DYNAMIC"})
    vars[name] = "";
  for (; envp && *envp; ++envp) {
    const std::string_view entry = *envp;
    const auto equals = entry.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view name = entry.substr(0, equals);
    for (std::string_view prefix : {"OMP_", "GOMP_", "KMP_", "OPENBLAS_", "MKL_"}) {
      if (name.starts_with(prefix) || name == "FLOPBENCH_MAX_VECTOR_BITS") {
        vars[std::string(name)] = std::string(entry.substr(equals + 1));
        break;
      }
    }
  }
  return vars;
}

}  // namespace flopbench
