// Reports for people: report.html (parsed and checked, rendered by headless Chromium where it is
// installed), the performance sheet in English and Chinese, and `flopbench compare`'s verdicts
// on sample sets with known answers.
//
// The documents are built from the synthetic run of tests/test_reports.cpp, read back from its
// golden results.json. Regenerate this file's golden files after an intended change with
//   FLOPBENCH_UPDATE_GOLDEN=1 ./test_html_sheet_compare
// and review the diff.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "harness/core/types.hpp"
#include "process.hpp"
#include "reports/chromium.hpp"
#include "reports/compare.hpp"
#include "reports/format.hpp"
#include "reports/html_report.hpp"
#include "reports/output_files.hpp"
#include "reports/results_json.hpp"
#include "reports/sheet.hpp"
#include "tests/golden.hpp"
#include "tests/test_support.hpp"

namespace flopbench {
namespace {

namespace fs = std::filesystem;
using testing::read_text;
using testing::TempDir;

const fs::path kDataDir = FLOPBENCH_TEST_DATA_DIR;
const fs::path kGoldenDir = kDataDir / "golden" / "html_sheet";

void expect_golden(const std::string& name, const std::string& actual) {
  testing::expect_golden(kGoldenDir, name, actual);
}

// ---- documents ------------------------------------------------------------------------------

// A measurement as if its every run took `factor` times as long: its samples, their statistics
// and the rates they give (a reader refuses a file where these disagree).
void stretch_times(MeasurementRecord& m, double factor) {
  for (auto* times : {&m.samples_s, &m.host_wall_s}) {
    for (double& t : *times) t *= factor;
  }
  if (m.stats) {
    for (double* t :
         {&m.stats->median, &m.stats->min, &m.stats->max, &m.stats->mean, &m.stats->stddev}) {
      *t *= factor;
    }
  }
  for (auto* rate : {&m.gflops, &m.gbytes_per_s, &m.percent_of_peak}) {
    if (*rate) **rate /= factor;
  }
}

// The synthetic run: one GPU (gpu0), CPU and GPU measurements, every disposition.
ResultsDocument base_document() {
  return read_results_file(kDataDir / "golden" / "reports" / "results.json");
}

// Two GPUs, each with a passed SGEMM, and an acceptance verdict.
ResultsDocument two_gpu_document() {
  ResultsDocument doc = base_document();
  GpuDevice second = doc.environment.gpu.devices.at(0);
  second.index = 1;
  second.pci_bus_id = "0000:65:00.0";
  doc.environment.gpu.devices.push_back(second);
  MeasurementRecord gemm = doc.measurements.at(2);  // SGEMM cublas on gpu0, 256^3
  EXPECT_EQ(gemm.implementation, "cublas");
  gemm.device = DeviceRef::gpu({1});
  stretch_times(gemm, 2);
  doc.measurements.push_back(gemm);

  AcceptanceResult a;
  a.spec = "specs/h100.toml";
  a.checked_utc = "2025-01-02T04:00:00Z";
  a.criteria.push_back({"gpu.sgemm.cublas.tflops", ">=", "0.01 * peak", 1.678, 0.669, "TFLOPS",
                        150.8, Severity::fail, Verdict::pass, "", "SGEMM reaches 1% of peak"});
  a.criteria.push_back({"cpu.stream.fp64.gbytes_per_s", ">=", "100", std::nullopt, 100.0, "GB/s",
                        std::nullopt, Severity::fail, Verdict::fail, "not measured", ""});
  a.passed = false;
  doc.acceptance = a;
  return doc;
}

// A machine without a GPU: the GPU measurements were unsupported.
ResultsDocument cpu_only_document() {
  ResultsDocument doc = base_document();
  doc.environment.gpu.devices.clear();
  doc.environment.gpu.driver_version = "";
  doc.environment.gpu.no_device_reason = "no NVIDIA driver is installed or loaded";
  for (auto& r : doc.measurements) {
    if (!on_gpu(r)) continue;
    r.disposition = Disposition::unsupported;
    r.reason = "no CUDA device";
    r.samples_s.clear();
    r.host_wall_s.clear();
    r.stats.reset();
    r.gflops.reset();
    r.gbytes_per_s.reset();
    r.percent_of_peak.reset();
    r.verification.reset();
  }
  return doc;
}

// ---- a small HTML parser: enough to check that our pages are well formed ------------------------

struct Element {
  std::string tag;
  std::map<std::string, std::string> attributes;
  std::vector<Element> children;
  std::string text;  // the text directly inside, entities decoded

