#pragma once

// The machine aggregate (docs/methodology.md, "On the GPU"): one problem on several GPUs at once,
// each GPU driven from its own host thread and all released together. FLOPs are summed and a run
// lasts from the common start until the last GPU is done, so the rate is sum(FLOPs) / that time:
// the "machine peak" a performance sheet quotes, with every GPU loaded at the same time (shared
// power, cooling and host).

#include <functional>
#include <memory>
#include <vector>

#include "harness/core/workloads.hpp"

namespace flopbench {

class AggregateTrial final : public Trial {
 public:
  // make(gpu) sets up the problem on one GPU (each trial holds its own inputs: host memory
  // grows with the GPU count). The first run of kernel() runs every GPU's at once, and verify()
  // checks each GPU's output of it: the worst of them, stopping at the first wrong one.
  AggregateTrial(const std::vector<int>& gpus,
                 const std::function<std::unique_ptr<Trial>(int gpu)>& make);
  ~AggregateTrial() override;

  Kernel& kernel() override;
  Verification verify() override;
  double flops() const override { return flops_; }

 private:
  class ConcurrentKernel;
  std::vector<int> gpus_;
  std::vector<std::unique_ptr<Trial>> trials_;
  std::unique_ptr<ConcurrentKernel> kernel_;
  double flops_ = 0;
};

}  // namespace flopbench
