#include "reports/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "harness/core/statistics.hpp"
#include "reports/format.hpp"
#include "reports/utf8.hpp"

namespace flopbench {
namespace {

// The record of what `r` measured in `doc`. A document may hold two: `check` measures again one
// that missed a criterion while contended and keeps both (docs/acceptance.md). Then the quiet
// one before a contended one, and of two alike the later, as the re-measurement.
const MeasurementRecord* find_in(const ResultsDocument& doc, const MeasurementRecord& r) {
  const MeasurementRecord* found = nullptr;
  for (const auto& x : doc.measurements) {
    if (same_measurement(x, r) && (!found || found->contended() || !x.contended())) found = &x;
  }
  return found;
}

// Whether `r` is the record find_in gives for what it measured: one row for each measurement.
bool chosen_in(const ResultsDocument& doc, const MeasurementRecord& r) {
  return find_in(doc, r) == &r;
}

std::string signed_percent(double fraction) { return fmt::format("{:+.1f}%", 100 * fraction); }

// The chance that two groups of a and b values of one distribution fall apart, every value of
// one beyond every value of the other: 2 / C(a + b, a).
double chance_of_separation(std::size_t a, std::size_t b) {
  // C(a + b, a) is a whole number: rounded, 3 against 1 gives exactly 0.5.
  return 2 / std::round(std::exp(std::lgamma(double(a + b) + 1) - std::lgamma(double(a) + 1) -
                                 std::lgamma(double(b) + 1)));
}

// Which way every value of b lies from every value of a: faster (all below), slower (all
// above), or inconclusive.
Change separation(std::span<const double> a, std::span<const double> b) {
  const auto [a_min, a_max] = std::minmax_element(a.begin(), a.end());
  const auto [b_min, b_max] = std::minmax_element(b.begin(), b.end());
  if (*b_max < *a_min) return Change::faster;
  if (*b_min > *a_max) return Change::slower;
  return Change::inconclusive;
}

// Fewer samples than the U test needs give a verdict only when the chance of such a separation
// (2 / C(a + b, a)) is below this: not 1 sample against 1 to 3, nor 2 against 1.
constexpr double kFewSamplesChance = 0.5;

}  // namespace

MannWhitney mann_whitney_u(std::span<const double> a, std::span<const double> b) {
  const std::size_t n1 = a.size(), n2 = b.size(), n = n1 + n2;
  if (n1 == 0 || n2 == 0) return {};
  // Ranks of the pooled samples, ties sharing their mean rank.
  std::vector<std::pair<double, bool>> pooled;  // (value, from a)
  for (double x : a) pooled.emplace_back(x, true);
  for (double x : b) pooled.emplace_back(x, false);
  std::sort(pooled.begin(), pooled.end(), [](const auto& x, const auto& y) {
    return less_nan_last(x.first, y.first) ||
           (!less_nan_last(y.first, x.first) && x.second < y.second);
  });
  double rank_sum_a = 0, tie_term = 0;
  for (std::size_t i = 0; i < n;) {
    // j > i always, so the loop ends even on values that equal nothing (NaN).
    std::size_t j = i + 1;
    while (j < n && pooled[j].first == pooled[i].first) ++j;
    const double t = static_cast<double>(j - i);
    const double mean_rank = static_cast<double>(i + j + 1) / 2;  // ranks i+1 .. j
    for (std::size_t k = i; k < j; ++k) {
      if (pooled[k].second) rank_sum_a += mean_rank;
    }
    tie_term += t * t * t - t;
    i = j;
  }
  const double dn1 = static_cast<double>(n1), dn2 = static_cast<double>(n2);
  const double dn = static_cast<double>(n);
  // U of a counts pairs with a > b; report the complement, pairs with a < b (ties 1/2).
  const double u = dn1 * dn2 - (rank_sum_a - dn1 * (dn1 + 1) / 2);
  const double mean = dn1 * dn2 / 2;
  const double variance = dn1 * dn2 / 12 * ((dn + 1) - tie_term / (dn * (dn - 1)));
  if (variance <= 0) return {u, 0, 1};  // every value equal: no evidence of a difference
  const double distance = std::max(0.0, std::fabs(u - mean) - 0.5);  // continuity correction
  const double z = std::copysign(distance / std::sqrt(variance), u - mean);
  return {u, z, std::erfc(std::fabs(z) / std::sqrt(2.0))};
}

std::string_view to_string(Change v) {
  switch (v) {
    case Change::faster:
      return "faster";
    case Change::slower:
      return "slower";
    case Change::same:
      return "same";
    case Change::inconclusive:
      return "inconclusive";
  }
  return "inconclusive";
}

namespace {

// A drift between runs is as likely to make the second run slow as fast, and is measured as the
// larger median over the smaller: a time ratio is within `noise` (a fraction) when neither time
// exceeds the other by that much. So a 3x speed-up is "faster" under a 100 % floor, which the
// change of the median alone (-67 %) could never exceed.
bool within_noise(double time_ratio, double noise) {
  return std::max(time_ratio, 1 / time_ratio) < 1 + noise;
}

}  // namespace

Judgement judge(std::span<const double> a, std::span<const double> b, double noise_floor,
                const CompareRule& rule) {
  Judgement j;
  j.noise = noise_floor;
  if (a.empty() || b.empty()) {
    j.reason = "no samples";
    return j;
  }
  const auto finite = [](std::span<const double> x) {
    return std::all_of(x.begin(), x.end(), [](double v) { return std::isfinite(v); });
  };
  if (!finite(a) || !finite(b)) {
    j.reason = "a sample is not a number";
    return j;
  }
  const double a_median = compute_statistics(a).median, b_median = compute_statistics(b).median;
  if (!(a_median > 0) || !(b_median > 0)) {
    j.reason = "a median time is not a positive number";
    return j;
  }
  j.time_ratio = b_median / a_median;
  if (a.size() < rule.min_samples || b.size() < rule.min_samples) {
    // Too few for the test. A change that every sample of B shows, each beyond the floor between
    // runs from A's median and beyond every sample of A, is one still, unless the samples are so
    // few that such a separation happens by chance as often as not (the p reported is that
    // chance, exactly).
    if (within_noise(j.time_ratio, noise_floor)) {
      j.verdict = Change::same;
      return j;
    }
    const Change side = separation(a, b);
    const bool every_sample_beyond_the_floor = std::none_of(
        b.begin(), b.end(), [&](double x) { return within_noise(x / a_median, noise_floor); });
    const double chance = chance_of_separation(a.size(), b.size());
    if (side != Change::inconclusive && every_sample_beyond_the_floor &&
        chance < kFewSamplesChance) {
      j.verdict = side;
      j.p_value = chance;
    } else {
      j.reason = fmt::format("too few samples to tell ({} and {}; the test needs {} each)",
                             a.size(), b.size(), rule.min_samples);
    }
    return j;
  }
  const MannWhitney test = mann_whitney_u(a, b);
  j.p_value = test.p_value;
  if (within_noise(j.time_ratio, noise_floor)) {
    j.verdict = Change::same;
  } else if (*j.p_value < rule.alpha && (test.z > 0) != (j.time_ratio < 1)) {
    // z > 0: B's samples tend to be the longer. Of samples in two clusters the medians can
    // point the other way; the verdict stands only where both agree.
    j.verdict = j.time_ratio < 1 ? Change::faster : Change::slower;
  } else if (*j.p_value < rule.alpha) {
    j.reason = "the samples and their medians differ the other way";
  } else {
    j.reason = "the samples overlap too much to tell";
  }
  return j;
}

Judgement judge_replicates(std::span<const double> a_medians, std::span<const double> b_medians,
                           double one_run_floor, bool interleaved, const CompareRule& rule) {
  Judgement j;
  if (a_medians.size() < 2 || b_medians.size() < 2) {
    j.reason =
        fmt::format("{} and {} runs; replicates need two each", a_medians.size(), b_medians.size());
    return j;
  }
  const auto times = [](std::span<const double> medians) {
    return std::all_of(medians.begin(), medians.end(),
                       [](double m) { return std::isfinite(m) && m > 0; });
  };
  if (!times(a_medians) || !times(b_medians)) {
    j.reason = "a run's median is not a positive number";
    return j;
  }
  const Statistics a = compute_statistics(a_medians), b = compute_statistics(b_medians);
  j.time_ratio = b.median / a.median;
  const bool runs_show_the_drift =
      interleaved && chance_of_separation(a_medians.size(), b_medians.size()) < rule.alpha;
  // Spreads as drifts are measured: the larger median over the smaller.
  j.noise = std::max({rule.replicate_floor, a.max / a.min - 1, b.max / b.min - 1,
                      runs_show_the_drift ? 0.0 : one_run_floor});
  if (within_noise(j.time_ratio, j.noise)) {
    j.verdict = Change::same;
  } else if (const Change side = separation(a_medians, b_medians); side != Change::inconclusive) {
    j.verdict = side;
  } else {
    j.reason = "the runs overlap";
  }
  return j;
}

namespace {

// The measurement in every run of one side, in run order; a run that lacks it is left out.
std::vector<const MeasurementRecord*> in_runs(std::span<const ResultsDocument> runs,
                                              const MeasurementRecord& r) {
  std::vector<const MeasurementRecord*> out;
  for (const auto& doc : runs) {
    if (const MeasurementRecord* x = find_in(doc, r)) out.push_back(x);
  }
  return out;
}

// Why the records cannot be compared ("" when they can): one did not pass, or one was measured
// while other processes took the CPUs it needed, which makes its times those of the co-tenant.
std::string unfit(std::span<const MeasurementRecord* const> a,
                  std::span<const MeasurementRecord* const> b) {
  for (const auto& [side, records] : {std::pair{"A", a}, std::pair{"B", b}}) {
    for (const MeasurementRecord* r : records) {
      if (!passed(*r)) return fmt::format("{} {}", side, to_string(r->disposition));
    }
    // A contended time is partly a co-tenant's, unless the GPU timed it.
    for (const MeasurementRecord* r : records) {
      if (r->contended() && !r->timed_by_the_gpu()) return fmt::format("{} contended", side);
    }
  }
  return "";
}

// The vector widths a side's runs recorded: "512", or "256 or 512 (by run)"; "" where none said.
std::string vector_widths(std::span<const MeasurementRecord* const> runs) {
  std::set<int> widths;
  for (const MeasurementRecord* r : runs) {
    if (r->vector_bits) widths.insert(*r->vector_bits);
  }
  return fmt::format("{}{}", fmt::join(widths, " or "), widths.size() > 1 ? " (by run)" : "");
}

// How many of a side's runs were judged to have run on fewer threads than given, and how many
// were judged at all.
struct FewerThreads {
  std::size_t flagged = 0;
  std::size_t judged = 0;
};
FewerThreads fewer_threads(std::span<const MeasurementRecord* const> runs) {
  FewerThreads f;
  for (const MeasurementRecord* r : runs) {
    if (!r->load || !r->load->fewer_threads) continue;
    ++f.judged;
    if (*r->load->fewer_threads) ++f.flagged;
  }
  return f;
}

std::vector<std::string> ran_differently(std::span<const MeasurementRecord* const> a,
                                         std::span<const MeasurementRecord* const> b) {
  std::vector<std::string> out;
  if (const std::string wa = vector_widths(a), wb = vector_widths(b);
      !wa.empty() && !wb.empty() && wa != wb) {
    out.push_back(fmt::format("vectors of {} bits in A, {} in B", wa, wb));
  }
  // One side on fewer threads in some run, the other judged in every run and in none.
  struct Side {
    const char* name;
    FewerThreads fewer;
    std::size_t runs;
  };
  const Side sa{"A", fewer_threads(a), a.size()}, sb{"B", fewer_threads(b), b.size()};
  for (const auto& [one, other] : {std::pair{sa, sb}, std::pair{sb, sa}}) {
    if (one.fewer.flagged == 0 || other.fewer.flagged > 0 || other.fewer.judged < other.runs) {
      continue;
    }
    out.push_back(one.runs == 1
                      ? fmt::format("{} ran on fewer threads than it was given, {} did not",
                                    one.name, other.name)
                      : fmt::format("{} ran on fewer threads than it was given in {} of its {} "
                                    "runs, {} in none",
                                    one.name, one.fewer.flagged, one.runs, other.name));
  }
  return out;
}

double median_time(const MeasurementRecord& r) {
  return r.stats ? r.stats->median : compute_statistics(r.samples_s).median;
}

// The median times of a side's runs that passed, in run order.
std::vector<double> passed_medians(std::span<const MeasurementRecord* const> runs) {
  std::vector<double> medians;
  for (const MeasurementRecord* r : runs) {
    if (passed(*r)) medians.push_back(median_time(*r));
  }
  return medians;
}

// "B run 2: the run did not finish ..." for each run of a side that did not finish.
std::vector<std::string> incomplete_runs(std::span<const ResultsDocument> runs,
                                         std::string_view side) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (const std::string note = incomplete_run_note(runs[i].run); !note.empty()) {
      out.push_back(fmt::format("{} run {}: {}", side, i + 1, note));
    }
  }
  return out;
}

