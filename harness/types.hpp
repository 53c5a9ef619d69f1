#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace flopbench {

enum class Precision { fp32, fp64 };
enum class DeviceKind { cpu, gpu };

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
// Parse the names above; throw InputError naming the bad value and the valid ones.
Precision parse_precision(std::string_view s);
Disposition parse_disposition(std::string_view s);

inline std::size_t size_of(Precision p) { return p == Precision::fp32 ? 4 : 8; }

template <class T>
constexpr Precision precision_of() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  return std::is_same_v<T, float> ? Precision::fp32 : Precision::fp64;
}

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

// Bad user input (command line, files): the message is one line that names what was wrong and
// what to do. main() prints it and exits with status 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace flopbench
