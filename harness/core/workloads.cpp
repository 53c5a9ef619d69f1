#include "harness/core/workloads.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <span>

#include "harness/core/sizes.hpp"
#include "harness/core/types.hpp"

namespace flopbench {
namespace {

double as_double(std::int64_t v) { return static_cast<double>(v); }

// Streams of the seeded generator, one per input array, so that arrays are independent.
// Stream 5 seeded beta, which is now fixed (Gemm::make_inputs); the later streams keep their
// numbers, so that a seed still gives the inputs it gave.
enum Stream : std::uint64_t {
  kA = 1,
  kB,
  kC,
  kAlpha,
  kSample = 6,
  kX,
  kY,
  kScalar,
  kPeakX0,
  kRowWeights
};

template <class T>
constexpr double epsilon() {
  return std::numeric_limits<T>::epsilon();
}

// Allowed error of a sum of terms (one element of a GEMM): kRoundingBound * eps * sum|terms|.
// Why: a sum rounds once per addition, each error at most u = eps/2 times the partial sum. Our
// inputs are zero-mean random, so partial sums stay near sqrt(l) * rms(term) and, for any
// summation order (sequential, blocked, tree, split), the total rounding error has a standard
// deviation of about u * sum|terms|, whatever the length. 8 eps = 16 u is more than ten standard
// deviations: a correct kernel never fails, while the worst-case bound (k * u * sum|terms|)
// would let TF32 rounding (u = 2^-11), lost terms and races through at large sizes. The double
// reference adds nothing measurable.
constexpr double kRoundingBound = 8;

// Tracks the worst error / allowed-error ratio over the checked values.
class ErrorTracker {
 public:
  void add(double computed, double reference, double allowed) {
    ++checked_;
    const double error = std::abs(computed - reference);
    // A NaN or infinite output is always wrong; the comparison below would let NaN through.
    const double ratio = std::isfinite(computed)
                             ? error / std::max(allowed, std::numeric_limits<double>::min())
                             : std::numeric_limits<double>::infinity();
    if (ratio > worst_ratio_ || checked_ == 1) {
      worst_ratio_ = ratio;
      worst_error_ = std::isfinite(computed) ? error : std::numeric_limits<double>::infinity();
      worst_allowed_ = allowed;
    }
  }
  void merge(const ErrorTracker& other) {
    if (other.checked_ > 0 && (checked_ == 0 || other.worst_ratio_ > worst_ratio_)) {
      worst_ratio_ = other.worst_ratio_;
      worst_error_ = other.worst_error_;
      worst_allowed_ = other.worst_allowed_;
    }
    checked_ += other.checked_;
  }
  std::int64_t checked() const { return checked_; }
  Verification result(std::string method) const {
    return {std::move(method), worst_error_, worst_allowed_, worst_ratio_,
            checked_ > 0 && worst_ratio_ <= 1.0};
  }

