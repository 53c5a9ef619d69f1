#include "reports/acceptance/judge.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>
#include <vector>

#include "harness/core/registry.hpp"
#include "harness/core/statistics.hpp"
#include "reports/acceptance/burn_metrics.hpp"
#include "reports/acceptance/health_judge.hpp"
#include "reports/format.hpp"

namespace flopbench {
namespace {

std::optional<double> value_of(const MeasurementRecord& r, Quantity q) {
  switch (q) {
    case Quantity::gflops:
      return r.gflops;
    case Quantity::tflops:
      return r.gflops ? std::optional(*r.gflops / 1e3) : std::nullopt;
    case Quantity::gbytes_per_s:
      return r.gbytes_per_s;
    case Quantity::percent_of_peak:  // of a theoretical peak only, not of a measured ceiling
      return r.peak.is_measured_ceiling() ? std::nullopt : r.percent_of_peak;
    case Quantity::count:
      return std::nullopt;
  }
  return std::nullopt;
}

// Whether `r` is a measurement of metric `m` on `device` (of any problem): the kernel's own
// time, not a run timed end to end from host memory (a sweep's).
bool measures_metric(const Metric& m, const DeviceRef& device, const MeasurementRecord& r) {
  return r.device == device && r.workload == m.workload && r.precision == m.precision &&
         r.implementation == m.implementation && end_to_end_text(r.timing).empty();
}

// The measurement a metric names on a device: the largest problem (the closest to sustained
// throughput, and what a profile's sizes are chosen for); among several of that problem (a
// re-measurement, say), an uncontended one before a contended one, then the best passed one.
const MeasurementRecord* pick(const ResultsDocument& doc, const Metric& m,
                              const DeviceRef& device) {
  const MeasurementRecord* best = nullptr;
  for (const auto& r : doc.measurements) {
    if (!measures_metric(m, device, r)) continue;
    if (!best || problem_order(best->problem) < problem_order(r.problem)) {
      best = &r;
    } else if (best->problem == r.problem) {
      if (best->contended() != r.contended()) {
        if (best->contended()) best = &r;
        continue;
      }
      const auto a = value_of(*best, m.quantity), b = value_of(r, m.quantity);
      if (b && (!a || *a < *b)) best = &r;
    }
  }
  return best;
}

// How many times the document measured what `r` measured.
std::size_t times_measured(const ResultsDocument& doc, const MeasurementRecord& r) {
  return static_cast<std::size_t>(
      std::count_if(doc.measurements.begin(), doc.measurements.end(),
                    [&](const MeasurementRecord& o) { return same_measurement(o, r); }));
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

// A criterion that does not hold fails the check, or only warns.
Verdict verdict_of_miss(Severity severity) {
  switch (severity) {
    case Severity::fail:
      return Verdict::fail;
    case Severity::warn:
      return Verdict::warn;
  }
  throw std::logic_error("unknown severity");
}

// Why a run's sizes are not those the spec's bounds are set for; "" when they are, when either
// is not said, or when the run chose its own sizes (--sizes), whatever its profile.
std::string other_profile(const Spec& spec, const ResultsDocument& doc) {
  const auto& p = spec.profiles;
  const auto& args = doc.run.command_line;
  const bool own_sizes = std::any_of(args.begin(), args.end(), [](const std::string& a) {
    return a == "--sizes" || a.starts_with("--sizes=");
  });
  if (p.empty() || doc.run.profile.empty() || own_sizes ||
      std::find(p.begin(), p.end(), doc.run.profile) != p.end())
    return "";
  return fmt::format("measured with the {} profile, where this spec's bounds are for {}",
                     doc.run.profile, fmt::join(p, " or "));
}

// Why a run's CPU work is not what the spec's CPU bounds are set for: another thread count (a
// smaller machine, or --threads); "" when it is the same or either is not said.
std::string other_threads(const Spec& spec, const ResultsDocument& doc) {
  if (!spec.threads || doc.run.threads <= 0 || doc.run.threads == *spec.threads) return "";
  return fmt::format("measured with {} on the CPU, where this spec's CPU bounds are for {}",
                     counted(doc.run.threads, "thread"), *spec.threads);
}

// The machine's GPUs (those CUDA sees) that a row applies to, and of them those the run was
// given (--gpus): a task of a one-task-per-GPU fleet measures, and is judged on, its own GPU.
struct RowGpus {
  std::vector<const GpuDevice*> on_machine, given;
};

RowGpus gpus_of_row(const Criterion& c, const ResultsDocument& doc) {
  RowGpus row;
  for (const auto& g : doc.environment.gpu.devices) {
    if (!applies_to_gpu(c.applies_to, g)) continue;
    row.on_machine.push_back(&g);
    if (doc.run.selected_gpu(g.index)) row.given.push_back(&g);
  }
  return row;
}

}  // namespace

bool row_applies(const Criterion& c, const ResultsDocument& doc) {
  if (c.metric.health()) return read_health_metric(c, doc).has_value();
  if (c.applies_to == "any") return true;
  // Keyed to GPUs CUDA does not see that the health facts name: it applies, and their
  // measurements are missing.
  if (std::ranges::any_of(gpus_only_health_names(doc.environment),
                          [&](const GpuDevice& g) { return applies_to_gpu(c.applies_to, g); }))
    return true;
  // Keyed to GPUs this machine lacks, or, for a rate or burn of each GPU, to GPUs of the machine
  // that --gpus gave other tasks: not this run's to judge (gpu.count is the machine's).
  const auto [on_machine, given] = gpus_of_row(c, doc);
  return !on_machine.empty() && !(given.empty() && c.metric.device == DeviceRef::gpu({}));
}

namespace {

// Whether `rows` has `c` judged on `doc`: every row, or a row read from results of doc's kind or
// from results of every kind.
bool judged_on(const Criterion& c, const ResultsDocument& doc, RowsJudged rows) {
  return rows == RowsJudged::every_row || c.metric.results_kind.empty() ||
         c.metric.results_kind == doc.run.kind();
}

class Judge {
 public:
  Judge(const ResultsDocument& doc, const Spec& spec)
      : doc_(doc),
        other_profile_(other_profile(spec, doc)),
        other_threads_(other_threads(spec, doc)) {}