// Whether the runs of the two sides were taken in turns (A, B, A, B, ...): in the order of
// their start times (UTC, which compare as text), the side changes as often as the counts
// allow. A run without its start time, or one of each side started in the same second, makes
// the order unknown: not in turns.
bool taken_in_turns(std::span<const ResultsDocument> a, std::span<const ResultsDocument> b) {
  std::vector<std::pair<std::string, bool>> starts;  // (start, from a)
  for (const auto& [runs, from_a] : {std::pair{a, true}, std::pair{b, false}}) {
    for (const ResultsDocument& d : runs) {
      if (d.run.started_utc.empty()) return false;
      starts.emplace_back(d.run.started_utc, from_a);
    }
  }
  std::sort(starts.begin(), starts.end());
  std::size_t changes = 0;
  for (std::size_t i = 1; i < starts.size(); ++i) {
    if (starts[i].second == starts[i - 1].second) continue;
    if (starts[i].first == starts[i - 1].first) return false;  // the times' resolution is 1 s
    ++changes;
  }
  const std::size_t fewer = std::min(a.size(), b.size());
  return changes >= 2 * fewer - (a.size() == b.size() ? 1 : 0);
}

// Where the CPU model or a GPU present in both differs between A's machine and B's: a line that
// says so, or "". Host names are not compared: two instances of one shape are one hardware.
std::string hardware_difference(const Environment& a, const Environment& b) {
  std::vector<std::string> differences;
  if (a.cpu.model != b.cpu.model && !a.cpu.model.empty() && !b.cpu.model.empty()) {
    differences.push_back(fmt::format("CPU: {} in A, {} in B", a.cpu.model, b.cpu.model));
  }
  for (const GpuDevice& ga : a.gpu.devices) {
    if (const GpuDevice* gb = b.gpu.find(ga.index); gb && gb->name != ga.name)
      differences.push_back(fmt::format("gpu{}: {} in A, {} in B", ga.index, ga.name, gb->name));
  }
  if (differences.empty()) return "";
  return fmt::format(
      "A and B ran on different hardware ({}): a change in time may be the hardware's, not the "
      "code's",
      fmt::join(differences, "; "));
}

}  // namespace