 private:
  std::int64_t checked_ = 0;
  double worst_ratio_ = 0, worst_error_ = 0, worst_allowed_ = 0;
};

// check(u, tracker) for every element u < n, in parallel; the trackers merged.
template <class Check>
ErrorTracker check_each(std::int64_t n, const Check& check) {
  ErrorTracker total;
#pragma omp parallel
  {
    ErrorTracker local;
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) check(static_cast<std::size_t>(i), local);
#pragma omp critical
    total.merge(local);
  }
  return total;
}

template <class T>
T seeded_scalar(std::uint64_t seed, Stream stream, double lo, double hi) {
  return static_cast<T>(SeededUniform(seed, stream, lo, hi)(0));
}

// Sorted sample of `count` indices in [0, n): 0 and n - 1, the edges of a tiled kernel, and one
// at random in each of count - 2 equal strata between, so that no stretch of a large output
// wider than two strata goes unchecked (a fault confined to one block is not left to chance).
std::vector<std::int64_t> sample_indices(std::int64_t n, std::int64_t count, std::uint64_t seed,
                                         std::uint64_t stream) {
  std::vector<std::int64_t> idx;
  if (n <= count) {
    for (std::int64_t i = 0; i < n; ++i) idx.push_back(i);
    return idx;
  }
  const std::int64_t strata = count - 2;
  const SeededUniform pick(seed, stream, 0.0, 1.0);
  idx.push_back(0);
  for (std::int64_t s = 0; s < strata; ++s) {
    const double lo = as_double(n) * as_double(s) / as_double(strata);
    const double hi = as_double(n) * as_double(s + 1) / as_double(strata);
    const auto i = static_cast<std::int64_t>(lo + (hi - lo) * pick(static_cast<std::uint64_t>(s)));
    idx.push_back(std::clamp<std::int64_t>(i, 1, n - 2));
  }
  idx.push_back(n - 1);
  std::sort(idx.begin(), idx.end());
  idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
  return idx;
}

// Inputs are generated in double and rounded into their format, so the reference sees exactly
// what the kernel multiplies. Integer inputs are whole numbers in [-128, 127]. TF32 values are
// stored as FP32 (V float, Format Tf32): rounded to TF32, they are what the tensor cores
// multiply whether they round or truncate FP32 inputs.
template <class V, class Format = V>
HostBuffer<V> seeded_inputs(std::int64_t count, std::uint64_t seed, Stream stream) {
  HostBuffer<V> buf(static_cast<std::size_t>(count));
  if constexpr (std::is_integral_v<V>) {
    const SeededUniform u(seed, stream, -128.0, 128.0);
    parallel_fill(buf, [&u](std::uint64_t i) { return std::floor(u(i)); });
  } else if constexpr (std::is_same_v<Format, Tf32>) {
    const SeededUniform u(seed, stream, -1.0, 1.0);
    parallel_fill(buf, [&u](std::uint64_t i) { return Tf32::round(u(i)); });
  } else if constexpr (std::is_arithmetic_v<V>) {
    parallel_fill(buf, SeededUniform(seed, stream, -1.0, 1.0));
  } else {
    const SeededUniform u(seed, stream, -1.0, 1.0);
    parallel_fill(buf, [&u](std::uint64_t i) { return from_double<V>(u(i)); });
  }
  return buf;
}

// How a GEMM at a precision rounds, for its tolerance (see kRoundingBound). Every input is
// stored in the format it is multiplied in (TF32 values in FP32 storage, seeded_inputs), and a
// product of two BF16, FP16, FP8 or TF32 values has at most 22 significant bits: exact in FP32.
// Only the accumulation rounds.
double gemm_accumulator_epsilon(Precision p) {
  switch (p) {
    case Precision::fp32:
      return epsilon<float>();
    case Precision::tf32:
    case Precision::bf16:
    case Precision::fp16:
      // Tensor cores accumulate in FP32 but do not round to nearest: they align each block of
      // products to the largest exponent and truncate, keeping few extra bits (Fasi et al. 2021
      // on V100, T4 and A100; Khattak and Mikaitis 2025 on H100 and B200). Truncation errors add
      // up instead of cancelling, so FP32's epsilon would fail a correct 8192-deep GEMM.
      // 2^-20 admits an FP32 sum truncated after every 8 products at K = 16384 with room, and
      // a lost block of 32 terms of K still fails.
      return std::ldexp(1.0, -20);
    case Precision::fp8_e4m3:
      // Hopper's FP8 tensor cores keep about 14 significant bits of their running sum between
      // promotions to FP32, even with fast accumulation off (DeepSeek-V3 report, section 3.3.2):
      // 2^-15 here allows 2^-12 * sum|terms|. At K = 8192 that is about a third of the mean
      // error of one lost 32-deep block of K, so lost work still fails.
      return std::ldexp(1.0, -15);
    case Precision::fp64:
      return epsilon<double>();
    case Precision::int8:
      // INT32 is exact while K < 2^17 (|sum| <= K * 2^14 < 2^31); beyond, an overflowed
      // element fails verification, as it should.
      return 0;
  }
  throw std::logic_error("unknown precision");
}

}  // namespace

// ---- gemm -------------------------------------------------------------------------------------

template <>
template <class T>
GemmInputs<T> workloads::Gemm::make_inputs(const Problem& p, std::uint64_t seed) {
  using Acc = accumulator_t<T>;
  GemmInputs<T> in;
  in.m = p.m;
  in.n = p.n;
  in.k = p.k;
  if constexpr (std::is_integral_v<Acc>) {
    // Integer GEMMs compute C = A * B exactly; scaling belongs to a later, floating-point step.
    in.alpha = 1;
    in.beta = 0;
  } else {
    // beta = -1: C alternates between C0 and alpha A B - C0, bounded however often the timed
    // loop or a burn-in applies the update, and a wrong value from one run stays in C through
    // the runs after it. A burn-in checks an iteration's last output only (of an odd number of
    // runs: burn.cpp); with 0 < beta < 1 an error would shrink by beta every run and be gone
    // from the bits a few dozen runs later.
    in.alpha = seeded_scalar<Acc>(seed, kAlpha, 0.5, 1.5);
    in.beta = -1;
  }
  in.a = seeded_inputs<input_t<T>, T>(p.m * p.k, seed, kA);
  in.b = seeded_inputs<input_t<T>, T>(p.k * p.n, seed, kB);
  in.c = seeded_inputs<Acc>(p.m * p.n, seed, kC);
  return in;
}

