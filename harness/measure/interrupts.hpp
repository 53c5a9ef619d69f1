#pragma once

// Signals that end a run early: SIGINT (Ctrl-C), SIGTERM (`timeout`, `kill`), SIGHUP (the
// terminal went away) and SIGPIPE (whoever read the console went away, `run | head`). The first
// one asks the run to stop after the current kernel run and write what it measured, marked
// interrupted; from then on the console goes to /dev/null when it was SIGPIPE. A second SIGINT,
// SIGTERM or SIGHUP ends the process at once, by that signal, and so does the first one when the
// run has not stopped within kInterruptGraceSeconds (a kernel or library call that never
// returns): a run never outlives `timeout`. results.json, rewritten after every measurement,
// then holds each finished one, without finished_utc, and a run's is marked interrupted
// (set_quit_record; docs/results-schema.md). The same signal
// sent again by the same process within kDuplicateSignalSeconds is the first one again, not a
// second: GNU timeout sends its signal to the process and then to its process group, and on a
// busy machine a second thread can take the copy.

#include <string>
#include <thread>

namespace flopbench {

inline constexpr unsigned kInterruptGraceSeconds = 10;
inline constexpr double kDuplicateSignalSeconds = 0.5;

void install_interrupt_handler();
// What to write to `file` when a signal ends the process at once (a second one, or the grace
// period over): the run's results so far marked interrupted, kept current by the run as it
// rewrites results.json. An empty `file` clears it, once the run's own record is written.
void set_quit_record(const std::string& file, std::string text);
bool interrupt_requested();
// The first signal received, 0 when none.
int interrupt_signal();

// How many times the process was continued after a stop (SIGCONT: Ctrl-Z then `fg`, a
// scheduler's suspend and resume) since the first call, which starts counting.
int times_continued();

// A thread stuck in a hung GPU's driver cannot be joined: it is detached and left running, and
// the process then ends with _Exit once its output is written (cli_main), rather than let the
// CUDA runtime's teardown at exit wait for that thread for ever.
void leave_running(std::thread& thread);
bool threads_left_running();

}  // namespace flopbench
