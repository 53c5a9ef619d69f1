#pragma once

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>

namespace flopbench {

// An uninitialised, 64-byte aligned host array. Construction does not touch the pages, so the
// threads that fill it (parallel_fill) place them on their own NUMA node: first touch.
template <class T>
class HostBuffer {
 public:
  HostBuffer() = default;
  explicit HostBuffer(std::size_t count) : count_(count) {
    if (count == 0) return;
    // Large buffers are 2 MiB aligned and asked for transparent huge pages, so bandwidth
    // workloads are not measuring TLB misses.
    constexpr std::size_t kHuge = std::size_t{2} << 20;
    const std::size_t align = count * sizeof(T) >= kHuge ? kHuge : 64;
    const std::size_t bytes = (count * sizeof(T) + align - 1) / align * align;
    data_.reset(static_cast<T*>(std::aligned_alloc(align, bytes)));
    if (!data_) throw std::bad_alloc();
    if (align == kHuge) madvise(data_.get(), bytes, MADV_HUGEPAGE);
  }

  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  std::size_t size() const { return count_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  std::span<T> span() { return {data(), count_}; }
  std::span<const T> span() const { return {data(), count_}; }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T[], Free> data_;
  std::size_t count_ = 0;
};

// Seeded, counter-based random numbers: element i of stream s depends only on (seed, s, i), so
// inputs are identical for every implementation, thread count and schedule.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

class SeededUniform {
 public:
  SeededUniform(std::uint64_t seed, std::uint64_t stream, double lo, double hi)
      : key_(splitmix64(seed ^ splitmix64(stream))), lo_(lo), width_(hi - lo) {}
  // Uniform in [lo, hi), from the top 53 bits of the hash.
  double operator()(std::uint64_t i) const {
    return lo_ + width_ * static_cast<double>(splitmix64(key_ + i) >> 11) * 0x1.0p-53;
  }

 private:
  std::uint64_t key_;
  double lo_, width_;
};

// Fills buf[i] = static_cast<T>(gen(i)) in parallel with the static schedule the OpenMP kernels
// use, so each page is first touched by the thread that will read it.
template <class T, class Gen>
void parallel_fill(HostBuffer<T>& buf, const Gen& gen) {
  T* p = buf.data();
  const auto n = static_cast<std::int64_t>(buf.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(gen(static_cast<std::uint64_t>(i)));
}

}  // namespace flopbench
