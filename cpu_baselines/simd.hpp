#pragma once

// What the hand-written CPU kernels share: the vector shape (harness/machine/vector_shape.hpp),
// loads, reductions and the static split of a loop over threads.

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "harness/machine/vector_shape.hpp"

namespace flopbench::simd {

// An unaligned load.
template <class T>
Vec<T> load(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T>
T horizontal_sum(Vec<T> v) {
  T s = 0;
  for (int l = 0; l < kLanes<T>; ++l) s += v[l];
  return s;
}

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
