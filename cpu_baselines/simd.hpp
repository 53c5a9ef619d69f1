#pragma once

// What the hand-written CPU kernels share: the vector shape (harness/machine/vector_shape.hpp),
// loads, reductions and the static split of a loop over threads.

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "harness/machine/vector_shape.hpp"

namespace flopbench::simd {

inline namespace FLOPBENCH_VECTOR_PASS {

// The vector helpers are always inlined: in the wide pass they become part of the AVX-512 code
// that calls them (vector_shape.hpp), so no 512-bit vector crosses a call. GCC still warns, at
// their definitions, compiled without AVX-512, that returning one would change the ABI.
#if defined(FLOPBENCH_WIDE_PASS_OF_A_NARROWER_BUILD)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

// An unaligned load.
template <class T>
[[gnu::always_inline]] inline Vec<T> load(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T>
[[gnu::always_inline]] inline T horizontal_sum(Vec<T> v) {
  T s = 0;
  for (int l = 0; l < kLanes<T>; ++l) s += v[l];
  return s;
}

#if defined(FLOPBENCH_WIDE_PASS_OF_A_NARROWER_BUILD)
#pragma GCC diagnostic pop
#endif

}  // namespace FLOPBENCH_VECTOR_PASS

// This thread's contiguous, equal share [begin, end) of n iterations: the same split as
// OpenMP's static schedule (to within an element per thread), which parallel_fill first-touches
// with, so each thread reads the pages it placed.
struct Range {
  std::int64_t begin, end;
};
inline Range static_share(std::int64_t n) {
  const std::int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
  const std::int64_t per = (n + threads - 1) / threads;
  return {std::min(n, t * per), std::min(n, (t + 1) * per)};
}

}  // namespace flopbench::simd
