#pragma once

// Acceptance metrics over a burn-in (`flopbench burn`) and a GPU memory test (`flopbench
// memtest`): the `burn` and `memtest` sections of results.json (docs/acceptance.md, "Burn-in and
// memory test metrics"). All are plain numbers (Quantity::count):
//   burn.faulty, .degraded, .unsupported
//                                       device burns with that verdict
//   burn.duration_s                     how long the burn ran: of each precision's devices the
//                                       longest, the shortest precision's
//   burn.telemetry_stopped              1 where the GPU telemetry source stopped answering
//   burn.<device>.faulty, .degraded     that device's burns with that verdict
//   burn.<device>.throughput_drop       the fraction its throughput fell from the first quarter
//                                       of the burn to the last (the worst precision's)
//   burn.<device>.throttled_readings    its telemetry readings with a throttling reason
//   memtest.bad_words, memtest.failed   bad words over every GPU; GPUs that did not pass
//   memtest.<gpu>.bad_words             one GPU's bad words
// <device> is cpu, gpu<N>, or gpu (every GPU burned or tested, each judged on its own; of a row
// keyed to a GPU model, that model's).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/results.hpp"
#include "reports/acceptance/metric.hpp"

namespace flopbench {

bool is_burn_metric(std::string_view name);  // starts with "burn." or "memtest."
// Throws InputError naming what is wrong with the name.
Metric parse_burn_metric(std::string_view name);

// A metric's value, per device where the metric names `gpu`.
struct FactValue {
  std::string name;  // the metric, with `gpu` replaced by the device judged
  std::optional<double> value;
  std::string why_not;  // when there is no value; with one, what a miss should say of it
};
// `row_gpus`: for a row keyed to a GPU model, the indices of the GPUs a `gpu` metric is judged on
// where the burn (memory test) ran them (empty: none of them, as where CUDA sees no GPU); nullopt
// for a row that applies to any machine: every GPU it ran. The totals count every device.
std::vector<FactValue> burn_metric_values(const ResultsDocument& doc, const Metric& m,
                                          const std::optional<std::vector<int>>& row_gpus);

}  // namespace flopbench
