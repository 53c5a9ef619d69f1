#include "reports/results_json.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string_view>
#include <utility>

namespace flopbench {
namespace {

using nlohmann::json;

// ---- writing ---------------------------------------------------------------------------------

// JSON has no NaN or infinity (nlohmann would write null and lose the value).
json number(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return x;
}

json optional_number(const std::optional<double>& x) { return x ? number(*x) : json(nullptr); }

json numbers(const std::vector<double>& xs) {
  json a = json::array();
  for (double x : xs) a.push_back(number(x));
  return a;
}

// ---- reading ---------------------------------------------------------------------------------

// A JSON value and where it sits in the document, so that errors can name the path.
struct Node {
  const json& value;
  std::string path;  // "" for the value the reading started from
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
  return {*it, std::move(path)};
}

Node element(const Node& array, std::size_t i) {
  return {array.value[i], fmt::format("{}[{}]", array.path, i)};
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

std::optional<double> get_optional_number(const Node& n) {
  if (n.value.is_null()) return std::nullopt;
  if (!n.value.is_number() && !n.value.is_string()) expected(n, "a number or null");
  return get_number(n);
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

bool get_bool(const Node& n) {
  if (!n.value.is_boolean()) expected(n, "true or false");
  return n.value.get<bool>();
}

std::string get_string(const Node& n) {
  if (!n.value.is_string()) expected(n, "a string");
  return n.value.get<std::string>();
}

std::vector<std::string> get_strings(const Node& n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < array_of(n).size(); ++i) out.push_back(get_string(element(n, i)));
  return out;
}

std::vector<double> get_numbers(const Node& n) {
  std::vector<double> out;
  for (std::size_t i = 0; i < array_of(n).size(); ++i) out.push_back(get_number(element(n, i)));
  return out;
}

std::map<std::string, std::string> get_string_map(const Node& n) {
  if (!n.value.is_object()) expected(n, "an object");
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : n.value.items()) out[key] = get_string(member(n, key));
  return out;
}

// An enum name: the parser's message lists the valid names.
template <class Parse>
auto get_enum(const Node& n, Parse parse) {
  const std::string s = get_string(n);
  try {
    return parse(s);
  } catch (const InputError& e) {
    fail(n.path, e.what());
  }
}

void read(const Node& n, CacheLevel& v);
void read(const Node& n, Peak& v);
void read(const Node& n, Statistics& v);
void read(const Node& n, Verification& v);
void read(const Node& n, GpuDevice& v);
void read(const Node& n, GpuTelemetry& v);

template <class T>
std::vector<T> get_records(const Node& n) {
  std::vector<T> out(array_of(n).size());
  for (std::size_t i = 0; i < out.size(); ++i) read(element(n, i), out[i]);
  return out;
}

template <class T>
std::optional<T> get_optional_record(const Node& n) {
  if (n.value.is_null()) return std::nullopt;
  if (!n.value.is_object()) expected(n, "an object or null");
  T v;
  read(n, v);
  return v;
}

void read(const Node& n, CacheLevel& v) {
  v.level = get_integer<int>(member(n, "level"));
  v.type = get_string(member(n, "type"));
  v.size_bytes = get_integer<std::int64_t>(member(n, "size_bytes"));
  v.shared_by_cpus = get_integer<int>(member(n, "shared_by_cpus"));
  v.instances = get_integer<int>(member(n, "instances"));
}

void read(const Node& n, Peak& v) {
  v.gflops = get_optional_number(member(n, "gflops"));
  v.basis = get_string(member(n, "basis"));
}

void read(const Node& n, CpuInventory& v) {
  v.model = get_string(member(n, "model"));
  v.vendor = get_string(member(n, "vendor"));
  v.microarchitecture = get_string(member(n, "microarchitecture"));
  v.family = get_integer<int>(member(n, "family"));
  v.model_number = get_integer<int>(member(n, "model_number"));
  v.stepping = get_integer<int>(member(n, "stepping"));
  v.sockets = get_integer<int>(member(n, "sockets"));
  v.cores = get_integer<int>(member(n, "cores"));
  v.logical_cpus = get_integer<int>(member(n, "logical_cpus"));
  v.simd = get_strings(member(n, "simd"));
  v.caches = get_records<CacheLevel>(member(n, "caches"));
  v.memory_bytes = get_integer<std::int64_t>(member(n, "memory_bytes"));
  v.clock_ghz = get_optional_number(member(n, "clock_ghz"));
  v.clock_source = get_string(member(n, "clock_source"));
  read(member(n, "peak_fp32"), v.peak_fp32);
  read(member(n, "peak_fp64"), v.peak_fp64);
}

void read(const Node& n, GpuDevice& v) {
  v.index = get_integer<int>(member(n, "index"));
  v.name = get_string(member(n, "name"));
  v.cc_major = get_integer<int>(member(n, "cc_major"));
  v.cc_minor = get_integer<int>(member(n, "cc_minor"));
  v.sm_count = get_integer<int>(member(n, "sm_count"));
  v.sm_clock_mhz = get_number(member(n, "sm_clock_mhz"));
  v.memory_clock_mhz = get_number(member(n, "memory_clock_mhz"));
  v.memory_bytes = get_integer<std::int64_t>(member(n, "memory_bytes"));
  v.memory_bus_width_bits = get_integer<int>(member(n, "memory_bus_width_bits"));
  v.l2_bytes = get_integer<std::int64_t>(member(n, "l2_bytes"));
  v.ecc_enabled = get_bool(member(n, "ecc_enabled"));
  v.pci_bus_id = get_string(member(n, "pci_bus_id"));
  v.pci_device_id = get_string(member(n, "pci_device_id"));
  v.uuid = get_string(member(n, "uuid"));
  read(member(n, "peak_fp32"), v.peak_fp32);
  read(member(n, "peak_fp64"), v.peak_fp64);
}

void read(const Node& n, GpuInventory& v) {
  v.cuda_built = get_bool(member(n, "cuda_built"));
  v.runtime_version = get_string(member(n, "runtime_version"));
  v.driver_version = get_string(member(n, "driver_version"));
  v.devices = get_records<GpuDevice>(member(n, "devices"));
  v.no_device_reason = get_string(member(n, "no_device_reason"));
}

void read(const Node& n, Environment& v) {
  v.flopbench_version = get_string(member(n, "flopbench_version"));
  v.git_commit = get_string(member(n, "git_commit"));
  v.host = get_string(member(n, "host"));
  v.os = get_string(member(n, "os"));
  v.kernel = get_string(member(n, "kernel"));
  v.compiler = get_string(member(n, "compiler"));
  v.compiler_flags = get_string(member(n, "compiler_flags"));
  v.build_type = get_string(member(n, "build_type"));
  v.libraries = get_string_map(member(n, "libraries"));
  v.openmp_env = get_string_map(member(n, "openmp_env"));
  read(member(n, "cpu"), v.cpu);
  read(member(n, "gpu"), v.gpu);
}

void read(const Node& n, Statistics& v) {
  v.samples = get_integer<std::int64_t>(member(n, "samples"));
  v.median = get_number(member(n, "median_s"));
  v.min = get_number(member(n, "min_s"));
  v.max = get_number(member(n, "max_s"));
  v.mean = get_number(member(n, "mean_s"));
  v.stddev = get_number(member(n, "stddev_s"));
  v.cv = get_number(member(n, "cv"));
}

void read(const Node& n, Verification& v) {
  v.method = get_string(member(n, "method"));
  v.max_error = get_number(member(n, "max_error"));
  v.tolerance = get_number(member(n, "tolerance"));
  v.error_ratio = get_number(member(n, "error_ratio"));
  v.passed = get_bool(member(n, "passed"));
}

void read(const Node& n, GpuTelemetry& v) {
  v.device = get_string(member(n, "device"));
  v.source = get_string(member(n, "source"));
  v.sm_clock_mhz = get_optional_number(member(n, "sm_clock_mhz"));
  v.memory_clock_mhz = get_optional_number(member(n, "memory_clock_mhz"));
  v.temperature_c = get_optional_number(member(n, "temperature_c"));
  v.power_w = get_optional_number(member(n, "power_w"));
  v.clock_event_reasons = get_strings(member(n, "clock_event_reasons"));
  v.throttled = get_bool(member(n, "throttled"));
}

void read(const Node& n, Problem& v) {
  v.m = get_integer<std::int64_t>(member(n, "m"));
  v.n = get_integer<std::int64_t>(member(n, "n"));
  v.k = get_integer<std::int64_t>(member(n, "k"));
}

void read(const Node& n, MeasurementRecord& v) {
  v.workload = get_enum(member(n, "workload"), parse_workload);
  v.implementation = get_string(member(n, "implementation"));
  v.device = get_enum(member(n, "device"), DeviceRef::parse);
  v.precision = get_enum(member(n, "precision"), parse_precision);
  read(member(n, "problem"), v.problem);
  v.disposition = get_enum(member(n, "disposition"), parse_disposition);
  v.reason = get_string(member(n, "reason"));
  v.notes = get_strings(member(n, "notes"));
  v.threads = get_integer<int>(member(n, "threads"));
  v.flops = get_number(member(n, "flops"));
  v.bytes = get_number(member(n, "bytes"));
  v.timing = get_string(member(n, "timing"));
  v.samples_s = get_numbers(member(n, "samples_s"));
  v.host_wall_s = get_numbers(member(n, "host_wall_s"));
  v.iterations_per_sample = get_integer<std::int64_t>(member(n, "iterations_per_sample"));
  v.stopping_rule = get_string(member(n, "stopping_rule"));
  v.stats = get_optional_record<Statistics>(member(n, "statistics"));
  v.wall_s = get_number(member(n, "wall_s"));
  v.gflops = get_optional_number(member(n, "gflops"));
  v.gbytes_per_s = get_optional_number(member(n, "gbytes_per_s"));
  read(member(n, "peak"), v.peak);
  v.percent_of_peak = get_optional_number(member(n, "percent_of_peak"));
  v.verification = get_optional_record<Verification>(member(n, "verification"));
  // Added after version 1 shipped: files from before GPU telemetry have no such keys.
  if (n.value.contains("telemetry_before")) {
    v.telemetry_before = get_records<GpuTelemetry>(member(n, "telemetry_before"));
  }
  if (n.value.contains("telemetry_after")) {
    v.telemetry_after = get_records<GpuTelemetry>(member(n, "telemetry_after"));
  }
}

void read(const Node& n, RunInfo& v) {
  v.command_line = get_strings(member(n, "command_line"));
  v.profile = get_string(member(n, "profile"));
  v.seed = get_integer<std::uint64_t>(member(n, "seed"));
  v.threads = get_integer<int>(member(n, "threads"));
  v.started_utc = get_string(member(n, "started_utc"));
  v.finished_utc = get_string(member(n, "finished_utc"));
  v.interrupted = get_bool(member(n, "interrupted"));
}

void read(const Node& n, CriterionVerdict& v) {
  v.metric = get_string(member(n, "metric"));
  v.comparator = get_string(member(n, "comparator"));
  v.bound_text = get_string(member(n, "bound_text"));
  v.measured = get_optional_number(member(n, "measured"));
  v.bound = get_optional_number(member(n, "bound"));
  v.unit = get_string(member(n, "unit"));
  v.margin_percent = get_optional_number(member(n, "margin_percent"));
  v.severity = get_string(member(n, "severity"));
  v.verdict = get_string(member(n, "verdict"));
  v.reason = get_string(member(n, "reason"));
  v.description = get_string(member(n, "description"));
}

void read(const Node& n, AcceptanceResult& v) {
  v.spec = get_string(member(n, "spec"));
  v.checked_utc = get_string(member(n, "checked_utc"));
  v.criteria = get_records<CriterionVerdict>(member(n, "criteria"));
  v.passed = get_bool(member(n, "passed"));
}

void read(const Node& n, ResultsDocument& v) {
  // The version first: a newer file may have a different shape, and that is the error to report.
  const Node version = member(n, "schema_version");
  v.schema_version = get_integer<int>(version);
  if (v.schema_version > kSchemaVersion) {
    fail(version.path, fmt::format("version {} is newer than this flopbench reads (version {}); "
                                   "use a newer flopbench",
                                   v.schema_version, kSchemaVersion));
  }
  if (v.schema_version < 1) fail(version.path, fmt::format("invalid version {}", v.schema_version));
  read(member(n, "environment"), v.environment);
  read(member(n, "run"), v.run);
  v.measurements = get_records<MeasurementRecord>(member(n, "measurements"));
  // Added after version 1 shipped: files from before `flopbench check` have no such key.
  if (n.value.contains("acceptance")) {
    v.acceptance = get_optional_record<AcceptanceResult>(member(n, "acceptance"));
  }
}

template <class T>
void read_root(const json& j, T& v) {
  read(Node{j, ""}, v);
}

}  // namespace

void to_json(json& j, const CacheLevel& v) {
  j = {{"level", v.level},
       {"type", v.type},
       {"size_bytes", v.size_bytes},
       {"shared_by_cpus", v.shared_by_cpus},
       {"instances", v.instances}};
}

void to_json(json& j, const Peak& v) {
  j = {{"gflops", optional_number(v.gflops)}, {"basis", v.basis}};
}

void to_json(json& j, const CpuInventory& v) {
  j = {{"model", v.model},
       {"vendor", v.vendor},
       {"microarchitecture", v.microarchitecture},
       {"family", v.family},
       {"model_number", v.model_number},
       {"stepping", v.stepping},
       {"sockets", v.sockets},
       {"cores", v.cores},
       {"logical_cpus", v.logical_cpus},
       {"simd", v.simd},
       {"caches", v.caches},
       {"memory_bytes", v.memory_bytes},
       {"clock_ghz", optional_number(v.clock_ghz)},
       {"clock_source", v.clock_source},
       {"peak_fp32", v.peak_fp32},
       {"peak_fp64", v.peak_fp64}};
}

void to_json(json& j, const GpuDevice& v) {
  j = {{"index", v.index},
       {"name", v.name},
       {"cc_major", v.cc_major},
       {"cc_minor", v.cc_minor},
       {"sm_count", v.sm_count},
       {"sm_clock_mhz", number(v.sm_clock_mhz)},
       {"memory_clock_mhz", number(v.memory_clock_mhz)},
       {"memory_bytes", v.memory_bytes},
       {"memory_bus_width_bits", v.memory_bus_width_bits},
       {"l2_bytes", v.l2_bytes},
       {"ecc_enabled", v.ecc_enabled},
       {"pci_bus_id", v.pci_bus_id},
       {"pci_device_id", v.pci_device_id},
       {"uuid", v.uuid},
       {"peak_fp32", v.peak_fp32},
       {"peak_fp64", v.peak_fp64}};
}

void to_json(json& j, const GpuInventory& v) {
  j = {{"cuda_built", v.cuda_built},
       {"runtime_version", v.runtime_version},
       {"driver_version", v.driver_version},
       {"devices", v.devices},
       {"no_device_reason", v.no_device_reason}};
}

void to_json(json& j, const Environment& v) {
  j = {{"flopbench_version", v.flopbench_version},
       {"git_commit", v.git_commit},
       {"host", v.host},
       {"os", v.os},
       {"kernel", v.kernel},
       {"compiler", v.compiler},
       {"compiler_flags", v.compiler_flags},
       {"build_type", v.build_type},
       {"libraries", v.libraries},
       {"openmp_env", v.openmp_env},
       {"cpu", v.cpu},
       {"gpu", v.gpu}};
}

void to_json(json& j, const Statistics& v) {
  j = {{"samples", v.samples},   {"median_s", number(v.median)}, {"min_s", number(v.min)},
       {"max_s", number(v.max)}, {"mean_s", number(v.mean)},     {"stddev_s", number(v.stddev)},
       {"cv", number(v.cv)}};
}

void to_json(json& j, const Verification& v) {
  j = {{"method", v.method},
       {"max_error", number(v.max_error)},
       {"tolerance", number(v.tolerance)},
       {"error_ratio", number(v.error_ratio)},
       {"passed", v.passed}};
}

void to_json(json& j, const GpuTelemetry& v) {
  j = {{"device", v.device},
       {"source", v.source},
       {"sm_clock_mhz", optional_number(v.sm_clock_mhz)},
       {"memory_clock_mhz", optional_number(v.memory_clock_mhz)},
       {"temperature_c", optional_number(v.temperature_c)},
       {"power_w", optional_number(v.power_w)},
       {"clock_event_reasons", v.clock_event_reasons},
       {"throttled", v.throttled}};
}

void to_json(json& j, const MeasurementRecord& v) {
  j = {{"workload", to_string(v.workload)},
       {"display_name", display_name(v.workload, v.precision)},
       {"implementation", v.implementation},
       {"device", v.device.label()},
       {"precision", to_string(v.precision)},
       {"problem", {{"m", v.problem.m}, {"n", v.problem.n}, {"k", v.problem.k}}},
       {"problem_label", v.problem.label()},
       {"disposition", to_string(v.disposition)},
       {"reason", v.reason},
       {"notes", v.notes},
       {"threads", v.threads},
       {"flops", number(v.flops)},
       {"bytes", number(v.bytes)},
       {"timing", v.timing},
       {"samples_s", numbers(v.samples_s)},
       {"host_wall_s", numbers(v.host_wall_s)},
       {"iterations_per_sample", v.iterations_per_sample},
       {"stopping_rule", v.stopping_rule},
       {"statistics", v.stats ? json(*v.stats) : json(nullptr)},
       {"wall_s", number(v.wall_s)},
       {"gflops", optional_number(v.gflops)},
       {"gbytes_per_s", optional_number(v.gbytes_per_s)},
       {"peak", v.peak},
       {"percent_of_peak", optional_number(v.percent_of_peak)},
       {"verification", v.verification ? json(*v.verification) : json(nullptr)},
       {"telemetry_before", v.telemetry_before},
       {"telemetry_after", v.telemetry_after}};
}

void to_json(json& j, const RunInfo& v) {
  j = {{"command_line", v.command_line},
       {"profile", v.profile},
       {"seed", v.seed},
       {"threads", v.threads},
       {"started_utc", v.started_utc},
       {"finished_utc", v.finished_utc},
       {"interrupted", v.interrupted}};
}

void to_json(json& j, const CriterionVerdict& v) {
  j = {{"metric", v.metric},
       {"comparator", v.comparator},
       {"bound_text", v.bound_text},
       {"measured", optional_number(v.measured)},
       {"bound", optional_number(v.bound)},
       {"unit", v.unit},
       {"margin_percent", optional_number(v.margin_percent)},
       {"severity", v.severity},
       {"verdict", v.verdict},
       {"reason", v.reason},
       {"description", v.description}};
}

void to_json(json& j, const AcceptanceResult& v) {
  j = {{"spec", v.spec},
       {"checked_utc", v.checked_utc},
       {"criteria", v.criteria},
       {"passed", v.passed}};
}

void to_json(json& j, const ResultsDocument& v) {
  j = {{"schema_version", v.schema_version},
       {"environment", v.environment},
       {"run", v.run},
       {"measurements", v.measurements},
       {"acceptance", v.acceptance ? json(*v.acceptance) : json(nullptr)}};
}

void from_json(const json& j, CacheLevel& v) { read_root(j, v); }
void from_json(const json& j, Peak& v) { read_root(j, v); }
void from_json(const json& j, CpuInventory& v) { read_root(j, v); }
void from_json(const json& j, GpuDevice& v) { read_root(j, v); }
void from_json(const json& j, GpuInventory& v) { read_root(j, v); }
void from_json(const json& j, Environment& v) { read_root(j, v); }
void from_json(const json& j, Statistics& v) { read_root(j, v); }
void from_json(const json& j, Verification& v) { read_root(j, v); }
void from_json(const json& j, GpuTelemetry& v) { read_root(j, v); }
void from_json(const json& j, MeasurementRecord& v) { read_root(j, v); }
void from_json(const json& j, RunInfo& v) { read_root(j, v); }
void from_json(const json& j, CriterionVerdict& v) { read_root(j, v); }
void from_json(const json& j, AcceptanceResult& v) { read_root(j, v); }
void from_json(const json& j, ResultsDocument& v) { read_root(j, v); }

json to_json(const ResultsDocument& doc) { return json(doc); }

ResultsDocument results_from_json(const json& j) {
  ResultsDocument doc;
  read_root(j, doc);
  return doc;
}

ResultsDocument read_results_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  if (std::filesystem::is_directory(path)) {
    throw InputError(fmt::format("{}: is a directory; give the results.json file in it", name));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open: {}", name, std::strerror(errno)));
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw InputError(fmt::format("{}: cannot read: {}", name, std::strerror(errno)));

  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line L, column C: ...".
    std::string_view what = e.what();
    if (const auto pos = what.find("] "); pos != std::string_view::npos)
      what.remove_prefix(pos + 2);
    throw InputError(fmt::format("{}: not valid JSON: {} (byte {})", name, what, e.byte));
  }
  try {
    return results_from_json(j);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", name, e.what()));
  }
}

}  // namespace flopbench
