# Robustness builds (docs/robustness.md). Both are meant for a second build directory next to the
# ordinary g++ one, configured with clang:
#   CC=clang CXX=clang++ cmake -S . -B build-asan -DANYCASTD_SANITIZE=ON -DANYCASTD_FUZZ=ON
#
# ANYCASTD_SANITIZE builds every native target (daemon, anycastctl, tests, benchmarks) with
# AddressSanitizer and UndefinedBehaviorSanitizer; any finding aborts the process, so a test that
# meets one fails. The BPF objects are built by their own clang -target bpf command and are not
# affected.
#
# ANYCASTD_FUZZ adds the libFuzzer targets of tests/fuzz. libFuzzer comes with clang only, and the
# code under test must carry clang's coverage instrumentation, so the fuzzers live in the sanitized
# clang build rather than in a project of their own: one extra build directory serves both.
option(ANYCASTD_SANITIZE "build every native target with ASan and UBSan" OFF)
option(ANYCASTD_FUZZ "build the libFuzzer targets in tests/fuzz (clang, with ANYCASTD_SANITIZE)" OFF)

if(ANYCASTD_SANITIZE)
  set(AC_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_compile_options(${AC_SANITIZE_FLAGS})
  add_link_options(${AC_SANITIZE_FLAGS})
endif()

if(ANYCASTD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "ANYCASTD_FUZZ needs clang (libFuzzer): configure with CC=clang CXX=clang++")
  endif()
  if(NOT ANYCASTD_SANITIZE)
    message(FATAL_ERROR "ANYCASTD_FUZZ needs ANYCASTD_SANITIZE=ON: a fuzzer without ASan misses most bugs")
  endif()
endif()
