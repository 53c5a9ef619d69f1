#pragma once

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>

namespace flopbench {

// Built with AddressSanitizer (GCC says so with __SANITIZE_ADDRESS__, clang before 21 only with
// __has_feature).
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

// An uninitialised, 64-byte aligned host array. Construction does not touch the pages, so the
// threads that fill it (parallel_fill) place them on their own NUMA node: first touch. A large
// one (2 MiB or more) is mapped afresh from the kernel, 2 MiB aligned and asked for transparent
// huge pages (bandwidth workloads must not measure TLB misses): glibc's malloc serves requests of
// up to 32 MiB from pages an earlier buffer touched, once a freed buffer raised its mmap
// threshold, and those pages stay on whichever node touched them first. Under AddressSanitizer,
// malloc's, for its bounds checks.
template <class T>
class HostBuffer {
 public:
  HostBuffer() = default;
  explicit HostBuffer(std::size_t count) : count_(count) {
    if (count == 0) return;
    if (count > (SIZE_MAX - 2 * kHuge) / sizeof(T)) throw std::bad_alloc();
    const std::size_t bytes = count * sizeof(T);
    if (!kAddressSanitizer && bytes >= kHuge) {
      const std::size_t length = round_up(bytes, kHuge);
      data_ = {static_cast<T*>(map_fresh(length)), Release{length}};
      return;
    }
    data_.reset(static_cast<T*>(std::aligned_alloc(64, round_up(bytes, 64))));
    if (!data_) throw std::bad_alloc();
  }

  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  std::size_t size() const { return count_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  std::span<T> span() { return {data(), count_}; }
  std::span<const T> span() const { return {data(), count_}; }

 private:
  static constexpr std::size_t kHuge = std::size_t{2} << 20;
  static std::size_t round_up(std::size_t bytes, std::size_t to) {
    return (bytes + to - 1) / to * to;
  }
  // `length` bytes (a multiple of kHuge) of pages no one has touched, kHuge aligned.
  static void* map_fresh(std::size_t length) {
    void* raw =
        mmap(nullptr, length + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto base = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = round_up(base, kHuge);
    if (aligned > base) munmap(raw, aligned - base);
    munmap(reinterpret_cast<void*>(aligned + length), base + kHuge - aligned);
    madvise(reinterpret_cast<void*>(aligned), length, MADV_HUGEPAGE);
    return reinterpret_cast<void*>(aligned);
  }
  struct Release {
    std::size_t mapped = 0;  // the mapping's length; 0 for malloc's
    void operator()(T* p) const {
      if (mapped > 0) {
        munmap(p, mapped);
      } else {
        std::free(p);
      }
    }
  };
  std::unique_ptr<T[], Release> data_;
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
