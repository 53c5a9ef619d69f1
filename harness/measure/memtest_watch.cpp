#include "harness/measure/memtest_watch.hpp"

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

void MemtestWatch::step_done(std::size_t i, double raw_s, int continued) {
  const double now = raw_s - stopped_s_;
  // The first step's time holds the setup too: not a step's.
  if (last_step_s_[i] && continued == stepped_continued_[i]) {
    longest_step_s_[i] = std::max(longest_step_s_[i], now - *last_step_s_[i]);
  }
  last_step_s_[i] = now;
  stepped_continued_[i] = continued;
  ahead_[i] = continued != polled_continued_ ? 1 : 0;
}

void MemtestWatch::poll(double raw_s, int continued) {
  const double gap_s = raw_s - last_poll_raw_s_;
  if (gap_s > kStopGapS || continued != polled_continued_) {
    const double stop_s = std::max(0.0, gap_s - poll_period_s_);
    stopped_s_ += stop_s;
    for (std::size_t i = 0; i < ahead_.size(); ++i) {
      if (ahead_[i] && last_step_s_[i]) *last_step_s_[i] -= stop_s;
    }
  }
  std::fill(ahead_.begin(), ahead_.end(), 0);
  last_poll_raw_s_ = raw_s;
  polled_continued_ = continued;
}

std::string MemtestWatch::silence(std::size_t i) const {
  return memtest_silence(now_s(), last_step_s_[i], longest_step_s_[i]);
}

}  // namespace flopbench
