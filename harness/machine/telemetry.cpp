// GPU telemetry from NVML (loaded at run time) or nvidia-smi. Over 400 lines because both sources
// live here on purpose: they fill the same readings, and the fallback is only trustworthy when
// its parsing sits next to the NVML path it replaces.

#include "harness/machine/telemetry.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

// csv.h copies file names with strncpy into a fixed buffer, on purpose.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#include <libfccp/csv.h>
#pragma GCC diagnostic pop

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>
#include <type_traits>
#include <utility>

#include "harness/core/types.hpp"
#include "harness/machine/nvml_types.hpp"

extern char** environ;

namespace flopbench {
namespace {

using namespace std::chrono_literals;

struct ReasonBit {
  std::uint64_t bit;
  std::string_view name;
  bool throttling;  // slows a busy GPU beyond its specification (is_throttling_reason)
};

// The nvmlClocksEventReason* bits (nvmlClocksThrottleReason* before R535; same values).
constexpr std::array<ReasonBit, 9> kReasonBits = {{
    {0x1, "gpu_idle", false},
    {0x2, "applications_clocks_setting", false},
    {0x4, "sw_power_cap", false},  // the GPU at its power limit, as specified
    {0x8, "hw_slowdown", true},
    {0x10, "sync_boost", false},
    {0x20, "sw_thermal_slowdown", true},
    {0x40, "hw_thermal_slowdown", true},
    {0x80, "hw_power_brake_slowdown", true},
    {0x100, "display_clock_setting", false},
}};

// "domain:bus:device.function" as the domain's value and "bus:device.function".
std::optional<std::pair<std::uint64_t, std::string_view>> split_pci_bus_id(std::string_view id) {
  const auto colon = id.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == id.size()) return std::nullopt;
  std::uint64_t domain = 0;
  const char* end = id.data() + colon;
  const auto [ptr, ec] = std::from_chars(id.data(), end, domain, 16);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return std::pair{domain, id.substr(colon + 1)};
}

GpuTelemetry with_reasons(GpuTelemetry t, std::uint64_t mask) {
  t.clock_event_reasons = clock_event_reason_names(mask);
  t.throttled = std::any_of(t.clock_event_reasons.begin(), t.clock_event_reasons.end(),
                            [](const std::string& r) { return is_throttling_reason(r); });
  return t;
}

std::string device_name(const GpuDevice& gpu) { return fmt::format("gpu{}", gpu.index); }

// ---- nvidia-smi's CSV ------------------------------------------------------------------------

// Header names as nvidia-smi writes them for kNvidiaSmiQuery (units stay in the header under
// nounits).
constexpr const char* kBusIdColumn = "pci.bus_id";
constexpr const char* kSmClockColumn = "clocks.current.sm [MHz]";
constexpr const char* kMemoryClockColumn = "clocks.current.memory [MHz]";
constexpr const char* kTemperatureColumn = "temperature.gpu";
constexpr const char* kPowerColumn = "power.draw [W]";
constexpr const char* kEventReasonsColumn = "clocks_event_reasons.active";
constexpr const char* kThrottleReasonsColumn = "clocks_throttle_reasons.active";

constexpr const char* kCsvSource = "nvidia-smi output";

[[noreturn]] void bad_value(unsigned line, std::string_view column, std::string_view expected,
                            std::string_view got) {
  throw InputError(fmt::format("{}, line {}: {}: expected {}, got '{}'", kCsvSource, line, column,
                               expected, got));
}

// nvidia-smi writes a value it cannot give as a bracketed note ("[N/A]", "[Not Supported]",
// "[Unknown Error]"), or as a bare "N/A" in some fields and versions.
bool not_available(std::string_view v) {
  return v == "N/A" || (v.size() >= 2 && v.front() == '[' && v.back() == ']');
}

std::optional<double> number_field(const std::string& text, unsigned line, const char* column) {
  if (not_available(text)) return std::nullopt;
  double x = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, x);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(x)) {
    bad_value(line, column, "a number or [N/A]", text);
  }
  return x;
}

