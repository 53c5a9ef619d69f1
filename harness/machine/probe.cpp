#include "harness/machine/probe.hpp"

#include <omp.h>
#include <sched.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <utility>

#include "harness/machine/peak_model.hpp"

namespace flopbench {
namespace {

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
  s = trim_space(s);
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

// sysfs cache sizes: "32K", "1024K", "2M"; a bare number is bytes.
std::int64_t parse_size(std::string_view s) {
  s = trim_space(s);
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
// name first, the name CpuInventory::simd uses second. Each list starts with its architecture's
// baseline (every x86-64 CPU has SSE2, every AArch64 one ASIMD), so that a flags line that was
// read never gives an empty list, which means "flags unknown" (a VM exposing SSSE3 and no more
// would otherwise be trusted with its model's AVX-512 units).
constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kX86Simd = {{
    {"sse2", "sse2"},
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
  for (const std::string_view flag : split(flags, ' ')) present.insert(trim_space(flag));
  std::vector<std::string> simd;
  for (const auto& [flag, name] : known) {
    if (present.contains(flag)) simd.emplace_back(name);
  }
  return simd;
}

}  // namespace

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<long long> read_integer(const std::filesystem::path& path) {
  return parse_integer(read_text(path));
}

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
    // /proc/cpuinfo has no die: where sysfs cannot be read, the cores of a package's two dies
    // with core ids numbered per die (Cascade Lake-AP, Linux before 6.9) read as one set.
    if (!package.empty() || !core.empty()) cores.emplace(package, core);
    package.clear();
    core.clear();
  };
  for (const std::string_view raw : split(text, '\n')) {
    const auto colon = raw.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string key(trim_space(raw.substr(0, colon)));
    const std::string_view value = trim_space(raw.substr(colon + 1));
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
  const auto uarch = identify_cpu_microarchitecture(cpu);
  cpu.microarchitecture = uarch ? std::string(uarch->name) : "unknown";
  if (arm && cpu.model.empty()) {
    cpu.model = uarch ? fmt::format("{} {}", cpu.vendor, uarch->name)
                      : fmt::format("{} part 0x{:03x}", cpu.vendor, cpu.model_number);
  }
  return cpu;
}

std::vector<int> parse_cpu_list(std::string_view text) {
  std::set<int> cpus;
  for (const std::string_view piece : split(trim_space(text), ',')) {
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
    std::string_view value = trim_space(raw.substr(key.size() + 1));
    if (!value.ends_with("kB")) return 0;
    value.remove_suffix(2);
    return parse_integer(value).value_or(0) * 1024;
  }
  return 0;
}

std::string parse_os_release(std::string_view text) {
  for (const std::string_view raw : split(text, '\n')) {
    if (!raw.starts_with("PRETTY_NAME=")) continue;
    std::string_view value = trim_space(raw.substr(12));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return {};
}

namespace {

// The core of a CPU from <cpu_root>/cpuN/topology, as (package, a key of the core within it);
// empty when unreadable. The key is the first CPU of the core's hardware threads
// (core_cpus_list, or thread_siblings_list before Linux 5.7): core_id alone is numbered within
// a die on kernels before 6.9, so cores of two dies of one package (Cascade Lake-AP) would read
// as one. Without the lists, core_id.
std::optional<std::pair<long long, long long>> core_of(const std::filesystem::path& cpu_root,
                                                       int cpu) {
  const auto dir = cpu_root / fmt::format("cpu{}", cpu) / "topology";
  const auto package = read_integer(dir / "physical_package_id");
  if (!package) return std::nullopt;
  for (const char* list : {"core_cpus_list", "thread_siblings_list"}) {
    const std::vector<int> threads = parse_cpu_list(read_text(dir / list));
    if (!threads.empty()) return std::pair{*package, static_cast<long long>(threads.front())};
  }
  const auto core = read_integer(dir / "core_id");
  if (!core) return std::nullopt;
  return std::pair{*package, *core};
}

}  // namespace

std::optional<CpuTopology> read_cpu_topology(const std::filesystem::path& cpu_root,
                                             const std::vector<int>& online,
                                             const std::vector<int>& usable) {
  if (online.empty() || usable.empty()) return std::nullopt;
  const auto topology_of = [&](int cpu) { return core_of(cpu_root, cpu); };
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

std::vector<int> first_cpu_of_each_core(const std::filesystem::path& cpu_root,
                                        const std::vector<int>& usable) {
  std::set<std::pair<long long, long long>> seen;
  std::vector<int> firsts;
  for (const int cpu : usable) {
    const auto core = core_of(cpu_root, cpu);
    if (!core) return {};
    if (seen.insert(*core).second) firsts.push_back(cpu);
  }
  std::sort(firsts.begin(), firsts.end());
  return firsts;
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
      const std::string type(trim_space(read_text(entry.path() / "type")));
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

// --- this machine ------------------------------------------------------------------------------

namespace {

// sysfs names a PCI device by its bus id in lower case; CUDA writes it in upper case.
std::filesystem::path pci_device_dir(const std::filesystem::path& pci_root,
                                     std::string_view bus_id) {
  std::string dir(bus_id);
  std::transform(dir.begin(), dir.end(), dir.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return pci_root / dir;
}

}  // namespace

std::string read_pci_device_id(const std::filesystem::path& pci_root, std::string_view bus_id) {
  const std::filesystem::path dir = pci_device_dir(pci_root, bus_id);
  // Each file holds "0x10de\n"; keep the four hex digits.
  const auto hex_id = [&](const char* file) -> std::string {
    std::ifstream in(dir / file);
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

std::string read_pci_local_cpus(const std::filesystem::path& pci_root, std::string_view bus_id) {
  const std::string list(trim_space(read_text(pci_device_dir(pci_root, bus_id) / "local_cpulist")));
  return parse_cpu_list(list).empty() ? "" : list;
}

std::optional<int> count_pci_nvidia_gpus(const std::filesystem::path& pci_root) {
  std::error_code ec;
  int gpus = 0;
  for (std::filesystem::directory_iterator it(pci_root, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string vendor(trim_space(read_text(it->path() / "vendor")));
    const std::string pci_class(trim_space(read_text(it->path() / "class")));
    if (vendor == "0x10de" && (pci_class.starts_with("0x0300") || pci_class.starts_with("0x0302")))
      ++gpus;
  }
  if (ec) return std::nullopt;
  return gpus;
}

namespace {

// A path field of /proc/self/mountinfo: the kernel writes space, tab, newline and backslash as
// \040, \011, \012 and \134.
std::string unescape_mount_path(std::string_view s) {
  std::string out;
  const auto octal = [](char c) { return c >= '0' && c <= '7'; };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && s.size() - i >= 4 && octal(s[i + 1]) && octal(s[i + 2]) &&
        octal(s[i + 3])) {
      out += static_cast<char>((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool lists(std::string_view comma_list, std::string_view item) {
  const auto items = split(comma_list, ',');
  return std::find(items.begin(), items.end(), item) != items.end();
}

// Where a mount of a cgroup hierarchy shows the process's cgroup: its directory below the mount
// point, from the cgroup's path in the hierarchy and the cgroup the mount shows as its root (a
// container's mount shows its own cgroup as the root, and /proc/self/cgroup may name it by its
// host path). None where the mount does not show it (another subtree; "/../.." under a cgroup
// namespace it was not made in).
std::optional<std::filesystem::path> cgroup_below(std::string_view mount_root,
                                                  std::string_view path) {
  std::filesystem::path below;
  if (mount_root == "/") {
    below = path;
  } else if (path == mount_root) {
    below = "/";
  } else if (path.starts_with(mount_root) && path.substr(mount_root.size()).starts_with("/")) {
    below = path.substr(mount_root.size());
  } else {
    return std::nullopt;
  }
  if (std::find(below.begin(), below.end(), "..") != below.end()) return std::nullopt;
  return below.relative_path();
}

// The quota one cgroup directory sets, in CPUs: v1 "cpu.cfs_quota_us" (-1: none) over
// "cpu.cfs_period_us", v2 "cpu.max" ("max 100000": none; "250000 100000": 2.5 CPUs).
std::optional<CpuQuota> quota_in(const std::filesystem::path& dir, bool v1) {
  double quota = 0, period = 0;
  std::filesystem::path file;
  if (v1) {
    file = dir / "cpu.cfs_quota_us";
    const auto q = read_integer(file);
    const auto p = read_integer(dir / "cpu.cfs_period_us");
    if (!q || !p) return std::nullopt;
    quota = static_cast<double>(*q);
    period = static_cast<double>(*p);
  } else {
    file = dir / "cpu.max";
    const std::string text = read_text(file);  // the fields below are views into it
    const auto fields = split(trim_space(text), ' ');
    if (fields.size() != 2) return std::nullopt;
    const auto q = parse_integer(fields[0]);  // "max" is no number: no quota
    const auto p = parse_integer(fields[1]);
    if (!q || !p) return std::nullopt;
    quota = static_cast<double>(*q);
    period = static_cast<double>(*p);
  }
  if (quota <= 0 || period <= 0) return std::nullopt;
  return CpuQuota{quota / period, file.string()};
}

// The directories of this process's cgroup and its ancestors, innermost first, as far up as the
// mount shows them: in the cgroup v1 hierarchy that holds `controller` where one is mounted, else
// in cgroup v2's. `mountinfo` and `self_cgroup` are the texts of /proc/self/mountinfo and
// /proc/self/cgroup; `root` is prefixed to the mount points.
struct CgroupLevels {
  bool v1 = false;
  std::vector<std::filesystem::path> dirs;
};
std::optional<CgroupLevels> cgroup_levels(std::string_view mountinfo, std::string_view self_cgroup,
                                          const std::filesystem::path& root,
                                          std::string_view controller) {
  // /proc/self/cgroup: "4:cpu,cpuacct:/docker/1f2e" (v1), "0::/user.slice/app.scope" (v2).
  std::optional<std::string> v1_path, v2_path;
  for (const std::string_view line : split(self_cgroup, '\n')) {
    const auto first = line.find(':');
    const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    const std::string path(trim_space(line.substr(second + 1)));
    if (lists(controllers, controller)) v1_path = path;
    if (line.substr(0, first) == "0" && controllers.empty()) v2_path = path;
  }
  // /proc/self/mountinfo: "31 30 0:28 <root> <mount point> <options> [optional fields] - <type>
  // <source> <super options>". The first mount of each version that shows the cgroup.
  struct Place {
    std::filesystem::path mount, dir;
  };
  std::optional<Place> v1, v2;
  for (const std::string_view line : split(mountinfo, '\n')) {
    const auto fields = split(line, ' ');
    const auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || fields.end() - dash < 4) continue;
    const std::string_view type = dash[1], super_options = dash[3];
    const bool is_v1 = type == "cgroup" && lists(super_options, controller);
    std::optional<Place>& place = is_v1 ? v1 : v2;
    const std::optional<std::string>& path = is_v1 ? v1_path : v2_path;
    if ((!is_v1 && type != "cgroup2") || place || !path) continue;
    const auto below = cgroup_below(unescape_mount_path(fields[3]), *path);
    if (!below) continue;
    const auto mount = root / std::filesystem::path(unescape_mount_path(fields[4])).relative_path();
    place = Place{mount, below->empty() ? mount : mount / *below};
  }
  if (!v1 && !v2) return std::nullopt;
  const Place& place = v1 ? *v1 : *v2;
  CgroupLevels levels{v1.has_value(), {}};
  for (std::filesystem::path dir = place.dir;; dir = dir.parent_path()) {
    levels.dirs.push_back(dir);
    if (dir == place.mount || !dir.has_relative_path() || dir == dir.parent_path()) break;
  }
  return levels;
}

// The value of `key` in a cgroup memory.stat ("inactive_file 1234\n"); 0 when absent.
std::int64_t memory_stat_value(std::string_view text, std::string_view key) {
  for (const std::string_view line : split(text, '\n')) {
    const auto fields = split(trim_space(line), ' ');
    if (fields.size() == 2 && fields[0] == key) return parse_integer(fields[1]).value_or(0);
  }
  return 0;
}

}  // namespace

bool proc_stat_is_mounted_over(std::string_view mountinfo) {
  // "<id> <parent> <major:minor> <root> <mount point> ...": the fifth field.
  for (const std::string_view line : split(mountinfo, '\n')) {
    const auto fields = split(line, ' ');
    if (fields.size() >= 5 && unescape_mount_path(fields[4]) == "/proc/stat") return true;
  }
  return false;
}

std::optional<CpuQuota> read_cpu_quota(std::string_view mountinfo, std::string_view self_cgroup,
                                       const std::filesystem::path& root) {
  const auto levels = cgroup_levels(mountinfo, self_cgroup, root, "cpu");
  if (!levels) return std::nullopt;
  std::optional<CpuQuota> least;
  for (const auto& dir : levels->dirs) {
    if (const auto q = quota_in(dir, levels->v1); q && (!least || q->cpus < least->cpus)) least = q;
  }
  return least;
}

std::optional<CgroupMemory> read_cgroup_memory(std::string_view mountinfo,
                                               std::string_view self_cgroup,
                                               const std::filesystem::path& root) {
  const auto levels = cgroup_levels(mountinfo, self_cgroup, root, "memory");
  if (!levels) return std::nullopt;
  const bool v1 = levels->v1;
  std::optional<CgroupMemory> least;
  for (const auto& dir : levels->dirs) {
    const auto limit_file = dir / (v1 ? "memory.limit_in_bytes" : "memory.max");
    const auto limit = read_integer(limit_file);  // v2's "max" is no number: no limit
    // v1 writes "no limit" as 2^63 rounded down to a page.
    if (!limit || *limit <= 0 || *limit >= (1LL << 62)) continue;
    const std::int64_t usage =
        read_integer(dir / (v1 ? "memory.usage_in_bytes" : "memory.current")).value_or(0);
    const std::int64_t cache = memory_stat_value(read_text(dir / "memory.stat"),
                                                 v1 ? "total_inactive_file" : "inactive_file");
    const std::int64_t headroom =
        std::max<std::int64_t>(0, *limit - std::max<std::int64_t>(0, usage - cache));
    if (!least || headroom < least->headroom_bytes) {
      least = CgroupMemory{{*limit, limit_file.string()}, headroom};
    }
  }
  return least;
}

int threads_within_quota(int threads, const std::optional<CpuQuota>& quota) {
  if (!quota || quota->cpus >= threads) return threads;
  return std::max(1, static_cast<int>(quota->cpus));
}

std::vector<int> usable_cpu_of_each_core() {
  return first_cpu_of_each_core("/sys/devices/system/cpu", usable_cpus());
}

std::optional<CpuQuota> cpu_quota() {
  return read_cpu_quota(read_text("/proc/self/mountinfo"), read_text("/proc/self/cgroup"), "/");
}

std::optional<CgroupMemory> cgroup_memory() {
  return read_cgroup_memory(read_text("/proc/self/mountinfo"), read_text("/proc/self/cgroup"), "/");
}

std::vector<int> thread_affinity() {
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

bool set_thread_affinity(const std::vector<int>& cpus) {
  if (cpus.empty() || *std::min_element(cpus.begin(), cpus.end()) < 0) return false;
  const int capacity = *std::max_element(cpus.begin(), cpus.end()) + 1;
  cpu_set_t* set = CPU_ALLOC(capacity);
  if (set == nullptr) return false;
  const std::size_t bytes = CPU_ALLOC_SIZE(capacity);
  CPU_ZERO_S(bytes, set);
  for (const int cpu : cpus) CPU_SET_S(cpu, bytes, set);
  const bool ok = sched_setaffinity(0, bytes, set) == 0;
  CPU_FREE(set);
  return ok;
}

namespace {
// While a HeldNearGpu holds this thread: the CPUs the process may use, as they were.
thread_local const std::vector<int>* usable_while_held = nullptr;
}  // namespace

HeldNearGpu::HeldNearGpu(std::string_view local) {
  if (usable_while_held) return;  // held already
  usable_ = usable_cpus();
  const std::vector<int> near = parse_cpu_list(local);
  std::vector<int> both;
  std::set_intersection(usable_.begin(), usable_.end(), near.begin(), near.end(),
                        std::back_inserter(both));
  if (both.empty() || both.size() == usable_.size()) return;
  saved_ = thread_affinity();
  held_ = !saved_.empty() && set_thread_affinity(both);
  if (held_) {
    near_ = std::move(both);
    usable_while_held = &usable_;
  }
}

HeldNearGpu::~HeldNearGpu() {
  if (!held_) return;
  usable_while_held = nullptr;
  // Where the CPUs it had are no longer all there (a cpuset shrunk), those the process may use.
  if (!set_thread_affinity(saved_)) set_thread_affinity(usable_);
  if (omp_get_proc_bind() != omp_proc_bind_false) return;
  // A thread of the team holds the node's CPUs only if it started during the hold (libgomp, GCC's
  // runtime, ends a larger team's surplus threads, so a later team may start new ones): only
  // those are moved back.
  const std::vector<int>& near = near_;
  const std::vector<int> back = thread_affinity();
#pragma omp parallel
  {
    if (thread_affinity() == near) set_thread_affinity(back);
  }
}

std::vector<int> usable_cpus() {
  if (usable_while_held) return *usable_while_held;
  // With OMP_PROC_BIND set, the OpenMP runtime binds the initial thread to the first of its
  // places as it starts, so this thread's mask is one place: the team's CPUs are the places'.
  if (omp_get_proc_bind() != omp_proc_bind_false && omp_get_num_places() > 0) {
    std::set<int> cpus;
    for (int place = 0; place < omp_get_num_places(); ++place) {
      std::vector<int> ids(static_cast<std::size_t>(omp_get_place_num_procs(place)));
      omp_get_place_proc_ids(place, ids.data());
      cpus.insert(ids.begin(), ids.end());
    }
    return {cpus.begin(), cpus.end()};
  }
  return thread_affinity();
}

bool AvailableMemory::holds(double need) const {
  if (bytes <= 0 && !limited_by) return true;  // nothing known: not refused
  return need <= 0.9 * static_cast<double>(bytes);
}

std::string AvailableMemory::text() const {
  constexpr double kGiB = 1 << 30;
  const std::string available =
      fmt::format("{:.1f} GiB is available", static_cast<double>(bytes) / kGiB);
  if (!limited_by) return available;
  return fmt::format("{} (what the cgroup memory limit of {:.1f} GiB leaves: {})", available,
                     static_cast<double>(limited_by->bytes) / kGiB, limited_by->file);
}

AvailableMemory available_memory_of(std::int64_t mem_available,
                                    const std::optional<CgroupMemory>& cgroup) {
  if (cgroup && (mem_available <= 0 || cgroup->headroom_bytes < mem_available)) {
    return {cgroup->headroom_bytes, cgroup->limit};
  }
  return {std::max<std::int64_t>(0, mem_available), std::nullopt};
}

AvailableMemory available_memory() {
  return available_memory_of(parse_meminfo(read_text("/proc/meminfo"), "MemAvailable"),
                             cgroup_memory());
}

}  // namespace flopbench
