#pragma once

// The parts of report.md and report.html that show a burn-in (`flopbench burn`) and a GPU memory
// test (`flopbench memtest`): verdict tables, and for a burn the time series of throughput and,
// on GPUs, SM clock, temperature and power as inline SVG line charts.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/core/results.hpp"

namespace flopbench {

// What keeps a burn from passing, a line each: its run interrupted or unfinished (a precision
// after the interrupt has no devices to show it), no device at all, a device not OK ("gpu1 FP64
// FAULTY: iteration 7: ..."), one that burned less than the duration, GPU telemetry that stopped.
// Empty: the burn passed.
std::vector<std::string> burn_problems(const BurnResult& burn, const RunInfo& run);
// The same for a memory test: its run interrupted or unfinished, no GPU tested, a GPU not passed
// ("gpu0 FAIL: 12 bad words, ecc.corrected_volatile rose from 0 to 3", "gpu1 INCOMPLETE: no
// complete pass of every pattern").
std::vector<std::string> memtest_problems(const MemtestResult& memtest, const RunInfo& run);

// The headline of a burn's and of a memory test's results, as report.md and report.html lead with
// it and `flopbench report` prints it: "FAIL: 2 device burns of 600 s each: 1 OK, 1 FAULTY, ...",
// "PASS: 1 GPU tested for up to 60 s each: 1 PASS, 0 FAIL.".
std::string burn_summary(const BurnResult& burn, const RunInfo& run);
std::string memtest_summary(const MemtestResult& memtest, const RunInfo& run);

// The burn's part of report.md and report.html: PASS, FAIL or INCOMPLETE with the counts, the
// verdict table, and in HTML the charts. `run` says whether the burn was interrupted.
std::string burn_markdown_section(const BurnResult& burn, const RunInfo& run);
std::string burn_html_section(const BurnResult& burn, const RunInfo& run);
// The memory test's: PASS, FAIL or INCOMPLETE with the counts, the table of GPUs and their first
// bad words.
std::string memtest_markdown_section(const MemtestResult& memtest, const RunInfo& run);
std::string memtest_html_section(const MemtestResult& memtest, const RunInfo& run);

// "12.0 GiB of 16.0 GiB asked" where the test had less memory than it asked for, else
// "16.0 GiB"; with `decimals` digits after the point.
std::string memtest_size_text(const MemtestDevice& d, int decimals);
// The memory-error counts that rose during the test ("ecc.corrected_volatile 0 to 3") and why
// the ECC counts could not be compared, "; "-separated; "none rose" when neither.
std::string memtest_memory_errors_text(const MemtestDevice& d);

struct TimeSeries {
  std::string label;                              // "gpu0", "cpu"
  std::vector<std::pair<double, double>> points;  // (seconds since the start, value)
};

// A line chart of values against time, both axes linear, the value axis from 0, the time axis to
// at least `t_end` (so that the charts of one burn line up); one line per series with a legend.
// "" when no series has a point.
std::string time_series_svg(std::string_view title, std::string_view unit,
                            const std::vector<TimeSeries>& series, double t_end = 0);

}  // namespace flopbench