// Every row of a large output at once, as Freivalds checks a product: C r against
// alpha A (B r) + beta C0 r for seeded weights r of +-1. The sampled grid checks 48 rows x 48
// columns: at 8192^2 a wrong tile of 128 x 128 between them is missed about half the time, a
// wrong row or element almost always; each moves its rows' weighted sums. Each element's error
// is within the grid's bound on it, bound * s_ij (s_ij = |alpha| sum_l |A_il||B_lj| +
// |beta||C0_ij|), and the weights are drawn apart from the kernel, so by Hoeffding a correct row's
// weighted sum of errors exceeds 8 * bound * sqrt(sum_j s_ij^2) with a chance under 2e^-32; sum_j
// s_ij^2 is at most max_j s_ij * sum_j s_ij, both cheap to bound. Allowed besides: the sums' own
// rounding, at most (n + k + 2) units of their type on the magnitudes summed (long double for FP64,
// whose elements' bound is near double's own). Integer outputs, whose sums are exact in double
// below 2^52, must match exactly.
template <class T>
ErrorTracker gemm_row_sums(const GemmInputs<T>& in, std::span<const accumulator_t<T>> c,
                           double bound, std::uint64_t seed) {
  using Sum = std::conditional_t<std::is_same_v<accumulator_t<T>, double>, long double, double>;
  const auto m = static_cast<std::size_t>(in.m), n = static_cast<std::size_t>(in.n),
             k = static_cast<std::size_t>(in.k);
  const SeededUniform pick(seed, kRowWeights, 0.0, 1.0);
  std::vector<Sum> r(n);
  for (std::size_t j = 0; j < n; ++j) r[j] = pick(j) < 0.5 ? -1 : 1;
  // x = B r and w = |B| |r| (the sums of |B|'s rows), by blocks of B's rows (its columns are
  // contiguous); and the largest sum of a column of |B|.
  constexpr std::size_t kBlock = 256;
  std::vector<Sum> x(k, 0), w(k, 0);
#pragma omp parallel for schedule(dynamic)
  for (std::size_t l0 = 0; l0 < k; l0 += kBlock) {
    const std::size_t l1 = std::min(k, l0 + kBlock);
    for (std::size_t j = 0; j < n; ++j) {
      for (std::size_t l = l0; l < l1; ++l) {
        const Sum b = to_double(in.b[l + j * k]);
        x[l] += b * r[j];
        w[l] += std::abs(b);
      }
    }
  }
  double b_column_max = 0;
#pragma omp parallel for schedule(static) reduction(max : b_column_max)
  for (std::size_t j = 0; j < n; ++j) {
    double column = 0;
    for (std::size_t l = 0; l < k; ++l) column += std::abs(to_double(in.b[l + j * k]));
    b_column_max = std::max(b_column_max, column);
  }
  const double alpha = in.alpha, beta = in.beta;
  const double rounding = std::numeric_limits<Sum>::epsilon() * static_cast<double>(n + k + 2);
  // Each thread's sums over a block of rows, allocated here: a bad_alloc inside the parallel
  // region would end the process, out here it fails this measurement.
  enum RowSum : std::size_t {
    kOut,
    kBefore,
    kBeforeAbs,
    kBeforeMax,
    kOutAbs,
    kAx,
    kAbsAw,
    kAMax,
    kRowSums
  };
  const int team = omp_get_max_threads();
  std::vector<Sum> sums(static_cast<std::size_t>(team) * kRowSums * kBlock);
  ErrorTracker total;
#pragma omp parallel num_threads(team)
  {
    ErrorTracker local;
    Sum* const mine =
        sums.data() + static_cast<std::size_t>(omp_get_thread_num()) * kRowSums * kBlock;
    const auto column = [&](RowSum sum) { return mine + sum * kBlock; };
    Sum *y = column(kOut), *c0 = column(kBefore), *c0_abs = column(kBeforeAbs),
        *c0_max = column(kBeforeMax), *c_abs = column(kOutAbs), *z = column(kAx),
        *t = column(kAbsAw), *a_max = column(kAMax);
#pragma omp for schedule(dynamic)
    for (std::size_t i0 = 0; i0 < m; i0 += kBlock) {
      const std::size_t rows = std::min(m, i0 + kBlock) - i0;
      std::fill_n(mine, kRowSums * kBlock, 0);
      for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t i = 0; i < rows; ++i) {
          const Sum out = c[i0 + i + j * m], before = in.c[i0 + i + j * m];
          y[i] += out * r[j];
          c_abs[i] += std::abs(out);
          c0[i] += before * r[j];
          c0_abs[i] += std::abs(before);
          c0_max[i] = std::max(c0_max[i], std::abs(before));
        }
      }
      for (std::size_t l = 0; l < k; ++l) {
        for (std::size_t i = 0; i < rows; ++i) {
          const Sum a = to_double(in.a[i0 + i + l * m]);
          z[i] += a * x[l];
          t[i] += std::abs(a) * w[l];
          a_max[i] = std::max(a_max[i], std::abs(a));
        }
      }
      for (std::size_t i = 0; i < rows; ++i) {
        // sum_j s_ij, and the largest s_ij at most.
        const double scale =
            static_cast<double>(std::abs(alpha) * t[i] + std::abs(beta) * c0_abs[i]);
        const double largest = static_cast<double>(std::abs(alpha) * a_max[i] * b_column_max +
                                                   std::abs(beta) * c0_max[i]);
        const double magnitude = scale + static_cast<double>(c_abs[i]);
        const double allowed = bound == 0 && magnitude < 0x1p52
                                   ? 0
                                   : 8 * bound * std::sqrt(scale * largest) + rounding * magnitude;
        local.add(static_cast<double>(y[i]), static_cast<double>(alpha * z[i] + beta * c0[i]),
                  allowed);
      }
    }
