#!/bin/sh
# Builds a Release tree and runs every benchmark the way docs/benchmarks.md, docs/ntp.md and
# docs/dpdk.md quote them: xdp_cost and core_bench (per-packet cost next to the floor), xdp_ntp_cost
# (NTP next to echo), dns_bench (DNS next to echo, and against the zone's size), xdp_growth (how
# the cost grows with VIPs, frame size, VLAN tags, family) and lab_bench.sh (answered rate over
# veth against the floor, a socket server and the DPDK datapath, with the generators' own ceiling
# (the drop system) and trafgen's cross-check beside loadgen; NTP against chronyd; DNS against
# knotd, knotd's XDP mode and nsd). loadgen sends with BENCH_ENGINE (default auto: live frames
# where the kernel allows them, else AF_XDP); every result names its engine.
# Run it as root (BPF programs, namespaces). Environment:
#   BUILD_DIR  build tree (default: <source>/build-bench)
#   BENCH_CPU  CPU to pin the per-packet benchmarks to (default 1: on a 2-vCPU VM, away from
#              CPU 0's interrupts)
#   RUNS       xdp_cost runs (default 15); REPEAT packets per run (default 1000000)
#   ONLY       run just one of: cost, growth, lab (default: all)
#   BENCH_*    lab_bench.sh's settings (see its header)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build-bench}
cpu=${BENCH_CPU:-1}
only=${ONLY:-all}

cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
make -C "$build" -j2 core_bench dns_bench xdp_cost xdp_ntp_cost xdp_growth loadgen udp_echo_server anycastd anycastd-dpdk lab_xdp_pass xdp_drop >/dev/null

if [ "$only" = all ] || [ "$only" = cost ]; then
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
  # DNS queries next to echo through the native core, zones of 10 to 1,000,000 names (docs/dns.md).
  taskset -c "$cpu" "$build/bench/dns_bench" --names=10,1000,100000,1000000 --benchmark_min_time=0.3 \
    --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
  echo
fi
if [ "$only" = all ] || [ "$only" = growth ]; then
  taskset -c "$cpu" "$build/bench/xdp_growth" --json "$build/xdp_growth.json"
  echo
fi
if [ "$only" = all ] || [ "$only" = lab ]; then
  BENCH_SYSTEMS="${BENCH_SYSTEMS:-drop floor anycastd socket}" BENCH_GENERATORS="${BENCH_GENERATORS:-loadgen trafgen}" \
    "$src/bench/lab_bench.sh" "$build"
  echo
  # The DPDK datapath against XDP on the same lab and load: one queue, the one worker it has here.
  BENCH_SYSTEMS="anycastd dpdk" BENCH_QUEUES=1 BENCH_OUT="$build/lab_bench_dpdk" "$src/bench/lab_bench.sh" "$build"
  echo
  # NTP against chronyd serving the same VIPs (docs/ntp.md), DNS against knotd and nsd (docs/dns.md).
  BENCH_SERVICE=ntp BENCH_OUT="$build/lab_bench_ntp" "$src/bench/lab_bench.sh" "$build"
  echo
  BENCH_SERVICE=dns BENCH_OUT="$build/lab_bench_dns" "$src/bench/lab_bench.sh" "$build"
  echo
fi
echo "JSON: $build/xdp_cost.json $build/core_bench.json $build/xdp_growth.json $build/lab_bench/results.json $build/lab_bench_dpdk/results.json"
