// Which pass of the vector code runs on this CPU (vector_shape.hpp).
#include <fmt/format.h>

#include <cstdlib>

#include "harness/core/types.hpp"
#include "harness/machine/vector_shape.hpp"

namespace flopbench::simd {
namespace {

#if defined(FLOPBENCH_WIDE_VECTOR_PASS)
static_assert(kVectorBytes < 64, "a wide pass is built only below 512 bits");
constexpr int kWidestBytes = 64;

// The instruction sets the wide pass is compiled for (FLOPBENCH_VECTOR_CODE_BEGIN). GCC's
// answers include the operating system's consent (XCR0 saves the 512-bit state).
bool cpu_runs_wide_pass() {
  __builtin_cpu_init();  // what GCC asks of code that may run before constructors; harmless
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
}
#else
constexpr int kWidestBytes = kVectorBytes;
bool cpu_runs_wide_pass() { return true; }  // the build's own width: the CPU runs it
#endif

}  // namespace

VectorDispatch choose_vector_pass(int build_bytes, int widest_bytes, bool cpu_has_wide,
                                  const char* cap) {
  VectorDispatch d{.build_bytes = build_bytes,
                   .widest_bytes = widest_bytes,
                   .cpu_has_wide = cpu_has_wide,
                   .bytes = cpu_has_wide ? widest_bytes : build_bytes};
  if (!cap) return d;
  const auto bits = whole_text_as<int>(cap);
  if (!bits || *bits < build_bytes * 8) {
    d.cap_error = fmt::format(
        "FLOPBENCH_MAX_VECTOR_BITS={}: expected a number of bits of at least {}, the width this "
        "build's vector code is compiled for",
        cap, build_bytes * 8);
  } else if (*bits < d.bytes * 8) {
    d.bytes = build_bytes;
  }
  return d;
}

VectorWidth VectorDispatch::width() const {
  const std::string pass = fmt::format("the hand-written kernels' {}-bit pass", bytes * 8);
  if (bytes < widest_bytes && cpu_has_wide) {
    return {bytes * 8, pass + ", which FLOPBENCH_MAX_VECTOR_BITS chose over the build's widest"};
  }
  return {bytes * 8,
          pass + (bytes == widest_bytes ? ", the widest this build has"
                                        : ", the widest of this build's that the CPU runs")};
}

const VectorDispatch& vector_dispatch() {
  static const VectorDispatch dispatch = choose_vector_pass(
      kVectorBytes, kWidestBytes, cpu_runs_wide_pass(), std::getenv("FLOPBENCH_MAX_VECTOR_BITS"));
  return dispatch;
}

void refuse_a_vector_cap_it_cannot_obey() {
  if (const std::string& error = vector_dispatch().cap_error; !error.empty()) {
    throw InputError(error);
  }
}

}  // namespace flopbench::simd
