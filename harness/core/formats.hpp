#pragma once

// The element types of the precisions (types.hpp) and how a value is rounded into each. A GEMM's
// inputs are stored in its precision's input type and its result in the accumulator type:
// FP32 and FP64 are both; BF16, FP16 and FP8 E4M3 inputs accumulate in FP32; INT8 in INT32.
// TF32 is FP32 storage multiplied as TF32 (tensor cores), so its element is a tag.

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <type_traits>

#include "harness/core/types.hpp"

namespace flopbench {

// x rounded to nearest, ties to even, with `digits` significant bits; below 2^min_exponent the
// spacing stays that of 2^min_exponent (subnormals). Uses the default rounding mode.
inline double round_to_digits(double x, int digits, int min_exponent) {
  if (x == 0 || !std::isfinite(x)) return x;
  int e = 0;
  std::frexp(x, &e);  // |x| in [2^(e-1), 2^e)
  const int lsb = (e - 1 > min_exponent ? e - 1 : min_exponent) - (digits - 1);
  return std::ldexp(std::nearbyint(std::ldexp(x, -lsb)), lsb);
}

// A binary floating-point format of ExponentBits and MantissaBits (explicit bits), stored in
// Bits. Finite: no infinities, the top exponent holds numbers too (OCP FP8 E4M3, "FN").
template <int ExponentBits, int MantissaBits, class Bits, bool Finite>
struct SmallFloat {
  Bits bits = 0;

  static constexpr int kBias = (1 << (ExponentBits - 1)) - 1;
  static constexpr int kDigits = MantissaBits + 1;
  static constexpr int kMinExponent = 1 - kBias;
  // The largest finite value: E4M3's top exponent lacks only its all-ones mantissa (NaN).
  static double max_finite() {
    const int top = (1 << ExponentBits) - (Finite ? 1 : 2) - kBias;
    return std::ldexp(2.0 - std::ldexp(1.0, (Finite ? 1 : 0) - MantissaBits), top);
  }

  // Nearest value, ties to even. Throws for what the format cannot hold (NaN, too large).
  static SmallFloat from_double(double x) {
    const double r = round_to_digits(x, kDigits, kMinExponent);
    if (!(std::abs(r) <= max_finite())) throw std::out_of_range("value outside the format");
    const std::uint64_t sign =
        std::signbit(r) ? std::uint64_t{1} << (ExponentBits + MantissaBits) : 0;
    const double a = std::abs(r);
    int e = 0;
    std::frexp(a, &e);
    std::uint64_t exponent = 0, mantissa = 0;
    if (a == 0) {
    } else if (e - 1 >= kMinExponent) {
      exponent = static_cast<std::uint64_t>(e - 1 + kBias);
      mantissa = static_cast<std::uint64_t>(std::ldexp(a, MantissaBits - (e - 1))) -
                 (std::uint64_t{1} << MantissaBits);
    } else {
      mantissa = static_cast<std::uint64_t>(std::ldexp(a, MantissaBits - kMinExponent));
    }
    return {static_cast<Bits>(sign | exponent << MantissaBits | mantissa)};
  }

  double to_double() const {
    const auto b = static_cast<std::uint64_t>(bits);
    const auto exponent = static_cast<int>((b >> MantissaBits) & ((1u << ExponentBits) - 1));
    const std::uint64_t mantissa = b & ((std::uint64_t{1} << MantissaBits) - 1);
    const double magnitude =
        exponent == 0 ? std::ldexp(static_cast<double>(mantissa), kMinExponent - MantissaBits)
                      : std::ldexp(static_cast<double>(mantissa | std::uint64_t{1} << MantissaBits),
                                   exponent - kBias - MantissaBits);
    return (b >> (ExponentBits + MantissaBits)) & 1 ? -magnitude : magnitude;
  }
};

using Bf16 = SmallFloat<8, 7, std::uint16_t, false>;
using Fp16 = SmallFloat<5, 10, std::uint16_t, false>;
using Fp8E4M3 = SmallFloat<4, 3, std::uint8_t, true>;

// TF32: 8 exponent bits and 10 explicit mantissa bits, held in an FP32.
struct Tf32 {
  static constexpr int kDigits = 11;
  static float round(double x) { return static_cast<float>(round_to_digits(x, kDigits, -126)); }
};

// What a GEMM of element type T reads (Input) and accumulates and writes (Accumulator).
template <class T>
struct ElementTraits {
  using Input = T;
  using Accumulator = T;  // float, double
};
template <>
struct ElementTraits<Tf32> {
  using Input = float;
  using Accumulator = float;
};
template <int E, int M, class B, bool F>
struct ElementTraits<SmallFloat<E, M, B, F>> {
  using Input = SmallFloat<E, M, B, F>;
  using Accumulator = float;
};
template <>
struct ElementTraits<std::int8_t> {
  using Input = std::int8_t;
  using Accumulator = std::int32_t;
};

template <class T>
using input_t = typename ElementTraits<T>::Input;
template <class T>
using accumulator_t = typename ElementTraits<T>::Accumulator;

// The value of a stored element.
template <class V>
double to_double(V v) {
  if constexpr (std::is_arithmetic_v<V>) {
    return static_cast<double>(v);
  } else {
    return v.to_double();
  }
}

// x rounded into V (the inputs are generated in double, then stored in their format).
template <class V>
V from_double(double x) {
  if constexpr (std::is_arithmetic_v<V>) {
    return static_cast<V>(x);
  } else {
    return V::from_double(x);
  }
}

// Calls f(static_cast<T*>(nullptr)) with the element type T of precision p, and returns its result.
template <class F>
decltype(auto) with_element_type(Precision p, F&& f) {
  switch (p) {
    case Precision::fp32:
      return f(static_cast<float*>(nullptr));
    case Precision::fp64:
      return f(static_cast<double*>(nullptr));
    case Precision::tf32:
      return f(static_cast<Tf32*>(nullptr));
    case Precision::bf16:
      return f(static_cast<Bf16*>(nullptr));
    case Precision::fp16:
      return f(static_cast<Fp16*>(nullptr));
    case Precision::fp8_e4m3:
      return f(static_cast<Fp8E4M3*>(nullptr));
    case Precision::int8:
      return f(static_cast<std::int8_t*>(nullptr));
  }
  throw std::logic_error("unknown precision");
}

// The precision whose element type is T.
template <class T>
Precision precision_of() {
  for (const Precision p : kPrecisions) {
    if (with_element_type(p, []<class U>(U*) { return std::is_same_v<U, T>; })) return p;
  }
  throw std::logic_error("no precision has this element type");
}

}  // namespace flopbench