  void criterion(const Criterion& c) {
    if (c.metric.health()) {
      // Only a row that applies is judged (row_applies): the machine has the row's GPUs.
      const std::vector<FactReading> readings = read_health_metric(c, doc_).value();
      for (const auto& r : readings) {
        add(c, r.metric, r.value, r.value ? std::optional(c.bound_value) : std::nullopt, r.unknown);
      }
      return;
    }
    const auto& gpus = doc_.environment.gpu.devices;
    const auto [on_machine, matching] = gpus_of_row(c, doc_);
    const bool any = c.applies_to == "any";
    // Where CUDA sees no GPU, the GPUs the health facts name that the row is for: it applies, and
    // their measurements are missing.
    std::vector<std::string> unseen;
    for (const auto& g : gpus_only_health_names(doc_.environment)) {
      if (applies_to_gpu(c.applies_to, g))
        unseen.push_back(fmt::format("gpu{} {}", g.index, g.name));
    }
    const Metric& m = c.metric;
    const std::string cuda_sees_none =
        unseen.empty()
            ? ""
            : fmt::format("CUDA sees no GPU ({}), though {} lists {}",
                          no_gpu_reason(doc_.environment.gpu),
                          health_gpu_source(*doc_.environment.health), fmt::join(unseen, ", "));

    if (m.device.on_gpu() && !m.device.gpus.empty() && unseen.empty()) {  // one named GPU
      const auto named = [&](const GpuDevice* g) { return DeviceRef::gpu({g->index}) == m.device; };
      if (std::none_of(matching.begin(), matching.end(), named)) {
        const bool confined_away = std::any_of(on_machine.begin(), on_machine.end(), named);
        return add(c, m.name, std::nullopt, std::nullopt,
                   confined_away
                       ? fmt::format("not measured: {} is not among the GPUs this run was given "
                                     "(--gpus {})",
                                     m.device, fmt::join(doc_.run.gpus, ","))
                       : fmt::format("not measured: this machine has no {}{}", m.device,
                                     any ? "" : " matching " + c.applies_to));
      }
    }
    if (is_burn_metric(m.name)) {
      // A row keyed to a model judges the burn of that model's GPUs alone.
      std::optional<std::vector<int>> row_gpus;
      if (!any) {
        row_gpus.emplace();
        for (const auto* g : matching) row_gpus->push_back(g->index);
      }
      // A GPU's value is missing where CUDA sees none for that reason (when the results have
      // the section at all).
      const bool section =
          m.name.starts_with("burn.") ? doc_.burn.has_value() : doc_.memtest.has_value();
      const bool blind = m.device.on_gpu() && section && !cuda_sees_none.empty();
      for (const FactValue& v : burn_metric_values(doc_, m, row_gpus)) {
        add(c, v.name, v.value, v.value ? std::optional(c.bound_value) : std::nullopt,
            v.value || !blind ? v.why_not : "not measured: " + cuda_sees_none);
      }
      return;
    }
    if (m.name == "gpu.count") {
      return add(c, m.name, double(on_machine.size()), c.bound_value,
                 !cuda_sees_none.empty() || !gpus.empty()
                     ? cuda_sees_none
                     : "CUDA sees no GPU: " + no_gpu_reason(doc_.environment.gpu));
    }
    if (m.name == "cpu.cores") {
      return add(c, m.name, double(doc_.environment.cpu.cores), c.bound_value, "");
    }
    if (m.name == "run.complete") {
      // A run that died or was interrupted lacks measurements, and a metric would silently
      // read a smaller problem, or a measurement cut short, in their place.
      return add(c, m.name, doc_.run.complete() ? 1.0 : 0.0, c.bound_value,
                 incomplete_run_note(doc_.run));
    }
    if (m.name == "run.unverified" || m.name == "run.throttled") return run_fact(c);
    if (m.name == "run.contended") return contended_fact(c);
    if (!m.device.on_gpu()) return device_rate(c, m.device, {});
    if (!m.device.gpus.empty() && unseen.empty()) return device_rate(c, m.device, {});
    if (matching.empty()) {
      return add(c, m.name, std::nullopt, std::nullopt,
                 cuda_sees_none.empty()
                     ? fmt::format("not measured: no GPU ({})", no_gpu_reason(doc_.environment.gpu))
                     : "not measured: " + cuda_sees_none);
    }
    for (const auto* g : matching) {
      const DeviceRef device = DeviceRef::gpu({g->index});
      if (c.bound_kind != BoundKind::siblings) {
        device_rate(c, device, {});
        continue;
      }
      // A GPU's siblings are the row's GPUs of its model: an L4 is no sibling of an H100.
      std::vector<DeviceRef> siblings;
      for (const auto* o : matching) {
        if (o->name == g->name) siblings.push_back(DeviceRef::gpu({o->index}));
      }
      if (siblings.size() < 2) {
        // Nothing to compare with, but the measurement itself must be there.
        const Reading reading = read_metric(doc_, m, device);
        add(c, metric_on(m, device), reading.value, std::nullopt, reading.why_not,
            reading.value.has_value(), reading.record);
        continue;
      }
      device_rate(c, device, siblings);
    }
  }

