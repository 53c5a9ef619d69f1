// OpenBLAS SGEMM/DGEMM: the best CPU library line of a GPU-vs-CPU comparison.
#include <algorithm>
#include <limits>
#include <stdexcept>

#include "cpu_baselines/openblas_common.hpp"

namespace flopbench {
#if FLOPBENCH_HAVE_OPENBLAS
namespace {

template <class T>
class OpenBlasGemm final : public GemmKernel<T> {
 public:
  void setup(const GemmInputs<T>& in) override {
    if (std::max({in.m, in.n, in.k}) > std::numeric_limits<blasint>::max()) {
      throw std::invalid_argument("OpenBLAS takes 32-bit dimensions");
    }
    use_openmp_thread_count();
    in_ = &in;
    c_ = HostBuffer<T>(in.c.size());
    std::copy_n(in.c.data(), in.c.size(), c_.data());
  }
  void run() override {
    const auto m = static_cast<blasint>(in_->m), n = static_cast<blasint>(in_->n),
               k = static_cast<blasint>(in_->k);
    if constexpr (std::is_same_v<T, float>) {
      cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, m, n, k, in_->alpha, in_->a.data(), m,
                  in_->b.data(), k, in_->beta, c_.data(), m);
    } else {
      cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, m, n, k, in_->alpha, in_->a.data(), m,
                  in_->b.data(), k, in_->beta, c_.data(), m);
    }
  }
  void read_c(std::span<T> out) override { std::copy_n(c_.data(), out.size(), out.data()); }
  std::vector<std::string> notes() const override { return openblas_notes(); }
  std::optional<VectorWidth> vector_width() const override { return openblas_vector_width(); }

 private:
  const GemmInputs<T>* in_ = nullptr;
  HostBuffer<T> c_;
};

}  // namespace

FLOPBENCH_REGISTER(
    openblas_implementation<workloads::Gemm, OpenBlasGemm>("OpenBLAS cblas_sgemm / cblas_dgemm"))
#else
FLOPBENCH_REGISTER(unavailable_implementation(WorkloadId::gemm,
                                              openblas_spec("OpenBLAS cblas_sgemm / cblas_dgemm"),
                                              kNoOpenBlas))
#endif
}  // namespace flopbench