CompareResult compare_results(std::span<const ResultsDocument> a,
                              std::span<const ResultsDocument> b, const CompareRule& rule) {
  if (a.empty() || b.empty() || (a.size() == 1) != (b.size() == 1)) {
    throw InputError(fmt::format(
        "{} of A and {} of B: compare one run with one, or two or more with two or more",
        counted(a.size(), "run"), b.size()));
  }
  CompareResult result;
  result.incomplete_a = incomplete_runs(a, "A");
  result.incomplete_b = incomplete_runs(b, "B");
  result.runs_a = a.size();
  result.runs_b = b.size();
  const bool replicates = result.replicates();
  if (const int ta = a.front().run.threads, tb = b.front().run.threads; ta != tb) {
    result.threads_differ = fmt::format(
        "A ran its CPU work with {} and B with {}: CPU measurements pair only with the same "
        "thread count, and are listed as only in A and only in B",
        counted(ta, "thread"), tb);
  }
  result.hardware_differs = hardware_difference(a.front().environment, b.front().environment);
  std::set<int> a_gpus;
  for (const MeasurementRecord& r : a.front().measurements) {
    if (r.device.on_gpu()) a_gpus.insert(r.device.gpus.begin(), r.device.gpus.end());
  }
  for (std::size_t i = 0; i < b.size(); ++i) {
    const GpuInventory& inventory = b[i].environment.gpu;
    std::vector<int> lacking;
    for (const int gpu : a_gpus) {
      if (!inventory.find(gpu)) lacking.push_back(gpu);
    }
    if (lacking.empty()) continue;
    result.lost_gpus.insert(lacking.begin(), lacking.end());
    if (!result.gpus_lost_in_b.empty()) continue;  // the first run of B that lacks some says why
    const std::string run = b.size() > 1 ? fmt::format(" run {}", i + 1) : "";
    result.gpus_lost_in_b =
        inventory.devices.empty()
            ? fmt::format(
                  "B{} saw no GPU ({}), where A measured on GPUs: A's GPU measurements "
                  "are lost in it, not left out",
                  run, or_unknown(inventory.no_device_reason))
            : fmt::format(
                  "B{} has no {} (its machine has {}), where A measured on {}: A's "
                  "measurements on {} are lost in it, not left out",
                  run, gpu_labels(lacking, ", "), counted(inventory.devices.size(), "GPU"),
                  lacking.size() > 1 ? "them" : "it", lacking.size() > 1 ? "them" : "it");
  }
  result.interleaved = replicates && taken_in_turns(a, b);
  // Each replicate verdict risks a separation by chance: over all of them, at most alpha.
  CompareRule on_runs = rule;
  if (replicates) {
    for (const auto& ra : a.front().measurements) {
      if (chosen_in(a.front(), ra) && find_in(b.front(), ra) &&
          unfit(in_runs(a, ra), in_runs(b, ra)).empty()) {
        ++result.judged_on_runs;
      }
    }
    on_runs.alpha =
        rule.alpha / static_cast<double>(std::max<std::size_t>(result.judged_on_runs, 1));
    result.runs_level = on_runs.alpha;
  }
  double log_sum = 0;
  std::size_t logs = 0;
  for (const auto& ra : a.front().measurements) {
    if (!chosen_in(a.front(), ra)) continue;
    const MeasurementRecord* rb = find_in(b.front(), ra);
    if (!rb) {
      result.only_a.push_back(&ra);
      continue;
    }
    if (ra.device.no_gpu() && rb->device.no_gpu()) {
      ++result.run_on_neither[ra.reason];
      continue;
    }
    Comparison c{&ra, rb, 0, 0, {}};
    const auto runs_a = in_runs(a, ra), runs_b = in_runs(b, ra);
    for (std::size_t i = 1; i < b.size(); ++i) {
      if (find_in(b[i], ra)) continue;
      c.missing_in_b_runs.push_back(i + 1);
      c.missing_with_its_gpu |= std::ranges::any_of(
          ra.device.gpus, [&](int gpu) { return !b[i].environment.gpu.find(gpu); });
    }
    const auto passes = [](const MeasurementRecord* r) { return passed(*r); };
    if (const auto failed = std::find_if_not(runs_b.begin(), runs_b.end(), passes);
        failed != runs_b.end() && std::all_of(runs_a.begin(), runs_a.end(), passes)) {
      c.broken = fmt::format("{}: {}", to_string((*failed)->disposition), (*failed)->reason);
    }
    // Each side's row shows the median of its passed runs' medians (one run's own median); 0 when
    // none passed. A fit measurement passed in every run.
    c.ran_differently = ran_differently(runs_a, runs_b);
    const std::vector<double> ma = passed_medians(runs_a), mb = passed_medians(runs_b);
    c.a_median = ma.empty() ? 0.0 : compute_statistics(ma).median;
    c.b_median = mb.empty() ? 0.0 : compute_statistics(mb).median;
    bool partly_cache = false;
    if (const std::string why = unfit(runs_a, runs_b); !why.empty()) {
      c.judgement.reason = why;
    } else {
      if (replicates) {
        c.judgement = judge_replicates(ma, mb, rule.noise_floor(ra), result.interleaved, on_runs);
        // Enough runs in all, but this measurement is missing from some: its own runs keep the
        // floor, which the note on the whole comparison does not say.
        if (result.interleaved && c.judgement.verdict == Change::same && ma.size() >= 2 &&
            mb.size() >= 2 && (ma.size() < a.size() || mb.size() < b.size()) &&
            chance_of_separation(ma.size(), mb.size()) >= on_runs.alpha &&
            chance_of_separation(a.size(), b.size()) < on_runs.alpha) {
          c.judgement.reason =
              fmt::format("in {} and {} of the runs: too few to show the drift between runs",
                          ma.size(), mb.size());
        }
      } else {
        if (std::isfinite(c.a_median) && c.a_median > 0 && std::isfinite(c.b_median) &&
            c.b_median > 0) {
          c.judgement = judge(ra.samples_s, rb->samples_s, rule.noise_floor(ra), rule);
          // Bandwidth partly of a CPU's cache moves with what a co-tenant keeps in it, which no
          // contention flag sees: between two runs of one command on a 2-vCPU VM, a 32 MiB dot
          // took 2.5 times as long. Only the spread of repeated runs can judge it (nor does its
          // ratio count in the geometric mean).
          partly_cache = !ra.device.on_gpu() && (within_cache(a.front().environment, ra) ||
                                                 within_cache(b.front().environment, *rb));
          if (partly_cache &&
              (c.judgement.verdict == Change::faster || c.judgement.verdict == Change::slower)) {
            c.judgement.verdict = Change::inconclusive;
            c.judgement.reason =
                "partly cache bandwidth, which a co-tenant's use of the cache moves between "
                "runs: compare repeated runs (run --repeat)";
          }
        } else {  // the recorded statistics say what the samples do not
          c.judgement.reason = "a median time is not a positive number";
        }
      }
      if (!partly_cache && c.judgement.time_ratio > 0 && std::isfinite(c.judgement.time_ratio)) {
        log_sum += std::log(c.judgement.time_ratio);
        ++logs;
      }
    }
    result.matched.push_back(std::move(c));
  }
  for (const auto& rb : b.front().measurements) {
    if (chosen_in(b.front(), rb) && !find_in(a.front(), rb)) result.only_b.push_back(&rb);
  }
  result.geomean_of = logs;
  if (logs > 0) result.geomean_time_ratio = std::exp(log_sum / static_cast<double>(logs));
  return result;
}