  // The measurements a criterion missed while contended, measured only once so far.
  const std::vector<const MeasurementRecord*>& contended_misses() const {
    return contended_misses_;
  }

  // `not_applied`: the spec's rows for GPUs this machine lacks, or that --gpus did not give the
  // run; all of them fails the check, and so do all of its rows keyed to a GPU model, unless a
  // row for `any` measures this run's GPUs (a rate: gpu.sgemm.cublas.tflops): rows for the CPU,
  // the host, or every GPU's health, burn or memory test applying are no sign that a spec for an
  // H100 is this machine's. Whether the spec is this machine's is asked of all of its rows, of
  // every kind of results; the rows not applied that are listed, of those `rows` judges here.
  AcceptanceResult finish(const Spec& spec, const std::vector<const Criterion*>& not_applied,
                          RowsJudged rows, std::string label, std::string checked_utc) {
    AcceptanceResult result;
    result.spec = std::move(label);
    result.checked_utc = std::move(checked_utc);
    const auto keyed_to_a_gpu = [](const Criterion& c) { return c.applies_to != "any"; };
    const auto keyed = std::ranges::count_if(spec.criteria, keyed_to_a_gpu);
    const bool some_applied = not_applied.size() < spec.criteria.size();
    const auto applied_here = [&](const Criterion& c) {
      return std::ranges::find(not_applied, &c) == not_applied.end();
    };
    const bool a_keyed_row_applied =
        keyed == 0 || std::ranges::any_of(spec.criteria, [&](const Criterion& c) {
          return applied_here(c) &&
                 (keyed_to_a_gpu(c) || (c.metric.device.on_gpu() && c.metric.measured_rate()));
        });
    if (some_applied) {
      for (const Criterion* c : not_applied) {
        if (!judged_on(*c, doc_, rows)) continue;
        const bool on_machine = !gpus_of_row(*c, doc_).on_machine.empty();
        result.not_applied.push_back(fmt::format(
            "line {}: {} {} {}, for {}{}", c->line, c->metric.name, to_string(c->comparator),
            c->bound_text, c->applies_to,
            on_machine ? " (the machine's are not among the GPUs --gpus gave this run)" : ""));
      }
    }
    if (!some_applied || !a_keyed_row_applied) {
      std::vector<std::string> names;
      for (const auto& g : doc_.environment.gpu.devices) {
        if (doc_.run.selected_gpu(g.index)) names.push_back(g.name);
      }
      verdicts_.insert(
          verdicts_.begin(),
          spec_not_for_machine(
              fmt::format("no criterion of {} {}applies to this machine: it is for {}; this {} {}",
                          spec.file, some_applied ? "keyed to a GPU " : "",
                          fmt::join(spec_gpu_patterns(spec), ", "),
                          doc_.run.gpus.empty() ? "machine has" : "run was given (--gpus)",
                          names.empty() ? "no GPU" : fmt::format("{}", fmt::join(names, ", "))),
              "the spec is for this machine"));
    }
    result.criteria = std::move(verdicts_);
    result.passed = std::none_of(result.criteria.begin(), result.criteria.end(),
                                 [](const auto& v) { return v.verdict == Verdict::fail; });
    return result;
  }

