#pragma once

// The subcommands of `flopbench`. Each one adds itself to the application, with its options
// bound to state its action owns, and returns that action. A new subcommand is one function
// in its own file plus one line in cli_main's list (harness/cli.cpp).

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

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

}  // namespace flopbench
