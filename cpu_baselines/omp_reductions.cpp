// Hand-written OpenMP sum and dot: one pass, static schedule (the same pages each thread
// first-touched), SIMD partial sums. Deterministic for a given thread count.
#include "harness/registry.hpp"

namespace flopbench {
namespace {

template <class T>
class OmpSum final : public ReductionKernel<T> {
 public:
  void setup(const VectorInputs<T>& in) override { in_ = &in; }
  void run() override {
    const T* x = in_->x.data();
    const std::int64_t n = in_->n;
    T s = 0;
#pragma omp parallel for simd reduction(+ : s) schedule(static)
    for (std::int64_t i = 0; i < n; ++i) s += x[i];
    result_ = s;
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
    const std::int64_t n = in_->n;
    T s = 0;
#pragma omp parallel for simd reduction(+ : s) schedule(static)
    for (std::int64_t i = 0; i < n; ++i) s += x[i] * y[i];
    result_ = s;
  }
  T result() override { return result_; }

 private:
  const VectorInputs<T>* in_ = nullptr;
  T result_ = 0;
};

}  // namespace

FLOPBENCH_REGISTER(make_implementation<workloads::Sum, OmpSum>(
    {.name = "omp",
     .device = DeviceKind::cpu,
     .description = "hand-written OpenMP SIMD reduction"}))
FLOPBENCH_REGISTER(make_implementation<workloads::Dot, OmpDot>(
    {.name = "omp",
     .device = DeviceKind::cpu,
     .description = "hand-written OpenMP SIMD reduction"}))

}  // namespace flopbench
