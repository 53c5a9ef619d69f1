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

#include "harness/core/formats.hpp"
#include "harness/core/types.hpp"
#include "harness/core/workloads.hpp"

namespace flopbench {

struct ImplementationSpec {
  std::string name;
  DeviceKind device = DeviceKind::cpu;
  std::string description;
  // What it runs; make_implementation sets it from its element types.
  std::vector<Precision> precisions = {Precision::fp32, Precision::fp64};
  std::string library;          // the library it measures, e.g. "Eigen"; "" for our own code
  std::string library_version;  // recorded in the environment
};

struct Implementation {
  WorkloadId workload;
  ImplementationSpec spec;
  // Why this build or machine cannot run it at a precision it has; "" when it can.
  std::function<std::string(Precision)> unavailable_reason = [](Precision) {
    return std::string();
  };
  // Generates the seeded inputs of `problem` and sets a kernel up on them (all untimed).
  // device_index is the GPU for device kernels and ignored by CPU kernels.
  std::function<std::unique_ptr<Trial>(Precision, const Problem&, std::uint64_t seed,
                                       int device_index)>
      make_trial;

  const std::string& name() const { return spec.name; }
  bool supports(Precision p) const;
  // Why it cannot run at p here: a precision it does not have, or unavailable_reason; "" when
  // it can.
  std::string unsupported_reason(Precision p) const;
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

// An implementation of workload W by kernel template K, instantiated for the element types Ts
// (float and double when none are given; formats.hpp names the others). Its precisions are
// those of Ts.
template <class W, template <class> class K, class... Ts>
Implementation make_implementation(ImplementationSpec spec) {
  if constexpr (sizeof...(Ts) == 0) {
    return make_implementation<W, K, float, double>(std::move(spec));
  } else {
    constexpr auto registered = []<class T>(T*) { return (std::is_same_v<T, Ts> || ...); };
    spec.precisions.clear();
    for (const Precision p : kPrecisions) {
      if (with_element_type(p, registered)) spec.precisions.push_back(p);
    }
    Implementation impl{W::id, std::move(spec)};
    impl.make_trial = [](Precision p, const Problem& problem, std::uint64_t seed,
                         int device_index) -> std::unique_ptr<Trial> {
      return with_element_type(p, [&]<class T>(T*) -> std::unique_ptr<Trial> {
        if constexpr ((std::is_same_v<T, Ts> || ...)) {
          std::unique_ptr<K<T>> kernel;
          if constexpr (std::is_constructible_v<K<T>, int>) {
            kernel = std::make_unique<K<T>>(device_index);
          } else {
            kernel = std::make_unique<K<T>>();
          }
          return std::make_unique<TrialOf<W, T>>(problem, seed, std::move(kernel));
        } else {
          throw std::logic_error("a trial at a precision the implementation does not have");
        }
      });
    };
    return impl;
  }
}

// A registry entry for something this build cannot run, so it is listed and reported as
// unsupported (with the reason) instead of silently missing.
Implementation unavailable_implementation(WorkloadId workload, ImplementationSpec spec,
                                          std::string reason);

#define FLOPBENCH_CONCAT_INNER(a, b) a##b
#define FLOPBENCH_CONCAT(a, b) FLOPBENCH_CONCAT_INNER(a, b)
#define FLOPBENCH_REGISTER(...) FLOPBENCH_REGISTER_IF(true, __VA_ARGS__)
// Registers only when `condition` holds: the pass of a vector file that this CPU runs
// (harness/machine/vector_shape.hpp), for one.
#define FLOPBENCH_REGISTER_IF(condition, ...)                                     \
  namespace {                                                                     \
  [[maybe_unused]] const bool FLOPBENCH_CONCAT(flopbench_registered_, __LINE__) = \
      (condition) && ::flopbench::registry().add(__VA_ARGS__);                    \
  }

}  // namespace flopbench
