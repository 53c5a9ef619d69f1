#pragma once

// The vector shape the hand-written CPU kernels are compiled for. They use GCC vector
// extensions, so one source serves every target: the width follows the build's -march
// (512-bit with AVX-512, 256-bit with AVX/AVX2, 128-bit otherwise: SSE2, NEON).

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace flopbench::simd {

#if defined(__AVX512F__)
inline constexpr int kVectorBytes = 64;
inline constexpr int kVectorRegisters = 32;
#elif defined(__AVX__)
inline constexpr int kVectorBytes = 32;
inline constexpr int kVectorRegisters = 16;
#else
inline constexpr int kVectorBytes = 16;
inline constexpr int kVectorRegisters = 16;
#endif

template <class T>
using Vec [[gnu::vector_size(kVectorBytes)]] = T;

template <class T>
inline constexpr int kLanes = kVectorBytes / static_cast<int>(sizeof(T));

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
