// `flopbench compare`: how each measurement changed between two runs.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "app/cli.hpp"
#include "app/cli_commands.hpp"
#include "reports/compare.hpp"
#include "reports/format.hpp"
#include "reports/results_json.hpp"
#include "reports/utf8.hpp"

namespace flopbench {
namespace {

struct CompareOptions {
  std::vector<std::string> runs;             // A then B; with --against, A's runs
  std::vector<std::string> against;          // B's runs
  std::optional<double> fail_on_regression;  // percent
  bool allow_missing = false;                // a measurement B lacks is no regression
  std::string noise_floor;                   // "cpu=8,gpu=3": floors other than the VM's
};

constexpr std::string_view kNoiseFloorForm =
    "expected CLASS=PCT[,CLASS=PCT...] with CLASS cpu-compute, cpu-memory, cpu (both) or gpu";

// --noise-floor: the one-run floors of the machine classes named, the others left at the
// shared VM's (CompareRule).
CompareRule rule_with_floors(const std::string& text) {
  CompareRule rule;
  if (text.empty()) return rule;
  const auto bad = [&](std::string_view why) {
    return InputError(fmt::format("--noise-floor '{}': {}; {}", text, why, kNoiseFloorForm));
  };
  const std::string_view all = text;
  // Each floor set once: a second would silently replace the first ("cpu-compute=5,cpu=50").
  bool compute_set = false, memory_set = false, gpu_set = false;
  for (std::size_t start = 0, comma = 0; comma != std::string_view::npos; start = comma + 1) {
    comma = all.find(',', start);
    const std::string_view item = all.substr(start, comma - start);
    if (item.empty()) throw bad("an empty item (a comma too many)");
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) throw bad(fmt::format("'{}' has no '='", item));
    const std::string_view name = item.substr(0, eq);
    if (name != "cpu-compute" && name != "cpu-memory" && name != "cpu" && name != "gpu") {
      throw bad(fmt::format("no machine class '{}'", name));
    }
    std::string_view value = item.substr(eq + 1);
    if (value.ends_with('%')) value.remove_suffix(1);
    const std::optional<double> percent = whole_text_as<double>(value);
    if (!percent || !(*percent >= 0.1) || *percent > 1000) {
      throw bad(fmt::format("'{}' is not a percentage from 0.1 to 1000", item.substr(eq + 1)));
    }
    const double floor = *percent / 100;
    const auto set = [&](bool& already, double& to, std::string_view what) {
      if (already) throw bad(fmt::format("'{}' sets the {} floor a second time", item, what));
      already = true;
      to = floor;
    };
    if (name == "cpu-compute" || name == "cpu")
      set(compute_set, rule.cpu_compute_floor, "cpu-compute");
    if (name == "cpu-memory" || name == "cpu")
      set(memory_set, rule.cpu_bandwidth_floor, "cpu-memory");
    if (name == "gpu") set(gpu_set, rule.gpu_noise_floor, "gpu");
  }
  return rule;
}

std::vector<ResultsDocument> read_all(const std::vector<std::string>& files) {
  std::vector<ResultsDocument> docs;
  for (const auto& f : files) {
    docs.push_back(read_results_file(f));
    // A burn's or memory test's results have verdicts of their own, not measurements. (A run
    // that died before its first measurement is compared: it lacks what it did not reach.)
    const ResultsDocument& d = docs.back();
    if (d.measurements.empty() && (d.burn || d.memtest)) {
      throw InputError(fmt::format("{}: no measurements to compare (the results of a {})", f,
                                   d.burn ? "burn" : "memory test"));
    }
  }
  return docs;
}

// The runs compared are distinct: one given twice (the same file, a copy, its directory beside its
// results.json) would count as two replicates that agree and as a change of sides that was not
// taken, making the noise between runs look smaller than it is; as A and B, it would be a
// comparison of nothing. A run is known by its host, start (to the second), command line,
// launcher rank, place in a `run --repeat` and samples: two runs of `run --repeat` may start in
// one second, but do not time alike.
void refuse_a_run_given_twice(const std::vector<std::string>& a_files,
                              const std::vector<ResultsDocument>& a,
                              const std::vector<std::string>& b_files,
                              const std::vector<ResultsDocument>& b) {
  std::map<std::tuple<std::string, std::string, std::vector<std::string>, std::optional<int>, int,
                      std::vector<std::vector<double>>>,
           std::string>
      seen;
  for (const auto& [files, docs] : {std::pair{&a_files, &a}, std::pair{&b_files, &b}}) {
    for (std::size_t i = 0; i < docs->size(); ++i) {
      const ResultsDocument& d = (*docs)[i];
      std::vector<std::vector<double>> samples;
      for (const MeasurementRecord& r : d.measurements) samples.push_back(r.samples_s);
      const auto [it, added] = seen.emplace(
          std::tuple{d.environment.host, d.run.started_utc, d.run.command_line, d.run.launch.rank,
                     d.run.replicate ? d.run.replicate->index : 0, std::move(samples)},
          (*files)[i]);
      if (!added) {
        throw InputError(fmt::format("{} and {} are one run (host {}, started {}): {}", it->second,
                                     (*files)[i], or_unknown(d.environment.host),
                                     or_unknown(d.run.started_utc),
                                     a.size() + b.size() > 2 ? "replicates must be distinct runs"
                                                             : "compare a run with another"));
      }
    }
  }
}

// Why a comparison judged nothing (judged_nothing): what was, and was not, in both A and B.
std::string why_nothing_judged(const CompareResult& result) {
  if (result.matched.size() == 1) {
    return "the 1 measurement in both A and B got no verdict (inconclusive: the table says why)";
  }
  if (!result.matched.empty()) {
    return fmt::format(
        "none of the {} measurements in both A and B got a verdict (each inconclusive: the table "
        "says why)",
        result.matched.size());
  }
  std::size_t on_neither = 0;
  for (const auto& entry : result.run_on_neither) on_neither += entry.second;
  if (on_neither > 0) {
    return fmt::format("no measurement of A is in B but {} that ran on neither side (no GPU)",
                       counted(on_neither, "GPU measurement"));
  }
  return "no measurement of A is in B (matched by workload, implementation, device, precision, "
         "problem, timing and thread count)";
}

// A run's arguments without the program's path, where its outputs went and how many runs one
// command made (--out, --repeat): what the runs of one command share.
std::vector<std::string> command_of(const RunInfo& run) {
  std::vector<std::string> command;
  const auto& args = run.command_line;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--out" || args[i] == "--repeat") {
      ++i;
    } else if (!args[i].starts_with("--out=") && !args[i].starts_with("--repeat=")) {
      command.push_back(args[i]);
    }
  }
  return command;
}

