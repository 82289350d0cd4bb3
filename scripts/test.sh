#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test through CTest (unit tables of the packet
# core, the BPF object under BPF_PROG_TEST_RUN, control, and the namespace labs). Run it as root.
#
# Twice: first in build-asan, a clang build with AddressSanitizer and UndefinedBehaviorSanitizer
# that also holds the fuzzers (a short run of each, label fuzz; docs/robustness.md), then in the
# ordinary build, whose CTest summary ends the output. The exit code is non-zero if either failed.
# The sanitized pass leaves out the end-to-end routing labs (label e2e: the same daemon code the
# route_lab tests run against the real routing daemons under the sanitizers; what they add is
# routing behaviour, which the sanitizers do not judge, and they are the suite's longest).
# ANYCASTD_SANITIZE=0 skips the sanitized pass.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ $EUID -ne 0 ]]; then
	echo "test.sh: needs root (packages, namespaces, XDP): run it as root, e.g. su -c ./scripts/test.sh" >&2
	exit 1
fi

# run_ctest BUILD_DIR [ARGS...]: CTest on BUILD_DIR. Where tests were skipped (only for what
# cannot exist on this machine: their output says "SKIP: why"), the reasons follow, and then
# CTest's summary once more, so the run still ends with it.
run_ctest() {
	local dir=$1 rc=0 out
	shift
	out=$(mktemp)
	ctest --test-dir "$dir" --output-on-failure "$@" | tee "$out" || rc=$? # pipefail: ctest's status
	if grep -q '(Skipped)' "$out"; then
		echo
		echo "Skipped in $dir, and why:"
		awk '/^[0-9]+\/[0-9]+ Test: / { name = $3 } /^SKIP: / { print "  " name ": " substr($0, 7) }' \
			"$dir/Testing/Temporary/LastTest.log"
		echo
		sed -n '/tests passed, /,$p' "$out"
	fi
	rm -f "$out"
	return "$rc"
}

./scripts/deps.sh
./scripts/build.sh

asan_rc=0
if [[ ${ANYCASTD_SANITIZE:-1} != 0 ]]; then
	CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DANYCASTD_SANITIZE=ON -DANYCASTD_FUZZ=ON
	cmake --build build-asan -j2
	# Leaks inside libraries we call (tests/lsan.supp says which and why) are not ours to fail on.
	LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0" \
		run_ctest build-asan -LE e2e "$@" || asan_rc=$?
	((asan_rc == 0)) || echo "test.sh: the sanitized build (build-asan) had failures, listed above; the ordinary build follows" >&2
fi

rc=0
run_ctest build "$@" || rc=$?
((rc != 0)) && exit "$rc"
exit "$asan_rc"
