#include "harness/machine/inventory.hpp"

#include <gnu/libc-version.h>
#include <omp.h>
#include <sched.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/Version.hpp>
#include <nlohmann/json_fwd.hpp>  // the version macros, without the library

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "harness/core/build_info.hpp"
#include "harness/machine/peak_model.hpp"

namespace flopbench {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = s.find(separator);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

// Decimal, or hexadecimal with a 0x prefix (ARM's "CPU part : 0xd0c").
std::optional<long long> parse_integer(std::string_view s) {
  s = trim(s);
  int base = 10;
  if (s.starts_with("0x") || s.starts_with("0X")) {
    s.remove_prefix(2);
    base = 16;
  }
  long long value = 0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (error != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

int to_int(std::string_view s) { return static_cast<int>(parse_integer(s).value_or(0)); }

std::optional<long long> read_integer(const std::filesystem::path& path) {
  return parse_integer(read_text(path));
}

// sysfs cache sizes: "32K", "1024K", "2M"; a bare number is bytes.
std::int64_t parse_size(std::string_view s) {
  s = trim(s);
  std::int64_t scale = 1;
  if (!s.empty()) {
    switch (s.back()) {
      case 'K':
        scale = std::int64_t{1} << 10;
        break;
      case 'M':
        scale = std::int64_t{1} << 20;
        break;
      case 'G':
        scale = std::int64_t{1} << 30;
        break;
      default:
        break;
    }
    if (scale != 1) s.remove_suffix(1);
  }
  return parse_integer(s).value_or(0) * scale;
}

std::string arm_implementer_name(int implementer) {
  switch (implementer) {
    case 0x41:
      return "ARM";
    case 0x42:
      return "Broadcom";
    case 0x43:
      return "Cavium";
    case 0x46:
      return "Fujitsu";
    case 0x48:
      return "HiSilicon";
    case 0x4E:
      return "NVIDIA";
    case 0x50:
      return "APM";
    case 0x51:
      return "Qualcomm";
    case 0x61:
      return "Apple";
    case 0xC0:
      return "Ampere";
    default:
      return fmt::format("implementer 0x{:02x}", implementer);
  }
}

// The SIMD extensions that matter for FLOPS, in the order they are reported; the kernel's flag
// name first, the name CpuInventory::simd uses second.
constexpr std::array<std::pair<std::string_view, std::string_view>, 17> kX86Simd = {{
    {"sse4_2", "sse4_2"},
    {"avx", "avx"},
    {"avx2", "avx2"},
    {"fma", "fma"},
    {"avx_vnni", "avx_vnni"},
    {"avx512f", "avx512f"},
    {"avx512dq", "avx512dq"},
    {"avx512cd", "avx512cd"},
    {"avx512bw", "avx512bw"},
    {"avx512vl", "avx512vl"},
    {"avx512_vnni", "avx512_vnni"},
    {"avx512_bf16", "avx512_bf16"},
    {"avx512_fp16", "avx512_fp16"},
    {"amx_tile", "amx_tile"},
    {"amx_bf16", "amx_bf16"},
    {"amx_int8", "amx_int8"},
    {"amx_fp16", "amx_fp16"},
}};
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kArmSimd = {{
    {"asimd", "neon"},
    {"asimdhp", "asimdhp"},
    {"asimddp", "asimddp"},
    {"bf16", "bf16"},
    {"i8mm", "i8mm"},
    {"sve", "sve"},
    {"sve2", "sve2"},
    {"sme", "sme"},
}};

template <std::size_t N>
std::vector<std::string> curated_simd(
    std::string_view flags,
    const std::array<std::pair<std::string_view, std::string_view>, N>& known) {
  std::set<std::string_view> present;
  for (const std::string_view flag : split(flags, ' ')) present.insert(trim(flag));
  std::vector<std::string> simd;
  for (const auto& [flag, name] : known) {
    if (present.contains(flag)) simd.emplace_back(name);
  }
  return simd;
}

template <class T>
double median(std::vector<T> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2.0;
}

// 64 dependent register-register adds (1-cycle latency on every core in the peak table). In
// assembly so that the chain stays in one register at any optimisation level: at -O0 a C++
// `x += 1` goes through memory and measures store forwarding, not the clock. Adding a register
// rather than an immediate keeps renamers that fold add-immediate chains (Golden Cove and later)
// from running the chain faster than one add per cycle.
inline void add_64(std::uint64_t& x, std::uint64_t step) {
#if defined(__x86_64__)
  __asm__ volatile(".rept 64\n\tadd %1, %0\n\t.endr" : "+r"(x) : "r"(step));
#elif defined(__aarch64__)
  __asm__ volatile(".rept 64\n\tadd %0, %0, %1\n\t.endr" : "+r"(x) : "r"(step));
#else
  // The empty asm makes each result opaque, so the compiler cannot fold the chain (needs -O1+).
  for (int i = 0; i < 64; ++i) {
    x += step;
    __asm__ volatile("" : "+r"(x));
  }
#endif
}

// This thread's CPU time: the time it actually ran, so that other processes sharing its core
// (a parallel build, say) do not read as a slower clock.
double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Runs the add chain for at least `window_s` of this thread's CPU time and returns adds per
// CPU-second. The clock is read every 2^20 adds (~0.3 ms), often enough to end close to the
// window, rarely enough to cost nothing.
double adds_per_second(double window_s) {
  constexpr std::uint64_t kChunkTrips = 1 << 14;
  std::uint64_t x = 0;
  std::uint64_t step = 1;
  __asm__ volatile("" : "+r"(step));  // a value the compiler cannot see through
  std::uint64_t adds = 0;
  const double start = thread_cpu_seconds();
  double elapsed = 0;
  do {
    for (std::uint64_t i = 0; i < kChunkTrips; ++i) add_64(x, step);
    adds += kChunkTrips * 64;
    elapsed = thread_cpu_seconds() - start;
  } while (elapsed < window_s);
  return static_cast<double>(adds) / elapsed;
}

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

std::string format_bytes(std::int64_t bytes) {
  constexpr std::array<std::string_view, 4> kUnits = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  for (value /= 1024; value >= 1024 && unit + 1 < kUnits.size(); value /= 1024) ++unit;
  // Cache sizes are whole numbers of their unit; memory sizes rarely are.
  if (value == std::floor(value)) return fmt::format("{:.0f} {}", value, kUnits[unit]);
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string format_peak(const Peak& peak) {
  if (!peak.gflops) return peak.basis;
  return fmt::format("{:.1f} GFLOPS = {}", *peak.gflops, peak.basis);
}

std::string or_none(const std::string& s) { return s.empty() ? "(none)" : s; }

// One "key: value" line with values aligned.
void line(std::string& out, std::string_view key, std::string_view value) {
  out += fmt::format("{:<20}{}\n", fmt::format("{}:", key), value);
}

}  // namespace

// --- parsers ----------------------------------------------------------------------------------

CpuInventory parse_cpuinfo(std::string_view text) {
  CpuInventory cpu;
  std::map<std::string, std::string> first;  // each key's value for the first processor
  std::set<std::string> packages;
  std::set<std::pair<std::string, std::string>> cores;
  int processors = 0;
  std::string package, core;
  auto end_processor = [&] {
    if (!package.empty()) packages.insert(package);
    if (!package.empty() || !core.empty()) cores.emplace(package, core);
    package.clear();
    core.clear();
  };
  for (const std::string_view raw : split(text, '\n')) {
    const auto colon = raw.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string key(trim(raw.substr(0, colon)));
    const std::string_view value = trim(raw.substr(colon + 1));
    if (key == "processor") {
      end_processor();
      ++processors;
    } else if (key == "physical id") {
      package = value;
    } else if (key == "core id") {
      core = value;
    }
    first.try_emplace(key, value);
  }
  end_processor();

  auto field = [&](const std::string& key) {
    const auto it = first.find(key);
    return it == first.end() ? std::string() : it->second;
  };
  cpu.logical_cpus = processors;
  cpu.sockets = packages.empty() ? (processors > 0 ? 1 : 0) : static_cast<int>(packages.size());
  cpu.cores = cores.empty() ? processors : static_cast<int>(cores.size());
  cpu.model = field("model name");

  const bool arm = first.contains("CPU implementer");
  if (arm) {
    cpu.vendor = arm_implementer_name(to_int(field("CPU implementer")));
    cpu.family = to_int(field("CPU architecture"));
    cpu.model_number = to_int(field("CPU part"));
    cpu.stepping = to_int(field("CPU revision"));
    cpu.simd = curated_simd(field("Features"), kArmSimd);
  } else {
    cpu.vendor = field("vendor_id");
    cpu.family = to_int(field("cpu family"));
    cpu.model_number = to_int(field("model"));
    cpu.stepping = to_int(field("stepping"));
    cpu.simd = curated_simd(field("flags"), kX86Simd);
  }
  const auto uarch = find_cpu_microarchitecture(cpu.vendor, cpu.family, cpu.model_number);
  cpu.microarchitecture = uarch ? std::string(uarch->name) : "unknown";
  if (arm && cpu.model.empty()) {
    cpu.model = uarch ? fmt::format("{} {}", cpu.vendor, uarch->name)
                      : fmt::format("{} part 0x{:03x}", cpu.vendor, cpu.model_number);
  }
  return cpu;
}

std::vector<int> parse_cpu_list(std::string_view text) {
  std::set<int> cpus;
  for (const std::string_view piece : split(trim(text), ',')) {
    const auto dash = piece.find('-');
    const auto first = parse_integer(piece.substr(0, dash));
    const auto last =
        dash == std::string_view::npos ? first : parse_integer(piece.substr(dash + 1));
    // No kernel has a million CPUs: a bigger number is corrupt data, not a reason to loop.
    if (!first || !last || *first < 0 || *last < *first || *last >= (1 << 20)) continue;
    for (long long cpu = *first; cpu <= *last; ++cpu) cpus.insert(static_cast<int>(cpu));
  }
  return {cpus.begin(), cpus.end()};
}

std::int64_t parse_meminfo(std::string_view text, std::string_view key) {
  for (const std::string_view raw : split(text, '\n')) {
    if (!raw.starts_with(key) || !raw.substr(key.size()).starts_with(':')) continue;
    std::string_view value = trim(raw.substr(key.size() + 1));
    if (!value.ends_with("kB")) return 0;
    value.remove_suffix(2);
    return parse_integer(value).value_or(0) * 1024;
  }
  return 0;
}

std::string parse_os_release(std::string_view text) {
  for (const std::string_view raw : split(text, '\n')) {
    if (!raw.starts_with("PRETTY_NAME=")) continue;
    std::string_view value = trim(raw.substr(12));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return {};
}

std::optional<CpuTopology> read_cpu_topology(const std::filesystem::path& cpu_root,
                                             const std::vector<int>& online,
                                             const std::vector<int>& usable) {
  if (online.empty() || usable.empty()) return std::nullopt;
  auto topology_of = [&](int cpu) -> std::optional<std::pair<long long, long long>> {
    const auto dir = cpu_root / fmt::format("cpu{}", cpu) / "topology";
    const auto package = read_integer(dir / "physical_package_id");
    const auto core = read_integer(dir / "core_id");
    if (!package || !core) return std::nullopt;
    return std::pair{*package, *core};
  };
  std::set<long long> packages;
  for (const int cpu : online) {
    const auto where = topology_of(cpu);
    if (!where) return std::nullopt;
    packages.insert(where->first);
  }
  std::set<std::pair<long long, long long>> cores;
  for (const int cpu : usable) {
    const auto where = topology_of(cpu);
    if (!where) return std::nullopt;
    cores.insert(*where);
  }
  return CpuTopology{static_cast<int>(packages.size()), static_cast<int>(cores.size()),
                     static_cast<int>(usable.size())};
}

std::vector<CacheLevel> read_caches(const std::filesystem::path& cpu_root,
                                    const std::vector<int>& online) {
  struct Found {
    CacheLevel cache;
    std::set<std::vector<int>> sharing_lists;
  };
  std::map<std::pair<int, std::string>, Found> found;  // by (level, type)
  for (std::size_t i = 0; i < online.size(); ++i) {
    std::error_code error;
    const auto dir = cpu_root / fmt::format("cpu{}", online[i]) / "cache";
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
      if (!entry.path().filename().string().starts_with("index")) continue;
      const int level = static_cast<int>(read_integer(entry.path() / "level").value_or(0));
      const std::string type(trim(read_text(entry.path() / "type")));
      if (level <= 0 || type.empty()) continue;
      const auto shared = parse_cpu_list(read_text(entry.path() / "shared_cpu_list"));
      auto key = std::pair{level, type};
      // The first online CPU defines which caches there are and their sizes; the others only
      // add the instances they see.
      if (i == 0) {
        CacheLevel& cache = found[key].cache;
        cache.level = level;
        cache.type = type;
        cache.size_bytes = parse_size(read_text(entry.path() / "size"));
        cache.shared_by_cpus = static_cast<int>(shared.size());
      }
      if (const auto it = found.find(key); it != found.end() && !shared.empty()) {
        it->second.sharing_lists.insert(shared);
      }
    }
  }
  std::vector<CacheLevel> caches;
  for (auto& [key, entry] : found) {
    entry.cache.instances = static_cast<int>(entry.sharing_lists.size());
    caches.push_back(entry.cache);
  }
  return caches;  // std::map order: by level, then "Data" < "Instruction" < "Unified"
}

std::vector<CacheLevel> caches_from_cpuid(const CpuidCacheLeaves& leaves, int usable_cpus,
                                          int threads_per_core) {
  usable_cpus = std::max(1, usable_cpus);
  std::vector<CacheLevel> caches;
  const auto add = [&](int level, std::string type, std::int64_t size_bytes, int sharing) {
    if (size_bytes <= 0) return;
    const int shared_by = std::clamp(sharing, 1, usable_cpus);
    caches.push_back({.level = level,
                      .type = std::move(type),
                      .size_bytes = size_bytes,
                      .shared_by_cpus = shared_by,
                      .instances = (usable_cpus + shared_by - 1) / shared_by});
  };
  // Intel SDM vol. 2A, CPUID leaf 4; AMD APM vol. 3, Fn8000_001D: the same layout.
  for (const CpuidRegisters& r : leaves.deterministic) {
    static constexpr std::array<const char*, 4> kTypes = {"", "Data", "Instruction", "Unified"};
    const std::uint32_t type = r.eax & 0x1F;
    if (type == 0 || type >= kTypes.size()) break;
    const std::int64_t ways = (r.ebx >> 22) + 1, partitions = ((r.ebx >> 12) & 0x3FF) + 1,
                       line = (r.ebx & 0xFFF) + 1, sets = std::int64_t{r.ecx} + 1;
    add(static_cast<int>((r.eax >> 5) & 0x7), kTypes[type], ways * partitions * line * sets,
        static_cast<int>((r.eax >> 14) & 0xFFF) + 1);
  }
  if (leaves.deterministic.empty() && leaves.amd_legacy) {
    // AMD APM vol. 3, Fn8000_0005 and Fn8000_0006: sizes in KiB, L3 in 512 KiB units.
    const auto& [l1, l2l3] = *leaves.amd_legacy;
    add(1, "Data", std::int64_t{l1.ecx >> 24} << 10, threads_per_core);
    add(1, "Instruction", std::int64_t{l1.edx >> 24} << 10, threads_per_core);
    add(2, "Unified", std::int64_t{l2l3.ecx >> 16} << 10, threads_per_core);
    add(3, "Unified", std::int64_t{l2l3.edx >> 18} << 19, usable_cpus);
  }
  std::stable_sort(caches.begin(), caches.end(), [](const CacheLevel& a, const CacheLevel& b) {
    return std::tie(a.level, a.type) < std::tie(b.level, b.type);
  });
  return caches;
}

CpuidCacheLeaves read_cpuid_cache_leaves() {
  CpuidCacheLeaves leaves;
#if defined(__x86_64__) || defined(__i386__)
  // __get_cpuid_count checks the leaf against the highest one the CPU supports.
  const auto query = [](unsigned leaf, unsigned subleaf) -> std::optional<CpuidRegisters> {
    CpuidRegisters r;
    if (__get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx) == 0) return std::nullopt;
    return r;
  };
  const auto extended = query(0x80000001, 0);
  const bool topology_extensions = extended && (extended->ecx & (1U << 22)) != 0;
  const unsigned leaf = topology_extensions ? 0x8000001D : 4;
  for (unsigned subleaf = 0; subleaf < 16; ++subleaf) {
    const auto r = query(leaf, subleaf);
    if (!r || (r->eax & 0x1F) == 0) break;
    leaves.deterministic.push_back(*r);
  }
  // Leaf 4 reads as zeros on AMD, and hypervisors may hide 0x8000001D.
  if (leaves.deterministic.empty()) {
    const auto l1 = query(0x80000005, 0), l2l3 = query(0x80000006, 0);
    if (l1 && l2l3) leaves.amd_legacy = std::array{*l1, *l2l3};
  }
#endif
  return leaves;
}

// --- this machine ------------------------------------------------------------------------------

std::string read_pci_device_id(const std::filesystem::path& pci_root, std::string_view bus_id) {
  std::string dir(bus_id);
  std::transform(dir.begin(), dir.end(), dir.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // Each file holds "0x10de\n"; keep the four hex digits.
  const auto hex_id = [&](const char* file) -> std::string {
    std::ifstream in(pci_root / dir / file);
    std::string text;
    if (!(in >> text) || text.size() != 6 || !text.starts_with("0x") ||
        !std::all_of(text.begin() + 2, text.end(),
                     [](unsigned char c) { return std::isxdigit(c); })) {
      return "";
    }
    return text.substr(2);
  };
  const std::string vendor = hex_id("vendor"), device = hex_id("device");
  return vendor.empty() || device.empty() ? "" : vendor + ":" + device;
}

std::vector<int> usable_cpus() {
  // cpu_set_t holds 1024 CPUs; larger machines need a bigger set, which the kernel asks for
  // with EINVAL.
  for (int capacity = 1024; capacity <= (1 << 16); capacity *= 2) {
    cpu_set_t* set = CPU_ALLOC(capacity);
    if (set == nullptr) break;
    const std::size_t bytes = CPU_ALLOC_SIZE(capacity);
    CPU_ZERO_S(bytes, set);
    std::vector<int> cpus;
    const bool ok = sched_getaffinity(0, bytes, set) == 0;
    if (ok) {
      for (int cpu = 0; cpu < capacity; ++cpu) {
        if (CPU_ISSET_S(cpu, bytes, set)) cpus.push_back(cpu);
      }
    }
    CPU_FREE(set);
    if (ok) return cpus;
    if (errno != EINVAL) break;
  }
  return {};
}

std::int64_t available_memory_bytes() {
  return parse_meminfo(read_text("/proc/meminfo"), "MemAvailable");
}

double measure_cpu_clock_ghz(int threads) {
  if (threads <= 0) threads = std::max<int>(1, static_cast<int>(usable_cpus().size()));
  // A 50 ms warm-up lets an idle core ramp its clock; then 10 windows of 25 ms per thread.
  // CPU time already excludes time the thread was descheduled; what is left (interrupts,
  // hypervisor steal, a window that straddles a frequency change) only ever slows a window
  // down. The median of windows, then the median over threads, discards those outliers without
  // cherry-picking the fastest window, which could be a moment when other cores were idle and
  // the boost clock was above the all-core clock.
  constexpr int kWindows = 10;
  std::vector<double> per_thread(static_cast<std::size_t>(threads), 0.0);
#pragma omp parallel num_threads(threads)
  {
    adds_per_second(0.05);
#pragma omp barrier
    std::vector<double> windows;
    for (int w = 0; w < kWindows; ++w) windows.push_back(adds_per_second(0.025));
    per_thread[static_cast<std::size_t>(omp_get_thread_num())] = median(windows);
  }
  // A team smaller than asked for (OMP_DYNAMIC, thread limits) leaves zeros behind.
  std::erase(per_thread, 0.0);
  return median(per_thread) / 1e9;
}

namespace {

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
  cpu.caches = cpu_caches(online);
  cpu.memory_bytes = parse_meminfo(read_text("/proc/meminfo"), "MemTotal");

  // Measured once per process: it takes ~0.3 s and the answer does not change between calls.
  static const double measured_ghz = measure_cpu_clock_ghz();
  const int threads = std::max(1, static_cast<int>(usable.size()));
  if (measured_ghz > 0.2 && measured_ghz < 10) {
    cpu.clock_ghz = measured_ghz;
    cpu.clock_source =
        cpu.cores == threads
            ? fmt::format("measured: dependent integer adds on {} cores", threads)
            : fmt::format("measured: dependent integer adds on {} cores ({} threads)", cpu.cores,
                          threads);
  } else {
    cpu.clock_source = fmt::format(
        "unknown: the dependent-add measurement gave {:.3f} GHz, outside 0.2-10 GHz", measured_ghz);
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

Environment collect_environment(const std::map<std::string, std::string>& extra_libraries) {
  Environment env;
  env.flopbench_version = build::version;
  env.git_commit = build::git_commit;
  env.compiler = build::cxx_compiler;
  env.compiler_flags = build::cxx_flags;
  env.build_type = build::build_type;

  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) == 0) env.host = host.data();
  env.os = parse_os_release(read_text("/etc/os-release"));
  if (utsname names{}; uname(&names) == 0) env.kernel = names.release;

  env.cpu = cpu_inventory();
  env.gpu = gpu_inventory();

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

  for (const char* name : {"OMP_NUM_THREADS", "OMP_PROC_BIND", "OMP_PLACES", "OMP_DYNAMIC"}) {
    const char* value = std::getenv(name);
    env.openmp_env[name] = value == nullptr ? "" : value;
  }
  return env;
}

std::string describe_environment(const Environment& env) {
  std::string out = "== Host ==\n";
  line(out, "host", env.host);
  line(out, "OS", fmt::format("{} (kernel {})", env.os, env.kernel));

  const CpuInventory& cpu = env.cpu;
  out += "\n== CPU ==\n";
  line(out, "model", cpu.model.empty() ? "unknown" : cpu.model);
  line(out, "vendor",
       fmt::format("{} (family {}, model {} / 0x{:X}, stepping {})",
                   cpu.vendor.empty() ? "unknown" : cpu.vendor, cpu.family, cpu.model_number,
                   cpu.model_number, cpu.stepping));
  line(out, "microarchitecture", cpu.microarchitecture);
  line(out, "topology",
       fmt::format("{} socket{}; {} cores and {} logical CPUs usable", cpu.sockets,
                   cpu.sockets == 1 ? "" : "s", cpu.cores, cpu.logical_cpus));
  line(out, "SIMD",
       cpu.simd.empty() ? "(none found)" : fmt::format("{}", fmt::join(cpu.simd, " ")));
  std::vector<std::string> caches;
  for (const CacheLevel& cache : cpu.caches) {
    const std::string_view kind = cache.type == "Data"          ? "d"
                                  : cache.type == "Instruction" ? "i"
                                                                : "";
    caches.push_back(fmt::format(
        "L{}{} {} x{}{}", cache.level, kind, format_bytes(cache.size_bytes), cache.instances,
        cache.shared_by_cpus > 1 ? fmt::format(" ({} CPUs each)", cache.shared_by_cpus) : ""));
  }
  line(out, "caches", caches.empty() ? "(unknown)" : fmt::format("{}", fmt::join(caches, ", ")));
  line(out, "memory", cpu.memory_bytes > 0 ? format_bytes(cpu.memory_bytes) : "unknown");
  line(out, "clock",
       cpu.clock_ghz ? fmt::format("{:.2f} GHz ({})", *cpu.clock_ghz, cpu.clock_source)
                     : cpu.clock_source);
  line(out, "peak FP32", format_peak(cpu.peak_fp32));
  line(out, "peak FP64", format_peak(cpu.peak_fp64));

  const GpuInventory& gpu = env.gpu;
  out += "\n== GPU ==\n";
  if (gpu.cuda_built) {
    line(out, "CUDA",
         fmt::format("runtime {}, driver {}", or_none(gpu.runtime_version),
                     or_none(gpu.driver_version)));
  }
  if (gpu.devices.empty()) {
    out += fmt::format("no CUDA device: {}\n",
                       gpu.no_device_reason.empty() ? "no reason given" : gpu.no_device_reason);
  }
  for (const GpuDevice& device : gpu.devices) {
    line(out, fmt::format("gpu{}", device.index),
         fmt::format("{}, cc {}.{}, {} SMs, {:.0f} MHz", device.name, device.cc_major,
                     device.cc_minor, device.sm_count, device.sm_clock_mhz));
    line(out, "  memory",
         fmt::format("{}, {}-bit bus, {:.0f} MHz; L2 {}; ECC {}", format_bytes(device.memory_bytes),
                     device.memory_bus_width_bits, device.memory_clock_mhz,
                     format_bytes(device.l2_bytes), device.ecc_enabled ? "on" : "off"));
    line(out, "  PCI bus", device.pci_bus_id);
    line(out, "  UUID", device.uuid);
    line(out, "  peak FP32", format_peak(device.peak_fp32));
    line(out, "  peak FP64", format_peak(device.peak_fp64));
  }

  out += "\n== Build ==\n";
  line(out, "flopbench",
       fmt::format("{} (commit {}, {})", env.flopbench_version, env.git_commit, env.build_type));
  line(out, "compiler", env.compiler);
  line(out, "flags", env.compiler_flags);

  out += "\n== Libraries ==\n";
  for (const auto& [name, version] : env.libraries) line(out, name, version);

  out += "\n== OpenMP environment ==\n";
  for (const auto& [name, value] : env.openmp_env) {
    line(out, name, value.empty() ? "(unset)" : value);
  }
  return out;
}

}  // namespace flopbench
