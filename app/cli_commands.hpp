#pragma once

// The subcommands of `flopbench`. Each one adds itself to the application, with its options
// bound to state its action owns, and returns that action. A new subcommand is one function
// in its own file plus one line in cli_main's list (harness/cli.cpp).

#include <CLI/CLI.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "harness/core/results.hpp"
#include "harness/measure/runner.hpp"

namespace flopbench {

struct Command {
  CLI::App* app = nullptr;
  // Runs the command once parsing chose it; gets the whole command line (recorded in results).
  // Throws InputError for bad input; returns the exit status.
  std::function<int(const std::vector<std::string>& command_line)> action;
};

Command add_run_command(CLI::App& app);
Command add_list_command(CLI::App& app);
Command add_info_command(CLI::App& app);
Command add_report_command(CLI::App& app);
Command add_sheet_command(CLI::App& app);
Command add_compare_command(CLI::App& app);
Command add_check_command(CLI::App& app);
Command add_spec_command(CLI::App& app);
Command add_merge_command(CLI::App& app);
Command add_burn_command(CLI::App& app);
Command add_memtest_command(CLI::App& app);

// The help of the options that run, burn and memtest share.
inline constexpr std::string_view kGpusHelp =
    "GPUs: all, comma-separated indices (0,2), or local-rank (the GPU of this launcher task's "
    "local rank)";
inline constexpr std::string_view kOutHelp =
    "results directory; must not exist or be empty (default results/<host>-<time>); {host}, "
    "{rank}, {job} and {time} are replaced (docs/fleet.md)";

// Validators of numeric options, checked on the text so that "nan", "inf", "1.5" for a whole
// number and words are refused with what is expected ("nan is not a number from 0 to 1"),
// rather than passing a range check that NaN never fails.
CLI::Validator number_in(double lo, double hi);  // hi may be infinity: "of at least lo"
CLI::Validator whole_number_in(std::int64_t lo, std::int64_t hi);
// number_in for a percentage, which may end in '%' ("10%", as --noise-floor takes it): a
// transform, given with ->transform().
CLI::Validator percent_in(double lo, double hi);
// A seed: a whole number from 0 to 2^64 - 1 (a conversion would wrap -1).
CLI::Validator seed_number();
// A transform for the options that read a run's results: a directory that holds a results.json
// (what `run` prints as its results) stands for that file; any other path is left for the reader
// to say what it is.
CLI::Validator results_of_a_run();
inline constexpr std::string_view kResultsHelp =
    "a results.json written by 'flopbench run', or the run's directory";

// ---- the measuring half of `run`, shared with `check` (which measures what its spec needs) ----

// The most CPU threads a run uses (--threads, OMP_NUM_THREADS): beyond any machine's hardware
// threads, and below what makes the OpenMP runtime fail (it allocates per-thread state up
// front; 32768 threads abort inside libgomp).
inline constexpr int kMaxThreads = 4096;

struct MeasureOptions {
  std::string profile = "standard";
  int threads = 0;  // 0: OMP_NUM_THREADS, else every CPU (within the cgroup's CPU quota)
  std::uint64_t seed = 1;
  std::string out;           // the results directory: new or empty; "" for results/<host>-<time>
  std::string gpus = "all";  // "all" or GPU indices, "0,2"
  int wait_quiet_s = 0;      // wait up to this long for a quiet machine first; 0: do not wait
  std::optional<Replicate> replicate;  // set by run --repeat for each of its runs
};
// --profile, --threads, --gpus, --seed, --out, --wait-quiet.
void add_measure_options(CLI::App* cmd, MeasureOptions& opt);

// Makes omp_get_max_threads() the team every parallel region gets, as the records say: `asked`
// threads (--threads; 0: not given, the default stands), no teams shrunk at run time
// (OMP_DYNAMIC), and no more threads than OMP_THREAD_LIMIT allows, which omp_get_max_threads()
// does not count; `asked` beyond the limit is refused, and so is an OMP_NUM_THREADS that is not
// a list of thread counts (InputError). Where neither --threads nor OMP_NUM_THREADS chose, the
// team is no larger than the whole CPUs of this process's cgroup CPU quota (threads_within_quota).
// Returns the lines the console gives the team: "" where nothing binds it, else a warning that the
// threads chosen outnumber the CPUs this process may use, and what the quota does: how it set the
// default (and that `overridden_by`, the command's ways of choosing, override it) or a warning
// that the threads exceed it.
std::string settle_thread_team(int asked, std::string_view overridden_by);

struct MeasuredRun {
  ResultsDocument doc;
  std::filesystem::path dir;
  std::vector<MeasurementRequest> requests;  // what each of doc.measurements measured
};
// Plans `sel` on this machine, keeps the requests `keep` accepts (all when it is empty) and
// measures them into a new results directory, printing progress and keeping results.json
// current. The other outputs are left to write_run_outputs.
MeasuredRun measure_selection(Selection sel, const MeasureOptions& opt,
                              const std::vector<std::string>& command_line,
                              const RequestFilter& keep);
// Measures the run's measurements at `indices` once more (with `opt`'s profile and seed),
// adding the new records after the others.
void remeasure(MeasuredRun& run, const std::vector<std::size_t>& indices,
               const MeasureOptions& opt);
// Writes every output of a run into its directory; prints the summary and the files written.
void write_run_outputs(const MeasuredRun& run);
// write_outputs(), with an error line on stderr should the results not read back as written,
// and then the command's exit status kExitInternalError (unless interrupted, or worse).
void write_output_files(const ResultsDocument& doc, const std::filesystem::path& dir,
                        bool include_results_json);

// The record of a command that starts now: `profile` is a profile's name, kBurnProfile or
// kMemtestProfile; `gpus` is --gpus as parsed (nullopt: every GPU).
RunInfo start_run_info(const std::vector<std::string>& command_line, std::string profile,
                       std::uint64_t seed, const Launch& launch,
                       const std::optional<std::vector<int>>& gpus);

// A new output directory, created: `out` must not exist or be empty (an earlier run is never
// overwritten: InputError); without `out`, results/<host>-<UTC time>, with -2, -3, ... when
// another run has that name. IoError when it cannot be made.
std::filesystem::path prepare_output_dir(const std::string& out, const std::string& host);
// Whether --out names a path that is there already (before prepare_output_dir); false for none.
bool output_dir_exists(const std::string& out);
// `work` on an output directory prepare_output_dir just made unless it `existed`: bad input that
// it finds (InputError) leaves no empty directory behind, as bad input found before it does not.
template <class Work>
auto undone_on_bad_input(const std::filesystem::path& dir, bool existed, Work work) {
  try {
    return work();
  } catch (const InputError&) {
    std::error_code ec;
    if (!existed && std::filesystem::is_empty(dir, ec)) std::filesystem::remove(dir, ec);
    throw;
  }
}

// Claims a new results directory for `doc`: `out` with its placeholders expanded for the
// document's host and launch (prepare_output_dir), with the document's results.json written
// into it. The claim is the exclusive creation of results.json, so of two runs started together
// with the same --out, one gets it and the other is refused: a run never writes into another's
// directory.
std::filesystem::path claim_results_dir(const std::string& out, const ResultsDocument& doc);

// Ends a command that fills a results directory claimed with claim_results_dir (burn, memtest):
// stamps the end and any interrupt into `doc`, writes every output from it, prints the verdict
// over every device (PASS, FAIL, INCOMPLETE) and lists the files.
// Returns 128 + the signal when interrupted, else kExitFailures when `failed`, else kExitOk.
int finish_results_dir(ResultsDocument& doc, const std::filesystem::path& dir, bool failed);

// Whether `file` is its directory's results.json (by name, or the same file): the run whose
// outputs lie beside it. A copy of another name there must not replace them (report, sheet).
bool is_directorys_results_file(const std::filesystem::path& file);

// Refuses (InputError) an output file given with `option` that would replace what flopbench
// keeps: a file named results.json or fleet.json (a run's or a fleet's record), one of the
// command's `inputs` (the same file by any path), a report flopbench writes beside an input
// record (report.html beside a results.json, fleet.md beside a fleet.json), a directory, or a
// symbolic link to nothing. Called before anything is measured or written.
void refuse_output_over_records(const std::filesystem::path& output, std::string_view option,
                                const std::vector<std::filesystem::path>& inputs);

// The libraries of the registered implementations with their versions, for the environment.
std::map<std::string, std::string> implementation_libraries();

// A host name as one file name (the default results directory is results/<host>-<time>): a
// name such as "../x" must not move the directory.
std::string path_component(std::string_view name);

// The current UTC time, ISO 8601 ("2026-11-23T19:20:00Z"), or compact for directory names.
std::string utc_now(bool compact = false);

}  // namespace flopbench