 private:
  void run_fact(const Criterion& c) {
    std::vector<std::string> which, unread;
    for (const auto& r : doc_.measurements) {
      if (r.device.on_gpu() && r.disposition == Disposition::passed && !throttling_was_read(r)) {
        unread.push_back(where(r));
      }
      const bool counted =
          c.metric.name == "run.unverified"
              ? unverified(r)
              : std::any_of(r.notes.begin(), r.notes.end(),
                            [](const std::string& n) { return n.starts_with("throttled"); });
      if (counted) {
        which.push_back(c.metric.name == "run.unverified"
                            ? fmt::format("{} ({})", where(r), result_text(r))
                            : where(r));
      }
    }
    // Throttling that no reading could show is not the absence of throttling: with none seen,
    // the count is unknown; with some seen, it is at least that.
    if (c.metric.name == "run.throttled" && !unread.empty() && which.empty()) {
      const std::string& source = doc_.run.telemetry_source;
      add(c, c.metric.name, std::nullopt, c.bound_value,
          fmt::format(
              "not measured: no GPU telemetry with clock event reasons was read for {} ({}){}",
              unread.front(),
              unread.size() == 1 ? "the only such measurement"
                                 : fmt::format("and {} more", unread.size() - 1),
              source.starts_with("none") ? fmt::format("; {}", source) : ""));
      return;
    }
    add(c, c.metric.name, double(which.size()), c.bound_value,
        which.empty() ? ""
        : unread.empty() || c.metric.name != "run.throttled"
            ? fmt::format("{}", fmt::join(which, "; "))
            : fmt::format(
                  "{} (at least: {} GPU measurements had no telemetry with clock event reasons)",
                  fmt::join(which, "; "), unread.size()));
  }

