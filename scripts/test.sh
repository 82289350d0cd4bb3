#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test through CTest (unit tables of the packet
# core, the BPF object under BPF_PROG_TEST_RUN, control, and the namespace labs). Needs root.
#
# Twice: first in build-asan, a clang build with AddressSanitizer and UndefinedBehaviorSanitizer
# that also holds the fuzzers (a short run of each, label fuzz; docs/robustness.md), then in the
# ordinary build, whose CTest summary ends the output. The exit code is non-zero if either failed.
# ANYCASTD_SANITIZE=0 skips the sanitized pass.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/deps.sh
./scripts/build.sh

asan_rc=0
if [[ ${ANYCASTD_SANITIZE:-1} != 0 ]]; then
	CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DANYCASTD_SANITIZE=ON -DANYCASTD_FUZZ=ON
	cmake --build build-asan -j2
	# Leaks inside libraries we call (tests/lsan.supp says which and why) are not ours to fail on.
	LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0" \
		ctest --test-dir build-asan --output-on-failure "$@" || asan_rc=$?
	((asan_rc == 0)) || echo "test.sh: the sanitized build (build-asan) had failures, listed above; the ordinary build follows" >&2
fi

rc=0
ctest --test-dir build --output-on-failure "$@" || rc=$?
((rc != 0)) && exit "$rc"
exit "$asan_rc"
