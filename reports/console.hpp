#pragma once

// The printers whose text goes to the terminal rather than to a file (their file_name() is
// empty): the summary after a run and the machine inventory of `flopbench info`.

#include <string>

#include "reports/printer.hpp"

namespace flopbench {

// The compact aligned table printed at the end of `flopbench run` and `flopbench report`.
class ConsoleSummaryPrinter final : public Printer {
 public:
  ConsoleSummaryPrinter() : Printer("") {}

 protected:
  std::string do_print(const ResultsDocument& doc) const override;
};

// `flopbench info`: the document's environment (a document without measurements will do), in
// the reports' wording. Without GPUs, the GPU block holds exactly one line that starts
// "no CUDA device: " followed by the reason.
class InfoPrinter final : public Printer {
 public:
  InfoPrinter() : Printer("") {}

 protected:
  std::string do_print(const ResultsDocument& doc) const override;
};

}  // namespace flopbench
