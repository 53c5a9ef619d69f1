// results.json's reader and writer. Over 400 lines because the one field list of every record
// (the schema, read and written by the same code) is here, with the value codecs it needs.

#include "reports/results_json.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <span>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "harness/core/input_file.hpp"
#include "harness/core/statistics.hpp"
#include "reports/crossover.hpp"
#include "reports/fleet.hpp"

namespace flopbench {
namespace {

using nlohmann::json;

// ---- the schema ------------------------------------------------------------------------------
//
// One list of fields per record, in reading order, walked by the reader and by the writer:
//   s(name, member)             required; its C++ type says how it is read and written
//   s.added_later(name, member) written always; files from before it existed lack it, and read
//                               as the member's default
//   s.derived(name, function)   written for readers of the file, ignored when reading
// docs/results-schema.md documents each field.

template <class T>
struct Of {};  // selects a record's field list

template <class S>
void fields(S& s, Of<CacheLevel>) {
  using R = CacheLevel;
  s("level", &R::level);
  s("type", &R::type);
  s("size_bytes", &R::size_bytes);
  s("shared_by_cpus", &R::shared_by_cpus);
  s("instances", &R::instances);
}

template <class S>
void fields(S& s, Of<Peak>) {
  s("gflops", &Peak::gflops);
  s("basis", &Peak::basis);
}

template <class S>
void fields(S& s, Of<CpuQuota>) {
  s("cpus", &CpuQuota::cpus);
  s("file", &CpuQuota::file);
}

template <class S>
void fields(S& s, Of<MemoryLimit>) {
  s("bytes", &MemoryLimit::bytes);
  s("file", &MemoryLimit::file);
}

template <class S>
void fields(S& s, Of<CpuInventory>) {
  using R = CpuInventory;
  s("model", &R::model);
  s("vendor", &R::vendor);
  s("microarchitecture", &R::microarchitecture);
  s("family", &R::family);
  s("model_number", &R::model_number);
  s("stepping", &R::stepping);
  s("sockets", &R::sockets);
  s("cores", &R::cores);
  s("logical_cpus", &R::logical_cpus);
  s.added_later("online_cpus", &R::online_cpus);
  s.added_later("cpu_quota", &R::quota);
  s("simd", &R::simd);
  s("caches", &R::caches);
  s("memory_bytes", &R::memory_bytes);
  s.added_later("memory_limit", &R::memory_limit);
  s("clock_ghz", &R::clock_ghz);
  s("clock_source", &R::clock_source);
  s.added_later("scalar_clock_ghz", &R::scalar_clock_ghz);
  s("peak_fp32", &R::peak_fp32);
  s("peak_fp64", &R::peak_fp64);
}

template <class S>
void fields(S& s, Of<LaunchLatency>) {
  s("synchronous_us", &LaunchLatency::synchronous_us);
  s("back_to_back_us", &LaunchLatency::back_to_back_us);
  s("launches", &LaunchLatency::launches);
}

template <class S>
void fields(S& s, Of<GpuDevice>) {
  using R = GpuDevice;
  s("index", &R::index);
  s("name", &R::name);
  s("cc_major", &R::cc_major);
  s("cc_minor", &R::cc_minor);
  s("sm_count", &R::sm_count);
  s("sm_clock_mhz", &R::sm_clock_mhz);
  s("memory_clock_mhz", &R::memory_clock_mhz);
  s("memory_bytes", &R::memory_bytes);
  s("memory_bus_width_bits", &R::memory_bus_width_bits);
  s("l2_bytes", &R::l2_bytes);
  s("ecc_enabled", &R::ecc_enabled);
  s("pci_bus_id", &R::pci_bus_id);
  s("pci_device_id", &R::pci_device_id);
  s("uuid", &R::uuid);
  s("peak_fp32", &R::peak_fp32);
  s("peak_fp64", &R::peak_fp64);
  s.added_later("launch_latency", &R::launch_latency);
  s.added_later("local_cpus", &R::local_cpus);
}

template <class S>
void fields(S& s, Of<GpuInventory>) {
  using R = GpuInventory;
  s("cuda_built", &R::cuda_built);
  s("runtime_version", &R::runtime_version);
  s("driver_version", &R::driver_version);
  s("devices", &R::devices);
  s("no_device_reason", &R::no_device_reason);
  s.added_later("cuda_env", &R::cuda_env);
}

template <class S>
void fields(S& s, Of<Environment>) {
  using R = Environment;
  s("flopbench_version", &R::flopbench_version);
  s("git_commit", &R::git_commit);
  s("host", &R::host);
  s("os", &R::os);
  s("kernel", &R::kernel);
  s("compiler", &R::compiler);
  s("compiler_flags", &R::compiler_flags);
  s("build_type", &R::build_type);
  s("libraries", &R::libraries);
  s("openmp_env", &R::openmp_env);
  s("cpu", &R::cpu);
  s("gpu", &R::gpu);
  s.added_later("health", &R::health);
}

template <class S>
void fields(S& s, Of<GpuHealth>) {
  using R = GpuHealth;
  s("index", &R::index);
  s("nvml_index", &R::nvml_index);
  s("cuda_visible", &R::cuda_visible);
  s.added_later("lost", &R::lost);
  s("name", &R::name);
  s("pci_bus_id", &R::pci_bus_id);
  s("pci_device_id", &R::pci_device_id);
  s("facts", &R::facts);
}

template <class S>
void fields(S& s, Of<MachineHealth>) {
  using R = MachineHealth;
  s("gpu_source", &R::gpu_source);
  s("gpu_unknown", &R::gpu_unknown);
  s("kernel_log", &R::kernel_log);
  s("host", &R::host);
  s("gpus", &R::gpus);
}

template <class S>
void fields(S& s, Of<Statistics>) {
  using R = Statistics;
  s("samples", &R::samples);
  s("median_s", &R::median);
  s("min_s", &R::min);
  s("max_s", &R::max);
  s("mean_s", &R::mean);
  s("stddev_s", &R::stddev);
  s("cv", &R::cv);
}

template <class S>
void fields(S& s, Of<Verification>) {
  using R = Verification;
  s("method", &R::method);
  s("max_error", &R::max_error);
  s("tolerance", &R::tolerance);
  s("error_ratio", &R::error_ratio);
  s("passed", &R::passed);
}

template <class S>
void fields(S& s, Of<GpuTelemetry>) {
  using R = GpuTelemetry;
  s("device", &R::device);
  s("source", &R::source);
  s("sm_clock_mhz", &R::sm_clock_mhz);
  s("memory_clock_mhz", &R::memory_clock_mhz);
  s("temperature_c", &R::temperature_c);
  s("power_w", &R::power_w);
  s("clock_event_reasons", &R::clock_event_reasons);
  s("throttled", &R::throttled);
  s.added_later("clock_events_read", &R::clock_events_read);
}

template <class S>
void fields(S& s, Of<Spread>) {
  s("min", &Spread::min);
  s("median", &Spread::median);
  s("max", &Spread::max);
}

template <class S>
void fields(S& s, Of<MachineLoad>) {
  using R = MachineLoad;
  s("readings", &R::readings);
  s("other_cpus", &R::other_cpus);
  s("steal_cpus", &R::steal_cpus);
  s("load_average", &R::load_average);
  s.added_later("waited", &R::waited);
  s.added_later("busy", &R::busy);
  s.added_later("fewer_threads", &R::fewer_threads);
  s("contended", &R::contended);
}

template <class S>
void fields(S& s, Of<GpuTelemetrySpread>) {
  using R = GpuTelemetrySpread;
  s("device", &R::device);
  s("readings", &R::readings);
  s("sm_clock_mhz", &R::sm_clock_mhz);
  s("memory_clock_mhz", &R::memory_clock_mhz);
  s("temperature_c", &R::temperature_c);
  s("power_w", &R::power_w);
  s("throttled_readings", &R::throttled_readings);
  s("throttling_reasons", &R::throttling_reasons);
  s.added_later("power_capped_readings", &R::power_capped_readings);
  s.added_later("clock_events_unread", &R::clock_events_unread);
}

template <class S>
void fields(S& s, Of<Problem>) {
  s("m", &Problem::m);
  s("n", &Problem::n);
  s("k", &Problem::k);
}

template <class S>
void fields(S& s, Of<MeasurementRecord>) {
  using R = MeasurementRecord;
  s("workload", &R::workload);
  s.derived("display_name", [](const R& r) { return display_name(r.workload, r.precision); });
  s.derived("bound", [](const R& r) {
    return std::string(r.workload_info().bound == Bound::bandwidth ? "bandwidth" : "compute");
  });
  s("implementation", &R::implementation);
  s("device", &R::device);
  s("precision", &R::precision);
  s("problem", &R::problem);
  s.derived("problem_label", [](const R& r) { return r.problem.label(); });
  s("disposition", &R::disposition);
  s("reason", &R::reason);
  s("notes", &R::notes);
  s("threads", &R::threads);
  s.added_later("vector_bits", &R::vector_bits);
  s("flops", &R::flops);
  s("bytes", &R::bytes);
  s("timing", &R::timing);
  s.added_later("threads_rest_wait_s", &R::threads_rest_wait_s);
  s("samples_s", &R::samples_s);
  s("host_wall_s", &R::host_wall_s);
  s.added_later("samples_waited", &R::samples_waited);
  s("iterations_per_sample", &R::iterations_per_sample);
  s("stopping_rule", &R::stopping_rule);
  s("statistics", &R::stats);
  s("wall_s", &R::wall_s);
  s("gflops", &R::gflops);
  s("gbytes_per_s", &R::gbytes_per_s);
  s("peak", &R::peak);
  s("percent_of_peak", &R::percent_of_peak);
  s.added_later("clock_after_ghz", &R::clock_after_ghz);
  s("verification", &R::verification);
  s.added_later("telemetry_before", &R::telemetry_before);
  s.added_later("telemetry_after", &R::telemetry_after);
  s.added_later("load", &R::load);
  s.added_later("telemetry_during", &R::telemetry_during);
}

template <class S>
void fields(S& s, Of<RunInfo>) {
  using R = RunInfo;
  s("command_line", &R::command_line);
  s("profile", &R::profile);
  s("seed", &R::seed);
  s("threads", &R::threads);
  s("started_utc", &R::started_utc);
  s("finished_utc", &R::finished_utc);
  s("interrupted", &R::interrupted);
  s.added_later("launch", &R::launch);
  s.added_later("telemetry_source", &R::telemetry_source);
  s.added_later("gpus", &R::gpus);
  s.added_later("replicate", &R::replicate);
  s.added_later("sampling", &R::sampling);
}

template <class S>
void fields(S& s, Of<Sampling>) {
  using R = Sampling;
  s("min_samples", &R::min_samples);
  s("max_samples", &R::max_samples);
  s("min_sample_s", &R::min_sample_s);
  s("min_measured_s", &R::min_measured_s);
  s("target_cv", &R::target_cv);
  s("time_limit_s", &R::time_limit_s);
}

template <class S>
void fields(S& s, Of<Replicate>) {
  using R = Replicate;
  s("index", &R::index);
  s("of", &R::of);
}

template <class S>
void fields(S& s, Of<Launch>) {
  using R = Launch;
  s("launcher", &R::launcher);
  s("job", &R::job);
  s("rank", &R::rank);
  s("local_rank", &R::local_rank);
  s("node", &R::node);
  s("tasks", &R::tasks);
  s.added_later("node_name", &R::node_name);
  s.added_later("step", &R::step);
}

template <class S>
void fields(S& s, Of<CriterionVerdict>) {
  using R = CriterionVerdict;
  s("metric", &R::metric);
  s("comparator", &R::comparator);
  s("bound_text", &R::bound_text);
  s("measured", &R::measured);
  s("bound", &R::bound);
  s("unit", &R::unit);
  s("margin_percent", &R::margin_percent);
  s("severity", &R::severity);
  s("verdict", &R::verdict);
  s("reason", &R::reason);
  s("description", &R::description);
}

template <class S>
void fields(S& s, Of<AcceptanceResult>) {
  using R = AcceptanceResult;
  s("spec", &R::spec);
  s("checked_utc", &R::checked_utc);
  s("criteria", &R::criteria);
  s.added_later("not_applied", &R::not_applied);
  s("passed", &R::passed);
}

template <class T>
json write_value(const T& v);

template <class S>
void fields(S& s, Of<BurnPoint>) {
  s("at_s", &BurnPoint::at_s);
  s("gflops", &BurnPoint::gflops);
  s.added_later("run_s", &BurnPoint::run_s);
  s.added_later("windows", &BurnPoint::windows);
}

template <class S>
void fields(S& s, Of<BurnTelemetry>) {
  s("at_s", &BurnTelemetry::at_s);
  s("reading", &BurnTelemetry::reading);
  s.added_later("readings", &BurnTelemetry::readings);
  s.added_later("throttled_readings", &BurnTelemetry::throttled_readings);
}

template <class S>
void fields(S& s, Of<CpuBurnReading>) {
  s("at_s", &CpuBurnReading::at_s);
  s("other_cpus", &CpuBurnReading::other_cpus);
  s("steal_cpus", &CpuBurnReading::steal_cpus);
  s("clock_mhz", &CpuBurnReading::clock_mhz);
  s.added_later("readings", &CpuBurnReading::readings);
}

template <class S>
void fields(S& s, Of<BurnDevice>) {
  using R = BurnDevice;
  s("device", &R::device);
  s("implementation", &R::implementation);
  s("precision", &R::precision);
  s("problem", &R::problem);
  s("verdict", &R::verdict);
  s("why", &R::why);
  s("fault", &R::fault);
  s.added_later("cut_short", &R::cut_short);
  s("iterations", &R::iterations);
  s.added_later("runs_per_iteration", &R::runs_per_iteration);
  s("seconds", &R::seconds);
  s.added_later("busy_s", &R::busy_s);
  s.derived("busy_share", [](const R& r) { return write_value(r.busy_share()); });
  s.derived("median_gflops", [](const R& r) { return write_value(r.median_gflops()); });
  s.derived("throughput_drop", [](const R& r) { return write_value(r.throughput_drop()); });
  s("throughput", &R::throughput);
  s("telemetry", &R::telemetry);
  s.added_later("cpu_load", &R::cpu_load);
}

template <class S>
void fields(S& s, Of<BurnResult>) {
  using R = BurnResult;
  s("duration_s", &R::duration_s);
  s.added_later("precisions", &R::precisions);
  s("degraded_fraction", &R::degraded_fraction);
  s("telemetry_source", &R::telemetry_source);
  s.added_later("telemetry_stopped", &R::telemetry_stopped);
  s("devices", &R::devices);
}

template <class S>
void fields(S& s, Of<MemtestError>) {
  using R = MemtestError;
  s("pattern", &R::pattern);
  s("offset", &R::offset);
  s("expected", &R::expected);
  s("actual", &R::actual);
}

template <class S>
void fields(S& s, Of<FactRise>) {
  s("fact", &FactRise::fact);
  s("before", &FactRise::before);
  s("after", &FactRise::after);
}

template <class S>
void fields(S& s, Of<MemtestDevice>) {
  using R = MemtestDevice;
  s("device", &R::device);
  s.derived("passed", [](const R& r) { return r.passed(); });
  s.derived("completed", [](const R& r) { return r.completed(); });
  s.derived("verdict", [](const R& r) { return std::string(r.verdict()); });
  s("bytes_tested", &R::bytes_tested);
  s.added_later("bytes_asked", &R::bytes_asked);
  s("free_bytes", &R::free_bytes);
  s("passes", &R::passes);
  s("patterns", &R::patterns);
  s("seconds", &R::seconds);
  s("bad_words", &R::bad_words);
  s("errors", &R::errors);
  s("failure", &R::failure);
  s.added_later("memory_error_rises", &R::memory_error_rises);
  s.added_later("ecc_not_compared", &R::ecc_not_compared);
}

template <class S>
void fields(S& s, Of<MemtestResult>) {
  s("duration_s", &MemtestResult::duration_s);
  s("devices", &MemtestResult::devices);
}

json crossovers_json(const ResultsDocument& doc);

template <class S>
void fields(S& s, Of<ResultsDocument>) {
  using R = ResultsDocument;
  s("schema_version", &R::schema_version);
  s("environment", &R::environment);
  s("run", &R::run);
  s("measurements", &R::measurements);
  s.added_later("acceptance", &R::acceptance);
  s.added_later("burn", &R::burn);
  s.added_later("memtest", &R::memtest);
  s.derived("crossovers", crossovers_json);
}

template <class S>
void fields(S& s, Of<FleetNode>) {
  using R = FleetNode;
  s("source", &R::source);
  s("host", &R::host);
  s("problem", &R::problem);
  s.added_later("rerun", &R::rerun);
  s.added_later("superseded", &R::superseded);
  s("results", &R::results);
}

template <class S>
void fields(S& s, Of<FleetRecord>) {
  using R = FleetRecord;
  s("fleet_schema_version", &R::fleet_schema_version);
  s("merged_utc", &R::merged_utc);
  s("threshold_percent", &R::threshold_percent);
  s("expected_nodes", &R::expected_nodes);
  s("expected_hosts", &R::expected_hosts);
  s("nodes", &R::nodes);
  s.added_later("acceptance", &R::acceptance);
}

// ---- field types -----------------------------------------------------------------------------

template <class T>
constexpr bool is_optional = false;
template <class T>
constexpr bool is_optional<std::optional<T>> = true;

template <class T>
constexpr bool is_vector = false;
template <class T>
constexpr bool is_vector<std::vector<T>> = true;

using StringMap = std::map<std::string, std::string>;
constexpr std::string_view kUnknownPrefix = "unknown: ";

// A record that keeps the fields this version does not know (results.hpp).
template <class T>
concept KeepsUnknown = requires(T r) {
  r.unknown_fields;
};

// ---- reading ---------------------------------------------------------------------------------

// A JSON value and where it sits in the document: the path for error messages, and where the
// fields this version does not know go.
struct Node {
  const json& value;
  std::string path;            // "" for the value the reading started from
  json::json_pointer pointer;  // relative to the record that keeps `unknown`
  UnknownFields* unknown;
};

[[noreturn]] void fail(const std::string& path, std::string_view message) {
  throw InputError(fmt::format("{}: {}", path.empty() ? "top level" : path, message));
}

std::string_view kind_of(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "a number";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    default:
      return "an unsupported value";
  }
}

[[noreturn]] void expected(const Node& n, std::string_view what) {
  fail(n.path, fmt::format("expected {}, got {}", what, kind_of(n.value)));
}

Node member(const Node& object, std::string_view key) {
  if (!object.value.is_object()) expected(object, "an object");
  std::string path =
      object.path.empty() ? std::string(key) : fmt::format("{}.{}", object.path, key);
  const auto it = object.value.find(key);
  if (it == object.value.end()) fail(path, "missing required field");
  return {*it, std::move(path), object.pointer / std::string(key), object.unknown};
}

Node element(const Node& array, std::size_t i) {
  return {array.value[i], fmt::format("{}[{}]", array.path, i), array.pointer / i, array.unknown};
}

const json& array_of(const Node& n) {
  if (!n.value.is_array()) expected(n, "an array");
  return n.value;
}

double get_number(const Node& n) {
  if (n.value.is_number()) return n.value.get<double>();
  if (n.value.is_string()) {
    const auto& s = n.value.get_ref<const std::string&>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
  }
  expected(n, "a number");
}

template <class Int>
Int get_integer(const Node& n) {
  if (!n.value.is_number_integer()) expected(n, "an integer");
  if (n.value.is_number_unsigned()) {
    const auto u = n.value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<Int>::max())) {
      fail(n.path, fmt::format("{} is out of range", u));
    }
    return static_cast<Int>(u);
  }
  const auto i = n.value.get<std::int64_t>();
  if (std::cmp_less(i, std::numeric_limits<Int>::min()) ||
      std::cmp_greater(i, std::numeric_limits<Int>::max())) {
    fail(n.path, fmt::format("{} is out of range", i));
  }
  return static_cast<Int>(i);
}

