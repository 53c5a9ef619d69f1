// OpenBLAS SDOT/DDOT.
#include <limits>
#include <stdexcept>

#include "cpu_baselines/openblas_common.hpp"

namespace flopbench {
#if FLOPBENCH_HAVE_OPENBLAS
namespace {

template <class T>
class OpenBlasDot final : public ReductionKernel<T> {
 public:
  void setup(const VectorInputs<T>& in) override {
    if (in.n > std::numeric_limits<blasint>::max()) {
      throw std::invalid_argument("OpenBLAS takes 32-bit lengths");
    }
    use_openmp_thread_count();
    in_ = &in;
  }
  void run() override {
    const auto n = static_cast<blasint>(in_->n);
    if constexpr (std::is_same_v<T, float>) {
      result_ = cblas_sdot(n, in_->x.data(), 1, in_->y.data(), 1);
    } else {
      result_ = cblas_ddot(n, in_->x.data(), 1, in_->y.data(), 1);
    }
  }
  T result() override { return result_; }
  std::vector<std::string> notes() const override { return openblas_notes(); }
  std::optional<VectorWidth> vector_width() const override { return openblas_vector_width(); }

 private:
  const VectorInputs<T>* in_ = nullptr;
  T result_ = 0;
};

}  // namespace

FLOPBENCH_REGISTER(
    openblas_implementation<workloads::Dot, OpenBlasDot>("OpenBLAS cblas_sdot / cblas_ddot"))
#else
FLOPBENCH_REGISTER(unavailable_implementation(WorkloadId::dot,
                                              openblas_spec("OpenBLAS cblas_sdot / cblas_ddot"),
                                              kNoOpenBlas))
#endif
}  // namespace flopbench
