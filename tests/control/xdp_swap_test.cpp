// SPDX-License-Identifier: Apache-2.0
// Table swaps while packets flow: one thread rewrites the XDP program's VIP set back and forth
// between the two sets of swap_sets.h while this one runs probe frames through the program
// (BPF_PROG_TEST_RUN); every verdict must be the one of set A or the one of set B. Each pair is
// tried as small sets (scanned in place), as large ones (hashed per prefix length) and one of
// each, so that a swap also changes the form.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/prefix.h"
#include "echo_probe.h"
#include "swap_sets.h"
#include "datapath/xdp/xdp_program.h"
#include "tables/fastpath_tables.h"

namespace anycastd {
namespace {

using test::echo_probe;
using test::SwapProbe;

std::uint32_t verdict(int prog_fd, const std::vector<std::uint8_t>& frame) {
  std::vector<std::uint8_t> in = frame, out(frame.size() + 256);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data(), .data_out = out.data(),
              .data_size_in = static_cast<__u32>(in.size()), .data_size_out = static_cast<__u32>(out.size()));
  if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) return ~0u;
  return opts.retval;
}

// The verdict the program must give where the stated one is "answered" or "passed".
std::uint32_t expected(bool answered) { return answered ? XDP_TX : XDP_PASS; }

struct Forms {
  bool a_hashed, b_hashed;
};

std::string forms_name(const testing::TestParamInfo<Forms>& info) {
  return std::string(info.param.a_hashed ? "Hashed" : "Scanned") + (info.param.b_hashed ? "Hashed" : "Scanned");
}

class XdpTableSwapTest : public ::testing::TestWithParam<Forms> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_FAIL() << "needs root: it loads a BPF program";
    set_a_ = GetParam().a_hashed ? test::with_more_vips(test::kSwapSetA) : test::kSwapSetA;
    set_b_ = GetParam().b_hashed ? test::with_more_vips(test::kSwapSetB) : test::kSwapSetB;
    probes_.assign(std::begin(test::kSwapProbes), std::end(test::kSwapProbes));
    if (GetParam().a_hashed && GetParam().b_hashed)
      probes_.insert(probes_.end(), std::begin(test::kLargeSetProbes), std::end(test::kLargeSetProbes));
  }
  FastpathTables set_a_, set_b_;
  std::vector<SwapProbe> probes_;
};

TEST_P(XdpTableSwapTest, EachSetAloneGivesTheVerdictsStated) {
  XdpProgram program;
  for (const FastpathTables* set : {&set_a_, &set_b_, &set_a_}) {
    program.write_tables(*set);
    for (const SwapProbe& p : probes_)
      EXPECT_EQ(verdict(program.prog_fd(), echo_probe(test::swap_client(p.dst), p.dst)), expected(set == &set_a_ ? p.in_a : p.in_b))
          << p.dst << (set == &set_a_ ? " in set A" : " in set B");
  }
}

TEST_P(XdpTableSwapTest, SwapsWhilePacketsFlowNeverGiveAVerdictOfNeitherSet) {
  constexpr int kSwaps = 400;  // each way: bounded in count, not in time
  XdpProgram program;
  program.write_tables(set_a_);
  std::vector<std::vector<std::uint8_t>> frames;
  for (const SwapProbe& p : probes_) frames.push_back(echo_probe(test::swap_client(p.dst), p.dst));

  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < kSwaps; ++i) {
      program.write_tables(set_b_);
      program.write_tables(set_a_);
    }
    done = true;
  });
  std::size_t runs = 0, torn = 0, seen_b_only = 0;
  std::string first_torn;
  while (!done) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      std::uint32_t got = verdict(program.prog_fd(), frames[i]);
      ++runs;
      if (got != expected(probes_[i].in_a) && got != expected(probes_[i].in_b)) {
        if (!torn++) first_torn = std::string(probes_[i].dst) + " got " + std::to_string(got);
      } else if (probes_[i].in_a != probes_[i].in_b && got == expected(probes_[i].in_b)) {
        ++seen_b_only;
      }
    }
  }
  writer.join();
  EXPECT_EQ(torn, 0u) << "of " << runs << " verdicts; the first: " << first_torn;
  // The probes met set B too, not only set A: the swaps happened under them.
  EXPECT_GT(seen_b_only, 0u) << "of " << runs << " verdicts";
  std::printf("%zu verdicts during %d swaps each way, %zu of them set B's where the sets differ\n", runs, kSwaps,
              seen_b_only);
}

INSTANTIATE_TEST_SUITE_P(Forms, XdpTableSwapTest,
                         testing::Values(Forms{false, false}, Forms{true, true}, Forms{false, true}), forms_name);

}  // namespace
}  // namespace anycastd