  // Every text inside, in document order.
  std::string all_text() const {
    std::string out = text;
    for (const auto& c : children) out += c.all_text();
    return out;
  }
  template <class F>
  void visit(F&& f) const {
    f(*this);
    for (const auto& c : children) c.visit(f);
  }
  std::vector<const Element*> find_all(const std::string& name) const {
    std::vector<const Element*> out;
    visit([&](const Element& e) {
      if (e.tag == name) out.push_back(&e);
    });
    return out;
  }
};

std::string decode_entities(const std::string& s) {
  static const std::map<std::string, std::string> kEntities = {
      {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}};
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    bool replaced = false;
    if (s[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (s.compare(i, entity.size(), entity) == 0) {
          out += c;
          i += entity.size();
          replaced = true;
          break;
        }
      }
      EXPECT_TRUE(replaced) << "unknown or bare & at " << s.substr(i, 20);
    }
    if (!replaced) out += s[i++];
  }
  return out;
}

// Parses a whole page; fails the test on a tag that does not close, a stray end tag or an
// unquoted attribute.
Element parse_html(const std::string& html) {
  static const std::vector<std::string> kVoid = {"meta", "br", "line", "rect", "link", "img"};
  Element root;
  std::vector<Element*> open = {&root};
  std::size_t i = 0;
  const auto starts = [&](std::string_view s) { return html.compare(i, s.size(), s) == 0; };
  if (starts("<!DOCTYPE html>")) i = html.find('>') + 1;
  while (i < html.size()) {
    if (html[i] != '<') {
      const std::size_t end = std::min(html.find('<', i), html.size());
      open.back()->text += decode_entities(html.substr(i, end - i));
      i = end;
      continue;
    }
    const std::size_t close = html.find('>', i);
    if (close == std::string::npos) {
      ADD_FAILURE() << "unterminated tag at " << i;
      break;
    }
    std::string tag = html.substr(i + 1, close - i - 1);
    i = close + 1;
    if (tag.starts_with("/")) {
      const std::string name = tag.substr(1);
      if (open.size() < 2 || open.back()->tag != name) {
        ADD_FAILURE() << "</" << name << "> closes <" << open.back()->tag << ">";
        break;
      }
      open.pop_back();
      continue;
    }
    const bool self_closing = tag.ends_with("/");
    if (self_closing) tag.pop_back();
    Element e;
    std::size_t p = tag.find_first_of(" \n");
    e.tag = tag.substr(0, p);
    while (p != std::string::npos && p < tag.size()) {
      p = tag.find_first_not_of(" \n", p);
      if (p == std::string::npos) break;
      const std::size_t eq = tag.find('=', p);
      if (eq == std::string::npos || eq + 1 >= tag.size() || tag[eq + 1] != '"') {
        ADD_FAILURE() << "unquoted attribute in <" << tag << ">";
        break;
      }
      const std::size_t end = tag.find('"', eq + 2);
      e.attributes[tag.substr(p, eq - p)] = decode_entities(tag.substr(eq + 2, end - eq - 2));
      p = end + 1;
    }
    const bool is_void = std::find(kVoid.begin(), kVoid.end(), e.tag) != kVoid.end();
    if (e.tag == "style") {  // raw text up to its end tag
      const std::size_t end = html.find("</style>", i);
      e.text = html.substr(i, end - i);
      i = end + 8;
      open.back()->children.push_back(std::move(e));
    } else if (self_closing || is_void) {
      open.back()->children.push_back(std::move(e));
    } else {
      open.back()->children.push_back(std::move(e));
      open.push_back(&open.back()->children.back());
    }
  }
  EXPECT_EQ(open.size(), 1u) << "unclosed <" << open.back()->tag << ">";
  return root;
}

// The cells of every table row, as text.
std::vector<std::vector<std::string>> table_rows(const Element& page) {
  std::vector<std::vector<std::string>> rows;
  for (const auto* tr : page.find_all("tr")) {
    rows.emplace_back();
    for (const auto& cell : tr->children) rows.back().push_back(cell.all_text());
  }
  return rows;
}

// Nothing in the page may make a browser reach out: no scripts, links, images, frames or
// remote styles, and no URL at all.
void expect_self_contained(const std::string& html, const Element& page) {
  for (const char* tag : {"script", "link", "img", "iframe", "object", "embed", "base"}) {
    EXPECT_TRUE(page.find_all(tag).empty()) << "<" << tag << "> in the page";
  }
  page.visit([](const Element& e) {
    for (const char* attr : {"src", "href", "xlink:href", "action"}) {
      EXPECT_FALSE(e.attributes.contains(attr)) << attr << " on <" << e.tag << ">";
    }
  });
  for (const char* s : {"http:", "https:", "//", "url(", "@import", "@font-face"}) {
    EXPECT_EQ(html.find(s), std::string::npos) << s << " in the page";
  }
}

// ---- report.html ------------------------------------------------------------------------------

TEST(HtmlReport, IsWellFormedAndSelfContained) {
  const std::string html = HtmlPrinter().print(two_gpu_document());
  const Element page = parse_html(html);
  expect_self_contained(html, page);
  ASSERT_EQ(page.find_all("html").size(), 1u);
  EXPECT_EQ(page.find_all("html")[0]->attributes.at("lang"), "en");
  ASSERT_EQ(page.find_all("meta").size(), 2u);
  EXPECT_EQ(page.find_all("meta")[0]->attributes.at("charset"), "utf-8");
  EXPECT_NE(html.find("@media print"), std::string::npos);
  EXPECT_NE(html.find("size: A4"), std::string::npos);
}

// The results table of each group: the table right after the group's heading.
std::map<std::string, const Element*> group_tables(const Element& page) {
  std::map<std::string, const Element*> tables;
  const Element* body = page.find_all("body").at(0);
  for (std::size_t i = 0; i + 1 < body->children.size(); ++i) {
    const auto& e = body->children[i];
    if (e.tag == "h3" && body->children[i + 1].tag == "table") {
      tables[e.all_text()] = &body->children[i + 1];
    }
  }
  return tables;
}

TEST(HtmlReport, EveryMeasurementIsInItsTable) {
  const ResultsDocument doc = two_gpu_document();
  const Element page = parse_html(HtmlPrinter().print(doc));
  const auto tables = group_tables(page);
  for (const auto& r : doc.measurements) {
    SCOPED_TRACE(where(r));
    const std::string title = workload_title(r.workload, r.precision);
    ASSERT_TRUE(tables.contains(title));
    const auto rows = table_rows(*tables.at(title));
    const auto matches = std::count_if(rows.begin(), rows.end(), [&](const auto& row) {
      return row.size() > 4 && row[0] == r.problem.label() && row[1] == r.implementation &&
             row[2] == r.device.label() && row.back() == result_text(r);
    });
    EXPECT_EQ(matches, 1);
    const auto median = std::count_if(rows.begin(), rows.end(), [&](const auto& row) {
      return row[0] == r.problem.label() && row[2] == r.device.label() &&
             row[3] == (median_s(r) ? duration(*median_s(r)) : "-");
    });
    EXPECT_GE(median, 1);
  }
}

TEST(HtmlReport, ChartsShowEveryPassedThroughputAndPeak) {
  const ResultsDocument doc = two_gpu_document();
  const Element page = parse_html(HtmlPrinter().print(doc));
  std::vector<std::string> titles;
  for (const auto* t : page.find_all("title")) titles.push_back(t->all_text());
  for (const auto& r : doc.measurements) {
    if (!median_s(r)) continue;
    SCOPED_TRACE(where(r));
    const std::string bar = fmt::format("{} · {} · {}: {}", r.implementation, r.device,
                                        r.problem.label(), throughput(headline(r)));
    EXPECT_NE(std::find(titles.begin(), titles.end(), bar), titles.end()) << bar;
    if (r.percent_of_peak) {
      const std::string peak =
          fmt::format("{} {}: {}", workload_title(r.workload, r.precision),
                      bar.substr(0, bar.find(':')), percent(r.percent_of_peak));
      EXPECT_NE(std::find(titles.begin(), titles.end(), peak), titles.end()) << peak;
    }
  }
  // SGEMM spans 2.5 ms to 20 us: more than kLogScaleRange, so its axis is logarithmic.
  const auto svgs = page.find_all("svg");
  EXPECT_GE(svgs.size(), 5u);
  EXPECT_TRUE(std::any_of(svgs.begin(), svgs.end(), [](const Element* s) {
    return s->all_text().find("GFLOP/s (log scale)") != std::string::npos &&
           s->attributes.at("aria-label") == "Throughput of SGEMM (fp32)";
  }));
}

// Figures near the largest double (a corrupt file's 1.7e308 GFLOP/s and % of peak) still give
// charts: a linear axis (every bar alike), rounded up, would pass infinity, and its ticks were
// counted without end.
TEST(HtmlReport, FiguresNearTheLargestDoubleStillChart) {
  ResultsDocument doc = base_document();
  for (MeasurementRecord& r : doc.measurements) {
    if (r.gflops) r.gflops = 1.7e308;
    if (r.percent_of_peak) r.percent_of_peak = 1.7e308;
  }
  const Element page = parse_html(HtmlPrinter().print(doc));
  const auto svgs = page.find_all("svg");
  EXPECT_GE(svgs.size(), 2u);
}

// The marker (1×) is on the axis where every bar is beyond it, at the tick of its value, and
// the smallest bar is drawn from it: held to an axis starting at the bars' 10× it read as "10".
TEST(HtmlReport, AMarkerBelowEveryBarIsOnTheAxisAtItsValue) {
  const BarChart chart{
      .title = "speedups",
      .axis = "speedup",
      .bars = {{"int8", 10, "10.00×", BarKind::gpu}, {"fp8", 1000, "1000×", BarKind::gpu}},
      .marker = 1};
  const std::string svg = bar_chart_svg(chart);
  std::smatch marker, tick, rect;
  ASSERT_TRUE(std::regex_search(svg, marker, std::regex("<line class=\"marker\" x1=\"([0-9.]+)\"")))
      << svg;
  ASSERT_TRUE(std::regex_search(svg, tick,
                                std::regex("<text x=\"([0-9.]+)\" y=\"[0-9.]+\" "
                                           "text-anchor=\"middle\">1</text>")))
      << svg;
  EXPECT_EQ(marker[1], tick[1]) << svg;
  ASSERT_TRUE(std::regex_search(svg, rect, std::regex("width=\"([0-9.]+)\" height")));
  EXPECT_GT(std::stod(rect[1]), 100) << svg;  // the 10× bar: a decade of the plot's width
}

// A figure of a slow device or a tiny problem keeps its digits: 0.000123 GB/s read "0.000", and
// 0.0019 "0.002" (or, rounded down on the sheet, "0.001").
TEST(Reports, ShortNumbersKeepThreeSignificantDigitsBelowOne) {
  EXPECT_EQ(short_number(1234.5), "1234");
  EXPECT_EQ(short_number(12.345), "12.3");
  EXPECT_EQ(short_number(0.5), "0.500");
  EXPECT_EQ(short_number(0.05), "0.0500");
  EXPECT_EQ(short_number(0.0019), "0.00190");
  EXPECT_EQ(short_number(0.00099), "0.000990");
  EXPECT_EQ(short_number(0.00012345), "0.000123");
  EXPECT_EQ(short_number(-0.00012345), "-0.000123");
  EXPECT_EQ(short_number(2.5e-8), "0.000000025");
  EXPECT_EQ(short_number(1e-12), "0.000000000");
  EXPECT_EQ(short_number(0), "0.000");
  EXPECT_EQ(throughput(Throughput{0.00045678, "GB/s"}), "0.000457 GB/s");
}

// Each axis labels its ticks in one notation: "{:g}" alone gave a sweep's sizes as "100000" and
// then "1e+06".
TEST(HtmlReport, EachAxisLabelsItsTicksInOneNotation) {
  using Labels = std::vector<std::string>;
  EXPECT_EQ(tick_labels({1e3, 1e4, 1e5, 1e6, 1e7}), (Labels{"1e3", "1e4", "1e5", "1e6", "1e7"}));
  EXPECT_EQ(tick_labels({0, 5e5, 1e6, 1.5e6, 2e6}), (Labels{"0", "5e5", "1e6", "1.5e6", "2e6"}));
  EXPECT_EQ(tick_labels({1e-6, 1e-5, 1e-4}), (Labels{"1e-6", "1e-5", "1e-4"}));
  EXPECT_EQ(tick_labels({999999.99, 2e6}), (Labels{"1e6", "2e6"}));
  // Where no tick needs an exponent, they print as they are.
  EXPECT_EQ(tick_labels({0, 20, 40, 60}), (Labels{"0", "20", "40", "60"}));
  EXPECT_EQ(tick_labels({0, 0.5, 1, 100000}), (Labels{"0", "0.5", "1", "100000"}));
}

// A label longer than the chart's label column widens the chart rather than being cut at the
// SVG's edge; a % of a measured ceiling (no theoretical peak known) is no bar of the peak chart.
TEST(HtmlReport, LongLabelsWidenTheChartAndMeasuredCeilingsAreNoPeaks) {
  ResultsDocument doc = two_gpu_document();
  const auto with_peak =
      std::find_if(doc.measurements.begin(), doc.measurements.end(),
                   [](const MeasurementRecord& r) { return median_s(r) && r.percent_of_peak; });
  ASSERT_NE(with_peak, doc.measurements.end());
  const std::string ceiling_title =
      fmt::format("{} {} · {} · {}: {}", workload_title(with_peak->workload, with_peak->precision),
                  with_peak->implementation, with_peak->device, with_peak->problem.label(),
                  percent(with_peak->percent_of_peak));
  with_peak->peak.basis = std::string(Peak::kMeasuredCeiling) + "the peak workload's best rate";
  auto& other = *std::find_if(with_peak + 1, doc.measurements.end(),
                              [](const MeasurementRecord& r) { return median_s(r).has_value(); });
  other.implementation = std::string(70, 'x');
  const Element page = parse_html(HtmlPrinter().print(doc));
  for (const auto* t : page.find_all("title")) EXPECT_NE(t->all_text(), ceiling_title);
  int long_labels = 0;
  for (const auto* svg : page.find_all("svg")) {
    for (const auto* text : svg->find_all("text")) {
      const std::string label = text->all_text();
      if (label.find(other.implementation) == std::string::npos || text->attributes.count("x") == 0)
        continue;
      ++long_labels;
      // Right-aligned at x: some 6 px per character must fit left of it.
      EXPECT_GE(std::stod(text->attributes.at("x")), 6.0 * static_cast<double>(label.size() - 4))
          << label;
      EXPECT_GT(std::stod(svg->attributes.at("width")), 760) << label;
    }
  }
  EXPECT_GT(long_labels, 0);
}

// The peak workload has no display name per precision: its FP32 and FP64 bars, on one device at
// one size, must still read apart.
TEST(HtmlReport, NoTwoBarsOfAChartReadAlike) {
  ResultsDocument doc = base_document();
  MeasurementRecord peak = doc.measurements.at(0);  // SGEMM omp on cpu, with a % of peak
  ASSERT_TRUE(peak.percent_of_peak);
  peak.workload = WorkloadId::peak;
  doc.measurements.push_back(peak);
  peak.precision = Precision::fp64;
  *peak.percent_of_peak *= 2;
  doc.measurements.push_back(peak);
  const Element page = parse_html(HtmlPrinter().print(doc));
  int charts = 0;
  for (const auto* svg : page.find_all("svg")) {
    SCOPED_TRACE(svg->attributes.at("aria-label"));
    std::set<std::string> labels;
    for (const auto* title : svg->find_all("title")) {
      const std::string t = title->all_text();
      EXPECT_TRUE(labels.insert(t.substr(0, t.rfind(':'))).second) << t;
    }
    ++charts;
  }
  EXPECT_GE(charts, 5);
  const std::string html = HtmlPrinter().print(doc);
  EXPECT_NE(html.find("<title>peak (fp64) omp · cpu · "), std::string::npos);
}

// A sweep times each GPU measurement three ways (device time, end to end from pinned and from
// pageable memory): the bars and table rows of one implementation must say which is which.
TEST(HtmlReport, AGpuMeasurementTimedEndToEndReadsApart) {
  ResultsDocument doc = two_gpu_document();
  const auto device_timed = std::ranges::find_if(doc.measurements, [](const MeasurementRecord& r) {
    return r.implementation == "cublas" && r.device == DeviceRef::gpu({0});
  });
  ASSERT_NE(device_timed, doc.measurements.end());
  const MeasurementRecord twin = *device_timed;  // the vector grows below
  MeasurementRecord end_to_end = twin;
  end_to_end.timing = "end_to_end_pinned";
  end_to_end.notes = {"transfers included"};
  end_to_end.percent_of_peak.reset();  // no arithmetic peak bounds transfers and launch
  *end_to_end.gflops /= 3;
  doc.measurements.push_back(end_to_end);
  const std::string html = HtmlPrinter().print(doc);
  const Element page = parse_html(html);  // find_all points into it
  for (const auto* svg : page.find_all("svg")) {
    std::set<std::string> labels;
    for (const auto* title : svg->find_all("title")) {
      const std::string t = title->all_text();
      EXPECT_TRUE(labels.insert(t.substr(0, t.rfind(':'))).second) << t;
    }
  }
  EXPECT_NE(html.find("<title>cublas, end to end from pinned host memory · gpu0 · 256x256x256"),
            std::string::npos);
  EXPECT_NE(html.find("cublas, end to end from pinned host memory on gpu0, 256x256x256: "
                      "transfers included"),
            std::string::npos);
  // A speedup is of device time: an end-to-end record, even one faster than its device-timed
  // twin (no such run exists, but a left-out twin would leave it alone), is not its GPU side.
  ResultsDocument faster_end_to_end = doc;
  MeasurementRecord& e2e = faster_end_to_end.measurements.back();
  e2e.samples_s = {twin.samples_s.front() / 4};
  e2e.stats->median = twin.stats->median / 4;
  *e2e.gflops = *twin.gflops * 4;
  const auto groups = groups_of(faster_end_to_end);
  for (const Matchup& m : gpu_vs_cpu(groups)) {
    EXPECT_EQ(m.gpu->timing, twin.timing) << group_title(*m.group);
  }
  // Its row of the reference ratios (Relative to OpenBLAS) names it so too.
  const std::string md = MarkdownPrinter().print(doc);
  const auto row = md.find("| cublas, end to end from pinned host memory | gpu0",
                           md.find("### Relative to OpenBLAS"));
  ASSERT_NE(row, std::string::npos) << md;
  EXPECT_NE(md.substr(row, md.find('\n', row) - row).find(" 559 GFLOP/s |"), std::string::npos)
      << md;
}

TEST(HtmlReport, GpuVsCpuSpeedups) {
  const ResultsDocument doc = two_gpu_document();
  const std::string html = HtmlPrinter().print(doc);
  const auto rows = table_rows(parse_html(html));
  // SGEMM 256^3: cublas on gpu0 at 20 us against openblas at 1 ms.
  const std::vector<std::string> expected = {"SGEMM (fp32)", "256x256x256",    "cublas (gpu0)",
                                             "1678 GFLOP/s", "openblas (cpu)", "33.6 GFLOP/s",
                                             "50.00×"};
  EXPECT_NE(std::find(rows.begin(), rows.end(), expected), rows.end());
  EXPECT_NE(html.find("<title>SGEMM (fp32) 256x256x256: 50.00×</title>"), std::string::npos);
  EXPECT_EQ(html.find("No CUDA device"), std::string::npos);
}

// A speedup whose side was contended (or ran on fewer threads, or above its peak) says so beside
// that side's figure, not only in the results table far below.
TEST(HtmlReport, ASpeedupsQualifiedSideIsFlaggedBesideIt) {
  ResultsDocument doc = two_gpu_document();
  for (auto& r : doc.measurements) {
    if (r.implementation == "openblas" && r.workload == WorkloadId::gemm)
      r.load = MachineLoad{.readings = 5, .contended = true};
  }
  const auto rows = table_rows(parse_html(HtmlPrinter().print(doc)));
  const std::vector<std::string> expected = {"SGEMM (fp32)",   "256x256x256",
                                             "cublas (gpu0)",  "1678 GFLOP/s",
                                             "openblas (cpu)", "33.6 GFLOP/s (contended)",
                                             "50.00×"};
  EXPECT_NE(std::find(rows.begin(), rows.end(), expected), rows.end());
  EXPECT_NE(MarkdownPrinter().print(doc).find("| 33.6 GFLOP/s (contended) |"), std::string::npos);
}

// Each profile sizes a problem to fill its device (GEMM 8192 on a data-centre GPU, 1024 on the
// CPU), so a default run has no problem in common: its speedup is of each side's best
// throughput, at its own size. The FMA peak's kernels count their own work, which differs between
// the devices at one problem label: its speedup is of throughputs too, never of medians.
TEST(HtmlReport, DevicesWithNoProblemInCommonCompareTheirBestThroughputs) {
  ResultsDocument doc = base_document();
  MeasurementRecord& cublas = doc.measurements.at(2);  // SGEMM cublas on gpu0, 256^3
  ASSERT_EQ(cublas.implementation, "cublas");
  cublas.problem = Problem::matrix(8192, 8192, 8192);
  cublas.gflops = 50000;
  const auto peak_on = [&](DeviceRef device, double gflops, double median) {
    MeasurementRecord r = doc.measurements.at(7);  // sum omp on the CPU, passed
    EXPECT_EQ(r.workload, WorkloadId::sum);
    r.workload = WorkloadId::peak;
    r.implementation = device.on_gpu() ? "cuda" : "omp";
    r.device = device;
    r.problem = Problem::vector(std::int64_t{1} << 21);
    r.gflops = gflops;
    r.gbytes_per_s.reset();
    r.percent_of_peak.reset();
    r.stats->median = median;
    doc.measurements.push_back(r);
  };
  // The GPU's peak is 100 x the CPU's though its median is twice as long: it did 200 x the work.
  peak_on(DeviceRef::cpu(), 100, 0.01);
  peak_on(DeviceRef::gpu({0}), 10000, 0.02);

  const auto rows = table_rows(parse_html(HtmlPrinter().print(doc)));
  const auto row_of = [&](const std::string& workload) {
    const auto it = std::find_if(rows.begin(), rows.end(),
                                 [&](const auto& r) { return r.size() == 7 && r[0] == workload; });
    return it == rows.end() ? std::vector<std::string>{} : *it;
  };
  // The CPU's best SGEMM is openblas at 256^3 (33.6 GFLOP/s), not omp at 512^3 (14.1).
  EXPECT_EQ(row_of("SGEMM (fp32)"),
            (std::vector<std::string>{
                "SGEMM (fp32)", "each its own: GPU 8192x8192x8192, CPU 256x256x256",
                "cublas (gpu0)", "50000 GFLOP/s", "openblas (cpu)", "33.6 GFLOP/s", "1490.12×"}));
  EXPECT_EQ(
      row_of("peak (fp32)"),
      (std::vector<std::string>{"peak (fp32)", "2097152 (each device's own work)", "cuda (gpu0)",
                                "10000 GFLOP/s", "omp (cpu)", "100 GFLOP/s", "100.00×"}));
  // A problem both ran still compares medians there.
  EXPECT_EQ(row_of("sum (fp32)").at(6), "109.09×");

  // The sheet leaves the peak to its peak table, and names both sizes in either language.
  const std::string en = SheetPrinter(SheetLanguage::en).print(doc);
  EXPECT_NE(en.find("<td>SGEMM (fp32)</td><td>each its own: GPU 8192x8192x8192, CPU "
                    "256x256x256</td>"),
            std::string::npos)
      << en;
  EXPECT_NE(en.find("<strong>1490.11×</strong>"), std::string::npos) << en;  // rounded down
  EXPECT_EQ(en.find("<td>peak (fp32)</td>"), std::string::npos);
  const std::string zh = SheetPrinter(SheetLanguage::zh).print(doc);
  EXPECT_NE(zh.find("各自规模：GPU 8192x8192x8192，CPU 256x256x256"), std::string::npos);
}

TEST(HtmlReport, AcceptanceVerdicts) {
  const std::string html = HtmlPrinter().print(two_gpu_document());
  const auto rows = table_rows(parse_html(html));
  EXPECT_NE(html.find("<strong>Not accepted</strong>: 2 criteria"), std::string::npos);
  const auto row_of = [&](const std::string& metric) {
    return *std::find_if(rows.begin(), rows.end(),
                         [&](const auto& r) { return !r.empty() && r[0].starts_with(metric); });
  };
  EXPECT_EQ(row_of("gpu.sgemm.cublas.tflops")[6], "PASS");
  EXPECT_EQ(row_of("gpu.sgemm.cublas.tflops")[2], "1.68 TFLOPS");
  EXPECT_EQ(row_of("cpu.stream.fp64.gbytes_per_s")[6], "FAIL");
  EXPECT_EQ(row_of("cpu.stream.fp64.gbytes_per_s")[7], "not measured");
  EXPECT_EQ(HtmlPrinter().print(base_document()).find("id=\"acceptance\""), std::string::npos);
  // Accepted with a warning: the banner says so, as the console and report.md do.
  ResultsDocument warned = two_gpu_document();
  warned.acceptance->criteria[1].verdict = Verdict::warn;
  warned.acceptance->criteria[1].severity = Severity::warn;
  warned.acceptance->passed = true;
  EXPECT_NE(HtmlPrinter().print(warned).find("<strong>Accepted</strong>: 2 criteria judged "
                                             "against spec <code>specs/h100.toml</code> at "
                                             "2025-01-02T04:00:00Z: 1 passed, 0 failed, 1 warned."),
            std::string::npos);
}

TEST(HtmlReport, WithoutGpuSaysWhyOnceAndShowsCpu) {
  const std::string html = HtmlPrinter().print(cpu_only_document());
  const std::string line =
      "No CUDA device: no NVIDIA driver is installed or loaded. CPU figures only.";
  EXPECT_NE(html.find(line), std::string::npos);
  EXPECT_EQ(html.find(line, html.find(line) + 1), std::string::npos);
  EXPECT_EQ(html.find("Speedup"), std::string::npos);
  EXPECT_NE(html.find("<title>openblas · cpu · 256x256x256: 33.6 GFLOP/s</title>"),
            std::string::npos);
}

TEST(HtmlReport, Golden) { expect_golden("report.html", HtmlPrinter().print(two_gpu_document())); }

// A one-thread run on one core of one socket reads as such, in English; the Chinese sheet does
// not inflect, and takes the same arguments.
TEST(HtmlReport, CountsOfOneAreSingular) {
  ResultsDocument doc = cpu_only_document();
  doc.run.threads = 1;
  doc.environment.cpu.cores = doc.environment.cpu.logical_cpus = doc.environment.cpu.sockets = 1;
  doc.environment.cpu.online_cpus = 2;  // a process held to one of two CPUs says so
  const std::string report = HtmlPrinter().print(doc);
  EXPECT_NE(report.find(", 1 thread</td>"), std::string::npos);
  EXPECT_NE(report.find("1 physical, 1 logical (this process may use 1 of the 2 CPUs online), in "
                        "1 socket</td>"),
            std::string::npos);
  doc.environment.cpu.online_cpus = 1;
  const std::string whole = HtmlPrinter().print(doc);
  EXPECT_NE(whole.find("1 physical, 1 logical, in 1 socket</td>"), std::string::npos);
  const std::string en = SheetPrinter(SheetLanguage::en).print(doc);
  EXPECT_NE(en.find("(1 core, 1 thread, 1 socket)"), std::string::npos);
  EXPECT_NE(en.find(", 1 CPU thread, "), std::string::npos);
  const std::string zh = SheetPrinter(SheetLanguage::zh).print(doc);
  EXPECT_NE(zh.find("（1 核，1 线程，1 路）"), std::string::npos);
  EXPECT_NE(zh.find("，1 个 CPU 线程，"), std::string::npos);
  doc.run.threads = doc.environment.cpu.cores = 2;
  EXPECT_NE(HtmlPrinter().print(doc).find(", 2 threads</td>"), std::string::npos);
  EXPECT_NE(SheetPrinter(SheetLanguage::en).print(doc).find("(2 cores, 1 thread, 1 socket)"),
            std::string::npos);
}

TEST(HtmlReport, WrittenWithEveryRunAndRegeneratedIdentically) {
  TempDir dir;
  const ResultsDocument doc = cpu_only_document();
  EXPECT_EQ(write_outputs(doc, dir.path(), true), "");
  const std::string first = read_text(dir.path() / "report.html");
  fs::create_directory(dir.path() / "again");
  EXPECT_EQ(
      write_outputs(read_results_file(dir.path() / "results.json"), dir.path() / "again", false),
      "");
  EXPECT_EQ(read_text(dir.path() / "again" / "report.html"), first);
}

// Renders report.html in headless Chromium: the page must draw something, and much more than an
// empty page does (a blank render is a few kB of one colour).
TEST(HtmlReport, RendersInChromium) {
  const auto chromium = find_chromium();
  if (!chromium) GTEST_SKIP() << "chromium is not installed (scripts/install-deps.sh --test)";
  TempDir dir;
  write_file_atomically(dir.path() / "report.html", HtmlPrinter().print(two_gpu_document()));
  write_file_atomically(dir.path() / "blank.html", html_page("en", "blank", "", ""));
  screenshot(*chromium, dir.path() / "report.html", dir.path() / "report.png", 1200, 2000);
  screenshot(*chromium, dir.path() / "blank.html", dir.path() / "blank.png", 1200, 2000);
  const std::string png = read_text(dir.path() / "report.png");
  ASSERT_GE(png.size(), 8u);
  EXPECT_EQ(png.substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_GT(png.size(), 5 * fs::file_size(dir.path() / "blank.png"));
  if (const char* keep = std::getenv("FLOPBENCH_KEEP_SCREENSHOT")) {
    fs::copy_file(dir.path() / "report.png", keep, fs::copy_options::overwrite_existing);
  }
}

// ---- the sheet --------------------------------------------------------------------------------

TEST(Sheet, FiguresFollowTheirDefinitions) {
  const ResultsDocument doc = two_gpu_document();
  const auto groups = headline_groups(doc);
  const SheetFigures f = sheet_figures(doc, groups);
  ASSERT_EQ(f.peaks.size(), 4u);
  // CPU FP32: the best of the passed SGEMMs (openblas 256^3, 33.6 GFLOP/s).
  EXPECT_EQ(f.peaks[0].kind, DeviceKind::cpu);
  EXPECT_EQ(f.peaks[0].measured_gflops, doc.measurements[1].gflops);
  EXPECT_EQ(f.peaks[0].theoretical_gflops, doc.environment.cpu.peak_fp32.gflops);
  // GPU FP32: each GPU's best, summed; theoretical summed over both GPUs.
  EXPECT_EQ(f.peaks[2].kind, DeviceKind::gpu);
  EXPECT_EQ(f.peaks[2].devices, 2);
  ASSERT_EQ(f.peaks[2].sources.size(), 2u);
  EXPECT_DOUBLE_EQ(*f.peaks[2].measured_gflops,
                   *doc.measurements[2].gflops + *doc.measurements.back().gflops);
  EXPECT_DOUBLE_EQ(*f.peaks[2].theoretical_gflops, 2 * 66908.16);
  // GPU FP64: nothing measured.
  EXPECT_FALSE(f.peaks[3].measured_gflops);
  // sum fp32: the GPU/CPU pair on 4M elements; DGEMM: CPU only.
  const auto sum = std::find_if(f.workloads.begin(), f.workloads.end(), [](const auto& w) {
    return w.group->workload == WorkloadId::sum && w.group->precision == Precision::fp32;
  });
  ASSERT_NE(sum, f.workloads.end());
  EXPECT_EQ(sum->gpu->implementation, "cub");
  EXPECT_EQ(sum->cpu->implementation, "omp");
  // Bandwidth: the largest passed STREAM size of each device, but the run's largest triads
  // (16 and 32 MiB per vector) are within 4 x the CPU's 105 MiB L3 and the H100's 50 MiB L2: they
  // measure partly the caches and are no memory figure.
  ASSERT_EQ(f.bandwidth.size(), 3u);
  EXPECT_EQ(f.bandwidth[0].source, nullptr);
  ASSERT_NE(f.bandwidth[0].in_cache, nullptr);
  EXPECT_EQ(f.bandwidth[0].in_cache->problem, Problem::vector(1 << 22));
  EXPECT_EQ(f.bandwidth[0].in_cache->precision, Precision::fp64);  // the larger vectors
  EXPECT_EQ(f.bandwidth[1].source, nullptr);
  ASSERT_NE(f.bandwidth[1].in_cache, nullptr);
  EXPECT_EQ(f.bandwidth[1].in_cache->device, DeviceRef::gpu({0}));
  EXPECT_EQ(f.bandwidth[2].source, nullptr);
  EXPECT_EQ(f.bandwidth[2].in_cache, nullptr);
}

// A GPU far slower than the CPU (a small vector: a launch against a cached loop) has a speedup
// under 0.01: shown as such, not rounded down to a 0 that the chart cannot place on its log axis.
TEST(Sheet, ASpeedupUnderOneHundredthIsShownAndCharted) {
  ResultsDocument doc = two_gpu_document();
  const auto is_sum = [](WorkloadId w, const MeasurementRecord& r) {
    return r.workload == w && r.precision == Precision::fp32 && r.stats;
  };
  const auto cpu = std::find_if(doc.measurements.begin(), doc.measurements.end(), [&](auto& r) {
    return is_sum(WorkloadId::sum, r) && r.implementation == "omp";
  });
  ASSERT_NE(cpu, doc.measurements.end());
  for (auto& r : doc.measurements) {
    if (is_sum(WorkloadId::sum, r) && r.device.on_gpu() && r.problem == cpu->problem) {
      r.stats->median = cpu->stats->median * 250;
    }
  }
  const std::string sheet = SheetPrinter(SheetLanguage::en).print(doc);
  EXPECT_NE(sheet.find("<strong>&lt;0.01×</strong>"), std::string::npos) << sheet;
  EXPECT_EQ(sheet.find("<strong>0.00×"), std::string::npos);
}

// A triad is the memory's figure only where each vector is at least 4 x the device's cache, as
// STREAM requires; otherwise the sheet says why it has no figure, with the numbers, and marks
// the speedups of vector workloads measured within a cache.
TEST(Sheet, BandwidthWithinTheCacheIsNoMemoryFigure) {
  ResultsDocument doc = two_gpu_document();
  const std::string in_cache = SheetPrinter(SheetLanguage::en).print(doc);
  EXPECT_NE(
      in_cache.find("<strong>partly cache</strong></td><td class=\"note\">No memory figure: "
                    "the largest triad measured has 32 MiB per vector, within 4 × the "
                    "device&#39;s 105 MiB of cache, so its bandwidth is partly the cache&#39;s "
                    "(stream (fp64) omp · cpu · 4194304).</td>"),
      std::string::npos)
      << in_cache;
  EXPECT_NE(in_cache.find("16 MiB per vector, within 4 × the device&#39;s 50 MiB of cache"),
            std::string::npos);
  EXPECT_EQ(in_cache.find("GB/s</strong>"), std::string::npos);
  EXPECT_NE(in_cache.find("<td>stream (fp32)</td><td>4194304 (partly cache)</td>"),
            std::string::npos);
  EXPECT_NE(in_cache.find("<td>sum (fp32)</td><td>4194304 (partly cache)</td>"), std::string::npos);
  EXPECT_EQ(in_cache.find("<td>256x256x256 (partly cache)"), std::string::npos);
  const std::string zh = SheetPrinter(SheetLanguage::zh).print(doc);
  EXPECT_NE(zh.find("每个向量 32 MiB，不足设备缓存 105 MiB 的 4 倍"), std::string::npos);
  EXPECT_NE(zh.find("<td>4194304（部分为缓存）</td>"), std::string::npos);

  // Caches of 4 MiB (the CPU) and 4 MiB (the GPUs): 16 MiB per vector is beyond 4 x either.
  ResultsDocument small_caches = doc;
  small_caches.environment.cpu.caches = {{3, "Unified", 4 << 20, 16, 1}};
  for (auto& d : small_caches.environment.gpu.devices) d.l2_bytes = 4 << 20;
  SheetFigures f = sheet_figures(small_caches, headline_groups(small_caches));
  ASSERT_NE(f.bandwidth[0].source, nullptr);
  EXPECT_EQ(f.bandwidth[0].in_cache, nullptr);
  EXPECT_EQ(f.bandwidth[0].source->problem, Problem::vector(1 << 22));
  ASSERT_NE(f.bandwidth[1].source, nullptr);
  EXPECT_EQ(f.bandwidth[1].source->device, DeviceRef::gpu({0}));
  const std::string beyond = SheetPrinter(SheetLanguage::en).print(small_caches);
  EXPECT_NE(beyond.find("<strong>22.8 GB/s</strong></td><td class=\"note\">stream (fp32) omp · "
                        "cpu · 4194304</td>"),
            std::string::npos);
  EXPECT_EQ(beyond.find("partly cache</strong>"), std::string::npos);
  EXPECT_NE(beyond.find("<td>stream (fp32)</td><td>4194304</td>"), std::string::npos);
  // dot (fp64) at 2^20 elements: 8 MiB per vector, still within 4 x the 4 MiB cache.
  EXPECT_NE(beyond.find("<td>dot (fp64)</td><td>1048576 (partly cache)</td>"), std::string::npos);

  // An x86 CPU that reports no L3, but 1 MiB of L2 per core (a small VM's: a hypervisor may hide
  // the L3): 16 and 32 MiB per vector are beyond 4 x its caches but within what a hidden L3 may
  // hold, so no memory figure either, and the speedups are marked.
  ResultsDocument hidden = small_caches;
  hidden.environment.cpu.vendor = "AuthenticAMD";
  hidden.environment.cpu.caches = {{2, "Unified", 1 << 20, 1, 2}};
  const std::string hidden_sheet = SheetPrinter(SheetLanguage::en).print(hidden);
  EXPECT_NE(hidden_sheet.find(
                "<strong>partly cache</strong></td><td class=\"note\">No memory figure: the "
                "largest triad measured has 32 MiB per vector, and the CPU reports no L3 cache (a "
                "hypervisor may hide one), so its bandwidth may be partly the cache&#39;s (stream "
                "(fp64) omp · cpu · 4194304); the standard profile measures memory.</td>"),
            std::string::npos)
      << hidden_sheet;
  EXPECT_NE(hidden_sheet.find("<td>stream (fp32)</td><td>4194304 (partly cache)</td>"),
            std::string::npos);
  EXPECT_NE(SheetPrinter(SheetLanguage::zh).print(hidden).find("而 CPU 未报告 L3 缓存"),
            std::string::npos);
  // At the standard profile's 2^25 elements the triad is the memory's again.
  for (MeasurementRecord& r : hidden.measurements) {
    if (r.workload == WorkloadId::stream && !r.device.on_gpu())
      r.problem = Problem::vector(1 << 25);
  }
  EXPECT_NE(sheet_figures(hidden, headline_groups(hidden)).bandwidth[0].source, nullptr);

  // A cache the inventory does not know cannot rule a figure out.
  small_caches.environment.cpu.caches.clear();
  f = sheet_figures(small_caches, headline_groups(small_caches));
  EXPECT_NE(f.bandwidth[0].source, nullptr);
}

// A memory figure left out is said to be, before a triad within the cache is shown; a triad
// within the cache that was left out is named under the conditions.
TEST(Sheet, ALeftOutMemoryFigureComesBeforeACacheOne) {
  ResultsDocument doc = two_gpu_document();
  doc.environment.cpu.caches = {{3, "Unified", 6 << 20, 16, 1}};  // 4 x 6 = 24 MiB
  for (auto& r : doc.measurements) {  // the fp64 triad (32 MiB per vector) is memory's: contended
    if (r.workload == WorkloadId::stream && r.precision == Precision::fp64)
      r.load = MachineLoad{.readings = 5, .contended = true};
  }
  std::string text = parse_html(SheetPrinter(SheetLanguage::en).print(doc)).all_text();
  EXPECT_NE(text.find("cpu (system memory)left out (see Conditions)gpu0 (device memory)"),
            std::string::npos)
      << text;

  // Only triads within the cache, the larger of them contended: named where it is left out.
  doc.environment.cpu.caches = {{3, "Unified", 105 << 20, 16, 1}};
  text = parse_html(SheetPrinter(SheetLanguage::en).print(doc)).all_text();
  EXPECT_NE(text.find("cpu (system memory)partly cacheNo memory figure: the largest triad "
                      "measured has 16 MiB per vector"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("stream (fp64) omp · cpu · 4194304 (contended"), std::string::npos) << text;
}

// With a measurement of both GPUs at once, that is the machine's figure (not the sum of each
// GPU measured alone), and it is no GPU's side of a GPU-vs-CPU comparison.
TEST(Sheet, MachineAggregateIsTheGpuPeakFigure) {
  ResultsDocument doc = two_gpu_document();
  MeasurementRecord both = doc.measurements.at(2);  // SGEMM cublas on gpu0
  both.device = DeviceRef::gpu({0, 1});
  both.flops *= 2;
  *both.gflops *= 1.9;  // below twice one GPU: shared power and host
  doc.measurements.push_back(both);
  const auto groups = headline_groups(doc);
  const SheetFigures f = sheet_figures(doc, groups);
  ASSERT_EQ(f.peaks[2].kind, DeviceKind::gpu);
  ASSERT_EQ(f.peaks[2].sources.size(), 1u);
  EXPECT_EQ(f.peaks[2].sources[0]->device, DeviceRef::gpu({0, 1}));
  EXPECT_DOUBLE_EQ(*f.peaks[2].measured_gflops, *both.gflops);
  EXPECT_TRUE(machine_aggregate(both));
  EXPECT_FALSE(machine_aggregate(doc.measurements.at(2)));
  // The sheet shows a % of the two GPUs' theoretical peak, as every GPU was measured.
  const std::string html = SheetPrinter(SheetLanguage::en).print(doc);
  EXPECT_NE(html.find("gpu0+gpu1"), std::string::npos);
  EXPECT_NE(html.find("where every GPU was measured at once, that measurement is the figure of "
                      "the GPUs"),
            std::string::npos);
  EXPECT_EQ(html.find("each measured alone"), std::string::npos);
  for (const auto& m : gpu_vs_cpu(groups)) EXPECT_FALSE(machine_aggregate(*m.gpu));

  // Left out (contended), it is not replaced by the GPUs measured alone, which shared no power
  // or cooling and sum to more: the figure is left out with it.
  doc.measurements.back().load = MachineLoad{};
  doc.measurements.back().load->contended = true;
  const SheetFigures without = sheet_figures(doc, headline_groups(doc));
  EXPECT_FALSE(without.peaks[2].measured_gflops.has_value());
  EXPECT_TRUE(without.peaks[2].sources.empty());
  const std::string text = parse_html(SheetPrinter(SheetLanguage::en).print(doc)).all_text();
  EXPECT_NE(text.find("GPU × 2Single precision (FP32)left out (see Conditions)"), std::string::npos)
      << text;
  // The definitions still say the GPUs were measured at once: no sum of them alone is shown.
  EXPECT_NE(text.find("where every GPU was measured at once, that measurement is the figure of "
                      "the GPUs"),
            std::string::npos);
  EXPECT_EQ(text.find("the GPUs were each measured alone"), std::string::npos);
}

// A GPU whose FP64 peak is its tensor cores' measured only by a CUDA-core kernel: the % is of the
// hardware's peak, and the sheet says what the path measured can reach.
TEST(Sheet, APathBelowTheHardwaresPeakIsNamed) {
  ResultsDocument doc = two_gpu_document();
  const double tensor = *doc.environment.gpu.devices.at(0).peak_fp64.gflops;  // 66908.16
  for (const int gpu : {0, 1}) {
    MeasurementRecord fma = doc.measurements.at(2);  // a passed GPU measurement
    fma.workload = WorkloadId::peak;
    fma.precision = Precision::fp64;
    fma.device = DeviceRef::gpu({gpu});
    fma.gflops = 0.48 * tensor;
    fma.peak = {tensor / 2, "132 SMs x 64 FP64 lanes x 2 x 1980 MHz (cc 9.0)"};
    doc.measurements.push_back(fma);
  }
  SheetFigures f = sheet_figures(doc, headline_groups(doc));
  ASSERT_EQ(f.peaks[3].precision, Precision::fp64);
  ASSERT_EQ(f.peaks[3].kind, DeviceKind::gpu);
  EXPECT_DOUBLE_EQ(*f.peaks[3].theoretical_gflops, 2 * tensor);
  ASSERT_TRUE(f.peaks[3].path_gflops);
  EXPECT_DOUBLE_EQ(*f.peaks[3].path_gflops, tensor);
  EXPECT_FALSE(f.peaks[2].path_gflops);  // FP32: the path is the hardware's peak
  const std::string html = SheetPrinter(SheetLanguage::en).print(doc);
  EXPECT_NE(html.find("<td class=\"num\">48.0%</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("; measured against its own peak of 66.9 TFLOPS (fewer CPU threads, or no "
                      "tensor cores, than the hardware&#39;s peak counts); the % is of the "
                      "hardware&#39;s peak</td>"),
            std::string::npos);
  EXPECT_NE(SheetPrinter(SheetLanguage::zh).print(doc).find("所引测量以其自身峰值 66.9 TFLOPS 计"),
            std::string::npos);

  // With one GPU measured, the path covers too little to say anything of the whole.
  doc.measurements.pop_back();
  f = sheet_figures(doc, headline_groups(doc));
  EXPECT_FALSE(f.peaks[3].path_gflops);
}

// A contended measurement, or one an interrupt cut short, is no figure of the sheet: the sheet
// lists it and why; and a run that did not finish says so at the top.
TEST(Sheet, OnlyUndisturbedMeasurementsAreFigures) {
  ResultsDocument doc = two_gpu_document();
  MeasurementRecord& openblas = doc.measurements.at(1);  // the CPU's best SGEMM
  ASSERT_EQ(openblas.implementation, "openblas");
  openblas.load = MachineLoad{.readings = 5, .contended = true};
  MeasurementRecord& cublas = doc.measurements.at(2);  // SGEMM cublas on gpu0
  ASSERT_EQ(cublas.device, DeviceRef::gpu({0}));
  cublas.stopping_rule = "interrupted";
  doc.run.interrupted = true;
  MeasurementRecord slower = doc.measurements.at(0);  // omp SGEMM 256: a figure of no kind
  slower.load = MachineLoad{.readings = 5, .contended = true};
  stretch_times(slower, 2);
  doc.measurements.push_back(slower);
  MeasurementRecord peak = doc.measurements.at(0);  // the CPU's FP64 peak figure, were it not
  peak.workload = WorkloadId::peak;                 // contended
  peak.precision = Precision::fp64;
  *peak.gflops *= 10;
  peak.load = MachineLoad{.readings = 5, .contended = true};
  doc.measurements.push_back(peak);
  EXPECT_FALSE(headline_worthy(openblas));
  EXPECT_FALSE(headline_worthy(cublas));
  const auto groups = headline_groups(doc);
  const SheetFigures f = sheet_figures(doc, groups);
  ASSERT_EQ(f.peaks[0].sources.size(), 1u);
  EXPECT_EQ(f.peaks[0].sources[0]->implementation, "omp");
  ASSERT_EQ(f.peaks[2].sources.size(), 1u);
  EXPECT_EQ(f.peaks[2].sources[0]->device, DeviceRef::gpu({1}));
  for (const auto& w : f.workloads) {
    EXPECT_NE(w.cpu, &openblas);
    EXPECT_NE(w.gpu, &cublas);
  }
  const std::string text = parse_html(SheetPrinter(SheetLanguage::en).print(doc)).all_text();
  EXPECT_NE(text.find("This run was interrupted: its figures come from what it measured before "
                      "it stopped."),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("1 of 2 GPUs in this figure"), std::string::npos);
  // At the top: how many measurements the figures would have come from were left out.
  EXPECT_NE(text.find("3 of the measurements the figures below would have come from were "
                      "disturbed while they ran (contended, cut short, still drifting or on "
                      "fewer threads): those figures come from the other measurements, or are "
                      "left out (see Conditions)."),
            std::string::npos)
      << text;
  EXPECT_EQ(parse_html(SheetPrinter(SheetLanguage::en).print(two_gpu_document()))
                .all_text()
                .find("would have come from were disturbed"),
            std::string::npos);
  // By name those a figure would have come from; the others by their number.
  EXPECT_NE(
      text.find("Not in the figures above, which would have come from them: SGEMM (fp32) "
                "openblas · cpu · 256x256x256 (contended (other processes or the "
                "hypervisor took CPU time it needed while it sampled)); SGEMM (fp32) cublas · "
                "gpu0 · "
                "256x256x256 (cut short by an interrupt); peak (fp64) omp · cpu · "
                "256x256x256 (contended (other processes or the hypervisor took CPU time "
                "it needed while it sampled))Other measurements left out likewise: 1."),
      std::string::npos)
      << text;
  const std::string zh = parse_html(SheetPrinter(SheetLanguage::zh).print(doc)).all_text();
  EXPECT_NE(zh.find("本次运行被中断"), std::string::npos);
  EXPECT_NE(zh.find("下列数据本应来自的测量中有 3 项在运行时受到干扰"), std::string::npos) << zh;
  EXPECT_NE(zh.find("以下测量本应计入上述数据，但未计入："), std::string::npos);
  EXPECT_NE(zh.find("其他同样未计入的测量：1 项。"), std::string::npos);
  // Its items, which hold commas of their own, are set apart by the language's semicolon.
  EXPECT_NE(zh.find("）；SGEMM (fp32) cublas · gpu0"), std::string::npos) << zh;

  // Left out where no figure would have come from any: counted with their reasons, not as
  // "others" of a list the sheet does not show.
  ResultsDocument only_slower = two_gpu_document();
  only_slower.measurements.push_back(slower);
  const std::string alone =
      parse_html(SheetPrinter(SheetLanguage::en).print(only_slower)).all_text();
  EXPECT_EQ(alone.find("Not in the figures above"), std::string::npos);
  EXPECT_EQ(alone.find("likewise: "), std::string::npos) << alone;
  EXPECT_NE(alone.find("Measurements left out as contended, cut short, still drifting or run on "
                       "fewer threads than given: 1 (report.md marks each)."),
            std::string::npos)
      << alone;
  EXPECT_NE(parse_html(SheetPrinter(SheetLanguage::zh).print(only_slower))
                .all_text()
                .find("而未计入的测量：1 项（report.md 逐项标注）。"),
            std::string::npos);
}

// `r`, of `doc`, is in no figure of the sheet, and its conditions name it with why: `en` in the
// English sheet, `zh` in the Chinese one.
void expect_left_out_and_named(const ResultsDocument& doc, const MeasurementRecord& r,
                               const std::string& en, const std::string& zh) {
  EXPECT_FALSE(headline_worthy(r));
  const SheetFigures f = sheet_figures(doc, headline_groups(doc));
  for (const auto& w : f.workloads) {
    EXPECT_NE(w.gpu, &r);
    EXPECT_NE(w.cpu, &r);
  }
  const std::string text = parse_html(SheetPrinter(SheetLanguage::en).print(doc)).all_text();
  EXPECT_NE(text.find(en), std::string::npos) << text;
  const std::string zh_text = parse_html(SheetPrinter(SheetLanguage::zh).print(doc)).all_text();
  EXPECT_NE(zh_text.find(zh), std::string::npos) << zh_text;
}

// A GPU measurement whose samples were still drifting when sampling stopped (a GPU settling into
// its power cap) is no figure: its median is above what the GPU sustains. It is named with why.
TEST(Sheet, AMeasurementStillDriftingIsLeftOutAndNamed) {
  ResultsDocument doc = two_gpu_document();
  MeasurementRecord& cublas = doc.measurements.at(2);  // SGEMM cublas on gpu0
  ASSERT_EQ(cublas.device, DeviceRef::gpu({0}));
  EXPECT_TRUE(headline_worthy(cublas));
  cublas.notes.push_back(std::string(kStillDriftingNote) +
                         " (time_limit): the later half's median +4.0 % from the earlier half's "
                         "(a clock or power limit settling?)");
  EXPECT_TRUE(cublas.still_drifting());
  expect_left_out_and_named(doc, cublas,
                            "Not in the figures above, which would have come from them: SGEMM "
                            "(fp32) cublas · gpu0 · 256x256x256 (its samples still drifting when "
                            "sampling stopped (a clock or power limit settling))",
                            "停止采样时样本仍在漂移（时钟或功耗限制尚未稳定）");
}

// A CPU measurement whose library kept fewer CPUs busy than it was given threads is no figure of
// the sheet: a speedup over it would be over part of the CPU.
TEST(Sheet, AMeasurementOnFewerThreadsIsLeftOutAndNamed) {
  ResultsDocument doc = two_gpu_document();
  MeasurementRecord& openblas = doc.measurements.at(1);  // SGEMM openblas on the CPU
  ASSERT_FALSE(openblas.device.on_gpu());
  EXPECT_TRUE(headline_worthy(openblas));
  if (!openblas.load) openblas.load = MachineLoad{};
  openblas.load->fewer_threads = true;
  expect_left_out_and_named(doc, openblas,
                            "openblas · cpu · 256x256x256 (run on fewer threads than it was given "
                            "(a library's own choice): not the machine's figure)",
                            "实际使用的线程少于所分配的线程");
}

// A wrong answer is in no figure, and a banner above the figures names it: the first thing to know
// about a machine whose figures are to be quoted.
TEST(Sheet, AWrongAnswerIsNamedAboveTheFigures) {
  ResultsDocument doc = two_gpu_document();
  std::erase_if(doc.measurements, unverified);
  EXPECT_EQ(SheetPrinter(SheetLanguage::en).print(doc).find("wrong answer"), std::string::npos);
  MeasurementRecord& openblas = doc.measurements.at(1);  // SGEMM openblas on the CPU
  ASSERT_EQ(openblas.implementation, "openblas");
  openblas.disposition = Disposition::incorrect;
  openblas.reason = "element 12 differs";
  const std::string html = SheetPrinter(SheetLanguage::en).print(doc);
  const std::size_t banner = html.find(
      "<p class=\"banner fail\">Wrong answers and failures, left out of every figure (1): SGEMM "
      "(fp32) openblas · cpu · 256x256x256 (wrong answer). report.md gives each reason.</p>");
  EXPECT_NE(banner, std::string::npos) << html;
  EXPECT_LT(banner, html.find("Machine peak")) << html;
  EXPECT_NE(html.find("every figure on this sheet is of a result verified"), std::string::npos);
  EXPECT_NE(SheetPrinter(SheetLanguage::zh).print(doc).find("本次运行有 1 项测量结果错误或失败"),
            std::string::npos);
  EXPECT_NE(SheetPrinter(SheetLanguage::zh).print(doc).find("256x256x256（结果错误）"),
            std::string::npos);
  // Many are counted beyond the first few.
  for (MeasurementRecord& r : doc.measurements) r.disposition = Disposition::failed;
  const std::string all_failed = SheetPrinter(SheetLanguage::en).print(doc);
  EXPECT_NE(
      all_failed.find(fmt::format("left out of every figure ({}): ", doc.measurements.size())),
      std::string::npos)
      << all_failed;
  EXPECT_NE(all_failed.find(fmt::format("; and {} more. report.md", doc.measurements.size() - 5)),
            std::string::npos)
      << all_failed;
}

// A process confined to some of the machine's CPUs measured those: the machine line says so.
TEST(Sheet, AProcessConfinedToSomeCpusSaysSo) {
  ResultsDocument doc = two_gpu_document();
  doc.environment.cpu.online_cpus = doc.environment.cpu.logical_cpus;
  EXPECT_EQ(SheetPrinter(SheetLanguage::en).print(doc).find("CPUs online"), std::string::npos);
  doc.environment.cpu.online_cpus = doc.environment.cpu.logical_cpus + 8;
  EXPECT_NE(
      SheetPrinter(SheetLanguage::en)
          .print(doc)
          .find(fmt::format("this process could use {} of the {} CPUs online: the CPU figures are "
                            "of those",
                            doc.environment.cpu.logical_cpus, doc.environment.cpu.online_cpus)),
      std::string::npos)
      << SheetPrinter(SheetLanguage::en).print(doc);
  EXPECT_NE(SheetPrinter(SheetLanguage::zh).print(doc).find("本进程只可使用在线的"),
            std::string::npos);
}

// A measured peak above the theoretical one is shown as measured, and its row says what that
// says of the peak model.
TEST(Sheet, AMeasuredPeakAboveTheTheoreticalSaysSo) {
  ResultsDocument doc = two_gpu_document();
  const double tensor = *doc.environment.gpu.devices.at(0).peak_fp64.gflops;
  for (const int gpu : {0, 1}) {
    MeasurementRecord fma = doc.measurements.at(2);  // a passed GPU measurement
    fma.workload = WorkloadId::peak;
    fma.precision = Precision::fp64;
    fma.device = DeviceRef::gpu({gpu});
    fma.gflops = 1.05 * tensor;
    fma.peak = {tensor, "the hardware's"};
    doc.measurements.push_back(fma);
  }
  const std::string html = SheetPrinter(SheetLanguage::en).print(doc);
  EXPECT_NE(html.find("<td class=\"num\">105.0%</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("measured above the theoretical peak: the peak model&#39;s clock or units "
                      "are below what ran (report.md says why)</td>"),
            std::string::npos)
      << html;
  EXPECT_NE(SheetPrinter(SheetLanguage::zh).print(doc).find("实测值高于理论峰值"),
            std::string::npos);
  // A CPU figure above a peak that is the cgroup quota's says so: the clock is not to blame.
  const double cpu_peak = *doc.environment.cpu.peak_fp32.gflops;
  MeasurementRecord cpu = doc.measurements.at(0);
  ASSERT_FALSE(cpu.device.on_gpu());
  cpu.workload = WorkloadId::peak;
  cpu.precision = Precision::fp32;
  cpu.gflops = 1.02 * cpu_peak;
  cpu.peak = {cpu_peak,
              fmt::format("1.5 CPUs {} x 16 lanes x 2 FMA pipes x 2 x 2.5 GHz", Peak::kCpuQuota)};
  doc.measurements.push_back(cpu);
  EXPECT_NE(
      SheetPrinter(SheetLanguage::en)
          .print(doc)
          .find("measured above the theoretical peak: the peak is the cgroup CPU quota&#39;s"),
      std::string::npos);
  EXPECT_NE(SheetPrinter(SheetLanguage::zh).print(doc).find("该峰值按 cgroup CPU 配额计"),
            std::string::npos);
  // At or below it, nothing is said.
  for (auto& r : doc.measurements) {
    if (r.workload == WorkloadId::peak) r.gflops = 0.9 * (r.device.on_gpu() ? tensor : cpu_peak);
  }
  EXPECT_EQ(SheetPrinter(SheetLanguage::en).print(doc).find("above the theoretical peak"),
            std::string::npos);
}

// A run given some of the machine's GPUs (--gpus, one task per GPU) has figures of those: its
// GPU peak is theirs, its bandwidth rows and peak bases name no other, and the machine line,
// which describes every GPU, says which the run was given.
TEST(Sheet, ARunGivenSomeGpusHasFiguresOfThoseAndSaysSo) {
  ResultsDocument doc = two_gpu_document();
  doc.run.gpus = {0};
  std::erase_if(doc.measurements,
                [](const MeasurementRecord& r) { return r.device == DeviceRef::gpu({1}); });
  const SheetFigures f = sheet_figures(doc, headline_groups(doc));
  const auto gpu_fp32 = std::ranges::find_if(f.peaks, [](const PeakFigure& p) {
    return p.kind == DeviceKind::gpu && p.precision == Precision::fp32;
  });
  ASSERT_NE(gpu_fp32, f.peaks.end());
  EXPECT_EQ(gpu_fp32->devices, 1);
  EXPECT_EQ(gpu_fp32->theoretical_gflops, doc.environment.gpu.devices.at(0).peak_fp32.gflops);
  for (const auto& b : f.bandwidth) EXPECT_NE(b.device, DeviceRef::gpu({1}));
  const std::string text = parse_html(SheetPrinter(SheetLanguage::en).print(doc)).all_text();
  EXPECT_NE(text.find("(this run was given gpu0 only: the figures are of those)"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("gpu1 FP32"), std::string::npos) << text;
  EXPECT_NE(SheetPrinter(SheetLanguage::zh).print(doc).find("本次运行仅使用 gpu0"),
            std::string::npos);
  // Given every GPU, nothing is said.
  doc.run.gpus = {0, 1};
  EXPECT_EQ(SheetPrinter(SheetLanguage::en).print(doc).find("this run was given"),
            std::string::npos);
}

// The conditions name the system and, for the GPUs the run was given, what moves their figures
// that an operator sets: ECC and the power limit (with its share of the default where lowered);
// GPUs set alike share a clause, and a limit not read is said to be unknown.
TEST(Sheet, TheConditionsNameTheSystemAndTheGpusSettings) {
  ResultsDocument doc = two_gpu_document();
  doc.environment.os = "Debian GNU/Linux 12 (bookworm)";
  doc.environment.kernel = "6.1.0-27-amd64";
  ASSERT_EQ(doc.environment.gpu.devices.size(), 2u);
  doc.environment.gpu.devices[0].ecc_enabled = doc.environment.gpu.devices[1].ecc_enabled = true;
  MachineHealth health;
  for (const int index : {0, 1}) {
    GpuHealth g{.index = index, .cuda_visible = true};
    g.facts["power.limit_w"] = HealthFact::of(700);
    g.facts["power.limit_percent_of_default"] = HealthFact::of(100);
    health.gpus.push_back(g);
  }
  doc.environment.health = health;
  const auto text = [&](SheetLanguage language) {
    return parse_html(SheetPrinter(language).print(doc)).all_text();
  };
  EXPECT_NE(text(SheetLanguage::en)
                .find("Debian GNU/Linux 12 (bookworm), Linux kernel 6.1.0-27-amd64; gpu0, gpu1: "
                      "ECC on, power limit 700 W"),
            std::string::npos)
      << text(SheetLanguage::en);
  doc.environment.health->gpus[1].facts["power.limit_w"] = HealthFact::of(350);
  doc.environment.health->gpus[1].facts["power.limit_percent_of_default"] = HealthFact::of(50);
  doc.environment.gpu.devices[0].ecc_enabled = false;
  EXPECT_NE(text(SheetLanguage::en)
                .find("6.1.0-27-amd64; gpu0: ECC off, power limit 700 W; gpu1: ECC on, power "
                      "limit 350 W (50 % of the default)"),
            std::string::npos)
      << text(SheetLanguage::en);
  EXPECT_NE(text(SheetLanguage::zh).find("gpu1：ECC 开启，功耗上限 350 W（默认值的 50%）"),
            std::string::npos)
      << text(SheetLanguage::zh);
  // 99.5 % of the default is shown as it rounds: the default.
  doc.environment.health->gpus[1].facts["power.limit_percent_of_default"] = HealthFact::of(99.5);
  EXPECT_NE(text(SheetLanguage::en).find("gpu1: ECC on, power limit 350 W"), std::string::npos);
  EXPECT_EQ(text(SheetLanguage::en).find("% of the default"), std::string::npos);
  doc.environment.health.reset();
  EXPECT_NE(text(SheetLanguage::en).find("gpu1: ECC on, power limit unknown"), std::string::npos)
      << text(SheetLanguage::en);
  // Given gpu1 only, gpu0's settings are not the figures' conditions.
  doc.run.gpus = {1};
  EXPECT_EQ(text(SheetLanguage::en).find("gpu0: ECC"), std::string::npos);
}

// A CPU matrix format's theoretical is its measurement's own peak, the only one known: where
// the run used fewer threads than the machine has cores, the row says so.
TEST(Sheet, ACpuMatrixPeakOfFewerThreadsThanCoresSaysSo) {
  ResultsDocument doc = two_gpu_document();
  MeasurementRecord bf16 = doc.measurements.at(1);  // openblas SGEMM: a passed CPU GEMM
  bf16.implementation = "onednn";
  bf16.precision = Precision::bf16;
  bf16.peak = {.gflops = 390.0, .basis = "1 core x 32 BF16 FMA lanes x ..."};
  bf16.threads = 1;
  doc.environment.cpu.cores = 8;
  doc.measurements.push_back(bf16);
  const auto en = [&] { return parse_html(SheetPrinter(SheetLanguage::en).print(doc)).all_text(); };
  const auto zh = [&] { return parse_html(SheetPrinter(SheetLanguage::zh).print(doc)).all_text(); };
  EXPECT_NE(en().find("; theoretical: the peak of the 1 CPU thread measured, not of all 8 cores"),
            std::string::npos)
      << en();
  EXPECT_NE(zh().find("理论值为所测 1 个 CPU 线程的峰值，非全部 8 核"), std::string::npos);
  doc.measurements.back().threads = 8;
  EXPECT_EQ(en().find("theoretical: the peak of"), std::string::npos);
  EXPECT_NE(en().find("CPU BF16 390 GFLOP/s (1 core x 32 BF16 FMA lanes"), std::string::npos)
      << en();
  // An INT8 peak's basis is in operations, as its figures are.
  MeasurementRecord int8 = doc.measurements.back();
  int8.precision = Precision::int8;
  int8.peak = {.gflops = 780.0, .basis = "1 core x 64 INT8 lanes x ..."};
  doc.measurements.push_back(int8);
  EXPECT_NE(en().find("CPU INT8 780 GOP/s (1 core x 64 INT8 lanes"), std::string::npos) << en();
}

// A figure whose measurements were all left out says so, rather than "not measured"; a matrix
// format keeps its row.
TEST(Sheet, AFigureWhoseMeasurementsWereLeftOutSaysSo) {
  ResultsDocument doc = two_gpu_document();
  doc.environment.cpu.caches.clear();               // the triads are figures, were they undisturbed
  MeasurementRecord bf16 = doc.measurements.at(1);  // openblas SGEMM: a passed CPU GEMM
  bf16.implementation = "onednn";
  bf16.precision = Precision::bf16;
  doc.measurements.push_back(bf16);
  for (auto& r : doc.measurements) {
    const bool gpu_sgemm = r.device.on_gpu() && r.workload == WorkloadId::gemm;
    const bool cpu_stream = !r.device.on_gpu() && r.workload == WorkloadId::stream;
    if (gpu_sgemm || cpu_stream || r.precision == Precision::bf16)
      r.load = MachineLoad{.readings = 5, .contended = true};
  }
  const SheetFigures f = sheet_figures(doc, headline_groups(doc));
  ASSERT_EQ(f.peaks.size(), 5u);  // CPU FP32, FP64, BF16; GPU FP32, FP64
  EXPECT_EQ(f.peaks[2].precision, Precision::bf16);
  EXPECT_FALSE(f.peaks[2].measured_gflops);
  const std::string text = parse_html(SheetPrinter(SheetLanguage::en).print(doc)).all_text();
  const auto row = [&](const std::string& start) {
    const auto at = text.find(start);
    return at == std::string::npos ? std::string() : text.substr(at, 80);
  };
  // Its theoretical is the path its measurements would have given, left out or not.
  EXPECT_EQ(row("CPUBF16 matrix")
                .find("CPUBF16 matrix, dense (no sparsity)left out (see "
                      "Conditions)1.28-"),
            0u)
      << text;
  EXPECT_EQ(row("GPU × 2Single").find("GPU × 2Single precision (FP32)left out (see Conditions)"),
            0u);
  EXPECT_EQ(row("GPU × 2Double").find("GPU × 2Double precision (FP64)not measured"), 0u);
  EXPECT_EQ(row("cpu (system memory)").find("cpu (system memory)left out (see Conditions)"), 0u);
  EXPECT_EQ(row("gpu1 (device memory)").find("gpu1 (device memory)not measured"), 0u);
  EXPECT_NE(text.find("BF16 GEMM (bf16) onednn · cpu · 256x256x256 (contended"), std::string::npos);
  // That theoretical's basis is given with the others.
  const std::string html = SheetPrinter(SheetLanguage::en).print(doc);
  const auto bases = html.find("<strong>Peak bases:</strong>");
  ASSERT_NE(bases, std::string::npos);
  EXPECT_NE(html.substr(bases, html.find("</p>", bases) - bases).find("; CPU BF16 1280 GFLOP/s"),
            std::string::npos)
      << html.substr(bases, 600);
  // The speedup table keeps the rows whose sides were left out, saying which.
  EXPECT_EQ(row("SGEMM (fp32)256")
                .find("SGEMM (fp32)256x256x256left out (see Conditions)33.5 "
                      "GFLOP/s (openblas, cpu)-"),
            0u)
      << text;
  // The stream's CPU side was left out, its GPU side stands.
  EXPECT_NE(text.find("2516 GB/s (cuda, gpu0)left out (see Conditions)-"), std::string::npos)
      << text;
  const std::string zh = parse_html(SheetPrinter(SheetLanguage::zh).print(doc)).all_text();
  EXPECT_NE(zh.find("cpu（系统内存）未计入（见测试条件）"), std::string::npos) << zh;
}

// A speedup over a CPU side run on fewer threads than the machine has cores says how many: a
// "110x" over one thread is not one over the machine.
TEST(Sheet, ASpeedupOverFewerCpuThreadsThanCoresSaysHowMany) {
  ResultsDocument doc = two_gpu_document();
  const auto cpu_side = [](const std::string& text) {
    const auto at = text.find("SGEMM (fp32)256");
    return at == std::string::npos ? std::string() : text.substr(at, 120);
  };
  const std::string all_threads = parse_html(SheetPrinter(SheetLanguage::en).print(doc)).all_text();
  EXPECT_NE(cpu_side(all_threads).find("33.5 GFLOP/s (openblas, cpu)50.00×"), std::string::npos)
      << cpu_side(all_threads);
  for (auto& r : doc.measurements) r.threads = 1;
  const std::string one = parse_html(SheetPrinter(SheetLanguage::en).print(doc)).all_text();
  EXPECT_NE(cpu_side(one).find("33.5 GFLOP/s (openblas, cpu, 1 CPU thread)50.00×"),
            std::string::npos)
      << cpu_side(one);
  const std::string zh = parse_html(SheetPrinter(SheetLanguage::zh).print(doc)).all_text();
  EXPECT_NE(zh.find("(openblas, cpu, 1 个 CPU 线程)"), std::string::npos) << zh;
}

TEST(Sheet, EnglishHeadlines) {
  const std::string html = SheetPrinter(SheetLanguage::en).print(two_gpu_document());
  const Element page = parse_html(html);
  expect_self_contained(html, page);
  const std::string text = page.all_text();
  for (const char* s : {"Machine peak", "Single precision (FP32)", "Double precision (FP64)",
                        "Memory bandwidth", "Speedup", "Conditions", "GPU × 2",
                        "flopbench run --profile quick --label 'it'\\''s a test'", "2025-01-02",
                        "0.1.0 (0123456789ab)", "2 × NVIDIA H100 80GB HBM3"}) {
    EXPECT_NE(text.find(s), std::string::npos) << s;
  }
  // Measured GPU FP32 = (1678 + 839) GFLOP/s, rounded down: 2.51, never up past what was
  // measured; theoretical 2 x 66.9 TFLOPS.
  EXPECT_NE(text.find("2.51"), std::string::npos);
  EXPECT_EQ(text.find("2.52"), std::string::npos);
  EXPECT_NE(text.find("134"), std::string::npos);
  EXPECT_NE(text.find("math mode: CUBLAS_PEDANTIC_MATH"), std::string::npos);
  EXPECT_NE(text.find("summed over the devices of a kind; the GPUs were each measured alone."),
            std::string::npos);
}

TEST(Sheet, ChineseCarriesItsLabels) {
  const std::string html = SheetPrinter(SheetLanguage::zh).print(two_gpu_document());
  const Element page = parse_html(html);
  expect_self_contained(html, page);
  EXPECT_EQ(page.find_all("html")[0]->attributes.at("lang"), "zh-CN");
  const std::string text = page.all_text();
  for (const char* s : {"性能简报", "机器峰值", "单精度", "双精度", "内存带宽", "加速比", "实测",
                        "理论", "测试条件", "复现"}) {
    EXPECT_NE(text.find(s), std::string::npos) << s;
  }
  for (const char* s : {"Machine peak", "Single precision", "Memory bandwidth", "Conditions"}) {
    EXPECT_EQ(text.find(s), std::string::npos) << s;
  }
  EXPECT_NE(html.find("Noto Sans CJK SC"), std::string::npos);
}

TEST(Sheet, WithoutGpuSaysWhy) {
  const std::string html = SheetPrinter(SheetLanguage::en).print(cpu_only_document());
  EXPECT_NE(
      html.find("No GPU measured: no NVIDIA driver is installed or loaded. CPU figures only."),
      std::string::npos);
  EXPECT_EQ(html.find("GPU × "), std::string::npos);
  const std::string zh = SheetPrinter(SheetLanguage::zh).print(cpu_only_document());
  EXPECT_NE(zh.find("未测量 GPU：no NVIDIA driver is installed or loaded。"), std::string::npos);
}

// A run of GPU implementations alone (as scripts/gpu-validate.sh makes): no empty table.
TEST(Sheet, AGpuOnlyRunSaysWhyItHasNoSpeedup) {
  ResultsDocument doc = base_document();
  std::erase_if(doc.measurements, [](const MeasurementRecord& r) { return !on_gpu(r); });
  ASSERT_FALSE(doc.measurements.empty());
  const std::string html = SheetPrinter(SheetLanguage::en).print(doc);
  const std::size_t section = html.find("GPU vs CPU speedup per workload");
  ASSERT_NE(section, std::string::npos);
  const std::size_t next = html.find("<h2>", section);
  const std::string speedups = html.substr(section, next - section);
  EXPECT_NE(speedups.find(
                "No workload passed on both a GPU and the CPU, so there is no speedup to show."),
            std::string::npos)
      << speedups;
  EXPECT_EQ(speedups.find("<table>"), std::string::npos) << speedups;
  const std::string zh = SheetPrinter(SheetLanguage::zh).print(doc);
  EXPECT_NE(zh.find("没有同时在 GPU 和 CPU 上通过验证的测试项目，因此没有加速比。"),
            std::string::npos);
  // With both sides, the table is there.
  EXPECT_EQ(
      SheetPrinter(SheetLanguage::en).print(base_document()).find("No workload passed on both"),
      std::string::npos);
}

TEST(Sheet, Golden) {
  expect_golden("sheet-en.html", SheetPrinter(SheetLanguage::en).print(two_gpu_document()));
  expect_golden("sheet-zh.html", SheetPrinter(SheetLanguage::zh).print(two_gpu_document()));
}

// ---- compare ----------------------------------------------------------------------------------

// n samples around `median` with a relative spread, deterministic.
std::vector<double> samples(int n, double median, double spread) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(median * (1 + spread * std::sin(1.7 * i + 0.3)));
  }
  return out;
}

TEST(Compare, MannWhitneyKnownValues) {
  // Complete separation of 5 and 5: U = 25, z = 12 / sqrt(275 / 12).
  const std::vector<double> low = {1, 2, 3, 4, 5}, high = {6, 7, 8, 9, 10};
  const auto m = mann_whitney_u(low, high);
  EXPECT_DOUBLE_EQ(m.u, 25);
  EXPECT_NEAR(m.z, 2.5067182457620487, 1e-12);
  EXPECT_NEAR(m.p_value, 0.012185780355344818, 1e-12);
  EXPECT_NEAR(mann_whitney_u(high, low).p_value, m.p_value, 1e-15);
  // Ties: pooled 1, 2, 2, 2, 3, 3, 3, 4; U = 13 by counting pairs, tie term 48.
  const std::vector<double> a = {1, 2, 2, 3}, b = {2, 3, 3, 4};
  const auto t = mann_whitney_u(a, b);
  EXPECT_DOUBLE_EQ(t.u, 13);
  EXPECT_NEAR(t.z, 1.365698202000489, 1e-12);
  EXPECT_NEAR(t.p_value, 0.17203370892182296, 1e-12);
  // Identical samples carry no evidence.
  const std::vector<double> same = {3, 3, 3, 3, 3};
  EXPECT_EQ(mann_whitney_u(same, same).p_value, 1);
}

TEST(Compare, VerdictsOnKnownSamples) {
  const auto a = samples(20, 1e-3, 0.005);
  const auto scaled = [&](double f) {
    auto out = a;
    for (double& x : out) x *= f;
    return out;
  };
  EXPECT_EQ(judge(a, scaled(1.10), 0.02).verdict, Change::slower);
  EXPECT_LT(*judge(a, scaled(1.10), 0.02).p_value, 1e-6);
  EXPECT_NEAR(judge(a, scaled(1.10), 0.02).time_ratio, 1.10, 1e-12);
  EXPECT_EQ(judge(a, scaled(0.90), 0.02).verdict, Change::faster);
  // Significant, but within the practical threshold.
  EXPECT_EQ(judge(a, scaled(1.01), 0.02).verdict, Change::same);
  EXPECT_EQ(judge(a, a, 0.02).verdict, Change::same);
  // 5% apart in the median, but the samples spread +-30%: the test cannot tell.
  const auto noisy_a = samples(8, 1e-3, 0.3);
  auto noisy_b = samples(8, 1.05e-3, 0.3);
  std::reverse(noisy_b.begin(), noisy_b.end());
  const Judgement noisy = judge(noisy_a, noisy_b, 0.02);
  EXPECT_EQ(noisy.verdict, Change::inconclusive);
  EXPECT_GE(*noisy.p_value, 0.05);
  // Too few samples for the test: a measurement that reached its time limit, as a slow B does.
  // Beyond the floor with every sample of B beyond every one of A, a change still.
  const Judgement few = judge(samples(5, 0.3, 0.01), samples(3, 0.9, 0.01), 0.6);
  EXPECT_EQ(few.verdict, Change::slower);
  EXPECT_NEAR(*few.p_value, 2.0 / 56, 1e-12);  // 2 / C(8, 3)
  EXPECT_EQ(judge(samples(4, 0.9, 0.01), samples(1, 0.3, 0), 0.6).verdict, Change::faster);
  EXPECT_EQ(judge(samples(3, 0.3, 0.01), samples(2, 0.33, 0.01), 0.6).verdict, Change::same);
  // One sample against one (or against three) falls beyond by chance as often as not.
  EXPECT_EQ(judge(samples(1, 0.3, 0), samples(1, 0.9, 0), 0.6).verdict, Change::inconclusive);
  EXPECT_EQ(judge(samples(3, 0.3, 0.01), samples(1, 0.9, 0), 0.6).verdict, Change::inconclusive);
  // The floor is held against A's median, the separation against every sample of A: its p is
  // exact (2 / C(13, 3)). A sample of A as slow as B's leaves the few samples undecided.
  std::vector<double> a_with_outlier = samples(9, 1.0, 0.01);
  a_with_outlier.push_back(1.5);
  const Judgement beyond = judge(a_with_outlier, std::vector{1.9, 1.92, 1.94}, 0.6);
  EXPECT_EQ(beyond.verdict, Change::slower);
  EXPECT_NEAR(*beyond.p_value, 2.0 / 286, 1e-15);
  a_with_outlier.back() = 2.0;
  EXPECT_EQ(judge(a_with_outlier, std::vector{1.9, 1.92, 1.94}, 0.6).verdict, Change::inconclusive);
  EXPECT_EQ(judge(samples(5, 1.0, 0.01), std::vector{1.5, 1.9, 1.94}, 0.6).verdict,
            Change::inconclusive);  // 1.5 is within the floor of A's median
  // A sample of B within the floor of A's median leaves it undecided.
  const Judgement mixed = judge(std::vector{0.3, 0.3, 1.0}, std::vector{0.9, 0.9, 0.4}, 0.6);
  EXPECT_EQ(mixed.verdict, Change::inconclusive);
  EXPECT_FALSE(mixed.p_value);
  EXPECT_EQ(mixed.reason, "too few samples to tell (3 and 3; the test needs 5 each)");
  // A median that is not a positive time is no evidence either way.
  EXPECT_EQ(judge(std::vector(6, 0.0), a, 0.02).reason, "a median time is not a positive number");
  // Significant and beyond 2%, but within a noise floor between runs (here 6 %); beyond it, a
  // change.
  EXPECT_EQ(judge(a, scaled(1.05), 0.06).verdict, Change::same);
  EXPECT_EQ(judge(a, scaled(1.07), 0.06).verdict, Change::slower);
  // Samples in two clusters: B's median is twice A's, but B's samples tend to be the shorter
  // (the test says so at p < 0.05): no verdict either way.
  std::vector<double> two_a(9, 1.0), two_b(8, 0.5);
  two_a.insert(two_a.end(), 8, 3.0);
  two_b.insert(two_b.end(), 9, 2.0);
  const Judgement disagree = judge(two_a, two_b, 0.02);
  EXPECT_NEAR(disagree.time_ratio, 2.0, 1e-12);
  EXPECT_LT(*disagree.p_value, 0.05);
  EXPECT_LT(mann_whitney_u(two_a, two_b).z, 0);
  EXPECT_EQ(disagree.verdict, Change::inconclusive);
  EXPECT_EQ(disagree.reason, "the samples and their medians differ the other way");
}

// The U test's tie loop once relied on NaN == NaN and never returned.
// The floor follows how a record was timed: GPU events drift little, but a host-timed end-to-end
// run (transfers, launch) has the CPU's floors; memory-bound CPU work the widest.
TEST(Compare, NoiseFloorFollowsDeviceBoundAndTiming) {
  // Three floors told apart (the defaults give both CPU classes 100 %).
  const CompareRule rule{.cpu_compute_floor = 0.3, .cpu_bandwidth_floor = 0.7};
  MeasurementRecord r;
  r.workload = WorkloadId::gemm;
  EXPECT_EQ(rule.noise_floor(r), rule.cpu_compute_floor);
  r.workload = WorkloadId::dot;
  EXPECT_EQ(rule.noise_floor(r), rule.cpu_bandwidth_floor);
  r.device = DeviceRef::gpu({0});
  r.timing = "device_events";
  EXPECT_EQ(rule.noise_floor(r), rule.gpu_noise_floor);
  for (const char* host_timed : {"end_to_end_pinned", "end_to_end_pageable"}) {
    r.timing = host_timed;
    EXPECT_EQ(rule.noise_floor(r), rule.cpu_bandwidth_floor) << host_timed;
  }
  // A copy from or to pageable memory is a host memcpy into the driver's staging buffers, timed
  // by events: it drifts as host memory work does (24 % between two runs of one H200).
  r.timing = "device_events";
  r.workload = WorkloadId::transfer;
  for (const char* copy : {"h2d-pageable", "d2h-pageable"}) {
    r.implementation = copy;
    EXPECT_EQ(rule.noise_floor(r), rule.cpu_bandwidth_floor) << copy;
  }
  r.implementation = "h2d-pinned";
  EXPECT_EQ(rule.noise_floor(r), rule.gpu_noise_floor);
  r.workload = WorkloadId::dot;
  r.implementation = "cuda";
  // The machine aggregate's host-timed interval holds the GPUs' work: the GPU floor, so that a
  // slowdown only all GPUs at once show (power, cooling) is found.
  r.device = DeviceRef::gpu({0, 1});
  EXPECT_EQ(rule.noise_floor(r), rule.gpu_noise_floor);
}

TEST(Compare, NanSamplesAreInconclusiveAndTheTestReturns) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> a = {nan, 1, 2, nan, 3}, b = {nan, 3, 4, 5, 6};
  EXPECT_LE(mann_whitney_u(a, b).u, 25);
  const Judgement j = judge(a, b, 0.02);
  EXPECT_EQ(j.verdict, Change::inconclusive);
  EXPECT_EQ(j.reason, "a sample is not a number");
  ResultsDocument x = base_document(), y = base_document();
  x.measurements.at(0).samples_s.at(2) = nan;
  const CompareResult r = compare_results(x, y);
  EXPECT_EQ(r.matched.at(0).judgement.verdict, Change::inconclusive);
  EXPECT_TRUE(regressions(r, 0).empty());
}

// B: SGEMM omp 256^3 150% slower (beyond the 100% compute-bound floor), sum omp missing, a new dot,
// DGEMM omp failed; the rest equal.
ResultsDocument changed_document() {
  ResultsDocument b = base_document();
  stretch_times(b.measurements.at(0), 2.5);
  b.measurements.at(5).disposition = Disposition::failed;
  b.measurements.at(5).reason = "out of memory";
  b.measurements.erase(b.measurements.begin() + 7);  // sum omp cpu fp32
  MeasurementRecord extra = b.measurements.at(9);    // dot openblas cpu fp64, 1M
  extra.problem = Problem::vector(1 << 24);
  b.measurements.push_back(extra);
  return b;
}

TEST(Compare, MatchesAndSummarises) {
  const ResultsDocument a = base_document(), b = changed_document();
  const CompareResult r = compare_results(a, b);
  ASSERT_EQ(r.only_a.size(), 1u);
  EXPECT_EQ(where(*r.only_a[0]), "sum (fp32) omp on cpu, 4194304");
  ASSERT_EQ(r.only_b.size(), 1u);
  EXPECT_EQ(r.only_b[0]->problem, Problem::vector(1 << 24));
  ASSERT_EQ(r.matched.size(), a.measurements.size() - 1);
  std::map<Change, int> counts;
  for (const auto& c : r.matched) ++counts[c.judgement.verdict];
  EXPECT_EQ(counts[Change::slower], 1);
  EXPECT_EQ(counts[Change::faster], 0);
  EXPECT_EQ(r.matched[0].judgement.verdict, Change::slower);
  EXPECT_EQ(r.matched[5].judgement.verdict, Change::inconclusive);
  EXPECT_EQ(r.matched[5].judgement.reason, "B failed");
  // 11 measurements passed in both, of which 5 are CPU bandwidth partly of a cache (left out):
  // one ratio of 2.5, five of 1.
  EXPECT_EQ(r.geomean_of, 6u);
  EXPECT_NEAR(*r.geomean_time_ratio, std::pow(2.5, 1.0 / 6), 1e-12);
  EXPECT_EQ(regressions(r, 10).size(), 1u);
  EXPECT_TRUE(regressions(r, 160).empty());
  const std::string text = compare_text(r);
  EXPECT_NE(text.find("+150.0%"), std::string::npos);
  EXPECT_NE(text.find("only in A:\n  sum (fp32) omp on cpu, 4194304 (passed)"), std::string::npos);
  EXPECT_NE(text.find("0 faster, 1 slower, 10 same, 5 inconclusive"), std::string::npos) << text;
  // The failed measurement broke; the missing one is lost only when B must have it.
  EXPECT_EQ(r.matched[5].broken, "failed: out of memory");
  EXPECT_EQ(lost_measurements(r, true).size(), 2u);
  EXPECT_EQ(lost_measurements(r, false).size(), 1u);
  // Backwards, B fixed what A broke, and A's extra dot is not in B.
  EXPECT_EQ(lost_measurements(compare_results(b, a), true),
            std::vector<std::string>{"dot (fp64) omp on cpu, 16777216: not in B"});
}

// Bandwidth partly of a cache (sum omp fp32 of 16 MiB beside 105 MiB of L3) moves with what a
// co-tenant keeps in the cache: one run a side gives it no verdict, however far apart; beyond
// the cache, the same change is one.
TEST(Compare, PartlyCacheBandwidthIsJudgedOnlyOnRepeatedRuns) {
  const ResultsDocument a = base_document();
  ResultsDocument b = base_document();
  MeasurementRecord& sum = b.measurements.at(7);
  ASSERT_EQ(where(sum), "sum (fp32) omp on cpu, 4194304");
  ASSERT_TRUE(within_cache(b.environment, sum));
  stretch_times(sum, 2.5);
  const CompareResult r = compare_results(a, b);
  EXPECT_EQ(r.matched.at(7).judgement.verdict, Change::inconclusive);
  EXPECT_EQ(r.matched.at(7).judgement.reason,
            "partly cache bandwidth, which a co-tenant's use of the cache moves between runs: "
            "compare repeated runs (run --repeat)");
  EXPECT_TRUE(regressions(r, 10).empty());
  // A side with a small cache measured memory: slower.
  ResultsDocument small_a = a, small_b = b;
  for (ResultsDocument* d : {&small_a, &small_b}) {
    for (CacheLevel& c : d->environment.cpu.caches)
      c.size_bytes = std::min<std::int64_t>(c.size_bytes, 1 << 18);
  }
  ASSERT_FALSE(within_cache(small_b.environment, small_b.measurements.at(7)));
  EXPECT_EQ(compare_results(small_a, small_b).matched.at(7).judgement.verdict, Change::slower);
  // Replicates judge it on the spread of their runs.
  const std::vector<ResultsDocument> as = {a, a}, bs = {b, b};
  EXPECT_EQ(compare_results(as, bs).matched.at(7).judgement.verdict, Change::slower);
  // Its ratio is left out of the geometric mean, which the other measurements make 1.
  ASSERT_TRUE(r.geomean_time_ratio);
  EXPECT_DOUBLE_EQ(*r.geomean_time_ratio, 1.0);
  // A GPU's L2 is no co-tenant's: GPU work within it keeps its verdict.
  ResultsDocument gpu_b = base_document();
  MeasurementRecord& on_gpu = gpu_b.measurements.at(8);
  ASSERT_EQ(where(on_gpu), "sum (fp32) cub on gpu0, 4194304");
  ASSERT_TRUE(within_cache(gpu_b.environment, on_gpu));
  stretch_times(on_gpu, 1.5);
  EXPECT_EQ(compare_results(a, gpu_b).matched.at(8).judgement.verdict, Change::slower);
}

// A measurement that a later run of B lacks is lost in it, as one the first run lacks is: not
// judged on the runs that have it alone and let through the gate.
TEST(Compare, AMeasurementALaterRunOfBLacksIsLost) {
  const std::vector<ResultsDocument> a = {base_document(), base_document()};
  std::vector<ResultsDocument> b = {base_document(), base_document()};
  b[1].measurements.erase(b[1].measurements.begin() + 10);  // dot omp cpu fp64
  const CompareResult r = compare_results(a, b);
  ASSERT_EQ(r.matched.at(10).missing_in_b_runs, std::vector<std::size_t>{2});
  EXPECT_EQ(lost_measurements(r, true),
            std::vector<std::string>{"dot (fp64) omp on cpu, 1048576: not in B run 2"});
  EXPECT_TRUE(lost_measurements(r, false).empty());  // --allow-missing
  EXPECT_NE(compare_text(r).find("not in every run of B, judged on those that have it:\n  dot "
                                 "(fp64) omp on cpu, 1048576 (not in run 2)\n"),
            std::string::npos)
      << compare_text(r);
  // A later run of B whose machine lacks the GPU: lost even with --allow-missing, and said so;
  // a CPU measurement another run lacks is not, though some run of B lost that GPU.
  std::vector<ResultsDocument> three = {base_document(), base_document(), base_document()};
  three[1].measurements.erase(three[1].measurements.begin() + 10);
  three[2].environment.gpu.devices.clear();
  std::erase_if(three[2].measurements,
                [](const MeasurementRecord& m) { return m.device.on_gpu(); });
  const std::vector<ResultsDocument> a3 = {base_document(), base_document(), base_document()};
  const std::vector<std::string> lost_gpu = lost_measurements(compare_results(a3, three), false);
  EXPECT_NE(std::ranges::find(lost_gpu,
                              "SGEMM (fp32) cublas on gpu0, 256x256x256: not in B run 3, whose "
                              "machine lacks that GPU"),
            lost_gpu.end())
      << fmt::format("{}", fmt::join(lost_gpu, "\n"));
  EXPECT_TRUE(std::ranges::none_of(lost_gpu, [](const std::string& l) {
    return l.starts_with("dot (fp64) omp on cpu");
  })) << fmt::format("{}", fmt::join(lost_gpu, "\n"));
  // The first run lacks it: only in A, as before.
  std::swap(b[0], b[1]);
  const CompareResult first = compare_results(a, b);
  EXPECT_EQ(lost_measurements(first, true),
            std::vector<std::string>{"dot (fp64) omp on cpu, 1048576: not in B"});
}

// A contended measurement's time is partly a co-tenant's: never a verdict.
TEST(Compare, ContendedMeasurementsAreInconclusive) {
  ResultsDocument b = changed_document();
  b.measurements.at(0).load = MachineLoad{.readings = 10, .contended = true};
  const CompareResult r = compare_results(base_document(), b);
  EXPECT_EQ(r.matched.at(0).judgement.verdict, Change::inconclusive);
  EXPECT_EQ(r.matched.at(0).judgement.reason, "B contended");
  EXPECT_TRUE(regressions(r, 0).empty());
  // A GPU's own time is judged however busy the host was, as check judges it.
  ResultsDocument busy_host = changed_document();
  for (MeasurementRecord& m : busy_host.measurements) {
    m.load = MachineLoad{.readings = 10, .contended = true};
  }
  const ResultsDocument quiet = base_document();  // outlives the result, which points into it
  const CompareResult gpu = compare_results(quiet, busy_host);
  for (const Comparison& c : gpu.matched) {
    if (c.a->timed_by_the_gpu()) {
      EXPECT_NE(c.judgement.reason, "B contended") << where(*c.a);
    } else {
      EXPECT_EQ(c.judgement.reason.ends_with("contended"), passed(*c.b)) << where(*c.a);
    }
  }
  EXPECT_TRUE(std::ranges::any_of(gpu.matched, [](const Comparison& c) {
    return c.a->timed_by_the_gpu() && c.judgement.verdict == Change::same;
  }));
}

// A change in time that comes with a change in how the implementation ran (other vectors, fewer
// threads than given) is listed with it, so that it is not read as the code's.
TEST(Compare, WhatRanDifferentlyIsListedBesideTheVerdict) {
  ResultsDocument a = base_document(), b = changed_document();  // B's SGEMM 150 % slower
  a.measurements.at(0).vector_bits = 512;
  b.measurements.at(0).vector_bits = 256;
  const MachineLoad judged{.readings = 10, .busy = 2.0, .fewer_threads = false};
  a.measurements.at(0).load = judged;
  b.measurements.at(0).load = judged;
  b.measurements.at(0).load->busy = 1.0;
  b.measurements.at(0).load->fewer_threads = true;
  const CompareResult r = compare_results(a, b);
  const Comparison& sgemm = r.matched.at(0);
  EXPECT_EQ(sgemm.judgement.verdict, Change::slower);
  EXPECT_EQ(sgemm.ran_differently,
            (std::vector<std::string>{"vectors of 512 bits in A, 256 in B",
                                      "B ran on fewer threads than it was given, A did not"}));
  const std::string text = compare_text(r);
  EXPECT_NE(text.find("ran differently in A and B, which its change in time may come from rather "
                      "than the code:\n  " +
                      where(*sgemm.a) +
                      " (slower): vectors of 512 bits in A, 256 in B; B ran on fewer threads "
                      "than it was given, A did not\n"),
            std::string::npos)
      << text;
  // Alike, or unknown on a side (a file from before the fields, a measurement not judged): nothing.
  EXPECT_TRUE(compare_results(a, a).matched.at(0).ran_differently.empty());
  b.measurements.at(0).vector_bits.reset();
  b.measurements.at(0).load->fewer_threads.reset();
  EXPECT_TRUE(compare_results(a, b).matched.at(0).ran_differently.empty());
  EXPECT_EQ(compare_text(compare_results(a, b)).find("ran differently"), std::string::npos);

  // Replicates: one run of A of three on fewer threads, and B judged in both of its runs; B's
  // runs at two widths.
  std::vector<ResultsDocument> as(3, base_document()), bs(2, base_document());
  for (auto* side : {&as, &bs}) {
    for (auto& doc : *side) {
      doc.measurements.at(0).load = judged;
      doc.measurements.at(0).vector_bits = 512;
    }
  }
  as[1].measurements.at(0).load->fewer_threads = true;
  bs[1].measurements.at(0).vector_bits = 256;
  EXPECT_EQ(compare_results(as, bs).matched.at(0).ran_differently,
            (std::vector<std::string>{
                "vectors of 512 bits in A, 256 or 512 (by run) in B",
                "A ran on fewer threads than it was given in 1 of its 3 runs, B in none"}));
  // A run of B not judged: whether B ran on fewer threads is not known for every run.
  bs[0].measurements.at(0).load->fewer_threads.reset();
  EXPECT_EQ(compare_results(as, bs).matched.at(0).ran_differently,
            std::vector<std::string>{"vectors of 512 bits in A, 256 or 512 (by run) in B"});
}

// Two runs on machines without a GPU: their GPU work is counted once, by reason, not compared row
// by row as inconclusive; GPU work that one side ran stays a row, or "only in".
TEST(Compare, GpuWorkRunOnNeitherSideIsCountedNotCompared) {
  ResultsDocument a = base_document();
  MeasurementRecord no_gpu = a.measurements.at(2);  // SGEMM cublas on gpu0
  no_gpu.device = DeviceRef::gpu({});
  no_gpu.disposition = Disposition::unsupported;
  no_gpu.reason = "no CUDA device: no NVIDIA driver is installed or loaded";
  a.measurements.push_back(no_gpu);
  no_gpu.workload = WorkloadId::dot;
  a.measurements.push_back(no_gpu);
  const std::size_t rows = base_document().measurements.size();
  const CompareResult r = compare_results(a, a);
  EXPECT_EQ(r.matched.size(), rows);
  EXPECT_EQ(r.run_on_neither, (std::map<std::string, std::size_t>{
                                  {"no CUDA device: no NVIDIA driver is installed or loaded", 2}}));
  EXPECT_TRUE(r.only_a.empty() && r.only_b.empty());
  EXPECT_NE(compare_text(r).find("\n2 GPU measurements run on neither side: no CUDA device: no "
                                 "NVIDIA driver is installed or loaded\n"),
            std::string::npos)
      << compare_text(r);
  // Against a run that had a GPU, its measurements are only in B, as before.
  const ResultsDocument with_gpu = base_document();  // outlives the result, which points into it
  const CompareResult gpu_b = compare_results(a, with_gpu);
  EXPECT_TRUE(gpu_b.run_on_neither.empty());
  EXPECT_EQ(gpu_b.only_a.size(), 2u);
  EXPECT_EQ(compare_text(gpu_b).find("run on neither side"), std::string::npos);
}

// A B whose machine saw no GPU, or lacks one A measured on, lost A's measurements on it: not a
// smaller selection that --allow-missing excuses, whether B recorded them as skipped (no CUDA
// device) or not at all (a build without CUDA). A B with its GPUs that measured less is excused
// as before.
TEST(Compare, ABThatLostAGpuLostAsMeasurementsOnItWhateverIsAllowedMissing) {
  const ResultsDocument a = base_document();
  std::size_t a_gpu = 0, a_gpu_passed = 0;
  for (const MeasurementRecord& r : a.measurements) {
    a_gpu += r.device.on_gpu();
    a_gpu_passed += r.device.on_gpu() && r.disposition == Disposition::passed;
  }
  ASSERT_GT(a_gpu_passed, 0u);
  ResultsDocument skipped = a;
  skipped.environment.gpu.devices.clear();
  skipped.environment.gpu.no_device_reason = "no NVIDIA driver is installed or loaded";
  for (MeasurementRecord& r : skipped.measurements) {
    if (!r.device.on_gpu()) continue;
    r.device = DeviceRef::gpu({});
    r.disposition = Disposition::unsupported;
    r.reason = "no CUDA device: no NVIDIA driver is installed or loaded";
  }
  ResultsDocument cpu_only = skipped;
  std::erase_if(cpu_only.measurements,
                [](const MeasurementRecord& r) { return r.device.on_gpu(); });
  for (const ResultsDocument* b : {&skipped, &cpu_only}) {
    const CompareResult r = compare_results(a, *b);
    EXPECT_EQ(r.only_a.size(), a_gpu);
    EXPECT_EQ(r.gpus_lost_in_b,
              "B saw no GPU (no NVIDIA driver is installed or loaded), where A measured on GPUs: "
              "A's GPU measurements are lost in it, not left out");
    const std::vector<std::string> lost = lost_measurements(r, false);
    EXPECT_EQ(lost.size(), a_gpu_passed);  // those that passed in A
    EXPECT_TRUE(std::ranges::all_of(lost, [](const std::string& l) {
      return l.ends_with(": not in B, whose machine lacks that GPU");
    })) << lost.front();
    EXPECT_NE(compare_text(r).find("\nB saw no GPU (no NVIDIA driver"), std::string::npos);
  }
  // Backwards, and between two runs without a GPU, nothing was lost.
  EXPECT_TRUE(compare_results(skipped, a).gpus_lost_in_b.empty());
  EXPECT_TRUE(lost_measurements(compare_results(skipped, cpu_only), false).empty());
  // Of replicates, the run that saw none is named.
  const std::vector<ResultsDocument> as = {a, a}, bs = {a, cpu_only};
  EXPECT_TRUE(compare_results(as, bs).gpus_lost_in_b.starts_with("B run 2 saw no GPU ("));
  // A B that lost one of two GPUs lost A's measurements on that one alone.
  ResultsDocument two = two_gpu_document(), one = two;
  one.environment.gpu.devices.pop_back();  // gpu1 gone
  std::erase_if(one.measurements,
                [](const MeasurementRecord& r) { return r.device == DeviceRef::gpu({1}); });
  const CompareResult lost_one = compare_results(two, one);
  EXPECT_EQ(lost_one.lost_gpus, std::set<int>{1});
  EXPECT_EQ(lost_one.gpus_lost_in_b,
            "B has no gpu1 (its machine has 1 GPU), where A measured on it: A's measurements on "
            "it are lost in it, not left out");
  const std::vector<std::string> lost_on_gpu1 = lost_measurements(lost_one, false);
  ASSERT_EQ(lost_on_gpu1.size(), 1u);
  EXPECT_NE(lost_on_gpu1[0].find("on gpu1"), std::string::npos) << lost_on_gpu1[0];
  // A B with its GPU that left some GPU work out measured less.
  ResultsDocument fewer = a;
  const auto gpu_record = std::ranges::find_if(
      fewer.measurements, [](const MeasurementRecord& r) { return r.device.on_gpu(); });
  fewer.measurements.erase(gpu_record);
  const CompareResult less = compare_results(a, fewer);
  EXPECT_TRUE(less.gpus_lost_in_b.empty() && less.lost_gpus.empty());
  EXPECT_EQ(less.only_a.size(), 1u);
  EXPECT_TRUE(lost_measurements(less, false).empty());
  EXPECT_EQ(lost_measurements(less, true).size(), 1u);
}

// `check` measures again what missed a criterion while contended and keeps both records: the
// quiet re-measurement is the one compared, in one row, on either side.
TEST(Compare, ARemeasuredMeasurementIsComparedOnceByItsQuietRecord) {
  const auto contended = [](MeasurementRecord r) {
    r.load = MachineLoad{.readings = 10, .contended = true};
    return r;
  };
  ResultsDocument a = base_document(), b = changed_document();  // B's SGEMM 150 % slower
  b.measurements.insert(b.measurements.begin(), contended(b.measurements.at(0)));
  a.measurements.push_back(contended(a.measurements.at(0)));  // after the quiet one: not chosen
  for (const bool forwards : {true, false}) {
    const CompareResult r = forwards ? compare_results(a, b) : compare_results(b, a);
    ASSERT_EQ(r.matched.size(), base_document().measurements.size() - 1);
    const Comparison& sgemm = r.matched.at(0);
    EXPECT_EQ(sgemm.a->problem, base_document().measurements.at(0).problem);
    EXPECT_FALSE(sgemm.a->contended());
    EXPECT_FALSE(sgemm.b->contended());
    EXPECT_EQ(r.only_a.size() + r.only_b.size(), 2u);
  }
  const CompareResult r = compare_results(a, b);
  EXPECT_EQ(r.matched.at(0).judgement.verdict, Change::slower);
  EXPECT_EQ(regressions(r, 10).size(), 1u);
}

// An inconclusive row shows what a judged one would: with replicates, the median of the runs'
// medians, not the first run's.
TEST(Compare, AnInconclusiveRowShowsTheMedianOfTheRuns) {
  const auto scaled = [](double factor, bool contended) {
    ResultsDocument d = base_document();
    MeasurementRecord& m = d.measurements.at(0);
    stretch_times(m, factor);
    if (contended) m.load = MachineLoad{.readings = 10, .contended = true};
    return d;
  };
  const double one = base_document().measurements.at(0).stats->median;
  const std::vector<ResultsDocument> a = {scaled(1, true), scaled(3, false), scaled(5, false)};
  const std::vector<ResultsDocument> b = {scaled(2, false), scaled(2, false)};
  const CompareResult r = compare_results(a, b);
  const Comparison& c = r.matched.at(0);
  EXPECT_EQ(c.judgement.verdict, Change::inconclusive);
  EXPECT_EQ(c.judgement.reason, "A contended");
  EXPECT_DOUBLE_EQ(c.a_median, 3 * one);
  EXPECT_DOUBLE_EQ(c.b_median, 2 * one);
}

// A recorded median that is no time ("inf", "nan": the reader accepts them) is no verdict,
// whatever the samples say, and shows as what it is.
TEST(Compare, AMedianThatIsNoTimeIsInconclusive) {
  for (const double bad :
       {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
    const ResultsDocument a = base_document();  // the result points into both documents
    ResultsDocument b = base_document();
    b.measurements.at(0).stats->median = bad;
    const CompareResult r = compare_results(a, b);
    EXPECT_EQ(r.matched.at(0).judgement.verdict, Change::inconclusive) << bad;
    EXPECT_EQ(r.matched.at(0).judgement.reason, "a median time is not a positive number");
    EXPECT_TRUE(regressions(r, 0).empty());
    const std::string text = compare_text(r);
    EXPECT_NE(text.find(std::isnan(bad) ? "nan s" : "inf s"), std::string::npos) << text;
    // One such run among replicates: its spread would be infinite, and every change "same".
    const Judgement j =
        judge_replicates(std::vector{1.0, 1.01, bad}, std::vector{2.0, 2.01, 2.0}, 0.25, true);
    EXPECT_EQ(j.verdict, Change::inconclusive);
    EXPECT_EQ(j.reason, "a run's median is not a positive number");
  }
}

TEST(Compare, ReplicatesAreJudgedOnTheNoiseBetweenRuns) {
  // The runs of each side spread 8%: a 4% change is within it.
  const Judgement within = judge_replicates(std::vector{1.0, 1.08, 1.0, 1.08},
                                            std::vector{1.04, 1.12, 1.04, 1.12}, 0.25, true);
  EXPECT_EQ(within.verdict, Change::same);
  EXPECT_NEAR(within.noise, 0.08, 1e-12);  // the larger median over the smaller, as drifts
  // A side whose runs drift 30% cannot resolve a 24% change.
  EXPECT_EQ(judge_replicates(std::vector{1.0, 1.3, 1.3, 1.3}, std::vector{1.61, 1.62, 1.61, 1.62},
                             0.25, true)
                .verdict,
            Change::same);
  // Four runs each that fall apart are a change (2 / C(8, 4) = 0.029 < 0.05)...
  EXPECT_EQ(judge_replicates(std::vector{1.0, 1.01, 1.0, 1.01}, std::vector{1.2, 1.22, 1.2, 1.21},
                             0.25, true)
                .verdict,
            Change::slower);
  EXPECT_EQ(judge_replicates(std::vector{1.0, 1.01, 1.0, 1.01}, std::vector{0.8, 0.82, 0.8, 0.81},
                             0.25, true)
                .verdict,
            Change::faster);
  // ... unless the runs of each side were taken one after the other: a session's drift, which
  // their spread cannot show, and the one-run floor holds.
  const Judgement batches = judge_replicates(std::vector{1.0, 1.01, 1.0, 1.01},
                                             std::vector{1.05, 1.06, 1.05, 1.06}, 0.25, false);
  EXPECT_EQ(batches.verdict, Change::same);
  EXPECT_EQ(batches.noise, 0.25);
  // ... two each fall apart once in three by chance: the one-run floor holds for them.
  const Judgement two_each =
      judge_replicates(std::vector{1.0, 1.01}, std::vector{1.2, 1.22}, 0.25, true);
  EXPECT_EQ(two_each.verdict, Change::same);
  EXPECT_EQ(two_each.noise, 0.25);
  EXPECT_EQ(judge_replicates(std::vector{1.0, 1.01}, std::vector{1.4, 1.42}, 0.25, true).verdict,
            Change::slower);
  // Beyond the spread of either side's runs, but one run of B is as fast as one of A.
  const Judgement overlap = judge_replicates(std::vector{1.0, 1.0, 1.0, 1.2},
                                             std::vector{1.19, 1.6, 1.6, 1.6}, 0.25, true);
  EXPECT_EQ(overlap.verdict, Change::inconclusive);
  EXPECT_EQ(overlap.reason, "the runs overlap");
  // Documents: two runs of each side; the 150% slower SGEMM shows in both runs of B.
  const std::vector<ResultsDocument> a = {base_document(), base_document()};
  const std::vector<ResultsDocument> b = {changed_document(), changed_document()};
  const CompareResult r = compare_results(a, b);
  EXPECT_EQ(r.matched.at(0).judgement.verdict, Change::slower);
  EXPECT_NEAR(r.matched.at(0).judgement.time_ratio, 2.5, 1e-12);
  EXPECT_EQ(r.matched.at(1).judgement.verdict, Change::same);
  EXPECT_THROW(compare_results(std::span(a).first(1), b), InputError);
}

// Four runs a side, B's SGEMM omp 5% slower than A's, each run's median a little apart: the runs
// resolve it only when A and B were taken in turns; in two batches, one after the other, each
// batch shares its session's drift and the floor between runs holds.
TEST(Compare, ReplicatesTakenInBatchesKeepTheFloor) {
  const auto run = [](double factor, std::string started, std::string finished) {
    ResultsDocument d = base_document();
    stretch_times(d.measurements.at(0), factor);
    d.run.started_utc = std::move(started);
    d.run.finished_utc = std::move(finished);
    return d;
  };
  const auto at = [](int minute) { return fmt::format("2026-12-01T10:{:02}:00Z", minute); };
  std::vector<ResultsDocument> a, b, a_turns, b_turns;
  for (int i = 0; i < 4; ++i) {
    const double wobble = 1 + 0.002 * i;
    a.push_back(run(wobble, at(i), at(i) + ""));
    b.push_back(run(1.05 * wobble, at(10 + i), at(10 + i)));
    a_turns.push_back(run(wobble, at(2 * i), at(2 * i)));
    b_turns.push_back(run(1.05 * wobble, at(2 * i + 1), at(2 * i + 1)));
  }
  // A run's start and end in the same minute: give each run a minute of its own.
  for (auto* side : {&a, &b, &a_turns, &b_turns}) {
    for (ResultsDocument& d : *side) d.run.finished_utc.replace(17, 2, "30");
  }
  const CompareResult batches = compare_results(a, b);
  EXPECT_TRUE(batches.replicates());
  EXPECT_FALSE(batches.interleaved);
  EXPECT_EQ(batches.matched.at(0).judgement.verdict, Change::same);
  EXPECT_NE(compare_text(batches).find("Run A and B in turns"), std::string::npos);
  // Judged on one measurement alone, four runs in turns would do (2 / C(8, 4) = 0.029 < 0.05)...
  const CompareResult turns = compare_results(a_turns, b_turns);
  EXPECT_TRUE(turns.interleaved);
  EXPECT_EQ(compare_text(turns).find("Run A and B in turns"), std::string::npos);
  // ... but with every other measurement of the run judged too, a separation somewhere by chance
  // is too likely: the floor holds, and the output says how many runs would do.
  EXPECT_EQ(turns.judged_on_runs, 13u);  // every measurement that passed, none contended
  EXPECT_DOUBLE_EQ(turns.runs_level, 0.05 / 13);
  EXPECT_EQ(turns.matched.at(0).judgement.verdict, Change::same);
  const std::string text = compare_text(turns);
  EXPECT_NE(text.find(fmt::format("the runs of A and B were taken in turns, but 4 and 4 runs are "
                                  "too few for {} measurements judged at once",
                                  turns.judged_on_runs)),
            std::string::npos)
      << text;
  // 2 / C(10, 5) = 0.0079 is not below 0.05 / 13 = 0.0038; 2 / C(12, 6) = 0.0022 is.
  EXPECT_NE(text.find("6 runs a side, in turns, would resolve smaller changes"), std::string::npos)
      << text;
  EXPECT_NE(text.find("2/C(a+b, a) < 0.05 / m, here m = 13: 0.0038"), std::string::npos) << text;
  // With more runs of B, fewer of A may do: 4 against 8 is not enough (2 / C(12, 4) = 0.004),
  // 5 against 8 is (0.0016).
  std::vector<ResultsDocument> four_a, eight_b;
  for (int i = 0; i < 8; ++i) {  // B, A, B, A, ...: as much in turns as the counts allow
    eight_b.push_back(run(1.05, at(3 * i), at(3 * i)));
    if (i < 4) four_a.push_back(run(1, at(3 * i + 1), at(3 * i + 1)));
  }
  for (auto* side : {&four_a, &eight_b}) {
    for (ResultsDocument& d : *side) d.run.finished_utc.replace(17, 2, "30");
  }
  const CompareResult uneven = compare_results(four_a, eight_b);
  EXPECT_TRUE(uneven.interleaved);
  EXPECT_NE(compare_text(uneven).find("5 runs of A against B's 8, or 6 runs a side"),
            std::string::npos)
      << compare_text(uneven);
  // Six runs a side, in turns: 2 / C(12, 6) = 0.0022, unlikely enough for them all.
  for (int i = 4; i < 6; ++i) {
    const double wobble = 1 + 0.002 * i;
    a_turns.push_back(run(wobble, at(2 * i), at(2 * i)));
    b_turns.push_back(run(1.05 * wobble, at(2 * i + 1), at(2 * i + 1)));
    a_turns.back().run.finished_utc.replace(17, 2, "30");
    b_turns.back().run.finished_utc.replace(17, 2, "30");
  }
  const CompareResult six = compare_results(a_turns, b_turns);
  ASSERT_LT(2.0 / 924, six.runs_level);
  EXPECT_EQ(six.matched.at(0).judgement.verdict, Change::slower);
  EXPECT_EQ(compare_text(six).find("too few for"), std::string::npos);
  // A measurement missing from three runs of B: its own six against three keep the floor, and
  // its row says why.
  std::vector<ResultsDocument> b_gaps = b_turns;
  for (int i = 1; i <= 3; ++i) {
    b_gaps[i].measurements.erase(b_gaps[i].measurements.begin());
  }
  const CompareResult with_gaps = compare_results(a_turns, b_gaps);
  const Comparison& gappy = with_gaps.matched.at(0);
  EXPECT_EQ(gappy.judgement.verdict, Change::same);
  EXPECT_EQ(gappy.judgement.reason,
            "in 6 and 3 of the runs: too few to show the drift between runs");
  // A batch with one run of A taken again after B's is no more in turns than two batches.
  a.back().run.started_utc = a.back().run.finished_utc = at(30);
  EXPECT_FALSE(compare_results(a, b).interleaved);
  // Nor are runs, one of A and one of B, that started in the same second: which came first is
  // unknown (here A, B, A, B, ... one way and A, A, B, B, ... the other).
  std::vector<ResultsDocument> a_tie = a_turns, b_tie = b_turns;
  for (const auto& [i, a_minute, b_minute] :
       {std::tuple{0, 0, 1}, {1, 1, 2}, {2, 3, 4}, {3, 5, 6}}) {
    a_tie[i].run.started_utc = at(a_minute);
    b_tie[i].run.started_utc = at(b_minute);
  }
  EXPECT_FALSE(compare_results(a_tie, b_tie).interleaved);
  // Nor is a run whose start is unknown.
  a_turns[1].run.started_utc.clear();
  EXPECT_FALSE(compare_results(a_turns, b_turns).interleaved);
}

// The same code measured in turns, `runs` runs a side, 400 times: each run's medians drift at
// random by 3 %. Faster or slower anywhere in a comparison at most once in twenty.
void same_code_in_turns(int runs, const CompareRule& rule) {
  std::mt19937_64 rng(20261201);
  std::lognormal_distribution<double> drift(0, 0.03);
  const ResultsDocument base = base_document();
  constexpr int kComparisons = 400;
  int with_a_verdict = 0;
  for (int c = 0; c < kComparisons; ++c) {
    std::vector<ResultsDocument> a, b;
    for (int i = 0; i < runs; ++i) {
      for (auto* side : {&a, &b}) {
        ResultsDocument d = base;
        for (MeasurementRecord& m : d.measurements) {
          if (m.stats) m.stats->median *= drift(rng);
        }
        d.run.started_utc = fmt::format("2026-12-01T10:{:02}:00Z", 2 * i + (side == &b ? 1 : 0));
        side->push_back(std::move(d));
      }
    }
    const CompareResult r = compare_results(a, b, rule);
    ASSERT_TRUE(r.interleaved);
    with_a_verdict += std::any_of(r.matched.begin(), r.matched.end(), [](const Comparison& m) {
      return m.judgement.verdict == Change::faster || m.judgement.verdict == Change::slower;
    });
  }
  EXPECT_LE(with_a_verdict, kComparisons / 20) << "of " << kComparisons;
}

// The same code measured in turns: were each of the 13 measurements judged at alpha alone, with
// four runs a side one of them would fall apart by chance in about one comparison in ten.
// Judged together, the same code is faster or slower somewhere in at most alpha of them, with
// the floor kept (four runs a side) or dropped (six). Floors of a quiet machine (5 %), which the
// drift crosses: the default CPU floors (100 %) would hide a level that let runs fall apart.
TEST(Compare, TheSameCodeInTurnsIsSeldomFasterOrSlowerAnywhere) {
  const CompareRule quiet{.cpu_compute_floor = 0.05, .cpu_bandwidth_floor = 0.05};
  for (const int runs : {4, 6}) {  // the floor kept (0.029 > 0.05 / 13), and dropped (0.0022)
    SCOPED_TRACE(runs);
    same_code_in_turns(runs, quiet);
  }
}

// Measurements taken with other CPU threads are other measurements: never paired.
TEST(Compare, OtherThreadCountsAreNotPaired) {
  const ResultsDocument a = base_document();
  ResultsDocument b = base_document();
  const MeasurementRecord& sgemm = a.measurements.at(0);
  ASSERT_GT(sgemm.threads, 0);
  b.measurements.at(0).threads = sgemm.threads + 1;
  const CompareResult r = compare_results(a, b);
  ASSERT_EQ(r.only_a.size(), 1u);
  EXPECT_EQ(r.only_a[0]->threads, sgemm.threads);
  ASSERT_EQ(r.only_b.size(), 1u);
  EXPECT_TRUE(r.threads_differ.empty());  // the runs' own counts are the same
  b.run.threads = a.run.threads + 1;
  const std::string text = compare_text(compare_results(a, b));
  EXPECT_NE(text.find(fmt::format("A ran its CPU work with {} and B with {}",
                                  counted(a.run.threads, "thread"), b.run.threads)),
            std::string::npos)
      << text;
}

// Runs on other hardware are compared, and say so: a slowdown may be the machine's.
TEST(Compare, OtherHardwareIsSaid) {
  const ResultsDocument a = base_document();
  ResultsDocument b = base_document();
  EXPECT_TRUE(compare_results(a, b).hardware_differs.empty());
  b.environment.host = "another-node";  // another instance of one shape: the same hardware
  EXPECT_TRUE(compare_results(a, b).hardware_differs.empty());
  ASSERT_FALSE(b.environment.gpu.devices.empty());
  b.environment.gpu.devices[0].name = "NVIDIA L4";
  b.environment.cpu.model = "Other CPU";
  const std::string text = compare_text(compare_results(a, b));
  EXPECT_NE(text.find(fmt::format("A and B ran on different hardware (CPU: {} in A, Other CPU in "
                                  "B; gpu0: {} in A, NVIDIA L4 in B): a change in time may be "
                                  "the hardware's, not the code's",
                                  a.environment.cpu.model, a.environment.gpu.devices[0].name)),
            std::string::npos)
      << text;
}

// ---- the commands ----------------------------------------------------------------------------

TEST(Commands, CompareExitStatus) {
  TempDir dir;
  write_file_atomically(dir.path() / "a.json", JsonPrinter().print(base_document()));
  write_file_atomically(dir.path() / "b.json", JsonPrinter().print(changed_document()));
  const std::string a = (dir.path() / "a.json").string(), b = (dir.path() / "b.json").string();
  const auto plain = testing::run_flopbench({"compare", a, b}, dir.path() / "1");
  EXPECT_EQ(plain.status, 0) << plain.err;
  EXPECT_NE(plain.out.find("slower"), std::string::npos);
  EXPECT_NE(plain.out.find("geometric mean"), std::string::npos);
  const auto strict =
      testing::run_flopbench({"compare", a, b, "--fail-on-regression", "10"}, dir.path() / "2");
  EXPECT_EQ(strict.status, 1);
  EXPECT_NE(strict.err.find("SGEMM (fp32) omp on cpu, 256x256x256: median time +150.0%"),
            std::string::npos)
      << strict.err;
  EXPECT_EQ(strict.err.find("different hardware"), std::string::npos) << strict.err;
  // A gate failed on another machine says so where CI logs show it.
  ResultsDocument elsewhere = changed_document();
  elsewhere.environment.cpu.model = "Other CPU";
  write_file_atomically(dir.path() / "elsewhere.json", JsonPrinter().print(elsewhere));
  const auto swapped = testing::run_flopbench(
      {"compare", a, (dir.path() / "elsewhere.json").string(), "--fail-on-regression", "10"},
      dir.path() / "19");
  EXPECT_EQ(swapped.status, 1);
  EXPECT_NE(swapped.err.find("flopbench: A and B ran on different hardware (CPU: "),
            std::string::npos)
      << swapped.err;
  // Beyond the slowdown, B broke one measurement and lacks another: both fail the gate.
  const auto broken =
      testing::run_flopbench({"compare", a, b, "--fail-on-regression", "160"}, dir.path() / "3");
  EXPECT_EQ(broken.status, 1);
  EXPECT_EQ(broken.err.find("slower, beyond the noise"), std::string::npos) << broken.err;
  EXPECT_NE(broken.err.find("2 measurements that passed in A did not pass in B or are not in B"),
            std::string::npos)
      << broken.err;
  EXPECT_NE(broken.err.find("DGEMM (fp64) omp on cpu, 256x256x256: failed: out of memory in B"),
            std::string::npos)
      << broken.err;
  EXPECT_NE(broken.err.find("sum (fp32) omp on cpu, 4194304: not in B"), std::string::npos)
      << broken.err;
  const auto less = testing::run_flopbench(
      {"compare", a, b, "--fail-on-regression", "90", "--allow-missing"}, dir.path() / "5");
  EXPECT_EQ(less.status, 1);
  EXPECT_EQ(less.err.find("not in B"), std::string::npos) << less.err;
  EXPECT_NE(less.err.find("1 measurement that passed in A did not pass in B:"), std::string::npos)
      << less.err;
  // Nor does it excuse the GPU work of a B that saw no GPU.
  ResultsDocument no_gpu = base_document();
  no_gpu.environment.gpu.devices.clear();
  no_gpu.environment.gpu.no_device_reason = "no NVIDIA driver is installed or loaded";
  std::erase_if(no_gpu.measurements, [](const MeasurementRecord& r) { return r.device.on_gpu(); });
  write_file_atomically(dir.path() / "no-gpu.json", JsonPrinter().print(no_gpu));
  const auto gpu_lost = testing::run_flopbench({"compare", a, (dir.path() / "no-gpu.json").string(),
                                                "--fail-on-regression", "90", "--allow-missing"},
                                               dir.path() / "12");
  EXPECT_EQ(gpu_lost.status, 1);
  EXPECT_NE(gpu_lost.err.find("did not pass in B or are not in B:\n"), std::string::npos)
      << gpu_lost.err;
  EXPECT_NE(gpu_lost.err.find(
                "SGEMM (fp32) cublas on gpu0, 256x256x256: not in B, whose machine lacks that GPU"),
            std::string::npos)
      << gpu_lost.err;
  EXPECT_NE(gpu_lost.out.find("B saw no GPU (no NVIDIA driver is installed or loaded)"),
            std::string::npos)
      << gpu_lost.out;
  // A run of B that died lacks what it did not reach: --allow-missing does not excuse that.
  ResultsDocument killed = base_document();
  killed.measurements.resize(3);
  killed.run.finished_utc.clear();
  write_file_atomically(dir.path() / "killed.json", JsonPrinter().print(killed));
  const auto died = testing::run_flopbench({"compare", a, (dir.path() / "killed.json").string(),
                                            "--fail-on-regression", "90", "--allow-missing"},
                                           dir.path() / "7");
  EXPECT_EQ(died.status, 1);
  EXPECT_NE(died.err.find("B run 1: the run did not finish"), std::string::npos) << died.err;
  EXPECT_NE(died.out.find("runs that did not finish:\n  B run 1: "), std::string::npos) << died.out;
  // Killed before its first measurement: still a run of B that lacks what it did not reach.
  killed.measurements.clear();
  write_file_atomically(dir.path() / "empty.json", JsonPrinter().print(killed));
  const auto empty = testing::run_flopbench(
      {"compare", a, (dir.path() / "empty.json").string(), "--fail-on-regression", "90"},
      dir.path() / "11");
  EXPECT_EQ(empty.status, 1) << empty.err;
  EXPECT_NE(empty.err.find("B run 1: the run did not finish"), std::string::npos) << empty.err;
  // A contended measurement passes the gate unjudged, and the gate says so.
  ResultsDocument busy = base_document();
  busy.run.started_utc = "2025-01-02T04:00:00Z";  // another run, as compare requires
  busy.measurements.at(0).load = MachineLoad{.readings = 10, .contended = true};
  write_file_atomically(dir.path() / "busy.json", JsonPrinter().print(busy));
  const auto contended = testing::run_flopbench(
      {"compare", a, (dir.path() / "busy.json").string(), "--fail-on-regression", "10"},
      dir.path() / "13");
  EXPECT_EQ(contended.status, 0) << contended.err;
  EXPECT_NE(contended.err.find("flopbench: 1 measurement not judged for a slowdown: contended in "
                               "A or B"),
            std::string::npos)
      << contended.err;
  // A slowdown beyond the gate's percentage that the noise between runs hides passes it, and the
  // gate says so.
  ResultsDocument drifted = base_document();
  for (MeasurementRecord& r : drifted.measurements) {
    if (!r.device.on_gpu()) stretch_times(r, 1.8);
  }
  write_file_atomically(dir.path() / "drifted.json", JsonPrinter().print(drifted));
  const auto hidden = testing::run_flopbench(
      {"compare", a, (dir.path() / "drifted.json").string(), "--fail-on-regression", "10"},
      dir.path() / "14");
  EXPECT_EQ(hidden.status, 0) << hidden.err;
  EXPECT_NE(hidden.err.find(
                "slower by more than 10% but not judged slower (within the noise between runs"),
            std::string::npos)
      << hidden.err;
  // A gate that matched nothing judged nothing: it fails, whatever --allow-missing excuses.
  ResultsDocument other = base_document();
  other.run.started_utc = "2025-01-02T04:00:00Z";
  for (MeasurementRecord& r : other.measurements) r.implementation += "-next";
  write_file_atomically(dir.path() / "other.json", JsonPrinter().print(other));
  const auto nothing = testing::run_flopbench({"compare", a, (dir.path() / "other.json").string(),
                                               "--fail-on-regression", "10", "--allow-missing"},
                                              dir.path() / "15");
  EXPECT_EQ(nothing.status, 1) << nothing.out << nothing.err;
  EXPECT_NE(nothing.err.find("no measurement of A is in B (matched by workload"), std::string::npos)
      << nothing.err;
  EXPECT_NE(nothing.err.find("--fail-on-regression judged nothing"), std::string::npos)
      << nothing.err;
  // Nor one whose every measurement in both was inconclusive (all contended: a GPU's own time
  // would still be judged, and B measured the CPU only), nor one of GPU work that ran on neither
  // side.
  ResultsDocument all_busy = base_document();
  all_busy.run.started_utc = "2025-01-02T04:00:00Z";
  std::erase_if(all_busy.measurements, [](const MeasurementRecord& r) { return on_gpu(r); });
  for (MeasurementRecord& r : all_busy.measurements)
    r.load = MachineLoad{.readings = 10, .contended = true};
  write_file_atomically(dir.path() / "all-busy.json", JsonPrinter().print(all_busy));
  const auto unjudged =
      testing::run_flopbench({"compare", a, (dir.path() / "all-busy.json").string(),
                              "--fail-on-regression", "10", "--allow-missing"},
                             dir.path() / "17");
  EXPECT_EQ(unjudged.status, 1) << unjudged.out << unjudged.err;
  EXPECT_NE(unjudged.err.find("got a verdict (each inconclusive: the table says why): "
                              "--fail-on-regression judged nothing"),
            std::string::npos)
      << unjudged.err;
  ResultsDocument gpu_only = base_document();
  gpu_only.environment.gpu.devices.clear();
  gpu_only.environment.gpu.no_device_reason = "no CUDA device";
  std::erase_if(gpu_only.measurements, [](const MeasurementRecord& r) { return !on_gpu(r); });
  for (MeasurementRecord& r : gpu_only.measurements) {
    r.device = DeviceRef::gpu({});
    r.disposition = Disposition::unsupported;
    r.reason = "no CUDA device";
    r.samples_s.clear();
  }
  write_file_atomically(dir.path() / "gpu-a.json", JsonPrinter().print(gpu_only));
  gpu_only.run.started_utc = "2025-01-02T04:00:00Z";
  write_file_atomically(dir.path() / "gpu-b.json", JsonPrinter().print(gpu_only));
  const auto neither =
      testing::run_flopbench({"compare", (dir.path() / "gpu-a.json").string(),
                              (dir.path() / "gpu-b.json").string(), "--fail-on-regression", "10"},
                             dir.path() / "18");
  EXPECT_EQ(neither.status, 1) << neither.out << neither.err;
  EXPECT_NE(neither.err.find("no measurement of A is in B but "), std::string::npos) << neither.err;
  EXPECT_NE(neither.err.find("that ran on neither side (no GPU)"), std::string::npos)
      << neither.err;
  // A run compared with itself, or with a copy of itself, compares nothing.
  std::filesystem::copy_file(a, dir.path() / "a-copy.json");
  for (const std::string& again : {a, (dir.path() / "a-copy.json").string()}) {
    const auto itself = testing::run_flopbench({"compare", a, again}, dir.path() / "16");
    EXPECT_EQ(itself.status, 2) << itself.out;
    EXPECT_NE(itself.err.find("are one run (host "), std::string::npos) << itself.err;
    EXPECT_NE(itself.err.find("compare a run with another"), std::string::npos) << itself.err;
  }
  // What passed in both and is within the bound passes the gate.
  ResultsDocument again = base_document();
  again.run.started_utc = "2025-01-02T04:00:00Z";
  write_file_atomically(dir.path() / "c.json", JsonPrinter().print(again));
  EXPECT_EQ(testing::run_flopbench(
                {"compare", a, (dir.path() / "c.json").string(), "--fail-on-regression", "0"},
                dir.path() / "6")
                .status,
            0);
  const auto missing =
      testing::run_flopbench({"compare", a, (dir.path() / "none.json").string()}, dir.path() / "4");
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("none.json"), std::string::npos);
  // What the command line cannot mean is said, not ignored.
  const auto loose = testing::run_flopbench({"compare", a, b, "--allow-missing"}, dir.path() / "9");
  EXPECT_EQ(loose.status, 2);
  EXPECT_NE(loose.err.find("--fail-on-regression"), std::string::npos) << loose.err;
  ResultsDocument burn = base_document();
  burn.measurements.clear();
  burn.burn = BurnResult{};
  write_file_atomically(dir.path() / "burn.json", JsonPrinter().print(burn));
  const auto burned = testing::run_flopbench({"compare", a, (dir.path() / "burn.json").string()},
                                             dir.path() / "10");
  EXPECT_EQ(burned.status, 2);
  EXPECT_NE(burned.err.find("burn.json: no measurements to compare (the results of a burn)"),
            std::string::npos)
      << burned.err;
}

TEST(Commands, CompareReplicatesWithAgainst) {
  TempDir dir;
  // Four runs, each started at its own time.
  int minute = 0;
  const auto write_run = [&](const char* name, ResultsDocument doc) {
    doc.run.started_utc = fmt::format("2026-01-01T00:{:02}:00Z", minute++);
    write_file_atomically(dir.path() / name, JsonPrinter().print(doc));
  };
  for (const char* name : {"a1.json", "a2.json"}) write_run(name, base_document());
  for (const char* name : {"b1.json", "b2.json"}) write_run(name, changed_document());
  const auto file = [&](const char* name) { return (dir.path() / name).string(); };
  const auto o =
      testing::run_flopbench({"compare", file("a1.json"), file("a2.json"), "--against",
                              file("b1.json"), file("b2.json"), "--fail-on-regression", "10"},
                             dir.path() / "1");
  EXPECT_EQ(o.status, 1) << o.err;
  EXPECT_NE(o.out.find("1 slower"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("not repeats of one command"), std::string::npos) << o.out;
  // A run of another command among the replicates is said to be one.
  ResultsDocument other_command = changed_document();
  other_command.run.command_line.push_back("--threads=1");
  write_run("b3.json", other_command);
  const auto mixed = testing::run_flopbench(
      {"compare", file("a1.json"), file("a2.json"), "--against", file("b1.json"), file("b3.json")},
      dir.path() / "7");
  EXPECT_EQ(mixed.status, 0) << mixed.err;
  EXPECT_NE(mixed.out.find(fmt::format("note: B's runs are not repeats of one command: {} ran ",
                                       file("b1.json"))),
            std::string::npos)
      << mixed.out;
  EXPECT_NE(mixed.out.find("--threads=1 (their --out and --repeat aside)"), std::string::npos)
      << mixed.out;
  const auto three = testing::run_flopbench(
      {"compare", file("a1.json"), file("a2.json"), file("b1.json")}, dir.path() / "2");
  EXPECT_EQ(three.status, 2);
  EXPECT_NE(three.err.find("--against"), std::string::npos) << three.err;
  // B's runs after '--', as other tools take two sets: refused with the form compare takes.
  const auto dashes = testing::run_flopbench(
      {"compare", file("a1.json"), file("a2.json"), "--", file("b1.json"), file("b2.json")},
      dir.path() / "6");
  EXPECT_EQ(dashes.status, 2);
  EXPECT_EQ(dashes.err,
            "flopbench: error: the runs after '--' were not expected: give A.json B.json, or A's "
            "runs then --against B's runs (see 'flopbench compare --help')\n");
  const auto uneven = testing::run_flopbench(
      {"compare", file("a1.json"), "--against", file("b1.json"), file("b2.json")},
      dir.path() / "3");
  EXPECT_EQ(uneven.status, 2);
  EXPECT_NE(uneven.err.find("1 run of A and 2 of B"), std::string::npos) << uneven.err;
  // Two runs that started in one second are two runs, known apart by their samples.
  ResultsDocument same_second = base_document();
  same_second.run.started_utc = "2026-01-01T00:00:00Z";  // a1's
  for (MeasurementRecord& r : same_second.measurements) stretch_times(r, 1.01);
  write_file_atomically(dir.path() / "a3.json", JsonPrinter().print(same_second));
  EXPECT_EQ(testing::run_flopbench({"compare", file("a1.json"), file("a3.json"), "--against",
                                    file("b1.json"), file("b2.json")},
                                   dir.path() / "5")
                .status,
            0);
  // A run given twice, as itself or as a copy, is no replicate of itself: it would count as two
  // runs that agree, taken in turns.
  std::filesystem::copy_file(file("b2.json"), file("b2-copy.json"));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"compare", file("a1.json"), file("a2.json"), "--against",
                                 file("b1.json"), file("b2.json"), file("b2-copy.json")},
        std::vector<std::string>{"compare", file("a1.json"), file("b1.json"), "--against",
                                 file("b1.json"), file("b2.json")}}) {
    const auto twice = testing::run_flopbench(args, dir.path() / "4");
    EXPECT_EQ(twice.status, 2) << twice.out;
    EXPECT_NE(twice.err.find("are one run (host "), std::string::npos) << twice.err;
    EXPECT_NE(twice.err.find("replicates must be distinct runs"), std::string::npos) << twice.err;
  }
}

