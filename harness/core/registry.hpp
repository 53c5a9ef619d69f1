#pragma once

// The registry of implementations. An implementation file ends with one registration line:
//
//   FLOPBENCH_REGISTER(make_implementation<workloads::Gemm, OmpGemm>(
//       {.name = "omp", .device = DeviceKind::cpu, .description = "..."}));
//
// and from then on `flopbench list`, `flopbench run` and the tests that iterate the registry
// know it.

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "harness/core/types.hpp"
#include "harness/core/workloads.hpp"

namespace flopbench {

struct ImplementationSpec {
  std::string name;
  DeviceKind device = DeviceKind::cpu;
  std::string description;
  std::vector<Precision> precisions = {Precision::fp32, Precision::fp64};
  std::string library;          // the library it measures, e.g. "Eigen"; "" for our own code
  std::string library_version;  // recorded in the environment
};

struct Implementation {
  WorkloadId workload;
  ImplementationSpec spec;
  // Why this build or machine cannot run it; "" when it can.
  std::function<std::string()> unavailable_reason = [] { return std::string(); };
  // Generates the seeded inputs of `problem` and sets a kernel up on them (all untimed).
  // device_index is the GPU for device kernels and ignored by CPU kernels.
  std::function<std::unique_ptr<Trial>(Precision, const Problem&, std::uint64_t seed,
                                       int device_index)>
      make_trial;

  const std::string& name() const { return spec.name; }
  bool supports(Precision p) const;
};

class Registry {
 public:
  bool add(Implementation impl);  // returns true, for use in a static initialiser
  const std::vector<Implementation>& all() const { return impls_; }
  // nullptr when there is none.
  const Implementation* find(WorkloadId workload, std::string_view name) const;
  // The device an implementation name runs on; nullopt for a name no implementation has.
  std::optional<DeviceKind> device_of(std::string_view name) const;
  // Every implementation name, sorted and unique.
  std::vector<std::string> names() const;

 private:
  std::vector<Implementation> impls_;
};

Registry& registry();

// An implementation of workload W by kernel template K (K<float>, K<double>).
template <class W, template <class> class K>
Implementation make_implementation(ImplementationSpec spec) {
  Implementation impl{W::id, std::move(spec)};
  impl.make_trial = [](Precision p, const Problem& problem, std::uint64_t seed,
                       int device_index) -> std::unique_ptr<Trial> {
    auto make = [&]<class T>(T*) -> std::unique_ptr<Trial> {
      std::unique_ptr<K<T>> kernel;
      if constexpr (std::is_constructible_v<K<T>, int>) {
        kernel = std::make_unique<K<T>>(device_index);
      } else {
        kernel = std::make_unique<K<T>>();
      }
      return std::make_unique<TrialOf<W, T>>(problem, seed, std::move(kernel));
    };
    switch (p) {
      case Precision::fp32:
        return make(static_cast<float*>(nullptr));
      case Precision::fp64:
        return make(static_cast<double*>(nullptr));
    }
    throw std::logic_error("unknown precision");
  };
  return impl;
}

// A registry entry for something this build cannot run, so it is listed and reported as
// unsupported (with the reason) instead of silently missing.
Implementation unavailable_implementation(WorkloadId workload, ImplementationSpec spec,
                                          std::string reason);

#define FLOPBENCH_CONCAT_INNER(a, b) a##b
#define FLOPBENCH_CONCAT(a, b) FLOPBENCH_CONCAT_INNER(a, b)
#define FLOPBENCH_REGISTER(...)                                                   \
  namespace {                                                                     \
  [[maybe_unused]] const bool FLOPBENCH_CONCAT(flopbench_registered_, __LINE__) = \
      ::flopbench::registry().add(__VA_ARGS__);                                   \
  }

}  // namespace flopbench
