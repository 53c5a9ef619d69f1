#pragma once

// Facts about this build, filled in by CMake (cmake/build_info.cpp.in, cmake/GitCommit.cmake).
namespace flopbench::build {
extern const char* const version;
extern const char* const git_commit;
extern const char* const build_type;
extern const char* const cxx_compiler;
extern const char* const cxx_flags;
extern const char* const cuda_compiler_version;  // empty in a CPU-only build
extern const char* const google_benchmark_version;
}  // namespace flopbench::build