TEST(Commands, SheetWritesHtmlAndRefusesBadInput) {
  TempDir dir;
  write_file_atomically(dir.path() / "results.json", JsonPrinter().print(two_gpu_document()));
  const std::string results = (dir.path() / "results.json").string();
  const auto zh = testing::run_flopbench({"sheet", results, "--lang", "zh"}, dir.path() / "1");
  EXPECT_EQ(zh.status, 0) << zh.err;
  EXPECT_EQ(read_text(dir.path() / "sheet-zh.html"),
            SheetPrinter(SheetLanguage::zh).print(two_gpu_document()));
  const auto out = dir.path() / "sub" / "mine.html";
  EXPECT_EQ(
      testing::run_flopbench({"sheet", results, "--out", out.string()}, dir.path() / "2").status,
      0);
  EXPECT_NE(read_text(out).find("Machine peak"), std::string::npos);
  // Nor over a report the run wrote beside its results.json.
  write_file_atomically(dir.path() / "report.html", "the run's report");
  const auto over_report = testing::run_flopbench(
      {"sheet", results, "--out", (dir.path() / "report.html").string()}, dir.path() / "5");
  EXPECT_EQ(over_report.status, 2);
  EXPECT_NE(over_report.err.find("is the report.html that flopbench writes beside"),
            std::string::npos)
      << over_report.err;
  EXPECT_EQ(read_text(dir.path() / "report.html"), "the run's report");
  // A copy of another name beside the run's results.json would replace the run's sheet: it
  // needs --out.
  const std::string sheet_before = read_text(dir.path() / "sheet-en.html");
  fs::copy_file(results, dir.path() / "copy.json");
  const auto copy =
      testing::run_flopbench({"sheet", (dir.path() / "copy.json").string()}, dir.path() / "6");
  EXPECT_EQ(copy.status, 2) << copy.err;
  EXPECT_NE(copy.err.find("copy.json is not named results.json, and the sheet beside it is its "
                          "directory's run's"),
            std::string::npos)
      << copy.err;
  EXPECT_EQ(read_text(dir.path() / "sheet-en.html"), sheet_before);
  const auto bad = testing::run_flopbench({"sheet", results, "--lang", "fr"}, dir.path() / "3");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("--lang fr: unknown language (expected en or zh)"), std::string::npos);
  // Results with nothing that passed make no sheet, and say why.
  ResultsDocument failed = two_gpu_document();
  for (MeasurementRecord& r : failed.measurements) {
    r.disposition = Disposition::failed;
    r.reason = "out of memory";
  }
  ResultsDocument burn = two_gpu_document();
  burn.measurements.clear();
  burn.burn = BurnResult{};
  for (const auto& [name, doc, why] :
       {std::tuple{"failed.json", &failed,
                   fmt::format("none of its {} measurements passed (its report.md says why)",
                               failed.measurements.size())},
        std::tuple{"burn.json", &burn,
                   std::string("the results of a burn (its report.html has its verdicts)")}}) {
    write_file_atomically(dir.path() / name, JsonPrinter().print(*doc));
    const auto nothing = testing::run_flopbench(
        {"sheet", (dir.path() / name).string(), "--out", (dir.path() / "none.html").string()},
        dir.path() / "4");
    EXPECT_EQ(nothing.status, 2) << name;
    EXPECT_NE(nothing.err.find(std::string(name) + ": nothing for a sheet to show: " + why),
              std::string::npos)
        << nothing.err;
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "none.html"));
  }
}

