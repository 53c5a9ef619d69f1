#pragma once

// The workloads' seeded inputs and their verification against a reference: what every
// implementation of a workload must agree on, once. Their names, cost models and default sizes
// are in the catalog (catalog.hpp).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/catalog.hpp"
#include "harness/core/kernel.hpp"
#include "harness/core/results.hpp"

namespace flopbench {

// One implementation of a workload set up on a problem, ready to be run, verified and timed.
class Trial {
 public:
  virtual ~Trial() = default;
  virtual Kernel& kernel() = 0;
  // Compare the kernel's output after its first run with the double-accumulating reference.
  virtual Verification verify() = 0;
  virtual double flops() const = 0;
};

// The compile-time side of a workload: its catalog id, input type and kernel interface, and
// the functions that make its seeded inputs and verify a kernel's output against the reference.
// Definitions in workloads.cpp, instantiated for float and double.
template <WorkloadId Id, template <class> class InputsOf, template <class> class KernelOf>
struct WorkloadType {
  static constexpr WorkloadId id = Id;
  template <class T>
  using Inputs = InputsOf<T>;
  template <class T>
  using KernelBase = KernelOf<T>;
  template <class T>
  static Inputs<T> make_inputs(const Problem& p, std::uint64_t seed);
  template <class T>
  static Verification verify(const Inputs<T>& in, KernelBase<T>& k, std::uint64_t seed);
};

namespace workloads {
using Gemm = WorkloadType<WorkloadId::gemm, GemmInputs, GemmKernel>;
using Sum = WorkloadType<WorkloadId::sum, VectorInputs, ReductionKernel>;
using Dot = WorkloadType<WorkloadId::dot, VectorInputs, ReductionKernel>;
using Stream = WorkloadType<WorkloadId::stream, VectorInputs, StreamKernel>;
using Transfer = WorkloadType<WorkloadId::transfer, VectorInputs, TransferKernel>;
using Peak = WorkloadType<WorkloadId::peak, PeakInputs, PeakKernel>;
}  // namespace workloads

// Workload W's inputs for one problem, generated from the seed, and a kernel set up on them.
template <class W, class T>
class TrialOf final : public Trial {
 public:
  TrialOf(const Problem& problem, std::uint64_t seed,
          std::unique_ptr<typename W::template KernelBase<T>> kernel)
      : problem_(problem),
        seed_(seed),
        inputs_(W::template make_inputs<T>(problem, seed)),
        kernel_(std::move(kernel)) {
    kernel_->setup(inputs_);
  }
  Kernel& kernel() override { return *kernel_; }
  Verification verify() override { return W::verify(inputs_, *kernel_, seed_); }
  double flops() const override {
    // A kernel that chooses its own amount of work (peak) counts its FLOPs.
    if constexpr (requires { kernel_->flops_per_run(); }) {
      return kernel_->flops_per_run();
    } else {
      return info(W::id).flops(problem_);
    }
  }

 private:
  Problem problem_;
  std::uint64_t seed_;
  typename W::template Inputs<T> inputs_;
  std::unique_ptr<typename W::template KernelBase<T>> kernel_;
};

}  // namespace flopbench
