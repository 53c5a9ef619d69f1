# Packaging for machines that have no network and no toolchain. One CPack run
# (`cmake --build <dir> --target package`) makes both packages:
#   flopbench-<version>-linux-<arch>.tar.gz  relocatable: bin/flopbench finds its libraries in
#                                            ../lib through an $ORIGIN RPATH; untar anywhere.
#   flopbench_<version>_<debian arch>.deb    installs to /usr; its Depends come from the
#                                            distribution's packages (dpkg-shlibdeps).
# Both lay files out the same way: bin/, share/flopbench/specs/ (found by the executable at
# <exe dir>/../share/flopbench/specs), share/doc/flopbench/; the tarball adds lib/.
#
# Install components: `runtime` (both packages; the default component, set in the top-level
# CMakeLists.txt) and `bundled_libs` (tarball only).

option(FLOPBENCH_BUNDLE_CUBLAS
       "Put cuBLAS (over 500 MB) in the tarball, for machines without a CUDA installation" OFF)
set(FLOPBENCH_PACKAGE_MAINTAINER "flopbench maintainers" CACHE STRING
    "Maintainer field of the .deb (Name <email>)")
set(FLOPBENCH_PACKAGE_HOMEPAGE "" CACHE STRING "Homepage field of the .deb (left out when empty)")

# The bundle's libraries come first; /usr/local/cuda/lib64 is where a CUDA toolkit installed
# from NVIDIA's packages or runfile puts cuBLAS, which the tarball does not carry by default.
# BUILD_RPATH is left as CMake makes it, so the build tree runs against its own libraries.
set(_flopbench_install_rpath "$ORIGIN/../lib")
if(FLOPBENCH_HAVE_CUDA)
  list(APPEND _flopbench_install_rpath "/usr/local/cuda/lib64")
endif()
set_target_properties(flopbench PROPERTIES INSTALL_RPATH "${_flopbench_install_rpath}")
# DT_RPATH, not the linker's default DT_RUNPATH: a RUNPATH serves only the executable's own
# dependencies, while an RPATH also serves theirs (libopenblas.so.0 needs libgfortran.so.5 and
# has no search path of its own), so the bundled copies are the ones loaded. The price is that
# LD_LIBRARY_PATH cannot override a library the bundle carries.
target_link_options(flopbench PRIVATE "LINKER:--disable-new-dtags")

install(TARGETS flopbench RUNTIME DESTINATION bin COMPONENT runtime)
install(FILES README.md DESTINATION share/doc/flopbench COMPONENT runtime)
install(DIRECTORY docs/ DESTINATION share/doc/flopbench COMPONENT runtime
        FILES_MATCHING PATTERN "*.md")
# The Slurm job of a fleet qualification (docs/fleet.md), for machines with the package alone.
install(PROGRAMS scripts/fleet-slurm.sbatch DESTINATION share/flopbench COMPONENT runtime)
if(EXISTS ${PROJECT_SOURCE_DIR}/specs)
  install(DIRECTORY specs/ DESTINATION share/flopbench/specs COMPONENT runtime)
endif()

# --- The tarball's libraries -----------------------------------------------------------------
# Everything the executable loads except what every Linux system has and must provide itself:
# glibc (its parts have to match each other and the system's ld.so), the NVIDIA driver's
# libraries (they have to match the kernel module), and GCC's libstdc++ and libgcc_s, which
# every distribution installs. Bundling those two would not widen the reach: Debian 12's
# libstdc++ needs glibc 2.36 (arc4random), so the tarball would stop running on Ubuntu 22.04
# (glibc 2.35), whose own libstdc++ (GCC 12) serves flopbench as it is.
set(_flopbench_system_libs
    "^ld-linux" "^linux-vdso"
    "^lib(c|m|mvec|pthread|dl|rt|util|resolv|nsl|anl|BrokenLocale)\\.so"
    "^lib(stdc\\+\\+|gcc_s)\\.so"
    "^libcuda\\.so" "^libnvidia-")
set(_flopbench_bundle_libraries "")
if(FLOPBENCH_BUNDLE_CUBLAS)
  if(NOT TARGET CUDA::cublas OR NOT TARGET CUDA::cublasLt)
    message(FATAL_ERROR "flopbench: FLOPBENCH_BUNDLE_CUBLAS=ON needs the GPU side (nvcc on PATH) "
                        "and the CUDA toolkit's cuBLAS")
  endif()
  # Named, not only found among the executable's dependencies: a program that reports a missing
  # cuBLAS at start-up loads it with dlopen, which no dependency scan sees.
  set(_flopbench_bundle_libraries "$<TARGET_FILE:CUDA::cublas>;$<TARGET_FILE:CUDA::cublasLt>")
