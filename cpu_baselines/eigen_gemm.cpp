// Eigen's GEMM (its own blocked kernels, OpenMP-parallel when built with OpenMP).
#include <omp.h>

#include <Eigen/Core>
#include <algorithm>

#include "cpu_baselines/eigen_common.hpp"
#include "harness/core/registry.hpp"

namespace flopbench {
namespace {

template <class T>
class EigenGemm final : public GemmKernel<T> {
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;

 public:
  void setup(const GemmInputs<T>& in) override {
    Eigen::setNbThreads(omp_get_max_threads());
    in_ = &in;
    c_ = Eigen::Map<const Matrix>(in.c.data(), in.m, in.n);
  }
  void run() override {
    const Eigen::Map<const Matrix> a(in_->a.data(), in_->m, in_->k);
    const Eigen::Map<const Matrix> b(in_->b.data(), in_->k, in_->n);
    c_ *= in_->beta;
    c_.noalias() += in_->alpha * a * b;
  }
  void read_c(std::span<T> out) override { std::copy_n(c_.data(), out.size(), out.data()); }
  std::optional<VectorWidth> vector_width() const override {
    return VectorWidth{static_cast<int>(Eigen::internal::packet_traits<T>::size * sizeof(T) * 8),
                       "Eigen's kernels, compiled for the instruction set of this build's -march"};
  }

 private:
  const GemmInputs<T>* in_ = nullptr;
  Matrix c_;
};

}  // namespace

FLOPBENCH_REGISTER(make_implementation<workloads::Gemm, EigenGemm>(
    {.name = "eigen",
     .device = DeviceKind::cpu,
     .description = "Eigen matrix product (OpenMP threads)",
     .library = "Eigen",
     .library_version = eigen_version()}))

}  // namespace flopbench
