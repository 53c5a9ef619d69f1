# Build facts recorded in every results file: compiler, flags, library versions, git commit.
# The git commit is read at build time (not configure time) so it never goes stale.
string(TOUPPER "${CMAKE_BUILD_TYPE}" _flopbench_bt)
set(FLOPBENCH_CXX_FLAGS "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${_flopbench_bt}}")
if(FLOPBENCH_CPU_ARCH AND NOT FLOPBENCH_CPU_ARCH STREQUAL "none")
  string(APPEND FLOPBENCH_CXX_FLAGS " -march=${FLOPBENCH_CPU_ARCH}")
endif()
string(APPEND FLOPBENCH_CXX_FLAGS " ${OpenMP_CXX_FLAGS}")
string(STRIP "${FLOPBENCH_CXX_FLAGS}" FLOPBENCH_CXX_FLAGS)
# Then what the CPU kernels add, their 512-bit pass, and the CUDA side's flags and architectures.
string(JOIN " " _flopbench_kernel_flags ${FLOPBENCH_CPU_KERNEL_FLAGS})
string(APPEND FLOPBENCH_CXX_FLAGS "; CPU kernels: ${_flopbench_kernel_flags}")
if(FLOPBENCH_WIDE_VECTOR_PASS)
  string(APPEND FLOPBENCH_CXX_FLAGS
         "; vector code also compiled with 512-bit vectors, chosen at run time")
endif()
set(FLOPBENCH_CUDA_VERSION_STRING "")
if(FLOPBENCH_HAVE_CUDA)
  set(FLOPBENCH_CUDA_VERSION_STRING "${CMAKE_CUDA_COMPILER_VERSION}")
  string(STRIP "${CMAKE_CUDA_FLAGS} ${CMAKE_CUDA_FLAGS_${_flopbench_bt}}" _flopbench_cuda_flags)
  if(_flopbench_cuda_flags)
    string(APPEND _flopbench_cuda_flags ", ")
  endif()
  string(REPLACE ";" "," _flopbench_cuda_archs "${CMAKE_CUDA_ARCHITECTURES}")
  string(APPEND FLOPBENCH_CXX_FLAGS
         "; CUDA: ${_flopbench_cuda_flags}architectures ${_flopbench_cuda_archs}")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/build_info.cpp.in
               ${CMAKE_BINARY_DIR}/generated/build_info.cpp @ONLY)

add_custom_target(flopbench_git_commit
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR}
          -DOUTPUT=${CMAKE_BINARY_DIR}/generated/git_commit.cpp
          -P ${CMAKE_CURRENT_LIST_DIR}/GitCommit.cmake
  BYPRODUCTS ${CMAKE_BINARY_DIR}/generated/git_commit.cpp
  COMMENT "Reading the git commit")
