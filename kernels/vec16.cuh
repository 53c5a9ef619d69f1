#pragma once

// 16-byte vectors, the widest load one thread can issue: four floats or two doubles.

#include <cuda_runtime.h>

namespace flopbench::cuda {

template <class T>
struct Vec16;
template <>
struct Vec16<float> {
  using type = float4;
  static constexpr int lanes = 4;
};
template <>
struct Vec16<double> {
  using type = double2;
  static constexpr int lanes = 2;
};

__device__ inline void unpack(const float4& v, float* out) {
  out[0] = v.x;
  out[1] = v.y;
  out[2] = v.z;
  out[3] = v.w;
}
__device__ inline void unpack(const double2& v, double* out) {
  out[0] = v.x;
  out[1] = v.y;
}

}  // namespace flopbench::cuda
