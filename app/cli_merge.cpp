// `flopbench merge`: many nodes' results into one fleet record and report (docs/fleet.md).

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "app/cli_commands.hpp"
#include "reports/fleet.hpp"
#include "reports/fleet_report.hpp"
#include "reports/utf8.hpp"

namespace flopbench {
namespace {

namespace fs = std::filesystem;

struct MergeOptions {
  std::vector<std::string> inputs, reruns;
  std::string out, expect_hosts;
  double threshold_percent = 10;
};

int merge_command(const MergeOptions& opt) {
  std::optional<int> expected_nodes;
  std::vector<std::string> expected_hosts;
  if (!opt.expect_hosts.empty()) {
    const std::string& e = opt.expect_hosts;
    int n = 0;
    const auto [end, error] = std::from_chars(e.data(), e.data() + e.size(), n);
    if (error == std::errc() && end == e.data() + e.size()) {
      if (n < 1) throw InputError(fmt::format("--expect-hosts {}: expected 1 or more", e));
      expected_nodes = n;
    } else if (std::error_code ec; fs::symlink_status(e, ec).type() == fs::file_type::not_found &&
                                   (!ec || ec == std::errc::no_such_file_or_directory)) {
      // "3.0" or "1e3" is neither: say what is expected, not only that no such file exists.
      // (Only where nothing is there: a dangling link or an unreadable path is the reader's to
      // name.)
      throw InputError(fmt::format(
          "--expect-hosts {}: expected a whole number of hosts (1 or more) or a file of host "
          "names, one a line, and there is no file {}",
          e, e));
    } else {
      expected_hosts = read_host_list(e);
    }
  }
  const bool out_existed = output_dir_exists(opt.out);
  const fs::path dir = prepare_output_dir(opt.out, "");
  const std::vector<fs::path> inputs(opt.inputs.begin(), opt.inputs.end()),
      reruns(opt.reruns.begin(), opt.reruns.end());
  // Inputs merge refuses (a result given as its own rerun) leave no directory behind.
  const FleetRecord fleet = undone_on_bad_input(dir, out_existed, [&] {
    return merge_results(inputs, expected_nodes, expected_hosts, opt.threshold_percent, utc_now(),
                         reruns);
  });
  write_fleet_outputs(fleet, dir);
  // Host names, problems and reasons come from the nodes' files: no terminal controls.
  fmt::print("{}", strip_terminal_controls(FleetConsolePrinter().print(fleet)));
  std::vector<std::string> names;
  for (const auto& p : fleet_printers()) names.push_back(p->file_name());
  fmt::print("wrote {}/{{{}}}\n", dir.string(), fmt::join(names, ", "));
  const FleetAnalysis a = analyse_fleet(fleet);
  std::vector<std::string> problems;
  if (!a.failed.empty()) {
    problems.push_back(
        fmt::format("{} failed, set aside or missing", counted(a.failed.size(), "result")));
  }
  if (!a.unverified.empty()) {
    problems.push_back(
        fmt::format("{} incorrect or failed", counted(a.unverified.size(), "measurement")));
  }
  for (std::string& count : a.stress_problem_counts()) problems.push_back(std::move(count));
  if (!a.unfinished.empty()) {
    problems.push_back(
        fmt::format("runs not finished on {}", counted(a.unfinished.size(), "node")));
  }
  if (a.nodes_expected && a.nodes_reporting != *a.nodes_expected) {
    problems.push_back(fmt::format("{} reported where --expect-hosts expects {}",
                                   counted(a.nodes_reporting, "node"), *a.nodes_expected));
  }
  if (!problems.empty()) {
    print_error("flopbench: {}; see {}/fleet.md\n", fmt::join(problems, "; "), dir.string());
  }
  return problems.empty() ? kExitOk : kExitFailures;
}

}  // namespace

Command add_merge_command(CLI::App& app) {
  auto opt = std::make_shared<MergeOptions>();
  auto* cmd = app.add_subcommand(
      "merge", "merge many nodes' results into one fleet record and report, with the outliers");
  cmd->add_option("results", opt->inputs,
                  "results directories (or results.json files), one per node and task")
      ->required();
  cmd->add_option("--out", opt->out, "the fleet directory to write; must not exist or be empty")
      ->required();
  cmd->add_option("--rerun", opt->reruns,
                  "results of nodes run again: each host they report replaces its results among "
                  "the others")
      ->type_name("DIR");
  cmd->add_option("--expect-hosts", opt->expect_hosts,
                  "the nodes that must report: a file of host names (one a line), or their "
                  "number; a missing one fails")
      ->type_name("FILE|N");
  cmd->add_option(
         "--threshold", opt->threshold_percent,
         "a node or GPU below the median of the others by more than PCT percent is an outlier")
      ->transform(percent_in(0, 100))
      ->type_name("PCT")
      ->capture_default_str();
  return {cmd, [opt](const std::vector<std::string>&) { return merge_command(*opt); }};
}

}  // namespace flopbench