// A hex mask such as "0x0000000000000004"; nullopt when nvidia-smi had none.
std::optional<std::uint64_t> mask_field(const std::string& text, unsigned line,
                                        const char* column) {
  if (not_available(text)) return std::nullopt;
  std::uint64_t mask = 0;
  const std::string_view s = text;
  const char* end = s.data() + s.size();
  const bool hex = s.size() > 2 && (s.starts_with("0x") || s.starts_with("0X"));
  const auto [ptr, ec] = std::from_chars(s.data() + (hex ? 2 : 0), end, mask, 16);
  if (!hex || ec != std::errc() || ptr != end) {
    bad_value(line, column, "a hexadecimal mask such as 0x0000000000000004", text);
  }
  return mask;
}

// ---- running nvidia-smi ----------------------------------------------------------------------

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void close() {
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Runs `args` (the program found on PATH) with stdin and stderr on /dev/null and returns what it
// wrote to stdout. nullopt, with why in `error`, when it cannot start, exits with an error,
// outlives `timeout` or writes more than kMaxOutputBytes (then it is killed): a hung driver must
// not hang the benchmark. nvidia-smi's answer for eight GPUs is a few hundred bytes; a program that
// does not stop talking must not fill the memory.
constexpr std::size_t kMaxOutputBytes = std::size_t{1} << 20;

constexpr auto kNvidiaSmiTimeout = 5000ms;

class NvidiaSmiSource final : public TelemetrySource {
 public:
  // Tries the current field name, then the one older drivers know; nullptr with why in `error`.
  static std::unique_ptr<NvidiaSmiSource> open(std::string& error) {
    const std::string event_query(kNvidiaSmiQuery);
    // The same fields with the older name of the reasons, which come last.
    const std::string throttle_query =
        event_query.substr(0, event_query.rfind(',') + 1) + "clocks_throttle_reasons.active";
    for (const auto& query : {event_query, throttle_query}) {
      auto source = std::unique_ptr<NvidiaSmiSource>(new NvidiaSmiSource(query));
      try {
        if (source->query(error)) return source;
      } catch (const InputError& e) {
        error = e.what();
      }
    }
    return nullptr;
  }

  std::string name() const override { return "nvidia-smi"; }

  std::vector<GpuTelemetry> read(const std::vector<GpuDevice>& gpus) override {
    std::vector<GpuTelemetry> out;
    try {
      std::string ignored;
      const auto readings = query(ignored);
      if (!readings) return out;
      for (const GpuDevice& gpu : gpus) {
        const auto it = std::find_if(readings->begin(), readings->end(), [&](const auto& r) {
          return same_pci_bus_id(r.pci_bus_id, gpu.pci_bus_id);
        });
        if (it == readings->end()) continue;
        out.push_back(it->telemetry);
        out.back().device = device_name(gpu);
      }
    } catch (const std::exception&) {
      // Unreadable output now (a driver reset, say): no readings for this measurement.
      out.clear();
    }
    return out;
  }

 private:
  explicit NvidiaSmiSource(std::string query) : query_(std::move(query)) {}

  std::optional<std::vector<NvidiaSmiReading>> query(std::string& error) const {
    const auto output = run_for_output(
        {"nvidia-smi", "--query-gpu=" + query_, "--format=csv,nounits"}, kNvidiaSmiTimeout, error);
    if (!output) return std::nullopt;
    return parse_nvidia_smi_csv(*output);
  }

  std::string query_;
};

// ---- NVML ------------------------------------------------------------------------------------

// The few NVML entry points used, declared here because nvml.h is not part of every CUDA
// toolkit. As nvml.h has them: nvmlReturn_t is an enum with NVML_SUCCESS = 0, nvmlDevice_t an
// opaque pointer, and the enum arguments (nvmlClockType_t, nvmlTemperatureSensors_t) are ints
// (their values in nvml_types.hpp).
using NvmlReturn = int;
using NvmlDevice = struct NvmlDeviceOpaque*;
constexpr NvmlReturn kNvmlSuccess = nvml::kSuccess;
constexpr int kNvmlClockSm = nvml::kClockSm;
constexpr int kNvmlClockMem = nvml::kClockMem;
constexpr int kNvmlTemperatureGpu = nvml::kTemperatureGpu;

struct NvmlApi {
  NvmlReturn (*init)() = nullptr;      // nvmlInit_v2
  NvmlReturn (*shutdown)() = nullptr;  // nvmlShutdown
  NvmlReturn (*handle_by_pci_bus_id)(const char*, NvmlDevice*) = nullptr;
  NvmlReturn (*clock_mhz)(NvmlDevice, int, unsigned*) = nullptr;      // nvmlDeviceGetClockInfo
  NvmlReturn (*temperature_c)(NvmlDevice, int, unsigned*) = nullptr;  // nvmlDeviceGetTemperature
  NvmlReturn (*power_mw)(NvmlDevice, unsigned*) = nullptr;            // nvmlDeviceGetPowerUsage
  NvmlReturn (*field_values)(NvmlDevice, int, nvml::FieldValue*) = nullptr;
  NvmlReturn (*clock_event_reasons)(NvmlDevice, unsigned long long*) = nullptr;
};

class NvmlSource final : public TelemetrySource {
 public:
  // nullptr, with why in `error`, when the library is missing or does not initialise (no driver).
  static std::unique_ptr<NvmlSource> open(std::string& error) {
    const std::string path = nvml_library();
    void* library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      const char* why = ::dlerror();
      error = why != nullptr ? why : "cannot load " + path;
      return nullptr;
    }
    NvmlApi api;
    const auto symbol = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(library, name));
    };
    symbol(api.init, "nvmlInit_v2");
    symbol(api.shutdown, "nvmlShutdown");
    symbol(api.handle_by_pci_bus_id, "nvmlDeviceGetHandleByPciBusId_v2");
    symbol(api.clock_mhz, "nvmlDeviceGetClockInfo");
    symbol(api.temperature_c, "nvmlDeviceGetTemperature");
    symbol(api.power_mw, "nvmlDeviceGetPowerUsage");
    symbol(api.field_values, "nvmlDeviceGetFieldValues");
    symbol(api.clock_event_reasons, "nvmlDeviceGetCurrentClocksEventReasons");
    if (api.clock_event_reasons == nullptr) {  // drivers before R535
      symbol(api.clock_event_reasons, "nvmlDeviceGetCurrentClocksThrottleReasons");
    }
    if (api.init == nullptr || api.shutdown == nullptr || api.handle_by_pci_bus_id == nullptr) {
      error =
          "libnvidia-ml.so.1 lacks nvmlInit_v2, nvmlShutdown or "
          "nvmlDeviceGetHandleByPciBusId_v2 (driver too old)";
      ::dlclose(library);
      return nullptr;
    }
    if (const NvmlReturn rc = api.init(); rc != kNvmlSuccess) {
      error = fmt::format("nvmlInit_v2 failed with error {}", rc);
      ::dlclose(library);
      return nullptr;
    }
    return std::unique_ptr<NvmlSource>(new NvmlSource(library, api));
  }

  ~NvmlSource() override {
    api_.shutdown();
    ::dlclose(library_);
  }
  NvmlSource(const NvmlSource&) = delete;
  NvmlSource& operator=(const NvmlSource&) = delete;

  std::string name() const override { return "nvml"; }

  std::vector<GpuTelemetry> read(const std::vector<GpuDevice>& gpus) override {
    std::vector<GpuTelemetry> out;
    for (const GpuDevice& gpu : gpus) {
      if (auto t = read_one(gpu)) out.push_back(std::move(*t));
    }
    return out;
  }

 private:
  // A function that is missing or fails leaves its field empty.
  std::optional<GpuTelemetry> read_one(const GpuDevice& gpu) {
    const auto device = handle(gpu.pci_bus_id);
    if (!device) return std::nullopt;
    GpuTelemetry t;
    t.device = device_name(gpu);
    t.source = name();
    unsigned value = 0;
    if (api_.clock_mhz && api_.clock_mhz(*device, kNvmlClockSm, &value) == kNvmlSuccess) {
      t.sm_clock_mhz = value;
    }
    if (api_.clock_mhz && api_.clock_mhz(*device, kNvmlClockMem, &value) == kNvmlSuccess) {
      t.memory_clock_mhz = value;
    }
    if (api_.temperature_c &&
        api_.temperature_c(*device, kNvmlTemperatureGpu, &value) == kNvmlSuccess) {
      t.temperature_c = value;
    }
    t.power_w = power_w(*device);
    unsigned long long mask = 0;
    if (api_.clock_event_reasons && api_.clock_event_reasons(*device, &mask) == kNvmlSuccess) {
      t = with_reasons(std::move(t), mask);
    } else {
      t.clock_events_read = false;
    }
    return t;
  }

  NvmlSource(void* library, NvmlApi api) : library_(library), api_(api) {}

  // The power drawn now (NVML_FI_DEV_POWER_INSTANT). nvmlDeviceGetPowerUsage, the fallback for
  // drivers without that field, averages over the last second on Ampere and later (GA100
  // excepted): most of a 100 ms reading's second would be another moment's.
  std::optional<double> power_w(NvmlDevice device) {
    nvml::FieldValue field{};
    field.field_id = nvml::kFieldPowerInstant;
    if (api_.field_values && api_.field_values(device, 1, &field) == kNvmlSuccess &&
        field.nvml_return == kNvmlSuccess) {
      if (const auto mw = nvml::field_number(field)) return *mw / 1000.0;
    }
    unsigned mw = 0;
    if (api_.power_mw && api_.power_mw(device, &mw) == kNvmlSuccess) return mw / 1000.0;
    return std::nullopt;
  }

  // Looked up once per GPU: the lookup may initialise the GPU in NVML.
  std::optional<NvmlDevice> handle(const std::string& pci_bus_id) {
    if (const auto it = handles_.find(pci_bus_id); it != handles_.end()) return it->second;
    NvmlDevice device = nullptr;
    if (api_.handle_by_pci_bus_id(pci_bus_id.c_str(), &device) != kNvmlSuccess) {
      return std::nullopt;
    }
    handles_.emplace(pci_bus_id, device);
    return device;
  }

  void* library_;
  NvmlApi api_;
  std::map<std::string, NvmlDevice> handles_;
};

}  // namespace

