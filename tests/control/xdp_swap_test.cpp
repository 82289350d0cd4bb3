// SPDX-License-Identifier: Apache-2.0
// Table swaps while packets flow: one thread rewrites the XDP program's VIP set back and forth
// between two sets while this one runs probe frames through the program (BPF_PROG_TEST_RUN);
// every verdict must be the one of set A or the one of set B, never one that only a mixture of
// the two gives. The sets share VIPs with the same verdict, share a VIP with different
// services, and nest exact VIPs and longer prefixes inside prefixes in both directions, which
// is where a torn table shows. Each pair is tried as small sets (scanned in place), as large
// ones (hashed per prefix length) and one of each, so that a swap also changes the form.
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
#include "datapath/xdp/xdp_program.h"
#include "tables/fastpath_tables.h"

namespace anycastd {
namespace {

constexpr std::uint16_t kEchoPort = 7;

using test::echo_probe;

std::string client(const std::string& dst) {
  return dst.find(':') == std::string::npos ? "198.51.100.1" : "2001:db8:ffff::1";
}

std::uint32_t verdict(int prog_fd, const std::vector<std::uint8_t>& frame) {
  std::vector<std::uint8_t> in = frame, out(frame.size() + 256);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data(), .data_out = out.data(),
              .data_size_in = static_cast<__u32>(in.size()), .data_size_out = static_cast<__u32>(out.size()));
  if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) return ~0u;
  return opts.retval;
}

enum Service : std::uint32_t { kEcho = 1u << AC_SVC_ECHO, kNtp = 1u << AC_SVC_NTP };

FastpathTables table_set(const std::vector<std::pair<const char*, std::uint32_t>>& vips) {
  FastpathTables t;
  for (const auto& [vip, services] : vips) t.vips.push_back({parse_prefix(vip), {AC_VIP_F_ANSWERING, services, 0}});
  t.ports[kEchoPort] = {AC_SVC_F_ENABLED, AC_SVC_ECHO};
  t.ports[123] = {AC_SVC_F_ENABLED, AC_SVC_NTP};
  return t;
}

// Set A, in the order a configuration might list it (shortest first: the order that tears).
const FastpathTables kSetA = table_set({
    {"192.0.2.10/32", kEcho},          // shared, same verdict
    {"192.0.2.20/32", kEcho},          // shared, other services in B
    {"198.51.100.0/24", kEcho},        // B nests a /28 (no echo) and a /32 (echo) inside it
    {"203.0.113.0/24", kEcho},         // A nests a /28 (no echo) and a /32 (echo) inside it
    {"203.0.113.0/28", kNtp},
    {"203.0.113.5/32", kEcho},
    {"2001:db8:a::/48", kEcho},        // the same, IPv6: B nests inside it
    {"2001:db8:b::/48", kEcho},        // A nests inside it
    {"2001:db8:b::/64", kNtp},
    {"2001:db8:b::5/128", kEcho},
    {"2001:db8:c::20/128", kEcho},     // shared, other services in B
});
const FastpathTables kSetB = table_set({
    {"192.0.2.10/32", kEcho},
    {"192.0.2.20/32", kNtp},
    {"198.51.100.0/24", kEcho},
    {"198.51.100.0/28", kNtp},
    {"198.51.100.5/32", kEcho},
    {"203.0.113.0/24", kEcho},
    {"2001:db8:a::/48", kEcho},
    {"2001:db8:a::/64", kNtp},
    {"2001:db8:a::5/128", kEcho},
    {"2001:db8:b::/48", kEcho},
    {"2001:db8:c::20/128", kNtp},
});

