#pragma once

// The workloads' seeded inputs and their verification against a reference: what every
// implementation of a workload must agree on, once. Their names, cost models and default sizes
// are in the catalog (catalog.hpp).

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/catalog.hpp"
#include "harness/core/kernel.hpp"
#include "harness/core/results.hpp"

namespace flopbench {

// A fault put into a burn's read-back output on purpose, to test that it is caught
// (harness/measure/burn.hpp): element 3 one ulp up (`wrong`), or NaN.
enum class InjectedFault { none, wrong, nan };

// One implementation of a workload set up on a problem, ready to be run, verified and timed.
class Trial {
 public:
  virtual ~Trial() = default;
  virtual Kernel& kernel() = 0;
  // Compare the kernel's output after its first run on freshly set up inputs with the
  // double-accumulating reference.
  virtual Verification verify() = 0;
  virtual double flops() const = 0;

  // Burn-in (harness/measure/burn.hpp), GEMM only: rearm() sets the kernel up afresh on the same
  // inputs, so that the next run() must give the same bits as the first; repeat_fault() after
  // that run keeps the first run's output and, for each later run, says where the output differs
  // from it, or is NaN or infinite ("element 12 (row 12, column 0) is 1.5 where the first run
  // gave 1.25"); "" when it is identical and finite. `inject` changes the output as read back
  // before it is checked (tests only).
  virtual void rearm() { throw std::logic_error("a burn-in runs GEMM only"); }
  virtual std::string repeat_fault(InjectedFault /*inject*/ = InjectedFault::none) {
    throw std::logic_error("a burn-in runs GEMM only");
  }
  // The output repeat_fault() kept is dropped: the next call's output is the first again.
  virtual void forget_first_output() { throw std::logic_error("a burn-in runs GEMM only"); }
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

// Trial::repeat_fault for GEMM: reads C into `scratch` (kept between calls, so that a check
// neither allocates nor faults in its memory again); an empty `first` takes it.
template <class T>
std::string gemm_repeat_fault(const GemmInputs<T>& in, GemmKernel<T>& kernel,
                              std::vector<accumulator_t<T>>& first,
                              std::vector<accumulator_t<T>>& scratch,
                              InjectedFault inject = InjectedFault::none);

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
  void rearm() override {
    if constexpr (W::id == WorkloadId::gemm) {
      kernel_->setup(inputs_);
    } else {
      Trial::rearm();
    }
  }
  std::string repeat_fault(InjectedFault inject = InjectedFault::none) override {
    if constexpr (W::id == WorkloadId::gemm) {
      return gemm_repeat_fault(inputs_, *kernel_, first_, scratch_, inject);
    } else {
      return Trial::repeat_fault(inject);
    }
  }
  void forget_first_output() override {
    if constexpr (W::id == WorkloadId::gemm) {
      first_.clear();
    } else {
      Trial::forget_first_output();
    }
  }
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
  std::vector<accumulator_t<T>> first_;    // burn-in: the first run's output
  std::vector<accumulator_t<T>> scratch_;  // burn-in: a later one's, read back
};

}  // namespace flopbench
