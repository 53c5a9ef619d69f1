// STREAM triad a = x + s*y with OpenMP: the CPU's sustainable memory bandwidth, which the
// reductions are judged against.
#include <algorithm>

#include "cpu_baselines/simd.hpp"
#include "harness/core/registry.hpp"

namespace flopbench {

FLOPBENCH_VECTOR_CODE_BEGIN
namespace {

template <class T>
class OmpStream final : public StreamKernel<T> {
 public:
  void setup(const VectorInputs<T>& in) override {
    in_ = &in;
    a_ = HostBuffer<T>(static_cast<std::size_t>(in.n));
    parallel_fill(a_, [](std::uint64_t) { return T(0); });  // first touch by the owning thread
  }
  void run() override {
    const T* x = in_->x.data();
    const T* y = in_->y.data();
    const T s = in_->scalar;
    T* a = a_.data();
    const std::int64_t n = in_->n;
#pragma omp parallel for simd schedule(static)
    for (std::int64_t i = 0; i < n; ++i) a[i] = x[i] + s * y[i];
  }
  void read_a(std::span<T> out) override { std::copy_n(a_.data(), out.size(), out.data()); }

 private:
  const VectorInputs<T>* in_ = nullptr;
  HostBuffer<T> a_;
};

}  // namespace
FLOPBENCH_VECTOR_CODE_END

FLOPBENCH_REGISTER_IF(simd::this_pass_runs(),
                      make_implementation<workloads::Stream, OmpStream>(
                          {.name = "omp",
                           .device = DeviceKind::cpu,
                           .description = "hand-written OpenMP STREAM triad"}))

}  // namespace flopbench
