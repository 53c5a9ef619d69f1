#include "harness/measure/memtest_watch.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "harness/machine/memtest.hpp"

namespace flopbench {

MemtestWatch::MemtestWatch(std::size_t gpus, int continued, double poll_period_s)
    : poll_period_s_(poll_period_s),
      polled_continued_(continued),
      last_step_s_(gpus),
      longest_step_s_(gpus, 0.0),
      stepped_continued_(gpus, continued),
      ahead_(gpus, 0) {}

bool MemtestWatch::stop_unpolled(double raw_s, int continued) const {
  return raw_s - last_poll_raw_s_ > kStopGapS || continued != polled_continued_;
}

void MemtestWatch::step_done(std::size_t i, double raw_s, int continued) {
  const double now = raw_s - stopped_s_;
  const bool unpolled = stop_unpolled(raw_s, continued);
  // The first step's time holds the setup too, and a step the process was stopped in holds the
  // stop: neither is a step's time.
  if (last_step_s_[i] && continued == stepped_continued_[i] && !unpolled) {
    longest_step_s_[i] = std::max(longest_step_s_[i], now - *last_step_s_[i]);
  }
  last_step_s_[i] = now;
  stepped_continued_[i] = continued;
  ahead_[i] = unpolled ? 1 : 0;
}

void MemtestWatch::poll(double raw_s, int continued) {
  if (stop_unpolled(raw_s, continued)) {
    const double previous_poll_s = now_s();
    const double stop_s = std::max(0.0, raw_s - last_poll_raw_s_ - poll_period_s_);
    stopped_s_ += stop_s;
    // A step that ended after the previous poll, moved back by the stops since; not before that
    // poll, when another stop followed it.
    for (std::size_t i = 0; i < ahead_.size(); ++i) {
      if (ahead_[i] && last_step_s_[i]) {
        last_step_s_[i] = std::max(*last_step_s_[i] - stop_s, previous_poll_s);
      }
    }
  }
  std::fill(ahead_.begin(), ahead_.end(), 0);
  last_poll_raw_s_ = raw_s;
  polled_continued_ = continued;
}

void MemtestWatch::interrupted() {
  if (!interrupted_raw_s_) interrupted_raw_s_ = last_poll_raw_s_;
}

std::string MemtestWatch::silence(std::size_t i) const {
  if (interrupted_raw_s_ && last_poll_raw_s_ - *interrupted_raw_s_ >= kInterruptWaitS) {
    return fmt::format(
        "the test did not stop within {:.0f} s of the interrupt ({}); the GPU may be hung",
        kInterruptWaitS,
        last_step_s_[i] ? fmt::format("its last step ended at {:.1f} s", *last_step_s_[i])
                        : std::string("no step had ended"));
  }
  return memtest_silence(now_s(), last_step_s_[i], longest_step_s_[i]);
}

}  // namespace flopbench
