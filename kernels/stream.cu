// The STREAM triad a = x + s*y on the GPU: device memory bandwidth, 16-byte vector accesses in a
// grid-stride loop.

#include <cstdint>

#include "harness/core/registry.hpp"
#include "kernels/device.hpp"
#include "kernels/vec16.cuh"

namespace flopbench::cuda {
namespace {

__device__ float4 triad(const float4& x, float s, const float4& y) {
  return {fmaf(s, y.x, x.x), fmaf(s, y.y, x.y), fmaf(s, y.z, x.z), fmaf(s, y.w, x.w)};
}
__device__ double2 triad(const double2& x, double s, const double2& y) {
  return {fma(s, y.x, x.x), fma(s, y.y, x.y)};
}

template <class T>
__global__ void __launch_bounds__(kStreamingThreads)
    triad_kernel(T* __restrict__ a, const T* __restrict__ x, const T* __restrict__ y, T s,
                 std::int64_t n) {
  using Vector = typename Vec16<T>::type;
  constexpr int kLanes = Vec16<T>::lanes;
  const std::int64_t vectors = n / kLanes;
  const std::int64_t thread = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  auto* av = reinterpret_cast<Vector*>(a);
  const auto* xv = reinterpret_cast<const Vector*>(x);
  const auto* yv = reinterpret_cast<const Vector*>(y);
  for (std::int64_t i = thread; i < vectors; i += stride) av[i] = triad(xv[i], s, yv[i]);
  // The n % kLanes elements after the last whole vector.
  const std::int64_t tail = vectors * kLanes + thread;
  if (tail < n) a[tail] = fma(s, y[tail], x[tail]);
}

template <class T>
class CudaStream final : public OnDevice<StreamKernel<T>> {
 public:
  explicit CudaStream(int device)
      : OnDevice<StreamKernel<T>>(device, Cache::cold),
        blocks_(resident_blocks(device, triad_kernel<T>)) {}

  void setup(const VectorInputs<T>& in) override {
    use_device(this->device());
    n_ = in.n;
    scalar_ = in.scalar;
    x_ = DeviceBuffer<T>(in.x.span());
    y_ = DeviceBuffer<T>(in.y.span());
    a_ = DeviceBuffer<T>(static_cast<std::size_t>(n_));
    a_.poison();
  }

  void run() override {
    this->timed([&](cudaStream_t stream) {
      triad_kernel<T>
          <<<blocks_, kStreamingThreads, 0, stream>>>(a_.data(), x_.data(), y_.data(), scalar_, n_);
      FLOPBENCH_CUDA_CALL(cudaGetLastError());
    });
  }

  void read_a(std::span<T> a) override { a_.download(a); }

 private:
  int blocks_;
  std::int64_t n_ = 0;
  T scalar_ = 0;
  DeviceBuffer<T> x_, y_, a_;
};

}  // namespace

FLOPBENCH_REGISTER(make_implementation<workloads::Stream, CudaStream>(
    {.name = "cuda",
     .device = DeviceKind::gpu,
     .description = "hand-written CUDA triad: device memory bandwidth"}))

}  // namespace flopbench::cuda
