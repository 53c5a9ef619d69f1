# The wide pass of the vector code (harness/machine/vector_shape.hpp): in an x86-64 GCC build for
# other machines whose -march has AVX2 and FMA but not AVX-512 (the package's x86-64-v3; not
# `native`), each vector file is compiled once more with 512-bit vectors, and the CPU's support
# picks the pass at run time. A portable build then measures an AVX-512 CPU's hand-written
# kernels, and the clock beside its FMAs, at the CPU's own width rather than half of it.
option(FLOPBENCH_VECTOR_DISPATCH
       "Compile the vector code for AVX-512 too where a portable -march has AVX2 and FMA but not AVX-512; the CPU picks at run time"
       ON)

set(FLOPBENCH_WIDE_VECTOR_PASS OFF)
# A `native` build is for the build machine, whose width it already has.
if(FLOPBENCH_VECTOR_DISPATCH AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND FLOPBENCH_CPU_ARCH
   AND NOT FLOPBENCH_CPU_ARCH MATCHES "^(native|none)$")
  include(CheckCXXSourceCompiles)
  # The wide pass adds AVX-512 alone to what the build already has, so the build must have AVX2
  # and FMA (x86-64-v3): what lies between the pass's markers is then the only code that needs
  # more than the build's own -march, and tests/vector_pass_containment.py can find all of it.
  set(_flopbench_saved_flags "${CMAKE_REQUIRED_FLAGS}")
  set(CMAKE_REQUIRED_FLAGS "${CMAKE_REQUIRED_FLAGS} -march=${FLOPBENCH_CPU_ARCH}")
  string(MAKE_C_IDENTIFIER "FLOPBENCH_ARCH_${FLOPBENCH_CPU_ARCH}_TAKES_WIDE_PASS" _flopbench_takes)
  check_cxx_source_compiles([[
#if !defined(__x86_64__) || !defined(__AVX2__) || !defined(__FMA__) || defined(__AVX512F__)
#error "no wide pass: not x86-64 with AVX2 and FMA, or AVX-512 already"
#endif
int main() { return 0; }]] ${_flopbench_takes})
  set(CMAKE_REQUIRED_FLAGS "${_flopbench_saved_flags}")
  if(${_flopbench_takes})
    set(FLOPBENCH_WIDE_VECTOR_PASS ON)
  endif()
endif()
if(FLOPBENCH_WIDE_VECTOR_PASS)
  message(STATUS "flopbench: vector code also compiled for AVX-512, chosen at run time")
endif()

# The wide pass of `target`'s vector files: the object library ${target}_wide, the same sources
# with 512-bit vectors, using `libraries` as the target does. The caller links its objects in
# with $<TARGET_OBJECTS:${target}_wide> where FLOPBENCH_WIDE_VECTOR_PASS is on.
function(flopbench_add_wide_pass target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;LIBRARIES;OPTIONS")
  if(NOT FLOPBENCH_WIDE_VECTOR_PASS)
    return()
  endif()
  add_library(${target}_wide OBJECT ${arg_SOURCES})
  target_compile_definitions(${target}_wide PRIVATE FLOPBENCH_VECTOR_BYTES=64)
  target_compile_options(${target}_wide PRIVATE ${arg_OPTIONS})
  target_link_libraries(${target}_wide PRIVATE ${arg_LIBRARIES})
endfunction()
