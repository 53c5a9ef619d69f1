// `flopbench sheet`: the one-page performance sheet of a run, as HTML and optionally PDF.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <memory>
#include <string>

#include "app/cli.hpp"
#include "app/cli_commands.hpp"
#include "reports/chromium.hpp"
#include "reports/format.hpp"
#include "reports/output_files.hpp"
#include "reports/results_json.hpp"
#include "reports/sheet.hpp"

namespace flopbench {
namespace {

namespace fs = std::filesystem;

struct SheetOptions {
  std::string results_file, lang = "en", out;
  bool pdf = false;
};

// Print scales tried, in order, until the sheet prints on one A4 page: at 70 % its small print is
// already under 6 px.
constexpr std::array kPrintScales = {1.0, 0.9, 0.8, 0.7};

int sheet_command(const SheetOptions& opt) {
  const SheetLanguage language = parse_sheet_language(opt.lang);
  const SheetPrinter sheet(language);
  const ResultsDocument doc = read_results_file(opt.results_file);
  // A page of nothing but "not measured" under a title that says "measured and verified" is no
  // sheet to print.
  if (std::ranges::none_of(doc.measurements,
                           [](const MeasurementRecord& r) { return median_s(r).has_value(); })) {
    throw InputError(fmt::format(
        "{}: nothing for a sheet to show: {}", opt.results_file,
        doc.burn      ? "the results of a burn (its report.html has its verdicts)"
        : doc.memtest ? "the results of a memory test (its report.html has its verdicts)"
        : doc.measurements.empty() ? "the run has no measurement"
        : doc.measurements.size() == 1
            ? "its only measurement did not pass (its report.md says why)"
            : fmt::format("none of its {} measurements passed (its "
                          "report.md says why)",
                          doc.measurements.size())));
  }
  if (opt.out.empty() && !is_directorys_results_file(opt.results_file)) {
    throw InputError(fmt::format(
        "{} is not named results.json, and the sheet beside it is its directory's run's (or "
        "another copy's); give --out FILE to write this one's",
        opt.results_file));
  }
  // --out names the HTML file; the PDF takes the same name. An --out ending in .pdf names the
  // PDF instead, and asks for it, and the HTML goes beside it.
  fs::path html = opt.out.empty() ? fs::path(opt.results_file).parent_path() / sheet.file_name()
                                  : fs::path(opt.out);
  fs::path pdf = fs::path(html).replace_extension(".pdf");
  bool want_pdf = opt.pdf;
  if (html.extension() == ".pdf") {
    pdf = html;
    html.replace_extension(".html");
    want_pdf = true;
  }
  // Named as the user named it: --out, or the sheet's own file beside the results.
  const std::string_view named = opt.out.empty() ? "the sheet" : "--out";
  refuse_output_over_records(html, named, {opt.results_file});
  if (want_pdf) refuse_output_over_records(pdf, named, {opt.results_file});
  create_parent_directories(html);
  write_file_atomically(html, sheet.print(doc));
  fmt::print("wrote {}\n", html.string());
  if (!want_pdf) return kExitOk;

  const auto chromium = find_chromium();
  if (!chromium) {
    throw InputError(fmt::format(
        "--pdf needs headless Chromium (one of {} on PATH), which is not installed; the HTML "
        "sheet is written: open {} in a browser and print it to PDF, or install chromium",
        fmt::join(kChromiumNames, ", "), html.string()));
  }
  // A sheet with many notes (a sweep's, several GPUs') may run onto a second page: it is printed
  // smaller until it fits, and the HTML written last is the one that fits.
  int pages = 0;
  for (const double scale : kPrintScales) {
    if (scale < 1) write_file_atomically(html, SheetPrinter(language, scale).print(doc));
    print_to_pdf(*chromium, html, pdf);
    pages = pdf_page_count(pdf);
    const std::string printed_at =
        scale < 1 ? fmt::format(", printed at {:.0f} %", scale * 100) : "";
    if (pages == 1) {
      fmt::print("wrote {} (rendered by {}{})\n", pdf.string(), chromium->string(),
                 scale < 1 ? printed_at + " to fit one A4 page" : "");
      return kExitOk;
    }
    if (pages == 0 || scale == kPrintScales.back()) {
      fmt::print("wrote {} (rendered by {}{})\n", pdf.string(), chromium->string(), printed_at);
      break;
    }
  }
  if (pages == 0) {
    print_error(
        "warning: could not count the pages of {} (a PDF written in a form flopbench does "
        "not read): whether the sheet fits one A4 page is not known\n",
        pdf.string());
  } else {
    print_error(
        "warning: the sheet takes {} A4 pages even printed at {:.0f} %: its notes are too "
        "many for one page\n",
        pages, kPrintScales.back() * 100);
  }
  return kExitOk;
}

}  // namespace

Command add_sheet_command(CLI::App& app) {
  auto opt = std::make_shared<SheetOptions>();
  auto* cmd = app.add_subcommand("sheet", "write the one-page performance sheet of a run");
  cmd->add_option("results", opt->results_file, std::string(kResultsHelp))
      ->required()
      ->transform(results_of_a_run());
  cmd->add_option("--lang", opt->lang, "language of the sheet: en or zh")->capture_default_str();
  cmd->add_option("--out", opt->out,
                  "the HTML file to write (default: sheet-<lang>.html beside results.json); a name "
                  "ending in .pdf names the PDF (as --pdf) and the HTML goes beside it");
  cmd->add_flag("--pdf", opt->pdf,
                "also render it to PDF (same name, .pdf) with headless Chromium");
  return {cmd, [opt](const std::vector<std::string>&) { return sheet_command(*opt); }};
}

}  // namespace flopbench
