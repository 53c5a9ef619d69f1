#pragma once

// The vector shape of the hand-written CPU kernels and of the clock measured under vector FMA
// load (clock.hpp), so that both run the same width.
//
// A vector file is compiled once at the build's own width (its -march: 512-bit with AVX-512,
// 256-bit with AVX/AVX2, 128-bit otherwise) and, in a GCC build for other machines whose -march
// has AVX2 and FMA but not AVX-512 (the package's x86-64-v3), once more at 512 bits: the wide pass
// (cmake/VectorPasses.cmake), compiled with FLOPBENCH_VECTOR_BYTES=64. At run time one pass
// runs, the widest the CPU has (dispatched_vector_bytes()), so a portable build measures an
// AVX-512 CPU at its own width.
//
// In the wide pass only the code between FLOPBENCH_VECTOR_CODE_BEGIN and _END (at namespace
// scope in namespace flopbench) is compiled for AVX-512. What is included above it (the standard
// library, flopbench's headers) stays at the build's baseline: the linker keeps one copy of each
// inline function and template instantiation that several files share, and that copy must run on
// every CPU. Code between the markers must therefore not define objects with dynamic
// initialisers (static initialisers run on every CPU), and its names must be its pass's own.
// tests/vector_pass_containment.py checks the executable for AVX-512 code outside them.

#include <string>

#include "harness/core/kernel.hpp"

#if !defined(FLOPBENCH_VECTOR_BYTES)
#if defined(__AVX512F__)
#define FLOPBENCH_VECTOR_BYTES 64
#elif defined(__AVX__)
#define FLOPBENCH_VECTOR_BYTES 32
#else
#define FLOPBENCH_VECTOR_BYTES 16
#endif
#endif

#if FLOPBENCH_VECTOR_BYTES == 64 && !defined(__AVX512F__)
#if !defined(__GNUC__) || defined(__clang__) || !defined(__AVX2__) || !defined(__FMA__)
#error "the 512-bit pass needs GCC and a build for AVX2 and FMA (cmake/VectorPasses.cmake)"
#endif
#define FLOPBENCH_WIDE_PASS_OF_A_NARROWER_BUILD
// x86-64-v4's additions to v3, the set every AVX-512 CPU has.
// _Pragma takes one string literal, which clang-format would split.
// clang-format off
#define FLOPBENCH_VECTOR_TARGET_BEGIN \
  _Pragma("GCC push_options") \
  _Pragma("GCC target(\"avx512f,avx512cd,avx512bw,avx512dq,avx512vl\")")
// clang-format on
#define FLOPBENCH_VECTOR_TARGET_END _Pragma("GCC pop_options")
#else
#define FLOPBENCH_VECTOR_TARGET_BEGIN
#define FLOPBENCH_VECTOR_TARGET_END
#endif

#define FLOPBENCH_VECTOR_PASS_NAME_INNER(n) bytes##n
#define FLOPBENCH_VECTOR_PASS_NAME(n) FLOPBENCH_VECTOR_PASS_NAME_INNER(n)
// The namespace of this file's pass: bytes32, bytes64, ...
#define FLOPBENCH_VECTOR_PASS FLOPBENCH_VECTOR_PASS_NAME(FLOPBENCH_VECTOR_BYTES)

// The markers around a vector file's code: its pass's instruction set, and an inline namespace
// of the pass's name. The namespace matters even for code in an anonymous namespace: GCC 12 gives
// a function template instantiated on a class template of an anonymous namespace
// (make_implementation<workloads::Peak, OmpPeak>) a weak external name, the same in every file,
// and the linker then kept one pass's registration code for both passes.
#define FLOPBENCH_VECTOR_CODE_BEGIN \
  FLOPBENCH_VECTOR_TARGET_BEGIN inline namespace FLOPBENCH_VECTOR_PASS {
#define FLOPBENCH_VECTOR_CODE_END \
  }                               \
  FLOPBENCH_VECTOR_TARGET_END

namespace flopbench::simd {

// Each pass's names are its own (simd::bytes32::Vec, simd::bytes64::Vec, ...), so two passes of
// one file never define the same inline function differently.
inline namespace FLOPBENCH_VECTOR_PASS {

inline constexpr int kVectorBytes = FLOPBENCH_VECTOR_BYTES;
inline constexpr int kVectorRegisters = kVectorBytes == 64 ? 32 : 16;

template <class T>
using Vec [[gnu::vector_size(kVectorBytes)]] = T;

template <class T>
inline constexpr int kLanes = kVectorBytes / static_cast<int>(sizeof(T));

}  // namespace FLOPBENCH_VECTOR_PASS

// Which pass runs: the widest this build has that the CPU executes, no wider than
// FLOPBENCH_MAX_VECTOR_BITS allows (vector_dispatch.cpp).
struct VectorDispatch {
  int build_bytes = 0;        // the build's own width
  int widest_bytes = 0;       // the widest pass this build has
  bool cpu_has_wide = false;  // whether the CPU runs the widest pass
  int bytes = 0;              // the pass that runs
  std::string cap_error;      // why FLOPBENCH_MAX_VECTOR_BITS cannot be obeyed; "" when it can

  // The pass that runs and what chose it: the hand-written kernels' Kernel::vector_width.
  VectorWidth width() const;
};
const VectorDispatch& vector_dispatch();
// InputError where FLOPBENCH_MAX_VECTOR_BITS cannot be obeyed (cap_error): refused by every
// command that runs or lists the vector kernels.
void refuse_a_vector_cap_it_cannot_obey();
inline int dispatched_vector_bytes() { return vector_dispatch().bytes; }

// The choice itself, for the tests: `cap` is FLOPBENCH_MAX_VECTOR_BITS (nullptr when unset).
VectorDispatch choose_vector_pass(int build_bytes, int widest_bytes, bool cpu_has_wide,
                                  const char* cap);

// Whether the file being compiled is the pass that runs: its implementations register only then.
inline namespace FLOPBENCH_VECTOR_PASS {
inline bool this_pass_runs() { return dispatched_vector_bytes() == kVectorBytes; }
}  // namespace FLOPBENCH_VECTOR_PASS

}  // namespace flopbench::simd
