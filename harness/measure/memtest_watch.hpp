#pragma once

// What the memory test's watchdog (app/cli_memtest.cpp) knows of each GPU's test: when it last
// ended a step and its longest step, on a clock from which the time the process spent stopped
// (Ctrl-Z, a scheduler's suspend) is taken out. So neither the silence of a stop nor a step that
// held one, whose time would raise the longest step and with it the silence a hang needs, is
// taken for the GPU's. The caller serialises the calls (one mutex).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace flopbench {

class MemtestWatch {
 public:
  // A poll later than this after the one before, or after a SIGCONT, follows a stop.
  static constexpr double kStopGapS = 5;

  // `gpus` tests, started now; `continued`: times_continued() now. `poll_period_s`: how long the
  // watchdog waits between polls at most.
  MemtestWatch(std::size_t gpus, int continued, double poll_period_s);

  // GPU `i` ended a step; `raw_s` is the time since the start with any stops, `continued` the
  // process's continuations so far. A step that a stop fell in (a continuation since the GPU's
  // step before, or a stop this watch has not yet polled) ends, but is no step's time.
  void step_done(std::size_t i, double raw_s, int continued);

  // The watchdog polls at `raw_s`: a poll more than kStopGapS after the one before, or one after
  // a continuation, takes the time beyond the poll period out of the clock.
  void poll(double raw_s, int continued);

  // The clock, stops taken out, at the last poll.
  double now_s() const { return last_poll_raw_s_ - stopped_s_; }

  // After an interrupt (SIGINT, SIGTERM) the tests stop after their step in progress, or at their
  // next 1 GiB piece while allocating: one that has not returned kInterruptWaitS after the first
  // poll that saw the interrupt is taken for hung, well inside the grace after which the process
  // ends itself (kInterruptGraceSeconds, real time: so is this wait, stops included), so that
  // what was found is written first.
  static constexpr double kInterruptWaitS = 5;
  // The process was interrupted, as of the last poll; later calls keep the first time.
  void interrupted();

  // Why GPU `i` is taken for hung at the last poll, "" while it is not (memtest_silence, or no
  // return within kInterruptWaitS of the interrupt).
  std::string silence(std::size_t i) const;

 private:
  // Whether the process was stopped since the last poll, as far as `raw_s` and `continued` show.
  bool stop_unpolled(double raw_s, int continued) const;

  double poll_period_s_;
  double stopped_s_ = 0;
  double last_poll_raw_s_ = 0;
  int polled_continued_;
  std::vector<std::optional<double>> last_step_s_;
  std::vector<double> longest_step_s_;
  std::vector<int> stepped_continued_;
  // A step that ended after a stop this watch has not yet polled: its time is counted on the
  // clock before the stop is taken out, and moves back with it.
  std::vector<char> ahead_;
  std::optional<double> interrupted_raw_s_;  // the poll that first saw the interrupt
};

}  // namespace flopbench
