#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test through CTest (unit tables of the packet
# core, the BPF object under BPF_PROG_TEST_RUN, control, and the namespace labs). Needs root.
# The exit code is CTest's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/deps.sh
./scripts/build.sh
exec ctest --test-dir build --output-on-failure "$@"