CompareResult compare_results(const ResultsDocument& a, const ResultsDocument& b,
                              const CompareRule& rule) {
  return compare_results(std::span(&a, 1), std::span(&b, 1), rule);
}

std::vector<const Comparison*> regressions(const CompareResult& result, double percent) {
  std::vector<const Comparison*> out;
  for (const auto& c : result.matched) {
    if (c.judgement.verdict == Change::slower && (c.judgement.time_ratio - 1) * 100 > percent) {
      out.push_back(&c);
    }
  }
  return out;
}

bool contended(const Comparison& c) { return c.judgement.reason.ends_with(" contended"); }

std::vector<const Comparison*> unjudged_slowdowns(const CompareResult& result, double percent) {
  std::vector<const Comparison*> out;
  for (const auto& c : result.matched) {
    const Judgement& j = c.judgement;
    if (j.verdict != Change::slower && c.broken.empty() && !contended(c) &&
        (j.time_ratio - 1) * 100 > percent) {
      out.push_back(&c);
    }
  }
  return out;
}

bool judged_nothing(const CompareResult& result) {
  return std::ranges::all_of(result.matched, [](const Comparison& c) {
    return c.judgement.verdict == Change::inconclusive;
  });
}

std::vector<std::string> lost_measurements(const CompareResult& result, bool lacking) {
  std::vector<std::string> lost;

  for (const auto& c : result.matched) {
    if (!c.broken.empty()) {
      lost.push_back(fmt::format("{}: {} in B", strip_terminal_controls(where(*c.a)),
                                 strip_terminal_controls(c.broken)));
    }
    if (!c.missing_in_b_runs.empty() && passed(*c.a) && (lacking || c.missing_with_its_gpu)) {
      lost.push_back(fmt::format("{}: not in B run {}{}", strip_terminal_controls(where(*c.a)),
                                 fmt::join(c.missing_in_b_runs, ", "),
                                 c.missing_with_its_gpu ? ", whose machine lacks that GPU" : ""));
    }
  }
  for (const MeasurementRecord* r : result.only_a) {
    const bool gpu_lost = std::ranges::any_of(
        r->device.gpus, [&](int gpu) { return result.lost_gpus.contains(gpu); });
    if (passed(*r) && (lacking || gpu_lost)) {
      lost.push_back(fmt::format("{}: not in B{}", strip_terminal_controls(where(*r)),
                                 gpu_lost ? ", whose machine lacks that GPU" : ""));
    }
  }
  return lost;
}

