#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <functional>
#include <string>
#include <utility>

namespace flopbench {

// Prints to a console stream as fmt::print would, but a stream that cannot be written (closed:
// `2>&-`; a full disk; `| head` gone) loses the text, never the exit status: fmt::print throws,
// and from an error handler that would end the process with SIGABRT. (A failed stdout is
// reported at exit by cli_main.)
template <class... Args>
void write_console(std::FILE* stream, fmt::format_string<Args...> format, Args&&... args) {
  const std::string text = fmt::format(format, std::forward<Args>(args)...);
  std::fwrite(text.data(), 1, text.size(), stream);
}

// Standard output is flushed first: where both go to one file (`> log 2>&1`, a batch job's log),
// what was printed before the error comes before it.
template <class... Args>
void print_error(fmt::format_string<Args...> format, Args&&... args) {
  std::fflush(stdout);
  write_console(stderr, format, std::forward<Args>(args)...);
}

// Exit codes of the flopbench command.
inline constexpr int kExitOk = 0;             // every measurement passed (or was unsupported here)
inline constexpr int kExitFailures = 1;       // a measurement was incorrect or failed
inline constexpr int kExitBadInput = 2;       // bad command line, file or size: nothing was run
inline constexpr int kExitIoError = 3;        // a file or stdout could not be written or read, or
                                              // memory ran out: the system failed, not the input
inline constexpr int kExitInternalError = 4;  // a flopbench bug: an unexpected exception
// Interrupted by a signal: 128 + its number (Ctrl-C 130, SIGTERM 143, SIGHUP 129, SIGPIPE 141),
// after the results so far were written.
inline constexpr int kExitInterrupted = 130;

struct ResultsDocument;
// The exit status of a finished run: 128 + the interrupting signal, kExitFailures or kExitOk.
int run_exit_status(const ResultsDocument& doc);

// Runs a command, turning every exception into a one-line message on stderr and its exit status:
// InputError kExitBadInput; IoError, std::system_error (file systems, a failed write to stdout)
// and std::bad_alloc kExitIoError; anything else kExitInternalError.
int run_guarded(const std::function<int()>& command);

int cli_main(int argc, char** argv);

}  // namespace flopbench
