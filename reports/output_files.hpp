#pragma once

// Every output file of a run, generated from a ResultsDocument alone: no clock, no machine
// queries. `flopbench report results.json` therefore regenerates byte-identical files.
// The formats are described in docs/results-schema.md.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/core/results.hpp"
#include "reports/printer.hpp"

namespace flopbench {

// results.json: the canonical document, 2-space indent, trailing newline.
class JsonPrinter final : public Printer {
 public:
  JsonPrinter() : Printer("results.json") {}

 protected:
  std::string do_print(const ResultsDocument& doc) const override;
};

// results.csv: one row per measurement.
class CsvPrinter final : public Printer {
 public:
  CsvPrinter() : Printer("results.csv") {}

 protected:
  std::string do_print(const ResultsDocument& doc) const override;
};

// crossover.csv: one row per size of each crossover of a sweep (reports/crossover.hpp); the
// header alone when the run was not a sweep.
class CrossoverCsvPrinter final : public Printer {
 public:
  CrossoverCsvPrinter() : Printer("crossover.csv") {}

 protected:
  std::string do_print(const ResultsDocument& doc) const override;
};

// report.md: inventory, per-workload tables, GPU vs CPU speedups, reference ratios, failures.
class MarkdownPrinter final : public Printer {
 public:
  MarkdownPrinter() : Printer("report.md") {}

 protected:
  std::string do_print(const ResultsDocument& doc) const override;
};

// google-benchmark.json: Google Benchmark's JSON reporter format, for its tools (compare.py).
class GoogleBenchmarkPrinter final : public Printer {
 public:
  GoogleBenchmarkPrinter() : Printer("google-benchmark.json") {}

 protected:
  std::string do_print(const ResultsDocument& doc) const override;
};

// Every file format; results.json only when asked (`flopbench report` reads it, never rewrites it).
std::vector<std::unique_ptr<Printer>> output_printers(bool include_results_json);

// Writes `content` to `path` so that a reader never sees a half-written file, and never
// replaces what `path` is: a regular file (or a missing one) is replaced by renaming a
// temporary written beside it, with the file's permissions, then the directory is synced so the
// rename survives a power cut; a symbolic link keeps pointing where it did (the file it names is
// replaced the same way); a device, FIFO or socket (/dev/stdout, /dev/null) is written through in
// place. A directory or a dangling link is refused. Throws IoError naming the path and the system
// error (InputError for a path that cannot name a file: throw_output_path_failure).
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

// Creates the directories `file` is to go in (an --out or --junit in a directory not made yet).
// Throws IoError naming the directory and the system error.
void create_parent_directories(const std::filesystem::path& file);

// Throws `message` about an output path that failed with system error `err`: as InputError (exit
// 2) where the path given cannot name a file (a name too long, a file where a directory must be,
// a loop of links), else as IoError (exit 3: the system failed, not the input).
[[noreturn]] void throw_output_path_failure(const std::string& message, int err);

// Creates `path` with `content` only if nothing is there yet (O_EXCL: of two processes, exactly
// one succeeds). Returns false when it exists; throws IoError for any other failure.
bool create_new_file(const std::filesystem::path& path, std::string_view content);

// Writes every output_printers() file into `dir`, which must exist, the others printed from the
// document as results.json holds it (JSON replaces invalid UTF-8), so that `flopbench report`
// makes them again byte for byte. Returns "", or, should the results not read back (a defect),
// what went wrong: the others are then printed from `doc`. Throws IoError where a file cannot
// be written.
[[nodiscard]] std::string write_outputs(const ResultsDocument& doc,
                                        const std::filesystem::path& dir,
                                        bool include_results_json);

}  // namespace flopbench