namespace {

// The fewest runs n (from 2) whose separation's chance, `chance(n)`, is below `level`: 0 when not
// even kMostRunsSuggested are.
constexpr std::size_t kMostRunsSuggested = 64;
template <class Chance>
std::size_t fewest_runs(Chance chance, double level) {
  for (std::size_t n = 2; n <= kMostRunsSuggested; ++n) {
    if (chance(n) < level) return n;
  }
  return 0;
}

// Why runs taken in turns still keep the floor between runs: for the measurements judged at
// once, their separation would be too likely by chance. "" when they are enough.
std::string too_few_runs(const CompareResult& result) {
  const std::size_t na = result.runs_a, nb = result.runs_b, m = result.judged_on_runs;
  if (m == 0 || !(result.runs_level > 0) || chance_of_separation(na, nb) < result.runs_level) {
    return "";
  }
  std::string enough;
  const std::size_t each =
      fewest_runs([](std::size_t n) { return chance_of_separation(n, n); }, result.runs_level);
  if (each > 0) enough = fmt::format("{} runs a side", each);
  // With more runs on one side, fewer on the other may do.
  const bool a_fewer = na < nb;
  const std::size_t fewer = std::min(na, nb), more = std::max(na, nb);
  if (const std::size_t k = fewest_runs(
          [more](std::size_t n) { return chance_of_separation(n, more); }, result.runs_level);
      na != nb && k > fewer && k < each) {
    enough = fmt::format("{} runs of {} against {}'s {}{}", k, a_fewer ? "A" : "B",
                         a_fewer ? "B" : "A", more, enough.empty() ? "" : ", or " + enough);
  }
  return fmt::format(
      "the runs of A and B were taken in turns, but {} and {} runs are too few for {} "
      "judged at once: that they fall apart by chance somewhere (2/C({}, {}) = "
      "{:.2g} each) is not below {:g} / {} = {:.2g}, so the floor between runs applies.{}",
      na, nb, counted(m, "measurement"), na + nb, na, chance_of_separation(na, nb),
      result.runs_level * static_cast<double>(m), m, result.runs_level,
      enough.empty() ? "" : fmt::format(" {}, in turns, would resolve smaller changes.", enough));
}

}  // namespace

