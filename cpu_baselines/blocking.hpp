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

// How many elements of a packed block fit the cache share it is given, and the deepest KC slice.
struct BlockBudget {
  std::int64_t kc_bound;    // K slice: the B micro-panel (KC x NR) in half of L1
  std::int64_t a_elements;  // packed A block (MC x KC): half of L2
  std::int64_t b_elements;  // packed B block (KC x NC): half of one thread's share of L3
};

struct GemmCuts {
  Cuts m, k, n;
};

// An m x n x k product's blocks for `threads` threads sharing the MC loop. K is cut first, and
// MC and NC are bounded for the slice actually cut, not for KC's bound: equal slices may be
// shallower (1024 under a bound of 336 gives 256) and leave room for taller and wider blocks,
// where bounds for 336 had cut N = 1024 in two and packed all of A twice. The MC loop gets a
// multiple of the thread count of blocks. B's block may outgrow its share by a quarter: 1024
// columns under a bound of 1020 would otherwise take two blocks.
inline GemmCuts cut_gemm(std::int64_t m, std::int64_t n, std::int64_t k, const BlockBudget& budget,
                         std::int64_t mr, std::int64_t nr, int threads) {
  const Cuts k_cuts = cut(k, budget.kc_bound, 1, 1);
  const std::int64_t kc = k_cuts.widest();
  const std::int64_t nc = budget.b_elements / kc;
  return {cut(m, budget.a_elements / kc, mr, threads), k_cuts, cut(n, nc + nc / 4, nr, 1)};
}

}  // namespace flopbench
