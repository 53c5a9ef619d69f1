#pragma once

#include <cstdint>
#include <random>

namespace flopbench::testing {

// A new seed for every check (printed by the tests that use it, so a failure can be replayed):
// inputs are never the same twice across test runs, and never zeros.
inline std::uint64_t fresh_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) | rd();
}

}  // namespace flopbench::testing