// What makes a set large enough to be hashed (above AC_VIP_SCAN_MAX per family), the same in
// both sets: exact VIPs nested in prefixes of several lengths, away from the probes above.
FastpathTables hashed(FastpathTables t) {
  std::vector<std::string> more = {"192.0.2.128/26", "192.0.2.192/28", "2001:db8:e::/56", "2001:db8:e::/60",
                                   "2001:db8:e::100/120"};
  for (int i = 0; i < 16; ++i) {
    more.push_back("192.0.2." + std::to_string(200 + i) + "/32");
    more.push_back("2001:db8:e::" + std::to_string(100 + i) + "/128");
  }
  for (const std::string& vip : more) t.vips.push_back({parse_prefix(vip), {AC_VIP_F_ANSWERING, kEcho, 0}});
  return t;
}

struct Probe {
  const char* dst;
  std::uint32_t in_a, in_b;  // the verdict under each set, stated here, not computed
};

const Probe kProbes[] = {
    {"192.0.2.10", XDP_TX, XDP_TX},
    {"192.0.2.20", XDP_TX, XDP_PASS},
    // Answered by both sets, by the /24 in A and by the /32 in B; the /28 between them (no echo)
    // is what a write in the wrong order or a delete in the wrong order would answer with.
    {"198.51.100.5", XDP_TX, XDP_TX},
    {"198.51.100.6", XDP_TX, XDP_PASS},   // the /28 of B
    {"198.51.100.99", XDP_TX, XDP_TX},
    {"203.0.113.5", XDP_TX, XDP_TX},
    {"203.0.113.6", XDP_PASS, XDP_TX},    // the /28 of A
    {"203.0.113.99", XDP_TX, XDP_TX},
    {"2001:db8:a::5", XDP_TX, XDP_TX},
    {"2001:db8:a::6", XDP_TX, XDP_PASS},
    {"2001:db8:b::5", XDP_TX, XDP_TX},
    {"2001:db8:b::6", XDP_PASS, XDP_TX},
    {"2001:db8:c::20", XDP_TX, XDP_PASS},
    {"192.0.2.99", XDP_PASS, XDP_PASS},   // in neither
};

// Where the large sets add VIPs, both answer.
const Probe kHashedProbes[] = {
    {"192.0.2.130", XDP_TX, XDP_TX},
    {"192.0.2.195", XDP_TX, XDP_TX},
    {"192.0.2.205", XDP_TX, XDP_TX},
    {"2001:db8:e::105", XDP_TX, XDP_TX},
    {"2001:db8:e::1:1", XDP_TX, XDP_TX},
};

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
    set_a_ = GetParam().a_hashed ? hashed(kSetA) : kSetA;
    set_b_ = GetParam().b_hashed ? hashed(kSetB) : kSetB;
    probes_.assign(std::begin(kProbes), std::end(kProbes));
    if (GetParam().a_hashed && GetParam().b_hashed) probes_.insert(probes_.end(), std::begin(kHashedProbes), std::end(kHashedProbes));
  }
  FastpathTables set_a_, set_b_;
  std::vector<Probe> probes_;
};

TEST_P(XdpTableSwapTest, EachSetAloneGivesTheVerdictsStated) {
  XdpProgram program;
  for (const FastpathTables* set : {&set_a_, &set_b_, &set_a_}) {
    program.write_tables(*set);
    for (const Probe& p : probes_)
      EXPECT_EQ(verdict(program.prog_fd(), echo_probe(client(p.dst), p.dst)), set == &set_a_ ? p.in_a : p.in_b)
          << p.dst << (set == &set_a_ ? " in set A" : " in set B");
  }
}

TEST_P(XdpTableSwapTest, SwapsWhilePacketsFlowNeverGiveAVerdictOfNeitherSet) {
  constexpr int kSwaps = 400;  // each way: bounded in count, not in time
  XdpProgram program;
  program.write_tables(set_a_);
  std::vector<std::vector<std::uint8_t>> frames;
  for (const Probe& p : probes_) frames.push_back(echo_probe(client(p.dst), p.dst));

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
      if (got != probes_[i].in_a && got != probes_[i].in_b) {
        if (!torn++) first_torn = std::string(probes_[i].dst) + " got " + std::to_string(got);
      } else if (probes_[i].in_a != probes_[i].in_b && got == probes_[i].in_b) {
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
