#pragma once

// report.html: one self-contained page (inline CSS and SVG, no script, no network reference) that
// shows a run at a glance and prints on A4. Like every output, it is generated from the
// ResultsDocument alone. The page pieces (document frame, bar charts) are shared with the
// performance sheet (reports/sheet.hpp).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reports/output_files.hpp"

namespace flopbench {

class HtmlPrinter final : public Printer {
 public:
  HtmlPrinter() : Printer("report.html") {}

 protected:
  std::string do_print(const ResultsDocument& doc) const override;
};

// A complete HTML page: doctype, UTF-8, the shared stylesheet plus `css`, then `body`.
std::string html_page(std::string_view lang, std::string_view title, std::string_view css,
                      std::string_view body);

// What a bar shows, which sets its colour: work on the CPU, work on a GPU, or a ratio.
enum class BarKind { cpu, gpu, ratio };

struct Bar {
  std::string label;
  double value = 0;        // > 0
  std::string value_text;  // printed after the bar
  BarKind kind = BarKind::cpu;
};

struct BarChart {
  std::string title;  // the chart's accessible name
  std::string axis;   // the unit of the value axis, e.g. "GFLOP/s"
  std::vector<Bar> bars;
  std::optional<double> marker;  // a reference value drawn as a dashed line (100 %, 1×)
};

// Horizontal bar chart as inline SVG. The axis is logarithmic when the values span more than
// kLogScaleRange (a linear axis would flatten the small ones to nothing), linear from 0 otherwise.
inline constexpr double kLogScaleRange = 30;
std::string bar_chart_svg(const BarChart& chart);

}  // namespace flopbench
