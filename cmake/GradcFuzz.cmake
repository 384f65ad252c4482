# GRADC_FUZZ=ON: libFuzzer targets (tests/fuzz/, docs/fuzzing.md). Clang only: libFuzzer is
# part of clang's runtime. Everything is built with coverage instrumentation for the fuzzer
# (fuzzer-no-link) and with ASan + UBSan, so a memory error or undefined behaviour anywhere in
# the pipeline is a crash the fuzzer reports; only the targets link libFuzzer's main().
option(GRADC_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)
if(GRADC_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "GRADC_FUZZ needs clang (e.g. CXX=clang++-19); this is ${CMAKE_CXX_COMPILER_ID}")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  # CMake's OpenMP probe fails with Debian's clang-19 (it looks for libomp as the runtime).
  # libomp-19-dev gives clang an omp.h; the runtime stays libgomp, which oneDNN and OpenBLAS
  # are built against, so one process never holds two OpenMP runtimes.
  find_library(GRADC_GOMP_LIBRARY gomp PATHS /usr/lib/gcc/x86_64-linux-gnu/12 REQUIRED)
  set(OpenMP_CXX_FLAGS "-fopenmp=libgomp" CACHE STRING "" FORCE)
  set(OpenMP_CXX_LIB_NAMES "gomp" CACHE STRING "" FORCE)
  set(OpenMP_gomp_LIBRARY "${GRADC_GOMP_LIBRARY}" CACHE FILEPATH "" FORCE)
endif()