  // run.contended: the measurements (each once, as same_measurement tells them apart) that passed
  // only while contended, with no passed quiet measurement to decide instead. A miss is a
  // criterion missed while contended, so those measured once are measured again
  // (contended_misses), as for a rate.
  void contended_fact(const Criterion& c) {
    std::vector<std::string> which;
    std::vector<const MeasurementRecord*> counted, once;
    for (const auto& r : doc_.measurements) {
      if (!passed(r) || !r.contended()) continue;
      const auto same = [&](const MeasurementRecord* o) { return same_measurement(*o, r); };
      if (std::any_of(counted.begin(), counted.end(), same)) continue;
      const bool quiet_one = std::any_of(
          doc_.measurements.begin(), doc_.measurements.end(), [&](const MeasurementRecord& o) {
            return same_measurement(o, r) && passed(o) && !o.contended();
          });
      if (quiet_one) continue;
      counted.push_back(&r);
      if (times_measured(doc_, r) == 1) once.push_back(&r);
      const auto passed_contended = std::count_if(
          doc_.measurements.begin(), doc_.measurements.end(),
          [&](const MeasurementRecord& o) { return same_measurement(o, r) && passed(o); });
      which.push_back(
          fmt::format("{} ({}{})", where(r), contention_figures(*r.load),
                      passed_contended > 1 ? "; contended again when re-measured" : ""));
    }
    const auto count = static_cast<double>(which.size());
    if (!holds(count, c.comparator, c.bound_value)) {
      contended_misses_.insert(contended_misses_.end(), once.begin(), once.end());
    }
    // A busy machine's standard run can have dozens: the first few say what it was.
    constexpr std::size_t kNamed = 3;
    std::string reason = fmt::format(
        "{}", fmt::join(which.begin(), which.begin() + std::min(kNamed, which.size()), "; "));
    if (which.size() > kNamed) reason += fmt::format("; and {} more", which.size() - kNamed);
    add(c, c.metric.name, count, c.bound_value, std::move(reason));
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
        return add(c, name, reading.value, c.bound_value, "", false, reading.record);
      case BoundKind::reference:
        return add(c, name, reading.value, c.bound_value * *c.reference, "", false, reading.record);
      case BoundKind::peak: {
        // A ceiling the peak workload measured moves with the machine (a throttled one lowers
        // it too): a bound on a theoretical peak cannot stand on it.
        const Peak& peak = reading.record->peak;
        if (!peak.gflops || !(*peak.gflops > 0) || !std::isfinite(*peak.gflops) ||
            peak.is_measured_ceiling()) {
          return add(c, name, reading.value, std::nullopt,
                     fmt::format("no theoretical peak: {}", or_unknown(peak.basis)));
        }
        const double scale = m.quantity == Quantity::tflops ? 1e-3 : 1;
        return add(c, name, reading.value, c.bound_value * *peak.gflops * scale, "", false,
                   reading.record);
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
        return add(c, name, reading.value, c.bound_value * lower_median_of(std::move(others)), "",
                   false, reading.record);
      }
    }
  }