// Without Chromium on PATH, --pdf still writes the HTML, then says why there is no PDF.
TEST(Commands, SheetPdfWithoutChromium) {
  TempDir dir;
  write_file_atomically(dir.path() / "results.json", JsonPrinter().print(base_document()));
  const testing::ScopedEnv path("PATH", dir.path().string());
  const auto r = testing::run_flopbench({"sheet", (dir.path() / "results.json").string(), "--pdf"},
                                        dir.path() / "1");
  // An --out ending in .pdf asks for the PDF as --pdf does.
  const auto named = testing::run_flopbench(
      {"sheet", (dir.path() / "results.json").string(), "--out", (dir.path() / "s.pdf").string()},
      dir.path() / "2");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(fs::exists(dir.path() / "sheet-en.html"));
  EXPECT_FALSE(fs::exists(dir.path() / "sheet-en.pdf"));
  EXPECT_NE(r.err.find("--pdf needs headless Chromium (one of chromium, chromium-browser, "
                       "google-chrome, google-chrome-stable on PATH)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(named.status, 2);
  EXPECT_TRUE(fs::exists(dir.path() / "s.html"));
  EXPECT_NE(named.err.find("--pdf needs headless Chromium"), std::string::npos) << named.err;
}

// `sheet DIR/results.json --pdf` (of base_document) with a stand-in Chromium, the shell script
// `script`, alone on PATH.
testing::Outcome sheet_pdf_with_chromium(const TempDir& dir, const std::string& script) {
  write_file_atomically(dir.path() / "results.json", JsonPrinter().print(base_document()));
  fs::create_directories(dir.path() / "bin");
  write_file_atomically(dir.path() / "bin" / "chromium", "#!/bin/sh\n" + script);
  fs::permissions(dir.path() / "bin" / "chromium", fs::perms::owner_all);
  const testing::ScopedEnv path("PATH", (dir.path() / "bin").string());
  return testing::run_flopbench({"sheet", (dir.path() / "results.json").string(), "--pdf"},
                                dir.path() / "1");
}

// A Chromium that fails is the system's failure (status 3), with its last message; the PDF an
// earlier sheet wrote is kept, not removed or truncated.
TEST(Commands, SheetPdfThatChromiumFailsToRenderIsASystemFailure) {
  TempDir dir;
  write_file_atomically(dir.path() / "sheet-en.pdf", "an earlier sheet");
  const auto r =
      sheet_pdf_with_chromium(dir, "echo 'renderer crashed: out of memory' >&2\nexit 1\n");
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_NE(r.err.find("could not render"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("renderer crashed: out of memory"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(dir.path() / "sheet-en.pdf"), "an earlier sheet");
}

// A PDF whose pages flopbench cannot count (a Chromium that writes compressed object streams) is
// kept, with a warning that whether it fits one page is not known: never taken for one page.
TEST(Commands, SheetPdfWhosePagesCannotBeCountedIsSaidSo) {
  TempDir dir;
  const auto r = sheet_pdf_with_chromium(
      dir,
      "for a; do case $a in --print-to-pdf=*) printf '%%PDF-1.7 compressed' > "
      "\"${a#--print-to-pdf=}\";; esac; done\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(pdf_page_count(dir.path() / "sheet-en.pdf"), 0);
  EXPECT_NE(r.err.find("could not count the pages of"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("to fit one A4 page"), std::string::npos) << r.out;
}

TEST(Commands, SheetPdfWithChromium) {
  if (!find_chromium())
    GTEST_SKIP() << "chromium is not installed (scripts/install-deps.sh --test)";
  TempDir dir;
  write_file_atomically(dir.path() / "results.json", JsonPrinter().print(two_gpu_document()));
  const auto r = testing::run_flopbench(
      {"sheet", (dir.path() / "results.json").string(), "--lang", "zh", "--pdf"}, dir.path() / "1");
  EXPECT_EQ(r.status, 0) << r.err;
  const std::string pdf = read_text(dir.path() / "sheet-zh.pdf");
  EXPECT_TRUE(pdf.starts_with("%PDF-"));
  // One A4 page.
  EXPECT_NE(pdf.find("/Count 1"), std::string::npos);

  // The PDF is placed as every output is: a symbolic link at its name stays one, and the file
  // it names gets the PDF.
  write_file_atomically(dir.path() / "kept.pdf", "an earlier sheet");
  fs::create_symlink("kept.pdf", dir.path() / "sheet-en.pdf");
  const auto linked = testing::run_flopbench(
      {"sheet", (dir.path() / "results.json").string(), "--pdf"}, dir.path() / "2");
  EXPECT_EQ(linked.status, 0) << linked.err;
  EXPECT_TRUE(fs::is_symlink(dir.path() / "sheet-en.pdf"));
  EXPECT_TRUE(read_text(dir.path() / "kept.pdf").starts_with("%PDF-"));
}

// A sheet whose notes run past one A4 page is printed smaller until it fits (its HTML then
// carries that scale for printing); one that does not fit even at 70 % is written with a warning.
TEST(Commands, SheetPdfShrinksToOnePageOrSaysItCannot) {
  if (!find_chromium())
    GTEST_SKIP() << "chromium is not installed (scripts/install-deps.sh --test)";
  const auto with_notes = [](std::size_t characters) {
    ResultsDocument doc = base_document();
    int i = 0;
    for (MeasurementRecord& r : doc.measurements) {
      std::string words;
      while (words.size() < characters) words += "words ";
      r.notes.push_back(fmt::format("note {} of a long run: {}", ++i, words));
    }
    return doc;
  };
  TempDir dir;
  write_file_atomically(dir.path() / "results.json", JsonPrinter().print(with_notes(400)));
  const auto r = testing::run_flopbench({"sheet", (dir.path() / "results.json").string(), "--pdf"},
                                        dir.path() / "1");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("% to fit one A4 page"), std::string::npos) << r.out;
  EXPECT_EQ(pdf_page_count(dir.path() / "sheet-en.pdf"), 1);
  EXPECT_NE(read_text(dir.path() / "sheet-en.html").find("zoom: 0."), std::string::npos);
  EXPECT_EQ(r.err, "");

  write_file_atomically(dir.path() / "results.json", JsonPrinter().print(with_notes(20000)));
  const auto too_long = testing::run_flopbench(
      {"sheet", (dir.path() / "results.json").string(), "--pdf"}, dir.path() / "2");
  EXPECT_EQ(too_long.status, 0) << too_long.err;
  EXPECT_GT(pdf_page_count(dir.path() / "sheet-en.pdf"), 1);
  EXPECT_NE(too_long.err.find("A4 pages even printed at 70 %: its notes are too many for one page"),
            std::string::npos)
      << too_long.err;
}

}  // namespace
}  // namespace flopbench