std::string get_string(const Node& n) {
  if (!n.value.is_string()) expected(n, "a string");
  return n.value.get<std::string>();
}

// An enum name: the parser's message lists the valid names.
template <class Parse>
auto get_named(const Node& n, Parse parse) {
  const std::string s = get_string(n);
  try {
    return parse(s);
  } catch (const InputError& e) {
    fail(n.path, e.what());
  }
}

template <class T>
void read_record(const Node& n, T& v);

// Reads any field of the schema; its type says how.
template <class T>
void read_value(const Node& n, T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!n.value.is_boolean()) expected(n, "true or false");
    v = n.value.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    v = get_integer<T>(n);
  } else if constexpr (std::is_same_v<T, double>) {
    v = get_number(n);
  } else if constexpr (std::is_same_v<T, std::string>) {
    v = get_string(n);
  } else if constexpr (std::is_same_v<T, WorkloadId>) {
    v = get_named(n, parse_workload);
  } else if constexpr (std::is_same_v<T, Precision>) {
    v = get_named(n, parse_precision);
  } else if constexpr (std::is_same_v<T, Disposition>) {
    v = get_named(n, parse_disposition);
  } else if constexpr (std::is_same_v<T, Severity>) {
    v = get_named(n, parse_severity);
  } else if constexpr (std::is_same_v<T, Verdict>) {
    v = get_named(n, parse_verdict);
  } else if constexpr (std::is_same_v<T, BurnVerdict>) {
    v = get_named(n, parse_burn_verdict);
  } else if constexpr (std::is_same_v<T, DeviceRef>) {
    v = get_named(n, DeviceRef::parse);
  } else if constexpr (std::is_same_v<T, std::optional<double>>) {
    if (n.value.is_null()) {
      v.reset();
    } else {
      if (!n.value.is_number() && !n.value.is_string()) expected(n, "a number or null");
      v = get_number(n);
    }
  } else if constexpr (std::is_same_v<T, std::optional<int>>) {
    if (n.value.is_null()) {
      v.reset();
    } else {
      if (!n.value.is_number_integer()) expected(n, "an integer or null");
      v = get_integer<int>(n);
    }
  } else if constexpr (std::is_same_v<T, std::optional<bool>>) {
    if (n.value.is_null()) {
      v.reset();
    } else {
      if (!n.value.is_boolean()) expected(n, "true, false or null");
      v = n.value.get<bool>();
    }
  } else if constexpr (is_optional<T>) {  // a nullable record
    if (n.value.is_null()) {
      v.reset();
    } else {
      if (!n.value.is_object()) expected(n, "an object or null");
      read_record(n, v.emplace());
    }
  } else if constexpr (is_vector<T>) {
    v.resize(array_of(n).size());
    for (std::size_t i = 0; i < v.size(); ++i) read_value(element(n, i), v[i]);
  } else if constexpr (std::is_same_v<T, StringMap>) {
    if (!n.value.is_object()) expected(n, "an object");
    v.clear();
    for (const auto& [key, value] : n.value.items()) v[key] = get_string(member(n, key));
  } else if constexpr (std::is_same_v<T, HealthFacts>) {
    // A number, a text, or "unknown: <why>" (docs/results-schema.md, "health").
    if (!n.value.is_object()) expected(n, "an object");
    v.clear();
    for (const auto& [key, value] : n.value.items()) {
      const Node fact = member(n, key);
      if (value.is_number()) {
        v[key] = HealthFact::of(get_number(fact));
        continue;
      }
      if (!value.is_string()) expected(fact, "a number, a text or \"unknown: <why>\"");
      std::string text = get_string(fact);
      if (text.starts_with(kUnknownPrefix)) {
        v[key] = HealthFact::unknown_because(text.substr(kUnknownPrefix.size()));
      } else {
        v[key] = HealthFact::of_text(std::move(text));
      }
    }
  } else {
    read_record(n, v);
  }
}

