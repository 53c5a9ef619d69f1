#pragma once

// The one interface of every output: a printer turns a ResultsDocument into text and names the
// file that text goes to. Printers only read the document (no clock, no machine queries), so
// the same document always prints the same bytes.

#include <string>
#include <utility>

#include "harness/core/results.hpp"
#include "reports/utf8.hpp"

namespace flopbench {

// One output format of a Document: a run's ResultsDocument, or a fleet's FleetRecord
// (reports/fleet_report.hpp). Printers only read the document; each overrides do_print.
template <class Document>
class PrinterOf {
 public:
  explicit PrinterOf(std::string file_name) : file_name_(std::move(file_name)) {}
  virtual ~PrinterOf() = default;
  PrinterOf(const PrinterOf&) = delete;
  PrinterOf& operator=(const PrinterOf&) = delete;

  // The printers without a file of their own (those of the terminal, and the parts other
  // outputs embed) print no terminal controls: their strings come from files.
  std::string print(const Document& doc) const {
    return file_name_.empty() ? strip_terminal_controls(do_print(doc)) : do_print(doc);
  }
  // The name of the file this format is written to, inside a results directory; empty for
  // the printers whose text goes to the terminal (reports/console.hpp).
  const std::string& file_name() const { return file_name_; }

 protected:
  virtual std::string do_print(const Document& doc) const = 0;

 private:
  std::string file_name_;
};

using Printer = PrinterOf<ResultsDocument>;

}  // namespace flopbench