#pragma omp critical
    total.merge(local);
  }
  return total;
}

// Each checked element against a double dot product of the stored inputs; see kRoundingBound
// and gemm_accumulator_epsilon for the tolerance. A large output's rows are checked whole as
// well, by their weighted sums (gemm_row_sums).
template <>
template <class T>
Verification workloads::Gemm::verify(const GemmInputs<T>& in, GemmKernel<T>& kernel,
                                     std::uint64_t seed) {
  HostBuffer<accumulator_t<T>> c(static_cast<std::size_t>(in.m * in.n));
  kernel.read_c(c.span());
  // Small outputs are checked whole; large ones on sampled rows x sampled columns (including
  // the last row and column, where tiling bugs live).
  const bool whole = in.m * in.n <= (std::int64_t{1} << 17);
  const auto rows = sample_indices(in.m, whole ? in.m : 48, seed, kSample);
  const auto cols = sample_indices(in.n, whole ? in.n : 48, seed, kSample + 100);
  const double alpha = in.alpha, beta = in.beta;
  const double bound = kRoundingBound * gemm_accumulator_epsilon(precision_of<T>());
  ErrorTracker total;
  // Each thread's copy of a row of A, allocated here: a bad_alloc inside the parallel region
  // would end the process, out here it fails this measurement (a skinny GEMM's k can be 2^30).
  // No more threads than rows, and the copies are not zeroed first: each is written before use.
  const int team = static_cast<int>(
      std::clamp<std::size_t>(rows.size(), 1, static_cast<std::size_t>(omp_get_max_threads())));
  const auto k = static_cast<std::size_t>(in.k);
  const auto a_rows = std::make_unique_for_overwrite<double[]>(static_cast<std::size_t>(team) * k);
#pragma omp parallel num_threads(team)
  {
    ErrorTracker local;
    const std::span<double> a_row(a_rows.get() + static_cast<std::size_t>(omp_get_thread_num()) * k,
                                  k);
#pragma omp for schedule(dynamic)
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const std::int64_t i = rows[r];
      for (std::int64_t l = 0; l < in.k; ++l)
        a_row[static_cast<std::size_t>(l)] =
            to_double(in.a[static_cast<std::size_t>(i + l * in.m)]);
      for (const std::int64_t j : cols) {
        const auto* b_col = in.b.data() + j * in.k;
        double dot = 0, abs_dot = 0;
        for (std::int64_t l = 0; l < in.k; ++l) {
          const double prod = a_row[static_cast<std::size_t>(l)] * to_double(b_col[l]);
          dot += prod;
          abs_dot += std::abs(prod);
        }
        const auto ij = static_cast<std::size_t>(i + j * in.m);
        const double c0 = in.c[ij];
        const double reference = alpha * dot + beta * c0;
        const double scale = std::abs(alpha) * abs_dot + std::abs(beta) * std::abs(c0);
        local.add(c[ij], reference, bound * scale);
      }
    }
#pragma omp critical
    total.merge(local);
  }
  std::string rows_whole;
  if (!whole) {
    const ErrorTracker row_sums =
        gemm_row_sums(in, std::span<const accumulator_t<T>>(c.span()), bound, seed);
    const bool rows_failed = !row_sums.result("").passed;
    total.merge(row_sums);
    rows_whole = fmt::format(
        ", and all {} rows by their sums weighted +-1 against alpha A (B r) + beta C0 r{}", in.m,
        rows_failed ? " (a row's weighted sum is off: a wrong element in that row)" : "");
  }
  return total.result(fmt::format(
      "{} of {} elements ({}){} vs double reference on the {}-rounded inputs; allowed error "
      "{}",
      total.checked() - (whole ? 0 : in.m), in.m * in.n, whole ? "all" : "sampled rows x columns",
      rows_whole, precision_label(precision_of<T>()),
      bound == 0 ? std::string("0 (exact integer accumulation)")
                 : fmt::format("8*eps_acc*(|alpha||A||B|+|beta||C|), eps_acc 2^{}",
                               std::ilogb(bound / kRoundingBound))));
}

