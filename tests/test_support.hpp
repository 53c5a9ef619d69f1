#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "harness/core/host_buffer.hpp"
#include "harness/core/workloads.hpp"

namespace flopbench::testing {

// Under AddressSanitizer a process's memory includes the sanitizer's shadow and quarantine, and
// its time the checks on every access: tests that bound either skip there (the other builds run
// them).
inline constexpr bool kSanitized = kAddressSanitizer;

// A new seed for every check (printed by the tests that use it, so a failure can be replayed):
// inputs are never the same twice across test runs, and never zeros.
inline std::uint64_t fresh_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) | rd();
}

// Sets an environment variable for the life of the object (children inherit it).
class ScopedEnv {
 public:
  // Sets `name` to `value`, or unsets it for nullopt.
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A directory of its own for the running test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("flopbench-" + std::string(test->test_suite_name()) + "-" + test->name() + "-" +
             std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Sizes that are not multiples of any tile or vector width, for checking every implementation
// (CPU and GPU) against the reference.
inline std::vector<Problem> odd_problems(const WorkloadInfo& w) {
  if (w.size_kind == SizeKind::matrix) {
    return {Problem::matrix(1, 1, 1), Problem::matrix(17, 17, 17), Problem::matrix(63, 65, 17),
            Problem::matrix(65, 63, 257), Problem::matrix(257, 257, 257),
            Problem::matrix(1, 300, 7), Problem::matrix(300, 1, 129),
            // Across the cache blocks of a packed GEMM: several MC blocks and KC slices, and
            // (with caches up to 64 MiB) more than one NC block.
            Problem::matrix(700, 37, 700), Problem::matrix(40, 6500, 400)};
  }
  if (w.size_kind == SizeKind::chain_steps)
    return {Problem::vector(1), Problem::vector(17), Problem::vector(1000)};
  return {Problem::vector(1),  Problem::vector(17),  Problem::vector(63),
          Problem::vector(65), Problem::vector(257), Problem::vector(100003)};
}

}  // namespace flopbench::testing
