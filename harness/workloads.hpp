#pragma once

// The workloads: their cost model, default sizes, seeded inputs and verification. Everything an
// implementation of a workload must agree on lives here, once.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/results.hpp"
#include "harness/workload.hpp"

namespace flopbench {

enum class Profile { quick, standard, full };
Profile parse_profile(std::string_view s);
std::string_view to_string(Profile p);

struct WorkloadInfo {
  std::string name;
  std::string description;
  bool matrix = false;           // sizes are MxNxK rather than an element count
  bool counted_flops = false;    // FLOPs are counted by the kernel, not given by the problem
  bool bandwidth_bound = false;  // judged in bytes/s
  // Cost of one run. flops is 0 for counted workloads (the trial supplies it).
  double (*flops)(const Problem&) = nullptr;
  double (*bytes)(const Problem&, Precision) = nullptr;
  // Host memory one measurement needs: inputs, an implementation's copy of the output.
  double (*host_bytes)(const Problem&, Precision) = nullptr;
};

const std::vector<WorkloadInfo>& all_workloads();
// nullptr for a name this build does not know (a results file from a newer flopbench, say).
const WorkloadInfo* lookup_workload(std::string_view name);
// Throws InputError for an unknown name (listing the known ones). Accepts "sgemm"/"dgemm".
const WorkloadInfo& find_workload(std::string_view name);

// Sizes a profile runs. Vector sizes are at least 4x the last-level cache (llc_bytes, 0 when
// unknown) so that they measure memory, not cache.
std::vector<Problem> default_problems(const WorkloadInfo& w, Profile profile,
                                      std::int64_t llc_bytes, Precision precision);

// One implementation of a workload set up on a problem, ready to be run, verified and timed.
class Trial {
 public:
  virtual ~Trial() = default;
  virtual Kernel& kernel() = 0;
  // Compare the kernel's output after its first run with the double-accumulating reference.
  virtual Verification verify() = 0;
  virtual double flops() const = 0;
};

// The compile-time side of each workload: input types, kernel interface, inputs, verification.
// Definitions in workloads.cpp, instantiated for float and double.
namespace workloads {
struct Gemm {
  template <class T>
  using Inputs = GemmInputs<T>;
  template <class T>
  using KernelBase = GemmKernel<T>;
  static constexpr std::string_view name = "gemm";
  template <class T>
  static Inputs<T> make_inputs(const Problem& p, std::uint64_t seed);
  template <class T>
  static Verification verify(const Inputs<T>& in, KernelBase<T>& k, std::uint64_t seed);
};
struct Sum {
  template <class T>
  using Inputs = VectorInputs<T>;
  template <class T>
  using KernelBase = ReductionKernel<T>;
  static constexpr std::string_view name = "sum";
  template <class T>
  static Inputs<T> make_inputs(const Problem& p, std::uint64_t seed);
  template <class T>
  static Verification verify(const Inputs<T>& in, KernelBase<T>& k, std::uint64_t seed);
};
struct Dot {
  template <class T>
  using Inputs = VectorInputs<T>;
  template <class T>
  using KernelBase = ReductionKernel<T>;
  static constexpr std::string_view name = "dot";
  template <class T>
  static Inputs<T> make_inputs(const Problem& p, std::uint64_t seed);
  template <class T>
  static Verification verify(const Inputs<T>& in, KernelBase<T>& k, std::uint64_t seed);
};
struct Stream {
  template <class T>
  using Inputs = VectorInputs<T>;
  template <class T>
  using KernelBase = StreamKernel<T>;
  static constexpr std::string_view name = "stream";
  template <class T>
  static Inputs<T> make_inputs(const Problem& p, std::uint64_t seed);
  template <class T>
  static Verification verify(const Inputs<T>& in, KernelBase<T>& k, std::uint64_t seed);
};
struct Transfer {
  template <class T>
  using Inputs = VectorInputs<T>;
  template <class T>
  using KernelBase = TransferKernel<T>;
  static constexpr std::string_view name = "transfer";
  template <class T>
  static Inputs<T> make_inputs(const Problem& p, std::uint64_t seed);
  template <class T>
  static Verification verify(const Inputs<T>& in, KernelBase<T>& k, std::uint64_t seed);
};
struct Peak {
  template <class T>
  using Inputs = PeakInputs<T>;
  template <class T>
  using KernelBase = PeakKernel<T>;
  static constexpr std::string_view name = "peak";
  template <class T>
  static Inputs<T> make_inputs(const Problem& p, std::uint64_t seed);
  template <class T>
  static Verification verify(const Inputs<T>& in, KernelBase<T>& k, std::uint64_t seed);
};
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
    if constexpr (std::is_same_v<W, workloads::Peak>) {
      return kernel_->flops_per_run();
    } else {
      return find_workload(W::name).flops(problem_);
    }
  }

 private:
  Problem problem_;
  std::uint64_t seed_;
  typename W::template Inputs<T> inputs_;
  std::unique_ptr<typename W::template KernelBase<T>> kernel_;
};

}  // namespace flopbench
