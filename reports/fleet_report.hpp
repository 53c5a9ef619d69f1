#pragma once

// The outputs of a fleet (`flopbench merge`, docs/fleet.md): fleet.json (the record), fleet.csv,
// fleet.md and fleet.html, each printed from the FleetRecord alone, plus the console summary and
// the fleet's JUnit XML (`flopbench check --results FLEET`).

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "reports/fleet.hpp"
#include "reports/printer.hpp"

namespace flopbench {

using FleetPrinter = PrinterOf<FleetRecord>;

// fleet.json: the record, 2-space indent, trailing newline.
class FleetJsonPrinter final : public FleetPrinter {
 public:
  FleetJsonPrinter() : FleetPrinter("fleet.json") {}

 protected:
  std::string do_print(const FleetRecord& fleet) const override;
};

// fleet.csv: one row per node and device (its CPU, each GPU).
class FleetCsvPrinter final : public FleetPrinter {
 public:
  FleetCsvPrinter() : FleetPrinter("fleet.csv") {}

 protected:
  std::string do_print(const FleetRecord& fleet) const override;
};

// fleet.md: the summary, the nodes, the outliers, the fleet medians and any verdict.
class FleetMarkdownPrinter final : public FleetPrinter {
 public:
  FleetMarkdownPrinter() : FleetPrinter("fleet.md") {}

 protected:
  std::string do_print(const FleetRecord& fleet) const override;
};

// fleet.html: the same as one self-contained page, with each node's lowest value against the
// fleet median as a chart.
class FleetHtmlPrinter final : public FleetPrinter {
 public:
  FleetHtmlPrinter() : FleetPrinter("fleet.html") {}

 protected:
  std::string do_print(const FleetRecord& fleet) const override;
};

// The terminal's summary: nodes reporting, failed nodes, outliers, notes.
class FleetConsolePrinter final : public FleetPrinter {
 public:
  FleetConsolePrinter() : FleetPrinter("") {}

 protected:
  std::string do_print(const FleetRecord& fleet) const override;
};

// JUnit XML of a judged fleet: one testsuite per node (its verdict, or its problem as a failure)
// and one for the fleet criteria, so that a CI system shows which node failed.
class FleetJunitPrinter final : public FleetPrinter {
 public:
  FleetJunitPrinter() : FleetPrinter("") {}

 protected:
  std::string do_print(const FleetRecord& fleet) const override;
};

// fleet.json, fleet.csv, fleet.md, fleet.html.
std::vector<std::unique_ptr<FleetPrinter>> fleet_printers();
// Writes every fleet_printers() file into `dir`, which must exist.
void write_fleet_outputs(const FleetRecord& fleet, const std::filesystem::path& dir);

}  // namespace flopbench
