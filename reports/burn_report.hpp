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

std::string burn_markdown_section(const BurnResult& burn);
std::string burn_html_section(const BurnResult& burn);
std::string memtest_markdown_section(const MemtestResult& memtest);
std::string memtest_html_section(const MemtestResult& memtest);

struct TimeSeries {
  std::string label;                              // "gpu0", "cpu"
  std::vector<std::pair<double, double>> points;  // (seconds since the start, value)
};

// A line chart of values against time, both axes linear, the value axis from 0; one line per
// series with a legend. "" when no series has a point.
std::string time_series_svg(std::string_view title, std::string_view unit,
                            const std::vector<TimeSeries>& series);

}  // namespace flopbench