else()
  # Taken from the target's CUDA installation instead (see INSTALL_RPATH above).
  list(APPEND _flopbench_system_libs "^libcublas(Lt)?\\.so")
endif()
# For tests/packaging_test.sh: which libraries the bundle may take from the system.
list(JOIN _flopbench_system_libs "|" FLOPBENCH_SYSTEM_LIBS_REGEX)
set(_flopbench_lib_dirs "")
if(FLOPBENCH_HAVE_CUDA)
  list(APPEND _flopbench_lib_dirs "${CUDAToolkit_LIBRARY_DIR}")
endif()
# EXCLUDE_FROM_ALL: a plain `cmake --install` is a system install and must not put copies of
# OpenBLAS or libgomp in, say, /usr/local/lib, ahead of the system's; only the tarball asks for
# this component.
# Bracket arguments carry the regexes' backslashes into the install script unchanged.
install(CODE "set(FLOPBENCH_BUNDLE_EXECUTABLE [==[$<TARGET_FILE:flopbench>]==])
set(FLOPBENCH_BUNDLE_EXCLUDE_REGEXES [==[${_flopbench_system_libs}]==])
set(FLOPBENCH_BUNDLE_DIRECTORIES [==[${_flopbench_lib_dirs}]==])
set(FLOPBENCH_BUNDLE_LIBRARIES [==[${_flopbench_bundle_libraries}]==])
set(FLOPBENCH_BUNDLE_OBJDUMP [==[${CMAKE_OBJDUMP}]==])"
        COMPONENT bundled_libs EXCLUDE_FROM_ALL)
install(SCRIPT cmake/BundleLibraries.cmake COMPONENT bundled_libs EXCLUDE_FROM_ALL)

# --- CPack -----------------------------------------------------------------------------------
set(CPACK_PACKAGE_NAME flopbench)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "GPU-vs-CPU benchmark: measured FLOP/s and bandwidth against theoretical peak")
set(CPACK_PACKAGE_DESCRIPTION
    "flopbench measures the single- and double-precision FLOP/s and memory bandwidth that a
machine's GPUs and CPU deliver, on identical verified workloads (GEMM, reductions, STREAM
triad, FMA peak), as hand-written code and through the reference libraries, and compares
them with the hardware's theoretical peak.")
set(CPACK_PACKAGE_CONTACT "${FLOPBENCH_PACKAGE_MAINTAINER}")
string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" _flopbench_arch)
# Kept apart: include(CPack) leaves CPACK_PACKAGE_FILE_NAME set to the source package's name.
set(FLOPBENCH_PACKAGE_FILE_NAME "flopbench-${PROJECT_VERSION}-linux-${_flopbench_arch}")
set(CPACK_PACKAGE_FILE_NAME "${FLOPBENCH_PACKAGE_FILE_NAME}")
set(CPACK_VERBATIM_VARIABLES ON)

find_program(FLOPBENCH_DPKG_SHLIBDEPS dpkg-shlibdeps)
mark_as_advanced(FLOPBENCH_DPKG_SHLIBDEPS)
set(CPACK_GENERATOR TGZ)
if(FLOPBENCH_DPKG_SHLIBDEPS)
  list(APPEND CPACK_GENERATOR DEB)
else()
  # Without it CPack would make a .deb with no Depends, which installs and then cannot start.
  message(STATUS "flopbench: dpkg-shlibdeps not found; the package target makes the tarball only "
                 "(install dpkg-dev for the .deb)")
endif()

# Tarball: both components in one archive under a top directory named like the file.
set(CPACK_ARCHIVE_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL runtime bundled_libs)
set(CPACK_COMPONENT_INCLUDE_TOPLEVEL_DIRECTORY ON)

# .deb: a whole (non-component) install, which leaves out EXCLUDE_FROM_ALL's bundled_libs; CPack
# installs it under /usr.
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${FLOPBENCH_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
if(FLOPBENCH_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${FLOPBENCH_PACKAGE_HOMEPAGE}")
endif()

include(CPack)
