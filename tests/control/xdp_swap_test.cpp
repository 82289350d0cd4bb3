// SPDX-License-Identifier: Apache-2.0
// Table swaps while packets flow: one thread rewrites the XDP program's VIP set back and forth
// between two sets while this one runs probe frames through the program (BPF_PROG_TEST_RUN);
// every verdict must be the one of set A or the one of set B, never one that only a mixture of
// the two gives. The sets share VIPs with the same verdict, share a VIP with different
// services, and nest exact VIPs and longer prefixes inside prefixes in both directions, which
// is where a torn table shows.
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
#include "datapath/xdp/xdp_program.h"
#include "tables/fastpath_tables.h"

namespace anycastd {
namespace {

constexpr std::uint16_t kEchoPort = 7;

// Ethernet + IP + UDP from a documentation client to `dst`:7 with a 4-byte payload; the IPv4
// header checksum is computed here, the UDP checksum left 0 ("none", IPv4) or set over IPv6.
std::vector<std::uint8_t> probe_frame(const std::string& dst) {
  std::vector<std::uint8_t> f = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
  const std::uint8_t payload[] = {'s', 'w', 'a', 'p'};
  std::uint8_t udp[8] = {0x9c, 0x40, 0, kEchoPort, 0, 12, 0, 0};
  if (dst.find(':') == std::string::npos) {
    std::uint8_t ip[20] = {0x45, 0, 0, 32, 0, 1, 0x40, 0, 57, 17, 0, 0, 198, 51, 100, 1};
    inet_pton(AF_INET, dst.c_str(), &ip[16]);
    std::uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += (ip[i] << 8) | ip[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = static_cast<std::uint8_t>(~sum >> 8);
    ip[11] = static_cast<std::uint8_t>(~sum);
    f.insert(f.end(), {0x08, 0x00});
    f.insert(f.end(), ip, ip + 20);
    f.insert(f.end(), udp, udp + 8);
  } else {
    std::uint8_t ip[40] = {0x60, 0, 0, 0, 0, 12, 17, 57};
    inet_pton(AF_INET6, "2001:db8:ffff::1", &ip[8]);
    inet_pton(AF_INET6, dst.c_str(), &ip[24]);
    // The UDP checksum over the pseudo-header (addresses, length, protocol), header and payload.
    std::uint32_t sum = 12 + 17;
    for (int i = 8; i < 40; i += 2) sum += (ip[i] << 8) | ip[i + 1];
    for (int i = 0; i < 8; i += 2) sum += (udp[i] << 8) | udp[i + 1];
    for (int i = 0; i < 4; i += 2) sum += (payload[i] << 8) | payload[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    std::uint16_t check = static_cast<std::uint16_t>(~sum) ? static_cast<std::uint16_t>(~sum) : 0xffff;
    udp[6] = static_cast<std::uint8_t>(check >> 8);
    udp[7] = static_cast<std::uint8_t>(check);
    f.insert(f.end(), {0x86, 0xdd});
    f.insert(f.end(), ip, ip + 40);
    f.insert(f.end(), udp, udp + 8);
  }
  f.insert(f.end(), payload, payload + 4);
  return f;
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

class XdpTableSwapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_FAIL() << "needs root: it loads a BPF program";
  }
};

TEST_F(XdpTableSwapTest, EachSetAloneGivesTheVerdictsStated) {
  XdpProgram program;
  for (const FastpathTables* set : {&kSetA, &kSetB, &kSetA}) {
    program.write_tables(*set);
    for (const Probe& p : kProbes)
      EXPECT_EQ(verdict(program.prog_fd(), probe_frame(p.dst)), set == &kSetA ? p.in_a : p.in_b)
          << p.dst << (set == &kSetA ? " in set A" : " in set B");
  }
}

TEST_F(XdpTableSwapTest, SwapsWhilePacketsFlowNeverGiveAVerdictOfNeitherSet) {
  constexpr int kSwaps = 400;  // each way: bounded in count, not in time
  XdpProgram program;
  program.write_tables(kSetA);
  std::vector<std::vector<std::uint8_t>> frames;
  for (const Probe& p : kProbes) frames.push_back(probe_frame(p.dst));

  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < kSwaps; ++i) {
      program.write_tables(kSetB);
      program.write_tables(kSetA);
    }
    done = true;
  });
  std::size_t runs = 0, torn = 0, seen_b_only = 0;
  std::string first_torn;
  while (!done) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      std::uint32_t got = verdict(program.prog_fd(), frames[i]);
      ++runs;
      if (got != kProbes[i].in_a && got != kProbes[i].in_b) {
        if (!torn++) first_torn = std::string(kProbes[i].dst) + " got " + std::to_string(got);
      } else if (kProbes[i].in_a != kProbes[i].in_b && got == kProbes[i].in_b) {
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

}  // namespace
}  // namespace anycastd
