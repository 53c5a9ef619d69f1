#include "reports/acceptance/acceptance.hpp"

#include <fmt/format.h>

// csv.h copies file names with strncpy into a fixed buffer, on purpose.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#include <libfccp/csv.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <utility>

#include "harness/core/registry.hpp"
#include "harness/core/statistics.hpp"
#include "reports/format.hpp"

namespace flopbench {
namespace {

// ---- metric names -----------------------------------------------------------------------------

constexpr std::array<std::string_view, 4> kMachineFacts = {"gpu.count", "cpu.cores",
                                                           "run.unverified", "run.throttled"};

constexpr std::string_view kMetricForm =
    "<device>.<kernel>.<implementation>.<quantity>, or one of gpu.count, cpu.cores, "
    "run.unverified, run.throttled; see docs/acceptance.md";

// Every kernel name a metric may use, for error messages.
std::vector<std::string> metric_names() {
  std::vector<std::string> names;
  for (const auto& w : catalog()) {
    for (const Precision p : kPrecisions) names.push_back(metric_name(w.id, p));
  }
  return names;
}

struct QuantityInfo {
  std::string_view name;
  Quantity quantity;
  std::string_view unit;
};
constexpr std::array kQuantities = {
    QuantityInfo{"gflops", Quantity::gflops, "GFLOP/s"},
    QuantityInfo{"tflops", Quantity::tflops, "TFLOP/s"},
    QuantityInfo{"gbytes_per_s", Quantity::gbytes_per_s, "GB/s"},
    QuantityInfo{"percent_of_peak", Quantity::percent_of_peak, "%"},
};

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// Implementation names are lower-case words with digits and dashes ("omp", "h2d-pinned").
bool valid_implementation_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(uint8_t(c)) || std::isdigit(uint8_t(c)) || c == '-' || c == '_';
  });
}

// ---- units ----------------------------------------------------------------------------------