  // One verdict. Without a measured value or a bound the criterion cannot pass, unless
  // `vacuous` (a sibling rule with no sibling to compare with). `record`: the measurement the
  // value was read from; a miss on a contended one only warns (docs/acceptance.md).
  void add(const Criterion& c, std::string name, std::optional<double> measured,
           std::optional<double> bound, std::string reason, bool vacuous = false,
           const MeasurementRecord* record = nullptr) {
    CriterionVerdict v;
    v.metric = std::move(name);
    v.comparator = std::string(to_string(c.comparator));
    v.bound_text = c.bound_text;
    v.measured = measured;
    v.bound = bound;
    v.unit = std::string(unit_of(c.metric.quantity));
    v.severity = c.severity;
    v.description = c.description;
    const bool lower_bound = c.comparator == Comparator::ge || c.comparator == Comparator::gt;
    bool ok = false;
    if (vacuous) {
      ok = true;
      v.reason = "no sibling GPU measured: nothing to compare with";
    } else if (measured && bound) {
      ok = holds(*measured, c.comparator, *bound);
      if (*bound != 0 && c.comparator != Comparator::eq) {
        const double up = (*measured - *bound) / std::fabs(*bound) * 100;
        v.margin_percent = lower_bound ? up : -up;
      }
      if (!ok) {
        v.reason = lower_bound                      ? "below the bound"
                   : c.comparator == Comparator::eq ? "not equal to the bound"
                                                    : "above the bound";
        if (!reason.empty()) v.reason += ": " + reason;
        // A known cap on the figure, such as OpenBLAS held to half the vector width by the
        // environment, is the first thing an operator needs to know about the miss.
        if (record && lower_bound) {
          if (const std::string narrow = record->note_starting(MeasurementRecord::kNarrowVectors);
              !narrow.empty()) {
            v.reason += "; " + narrow;
          }
          // The quick profile's problems are smaller than a standard spec's bounds are set for;
          // siblings ran the same problems.
          if (!other_profile_.empty() && c.bound_kind != BoundKind::siblings) {
            v.reason += "; " + other_profile_;
          }
          if (!other_threads_.empty() && !record->device.on_gpu()) {
            v.reason += "; " + other_threads_;
          }
        }
      }
    } else {
      v.reason = std::move(reason);
    }
    v.verdict = ok ? Verdict::pass : verdict_of_miss(c.severity);
    // A GPU that misses its bound on its own time fails however busy the host was; a rate
    // above an upper bound is not the co-tenant's doing, which only slows a measurement.
    if (!ok && lower_bound && measured && record && record->contended() &&
        !record->timed_by_the_gpu()) {
      // The machine was busy with other work: the shortfall may be the co-tenant's, not the
      // machine's. Measured once, it is measured again (check does); measured again and still
      // contended, it warns rather than fails.
      const std::size_t times = times_measured(doc_, *record);
      if (times == 1) contended_misses_.push_back(record);
      v.verdict = Verdict::warn;
      v.reason +=
          fmt::format("{}measured while contended{} ({}): a warning, not a failure",
                      v.reason.empty() ? "" : "; ", times > 1 ? ", and again when re-measured" : "",
                      contention_figures(*record->load));
    }
    verdicts_.push_back(std::move(v));
  }

  const ResultsDocument& doc_;
  const std::string other_profile_;
  const std::string other_threads_;
  std::vector<CriterionVerdict> verdicts_;
  std::vector<const MeasurementRecord*> contended_misses_;
};

}  // namespace

CriterionVerdict spec_not_for_machine(std::string reason, std::string description) {
  CriterionVerdict v;
  v.metric = "spec.applies";
  v.comparator = "==";
  v.bound_text = "true";
  v.severity = Severity::fail;
  v.verdict = Verdict::fail;
  v.reason = std::move(reason);
  v.description = std::move(description);
  return v;
}

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
    if (doc.run.kind() != kRunKind) {
      return {std::nullopt, nullptr,
              fmt::format("not measured: these results are a {}'s, not a run's (flopbench run "
                          "measures {})",
                          kind_name(doc.run.kind()), what)};
    }
    return {std::nullopt, nullptr, fmt::format("not measured: the results have no {}", what)};
  }
  if (!passed(*r)) {
    return {std::nullopt, r,
            fmt::format("not measured: {}, {} was {}: {}", what, r->problem.label(),
                        to_string(r->disposition), r->reason)};
  }
  const auto v = value_of(*r, m.quantity);
  if (!v && m.quantity == Quantity::percent_of_peak && r->peak.is_measured_ceiling()) {
    return {std::nullopt, r, fmt::format("no theoretical peak: {}", r->peak.basis)};
  }
  if (!v) {
    return {std::nullopt, r,
            fmt::format("not measured: {}, {} has no {}", what, r->problem.label(),
                        unit_of(m.quantity))};
  }
  return {v, r, ""};
}

