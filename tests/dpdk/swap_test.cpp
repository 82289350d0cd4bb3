// SPDX-License-Identifier: Apache-2.0
// Table swaps while packets flow through a worker: one thread publishes the two sets of
// swap_sets.h back and forth (built anew each time, the old one freed after the RCU grace
// period) while a worker thread polls and this one keeps the wire fed with probe frames and
// sorts what comes out: a frame back out of the port was answered, one on the kernel side was
// passed. Every verdict must be the one of set A or the one of set B. The sets come plain and
// with more VIPs (several prefix lengths, exact VIPs nested in them).

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "eal_env.h"
#include "echo_probe.h"
#include "ring_harness.h"
#include "swap_sets.h"

namespace anycastd::test {
namespace {

// The probe a frame is or answers: its destination, or the source of the reply.
std::string probe_of(const Bytes& frame, bool reply) {
  const bool v6 = frame[12] == 0x86;
  const std::size_t at = v6 ? (reply ? 22 : 38) : (reply ? 26 : 30);
  return address_text(v6 ? 6 : 4, frame.data() + at);
}

class DpdkTableSwapTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    AC_REQUIRE_EAL();
    set_a_ = GetParam() ? with_more_vips(kSwapSetA) : kSwapSetA;
    set_b_ = GetParam() ? with_more_vips(kSwapSetB) : kSwapSetB;
    probes_.assign(std::begin(kSwapProbes), std::end(kSwapProbes));
    if (GetParam()) probes_.insert(probes_.end(), std::begin(kLargeSetProbes), std::end(kLargeSetProbes));
    for (const SwapProbe& p : probes_) frames_.push_back(echo_probe(swap_client(p.dst), p.dst));
  }
  const SwapProbe* find(const std::string& dst) const {
    for (const SwapProbe& p : probes_)
      if (dst == p.dst) return &p;
    return nullptr;
  }
  FastpathTables set_a_, set_b_;
  std::vector<SwapProbe> probes_;
  std::vector<Bytes> frames_;
};

TEST_P(DpdkTableSwapTest, EachSetAloneGivesTheVerdictsStated) {
  RingHarness h;
  for (const FastpathTables* set : {&set_a_, &set_b_, &set_a_}) {
    h.load(*set);
    for (std::size_t i = 0; i < probes_.size(); ++i) {
      ASSERT_TRUE(h.from_wire(frames_[i]));
      dpdk::worker_poll(h.worker());
      const bool want = set == &set_a_ ? probes_[i].in_a : probes_[i].in_b;
      EXPECT_EQ(h.to_wire().size(), want ? 1u : 0u) << probes_[i].dst << (set == &set_a_ ? " in set A" : " in set B");
      EXPECT_EQ(h.to_kernel().size(), want ? 0u : 1u) << probes_[i].dst;
    }
  }
}

TEST_P(DpdkTableSwapTest, SwapsWhilePacketsFlowNeverGiveAVerdictOfNeitherSet) {
  constexpr int kSwaps = 100;  // each way: bounded in count, not in time
  RingHarness h(1024, 32, /*idle_sleep_us=*/0);
  h.load(set_a_);
  std::atomic<bool> stop{false}, done{false};
  std::thread worker([&] { dpdk::worker_loop(h.worker(), stop); });
  std::thread writer([&] {
    for (int i = 0; i < kSwaps; ++i) {
      h.load(set_b_);
      h.load(set_a_);
    }
    done = true;
  });

  std::size_t sent = 0, seen = 0, torn = 0, seen_b_only = 0, unknown = 0;
  std::string first_torn;
  auto sort = [&](const std::vector<Bytes>& out, bool answered) {
    for (const Bytes& f : out) {
      ++seen;
      const SwapProbe* p = find(probe_of(f, answered));
      if (!p) {
        ++unknown;
      } else if (answered != p->in_a && answered != p->in_b) {
        if (!torn++) first_torn = std::string(p->dst) + (answered ? " answered" : " passed");
      } else if (p->in_a != p->in_b && answered == p->in_b) {
        ++seen_b_only;
      }
    }
  };
  for (std::size_t next = 0; !done; next = (next + 1) % frames_.size()) {
    sent += h.from_wire(frames_[next]) ? 1 : 0;
    if (next == 0) {
      sort(h.to_wire(), true);
      sort(h.to_kernel(), false);
    }
  }
  writer.join();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (seen < sent && std::chrono::steady_clock::now() < deadline) {
    sort(h.to_wire(), true);
    sort(h.to_kernel(), false);
  }
  stop = true;
  worker.join();
  EXPECT_EQ(seen, sent) << "every frame answered or passed";
  EXPECT_EQ(unknown, 0u);
  EXPECT_EQ(torn, 0u) << "of " << seen << " verdicts; the first: " << first_torn;
  EXPECT_GT(seen_b_only, 0u) << "of " << seen << " verdicts: the frames met set B too";
  std::printf("%zu verdicts during %d swaps each way, %zu of them set B's where the sets differ\n", seen, kSwaps,
              seen_b_only);
}

INSTANTIATE_TEST_SUITE_P(Sets, DpdkTableSwapTest, testing::Values(false, true),
                         [](const testing::TestParamInfo<bool>& info) { return info.param ? "MoreVips" : "Plain"; });

}  // namespace
}  // namespace anycastd::test
