// `flopbench sheet`: the one-page performance sheet of a run, as HTML and optionally PDF.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <memory>
#include <string>

#include "app/cli.hpp"
#include "app/cli_commands.hpp"
#include "reports/chromium.hpp"
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

int sheet_command(const SheetOptions& opt) {
  const SheetPrinter sheet(parse_sheet_language(opt.lang));
  const ResultsDocument doc = read_results_file(opt.results_file);
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
  refuse_output_over_records(html, "--out", {opt.results_file});
  if (want_pdf) refuse_output_over_records(pdf, "--out", {opt.results_file});
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
  print_to_pdf(*chromium, html, pdf);
  fmt::print("wrote {} (rendered by {})\n", pdf.string(), chromium->string());
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
