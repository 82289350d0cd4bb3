// SPDX-License-Identifier: Apache-2.0
// The XDP program's per-VIP counters (abi.h ac_vip_stats): a frame to a VIP moves that VIP's
// entry (ac_vip_value.stats) and no other, answered or passed; a frame to no VIP moves none; the
// VIPs above the cap count in the shared entry; a VIP's entry given in vip_stats_fresh starts
// from zero; control's probes count in none; and the set and its counters are read back from the
// maps as a restart in place finds them. The expected entries are the ones test_tables.h gives
// each VIP.

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "datapath/xdp/xdp_program.h"
#include "echo_probe.h"
#include "private_netns.h"
#include "test_tables.h"
#include "xdp_run.h"

namespace anycastd::test {
namespace {

// "entry.action+n" for every per-VIP counter that moved, as in bpf_program_test.h's moved().
std::string moved(const std::vector<ac_vip_stats>& after, const std::vector<ac_vip_stats>& before) {
  std::string out;
  for (std::size_t e = 0; e < after.size() && e < before.size(); ++e)
    for (unsigned a = 0; a < AC_ACT__COUNT; ++a)
      if (after[e].action[a] != before[e].action[a])
        out += (out.empty() ? "" : " ") + std::to_string(e) + "." + ac_action_names[a] + "+" +
               std::to_string(after[e].action[a] - before[e].action[a]);
  return out.empty() ? "nothing" : out;
}

// The veth the frames come in on: a test run's own ingress is the loopback, where only control's
// probes come from, and those are not counted per VIP.
int g_ifindex = 0;

// Runs `frame` once, as if it came in on the veth (`ifindex` 0: as control's probes run it);
// returns what moved in the per-VIP counters.
std::string run(const XdpProgram& program, std::vector<std::uint8_t> frame, int ifindex = g_ifindex) {
  const std::vector<ac_vip_stats> before = program.read_vip_stats();
  if (const XdpRun r = xdp_run_on(program.prog_fd(), std::move(frame), ifindex); r.error)
    return std::string("run failed: ") + std::strerror(r.error);
  return moved(program.read_vip_stats(), before);
}

// The echo probe to another destination port: nothing serves port 9 in the test tables.
std::vector<std::uint8_t> to_port_9(std::vector<std::uint8_t> frame) {
  const std::size_t udp = frame[12] == 0x08 ? 14 + 20 : 14 + 40;
  frame[udp + 3] = 9;
  if (frame[12] == 0x86) {  // the IPv6 UDP checksum covers the port: 7 -> 9 takes 2 from it
    std::uint32_t sum = static_cast<std::uint32_t>(frame[udp + 6] << 8 | frame[udp + 7]);
    sum += 0xffff - 2;  // one's complement: subtracting 2 is adding its complement
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    frame[udp + 6] = static_cast<std::uint8_t>(sum >> 8);
    frame[udp + 7] = static_cast<std::uint8_t>(sum);
  }
  return frame;
}

// In a network namespace of its own, with a veth pair made there.
class BpfVipStats : public testing_support::PrivateNetns {
 protected:
  void SetUp() override {
    PrivateNetns::SetUp();
    int status = 0;
    std::string out = testing_support::sh("ip link add vs0 type veth peer name vs0-p && ip link set vs0 up && "
                                          "ip link set vs0-p up", &status);
    ASSERT_EQ(status, 0) << out;
    g_ifindex = static_cast<int>(if_nametoindex("vs0"));
    ASSERT_NE(g_ifindex, 0);
    program_ = std::make_unique<XdpProgram>();
    program_->write_tables(make_tables("default"));
  }
  std::unique_ptr<XdpProgram> program_;
};

TEST_F(BpfVipStats, AnAnswerMovesItsVipsEntryOnly) {
  EXPECT_EQ(run(*program_, echo_probe("198.51.100.7", "192.0.2.10")), "0.answer+1");
  EXPECT_EQ(run(*program_, echo_probe("198.51.100.7", "203.0.113.5")), "1.answer+1");
  EXPECT_EQ(run(*program_, echo_probe("2001:db8:c::7", "2001:db8::10")), "2.answer+1");
  EXPECT_EQ(run(*program_, echo_probe("2001:db8:c::7", "2001:db8:1:2::3")), "3.answer+1");
}

TEST_F(BpfVipStats, PassesOnAVipCountAsItsPasses) {
  // port_unknown, not_answering (the more specific VIP inside an answering prefix), service_off.
  EXPECT_EQ(run(*program_, to_port_9(echo_probe("198.51.100.7", "192.0.2.10"))), "0.pass+1");
  EXPECT_EQ(run(*program_, to_port_9(echo_probe("2001:db8:c::7", "2001:db8::10"))), "2.pass+1");
  EXPECT_EQ(run(*program_, echo_probe("198.51.100.7", "203.0.113.99")), "8.pass+1");
  EXPECT_EQ(run(*program_, echo_probe("198.51.100.7", "192.0.2.11")), "4.pass+1");
  EXPECT_EQ(run(*program_, echo_probe("198.51.100.7", "192.0.2.12")), "6.pass+1");
  EXPECT_EQ(run(*program_, echo_probe("2001:db8:c::7", "2001:db8:1:ff::1")), "9.pass+1");
  // A reserved source port (echo's loop guard): still the VIP's pass.
  std::vector<std::uint8_t> low = echo_probe("198.51.100.7", "192.0.2.10");
  low[14 + 20] = 0;
  low[14 + 20 + 1] = 53;
  EXPECT_EQ(run(*program_, low), "0.pass+1");
}

TEST_F(BpfVipStats, ControlsProbesMoveNoEntry) {
  EXPECT_EQ(run(*program_, echo_probe("198.51.100.7", "192.0.2.10"), 0), "nothing");
  EXPECT_EQ(run(*program_, echo_probe("198.51.100.7", "192.0.2.10")), "0.answer+1");
}

TEST_F(BpfVipStats, FramesToNoVipMoveNoEntry) {
  EXPECT_EQ(run(*program_, echo_probe("198.51.100.7", "192.0.2.99")), "nothing");
  EXPECT_EQ(run(*program_, echo_probe("2001:db8:c::7", "2001:db8:2::1")), "nothing");
  std::vector<std::uint8_t> arp = echo_probe("198.51.100.7", "192.0.2.10");
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_EQ(run(*program_, arp), "nothing");
}

TEST_F(BpfVipStats, VipsAboveTheCapShareTheOtherEntry) {
  FastpathTables t = make_tables("default");
  t.vips[0].value.stats = AC_VIP_STATS_OTHER;
  t.vips[2].value.stats = AC_VIP_STATS_OTHER;
  program_->write_tables(t);
  const std::string other = std::to_string(AC_VIP_STATS_OTHER);
  EXPECT_EQ(run(*program_, echo_probe("198.51.100.7", "192.0.2.10")), other + ".answer+1");
  EXPECT_EQ(run(*program_, echo_probe("2001:db8:c::7", "2001:db8::10")), other + ".answer+1");
  EXPECT_EQ(run(*program_, echo_probe("198.51.100.7", "203.0.113.5")), "1.answer+1");
}

TEST_F(BpfVipStats, AFreshEntryStartsFromZero) {
  for (int i = 0; i < 3; ++i) run(*program_, echo_probe("198.51.100.7", "192.0.2.10"));
  ASSERT_EQ(program_->read_vip_stats()[0].action[AC_ACT_ANSWER], 3u);
  // 192.0.2.10 leaves; a reload later 192.0.2.50 takes its entry, zeroed first.
  FastpathTables t = make_tables("default");
  t.vips.erase(t.vips.begin());
  program_->write_tables(t);
  EXPECT_EQ(program_->read_vip_stats()[0].action[AC_ACT_ANSWER], 3u) << "an entry is zeroed when taken, not when left";
  t.vips.push_back({parse_prefix("192.0.2.50"), ac_vip_value{AC_VIP_F_ANSWERING, 1u << AC_SVC_ECHO, 0, 0}});
  t.vip_stats_fresh = {0};
  program_->write_tables(t);
  EXPECT_EQ(program_->read_vip_stats()[0].action[AC_ACT_ANSWER], 0u);
  EXPECT_EQ(run(*program_, echo_probe("198.51.100.7", "192.0.2.50")), "0.answer+1");
  EXPECT_EQ(run(*program_, echo_probe("198.51.100.7", "203.0.113.5")), "1.answer+1");
}

// What a restart in place reads back: each VIP with its entry, scanned and hashed sets alike,
// and the counters themselves, through a second program that shares the first's maps.
TEST_F(BpfVipStats, ARestartInPlaceFindsTheSetAndItsCounters) {
  FastpathTables t = make_tables("default");
  // Past AC_VIP_SCAN_MAX IPv4 VIPs, so that IPv4 is a hash and IPv6 a scan.
  for (std::uint32_t i = 0; i < 2 * AC_VIP_SCAN_MAX; ++i)
    t.vips.push_back({parse_prefix("198.18.0." + std::to_string(i + 1)),
                      ac_vip_value{AC_VIP_F_ANSWERING, 1u << AC_SVC_ECHO, 1, 100 + i}});
  program_->write_tables(t);
  run(*program_, echo_probe("198.51.100.7", "198.18.0.3"));
  run(*program_, echo_probe("2001:db8:c::7", "2001:db8::10"));

  XdpLoadOptions again;
  again.reuse_maps_of_prog_id = program_->prog_id();
  XdpProgram successor(again);
  ASSERT_TRUE(successor.reused_maps());
  auto key = [](const std::vector<VipEntry>& vips) {
    std::map<std::string, std::uint32_t> out;
    for (const VipEntry& v : vips) out[v.prefix.str()] = v.value.stats;
    return out;
  };
  EXPECT_EQ(key(successor.held_vips()), key(t.vips));
  const std::vector<ac_vip_stats> counts = successor.read_vip_stats();
  EXPECT_EQ(counts[102].action[AC_ACT_ANSWER], 1u);
  EXPECT_EQ(counts[2].action[AC_ACT_ANSWER], 1u);
}

}  // namespace
}  // namespace anycastd::test
