#pragma once

// Acceptance specs: a CSV file, one criterion per row, read strictly so that every mistake is
// reported with its line and column. The format is documented in docs/acceptance.md.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/results.hpp"
#include "reports/acceptance/metric.hpp"

namespace flopbench {

// `--spec auto` has no shipped spec for a machine's GPU: in a fleet, that node fails alone,
// where any other error of the spec (no spec directory, a spec that does not parse) stops the
// check.
class NoSpecForMachine : public InputError {
 public:
  using InputError::InputError;
};

enum class Comparator { ge, gt, le, lt, eq };
// What a bound is relative to: itself, the measurement's theoretical peak, the row's reference
// value (a golden run's measurement, a datasheet figure), or the median of the same metric on
// the other GPUs of the machine.
enum class BoundKind { absolute, peak, reference, siblings };

struct Criterion {
  Metric metric;
  Comparator comparator = Comparator::ge;
  BoundKind bound_kind = BoundKind::absolute;
  double bound_value = 0;           // absolute: in the metric's unit; otherwise the fraction
  std::string bound_text;           // as the spec wrote it
  std::optional<double> reference;  // in the metric's unit
  Severity severity = Severity::fail;
  std::string applies_to;  // "any", or a GPU name pattern ('*' and '?' wildcards)
  std::string description;
  int line = 0;  // line in the spec; 0 for a built-in criterion
};

struct Spec {
  std::string file;
  std::vector<Criterion> criteria;
  // The profiles whose sizes its bounds are set for, from a comment line "# profiles: standard,
  // full"; empty: any. A miss measured with another profile says so.
  std::vector<std::string> profiles;
  // The CPU threads of the run its bounds are for, from a comment line "# threads: 16"; absent:
  // any. A CPU miss measured with another thread count says so.
  std::optional<int> threads;
};

// A criterion made in code (a built-in one, or --spec auto's), as a spec row would give it.
Criterion criterion_of(std::string_view metric, Comparator cmp, BoundKind kind, double bound,
                       std::string bound_text, Severity severity, std::string applies_to,
                       std::string description);

// The header row of a spec, every column in the documented order.
inline constexpr std::string_view kSpecHeader =
    "metric,comparator,bound,reference,severity,applies_to,description";

// ">=", ">", "<=", "<", "==": as a spec writes it.
std::string_view to_string(Comparator c);

// Parses spec text; every InputError reads "<file_name>:<line>:<column>: <what was expected>".
Spec parse_spec(std::string_view text, const std::string& file_name);
Spec read_spec(const std::filesystem::path& path);

// Case-insensitive match of an applies_to pattern ("any" matches all) against the whole GPU name
// or its PCI vendor:device id ("10de:2330").
bool applies_to_gpu(std::string_view pattern, const GpuDevice& gpu);
// The GPU name patterns a spec is keyed by (every applies_to but "any"), each once.
std::vector<std::string> spec_gpu_patterns(const Spec& spec);

}  // namespace flopbench