int compare_command(const CompareOptions& opt) {
  std::vector<std::string> a_files = opt.runs, b_files = opt.against;
  if (b_files.empty()) {
    if (a_files.size() != 2) {
      throw InputError(
          fmt::format("compare: {}; give A.json B.json, or A's runs then --against B's runs",
                      counted(a_files.size(), "results file")));
    }
    b_files = {a_files.back()};
    a_files.pop_back();
  }
  const CompareRule rule = rule_with_floors(opt.noise_floor);
  const std::vector<ResultsDocument> a = read_all(a_files), b = read_all(b_files);
  refuse_a_run_given_twice(a_files, a, b_files, b);
  const CompareResult result = compare_results(a, b, rule);
  fmt::print("A: {}\nB: {}\n\n{}", fmt::join(a_files, " "), fmt::join(b_files, " "),
             compare_text(result, rule));
  const auto command_text = [](const RunInfo& run) {
    return strip_terminal_controls(shell_command(command_of(run)));
  };
  for (const auto& [side, docs, files] :
       {std::tuple{"A", &a, &a_files}, std::tuple{"B", &b, &b_files}}) {
    // Some of a --repeat's runs judge on fewer runs (or on one run's samples) than were taken.
    int of = 0;
    for (const ResultsDocument& d : *docs)
      of = std::max(of, d.run.replicate ? d.run.replicate->of : 0);
    if (std::cmp_less(docs->size(), of)) {
      fmt::print(
          "note: {} gives {} of the {} runs its run --repeat {} asked for: its verdicts rest on "
          "those alone (one run: on its samples, not on the spread between runs)\n",
          side, docs->size(), of, of);
    }
    // Replicates are repeats of one command: a run of another (other options, another thread
    // count) is no measure of the noise between runs of the first.
    for (std::size_t i = 1; i < docs->size(); ++i) {
      if (command_of((*docs)[i].run) == command_of(docs->front().run)) continue;
      fmt::print(
          "note: {}'s runs are not repeats of one command: {} ran {}, {} {} (their --out and "
          "--repeat aside): the spread between them is not the noise between runs of one "
          "command\n",
          side, files->front(), command_text(docs->front().run), (*files)[i],
          command_text((*docs)[i].run));
      break;
    }
  }
  if (!opt.fail_on_regression) return kExitOk;
  const auto slower = regressions(result, *opt.fail_on_regression);
  const auto lost = lost_measurements(result, !opt.allow_missing);
  // A contended measurement cannot fail the gate as a slowdown: said where CI logs show it, so
  // that a gate that held on a busy machine is not read as one that held on everything.
  if (const auto busy =
          std::ranges::count_if(result.matched, [](const Comparison& c) { return contended(c); });
      busy > 0) {
    print_error(
        "flopbench: {} not judged for a slowdown: contended in A or B (a co-tenant's share "
        "in their times); compare runs taken on a quiet machine (run --wait-quiet)\n",
        counted(static_cast<std::size_t>(busy), "measurement"));
  }
  // A change beyond the gate's percentage that the verdict rule could not call slower is no
  // regression; said where CI logs show it, so that a gate of 10 % on one run a side is not read
  // as one that holds CPU work to 10 %.
  if (const auto unjudged = unjudged_slowdowns(result, *opt.fail_on_regression);
      !unjudged.empty()) {
    print_error(
        "flopbench: {} slower by more than {:g}% but not judged slower (within the noise "
        "between runs, or inconclusive: the table says which), so no regression; to judge "
        "smaller changes, give more runs a side, taken in turns (--against), or the floors "
        "measured on this machine (--noise-floor)\n",
        counted(unjudged.size(), "measurement"), *opt.fail_on_regression);
  }
  // A gate that judged nothing has passed nothing.
  const bool nothing = judged_nothing(result);
  if (slower.empty() && lost.empty() && result.incomplete_b.empty() && !nothing) return kExitOk;
  if (nothing) {
    print_error("flopbench: {}: --fail-on-regression judged nothing\n", why_nothing_judged(result));
  }
  // What a run of B that died lacks is missing, not measured less: --allow-missing does not
  // excuse it.
  for (const std::string& note : result.incomplete_b) {
    print_error("flopbench: {}\n", note);
  }
  if (!slower.empty()) {
    print_error("flopbench: {} slower, beyond the noise, by more than {:g}%:\n",
                counted(slower.size(), "measurement"), *opt.fail_on_regression);
  }
  for (const auto* c : slower) {
    print_error("  {}: median time {:+.1f}%\n", strip_terminal_controls(where(*c->b)),
                (c->judgement.time_ratio - 1) * 100);
  }
  // Where CI logs show the failure: it may be a machine swap, not a code change.
  if (!slower.empty() && !result.hardware_differs.empty()) {
    print_error("flopbench: {}\n", strip_terminal_controls(result.hardware_differs));
  }
  if (!lost.empty()) {
    print_error("flopbench: {} that passed in A did not pass in B{}:\n",
                counted(lost.size(), "measurement"),
                opt.allow_missing && result.lost_gpus.empty() ? ""
                : lost.size() == 1                            ? " or is not in B"
                                                              : " or are not in B");
  }
  for (const auto& l : lost) print_error("  {}\n", l);
  return kExitFailures;
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto opt = std::make_shared<CompareOptions>();
  auto* cmd = app.add_subcommand(
      "compare", "compare two runs (or two sets of repeated runs) measurement by measurement");
  cmd->add_option("runs", opt->runs,
                  "results.json (or the run's directory) of the baseline run (A), then of the "
                  "run to judge (B); with --against, the runs of A (one, or two or more repeats)")
      ->required()
      ->transform(results_of_a_run());
  cmd->add_option("--against", opt->against,
                  "the runs of B, one for one run of A, or two or more repeats of one "
                  "command, judged against A's runs on the noise between runs")
      ->type_name("B.json")
      ->transform(results_of_a_run());
  auto* gate =
      cmd->add_option(
             "--fail-on-regression", opt->fail_on_regression,
             "exit 1 when a measurement is slower by more than PCT percent and beyond the noise "
             "between runs (one run a side: 100% for CPU work unless --noise-floor), or passed "
             "in A and did not pass in B, or is not in B, or a run of B did not finish, or "
             "nothing could be judged (no measurement of A in B, or every one inconclusive)")
          ->transform(percent_in(0, std::numeric_limits<double>::infinity()))
          ->type_name("PCT");
  cmd->add_option("--noise-floor", opt->noise_floor,
                  "the floor between single runs, in percent, of the machine classes named "
                  "(cpu-compute, cpu-memory, cpu for both, gpu), as scripts/noise-floor.py "
                  "measured it on this machine; default: cpu-compute=100,cpu-memory=100,gpu=5, "
                  "measured on shared cloud VMs")
      ->type_name("CLASS=PCT,...");
  cmd->add_flag("--allow-missing", opt->allow_missing,
                "with --fail-on-regression: a measurement that passed in A and that B does not "
                "have is no regression (B measured less; not a GPU's, where B saw no GPU)")
      ->needs(gate);
  return {cmd, [opt](const std::vector<std::string>&) { return compare_command(*opt); }};
}

}  // namespace flopbench
