#include "reports/acceptance_report.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "reports/format.hpp"
#include "reports/utf8.hpp"

namespace flopbench {
namespace {

std::string bound_cell(const CriterionVerdict& v) {
  if (!v.bound) return fmt::format("{} {}", v.comparator, v.bound_text);
  // An absolute bound reads the same resolved; the others say what they were relative to.
  const bool relative = v.bound_text.find('*') != std::string::npos;
  return fmt::format("{} {}{}", v.comparator, verdict_texts(v).bound,
                     relative ? " (" + v.bound_text + ")" : "");
}

struct Counts {
  int pass = 0, fail = 0, warn = 0;
};
Counts count(const AcceptanceResult& r) {
  Counts c;
  for (const auto& v : r.criteria) {
    switch (v.verdict) {
      case Verdict::pass:
        ++c.pass;
        break;
      case Verdict::fail:
        ++c.fail;
        break;
      case Verdict::warn:
        ++c.warn;
        break;
    }
  }
  return c;
}

std::string summary_line(const AcceptanceResult& r) {
  return fmt::format("{}: {} criteria, {}", r.passed ? "PASS" : "FAIL", r.criteria.size(),
                     criteria_counts(r));
}

}  // namespace

std::string criteria_counts(const AcceptanceResult& r) {
  const Counts c = count(r);
  return fmt::format("{} passed, {} failed, {} warned{}", c.pass, c.fail, c.warn,
                     r.not_applied.empty()
                         ? ""
                         : fmt::format("; {} for other GPUs not judged",
                                       counted(r.not_applied.size(), "spec row")));
}

namespace {

// The spec's rows for GPUs this run did not have, one per line after `heading`; "" for none.
std::string not_applied_list(const AcceptanceResult& r, std::string_view heading,
                             std::string_view bullet) {
  if (r.not_applied.empty()) return "";
  std::string out(heading);
  for (const auto& row : r.not_applied) out += fmt::format("{}{}\n", bullet, row);
  return out;
}

Table verdict_table(const AcceptanceResult& r, bool with_description) {
  Table t;
  t.columns = {{"Verdict"}, {"Metric"}, {"Measured", true}, {"Bound"}, {"Margin", true}};
  if (with_description) t.columns.push_back({"Description"});
  t.columns.push_back({"Reason"});
  for (const auto& v : r.criteria) {
    const VerdictTexts texts = verdict_texts(v);
    std::vector<std::string> row = {std::string(to_string(v.verdict)), v.metric, texts.measured,
                                    bound_cell(v), texts.margin};
    if (with_description) row.push_back(v.description);
    row.push_back(v.reason);
    t.rows.push_back(std::move(row));
  }
  return t;
}

// Text for XML 1.0: the characters it cannot hold (controls, invalid UTF-8) replaced by U+FFFD,
// then escaped as for HTML (its escapes are XML's too).
std::string xml_escape(std::string_view s) {
  std::string valid;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    const char c = s[i];
    if (n == 0 || (uint8_t(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')) {
      valid += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    valid.append(s.substr(i, n));
    i += n;
  }
  return html_escape(valid);
}

}  // namespace

std::string unmet_criteria_table(const AcceptanceResult& r, std::string_view indent) {
  AcceptanceResult unmet = r;
  std::erase_if(unmet.criteria, [](const auto& v) { return v.verdict == Verdict::pass; });
  if (unmet.criteria.empty()) return "";
  const std::string table = verdict_table(unmet, false).plain();
  std::string out;
  for (std::size_t start = 0; start < table.size();) {
    const std::size_t end = std::min(table.find('\n', start), table.size());
    out += fmt::format("{}{}\n", indent, std::string_view(table).substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string AcceptanceConsolePrinter::do_print(const ResultsDocument& doc) const {
  if (!doc.acceptance) return "";
  const AcceptanceResult& result = *doc.acceptance;
  return fmt::format("acceptance ({}):\n{}{}{}\n", result.spec,
                     verdict_table(result, false).plain(),
                     not_applied_list(result,
                                      "not judged: the spec's rows for GPUs this run did "
                                      "not have\n",
                                      "  "),
                     summary_line(result));
}

std::string AcceptanceMarkdownPrinter::do_print(const ResultsDocument& doc) const {
  if (!doc.acceptance) return "";
  const AcceptanceResult& result = *doc.acceptance;
  return fmt::format(
      "\n## Acceptance\n\nSpec `{}`, checked {}: **{}**\n\nMargin: how far the measured value "
      "is on the passing side of its bound, relative to the bound.\n\n{}{}",
      result.spec, result.checked_utc, summary_line(result), verdict_table(result, true).markdown(),
      not_applied_list(result, "\nNot judged, the spec's rows for GPUs this run did not have:\n\n",
                       "- "));
}

JunitSuite junit_testsuite(const AcceptanceResult& result, std::string_view name,
                           std::string_view host) {
  const Counts c = count(result);
  std::string cases;
  for (const auto& v : result.criteria) {
    const std::string case_name = fmt::format("{} {} {}", v.metric, v.comparator, v.bound_text);
    const std::string detail =
        v.measured ? fmt::format("measured {}, bound {}{}{}", verdict_texts(v).measured,
                                 bound_cell(v), v.reason.empty() ? "" : ": ", v.reason)
                   : fmt::format("{} (bound {})", v.reason, bound_cell(v));
    cases +=
        fmt::format("    <testcase classname=\"flopbench.acceptance\" name=\"{}\" time=\"0\">\n",
                    xml_escape(case_name));
    switch (v.verdict) {
      case Verdict::fail:
        cases += fmt::format("      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                             to_string(v.severity), xml_escape(detail), xml_escape(v.description));
        break;
      case Verdict::warn:
        cases += fmt::format("      <system-out>WARN: {}</system-out>\n", xml_escape(detail));
        break;
      case Verdict::pass:
        break;
    }
    cases += "    </testcase>\n";
  }
  for (const auto& row : result.not_applied) {
    cases += fmt::format(
        "    <testcase classname=\"flopbench.acceptance\" name=\"{}\" time=\"0\">\n"
        "      <skipped message=\"this run had no GPU the row is for (the machine, or --gpus)\"/>\n"
        "    </testcase>\n",
        xml_escape(row));
  }
  const int tests = int(result.criteria.size() + result.not_applied.size());
  return {fmt::format("  <testsuite name=\"{0}\" tests=\"{1}\" failures=\"{2}\" errors=\"0\" "
                      "skipped=\"{9}\" timestamp=\"{3}\" hostname=\"{4}\">\n"
                      "    <properties>\n"
                      "      <property name=\"spec\" value=\"{5}\"/>\n"
                      "      <property name=\"verdict\" value=\"{6}\"/>\n"
                      "      <property name=\"warnings\" value=\"{7}\"/>\n"
                      "    </properties>\n"
                      "{8}"
                      "  </testsuite>\n",
                      xml_escape(name), tests, c.fail, xml_escape(result.checked_utc),
                      xml_escape(host), xml_escape(result.spec), result.passed ? "PASS" : "FAIL",
                      c.warn, cases, result.not_applied.size()),
          tests, c.fail};
}

std::string junit_document(const std::vector<JunitSuite>& suites) {
  int tests = 0, failures = 0;
  std::string body;
  for (const auto& s : suites) {
    tests += s.tests;
    failures += s.failures;
    body += s.xml;
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites name=\"flopbench check\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n"
      "{}"
      "</testsuites>\n",
      tests, failures, body);
}

std::string AcceptanceJunitPrinter::do_print(const ResultsDocument& doc) const {
  if (!doc.acceptance) return "";
  return junit_document({junit_testsuite(*doc.acceptance, doc.acceptance->spec, host_)});
}

}  // namespace flopbench