// Walks a record's field list, reading each field from the JSON object.
template <class T>
struct Reader {
  const Node& object;
  T& record;
  std::vector<std::string_view> known;  // the names in the list, read or not

  template <class M>
  void operator()(std::string_view name, M T::*m) {
    known.push_back(name);
    read_value(member(object, name), record.*m);
  }
  template <class M>
  void added_later(std::string_view name, M T::*m) {
    if (object.value.contains(name)) (*this)(name, m);
    known.push_back(name);
  }
  template <class F>
  void derived(std::string_view name, F) {
    known.push_back(name);
  }
};

template <class T>
void read_record(const Node& n, T& v) {
  if (!n.value.is_object()) expected(n, "an object");
  // Unknown fields go to the record itself if it keeps them, else to where its parent's go.
  const Node at = [&]() -> Node {
    if constexpr (KeepsUnknown<T>)
      return {n.value, n.path, json::json_pointer(), &v.unknown_fields};
    return n;
  }();
  Reader<T> reader{at, v, {}};
  fields(reader, Of<T>{});
  for (const auto& [key, value] : n.value.items()) {
    if (std::find(reader.known.begin(), reader.known.end(), key) != reader.known.end()) continue;
    (*at.unknown)[(at.pointer / key).to_string()] =
        value.dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

// ---- writing ---------------------------------------------------------------------------------

template <class T>
json write_record(const T& v);

// Writes any field of the schema; its type says how.
template <class T>
json write_value(const T& v) {
  if constexpr (std::is_same_v<T, double>) {
    // JSON has no NaN or infinity (nlohmann would write null and lose the value).
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    return v;
  } else if constexpr (std::is_enum_v<T>) {
    return to_string(v);
  } else if constexpr (std::is_same_v<T, DeviceRef>) {
    return v.label();
  } else if constexpr (is_optional<T>) {
    return v ? write_value(*v) : json(nullptr);
  } else if constexpr (is_vector<T>) {
    json a = json::array();
    for (const auto& x : v) a.push_back(write_value(x));
    return a;
  } else if constexpr (std::is_arithmetic_v<T> || std::is_same_v<T, std::string> ||
                       std::is_same_v<T, StringMap>) {
    return v;
  } else if constexpr (std::is_same_v<T, HealthFacts>) {
    json facts = json::object();
    for (const auto& [name, f] : v) {
      facts[name] = !f.known() ? json(std::string(kUnknownPrefix) + f.unknown)
                    : f.number ? write_value(*f.number)
                               : json(f.text);
    }
    return facts;
  } else {
    return write_record(v);
  }
}

// A sweep's crossovers (reports/crossover.hpp), derived from the measurements for readers of
// the file.
json crossovers_json(const ResultsDocument& doc) {
  json out = json::array();
  for (const Crossover& c : crossovers(doc)) {
    json points = json::array();
    for (const auto& p : c.points) {
      const std::optional<double> gpu_s = p.gpu ? median_s(*p.gpu) : std::nullopt;
      points.push_back({{"problem_label", p.problem.label()},
                        {"size", write_value(p.size())},
                        {"cpu_implementation", p.cpu->implementation},
                        {"cpu_median_s", write_value(median_s(*p.cpu))},
                        {"gpu_implementation", p.gpu ? json(p.gpu->implementation) : json(nullptr)},
                        {"gpu_device", p.gpu ? json(p.gpu->device.label()) : json(nullptr)},
                        {"gpu_median_s", write_value(gpu_s)},
                        {"speedup", write_value(p.speedup())}});
    }
    out.push_back({{"workload", to_string(c.workload)},
                   {"precision", to_string(c.precision)},
                   {"gpu_timing", c.gpu_timing},
                   {"size", write_value(c.finding.size)},
                   {"basis", c.finding.basis},
                   {"points", std::move(points)}});
  }
  return out;
}

// Walks a record's field list, writing each field into the JSON object.
template <class T>
struct Writer {
  json& object;
  const T& record;

  template <class M>
  void operator()(std::string_view name, M T::*m) {
    object[std::string(name)] = write_value(record.*m);
  }
  template <class M>
  void added_later(std::string_view name, M T::*m) {
    (*this)(name, m);
  }
  template <class F>
  void derived(std::string_view name, F value_of) {
    object[std::string(name)] = value_of(record);
  }
};

template <class T>
json write_record(const T& v) {
  json j = json::object();
  Writer<T> writer{j, v};
  fields(writer, Of<T>{});
  if constexpr (KeepsUnknown<T>) {
    // Each back in its object; one whose object is gone (a shorter array) goes with it.
    for (const auto& [pointer, text] : v.unknown_fields) {
      const json::json_pointer p(pointer);
      if (j.contains(p.parent_pointer()) && j.at(p.parent_pointer()).is_object()) {
        j[p] = json::parse(text);
      }
    }
  }
  return j;
}

// "2026-12-04T23:13:05Z", exactly as a run writes its start and end: merge and compare order
// runs by comparing these as text, which only this one form keeps in time order.
bool is_utc_time(std::string_view t) {
  if (t.size() != 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' ||
      t[16] != ':' || t[19] != 'Z') {
    return false;
  }
  const auto field = [&](std::size_t at, std::size_t count, int lo, int hi) {
    int v = 0;
    for (std::size_t k = at; k < at + count; ++k) {
      if (t[k] < '0' || t[k] > '9') return false;
      v = 10 * v + (t[k] - '0');
    }
    return v >= lo && v <= hi;
  };
  return field(0, 4, 0, 9999) && field(5, 2, 1, 12) && field(8, 2, 1, 31) && field(11, 2, 0, 23) &&
         field(14, 2, 0, 59) && field(17, 2, 0, 60);
}

// A count of some of `of` readings.
void check_count(int count, int of, const std::string& path) {
  if (count < 0 || count > of)
    fail(path, fmt::format("{} is not a count of the {} readings", count, of));
}

// The timings and stopping rules a run writes (timing_of in runner.cpp; stopping_reason in
// statistics.hpp, "interrupted", and "" where no sample was taken).
constexpr std::array<std::string_view, 4> kTimings = {"host_real_time", "device_events",
                                                      "end_to_end_pinned", "end_to_end_pageable"};
constexpr std::array<std::string_view, 5> kStoppingRules = {"", "converged", "max_samples",
                                                            "time_limit", "interrupted"};

// Whether two figures, one recomputed from the other's inputs, agree to within rounding (a file
// written and read back keeps its doubles exactly; a hand-edited one may round them).
bool agrees(double recorded, double recomputed) {
  return recorded == recomputed ||  // an "inf" sample's statistics, too
         std::abs(recorded - recomputed) <=
             1e-9 * std::max(std::abs(recorded), std::abs(recomputed));
}

// The figures a run derives from a measurement's samples: its statistics from samples_s, its
// rates from the median, its % of peak from the rate. Readers use both (compare judges the
// samples, the reports print the median and the rate), so a file where they disagree would show
// one measurement as two.
template <class Refuse>
void check_derived_figures(const MeasurementRecord& m, const std::string& at,
                           const Refuse& refuse) {
  const Statistics& s = *m.stats;
  for (const auto& [name, v] : {std::pair{"stddev_s", s.stddev}, std::pair{"cv", s.cv}}) {
    if (v < 0 || std::isinf(v)) {
      refuse(fmt::format("{}.statistics.{}", at, name),
             fmt::format("{} is not a possible spread (0 or more)", v));
    }
  }
  if (!m.samples_s.empty() &&
      std::ranges::none_of(m.samples_s, [](double v) { return std::isnan(v); })) {
    const Statistics from_samples = compute_statistics(m.samples_s);
    for (const auto& [name, recorded, recomputed] :
         {std::tuple{"median_s", s.median, from_samples.median},
          std::tuple{"min_s", s.min, from_samples.min},
          std::tuple{"max_s", s.max, from_samples.max},
          std::tuple{"mean_s", s.mean, from_samples.mean}}) {
      if (!agrees(recorded, recomputed)) {
        refuse(fmt::format("{}.statistics.{}", at, name),
               fmt::format("{} is not the {} of samples_s ({})", recorded, name, recomputed));
      }
    }
  }
  const auto rate_of = [&](const std::optional<double>& v, double amount, const char* name) {
    if (v && amount > 0 && std::isfinite(*v) && s.median > 0 && std::isfinite(s.median) &&
        !agrees(*v, amount / s.median / 1e9)) {
      refuse(fmt::format("{}.{}", at, name),
             fmt::format("{} is not its amount over statistics.median_s ({})", *v,
                         amount / s.median / 1e9));
    }
  };
  rate_of(m.gflops, m.flops, "gflops");
  rate_of(m.gbytes_per_s, m.bytes, "gbytes_per_s");
  if (m.percent_of_peak && m.gflops && m.peak.gflops && *m.peak.gflops > 0 &&
      !agrees(*m.percent_of_peak, 100 * *m.gflops / *m.peak.gflops)) {
    refuse(at + ".percent_of_peak",
           fmt::format("{} is not 100 x gflops / peak.gflops ({})", *m.percent_of_peak,
                       100 * *m.gflops / *m.peak.gflops));
  }
}

// Values no run can have, refused with where rather than judged: times a run cannot have
// measured (a spec generated from a zero or negative sample would pass every machine; "nan"
// samples stay readable, as the schema allows), and counts of readings that a criterion would
// sum (a throttled count of -1 would cancel one of 1).
void check_ranges(const ResultsDocument& doc, const std::string& root = "") {
  const auto refuse = [&](const std::string& path, std::string_view message) {
    fail(root + path, message);
  };
  const auto check_count_at = [&](int count, int of, const std::string& path) {
    check_count(count, of, root + path);
  };
  const auto check = [&](double v, const std::string& path) {
    if (!(v > 0) && !std::isnan(v)) {
      refuse(path, fmt::format("{} is not a possible time (seconds > 0)", v));
    }
  };
  if (!doc.run.profile.empty() && doc.run.profile != kBurnProfile &&
      doc.run.profile != kMemtestProfile) {
    try {
      parse_profile(doc.run.profile);
    } catch (const InputError& e) {
      refuse("run.profile", fmt::format("{}, nor {} or {} (a burn's or a memory test's)", e.what(),
                                        kBurnProfile, kMemtestProfile));
    }
  }
  if (doc.run.threads < 0) {
    refuse("run.threads", fmt::format("{} is not a count of threads", doc.run.threads));
  }
  if (const auto& r = doc.run.replicate; r && !(r->of >= 2 && r->index >= 1 && r->index <= r->of)) {
    refuse("run.replicate",
           fmt::format("run {} of {} is no run of a --repeat of 2 or more", r->index, r->of));
  }
  if (const Launch& l = doc.run.launch; l.tasks) {
    if (*l.tasks < 1 || *l.tasks > kMostLaunchTasks) {
      refuse("run.launch.tasks",
             fmt::format("{} is not a task count of a job (1 to {})", *l.tasks, kMostLaunchTasks));
    }
    if (l.rank && (*l.rank < 0 || *l.rank >= *l.tasks)) {
      refuse("run.launch.rank",
             fmt::format("{} is no task of a job of {}", *l.rank, counted(*l.tasks, "task")));
    }
  }
  // Runs are told apart and ordered by their start (compare's replicates, merge's reruns).
  if (!is_utc_time(doc.run.started_utc)) {
    refuse("run.started_utc",
           fmt::format("'{}' is not a UTC time (YYYY-MM-DDTHH:MM:SSZ)", doc.run.started_utc));
  }
  if (!doc.run.finished_utc.empty() && !is_utc_time(doc.run.finished_utc)) {
    refuse("run.finished_utc", fmt::format("'{}' is not a UTC time (YYYY-MM-DDTHH:MM:SSZ), nor "
                                           "empty (a run that did not finish)",
                                           doc.run.finished_utc));
  }
  // A rate below zero, infinite or NaN, or a size or count below zero, no run writes; a reader
  // would print it, or judge it (NaN passes every bound written as `v < lo`).
  const auto rate = [&](const std::optional<double>& v, const std::string& path) {
    if (v && !(*v >= 0 && std::isfinite(*v)))
      refuse(path, fmt::format("{} is not a possible rate (0 or more, finite)", *v));
  };
  for (std::size_t i = 0; i < doc.measurements.size(); ++i) {
    const MeasurementRecord& m = doc.measurements[i];
    const std::string at = fmt::format("measurements[{}]", i);
    rate(m.gflops, at + ".gflops");
    rate(m.gbytes_per_s, at + ".gbytes_per_s");
    rate(m.percent_of_peak, at + ".percent_of_peak");
    for (const auto& [name, size] :
         {std::pair{"m", m.problem.m}, std::pair{"n", m.problem.n}, std::pair{"k", m.problem.k}}) {
      if (size < 0)
        refuse(fmt::format("{}.problem.{}", at, name), fmt::format("{} is not a size", size));
    }
    // A problem read as the wrong shape would be labelled, costed and judged as another: a
    // GEMM with m = 0 reads as a vector of n elements. A record that did not pass may have no
    // problem at all (m, n and k 0), never a wrong one.
    const bool matrix = m.workload_info().size_kind == SizeKind::matrix;
    const bool no_problem = m.problem == Problem{};
    if ((m.disposition == Disposition::passed || !no_problem) &&
        (matrix ? !(m.problem.m > 0 && m.problem.n > 0 && m.problem.k > 0)
                : !(m.problem.m == 0 && m.problem.n > 0 && m.problem.k == 0))) {
      refuse(at + ".problem",
             fmt::format("m {}, n {}, k {}: {} needs {}", m.problem.m, m.problem.n, m.problem.k,
                         to_string(m.workload),
                         matrix ? "m, n and k of 1 or more" : "n of 1 or more, m and k of 0"));
    }
    if (m.threads < 0)
      refuse(at + ".threads", fmt::format("{} is not a count of threads", m.threads));
    if (m.iterations_per_sample < 0) {
      refuse(at + ".iterations_per_sample",
             fmt::format("{} is not a count of iterations", m.iterations_per_sample));
    }
    for (std::size_t k = 0; k < m.samples_s.size(); ++k) {
      check(m.samples_s[k], fmt::format("{}.samples_s[{}]", at, k));
    }
    if (m.disposition == Disposition::passed && m.samples_s.empty()) {
      refuse(at + ".samples_s", "a passed measurement without samples");
    }
    if (m.stats && !m.samples_s.empty() &&
        m.stats->samples != static_cast<std::int64_t>(m.samples_s.size())) {
      refuse(at + ".statistics.samples", fmt::format("{} samples, where samples_s holds {}",
                                                     m.stats->samples, m.samples_s.size()));
    }
    if (m.stats) {
      check(m.stats->median, at + ".statistics.median_s");
      check(m.stats->min, at + ".statistics.min_s");
      check(m.stats->max, at + ".statistics.max_s");
      check(m.stats->mean, at + ".statistics.mean_s");
      check_derived_figures(m, at, refuse);
    }
    if (std::ranges::find(kTimings, m.timing) == kTimings.end()) {
      refuse(at + ".timing",
             fmt::format("'{}' is not a timing ({})", m.timing, fmt::join(kTimings, ", ")));
    }
    if (std::ranges::find(kStoppingRules, m.stopping_rule) == kStoppingRules.end()) {
      refuse(at + ".stopping_rule",
             fmt::format("'{}' is not a stopping rule ({}, or empty)", m.stopping_rule,
                         fmt::join(std::span(kStoppingRules).subspan(1), ", ")));
    }
    if (!(m.flops >= 0 && std::isfinite(m.flops)))
      refuse(at + ".flops", fmt::format("{} is not a count of operations", m.flops));
    if (!(m.bytes >= 0 && std::isfinite(m.bytes)))
      refuse(at + ".bytes", fmt::format("{} is not a count of bytes", m.bytes));
    rate(m.peak.gflops, at + ".peak.gflops");
    for (std::size_t g = 0; g < m.telemetry_during.size(); ++g) {
      const GpuTelemetrySpread& s = m.telemetry_during[g];
      check_count_at(s.throttled_readings, s.readings,
                     fmt::format("{}.telemetry_during[{}].throttled_readings", at, g));
      check_count_at(s.clock_events_unread, s.readings,
                     fmt::format("{}.telemetry_during[{}].clock_events_unread", at, g));
    }
  }
  // A burn's merged points: the counts a verdict sums cannot be negative or exceed the readings.
  if (!doc.burn) return;
  for (std::size_t i = 0; i < doc.burn->devices.size(); ++i) {
    const BurnDevice& d = doc.burn->devices[i];
    const std::string at = fmt::format("burn.devices[{}]", i);
    for (std::size_t k = 0; k < d.throughput.size(); ++k) {
      const BurnPoint& p = d.throughput[k];
      const std::string point = fmt::format("{}.throughput[{}]", at, k);
      if (p.windows < 1)
        refuse(point + ".windows", fmt::format("{} is not a count of windows", p.windows));
      if (!(p.run_s >= 0)) refuse(point + ".run_s", fmt::format("{} is not a run time", p.run_s));
    }
    for (std::size_t k = 0; k < d.telemetry.size(); ++k) {
      const BurnTelemetry& t = d.telemetry[k];
      const std::string point = fmt::format("{}.telemetry[{}]", at, k);
      if (t.readings < 1) {
        refuse(point + ".readings", fmt::format("{} is not a count of readings", t.readings));
      }
      if (t.throttled_readings) {
        check_count_at(*t.throttled_readings, t.readings, point + ".throttled_readings");
      }
    }
    for (std::size_t k = 0; k < d.cpu_load.size(); ++k) {
      if (d.cpu_load[k].readings < 1) {
        refuse(fmt::format("{}.cpu_load[{}].readings", at, k),
               fmt::format("{} is not a count of readings", d.cpu_load[k].readings));
      }
    }
  }
}

// Nesting deeper than any results.json has: the JSON library's parser and printer recurse, so
// a crafted file ("[[[[...") must be refused before either sees it. Strings are skipped.
constexpr int kMaxJsonDepth = 64;

void check_depth(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        throw InputError(fmt::format("not valid results: nested deeper than {} levels (byte {})",
                                     kMaxJsonDepth, i));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

}  // namespace

json to_json(const ResultsDocument& doc) { return write_record(doc); }

namespace {

// A fleet record (fleet.json) by its content, whatever the file's name.
bool is_fleet_record(const json& j) {
  return j.is_object() && j.contains("fleet_schema_version") && !j.contains("schema_version");
}

}  // namespace

ResultsDocument results_from_json(const json& j) {
  const Node root{j, "", json::json_pointer(), nullptr};  // the document keeps its unknown fields
  // flopbench's other JSON files are named as what they are, not as a results.json without its
  // version.
  if (j.is_object() && !j.contains("schema_version")) {
    if (is_fleet_record(j)) {
      throw InputError(
          "a fleet record (fleet.json, from flopbench merge), not one run's results.json: give a "
          "node's results.json here");
    }
    if (j.contains("benchmarks") && j.contains("context")) {
      throw InputError(
          "Google Benchmark's JSON (a run's google-benchmark.json), not its results.json: give "
          "the results.json beside it");
    }
  }
  // The version first: a newer file may have a different shape, and that is the error to report.
  const Node version = member(root, "schema_version");
  const int v = get_integer<int>(version);
  if (v > kSchemaVersion) {
    fail(version.path, fmt::format("version {} is newer than this flopbench reads (version {}); "
                                   "use a newer flopbench",
                                   v, kSchemaVersion));
  }
  if (v < 1) fail(version.path, fmt::format("invalid version {}", v));
  ResultsDocument doc;
  read_record(root, doc);
  check_ranges(doc);
  return doc;
}

namespace {

// JSON text: InputError names `name`, and where the text is not JSON. The nesting is bounded
// before the parser, which recurses, sees it.
json parse_json(std::string_view text, const std::string& name) {
  try {
    check_depth(text);
    return json::parse(text);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", name, e.what()));
  } catch (const json::exception& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line L, column C: ..."; a
    // number too large for a double (1e999) is an out_of_range error.
    std::string_view what = e.what();
    if (const auto pos = what.find("] "); pos != std::string_view::npos)
      what.remove_prefix(pos + 2);
    const auto* parse = dynamic_cast<const json::parse_error*>(&e);
    throw InputError(parse
                         ? fmt::format("{}: not valid JSON: {} (byte {})", name, what, parse->byte)
                         : fmt::format("{}: not valid JSON: {}", name, what));
  }
}

// Reads with `read`; every InputError message starts with `name`.
template <class Read>
auto with_file_name(const std::string& name, Read read) {
  try {
    return read();
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", name, e.what()));
  }
}

// What to give instead of a directory with no results.json: one of the runs of a 'run --repeat'
// when it holds them (run-1 ... run-N), else a run's results.
std::string results_directory_hint(const std::filesystem::path& dir) {
  std::error_code ec;
  int runs = 0;
  while (
      std::filesystem::is_regular_file(dir / fmt::format("run-{}", runs + 1) / "results.json", ec))
    ++runs;
  if (runs == 0) return "it holds no results.json: give a run's results directory or file";
  const std::string each = (dir / "run-*").string();
  return fmt::format(
      "it holds no results.json but the {} runs of a 'run --repeat' ({}): give one of them, or "
      "compare them all with another set ('compare {} --against OTHER/run-*')",
      runs, each, each);
}

}  // namespace

ResultsDocument read_results_file(const std::filesystem::path& path) {
  return parse_results(read_input_file(path, results_directory_hint(path)), path.string());
}

std::filesystem::path results_file_in(const std::filesystem::path& path) {
  std::error_code ec;
  const std::filesystem::path file = path / "results.json";
  return std::filesystem::is_directory(path, ec) && std::filesystem::is_regular_file(file, ec)
             ? file
             : path;
}

ResultsDocument parse_results(std::string_view text, const std::string& name) {
  const json j = parse_json(text, name);
  return with_file_name(name, [&] { return results_from_json(j); });
}

json to_json(const FleetRecord& fleet) { return write_record(fleet); }

FleetRecord fleet_from_json(const json& j) {
  const Node root{j, "", json::json_pointer(), nullptr};
  const Node version = member(root, "fleet_schema_version");
  const int v = get_integer<int>(version);
  // Version 1 had no reruns (nor their two fields); it reads as a record without them.
  if (v < 1 || v > kFleetSchemaVersion) {
    fail(version.path, fmt::format("version {} is not one this flopbench reads (1 to {})", v,
                                   kFleetSchemaVersion));
  }
  FleetRecord fleet;
  read_record(root, fleet);
  // What merge never writes, and `check` would judge by: an edited record.
  if (!(fleet.threshold_percent >= 0 && fleet.threshold_percent <= 100)) {
    fail("threshold_percent",
         fmt::format("{} is not a threshold merge writes (0 to 100)", fleet.threshold_percent));
  }
  if (fleet.expected_nodes && *fleet.expected_nodes < 1) {
    fail("expected_nodes",
         fmt::format("{} is not a number of hosts (1 or more)", *fleet.expected_nodes));
  }
  if (fleet.nodes.empty()) fail("nodes", "no node: a fleet record holds every input merged");
  for (std::size_t i = 0; i < fleet.nodes.size(); ++i) {
    if (fleet.nodes[i].results)
      check_ranges(*fleet.nodes[i].results, fmt::format("nodes[{}].results.", i));
  }
  check_superseded(fleet);
  return fleet;
}

FleetRecord read_fleet_file(const std::filesystem::path& path) {
  const json j = parse_json(read_input_file(path, "give the fleet.json file in it"), path.string());
  return with_file_name(path.string(), [&] { return fleet_from_json(j); });
}

bool is_fleet_record_file(const std::filesystem::path& path) {
  try {
    return is_fleet_record(parse_json(read_input_file(path, ""), path.string()));
  } catch (const InputError&) {
    return false;
  } catch (const IoError&) {
    return false;
  }
}

}  // namespace flopbench