std::optional<std::string> run_for_output(std::vector<std::string> args,
                                          std::chrono::milliseconds timeout, std::string& error) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    error = fmt::format("cannot create a pipe: {}", std::strerror(errno));
    return std::nullopt;
  }
  Fd read_end(fds[0]), write_end(fds[1]);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  write_end.close();  // so that reading ends when the child exits
  if (rc != 0) {
    error = fmt::format("cannot start: {}", std::strerror(rc));
    return std::nullopt;
  }

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto ms_left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now())
        .count();
  };
  std::string output;
  bool timed_out = false;
  for (;;) {
    const auto left = ms_left();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{read_end.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    char buffer[4096];
    const ssize_t got = ::read(read_end.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // end of output
    output.append(buffer, static_cast<std::size_t>(got));
    if (output.size() > kMaxOutputBytes) break;
  }
  // SIGKILL, then a second at most to reap it: nvidia-smi stuck in an ioctl of a hung driver
  // does not die (it waits in D state), and a hung driver must not hang the benchmark.
  const auto kill_child = [pid] {
    ::kill(pid, SIGKILL);
    for (int i = 0; i < 500 && ::waitpid(pid, nullptr, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(2ms);
    }
  };
  if (output.size() > kMaxOutputBytes) {
    kill_child();
    error = fmt::format("more than {} KiB of output", kMaxOutputBytes >> 10);
    return std::nullopt;
  }

  // Its output has ended, so it is exiting; still, never wait past the deadline.
  int status = 0;
  while (!timed_out) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      error = fmt::format("cannot wait for it: {}", std::strerror(errno));
      return std::nullopt;
    }
    timed_out = ms_left() <= 0;
    std::this_thread::sleep_for(2ms);
  }
  if (timed_out) {
    kill_child();
    error = fmt::format("no answer within {} s", timeout.count() / 1000.0);
    return std::nullopt;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    // nvidia-smi says what went wrong ("couldn't communicate with the NVIDIA driver") on stdout.
    const std::string_view first_line = std::string_view(output).substr(0, output.find('\n'));
    error = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                              : fmt::format("killed by signal {}", WTERMSIG(status));
    if (!first_line.empty()) error += fmt::format(": {}", first_line);
    return std::nullopt;
  }
  return output;
}

