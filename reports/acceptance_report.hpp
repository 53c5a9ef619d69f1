#pragma once

// The acceptance verdict of a document (ResultsDocument::acceptance, set by `flopbench check`)
// for the console, for report.md and as JUnit XML. None is a file of a results directory, so
// their file names are empty: the console one is printed, the Markdown one is a section of
// report.md, the JUnit one goes where --junit says. Each prints nothing without a verdict.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/core/results.hpp"
#include "reports/printer.hpp"

namespace flopbench {

// "8 passed, 0 failed, 2 warned", and the spec rows for other GPUs not judged where any: how
// the criteria of a verdict went, as the console, report.md and report.html give it.
std::string criteria_counts(const AcceptanceResult& r);

// The rows of the verdict table for the criteria of `r` that did not pass (failed or warned),
// each line after `indent`; "" where every one passed. A fleet's nodes, on the console.
std::string unmet_criteria_table(const AcceptanceResult& r, std::string_view indent);

// The verdict table and a summary line.
class AcceptanceConsolePrinter final : public Printer {
 public:
  AcceptanceConsolePrinter() : Printer("") {}

 protected:
  std::string do_print(const ResultsDocument& doc) const override;
};

// report.md's "## Acceptance" section.
class AcceptanceMarkdownPrinter final : public Printer {
 public:
  AcceptanceMarkdownPrinter() : Printer("") {}

 protected:
  std::string do_print(const ResultsDocument& doc) const override;
};

// JUnit XML, one testcase per verdict. `host` names the machine that checked: judging an
// earlier run's results.json, that need not be the run's own host.
class AcceptanceJunitPrinter final : public Printer {
 public:
  explicit AcceptanceJunitPrinter(std::string host) : Printer(""), host_(std::move(host)) {}

 protected:
  std::string do_print(const ResultsDocument& doc) const override;

 private:
  std::string host_;
};

// One JUnit <testsuite>, one testcase per criterion of `result`, and what it counts.
struct JunitSuite {
  std::string xml;
  int tests = 0, failures = 0;
};
// `name` names the suite (the spec, or a fleet's node); `host`, the machine it is about.
JunitSuite junit_testsuite(const AcceptanceResult& result, std::string_view name,
                           std::string_view host);
// The JUnit XML document of `suites`.
std::string junit_document(const std::vector<JunitSuite>& suites);

}  // namespace flopbench