// ---- vector workloads -------------------------------------------------------------------------

template <class T>
VectorInputs<T> make_vector_inputs(const Problem& p, std::uint64_t seed, bool need_y) {
  VectorInputs<T> in;
  in.n = p.n;
  in.scalar = seeded_scalar<T>(seed, kScalar, 0.5, 1.5);
  in.x = seeded_inputs<T>(p.n, seed, kX);
  if (need_y) in.y = seeded_inputs<T>(p.n, seed, kY);
  return in;
}

// The reductions' inputs: whole numbers from -8 to 8, never 0, in the vector's format. Their
// products are whole numbers up to 64, and every partial sum of them a whole number that a
// random walk keeps far below 2^24 (some 10^6 at 2^30 terms), exact in FP32: any summation order
// (sequential, blocked, tree, split over threads or thread blocks) gives the exact sum, and a
// lost, repeated or wrong term moves it by at least 1 at any size. Random reals could not show
// that: at 2^25 terms, FP32's rounding alone may move a correct sum by more than one term.
template <class T>
HostBuffer<T> seeded_whole_numbers(std::int64_t count, std::uint64_t seed, Stream stream) {
  HostBuffer<T> buf(static_cast<std::size_t>(count));
  const SeededUniform u(seed, stream, 0.0, 16.0);
  parallel_fill(buf, [&u](std::uint64_t i) {
    const double v = std::floor(u(i));  // 0 ... 15
    return v < 8 ? v - 8 : v - 7;       // -8 ... -1, 1 ... 8
  });
  return buf;
}

template <class T>
VectorInputs<T> make_reduction_inputs(const Problem& p, std::uint64_t seed, bool need_y) {
  VectorInputs<T> in;
  in.n = p.n;
  in.x = seeded_whole_numbers<T>(p.n, seed, kX);
  if (need_y) in.y = seeded_whole_numbers<T>(p.n, seed, kY);
  return in;
}

// A reduction of whole numbers against their exact sum (a long double holds it exactly).
// Allowed error 0.5: any kernel that sums every term once is exact (make_reduction_inputs).
template <class T, class Term>
Verification verify_reduction(std::int64_t n, T computed, const Term& term) {
  long double reference = 0;
#pragma omp parallel for reduction(+ : reference) schedule(static)
  for (std::int64_t i = 0; i < n; ++i) reference += term(i);
  ErrorTracker tracker;
  tracker.add(static_cast<double>(computed), static_cast<double>(reference), 0.5);
  return tracker.result(
      "result vs the exact sum of whole-number terms (exact in any order); allowed error 0.5");
}

