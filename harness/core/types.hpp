#pragma once

#include <array>
#include <charconv>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace flopbench {

// Every use of a Precision is an exhaustive switch (or goes through one of the functions
// below), so that the compiler's -Wswitch names each place a new precision must be handled.
// tf32 is FP32 storage multiplied as TF32; bf16, fp16 and fp8_e4m3 accumulate in FP32, int8 in
// INT32 (formats.hpp).
enum class Precision { fp32, fp64, tf32, bf16, fp16, fp8_e4m3, int8 };
inline constexpr std::array kPrecisions = {Precision::fp32, Precision::fp64, Precision::tf32,
                                           Precision::bf16, Precision::fp16, Precision::fp8_e4m3,
                                           Precision::int8};

enum class DeviceKind { cpu, gpu };

// The sizes and stopping rule a run uses by default. `sweep` runs gemm, sum and dot over a
// geometric grid of sizes, from tiny to large, on every device: where the GPU starts to win.
enum class Profile { quick, standard, full, sweep };

// What happened to a measurement. Every requested measurement ends with exactly one of these:
// a result is never silently missing.
enum class Disposition {
  passed,       // ran, verified, timed
  incorrect,    // ran, but the output failed verification: its timing is not reported
  failed,       // could not run to the end (exception, allocation failure, CUDA error)
  skipped,      // not run on purpose (interrupted, excluded)
  unsupported,  // this build or machine cannot run it (no GPU, built without OpenBLAS)
};

std::string_view to_string(Precision p);
std::string_view to_string(DeviceKind d);
std::string_view to_string(Disposition d);
std::string_view to_string(Profile p);
// Parse the names above; throw InputError naming the bad value and the valid ones.
Precision parse_precision(std::string_view s);
Disposition parse_disposition(std::string_view s);
Profile parse_profile(std::string_view s);

// Whether two texts are equal but for the case of ASCII letters.
bool iequal(std::string_view a, std::string_view b);

// The items of a comma-separated value (--sizes, --gpus, --workloads, OMP_NUM_THREADS), empty
// ones kept: "a,,b" is three, "" one.
std::vector<std::string_view> split_commas(std::string_view text);

// `text` without the white space (as isspace has it) at either end.
std::string_view trim_space(std::string_view text);

// "1 thread", "2 threads", "1.5 CPUs": a count and its noun, plural unless the count is one.
std::string counted(double n, std::string_view noun);
// The "s" of such a plural: for a text whose other languages do not inflect.
std::string_view plural_s(double n);

// All of `text` as a number of type T, as std::from_chars reads it (no spaces, no '+', no sign
// for an unsigned T; "nan" and "inf" for a floating-point one); nullopt otherwise.
template <class T>
std::optional<T> whole_text_as(std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "FP32", "FP64", "TF32", "BF16", "FP16", "FP8 E4M3", "INT8": how people write a precision.
std::string_view precision_label(Precision p);

// Bytes of one input element (a vector workload's element, GEMM's A and B).
std::size_t size_of(Precision p);
// Bytes of one result element (GEMM's C): the accumulator type.
std::size_t accumulator_size_of(Precision p);
// Integer arithmetic: its rate is in operations, not floating-point operations.
bool is_integer(Precision p);
// A format that matrix units (tensor cores, AMX) serve and only GEMM runs: TF32, BF16, FP16,
// FP8, INT8; reports show them as matrix throughput, dense.
bool is_matrix_precision(Precision p);
// The compute capability of the oldest GPU whose tensor cores multiply at the precision, as the
// peak model's tensor table has them: FP16 came with Volta (7.0), INT8 with Turing (7.5), TF32
// and BF16 with Ampere (8.0), FP8 with Ada and Hopper (8.9). nullopt for FP32 and FP64, which
// every GPU runs on its CUDA cores.
std::optional<std::pair<int, int>> oldest_tensor_core_gpu(Precision p);

// Where a measurement ran: the CPU, one GPU, or several GPUs at once (the machine aggregate).
// A GPU measurement with no GPU indices is GPU work recorded on a machine that has no GPU to
// run it on. In files the device is a label (label(), parse()); in memory it is this.
struct DeviceRef {
  DeviceKind kind = DeviceKind::cpu;
  std::vector<int> gpus;  // ascending order is not required: the order the user gave

  static DeviceRef cpu() { return {}; }
  static DeviceRef gpu(std::vector<int> indices) { return {DeviceKind::gpu, std::move(indices)}; }
  bool on_gpu() const { return kind == DeviceKind::gpu; }
  // GPU work that had no GPU to run on.
  bool no_gpu() const { return on_gpu() && gpus.empty(); }
  // Several GPUs at once: the machine's figure, not one GPU's.
  bool machine_aggregate() const { return gpus.size() > 1; }
  // "cpu", "gpu" (no GPU), "gpu0", "gpu0+gpu1".
  std::string label() const;
  // The inverse of label(); InputError for any other text.
  static DeviceRef parse(std::string_view label);
  bool operator==(const DeviceRef&) const = default;
};
std::ostream& operator<<(std::ostream& out, const DeviceRef& d);  // the label
// "gpu0, gpu1" with separator ", "; "gpu0+gpu1" (an aggregate's label) with "+".
std::string gpu_labels(const std::vector<int>& gpus, std::string_view separator);

// A problem size. GEMM uses m, n, k (C is m x n, the inner dimension is k); vector workloads use
// n alone (element count) and leave m and k at zero.
struct Problem {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;

  static Problem vector(std::int64_t elements) { return {0, elements, 0}; }
  static Problem matrix(std::int64_t m, std::int64_t n, std::int64_t k) { return {m, n, k}; }
  bool is_matrix() const { return m > 0; }
  // "MxNxK" for GEMM, the element count for vectors.
  std::string label() const;
  bool operator==(const Problem&) const = default;
};

// An acceptance criterion's severity (what a miss costs) and the verdict it gets.
enum class Severity { fail, warn };
enum class Verdict { pass, fail, warn };
std::string_view to_string(Severity s);  // "fail", "warn": as spec files write it
std::string_view to_string(Verdict v);   // "PASS", "FAIL", "WARN"
Severity parse_severity(std::string_view s);
Verdict parse_verdict(std::string_view s);

// A device's verdict after a burn-in (harness/measure/burn.hpp); `unsupported`: the device
// cannot run the precision asked (an FP8 matmul below compute capability 8.9), so it was not
// burned.
// unchecked: no iteration of the device was checked (still setting up, or interrupted before),
// or one alone (the first is what the others are compared with).
enum class BurnVerdict { ok, faulty, degraded, unsupported, unchecked };
// "OK", "FAULTY", "DEGRADED", "UNSUPPORTED", "UNCHECKED"
std::string_view to_string(BurnVerdict v);
BurnVerdict parse_burn_verdict(std::string_view s);

// Bad user input (command line, files): the message is one line that names what was wrong and
// what to do. main() prints it and exits with status 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The system failed flopbench, not its input: a file that cannot be written (disk full,
// read-only file system, no permission) or read back. main() prints it and exits with status 3.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace flopbench

// nvcc cannot compile fmt's headers, and device code formats nothing.
#ifndef __CUDACC__
#include <fmt/format.h>

// Devices print as their label.
template <>
struct fmt::formatter<flopbench::DeviceRef> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(const flopbench::DeviceRef& d, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(d.label(), ctx);
  }
};
#endif
