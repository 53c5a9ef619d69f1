// Register-only FMA chains on every thread: the achievable compute peak of the CPU.
#include <omp.h>

#include "cpu_baselines/simd.hpp"
#include "harness/core/registry.hpp"

namespace flopbench {

FLOPBENCH_VECTOR_CODE_BEGIN
namespace {

// Independent chains per thread. Saturating the FMA pipes needs latency x pipes chains in
// flight (4 x 2 on current x86 cores); 12 leaves margin and still fits in AVX2's 16 registers.
constexpr int kChainsPerThread = 12;

template <class T>
class OmpPeak final : public PeakKernel<T> {
  using Vec = simd::Vec<T>;
  static constexpr int kLanes = simd::kLanes<T>;

 public:
  void setup(const PeakInputs<T>& in) override {
    in_ = in;
    threads_ = omp_get_max_threads();
    values_.assign(static_cast<std::size_t>(threads_ * kChainsPerThread * kLanes), T(0));
  }

  void run() override {
    const PeakInputs<T> in = in_;
    T* values = values_.data();
#pragma omp parallel num_threads(threads_)
    {
      Vec acc[kChainsPerThread];
      const Vec a = in.a - Vec{};  // broadcast
      const Vec b = in.b - Vec{};
      for (auto& v : acc) v = in.x0 - Vec{};
      for (std::int64_t it = 0; it < in.iterations; ++it) {
#pragma GCC unroll 12
        for (int c = 0; c < kChainsPerThread; ++c) acc[c] = acc[c] * a + b;
      }
      T* out = values + omp_get_thread_num() * kChainsPerThread * kLanes;
      for (int c = 0; c < kChainsPerThread; ++c) {
        for (int l = 0; l < kLanes; ++l) out[c * kLanes + l] = acc[c][l];
      }
    }
  }

  double flops_per_run() const override {
    return 2.0 * threads_ * kChainsPerThread * kLanes * static_cast<double>(in_.iterations);
  }
  std::vector<T> chain_values() override { return values_; }
  // Registered only in the pass that runs (simd::this_pass_runs).
  std::optional<VectorWidth> vector_width() const override {
    return simd::vector_dispatch().width();
  }
  std::vector<std::string> notes() const override {
    return {std::to_string(threads_) + " threads x " + std::to_string(kChainsPerThread) +
            " chains of " + std::to_string(simd::kVectorBytes * 8) + "-bit vectors"};
  }

 private:
  PeakInputs<T> in_;
  int threads_ = 1;
  std::vector<T> values_;
};

}  // namespace
FLOPBENCH_VECTOR_CODE_END

FLOPBENCH_REGISTER_IF(simd::this_pass_runs(),
                      make_implementation<workloads::Peak, OmpPeak>(
                          {.name = "omp",
                           .device = DeviceKind::cpu,
                           .description = "OpenMP + SIMD register-only FMA chains"}))

}  // namespace flopbench
