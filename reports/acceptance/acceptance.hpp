#pragma once

// Acceptance testing: specs (a CSV file, one criterion per row), judging a results document
// against one, the verdict in every output format, and specs generated from a golden run.
// The spec format and every metric name are documented in docs/acceptance.md.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/results.hpp"

namespace flopbench {

enum class Comparator { ge, gt, le, lt, eq };
// What a bound is relative to: itself, the measurement's theoretical peak, the row's reference
// value (a golden run's measurement, a datasheet figure), or the median of the same metric on
// the other GPUs of the machine.
enum class BoundKind { absolute, peak, reference, siblings };
enum class Quantity { gflops, tflops, gbytes_per_s, percent_of_peak, count };

// A parsed metric name: "<device>.<kernel>.<implementation>.<quantity>"
// ("gpu.sgemm.cublas.tflops", "cpu.stream_fp64.omp.gbytes_per_s") or a machine fact
// ("gpu.count", "cpu.cores", "run.unverified", "run.throttled").
struct Metric {
  std::string name;
  // The CPU, one named GPU, or a GPU with no index: each GPU on its own. Unused by machine facts.
  DeviceRef device;
  std::optional<WorkloadId> workload;  // empty for machine facts
  Precision precision = Precision::fp32;
  std::string implementation;
  Quantity quantity = Quantity::count;

  bool measured_rate() const { return workload.has_value(); }
};

struct Criterion {
  Metric metric;
  Comparator comparator = Comparator::ge;
  BoundKind bound_kind = BoundKind::absolute;
  double bound_value = 0;           // absolute: in the metric's unit; otherwise the fraction
  std::string bound_text;           // as the spec wrote it
  std::optional<double> reference;  // in the metric's unit
  std::string severity;             // "fail" or "warn"
  std::string applies_to;           // "any", or a GPU name pattern ('*' and '?' wildcards)
  std::string description;
  int line = 0;  // line in the spec; 0 for a built-in criterion
};

struct Spec {
  std::string file;
  std::vector<Criterion> criteria;
};

// Throws InputError naming what is wrong with the name (no position: callers add it).
Metric parse_metric(std::string_view name);
// The unit measured values of a quantity are in: "TFLOP/s", "GB/s", "%", "".
std::string_view unit_of(Quantity q);

// Parses spec text; every InputError reads "<file_name>:<line>:<column>: <what was expected>".
Spec parse_spec(std::string_view text, const std::string& file_name);
Spec read_spec(const std::filesystem::path& path);

// Case-insensitive match of an applies_to pattern ("any" matches all) against the whole GPU name
// or its PCI vendor:device id ("10de:2330").
bool applies_to_gpu(std::string_view pattern, const GpuDevice& gpu);
// The GPU name patterns a spec is keyed by (every applies_to but "any"), each once.
std::vector<std::string> spec_gpu_patterns(const Spec& spec);

// Judges `doc` against `spec`, adding the built-in criteria (docs/acceptance.md): every
// measurement verified, no throttling, no GPU far behind its siblings.
AcceptanceResult judge(const Spec& spec, const ResultsDocument& doc, const std::string& spec_label,
                       const std::string& checked_utc);

// The verdict table for the console, for report.md (a "## Acceptance" section) and as JUnit XML.
std::string acceptance_console(const AcceptanceResult& result);
std::string acceptance_markdown(const AcceptanceResult& result);
std::string acceptance_junit(const AcceptanceResult& result, const std::string& host);

// A spec that holds a machine to `ratio` x what `doc` measured (the golden run), for every
// passed measurement's headline number, plus the GPU count. `source` names the golden file.
std::string generate_spec(const ResultsDocument& doc, double ratio, const std::string& source);

}  // namespace flopbench
