// Hand-written OpenMP sum and dot: one pass over each thread's share of the pages it
// first-touched, with four independent vector accumulators so that the additions pipeline
// instead of waiting on one another (one accumulator is latency-bound near memory speed).
// Each thread's partial sum is the same from run to run for a given thread count; OpenMP adds
// the partials in no set order, so the total may differ between runs in its last bits.
#include "cpu_baselines/simd.hpp"
#include "harness/core/registry.hpp"

namespace flopbench {

FLOPBENCH_VECTOR_CODE_BEGIN
namespace {

constexpr int kAccumulators = 4;

// Sum over i in [0, n) of term(i), where vector_term(i) gives terms i .. i + lanes - 1.
template <class T, class VectorTerm, class ScalarTerm>
T parallel_sum(std::int64_t n, const VectorTerm& vector_term, const ScalarTerm& scalar_term) {
  constexpr int L = simd::kLanes<T>;
  T total = 0;
#pragma omp parallel reduction(+ : total)
  {
    const auto [begin, end] = simd::static_share(n);
    simd::Vec<T> acc[kAccumulators] = {};
    std::int64_t i = begin;
    for (; i + kAccumulators * L <= end; i += kAccumulators * L) {
#pragma GCC unroll 4
      for (int a = 0; a < kAccumulators; ++a) acc[a] += vector_term(i + a * L);
    }
    T partial = simd::horizontal_sum<T>((acc[0] + acc[1]) + (acc[2] + acc[3]));
    for (; i < end; ++i) partial += scalar_term(i);
    total += partial;
  }
  return total;
}

template <class T>
class OmpSum final : public ReductionKernel<T> {
 public:
  void setup(const VectorInputs<T>& in) override { in_ = &in; }
  void run() override {
    const T* x = in_->x.data();
    result_ = parallel_sum<T>(
        in_->n, [x](std::int64_t i) { return simd::load(x + i); },
        [x](std::int64_t i) { return x[i]; });
  }
  T result() override { return result_; }

 private:
  const VectorInputs<T>* in_ = nullptr;
  T result_ = 0;
};

template <class T>
class OmpDot final : public ReductionKernel<T> {
 public:
  void setup(const VectorInputs<T>& in) override { in_ = &in; }
  void run() override {
    const T* x = in_->x.data();
    const T* y = in_->y.data();
    result_ = parallel_sum<T>(
        in_->n, [x, y](std::int64_t i) { return simd::load(x + i) * simd::load(y + i); },
        [x, y](std::int64_t i) { return x[i] * y[i]; });
  }
  T result() override { return result_; }

 private:
  const VectorInputs<T>* in_ = nullptr;
  T result_ = 0;
};

}  // namespace
FLOPBENCH_VECTOR_CODE_END

FLOPBENCH_REGISTER_IF(simd::this_pass_runs(),
                      make_implementation<workloads::Sum, OmpSum>(
                          {.name = "omp",
                           .device = DeviceKind::cpu,
                           .description = "hand-written OpenMP SIMD reduction, 4 accumulators"}))
FLOPBENCH_REGISTER_IF(simd::this_pass_runs(),
                      make_implementation<workloads::Dot, OmpDot>(
                          {.name = "omp",
                           .device = DeviceKind::cpu,
                           .description = "hand-written OpenMP SIMD reduction, 4 accumulators"}))

}  // namespace flopbench
