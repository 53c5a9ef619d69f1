// `flopbench compare`: how each measurement changed between two runs.

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "app/cli.hpp"
#include "app/cli_commands.hpp"
#include "reports/compare.hpp"
#include "reports/format.hpp"
#include "reports/results_json.hpp"

namespace flopbench {
namespace {

struct CompareOptions {
  std::string a, b;
  std::optional<double> fail_on_regression;  // percent
};

int compare_command(const CompareOptions& opt) {
  const ResultsDocument a = read_results_file(opt.a);
  const ResultsDocument b = read_results_file(opt.b);
  const CompareResult result = compare_results(a, b);
  fmt::print("A: {}\nB: {}\n\n{}", opt.a, opt.b, compare_text(result));
  if (!opt.fail_on_regression) return kExitOk;
  const auto slower = regressions(result, *opt.fail_on_regression);
  if (slower.empty()) return kExitOk;
  fmt::print(stderr, "flopbench: {} measurement(s) significantly slower by more than {:g}%:\n",
             slower.size(), *opt.fail_on_regression);
  for (const auto* c : slower) {
    fmt::print(stderr, "  {}, {}: median time {:+.1f}%\n", where(*c->b), to_string(c->b->precision),
               (c->judgement.time_ratio - 1) * 100);
  }
  return kExitFailures;
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto opt = std::make_shared<CompareOptions>();
  auto* cmd = app.add_subcommand("compare", "compare two runs measurement by measurement");
  cmd->add_option("a", opt->a, "results.json of the baseline run (A)")->required();
  cmd->add_option("b", opt->b, "results.json of the run to judge (B)")->required();
  cmd->add_option("--fail-on-regression", opt->fail_on_regression,
                  "exit 1 when a measurement is significantly slower by more than PCT percent")
      ->check(CLI::NonNegativeNumber)
      ->type_name("PCT");
  return {cmd, [opt](const std::vector<std::string>&) { return compare_command(*opt); }};
}

}  // namespace flopbench
