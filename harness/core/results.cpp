#include "harness/core/results.hpp"

#include <fmt/format.h>

namespace flopbench {

std::string contention_figures(const MachineLoad& l) {
  return fmt::format(
      "other processes used {:.2f} CPUs and steal {:.2f} (medians of {} readings; max {:.2f} and "
      "{:.2f}), load average {:.2f}",
      l.other_cpus.median, l.steal_cpus.median, l.readings, l.other_cpus.max, l.steal_cpus.max,
      l.load_average.median);
}

}  // namespace flopbench
