// The GPU memory test (harness/machine/memtest.hpp): every step of a pass writes the tested
// memory with a pattern (harness/core/memtest_patterns.hpp) and reads it back, both on the
// device; a word that reads back wrong is counted with an atomic and the step's first
// kMemtestMaxErrors are recorded with what was written and what was read. Nothing is copied to
// the host but that record, after each step (record_bad_words keeps each word once).

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "harness/core/memtest_patterns.hpp"
#include "harness/machine/memtest.hpp"
#include "kernels/device.hpp"

namespace flopbench {
namespace {

using memtest::Step;

struct BadWord {
  std::uint64_t index;  // word index into the tested memory
  std::uint64_t expected, actual;
  memtest::Pattern pattern;
};

// Grid-stride loops over one allocation, whose first word is word `first` of the tested memory.
__global__ void fill_words(std::uint64_t* words, std::uint64_t n, std::uint64_t first, Step step) {
  const std::uint64_t stride = std::uint64_t{gridDim.x} * blockDim.x;
  for (std::uint64_t i = std::uint64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n; i += stride) {
    words[i] = memtest::expected_word(step, first + i);
  }
}

__global__ void verify_words(const std::uint64_t* words, std::uint64_t n, std::uint64_t first,
                             Step step, unsigned long long* bad_count, BadWord* bad,
                             unsigned max_bad) {
  const std::uint64_t stride = std::uint64_t{gridDim.x} * blockDim.x;
  for (std::uint64_t i = std::uint64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n; i += stride) {
    std::uint64_t expected = 0;
    const std::uint64_t actual = words[i];
    if (!memtest::word_ok(step, first + i, actual, &expected)) {
      const unsigned long long slot = atomicAdd(bad_count, 1ULL);
      if (slot < max_bad) bad[slot] = {first + i, expected, actual, step.pattern};
    }
  }
}

using Clock = std::chrono::steady_clock;

// Allocations of at most 1 GiB: one huge cudaMalloc may fail where the free memory is there
// but not in one piece. Stops at `bytes`, at the first allocation that fails, or when `stop`
// says so (an interrupt: a large GPU's memory takes seconds to allocate).
std::vector<cuda::DeviceBuffer<std::uint64_t>> allocate(std::int64_t bytes,
                                                        const std::function<bool()>& stop) {
  constexpr std::int64_t kChunk = std::int64_t{1} << 30;
  std::vector<cuda::DeviceBuffer<std::uint64_t>> chunks;
  for (std::int64_t got = 0; bytes - got >= 8 && !(stop && stop());) {
    const auto words = static_cast<std::size_t>(std::min(kChunk, bytes - got) / 8);
    try {
      chunks.emplace_back(words);
    } catch (const CudaError& e) {
      if (e.code() != cudaErrorMemoryAllocation) throw;
      // The runtime keeps the failed allocation's error until it is read: read it here, or the
      // first launch check after it would report it as the test's failure.
      static_cast<void>(cudaGetLastError());
      break;  // test what could be had
    }
    got += static_cast<std::int64_t>(words * 8);
  }
  return chunks;
}

// What a step found, into `d` (record_bad_words); the count starts again from 0 for the next
// step, so that each step records its own first bad words.
void collect_found(MemtestDevice& d, cuda::DeviceBuffer<unsigned long long>& count,
                   const cuda::DeviceBuffer<BadWord>& found) {
  std::vector<unsigned long long> n(1);
  count.download(n);
  if (n[0] == 0) return;
  std::vector<BadWord> words(found.size());
  found.download(words);
  std::vector<MemtestError> errors;
  for (std::size_t i = 0; i < std::min<std::size_t>(n[0], words.size()); ++i) {
    errors.push_back({std::string(memtest::pattern_name(words[i].pattern)),
                      static_cast<std::int64_t>(words[i].index * 8), words[i].expected,
                      words[i].actual});
  }
  record_bad_words(d, static_cast<std::int64_t>(n[0]), errors);
  count.fill(0);
}

}  // namespace

bool memtest_built() { return true; }

MemtestDevice memtest_gpu(int gpu, const MemtestSettings& settings) {
  MemtestDevice d;
  d.device = DeviceRef::gpu({gpu}).label();
  const auto start = Clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  try {
    cuda::use_device(gpu);
    // Before the test takes the memory: the stream, and the occupancy queries, which under
    // CUDA's lazy module loading load the kernels, and loading needs device memory.
    const cuda::Stream stream(gpu);
    const int fill_blocks = cuda::resident_blocks(gpu, fill_words);
    const int verify_blocks = cuda::resident_blocks(gpu, verify_words);
    cuda::DeviceBuffer<unsigned long long> count(1);
    cuda::DeviceBuffer<BadWord> found(kMemtestMaxErrors);
    count.fill(0);
    int l2 = 0;
    FLOPBENCH_CUDA_CALL(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, gpu));
    std::size_t free = 0, total = 0;
    FLOPBENCH_CUDA_CALL(cudaMemGetInfo(&free, &total));
    d.free_bytes = static_cast<std::int64_t>(free);
    // A fraction of the free memory is held to what the driver must keep; a size asked for is
    // refused beyond it (memtest_too_large).
    const std::int64_t of_free =
        std::min(static_cast<std::int64_t>(settings.fraction * static_cast<double>(free)),
                 d.free_bytes - memtest_driver_reserve(static_cast<std::int64_t>(total)));
    const std::int64_t want = settings.bytes.value_or(of_free) / 8 * 8;  // whole words
    d.bytes_asked = want;
    d.failure = memtest_too_large(want, d.free_bytes, static_cast<std::int64_t>(total));
    if (d.failure.empty()) d.failure = memtest_too_small(want, l2);
    if (!d.failure.empty()) return d;
    auto chunks = allocate(want, settings.stop);
    for (const auto& c : chunks) d.bytes_tested += static_cast<std::int64_t>(c.bytes());
    if (settings.stop && settings.stop()) {  // interrupted while allocating: no pass, said so
      d.seconds = elapsed();
      return d;
    }
    if (chunks.empty()) {
      d.failure = "could not allocate any device memory";
      return d;
    }
    // What could be had may be too little to reach past the cache.
    d.failure = memtest_too_small(d.bytes_tested, l2);
    if (!d.failure.empty()) return d;
    const auto run_step = [&](Step step) {
      std::uint64_t first = 0;
      for (const auto& c : chunks) {
        fill_words<<<fill_blocks, cuda::kStreamingThreads, 0, stream.get()>>>(c.data(), c.size(),
                                                                              first, step);
        FLOPBENCH_CUDA_CALL(cudaGetLastError());
        first += c.size();
      }
      first = 0;
      for (const auto& c : chunks) {
        verify_words<<<verify_blocks, cuda::kStreamingThreads, 0, stream.get()>>>(
            c.data(), c.size(), first, step, count.data(), found.data(), kMemtestMaxErrors);
        FLOPBENCH_CUDA_CALL(cudaGetLastError());
        first += c.size();
      }
      FLOPBENCH_CUDA_CALL(cudaStreamSynchronize(stream.get()));
      collect_found(d, count, found);
      if (settings.step_done) settings.step_done();
      const std::string name(memtest::pattern_name(step.pattern));
      if (std::find(d.patterns.begin(), d.patterns.end(), name) == d.patterns.end()) {
        d.patterns.push_back(name);
      }
    };
    // The time box starts once the memory is had: allocating a GPU's memory takes seconds.
    const auto boxed_from = Clock::now();
    const auto box_over = [&] {
      return std::chrono::duration<double>(Clock::now() - boxed_from).count() >=
             settings.duration_s;
    };
    MemtestPacer pacer;
    for (std::uint64_t pass = 0;; ++pass) {
      bool complete = true;
      memtest::for_each_step(settings.seed, pass, [&](Step step) {
        if (!complete) return;
        if ((d.passes > 0 && box_over()) || (settings.stop && settings.stop())) {
          complete = false;
          return;
        }
        run_step(step);
      });
      if (!complete) break;
      ++d.passes;
      d.seconds = elapsed();
      if (settings.progress && pacer.due(d.seconds)) settings.progress(d);
    }
  } catch (const std::exception& e) {
    d.failure = e.what();
  }
  d.seconds = elapsed();
  return d;
}

}  // namespace flopbench