// A value with a unit, converted to the unit of `q`. Units are case-sensitive so that a typo
// cannot turn GB/s into Gb/s.
std::optional<double> scale_to(Quantity q, std::string_view unit) {
  struct Unit {
    std::string_view name;
    double gflops, gbytes, percent;  // the factor to GFLOP/s, GB/s or %; 0: another dimension
  };
  static constexpr std::array kUnits = {
      Unit{"GFLOP/s", 1, 0, 0}, Unit{"TFLOP/s", 1e3, 0, 0}, Unit{"PFLOP/s", 1e6, 0, 0},
      Unit{"GB/s", 0, 1, 0},    Unit{"TB/s", 0, 1e3, 0},    Unit{"%", 0, 0, 1},
  };
  for (const auto& u : kUnits) {
    if (u.name != unit) continue;
    switch (q) {
      case Quantity::gflops:
        return u.gflops ? std::optional(u.gflops) : std::nullopt;
      case Quantity::tflops:
        return u.gflops ? std::optional(u.gflops / 1e3) : std::nullopt;
      case Quantity::gbytes_per_s:
        return u.gbytes ? std::optional(u.gbytes) : std::nullopt;
      case Quantity::percent_of_peak:
        return u.percent ? std::optional(u.percent) : std::nullopt;
      case Quantity::count:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string_view expected_units(Quantity q) {
  switch (q) {
    case Quantity::gflops:
    case Quantity::tflops:
      return "GFLOP/s, TFLOP/s or PFLOP/s";
    case Quantity::gbytes_per_s:
      return "GB/s or TB/s";
    case Quantity::percent_of_peak:
      return "%";
    case Quantity::count:
      return "no unit";
  }
  return "";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A finite number at the start of `s`; `rest` gets what follows it.
std::optional<double> leading_number(std::string_view s, std::string_view& rest) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || !std::isfinite(v)) return std::nullopt;
  rest = s.substr(static_cast<std::size_t>(end - s.data()));
  return v;
}

// ---- reading the CSV --------------------------------------------------------------------------

// Columns counted in characters (code points), as editors count them.
int column_of(std::string_view line, std::size_t byte) {
  return 1 + static_cast<int>(std::count_if(line.begin(), line.begin() + byte,
                                            [](char c) { return (uint8_t(c) & 0xC0) != 0x80; }));
}

// The length of the valid UTF-8 sequence at s[i], or 0 when it is not one (overlong forms and
// surrogates included).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto c = uint8_t(s[i]);
  const std::size_t n = c < 0x80         ? 1
                        : (c >> 5) == 6  ? 2
                        : (c >> 4) == 14 ? 3
                        : (c >> 3) == 30 ? 4
                                         : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((uint8_t(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  const auto c1 = uint8_t(n > 1 ? s[i + 1] : 0);
  if ((n == 2 && c < 0xC2) || (n == 3 && c == 0xE0 && c1 < 0xA0) ||
      (n == 3 && c == 0xED && c1 >= 0xA0) || (n == 4 && c == 0xF0 && c1 < 0x90) ||
      (n == 4 && (c > 0xF4 || (c == 0xF4 && c1 >= 0x90)))) {
    return 0;
  }
  return n;
}

// The byte offset of the first byte that is not valid UTF-8, or npos.
std::size_t invalid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

struct Field {
  std::string text;
  int column;
};

class SpecReader {
 public:
  explicit SpecReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(int line, int column, std::string_view what) const {
    throw InputError(fmt::format("{}:{}:{}: {}", file_, line, column, what));
  }

  // Splits one line into fields, strictly by RFC 4180: a field is either unquoted, with no
  // quote inside, or wholly quoted with inner quotes doubled. fast-cpp-csv-parser's CSVReader
  // accepts a stray quote (`ab"c`) as text and reports no column positions, so its LineReader
  // supplies the lines and this splits them. Blanks around a field are not part of it.
  std::vector<Field> fields(std::string_view line, int line_no) const {
    std::vector<Field> out;
    std::size_t i = 0;
    const auto blank = [&] { return i < line.size() && (line[i] == ' ' || line[i] == '\t'); };
    for (;;) {
      while (blank()) ++i;
      Field f{"", column_of(line, i)};
      if (i < line.size() && line[i] == '"') {
        const std::size_t open = i++;
        for (;; ++i) {
          if (i >= line.size()) {
            fail(line_no, column_of(line, open),
                 "unclosed quote: expected a '\"' that ends this quoted field on the same line");
          }
          if (line[i] != '"') {
            f.text += line[i];
          } else if (i + 1 < line.size() && line[i + 1] == '"') {
            f.text += '"';
            ++i;
          } else {
            ++i;
            break;
          }
        }
        while (blank()) ++i;
        if (i < line.size() && line[i] != ',') {
          fail(line_no, column_of(line, i),
               "stray text after a closing quote: expected ',' or the end of the line");
        }
      } else {
        const std::size_t start = i;
        while (i < line.size() && line[i] != ',') {
          if (line[i] == '"') {
            fail(line_no, column_of(line, i),
                 "stray quote in an unquoted field: expected the whole field in quotes, with "
                 "inner quotes doubled (\"a \"\"b\"\"\")");
          }
          ++i;
        }
        f.text = std::string(trim(line.substr(start, i - start)));
      }
      out.push_back(std::move(f));
      if (i >= line.size()) return out;
      ++i;  // the comma
    }
  }

 private:
  std::string file_;
};

constexpr std::array<std::string_view, 7> kColumns = {
    "metric", "comparator", "bound", "reference", "severity", "applies_to", "description"};
constexpr std::string_view kHeader =
    "metric,comparator,bound,reference,severity,applies_to,description";

enum Col { c_metric, c_comparator, c_bound, c_reference, c_severity, c_applies_to, c_description };

std::optional<Comparator> parse_comparator(std::string_view s) {
  if (s == ">=") return Comparator::ge;
  if (s == ">") return Comparator::gt;
  if (s == "<=") return Comparator::le;
  if (s == "<") return Comparator::lt;
  if (s == "==") return Comparator::eq;
  return std::nullopt;
}

std::string_view to_string(Comparator c) {
  switch (c) {
    case Comparator::ge:
      return ">=";
    case Comparator::gt:
      return ">";
    case Comparator::le:
      return "<=";
    case Comparator::lt:
      return "<";
    case Comparator::eq:
      return "==";
  }
  return "?";
}

// A value with its unit ("52.1 TFLOP/s", "8"), in the unit of `q`.
double value_with_unit(const SpecReader& r, const Field& f, int line, Quantity q,
                       std::string_view column) {
  std::string_view rest;
  const auto v = leading_number(f.text, rest);
  if (!v) {
    r.fail(line, f.column,
           fmt::format(
               "{} '{}': expected a number{}", column, f.text,
               q == Quantity::count ? "" : fmt::format(" and a unit ({})", expected_units(q))));
  }
  const std::string_view unit = trim(rest);
  if (q == Quantity::count) {
    if (!unit.empty())
      r.fail(line, f.column, fmt::format("{} '{}': expected a plain number", column, f.text));
    return *v;
  }
  const auto scale = scale_to(q, unit);
  if (!scale) {
    r.fail(line, f.column,
           fmt::format("{} '{}': expected a unit after the number: {}", column, f.text,
                       expected_units(q)));
  }
  return *v * *scale;
}

void parse_bound(const SpecReader& r, const Field& f, int line, Criterion& c, bool has_reference) {
  c.bound_text = f.text;
  const auto star = f.text.find('*');
  if (star == std::string::npos) {
    c.bound_kind = BoundKind::absolute;
    c.bound_value = value_with_unit(r, f, line, c.metric.quantity, "bound");
    return;
  }
  const std::string_view text = f.text;
  std::string_view rest;
  const auto fraction = leading_number(trim(text.substr(0, star)), rest);
  if (!fraction || !trim(rest).empty() || *fraction <= 0) {
    r.fail(line, f.column,
           fmt::format("bound '{}': expected a positive number before '*'", f.text));
  }
  const std::string_view what = trim(text.substr(star + 1));
  c.bound_value = *fraction;
  const Quantity q = c.metric.quantity;
  if (what == "peak") {
    if (q != Quantity::gflops && q != Quantity::tflops) {
      r.fail(line, f.column,
             fmt::format("bound '{}': only FLOP/s metrics (gflops, tflops) have a theoretical "
                         "peak; expected an absolute bound or '<fraction> * reference'",
                         f.text));
    }
    c.bound_kind = BoundKind::peak;
  } else if (what == "reference") {
    if (!has_reference) {
      r.fail(line, f.column,
             fmt::format("bound '{}': expected a value in the reference column", f.text));
    }
    c.bound_kind = BoundKind::reference;
  } else if (what == "siblings") {
    if (c.metric.device != DeviceRef::gpu({}) ||
        (c.comparator != Comparator::ge && c.comparator != Comparator::gt)) {
      r.fail(line, f.column,
             fmt::format("bound '{}': siblings are the other GPUs, so it needs a gpu.* metric "
                         "and '>=' or '>'",
                         f.text));
    }
    c.bound_kind = BoundKind::siblings;
  } else {
    r.fail(line, f.column,
           fmt::format("bound '{}': expected 'peak', 'reference' or 'siblings' after '*'", f.text));
  }
  if (q == Quantity::count) {
    r.fail(line, f.column, fmt::format("bound '{}': a count takes a plain number", f.text));
  }
}

// ---- judging ----------------------------------------------------------------------------------

bool glob_match(std::string_view pattern, std::string_view text) {
  const auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  if (pattern.empty()) return text.empty();
  if (pattern.front() == '*') {
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (glob_match(pattern.substr(1), text.substr(i))) return true;
    }
    return false;
  }
  if (text.empty()) return false;
  if (pattern.front() != '?' && lower(pattern.front()) != lower(text.front())) return false;
  return glob_match(pattern.substr(1), text.substr(1));
}

std::optional<double> value_of(const MeasurementRecord& r, Quantity q) {
  switch (q) {
    case Quantity::gflops:
      return r.gflops;
    case Quantity::tflops:
      return r.gflops ? std::optional(*r.gflops / 1e3) : std::nullopt;
    case Quantity::gbytes_per_s:
      return r.gbytes_per_s;
    case Quantity::percent_of_peak:
      return r.percent_of_peak;
    case Quantity::count:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string with_unit(double v, Quantity q) {
  if (q == Quantity::count) return fmt::format("{}", v);
  if (q == Quantity::percent_of_peak) return short_number(v) + "%";
  return fmt::format("{} {}", short_number(v), unit_of(q));
}

// The measurement a metric names on a device: the largest problem (the closest to sustained
// throughput, and what a profile's sizes are chosen for); among several of that problem, the
// best passed one.
const MeasurementRecord* pick(const ResultsDocument& doc, const Metric& m,
                              const DeviceRef& device) {
  const MeasurementRecord* best = nullptr;
  for (const auto& r : doc.measurements) {
    if (r.device != device || r.workload != m.workload || r.precision != m.precision ||
        r.implementation != m.implementation) {
      continue;
    }
    if (!best || problem_order(best->problem) < problem_order(r.problem)) {
      best = &r;
    } else if (best->problem == r.problem) {
      const auto a = value_of(*best, m.quantity), b = value_of(r, m.quantity);
      if (b && (!a || *a < *b)) best = &r;
    }
  }
  return best;
}

struct Reading {
  std::optional<double> value;
  const MeasurementRecord* record = nullptr;
  std::string why_not;  // when there is no value
};

Reading read_metric(const ResultsDocument& doc, const Metric& m, const DeviceRef& device) {
  const MeasurementRecord* r = pick(doc, m, device);
  const std::string what =
      fmt::format("{} {} on {}", metric_name(*m.workload, m.precision), m.implementation, device);
  if (!r) {
    // On a machine without a GPU the runner records GPU work once, with no GPU index.
    const MeasurementRecord* none = device.on_gpu() ? pick(doc, m, DeviceRef::gpu({})) : nullptr;
    if (none && !passed(*none)) {
      return {std::nullopt, nullptr,
              fmt::format("not measured: {} was {}: {}", what, to_string(none->disposition),
                          none->reason)};
    }
    if (!registry().device_of(m.implementation)) {
      return {std::nullopt, nullptr,
              fmt::format("not measured: this build has no implementation '{}' (see 'flopbench "
                          "list')",
                          m.implementation)};
    }
    return {std::nullopt, nullptr, fmt::format("not measured: the results have no {}", what)};
  }
  if (!passed(*r)) {
    return {std::nullopt, r,
            fmt::format("not measured: {}, {} was {}: {}", what, r->problem.label(),
                        to_string(r->disposition), r->reason)};
  }
  const auto v = value_of(*r, m.quantity);
  if (!v) {
    return {std::nullopt, r,
            fmt::format("not measured: {}, {} has no {}", what, r->problem.label(),
                        unit_of(m.quantity))};
  }
  return {v, r, ""};
}

bool holds(double measured, Comparator c, double bound) {
  switch (c) {
    case Comparator::ge:
      return measured >= bound;
    case Comparator::gt:
      return measured > bound;
    case Comparator::le:
      return measured <= bound;
    case Comparator::lt:
      return measured < bound;
    case Comparator::eq:
      return measured == bound;
  }
  return false;
}

class Judge {
 public:
  explicit Judge(const ResultsDocument& doc) : doc_(doc) {}

  void criterion(const Criterion& c) {
    const auto& gpus = doc_.environment.gpu.devices;
    std::vector<const GpuDevice*> matching;
    for (const auto& g : gpus) {
      if (applies_to_gpu(c.applies_to, g)) matching.push_back(&g);
    }
    const bool any = c.applies_to == "any";
    if (!any && matching.empty()) return;  // keyed to GPUs this machine does not have
    ++applied_;

    const Metric& m = c.metric;
    if (m.name == "gpu.count") {
      return add(c, m.name, double(matching.size()), c.bound_value, "");
    }
    if (m.name == "cpu.cores") {
      return add(c, m.name, double(doc_.environment.cpu.cores), c.bound_value, "");
    }
    if (m.name == "run.unverified" || m.name == "run.throttled") return run_fact(c);
    if (!m.device.on_gpu()) return device_rate(c, m.device, {});
    if (!m.device.gpus.empty()) {  // one named GPU
      const auto it = std::find_if(matching.begin(), matching.end(), [&](const GpuDevice* g) {
        return DeviceRef::gpu({g->index}) == m.device;
      });
      if (it == matching.end()) {
        return add(c, m.name, std::nullopt, std::nullopt,
                   fmt::format("not measured: this machine has no {}{}", m.device,
                               any ? "" : " matching " + c.applies_to));
      }
      return device_rate(c, m.device, {});
    }
    if (matching.empty()) {
      return add(c, m.name, std::nullopt, std::nullopt,
                 fmt::format("not measured: no GPU ({})", no_gpu_reason(doc_.environment.gpu)));
    }
    std::vector<DeviceRef> devices;
    for (const auto* g : matching) devices.push_back(DeviceRef::gpu({g->index}));
    if (c.bound_kind == BoundKind::siblings && devices.size() < 2) {
      return add(c, metric_on(m, devices.front()), std::nullopt, std::nullopt, "", true);
    }
    for (const auto& d : devices) device_rate(c, d, devices);
  }

  // How many criteria applied to this machine so far.
  int applied() const { return applied_; }

  // `spec_applied`: whether any row of the spec applied; a spec keyed to other GPUs fails.
  AcceptanceResult finish(const Spec& spec, bool spec_applied, std::string label,
                          std::string checked_utc) {
    AcceptanceResult result;
    result.spec = std::move(label);
    result.checked_utc = std::move(checked_utc);
    if (!spec_applied) {
      std::vector<std::string> names;
      for (const auto& g : doc_.environment.gpu.devices) names.push_back(g.name);
      CriterionVerdict v;
      v.metric = "spec.applies";
      v.comparator = "==";
      v.bound_text = "true";
      v.severity = "fail";
      v.verdict = "FAIL";
      v.reason = fmt::format(
          "no criterion of {} applies to this machine: it is for {}; this machine has {}",
          spec.file, fmt::join(spec_gpu_patterns(spec), ", "),
          names.empty() ? "no GPU" : fmt::format("{}", fmt::join(names, ", ")));
      v.description = "the spec is for this machine";
      verdicts_.insert(verdicts_.begin(), std::move(v));
    }
    result.criteria = std::move(verdicts_);
    result.passed = std::none_of(result.criteria.begin(), result.criteria.end(),
                                 [](const auto& v) { return v.verdict == "FAIL"; });
    return result;
  }

 private:
  void run_fact(const Criterion& c) {
    std::vector<std::string> which;
    for (const auto& r : doc_.measurements) {
      const bool counted =
          c.metric.name == "run.unverified"
              ? r.disposition == Disposition::incorrect || r.disposition == Disposition::failed
              : std::any_of(r.notes.begin(), r.notes.end(),
                            [](const std::string& n) { return n.starts_with("throttled"); });
      if (counted) {
        which.push_back(c.metric.name == "run.unverified"
                            ? fmt::format("{} ({})", where(r), result_text(r))
                            : where(r));
      }
    }
    add(c, c.metric.name, double(which.size()), c.bound_value,
        which.empty() ? "" : fmt::format("{}", fmt::join(which, "; ")));
  }

  // The metric's name with its device replaced: "gpu.sgemm.cuda.tflops" on gpu2 is
  // "gpu2.sgemm.cuda.tflops".
  static std::string metric_on(const Metric& m, const DeviceRef& device) {
    return device.label() + m.name.substr(m.name.find('.'));
  }

  void device_rate(const Criterion& c, const DeviceRef& device,
                   const std::vector<DeviceRef>& siblings) {
    const Metric& m = c.metric;
    const std::string name = metric_on(m, device);
    const Reading reading = read_metric(doc_, m, device);
    if (!reading.value) return add(c, name, std::nullopt, std::nullopt, reading.why_not);
    switch (c.bound_kind) {
      case BoundKind::absolute:
        return add(c, name, reading.value, c.bound_value, "");
      case BoundKind::reference:
        return add(c, name, reading.value, c.bound_value * *c.reference, "");
      case BoundKind::peak: {
        const Peak& peak = reading.record->peak;
        if (!peak.gflops) {
          return add(c, name, reading.value, std::nullopt,
                     fmt::format("no theoretical peak: {}", or_unknown(peak.basis)));
        }
        const double scale = m.quantity == Quantity::tflops ? 1e-3 : 1;
        return add(c, name, reading.value, c.bound_value * *peak.gflops * scale, "");
      }
      case BoundKind::siblings: {
        std::vector<double> others;
        for (const auto& s : siblings) {
          if (s == device) continue;
          if (const auto v = read_metric(doc_, m, s).value) others.push_back(*v);
        }
        if (others.empty()) {
          return add(c, name, reading.value, std::nullopt, "", true);
        }
        return add(c, name, reading.value, c.bound_value * compute_statistics(others).median, "");
      }
    }
  }

  // One verdict. Without a measured value or a bound the criterion cannot pass, unless
  // `vacuous` (a sibling rule with no sibling to compare with).
  void add(const Criterion& c, std::string name, std::optional<double> measured,
           std::optional<double> bound, std::string reason, bool vacuous = false) {
    CriterionVerdict v;
    v.metric = std::move(name);
    v.comparator = std::string(to_string(c.comparator));
    v.bound_text = c.bound_text;
    v.measured = measured;
    v.bound = bound;
    v.unit = std::string(unit_of(c.metric.quantity));
    v.severity = c.severity;
    v.description = c.description;
    bool ok = false;
    if (vacuous) {
      ok = true;
      v.reason = "no sibling GPU measured: nothing to compare with";
    } else if (measured && bound) {
      ok = holds(*measured, c.comparator, *bound);
      if (*bound != 0 && c.comparator != Comparator::eq) {
        const double up = (*measured - *bound) / std::fabs(*bound) * 100;
        v.margin_percent =
            c.comparator == Comparator::ge || c.comparator == Comparator::gt ? up : -up;
      }
      if (!ok) {
        v.reason = c.comparator == Comparator::ge || c.comparator == Comparator::gt
                       ? "below the bound"
                   : c.comparator == Comparator::eq ? "not equal to the bound"
                                                    : "above the bound";
        if (!reason.empty()) v.reason += ": " + reason;
      }
    } else {
      v.reason = std::move(reason);
    }
    v.verdict = ok ? "PASS" : c.severity == "warn" ? "WARN" : "FAIL";
    verdicts_.push_back(std::move(v));
  }

  const ResultsDocument& doc_;
  std::vector<CriterionVerdict> verdicts_;
  int applied_ = 0;
};

Criterion builtin(std::string_view metric, Comparator cmp, BoundKind kind, double bound,
                  std::string bound_text, std::string severity, std::string applies_to,
                  std::string description) {
  Criterion c;
  c.metric = parse_metric(metric);
  c.comparator = cmp;
  c.bound_kind = kind;
  c.bound_value = bound;
  c.bound_text = std::move(bound_text);
  c.severity = std::move(severity);
  c.applies_to = std::move(applies_to);
  c.description = std::move(description);
  return c;
}

// ---- output -----------------------------------------------------------------------------------

std::string measured_text(const CriterionVerdict& v) {
  if (!v.measured) return "-";
  if (v.unit.empty()) return fmt::format("{}", *v.measured);
  return v.unit == "%" ? short_number(*v.measured) + "%"
                       : fmt::format("{} {}", short_number(*v.measured), v.unit);
}

std::string bound_cell(const CriterionVerdict& v) {
  if (!v.bound) return fmt::format("{} {}", v.comparator, v.bound_text);
  const std::string resolved = v.unit.empty() ? fmt::format("{}", *v.bound)
                               : v.unit == "%"
                                   ? short_number(*v.bound) + "%"
                                   : fmt::format("{} {}", short_number(*v.bound), v.unit);
  // An absolute bound reads the same resolved; the others say what they were relative to.
  const bool relative = v.bound_text.find('*') != std::string::npos;
  return fmt::format("{} {}{}", v.comparator, resolved, relative ? " (" + v.bound_text + ")" : "");
}

std::string margin_text(const CriterionVerdict& v) {
  return v.margin_percent ? fmt::format("{:+.1f}%", *v.margin_percent) : "-";
}

struct Counts {
  int pass = 0, fail = 0, warn = 0;
};
Counts count(const AcceptanceResult& r) {
  Counts c;
  for (const auto& v : r.criteria) {
    (v.verdict == "PASS" ? c.pass : v.verdict == "WARN" ? c.warn : c.fail) += 1;
  }
  return c;
}

std::string summary_line(const AcceptanceResult& r) {
  const Counts c = count(r);
  return fmt::format("{}: {} criteria, {} passed, {} failed, {} warned", r.passed ? "PASS" : "FAIL",
                     r.criteria.size(), c.pass, c.fail, c.warn);
}

Table verdict_table(const AcceptanceResult& r, bool with_description) {
  Table t;
  t.columns = {{"Verdict"}, {"Metric"}, {"Measured", true}, {"Bound"}, {"Margin", true}};
  if (with_description) t.columns.push_back({"Description"});
  t.columns.push_back({"Reason"});
  for (const auto& v : r.criteria) {
    std::vector<std::string> row = {v.verdict, v.metric, measured_text(v), bound_cell(v),
                                    margin_text(v)};
    if (with_description) row.push_back(v.description);
    row.push_back(v.reason);
    t.rows.push_back(std::move(row));
  }
  return t;
}

// Text for XML 1.0: the characters it cannot hold (controls, invalid UTF-8) replaced by U+FFFD,
// then escaped as for HTML (its escapes are XML's too).
std::string xml_escape(std::string_view s) {
  std::string valid;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    const char c = s[i];
    if (n == 0 || (uint8_t(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')) {
      valid += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    valid.append(s.substr(i, n));
    i += n;
  }
  return html_escape(valid);
}

std::string spec_value(double v, Quantity q) {
  // The shortest text that reads back to the same double: with ratio 1 the golden run itself
  // passes.
  return q == Quantity::count ? fmt::format("{}", v) : fmt::format("{} {}", v, unit_of(q));
}

}  // namespace

// ---- public -----------------------------------------------------------------------------------

std::string_view unit_of(Quantity q) {
  for (const auto& info : kQuantities) {
    if (info.quantity == q) return info.unit;
  }
  return "";
}

Metric parse_metric(std::string_view name) {
  Metric m;
  m.name = std::string(name);
  if (std::find(kMachineFacts.begin(), kMachineFacts.end(), name) != kMachineFacts.end()) {
    m.quantity = Quantity::count;
    return m;
  }
  const auto parts = split(name, '.');
  if (parts.size() != 4) {
    throw InputError(fmt::format("unknown metric '{}': expected {}", name, kMetricForm));
  }
  const auto device = [&]() -> std::optional<DeviceRef> {
    try {
      return DeviceRef::parse(parts[0]);
    } catch (const InputError&) {
      return std::nullopt;
    }
  }();
  if (!device || device->machine_aggregate()) {
    throw InputError(fmt::format(
        "unknown metric '{}': unknown device '{}' (expected cpu, gpu (every GPU) or gpu<N>)", name,
        parts[0]));
  }
  m.device = *device;
  const auto kernel = parse_metric_name(parts[1]);
  if (!kernel) {
    throw InputError(fmt::format("unknown metric '{}': unknown kernel '{}' (expected one of: {})",
                                 name, parts[1], fmt::join(metric_names(), ", ")));
  }
  std::tie(m.workload, m.precision) = *kernel;
  // A name this build does not register (a GPU implementation in a CPU-only build) is accepted:
  // its criterion then fails as not measured. A known name must run on the metric's device.
  const auto impl_device = registry().device_of(parts[2]);
  if (!valid_implementation_name(parts[2]) || (impl_device && *impl_device != m.device.kind)) {
    std::vector<std::string> impls;
    for (const auto& impl_name : registry().names()) {
      if (registry().device_of(impl_name) == m.device.kind) impls.push_back(impl_name);
    }
    throw InputError(
        fmt::format("unknown metric '{}': unknown {} implementation '{}' (expected one of: {})",
                    name, to_string(m.device.kind), parts[2], fmt::join(impls, ", ")));
  }
  m.implementation = std::string(parts[2]);
  const Bound bound = info(*m.workload).bound;
  std::vector<std::string_view> allowed;
  for (const auto& q : kQuantities) {
    // Register-only and GEMM kernels' bytes say nothing about their speed; only FLOP-bound
    // kernels have a theoretical peak to be a percentage of.
    const bool ok = q.quantity == Quantity::gbytes_per_s      ? bound == Bound::bandwidth
                    : q.quantity == Quantity::percent_of_peak ? bound == Bound::compute
                                                              : true;
    if (!ok) continue;
    allowed.push_back(q.name);
    if (q.name == parts[3]) m.quantity = q.quantity;
  }
  if (std::find(allowed.begin(), allowed.end(), parts[3]) == allowed.end()) {
    throw InputError(
        fmt::format("unknown metric '{}': unknown quantity '{}' for {} (expected one of: {})", name,
                    parts[3], parts[1], fmt::join(allowed, ", ")));
  }
  return m;
}

Spec parse_spec(std::string_view text, const std::string& file_name) {
  SpecReader reader(file_name);
  if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF")) {
    reader.fail(1, 1,
                "expected UTF-8 text, found a UTF-16 byte order mark; save the file as UTF-8");
  }
  if (text.empty()) {
    reader.fail(1, 1, fmt::format("empty file: expected a header row '{}'", kHeader));
  }
  // LineReader hands out NUL-terminated lines, so a NUL byte (UTF-16 text, say) would hide
  // the rest of its line: find it first.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    const auto line_start = text.rfind('\n', nul);
    const std::size_t from = line_start == std::string_view::npos ? 0 : line_start + 1;
    const int line = 1 + int(std::count(text.begin(), text.begin() + nul, '\n'));
    reader.fail(line, column_of(text.substr(from), nul - from),
                "expected UTF-8 text, found a NUL byte (is the file UTF-16?)");
  }

  Spec spec;
  spec.file = file_name;
  std::vector<std::string_view> header;  // column names in file order
  int header_line = 0, last_line = 0;
  try {
    io::LineReader lines(file_name, text.data(), text.data() + text.size());
    while (const char* raw = lines.next_line()) {
      const int line_no = static_cast<int>(lines.get_file_line());
      last_line = line_no;
      const std::string_view line(raw);
      if (const auto bad = invalid_utf8(line); bad != std::string_view::npos) {
        reader.fail(line_no, column_of(line, bad),
                    fmt::format("expected UTF-8 text, found the byte 0x{:02X}; save the file as "
                                "UTF-8",
                                uint8_t(line[bad])));
      }
      const std::string_view content = trim(line);
      if (content.empty() || content.front() == '#') continue;  // blank lines and comments
      auto fields = reader.fields(line, line_no);

      if (header.empty()) {
        header_line = line_no;
        for (const auto& f : fields) {
          const auto it = std::find(kColumns.begin(), kColumns.end(), f.text);
          if (it == kColumns.end()) {
            reader.fail(line_no, f.column,
                        fmt::format("unknown column '{}' in the header (expected the columns {})",
                                    f.text, kHeader));
          }
          if (std::find(header.begin(), header.end(), *it) != header.end()) {
            reader.fail(line_no, f.column, fmt::format("column '{}' appears twice", f.text));
          }
          header.push_back(*it);
        }
        for (const auto col : kColumns) {
          if (col != "reference" && std::find(header.begin(), header.end(), col) == header.end()) {
            reader.fail(line_no, 1,
                        fmt::format("missing column '{}' in the header (expected the columns {}; "
                                    "reference may be left out)",
                                    col, kHeader));
          }
        }
        continue;
      }

      if (fields.size() != header.size()) {
        const int column = fields.size() < header.size() ? column_of(line, line.size())
                                                         : fields[header.size()].column;
        reader.fail(line_no, column,
                    fmt::format("{}: expected {} fields ({}), found {}",
                                fields.size() < header.size() ? "missing column" : "extra column",
                                header.size(), fmt::join(header, ","), fields.size()));
      }
      std::array<Field, kColumns.size()> row{};
      for (std::size_t i = 0; i < header.size(); ++i) {
        const auto col = std::find(kColumns.begin(), kColumns.end(), header[i]) - kColumns.begin();
        row[static_cast<std::size_t>(col)] = std::move(fields[i]);
      }
      if (row[c_reference].column == 0) row[c_reference].column = 1;  // column left out

      Criterion c;
      c.line = line_no;
      const auto required = [&](Col col) {
        if (row[col].text.empty()) {
          reader.fail(line_no, row[col].column,
                      fmt::format("empty {}: expected a value", kColumns[col]));
        }
        return row[col].text;
      };
      try {
        c.metric = parse_metric(required(c_metric));
      } catch (const InputError& e) {
        reader.fail(line_no, row[c_metric].column, e.what());
      }
      const auto cmp = parse_comparator(required(c_comparator));
      if (!cmp) {
        reader.fail(line_no, row[c_comparator].column,
                    fmt::format("unknown comparator '{}' (expected one of: >=, >, <=, <, ==)",
                                row[c_comparator].text));
      }
      c.comparator = *cmp;
      if (!row[c_reference].text.empty()) {
        c.reference =
            value_with_unit(reader, row[c_reference], line_no, c.metric.quantity, "reference");
      }
      required(c_bound);
      parse_bound(reader, row[c_bound], line_no, c, c.reference.has_value());
      c.severity = required(c_severity);
      if (c.severity != "fail" && c.severity != "warn") {
        reader.fail(line_no, row[c_severity].column,
                    fmt::format("unknown severity '{}' (expected fail or warn)", c.severity));
      }
      c.applies_to = required(c_applies_to);
      c.description = row[c_description].text;
      spec.criteria.push_back(std::move(c));
    }
  } catch (const io::error::base& e) {
    // The line reader's own errors (a line over its 16 MiB limit) carry the file and line.
    throw InputError(fmt::format("{}:{}:1: {}", file_name, last_line + 1, e.what()));
  }
  if (header.empty()) {
    reader.fail(last_line + 1, 1, fmt::format("empty file: expected a header row '{}'", kHeader));
  }
  if (spec.criteria.empty()) {
    reader.fail(header_line + 1, 1, "no criteria: expected at least one row after the header");
  }
  return spec;
}

Spec read_spec(const std::filesystem::path& path) {
  const std::string name = path.string();
  if (std::filesystem::is_directory(path)) {
    throw InputError(fmt::format("{}: is a directory; expected a spec file (CSV)", name));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open: {}", name, std::strerror(errno)));
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_spec(text, name);
}

bool applies_to_gpu(std::string_view pattern, const GpuDevice& gpu) {
  return pattern == "any" || glob_match(pattern, gpu.name) ||
         (!gpu.pci_device_id.empty() && glob_match(pattern, gpu.pci_device_id));
}

std::vector<std::string> spec_gpu_patterns(const Spec& spec) {
  std::vector<std::string> patterns;
  for (const auto& c : spec.criteria) {
    if (c.applies_to != "any" &&
        std::find(patterns.begin(), patterns.end(), c.applies_to) == patterns.end()) {
      patterns.push_back(c.applies_to);
    }
  }
  return patterns;
}

AcceptanceResult judge(const Spec& spec, const ResultsDocument& doc, const std::string& spec_label,
                       const std::string& checked_utc) {
  Judge judge(doc);
  for (const auto& c : spec.criteria) judge.criterion(c);
  const bool spec_applied = judge.applied() > 0;

  // Built-in criteria, each replaced by a spec row on the same metric (docs/acceptance.md).
  const auto in_spec = [&](std::string_view metric, std::optional<BoundKind> kind) {
    return std::any_of(spec.criteria.begin(), spec.criteria.end(), [&](const Criterion& c) {
      return c.metric.name == metric && (!kind || c.bound_kind == *kind);
    });
  };
  std::set<std::pair<std::string, std::string>> sibling_rules;  // metric, applies_to
  for (const auto& c : spec.criteria) {
    const bool lower_bound = c.comparator == Comparator::ge || c.comparator == Comparator::gt;
    if (c.metric.device != DeviceRef::gpu({}) || !c.metric.measured_rate() || !lower_bound ||
        c.bound_kind == BoundKind::siblings || in_spec(c.metric.name, BoundKind::siblings)) {
      continue;
    }
    const auto matching =
        std::count_if(doc.environment.gpu.devices.begin(), doc.environment.gpu.devices.end(),
                      [&](const GpuDevice& g) { return applies_to_gpu(c.applies_to, g); });
    // Nothing to compare with a single GPU; one rule per metric and set of GPUs.
    if (matching < 2 || !sibling_rules.emplace(c.metric.name, c.applies_to).second) continue;
    judge.criterion(builtin(c.metric.name, Comparator::ge, BoundKind::siblings, 0.9,
                            "0.9 * siblings", "fail", c.applies_to,
                            "built-in: no GPU more than 10% below the median of its siblings"));
  }
  if (!in_spec("run.unverified", std::nullopt)) {
    judge.criterion(builtin("run.unverified", Comparator::eq, BoundKind::absolute, 0, "0", "fail",
                            "any",
                            "built-in: every measurement verified (none incorrect or failed)"));
  }
  if (!in_spec("run.throttled", std::nullopt)) {
    judge.criterion(builtin("run.throttled", Comparator::eq, BoundKind::absolute, 0, "0", "warn",
                            "any", "built-in: no measurement taken while throttled"));
  }
  return judge.finish(spec, spec_applied, spec_label, checked_utc);
}

std::string acceptance_console(const AcceptanceResult& result) {
  return fmt::format("acceptance ({}):\n{}{}\n", result.spec, verdict_table(result, false).plain(),
                     summary_line(result));
}

std::string acceptance_markdown(const AcceptanceResult& result) {
  return fmt::format(
      "\n## Acceptance\n\nSpec `{}`, checked {}: **{}**\n\nMargin: how far the measured value "
      "is on the passing side of its bound, relative to the bound.\n\n{}",
      result.spec, result.checked_utc, summary_line(result),
      verdict_table(result, true).markdown());
}

std::string acceptance_junit(const AcceptanceResult& result, const std::string& host) {
  const Counts c = count(result);
  std::string cases;
  for (const auto& v : result.criteria) {
    const std::string name = fmt::format("{} {} {}", v.metric, v.comparator, v.bound_text);
    const std::string detail =
        v.measured ? fmt::format("measured {}, bound {}{}{}", measured_text(v), bound_cell(v),
                                 v.reason.empty() ? "" : ": ", v.reason)
                   : fmt::format("{} (bound {})", v.reason, bound_cell(v));
    cases +=
        fmt::format("    <testcase classname=\"flopbench.acceptance\" name=\"{}\" time=\"0\">\n",
                    xml_escape(name));
    if (v.verdict == "FAIL") {
      cases += fmt::format("      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                           xml_escape(v.severity), xml_escape(detail), xml_escape(v.description));
    } else if (v.verdict == "WARN") {
      cases += fmt::format("      <system-out>WARN: {}</system-out>\n", xml_escape(detail));
    }
    cases += "    </testcase>\n";
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites name=\"flopbench check\" tests=\"{0}\" failures=\"{1}\" errors=\"0\">\n"
      "  <testsuite name=\"{2}\" tests=\"{0}\" failures=\"{1}\" errors=\"0\" skipped=\"0\" "
      "timestamp=\"{3}\" hostname=\"{4}\">\n"
      "    <properties>\n"
      "      <property name=\"spec\" value=\"{2}\"/>\n"
      "      <property name=\"verdict\" value=\"{5}\"/>\n"
      "      <property name=\"warnings\" value=\"{6}\"/>\n"
      "    </properties>\n"
      "{7}"
      "  </testsuite>\n"
      "</testsuites>\n",
      result.criteria.size(), c.fail, xml_escape(result.spec), xml_escape(result.checked_utc),
      xml_escape(host), result.passed ? "PASS" : "FAIL", c.warn, cases);
}

std::string generate_spec(const ResultsDocument& doc, double ratio, const std::string& source) {
  const auto& env = doc.environment;
  const auto& gpus = env.gpu.devices;
  // A spec from a machine with GPUs is for machines with the same GPU.
  const std::string applies_to = gpus.empty() ? "any" : gpus.front().name;
  std::string out = fmt::format(
      "# Generated by 'flopbench spec generate' from {} ({}, {}, profile {}).\n"
      "# Each bound is {} x what that golden run measured (the reference column).\n{}\n",
      source, env.host, doc.run.started_utc, doc.run.profile, ratio, kHeader);
  const auto row = [&](const std::string& metric, std::string_view cmp, const std::string& bound,
                       const std::string& reference, const std::string& description) {
    out += fmt::format("{},{},{},{},fail,{},{}\n", metric, cmp, bound, reference,
                       csv_field(applies_to), csv_field(description));
  };
  row("gpu.count", "==", fmt::format("{}", gpus.size()), "",
      fmt::format("the golden run had {} GPU(s)", gpus.size()));

  // One row per (device kind, kernel, implementation) that passed, in document order. A GPU
  // metric's reference is the golden run's slowest GPU, so that the golden machine passes its
  // own spec at any ratio; GPUs far behind their siblings are the sibling rule's to catch.
  std::vector<std::string> seen;
  for (const auto& r : doc.measurements) {
    // The machine aggregate has no metric of its own (docs/acceptance.md).
    if (!passed(r) || r.device.no_gpu() || machine_aggregate(r)) continue;
    const bool gpu = r.device.on_gpu();
    const bool bandwidth = bandwidth_bound(r);
    const Quantity q = bandwidth ? Quantity::gbytes_per_s
                       : gpu     ? Quantity::tflops
                                 : Quantity::gflops;
    const DeviceRef device = gpu ? DeviceRef::gpu({}) : DeviceRef::cpu();
    const std::string quantity{std::find_if(kQuantities.begin(), kQuantities.end(), [&](auto& i) {
                                 return i.quantity == q;
                               })->name};
    const std::string metric = fmt::format(
        "{}.{}.{}.{}", device, metric_name(r.workload, r.precision), r.implementation, quantity);
    if (std::find(seen.begin(), seen.end(), metric) != seen.end()) continue;
    seen.push_back(metric);
    const Metric m = parse_metric(metric);
    std::vector<double> values;
    std::string problem;
    if (gpu) {
      for (const auto& g : gpus) {
        const Reading reading = read_metric(doc, m, DeviceRef::gpu({g.index}));
        if (reading.value) {
          values.push_back(*reading.value);
          problem = reading.record->problem.label();
        }
      }
    } else if (const Reading reading = read_metric(doc, m, DeviceRef::cpu()); reading.value) {
      values.push_back(*reading.value);
      problem = reading.record->problem.label();
    }
    if (values.empty()) continue;  // its largest problem did not pass
    const double golden = *std::min_element(values.begin(), values.end());
    row(metric, ">=", fmt::format("{} * reference", ratio), spec_value(golden, q),
        fmt::format(
            "golden {}{}, {}", with_unit(golden, q),
            gpu && values.size() > 1 ? fmt::format(" (slowest of {} GPUs)", values.size()) : "",
            problem));
  }
  return out;
}

}  // namespace flopbench