std::string compare_text(const CompareResult& result, const CompareRule& rule) {
  Table t;
  t.columns = {{"workload"}, {"precision"},      {"implementation"}, {"device"},
               {"problem"},  {"A median", true}, {"B median", true}, {"time change", true},
               {"p", true},  {"noise", true},    {"verdict"}};
  std::map<Change, int> counts;
  for (const auto& c : result.matched) {
    const auto& j = c.judgement;
    // 0: no run of the side passed; a recorded median that is no time ("nan") is shown as is.
    const auto median = [](const MeasurementRecord& r, double m) {
      return m != 0 ? duration(m) : std::string(to_string(r.disposition));
    };
    t.rows.push_back({display_name(c.a->workload, c.a->precision),
                      std::string(to_string(c.a->precision)), implementation_label(*c.a),
                      c.a->device.label(), c.a->problem.label(), median(*c.a, c.a_median),
                      median(*c.b, c.b_median),
                      j.time_ratio > 0 ? signed_percent(j.time_ratio - 1) : "-",
                      j.p_value ? fmt::format("{:.2g}", *j.p_value) : "-",
                      j.noise > 0 ? fmt::format("{:.1f}%", 100 * j.noise) : "-",
                      j.reason.empty() ? std::string(to_string(j.verdict))
                                       : fmt::format("{} ({})", to_string(j.verdict), j.reason)});
    ++counts[j.verdict];
  }
  std::string out = t.plain();
  const auto list = [&](std::string_view title, const std::vector<const MeasurementRecord*>& rs) {
    if (rs.empty()) return;
    out += fmt::format("\n{}:\n", title);
    for (const auto* r : rs) {
      out += fmt::format("  {} ({})\n", where(*r), to_string(r->disposition));
    }
  };
  list("only in A", result.only_a);
  list("only in B", result.only_b);
  std::string in_some;
  for (const auto& c : result.matched) {
    if (!c.missing_in_b_runs.empty()) {
      in_some +=
          fmt::format("  {} (not in run {})\n", where(*c.a), fmt::join(c.missing_in_b_runs, ", "));
    }
  }
  if (!in_some.empty()) out += "\nnot in every run of B, judged on those that have it:\n" + in_some;
  std::string differently;
  for (const auto& c : result.matched) {
    if (c.ran_differently.empty()) continue;
    differently += fmt::format("  {} ({}): {}\n", where(*c.a), to_string(c.judgement.verdict),
                               fmt::join(c.ran_differently, "; "));
  }
  if (!differently.empty()) {
    out +=
        "\nran differently in A and B, which its change in time may come from rather than the "
        "code:\n" +
        differently;
  }

  std::vector<std::string> tally;
  for (const auto v : {Change::faster, Change::slower, Change::same, Change::inconclusive}) {
    tally.push_back(fmt::format("{} {}", counts[v], to_string(v)));
  }
  out += fmt::format("\n{} matched: {}; {} only in A, {} only in B\n", result.matched.size(),
                     fmt::join(tally, ", "), result.only_a.size(), result.only_b.size());
  for (const auto& [reason, count] : result.run_on_neither) {
    out += fmt::format("{} run on neither side: {}\n", counted(count, "GPU measurement"), reason);
  }
  if (result.geomean_time_ratio) {
    const double g = *result.geomean_time_ratio;
    out += fmt::format(
        "geometric mean of median time B/A over the {} judged (passed in both, not contended{}): "
        "{:.3f} ({} time)\n",
        result.geomean_of, result.replicates() ? "" : ", not partly cache", g,
        signed_percent(g - 1));
  }
  out += fmt::format(
      "verdict: same when neither median exceeds the other by the noise. One run each: the noise "
      "is the floor between runs ({:.3g}% CPU compute-bound, {:.3g}% CPU memory-bound, {:.3g}% "
      "GPU; a sweep's end-to-end timings and copies from or to pageable memory have the CPU's), "
      "and beyond it faster or slower when a "
      "two-sided "
      "Mann-Whitney U test on the samples gives p < {:g}, or, with fewer than {} samples on a "
      "side, when every sample of B is beyond the floor from A's median and beyond every sample of "
      "A, and 2/C(a+b, a) < 0.5. "
      "Replicates: the noise is the "
      "widest spread of the runs' medians (at least {:.0f}%; at least the floor unless the runs "
      "of A and B were taken in turns and enough that their separation is unlikely by "
      "chance for every measurement judged on its runs, 2/C(a+b, a) < {:g} / m{}), and beyond it "
      "faster or slower when the runs of A and B do not overlap. Otherwise, or when a "
      "measurement was contended, inconclusive\n",
      rule.cpu_compute_floor * 100, rule.cpu_bandwidth_floor * 100, rule.gpu_noise_floor * 100,
      rule.alpha, rule.min_samples, rule.replicate_floor * 100, rule.alpha,
      result.judged_on_runs > 0
          ? fmt::format(", here m = {}: {:.2g}", result.judged_on_runs, result.runs_level)
          : "");
  if (!result.hardware_differs.empty()) out += "\n" + result.hardware_differs + "\n";
  if (!result.threads_differ.empty()) out += "\n" + result.threads_differ + "\n";
  if (!result.gpus_lost_in_b.empty()) {
    out += "\n" + strip_terminal_controls(result.gpus_lost_in_b) + "\n";
  }
  if (!result.incomplete_a.empty() || !result.incomplete_b.empty()) {
    out += "\nruns that did not finish:\n";
    for (const auto* side : {&result.incomplete_a, &result.incomplete_b}) {
      for (const std::string& note : *side) out += fmt::format("  {}\n", note);
    }
  }
  if (result.replicates() && !result.interleaved) {
    out +=
        "\nthe runs of A and B were not taken in turns: runs of one side taken one after the "
        "other share their session's drift, so the floor between runs applies. Run A and B in "
        "turns (A, B, A, B, ...) to resolve smaller changes.\n";
  } else if (result.replicates() && result.judged_on_runs > 0) {
    if (const std::string few = too_few_runs(result); !few.empty()) out += "\n" + few + "\n";
  }
  // For the terminal, and its names come from files.
  return strip_terminal_controls(out);
}

}  // namespace flopbench
