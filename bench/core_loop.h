// SPDX-License-Identifier: Apache-2.0
#pragma once

// The measuring loop both core benchmarks share, whatever lookup environment the core is built
// with: each iteration sends the frame through the core twice, so the reply to the reply is the
// request again and every iteration does the same work.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace anycastd::bench {

// `answer(frame)` runs one packet through the core and says whether it was answered.
template <typename Answer>
void measure_echo(benchmark::State& state, std::vector<std::uint8_t> frame, Answer answer, bool* failed) {
  bool answered = true;
  for (auto _ : state) {
    answered &= answer(frame);
    answered &= answer(frame);
    benchmark::DoNotOptimize(frame.data());
    benchmark::ClobberMemory();
  }
  if (!answered) {
    *failed = true;
    state.SkipWithError("a packet was not answered");
  }
  state.SetItemsProcessed(2 * state.iterations());
  state.counters["per_pkt"] =
      benchmark::Counter(2, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace anycastd::bench
