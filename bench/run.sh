#!/bin/sh
# Builds a Release tree and runs the benchmarks the way docs/benchmarks.md and docs/ntp.md quote them.
# Needs root (xdp_cost loads BPF programs). Environment:
#   BUILD_DIR  build tree (default: <source>/build-bench)
#   BENCH_CPU  CPU to pin to (default 1: on a 2-vCPU VM, away from CPU 0's interrupts)
#   RUNS       xdp_cost runs (default 15); REPEAT packets per run (default 1000000)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build-bench}
cpu=${BENCH_CPU:-1}

cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
make -C "$build" -j2 core_bench xdp_cost xdp_ntp_cost >/dev/null

# The programs are interleaved inside xdp_cost; the medians are what docs/benchmarks.md quotes.
taskset -c "$cpu" "$build/bench/xdp_cost" --runs "${RUNS:-15}" --repeat "${REPEAT:-1000000}" \
  --json "$build/xdp_cost.json"
echo
# NTP answers next to echo answers, one packet per call (docs/ntp.md).
taskset -c "$cpu" "$build/bench/xdp_ntp_cost" --calls 20000 --runs 7
echo
# Random interleaving spreads each benchmark's repetitions over the whole run, for the same reason.
taskset -c "$cpu" "$build/bench/core_bench" --benchmark_min_time=0.5 --benchmark_repetitions=7 \
  --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
  --benchmark_counters_tabular=true \
  --benchmark_out="$build/core_bench.json" --benchmark_out_format=json
echo
echo "JSON: $build/xdp_cost.json $build/core_bench.json"
