#include "reports/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "harness/core/statistics.hpp"
#include "reports/format.hpp"

namespace flopbench {
namespace {

bool same_measurement(const MeasurementRecord& x, const MeasurementRecord& y) {
  return x.workload == y.workload && x.implementation == y.implementation && x.device == y.device &&
         x.precision == y.precision && x.problem == y.problem;
}

const MeasurementRecord* find_in(const ResultsDocument& doc, const MeasurementRecord& r) {
  for (const auto& x : doc.measurements) {
    if (same_measurement(x, r)) return &x;
  }
  return nullptr;
}

std::string signed_percent(double fraction) { return fmt::format("{:+.1f}%", 100 * fraction); }

}  // namespace

MannWhitney mann_whitney_u(std::span<const double> a, std::span<const double> b) {
  const std::size_t n1 = a.size(), n2 = b.size(), n = n1 + n2;
  if (n1 == 0 || n2 == 0) return {};
  // Ranks of the pooled samples, ties sharing their mean rank.
  std::vector<std::pair<double, bool>> pooled;  // (value, from a)
  for (double x : a) pooled.emplace_back(x, true);
  for (double x : b) pooled.emplace_back(x, false);
  std::sort(pooled.begin(), pooled.end());
  double rank_sum_a = 0, tie_term = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
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

Judgement judge(std::span<const double> a, std::span<const double> b, const CompareRule& rule) {
  Judgement j;
  if (a.empty() || b.empty()) {
    j.reason = "no samples";
    return j;
  }
  j.time_ratio = compute_statistics(b).median / compute_statistics(a).median;
  if (a.size() < rule.min_samples || b.size() < rule.min_samples) {
    j.reason = fmt::format("too few samples ({} and {}; the test needs {} each)", a.size(),
                           b.size(), rule.min_samples);
    return j;
  }
  j.p_value = mann_whitney_u(a, b).p_value;
  const double change = j.time_ratio - 1;
  if (std::fabs(change) < rule.same_below) {
    j.verdict = Change::same;
  } else if (*j.p_value < rule.alpha) {
    j.verdict = change < 0 ? Change::faster : Change::slower;
  } else {
    j.reason = "the samples overlap too much to tell";
  }
  return j;
}

CompareResult compare_results(const ResultsDocument& a, const ResultsDocument& b,
                              const CompareRule& rule) {
  CompareResult result;
  double log_sum = 0;
  std::size_t logs = 0;
  for (const auto& ra : a.measurements) {
    const MeasurementRecord* rb = find_in(b, ra);
    if (!rb) {
      result.only_a.push_back(&ra);
      continue;
    }
    Comparison c{&ra, rb, {}};
    if (!passed(ra) || !passed(*rb)) {
      c.judgement.reason =
          fmt::format("A {}, B {}", to_string(ra.disposition), to_string(rb->disposition));
    } else {
      c.judgement = judge(ra.samples_s, rb->samples_s, rule);
      if (c.judgement.time_ratio > 0) {
        log_sum += std::log(c.judgement.time_ratio);
        ++logs;
      }
    }
    result.matched.push_back(std::move(c));
  }
  for (const auto& rb : b.measurements) {
    if (!find_in(a, rb)) result.only_b.push_back(&rb);
  }
  result.geomean_of = logs;
  if (logs > 0) result.geomean_time_ratio = std::exp(log_sum / static_cast<double>(logs));
  return result;
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

std::string compare_text(const CompareResult& result, const CompareRule& rule) {
  Table t;
  t.columns = {{"workload"}, {"precision"},      {"implementation"}, {"device"},
               {"problem"},  {"A median", true}, {"B median", true}, {"time change", true},
               {"p", true},  {"verdict"}};
  std::map<Change, int> counts;
  for (const auto& c : result.matched) {
    const auto& j = c.judgement;
    const auto median = [](const MeasurementRecord& r) {
      return median_s(r) ? duration(*median_s(r)) : std::string(to_string(r.disposition));
    };
    t.rows.push_back({display_name(c.a->workload, c.a->precision),
                      std::string(to_string(c.a->precision)), c.a->implementation,
                      c.a->device.label(), c.a->problem.label(), median(*c.a), median(*c.b),
                      j.time_ratio > 0 ? signed_percent(j.time_ratio - 1) : "-",
                      j.p_value ? fmt::format("{:.2g}", *j.p_value) : "-",
                      j.reason.empty() ? std::string(to_string(j.verdict))
                                       : fmt::format("{} ({})", to_string(j.verdict), j.reason)});
    ++counts[j.verdict];
  }
  std::string out = t.plain();
  const auto list = [&](std::string_view title, const std::vector<const MeasurementRecord*>& rs) {
    if (rs.empty()) return;
    out += fmt::format("\n{}:\n", title);
    for (const auto* r : rs) {
      out += fmt::format("  {}, {} ({})\n", where(*r), to_string(r->precision),
                         to_string(r->disposition));
    }
  };
  list("only in A", result.only_a);
  list("only in B", result.only_b);

  std::vector<std::string> tally;
  for (const auto v : {Change::faster, Change::slower, Change::same, Change::inconclusive}) {
    tally.push_back(fmt::format("{} {}", counts[v], to_string(v)));
  }
  out += fmt::format("\n{} matched: {}; {} only in A, {} only in B\n", result.matched.size(),
                     fmt::join(tally, ", "), result.only_a.size(), result.only_b.size());
  if (result.geomean_time_ratio) {
    const double g = *result.geomean_time_ratio;
    out += fmt::format(
        "geometric mean of median time B/A over the {} passed in both: {:.3f} ({} time)\n",
        result.geomean_of, g, signed_percent(g - 1));
  }
  out += fmt::format(
      "verdict: |time change| < {:.0f}% is same; otherwise faster or slower when a two-sided "
      "Mann-Whitney U test on the samples gives p < {:g} (at least {} samples each), else "
      "inconclusive\n",
      rule.same_below * 100, rule.alpha, rule.min_samples);
  return out;
}

}  // namespace flopbench
