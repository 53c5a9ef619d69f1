// Eigen sum and dot. Eigen's reductions are vectorised but single-threaded, so each thread
// reduces its own contiguous chunk with Eigen and the partial results are added: Eigen's
// kernel on every core, as an Eigen user would write it.
#include <omp.h>

#include <Eigen/Core>

#include "cpu_baselines/eigen_common.hpp"
#include "harness/core/registry.hpp"

namespace flopbench {
namespace {

template <class T>
using ConstVector = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>, Eigen::Aligned64>;

// sum over threads of reduce(chunk begin, chunk length); chunks follow the static schedule.
template <class T, class Reduce>
T reduce_in_chunks(std::int64_t n, const Reduce& reduce) {
  T total = 0;
#pragma omp parallel reduction(+ : total)
  {
    const std::int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
    // Chunk boundaries rounded to 16 elements keep every chunk 64-byte aligned.
    const std::int64_t per = (n / threads + 15) / 16 * 16;
    const std::int64_t begin = std::min(n, t * per);
    const std::int64_t end = t == threads - 1 ? n : std::min(n, begin + per);
    if (end > begin) total += reduce(begin, end - begin);
  }
  return total;
}

template <class T>
class EigenSum final : public ReductionKernel<T> {
 public:
  void setup(const VectorInputs<T>& in) override { in_ = &in; }
  void run() override {
    const T* x = in_->x.data();
    result_ = reduce_in_chunks<T>(in_->n, [x](std::int64_t begin, std::int64_t len) {
      return ConstVector<T>(x + begin, len).sum();
    });
  }
  T result() override { return result_; }

 private:
  const VectorInputs<T>* in_ = nullptr;
  T result_ = 0;
};

template <class T>
class EigenDot final : public ReductionKernel<T> {
 public:
  void setup(const VectorInputs<T>& in) override { in_ = &in; }
  void run() override {
    const T* x = in_->x.data();
    const T* y = in_->y.data();
    result_ = reduce_in_chunks<T>(in_->n, [x, y](std::int64_t begin, std::int64_t len) {
      return ConstVector<T>(x + begin, len).dot(ConstVector<T>(y + begin, len));
    });
  }
  T result() override { return result_; }

 private:
  const VectorInputs<T>* in_ = nullptr;
  T result_ = 0;
};

const ImplementationSpec kEigenReduction{
    .name = "eigen",
    .device = DeviceKind::cpu,
    .description = "Eigen vectorised reduction on each thread's chunk",
    .library = "Eigen",
    .library_version = eigen_version()};

}  // namespace

FLOPBENCH_REGISTER(make_implementation<workloads::Sum, EigenSum>(kEigenReduction))
FLOPBENCH_REGISTER(make_implementation<workloads::Dot, EigenDot>(kEigenReduction))

}  // namespace flopbench
