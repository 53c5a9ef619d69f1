#pragma once

// The vector shape this build's vector code is compiled for: the hand-written CPU kernels, and
// the clock measured under vector FMA load (clock.hpp), so that both run the same width. GCC
// vector extensions follow the build's -march: 512-bit with AVX-512, 256-bit with AVX/AVX2,
// 128-bit otherwise (SSE2, NEON).

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

}  // namespace flopbench::simd