std::string nvml_library() {
  const char* path = std::getenv(kNvmlLibraryEnv);
  return path != nullptr && *path != '\0' ? path : "libnvidia-ml.so.1";
}

std::vector<std::string> clock_event_reason_names(std::uint64_t mask) {
  std::vector<std::string> names;
  for (int i = 0; i < 64; ++i) {
    const std::uint64_t bit = std::uint64_t{1} << i;
    if ((mask & bit) == 0) continue;
    const auto it = std::find_if(kReasonBits.begin(), kReasonBits.end(),
                                 [&](const ReasonBit& r) { return r.bit == bit; });
    names.push_back(it != kReasonBits.end() ? std::string(it->name)
                                            : fmt::format("unknown_{:#x}", bit));
  }
  return names;
}

bool is_throttling_reason(std::string_view name) {
  return std::any_of(kReasonBits.begin(), kReasonBits.end(),
                     [&](const ReasonBit& r) { return r.throttling && r.name == name; });
}

bool same_pci_bus_id(std::string_view a, std::string_view b) {
  const auto x = split_pci_bus_id(a);
  const auto y = split_pci_bus_id(b);
  return x && y && x->first == y->first && iequal(x->second, y->second);
}

std::vector<NvidiaSmiReading> parse_nvidia_smi_csv(std::string_view csv) {
  std::vector<NvidiaSmiReading> readings;
  try {
    io::CSVReader<7> reader(kCsvSource, csv.data(), csv.data() + csv.size());
    const std::string expected = fmt::format(
        "expected the header that nvidia-smi --query-gpu={} --format=csv,nounits writes",
        kNvidiaSmiQuery);
    try {
      // Every column, with either name of the reasons; which are present is checked below.
      reader.read_header(io::ignore_missing_column, kBusIdColumn, kSmClockColumn,
                         kMemoryClockColumn, kTemperatureColumn, kPowerColumn, kEventReasonsColumn,
                         kThrottleReasonsColumn);
    } catch (const io::error::base& e) {
      std::string_view what = e.what();  // a sentence: "Header missing in file "...".
      if (what.ends_with('.')) what.remove_suffix(1);
      throw InputError(fmt::format("{} ({})", what, expected));
    }
    for (const char* column :
         {kBusIdColumn, kSmClockColumn, kMemoryClockColumn, kTemperatureColumn, kPowerColumn}) {
      if (!reader.has_column(column)) {
        throw InputError(
            fmt::format("{}, line 1: missing column '{}' ({})", kCsvSource, column, expected));
      }
    }
    const bool event_column = reader.has_column(kEventReasonsColumn);
    if (event_column == reader.has_column(kThrottleReasonsColumn)) {
      throw InputError(fmt::format("{}, line 1: expected one of the columns '{}' and '{}' ({})",
                                   kCsvSource, kEventReasonsColumn, kThrottleReasonsColumn,
                                   expected));
    }
    const char* reasons_column = event_column ? kEventReasonsColumn : kThrottleReasonsColumn;

    std::string bus_id, sm, memory, temperature, power, event_reasons, throttle_reasons;
    while (
        reader.read_row(bus_id, sm, memory, temperature, power, event_reasons, throttle_reasons)) {
      const unsigned line = reader.get_file_line();
      if (!split_pci_bus_id(bus_id)) {
        bad_value(line, kBusIdColumn, "a PCI bus id such as 00000000:17:00.0", bus_id);
      }
      NvidiaSmiReading r;
      r.pci_bus_id = bus_id;
      r.telemetry.source = "nvidia-smi";
      r.telemetry.sm_clock_mhz = number_field(sm, line, kSmClockColumn);
      r.telemetry.memory_clock_mhz = number_field(memory, line, kMemoryClockColumn);
      r.telemetry.temperature_c = number_field(temperature, line, kTemperatureColumn);
      r.telemetry.power_w = number_field(power, line, kPowerColumn);
      const auto mask =
          mask_field(event_column ? event_reasons : throttle_reasons, line, reasons_column);
      if (mask) {
        r.telemetry = with_reasons(std::move(r.telemetry), *mask);
      } else {
        r.telemetry.clock_events_read = false;
      }
      readings.push_back(std::move(r));
    }
  } catch (const io::error::base& e) {
    throw InputError(e.what());
  }
  return readings;
}

std::unique_ptr<TelemetrySource> open_telemetry_source(std::string* why_not) {
  std::string nvml_error, smi_error;
  if (auto nvml = NvmlSource::open(nvml_error)) return nvml;
  if (auto smi = NvidiaSmiSource::open(smi_error)) return smi;
  if (why_not != nullptr) *why_not = fmt::format("NVML: {}; nvidia-smi: {}", nvml_error, smi_error);
  return nullptr;
}

}  // namespace flopbench