template <>
template <class T>
VectorInputs<T> workloads::Sum::make_inputs(const Problem& p, std::uint64_t seed) {
  return make_reduction_inputs<T>(p, seed, false);
}
template <>
template <class T>
Verification workloads::Sum::verify(const VectorInputs<T>& in, ReductionKernel<T>& kernel,
                                    std::uint64_t) {
  const T* x = in.x.data();
  return verify_reduction<T>(in.n, kernel.result(),
                             [x](std::int64_t i) { return static_cast<long double>(x[i]); });
}

template <>
template <class T>
VectorInputs<T> workloads::Dot::make_inputs(const Problem& p, std::uint64_t seed) {
  return make_reduction_inputs<T>(p, seed, true);
}
template <>
template <class T>
Verification workloads::Dot::verify(const VectorInputs<T>& in, ReductionKernel<T>& kernel,
                                    std::uint64_t) {
  const T* x = in.x.data();
  const T* y = in.y.data();
  return verify_reduction<T>(in.n, kernel.result(), [x, y](std::int64_t i) {
    return static_cast<long double>(x[i]) * static_cast<long double>(y[i]);
  });
}

template <>
template <class T>
VectorInputs<T> workloads::Stream::make_inputs(const Problem& p, std::uint64_t seed) {
  return make_vector_inputs<T>(p, seed, true);
}
// Every element: a fused or separate multiply-add rounds at most twice, so the error is within
// eps * (|x| + |s*y|).
template <>
template <class T>
Verification workloads::Stream::verify(const VectorInputs<T>& in, StreamKernel<T>& kernel,
                                       std::uint64_t) {
  HostBuffer<T> a(static_cast<std::size_t>(in.n));
  kernel.read_a(a.span());
  const double s = in.scalar;
  const ErrorTracker total = check_each(in.n, [&](std::size_t u, ErrorTracker& tracker) {
    const double x = in.x[u], y = in.y[u];
    tracker.add(a[u], x + s * y, epsilon<T>() * (std::abs(x) + std::abs(s * y)));
  });
  return total.result(
      fmt::format("all {} elements vs double reference; allowed error eps*(|x|+|s*y|)", in.n));
}

// ---- transfer ---------------------------------------------------------------------------------

template <>
template <class T>
VectorInputs<T> workloads::Transfer::make_inputs(const Problem& p, std::uint64_t seed) {
  return make_vector_inputs<T>(p, seed, false);
}
// A copy is exact: every element must equal the source's (allowed error 0).
template <>
template <class T>
Verification workloads::Transfer::verify(const VectorInputs<T>& in, TransferKernel<T>& kernel,
                                         std::uint64_t) {
  HostBuffer<T> out(static_cast<std::size_t>(in.n));
  kernel.read_destination(out.span());
  const ErrorTracker total = check_each(
      in.n, [&](std::size_t u, ErrorTracker& tracker) { tracker.add(out[u], in.x[u], 0); });
  return total.result(fmt::format("all {} elements vs the source; allowed error 0", in.n));
}

// ---- peak -------------------------------------------------------------------------------------

template <>
template <class T>
PeakInputs<T> workloads::Peak::make_inputs(const Problem& p, std::uint64_t seed) {
  if (p.n > kMaxChainSteps) {
    throw InputError(fmt::format("peak: {} steps per chain, at most {}", p.n, kMaxChainSteps));
  }
  PeakInputs<T> in;
  in.iterations = p.n;
  // x <- 1 * x + 1 from an integer start: each step's FMA adds exactly one, so the final value
  // counts the steps taken (a contraction, which settles on its fixed point, would hide a kernel
  // that skipped most of them). The multiplier is a run-time input, so no compiler folds it.
  in.a = static_cast<T>(1);
  in.b = static_cast<T>(1);
  in.x0 = static_cast<T>(std::floor(SeededUniform(seed, kPeakX0, 1.0, 1024.0)(0)));
  return in;
}

// Every chain against x0 + steps: exact in both precisions (below 2^24), so any other value,
// a step skipped or taken twice, is wrong.
template <>
template <class T>
Verification workloads::Peak::verify(const PeakInputs<T>& in, PeakKernel<T>& kernel,
                                     std::uint64_t) {
  double reference = in.x0;
  for (std::int64_t i = 0; i < in.iterations; ++i)
    reference = reference * static_cast<double>(in.a) + static_cast<double>(in.b);
  ErrorTracker tracker;
  const auto chains = kernel.chain_values();
  for (const T x : chains) tracker.add(x, reference, 0);
  return tracker.result(fmt::format("{} chains vs x0 + steps; allowed error 0", chains.size()));
}