namespace {

// The criteria of the spec that `rows` judges and that apply here, and the built-in ones; returns
// the spec's rows that did not apply (keyed to GPUs this machine lacks, or that --gpus did not
// give the run), of every kind.
std::vector<const Criterion*> judge_all(Judge& judge, const Spec& spec, const ResultsDocument& doc,
                                        RowsJudged rows) {
  std::vector<const Criterion*> applied, not_applied;
  for (const auto& c : spec.criteria) {
    if (!row_applies(c, doc)) {
      not_applied.push_back(&c);
    } else if (judged_on(c, doc, rows)) {
      judge.criterion(c);
      applied.push_back(&c);
    }
  }

  // Built-in criteria, each replaced by a spec row on the same metric that applied here
  // (docs/acceptance.md): a row for other GPUs replaces nothing.
  const auto in_spec = [&](std::string_view metric, std::optional<BoundKind> kind) {
    return std::any_of(applied.begin(), applied.end(), [&](const Criterion* c) {
      return c->metric.name == metric && (!kind || c->bound_kind == *kind);
    });
  };
  if (doc.run.kind() == kRunKind) {
    std::set<std::pair<std::string, std::string>> sibling_rules;  // metric, applies_to
    for (const auto& c : spec.criteria) {
      const bool lower_bound = c.comparator == Comparator::ge || c.comparator == Comparator::gt;
      if (c.metric.device != DeviceRef::gpu({}) || !c.metric.measured_rate() || !lower_bound ||
          c.bound_kind == BoundKind::siblings || in_spec(c.metric.name, BoundKind::siblings)) {
        continue;
      }
      // Siblings are the GPUs the run was given (--gpus): a sibling task's are its own to compare.
      // Nothing to compare with a single GPU; one rule per metric and set of GPUs.
      if (gpus_of_row(c, doc).given.size() < 2 ||
          !sibling_rules.emplace(c.metric.name, c.applies_to).second)
        continue;
      judge.criterion(criterion_of(
          c.metric.name, Comparator::ge, BoundKind::siblings, 0.9, "0.9 * siblings", Severity::fail,
          c.applies_to, "built-in: no GPU more than 10% below the median of its siblings"));
    }
  }
  // Each built-in criterion "metric == value" unless a spec row replaces it.
  const auto built_in = [&](std::string_view metric, double value, Severity severity,
                            std::string description) {
    if (in_spec(metric, std::nullopt)) return;
    judge.criterion(criterion_of(metric, Comparator::eq, BoundKind::absolute, value,
                                 fmt::format("{}", value), severity, "any",
                                 "built-in: " + std::move(description)));
  };
  built_in("run.complete", 1, Severity::fail, "the run finished (not killed, not interrupted)");
  // A burn-in's or memory test's results have no measurements: its own verdict is judged, as
  // its exit status and a fleet's merge judge it (a wrong result, bad words, a device cut short).
  if (doc.run.kind() == kBurnProfile) {
    built_in("burn.problems", 0, Severity::fail,
             "the burn passed (every device OK for the duration, the GPU telemetry answering)");
  } else if (doc.run.kind() == kMemtestProfile) {
    built_in("memtest.problems", 0, Severity::fail,
             "the memory test passed (every GPU a complete pass, no bad word, no error count "
             "risen)");
  } else {
    built_in("run.unverified", 0, Severity::fail,
             "every measurement verified (none incorrect or failed)");
    built_in("run.throttled", 0, Severity::warn, "no measurement taken while throttled");
  }
  return not_applied;
}

}  // namespace

AcceptanceResult judge(const Spec& spec, const ResultsDocument& doc, const std::string& spec_label,
                       const std::string& checked_utc, RowsJudged rows) {
  Judge judge(doc, spec);
  const auto not_applied = judge_all(judge, spec, doc, rows);
  return judge.finish(spec, not_applied, rows, spec_label, checked_utc);
}

std::vector<std::size_t> contended_misses(const Spec& spec, const ResultsDocument& doc) {
  Judge judge(doc, spec);
  judge_all(judge, spec, doc, RowsJudged::every_row);
  std::vector<std::size_t> indices;
  for (const MeasurementRecord* r : judge.contended_misses()) {
    const auto index = static_cast<std::size_t>(r - doc.measurements.data());
    if (std::find(indices.begin(), indices.end(), index) == indices.end()) indices.push_back(index);
  }
  return indices;
}

}  // namespace flopbench
