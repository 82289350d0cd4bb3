// SPDX-License-Identifier: Apache-2.0
//
// ns per packet of the native packet core (ac_decide + ac_respond) on the frames of
// bench_frames.h, with the tests' native environment behind the lookups.
//
// The core answers in place, so the buffer holds the reply afterwards. Each iteration runs the
// core twice on the same buffer: request -> reply -> request (the frames are mirror pairs, see
// bench_frames.h), so every iteration does identical, complete work without a copy to time
// along with it. "per_pkt" is the iteration's CPU time divided by those two packets.
//
// What this does not measure: the lookups are native_env.h's linear scans over a handful of
// entries, not BPF maps or the DPDK tables; xdp_cost measures the XDP program as deployed.
// core_min_env/* (core_min_env.cpp) runs the same frames with near-free lookups: the
// difference between the two series is the native environment, not the core.
//
// Before any timing, main() checks every frame: one pass gives the independently built reply,
// a second gives the request back. A failed check exits non-zero, which is what the CTest smoke
// run asserts.

#include <benchmark/benchmark.h>

#include <time.h>

#include <cstdio>
#include <vector>

#include "bench_frames.h"
#include "core_loop.h"
#include "native_env.h"

namespace ab = anycastd::bench;

bool register_min_env_benchmarks(const std::vector<ab::BenchCase>& cases, bool* failed);  // core_min_env.cpp

namespace {

bool g_failed = false;

// One packet through the core; returns whether it was answered.
inline bool run_core(ac_env* env, std::vector<std::uint8_t>& frame) {
  ac_headers h;
  ac_verdict v = ac_decide(env, frame.data(), frame.data() + frame.size(), &h);
  if (v.action != AC_ACT_ANSWER) return false;
  return ac_respond(env, &h, v).action == AC_ACT_ANSWER;
}

bool check_case(const ab::BenchCase& c) {
  anycastd::FastpathTables tables = ab::bench_tables(c.restricted);
  ac_env env{&tables};
  const std::vector<std::uint8_t> request = ab::build_frame(c.spec);
  const std::vector<std::uint8_t> reply = ab::build_frame(ab::mirror(c.spec));
  std::vector<std::uint8_t> frame = request;
  bool ok = run_core(&env, frame) && frame == reply && run_core(&env, frame) && frame == request;
  if (!ok) std::fprintf(stderr, "core_bench: %s: the core did not answer with the expected reply\n", c.name);
  return ok;
}

void BM_core_echo(benchmark::State& state, const ab::BenchCase& c) {
  anycastd::FastpathTables tables = ab::bench_tables(c.restricted);
  ac_env env{&tables};
  ab::measure_echo(state, ab::build_frame(c.spec), [&](std::vector<std::uint8_t>& f) { return run_core(&env, f); },
                   &g_failed);
}

// What the DPDK datapath pays for each NTP timestamp (two per answer), read per packet: the
// figure docs/ntp.md weighs against reading once per burst.
void BM_clock_gettime(benchmark::State& state, clockid_t clock) {
  timespec ts;
  for (auto _ : state) {
    clock_gettime(clock, &ts);
    benchmark::DoNotOptimize(ts);
  }
}
BENCHMARK_CAPTURE(BM_clock_gettime, tai, CLOCK_TAI);
BENCHMARK_CAPTURE(BM_clock_gettime, realtime, CLOCK_REALTIME);

}  // namespace

int main(int argc, char** argv) {
  static const std::vector<ab::BenchCase> cases = ab::bench_cases();
  for (const ab::BenchCase& c : cases) {
    if (!check_case(c)) return 1;
    benchmark::RegisterBenchmark((std::string("core_echo/") + c.name).c_str(), BM_core_echo, c);
  }
  if (!register_min_env_benchmarks(cases, &g_failed)) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return g_failed ? 1 : 0;
}
