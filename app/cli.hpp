#pragma once

namespace flopbench {

// Exit codes of the flopbench command.
inline constexpr int kExitOk = 0;             // every measurement passed (or was unsupported here)
inline constexpr int kExitFailures = 1;       // a measurement was incorrect or failed
inline constexpr int kExitBadInput = 2;       // bad command line, file or size: nothing was run
inline constexpr int kExitInterrupted = 130;  // Ctrl-C: the results so far were written

struct ResultsDocument;
// The exit status of a finished run: kExitInterrupted, kExitFailures or kExitOk.
int run_exit_status(const ResultsDocument& doc);

int cli_main(int argc, char** argv);

}  // namespace flopbench
