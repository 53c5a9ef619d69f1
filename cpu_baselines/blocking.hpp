// How the packed OpenMP GEMM (omp_gemm.cpp) cuts each dimension into cache blocks.
#pragma once

#include <algorithm>
#include <cstdint>

namespace flopbench {

// An extent cut into `count` blocks of nearly equal width: block b is [start(b), start(b + 1)),
// and every start is a multiple of `multiple` (the register tile's side, so that only the last
// block ends in a partial tile). Widths differ by less than two `multiple`s (the last also holds
// the remainder of the extent over `multiple`). Equal blocks rather than full ones and a ragged
// last: a thin block costs a whole pass of packing for almost no work (1024 columns in blocks
// of 1020 had left one of 4, which packed all of A again).
struct Cuts {
  std::int64_t extent = 0;
  std::int64_t count = 1;
  std::int64_t multiple = 1;

  std::int64_t start(std::int64_t block) const {
    return block >= count ? extent : block * extent / count / multiple * multiple;
  }
  std::int64_t width(std::int64_t block) const { return start(block + 1) - start(block); }
  std::int64_t widest() const {
    std::int64_t w = 0;
    for (std::int64_t b = 0; b < count; ++b) w = std::max(w, width(b));
    return w;
  }
  // The widest block rounded up to whole tiles: what its packed copy holds (the last tile is
  // zero-padded).
  std::int64_t packed_width() const { return (widest() + multiple - 1) / multiple * multiple; }
};

// As few blocks as keep each within `bound` (rounded down to a multiple of `multiple`; a block
// may exceed it by less than one `multiple`), their count a multiple of `parts` (the threads
// that share the blocks out).
inline Cuts cut(std::int64_t extent, std::int64_t bound, std::int64_t multiple,
                std::int64_t parts) {
  const auto ceil_div = [](std::int64_t a, std::int64_t b) { return (a + b - 1) / b; };
  const std::int64_t whole_bound = std::max(multiple, bound / multiple * multiple);
  return {extent, parts * ceil_div(ceil_div(extent, parts), whole_bound), multiple};
}

}  // namespace flopbench
