#pragma once

// What an implementation implements. Each workload has one kernel interface; an implementation
// is a class template over the element type (float, double; GEMM also the types of formats.hpp)
// deriving from it, in one file, with one registration line (see registry.hpp). The harness owns
// inputs, timing and verification.

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/core/formats.hpp"
#include "harness/core/host_buffer.hpp"

namespace flopbench {

// Where the host side of an end-to-end GPU run lives (Kernel::run_end_to_end).
enum class HostMemory { pinned, pageable };

// Thrown by a kernel's constructor or setup when the device or the problem's shape is outside
// what the implementation can run (a GPU without the precision's tensor cores, a dimension the
// library's kernels cannot align): the measurement is recorded as unsupported, with the message
// as its reason, not as failed.
class UnsupportedHere : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failed GPU call (CUDA, cuBLAS, cuBLASLt; kernels/cuda_check.hpp's CudaError). When
// context_lost(), the fault (an illegal address, an uncorrectable ECC error, a device-side
// assert, ...) has left the process's CUDA context on `device()` unusable: no further CUDA work
// can run on that GPU in this process. device() is -1 where it is not known.
class GpuError : public std::runtime_error {
 public:
  // `device`: the GPU whose context was lost, -1 when unknown.
  GpuError(const std::string& message, bool context_lost, int device = -1)
      : GpuError(message, context_lost,
                 device >= 0 ? std::vector<int>{device} : std::vector<int>{}) {}
  // The GPUs whose contexts were lost, as a machine aggregate's threads saw them.
  GpuError(const std::string& message, bool context_lost, std::vector<int> devices)
      : std::runtime_error(message), context_lost_(context_lost), devices_(std::move(devices)) {}
  bool context_lost() const noexcept { return context_lost_; }
  // Empty when unknown.
  const std::vector<int>& devices() const noexcept { return devices_; }

 private:
  bool context_lost_;
  std::vector<int> devices_;
};

// The widest vectors a CPU kernel's arithmetic runs, and what chose that width: "OpenBLAS's
// Haswell kernels, with OPENBLAS_CORETYPE=Haswell set".
struct VectorWidth {
  int bits = 0;
  std::string chosen_by;
};

// Common to every kernel.
class Kernel {
 public:
  virtual ~Kernel() = default;
  // The timed region: one complete run, blocking until its result is ready.
  virtual void run() = 0;
  // Untimed, optional, for a caller that times run() from the host: does now, and waits for,
  // what the next run() would otherwise queue ahead of its own timing (a GPU kernel's L2 flush,
  // or the hold that hides its launch), so that the host's interval around that run() holds
  // the work alone. The machine aggregate calls it on every GPU before releasing them at once.
  virtual void prepare_run() {}
  // Device kernels time run() with CUDA events and return that time here; host kernels return
  // nothing and are timed with the host's monotonic clock.
  virtual std::optional<double> device_seconds_of_last_run() const { return std::nullopt; }
  // Device kernels that have one: a run from host memory to host memory, for a caller that times
  // it with the host's clock, as an application would see it: the inputs copied to the device
  // from `memory`, the launch, the result copied back, done when it returns. The first call
  // prepares the host memory (untimed: the runner's first run is its warm-up).
  virtual bool has_end_to_end() const { return false; }
  virtual void run_end_to_end(HostMemory) { throw std::logic_error("no end-to-end run"); }
  // Facts for the result record (math mode, library choices, caveats).
  virtual std::vector<std::string> notes() const { return {}; }
  // CPU kernels that run on fewer threads than the OpenMP team (a small problem on one, as the
  // BLAS libraries do): how many, after setup. The record, its peak and the contention rule
  // count these.
  virtual std::optional<int> threads_used() const { return std::nullopt; }
  // CPU kernels that know it: their vector width. A width too narrow to reach the whole of the
  // CPU's theoretical peak caps the figure below it, and the record says so
  // (narrow_vectors_note).
  virtual std::optional<VectorWidth> vector_width() const { return std::nullopt; }
  // Whether FP64 may run on tensor cores (cuBLAS DGEMM on GPUs that have them): % of peak is
  // then judged against the tensor-core peak.
  virtual bool may_use_fp64_tensor_cores() const { return false; }
  // CPU kernels of the matrix precisions that know it: whether they ran on AMX tiles. Their peak
  // counts AMX only where they did; where the kernel cannot tell, where the CPU's flags show it.
  virtual std::optional<bool> uses_amx() const { return std::nullopt; }
};

// gemm: C = alpha * A * B + beta * C. Column-major, no padding: A is m x k (lda = m),
// B is k x n (ldb = k), C is m x n (ldc = m). A and B hold the element type's inputs, C, alpha
// and beta its accumulator type (formats.hpp): BF16 inputs make an FP32 C, INT8 an INT32 one.
template <class T>
struct GemmInputs {
  using Input = input_t<T>;
  using Accumulator = accumulator_t<T>;
  std::int64_t m = 0, n = 0, k = 0;
  Accumulator alpha = 1, beta = 0;
  HostBuffer<Input> a, b;
  HostBuffer<Accumulator> c;
};

template <class T>
class GemmKernel : public Kernel {
 public:
  // Untimed. `in` outlives the kernel; C must be copied, since run() updates it in place.
  virtual void setup(const GemmInputs<T>& in) = 0;
  // Untimed: the current C into `c` (m * n elements).
  virtual void read_c(std::span<accumulator_t<T>> c) = 0;
};

// Vector workloads. sum reads x; dot reads x and y; stream computes a = x + scalar * y.
template <class T>
struct VectorInputs {
  std::int64_t n = 0;
  T scalar = 0;
  HostBuffer<T> x, y;
};

// sum and dot.
template <class T>
class ReductionKernel : public Kernel {
 public:
  virtual void setup(const VectorInputs<T>& in) = 0;  // untimed; `in` outlives the kernel
  virtual T result() = 0;                             // untimed: the last run's result
};

// stream: the STREAM triad a = x + scalar * y.
template <class T>
class StreamKernel : public Kernel {
 public:
  virtual void setup(const VectorInputs<T>& in) = 0;  // untimed; `in` outlives the kernel
  virtual void read_a(std::span<T> a) = 0;            // untimed
};

// transfer: one copy of x between host and device memory. The direction, and whether the host
// side is pinned or pageable, belong to the implementation.
template <class T>
class TransferKernel : public Kernel {
 public:
  virtual void setup(const VectorInputs<T>& in) = 0;  // untimed; `in` outlives the kernel
  // Untimed: the destination of the last copy (read back from the device when it is there).
  virtual void read_destination(std::span<T> out) = 0;
};

// peak: independent register-resident chains x <- x * a + b, `iterations` steps each, all
// starting from x0. The kernel chooses how many chains keep its hardware busy.
template <class T>
struct PeakInputs {
  std::int64_t iterations = 0;
  T a = 0, b = 0, x0 = 0;
};

template <class T>
class PeakKernel : public Kernel {
 public:
  virtual void setup(const PeakInputs<T>& in) = 0;
  // Floating-point operations of one run (2 per fused multiply-add).
  virtual double flops_per_run() const = 0;
  // Untimed: the final value of every chain of the last run.
  virtual std::vector<T> chain_values() = 0;
};

}  // namespace flopbench
