#!/usr/bin/env bash
# Installs the dependencies, builds, and runs the demo: a throwaway namespace lab with anycastd in
# it, real client traffic, and a summary of what was answered where. Needs root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/deps.sh
./scripts/build.sh
exec ./scripts/run-demo.sh build