template <class T>
std::string gemm_repeat_fault(const GemmInputs<T>& in, GemmKernel<T>& kernel,
                              std::vector<accumulator_t<T>>& first,
                              std::vector<accumulator_t<T>>& scratch, InjectedFault inject) {
  using Acc = accumulator_t<T>;
  std::vector<Acc>& c = scratch;
  c.resize(static_cast<std::size_t>(in.m * in.n));
  kernel.read_c(c);
  if (inject != InjectedFault::none && !c.empty()) {
    Acc& x = c[std::min<std::size_t>(3, c.size() - 1)];
    if constexpr (std::is_floating_point_v<Acc>) {
      x = inject == InjectedFault::nan ? std::numeric_limits<Acc>::quiet_NaN()
                                       : std::nextafter(x, std::numeric_limits<Acc>::infinity());
    } else {
      x = x + Acc(1);
    }
  }
  const auto where = [&](std::size_t i) {
    return fmt::format("element {} (row {}, column {})", i, static_cast<std::int64_t>(i) % in.m,
                       static_cast<std::int64_t>(i) / in.m);
  };
  // The same bits as the first output, which was checked finite: one comparison of the whole
  // buffer, where element by element costs a 2048^2 FP64 burn a quarter of its time.
  if (!first.empty() && std::memcmp(c.data(), first.data(), c.size() * sizeof(Acc)) == 0) {
    return "";
  }
  if constexpr (std::is_floating_point_v<Acc>) {
    const auto bad = std::find_if(c.begin(), c.end(), [](Acc x) { return !std::isfinite(x); });
    if (bad != c.end()) {
      return fmt::format("{} is {}", where(static_cast<std::size_t>(bad - c.begin())), *bad);
    }
  }
  if (first.empty()) {
    first = c;
    return "";
  }
  // Bits, not values: a changed sign of zero is a changed result too.
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (std::memcmp(&c[i], &first[i], sizeof(Acc)) != 0) {
      // Which of the two is wrong no second run can say: the first may be the corrupt one.
      return fmt::format("{} is {} where the first iteration gave {} (one of the two is wrong)",
                         where(i), c[i], first[i]);
    }
  }
  return "";
}

#define FLOPBENCH_INSTANTIATE(W, T)                                                             \
  template workloads::W::Inputs<T> workloads::W::make_inputs<T>(const Problem&, std::uint64_t); \
  template Verification workloads::W::verify<T>(const workloads::W::Inputs<T>&,                 \
                                                workloads::W::KernelBase<T>&, std::uint64_t);
#define FLOPBENCH_INSTANTIATE_BOTH(W) \
  FLOPBENCH_INSTANTIATE(W, float) FLOPBENCH_INSTANTIATE(W, double)
#define FLOPBENCH_INSTANTIATE_GEMM(T)                                             \
  FLOPBENCH_INSTANTIATE(Gemm, T)                                                  \
  template std::string gemm_repeat_fault<T>(const GemmInputs<T>&, GemmKernel<T>&, \
                                            std::vector<accumulator_t<T>>&,       \
                                            std::vector<accumulator_t<T>>&, InjectedFault);
FLOPBENCH_INSTANTIATE_GEMM(float)
FLOPBENCH_INSTANTIATE_GEMM(double)
FLOPBENCH_INSTANTIATE_GEMM(Tf32)
FLOPBENCH_INSTANTIATE_GEMM(Bf16)
FLOPBENCH_INSTANTIATE_GEMM(Fp16)
FLOPBENCH_INSTANTIATE_GEMM(Fp8E4M3)
FLOPBENCH_INSTANTIATE_GEMM(std::int8_t)
FLOPBENCH_INSTANTIATE_BOTH(Sum)
FLOPBENCH_INSTANTIATE_BOTH(Dot)
FLOPBENCH_INSTANTIATE_BOTH(Stream)
FLOPBENCH_INSTANTIATE_BOTH(Peak)
FLOPBENCH_INSTANTIATE_BOTH(Transfer)
#undef FLOPBENCH_INSTANTIATE_GEMM
#undef FLOPBENCH_INSTANTIATE_BOTH
#undef FLOPBENCH_INSTANTIATE

}  // namespace flopbench
