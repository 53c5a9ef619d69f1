#pragma once

// Golden files: outputs compared with a copy kept under tests/data/golden/.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "reports/output_files.hpp"
#include "tests/process.hpp"

namespace flopbench::testing {

inline constexpr const char* kGoldenUpdateHint =
    "; if the change is intended, rerun with FLOPBENCH_UPDATE_GOLDEN=1 and review the diff";

// With FLOPBENCH_UPDATE_GOLDEN=1, rewrites dir/name where it differs from `actual` and fails the
// test, saying so: an update run never passes a changed output, so a variable left set cannot
// hide one. Returns whether it rewrote the file.
inline bool rewrote_golden(const std::filesystem::path& dir, const std::string& name,
                           const std::string& actual) {
  const char* update = std::getenv("FLOPBENCH_UPDATE_GOLDEN");
  if (update == nullptr || std::string(update) != "1") return false;
  if (std::filesystem::exists(dir / name) && read_text(dir / name) == actual) return false;
  std::filesystem::create_directories(dir);
  write_file_atomically(dir / name, actual);
  ADD_FAILURE() << "rewrote " << (dir / name)
                << ": review the diff, then rerun without FLOPBENCH_UPDATE_GOLDEN";
  return true;
}

// Compares `actual` with the golden file dir/name, byte for byte.
inline void expect_golden(const std::filesystem::path& dir, const std::string& name,
                          const std::string& actual) {
  if (rewrote_golden(dir, name, actual)) return;
  EXPECT_EQ(read_text(dir / name), actual) << "differs from " << name << kGoldenUpdateHint;
}

}  // namespace flopbench::testing
