// SPDX-License-Identifier: Apache-2.0
// The pure parts of the DPDK datapath: command line, NIC profile choice, mbuf pool sizing, the
// exception device's devargs, the per-lcore rate-limit table. No EAL needed.

#include <gtest/gtest.h>

#include "exception.h"
#include "options.h"
#include "profiles.h"
#include "ratelimit_table.h"
#include "sizing.h"
#include "uplinks.h"

namespace anycastd::dpdk {
namespace {

Options parse(std::vector<std::string> args) { return parse_options(args); }

std::string parse_error(std::vector<std::string> args) {
  try {
    parse_options(args);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

TEST(DpdkOptions, FullCommandLine) {
  Options o = parse({"--channel-fd", "3", "--exception", "tap", "--exception-interface", "ac7", "--profile",
                     "net_ice", "--rx-descriptors", "512", "--tx-descriptors", "2048", "--burst", "64",
                     "--idle-sleep-us", "0", "--no-rss", "--", "--no-huge", "-l", "0-1"});
  EXPECT_EQ(o.channel_fd, 3);
  EXPECT_EQ(o.exception, ExceptionKind::tap);
  EXPECT_EQ(o.exception_interfaces, (std::vector<std::string>{"ac7"}));
  EXPECT_EQ(o.profile, "net_ice");
  EXPECT_EQ(o.rx_descriptors, 512);
  EXPECT_EQ(o.tx_descriptors, 2048);
  EXPECT_EQ(o.burst, 64);
  EXPECT_EQ(o.idle_sleep_us, 0u);
  EXPECT_TRUE(o.no_rss);
  EXPECT_EQ(o.eal_args, (std::vector<std::string>{"--no-huge", "-l", "0-1"}));
}

TEST(DpdkOptions, Defaults) {
  Options o = parse({"--channel-fd", "5", "--", "--no-huge"});
  EXPECT_EQ(o.exception, ExceptionKind::automatic);
  EXPECT_EQ(o.exception_interfaces, (std::vector<std::string>{"ac0"}));
  EXPECT_EQ(o.profile, "auto");
  EXPECT_FALSE(o.burst);
  EXPECT_EQ(o.idle_sleep_us, 100u);
  EXPECT_FALSE(o.no_rss);
  EXPECT_TRUE(parse({"--help"}).help);
  EXPECT_TRUE(parse({"--version"}).version);
  EXPECT_NE(usage().find("--channel-fd"), std::string::npos);
}

TEST(DpdkOptions, BadFlagsAreNamed) {
  EXPECT_NE(parse_error({"--", "--no-huge"}).find("--channel-fd is required"), std::string::npos);
  EXPECT_NE(parse_error({"--channel-fd", "3"}).find("no EAL arguments"), std::string::npos);
  EXPECT_NE(parse_error({"--channel-fd"}).find("--channel-fd needs a value"), std::string::npos);
  EXPECT_NE(parse_error({"--channel-fd", "x3", "--", "a"}).find("\"x3\" is not a number"), std::string::npos);
  EXPECT_NE(parse_error({"--channel-fd", "3", "--burst", "0", "--", "a"}).find("--burst: 0 is out of range"),
            std::string::npos);
  EXPECT_NE(parse_error({"--channel-fd", "3", "--burst", "257", "--", "a"}).find("out of range"), std::string::npos);
  EXPECT_NE(parse_error({"--channel-fd", "3", "--rx-descriptors", "8", "--", "a"}).find("--rx-descriptors"),
            std::string::npos);
  EXPECT_NE(parse_error({"--channel-fd", "3", "--exception", "kni", "--", "a"}).find("\"kni\" is none of"),
            std::string::npos);
  EXPECT_NE(parse_error({"--channel-fd", "3", "--exception-interface", "a,b", "--", "a"}).find("not an interface name"),
            std::string::npos);
  EXPECT_NE(parse_error({"--channel-fd", "3", "--exception-interface", "abcdefghijklmnop", "--", "a"})
                .find("not an interface name"),
            std::string::npos);
  EXPECT_NE(parse_error({"--channel-fd", "3", "--vdev=x"}).find("unknown argument \"--vdev=x\""), std::string::npos);
  EXPECT_NE(parse_error({"--channel-fd", "3", "--profile", "net_e1000", "--", "a"}).find("no profile named \"net_e1000\""),
            std::string::npos);
  EXPECT_NE(parse_error({"--channel-fd", "3", "--idle-sleep-us", "-1", "--", "a"}).find("--idle-sleep-us"),
            std::string::npos);
}

TEST(DpdkProfiles, AutoPicksByDriverAndFallsBack) {
  Options o = parse({"--channel-fd", "3", "--", "a"});
  EXPECT_STREQ(choose_port_settings(o, "net_mlx5").profile->name, "net_mlx5");
  EXPECT_STREQ(choose_port_settings(o, "mlx5_pci").profile->name, "net_mlx5") << "ConnectX's ethdev driver name";
  EXPECT_STREQ(choose_port_settings(o, "net_af_xdp").profile->name, "net_af_xdp");
  EXPECT_STREQ(choose_port_settings(o, "net_ring").profile->name, "default");
  PortChoice i40e = choose_port_settings(o, "net_i40e");
  EXPECT_EQ(i40e.rx_descriptors, find_profile("net_i40e")->rx_descriptors);
  EXPECT_TRUE(i40e.rss);
}

TEST(DpdkProfiles, NamedProfileAndOverrides) {
  Options o = parse({"--channel-fd", "3", "--profile", "net_ixgbe", "--burst", "16", "--rx-descriptors", "4096",
                     "--no-rss", "--", "a"});
  PortChoice c = choose_port_settings(o, "net_af_xdp");
  EXPECT_STREQ(c.profile->name, "net_ixgbe");
  EXPECT_EQ(c.burst, 16);
  EXPECT_EQ(c.rx_descriptors, 4096);
  EXPECT_EQ(c.tx_descriptors, find_profile("net_ixgbe")->tx_descriptors);
  EXPECT_FALSE(c.rss);
  o.profile = "net_e1000";
  try {
    choose_port_settings(o, "net_af_xdp");
    ADD_FAILURE() << "an unknown profile was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no profile named \"net_e1000\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("net_mlx5"), std::string::npos) << e.what();
  }
}

TEST(DpdkProfiles, EveryProfileCitesASource) {
  for (const char* name : {"net_mlx5", "net_i40e", "net_ice", "net_ixgbe", "net_virtio", "net_af_xdp",
                           "net_af_packet", "default"}) {
    const Profile* p = find_profile(name);
    ASSERT_NE(p, nullptr) << name;
    EXPECT_NE(std::string(p->source), "") << name;
    EXPECT_NE(std::string(p->verified), "") << name;
    EXPECT_GE(p->burst, 1);
    EXPECT_LE(p->burst, kMaxBurst);
  }
}

TEST(DpdkSizing, PoolCoversRingsBurstsAndCaches) {
  // 2 ports x 1 queue x (1024 + 1024) = 4096; 2 lcores x (2 x 32 + 384) = 896; 4992 -> 8191.
  EXPECT_EQ(mbuf_pool_size({2, 1, 1024, 1024, 2, 32, 256}), 8191u);
  // 2 x 4 x (2048 + 2048) = 32768; 5 x (64 + 384) = 2240; 35008 -> 65535.
  EXPECT_EQ(mbuf_pool_size({2, 4, 2048, 2048, 5, 32, 256}), 65535u);
  // Exactly 2^n - 1 needed stays 2^n - 1.
  EXPECT_EQ(mbuf_pool_size({1, 1, 100, 27, 0, 0, 0}), 127u);
  EXPECT_EQ(mbuf_pool_size({1, 1, 100, 28, 0, 0, 0}), 255u);
  // The cache rule rte_mempool checks: cache * 1.5 <= size.
  EXPECT_LE(kMbufCache * 3 / 2, mbuf_pool_size({2, 1, 32, 32, 2, 1, kMbufCache}));
}

TEST(DpdkException, AutoPicksVirtioUserOnlyWithVhostNet) {
  const std::uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
  ExceptionDevice tap = exception_device(ExceptionKind::automatic, false, "ac0", mac, 2, 1024);
  EXPECT_EQ(tap.kind, ExceptionKind::tap);
  EXPECT_EQ(tap.name, "net_tap0");
  EXPECT_EQ(tap.devargs, "iface=ac0,mac=02:00:00:00:00:01");
  ExceptionDevice vu = exception_device(ExceptionKind::automatic, true, "ac0", mac, 2, 1024);
  EXPECT_EQ(vu.kind, ExceptionKind::virtio_user);
  EXPECT_EQ(vu.name, "virtio_user0");
  EXPECT_EQ(vu.devargs, "path=/dev/vhost-net,queues=2,queue_size=1024,iface=ac0,mac=02:00:00:00:00:01");
  EXPECT_EQ(exception_device(ExceptionKind::tap, true, "ac0", mac, 1, 256).kind, ExceptionKind::tap);
  EXPECT_EQ(exception_device(ExceptionKind::virtio_user, false, "ac0", mac, 1, 256).kind, ExceptionKind::virtio_user);
}

// Each port's exception device is a vdev of its own: the same name twice would be refused by EAL.
TEST(DpdkException, EachPortGetsADeviceOfItsOwn) {
  const std::uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x02};
  ExceptionDevice tap = exception_device(ExceptionKind::tap, false, "ac1", mac, 1, 1024, 1);
  EXPECT_EQ(tap.name, "net_tap1");
  EXPECT_EQ(tap.devargs, "iface=ac1,mac=02:00:00:00:00:02");
  ExceptionDevice vu = exception_device(ExceptionKind::virtio_user, false, "ac2", mac, 1, 512, 2);
  EXPECT_EQ(vu.name, "virtio_user2");
  EXPECT_EQ(vu.devargs, "path=/dev/vhost-net,queues=1,queue_size=512,iface=ac2,mac=02:00:00:00:00:02");
}

TEST(DpdkUplinks, LcoresSplitEvenlyOverThePorts) {
  EXPECT_EQ(uplink_problem(2, 1, 1, 8), "");
  EXPECT_EQ(uplink_problem(3, 2, 2, 8), "");
  EXPECT_EQ(uplink_problem(5, 2, 2, 8), "");
  EXPECT_EQ(uplink_problem(9, 8, 8, 8), "");
  EXPECT_NE(uplink_problem(1, 1, 1, 8).find("EAL has 1 lcore (0 workers) for 1 port"), std::string::npos);
  EXPECT_NE(uplink_problem(4, 2, 2, 8).find("EAL has 4 lcores (3 workers) for 2 ports"), std::string::npos);
  EXPECT_NE(uplink_problem(4, 2, 2, 8).find("1 + a multiple of 2"), std::string::npos);
  EXPECT_NE(uplink_problem(3, 0, 1, 8).find("EAL probed no ethdev port"), std::string::npos);
  EXPECT_NE(uplink_problem(10, 9, 9, 8).find("at most 8"), std::string::npos);
  EXPECT_NE(uplink_problem(3, 2, 1, 8).find("EAL probed 2 ethdev ports but 1 exception interface is named"),
            std::string::npos);
  EXPECT_NE(uplink_problem(3, 1, 2, 8).find("EAL probed 1 ethdev port but 2 exception interfaces are named"),
            std::string::npos);
}

// What --check counts in datapath.dpdk.lcores, in EAL's --lcores forms.
TEST(DpdkUplinks, LcoreCountReadsEalLcoreLists) {
  EXPECT_EQ(lcore_count("0-1"), 2u);
  EXPECT_EQ(lcore_count("2,4,6"), 3u);
  EXPECT_EQ(lcore_count("0-1,2@1"), 3u);
  EXPECT_EQ(lcore_count("(0-2)@0,3@(0-1)"), 4u);
  EXPECT_EQ(lcore_count("0,0-1"), 2u) << "an lcore named twice counts once";
  for (const char* bad : {"", "a", "0-", "2-1", "(0-1", "0@", "0,,1", "0-1x"})
    EXPECT_FALSE(lcore_count(bad)) << bad;
  EXPECT_TRUE(workers_fit(3, 2));
  EXPECT_FALSE(workers_fit(2, 2)) << "a worker per port at least";
  EXPECT_FALSE(workers_fit(4, 2));
}

// Worker i polls port i / Q, queue i % Q: every (port, queue) exactly once.
TEST(DpdkUplinks, EveryPortQueueHasOneWorker) {
  std::vector<WorkerSlot> slots = assign_workers(6, 3);
  ASSERT_EQ(slots.size(), 6u);
  const std::pair<int, int> want[] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0}, {2, 1}};
  for (std::size_t i = 0; i < slots.size(); ++i) {
    EXPECT_EQ(slots[i].port_index, want[i].first) << i;
    EXPECT_EQ(slots[i].queue, want[i].second) << i;
  }
  slots = assign_workers(1, 1);
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].port_index, 0);
  EXPECT_EQ(slots[0].queue, 0);
}

TEST(DpdkOptions, OneExceptionInterfacePerPort) {
  Options o = parse({"--channel-fd", "3", "--exception-interface", "up0", "--exception-interface", "up1", "--", "x"});
  EXPECT_EQ(o.exception_interfaces, (std::vector<std::string>{"up0", "up1"}));
  EXPECT_NE(parse_error({"--channel-fd", "3", "--exception-interface", "up0", "--exception-interface", "up0", "--", "x"})
                .find("\"up0\" is given twice"),
            std::string::npos);
  std::vector<std::string> nine{"--channel-fd", "3"};
  for (int i = 0; i < 9; ++i) nine.insert(nine.end(), {"--exception-interface", "ac" + std::to_string(i)});
  nine.insert(nine.end(), {"--", "x"});
  EXPECT_NE(parse_error(nine).find("more than 8 given"), std::string::npos);
}

}  // namespace

namespace {

ac_ratelimit_key rl_key(std::uint8_t last) {
  ac_ratelimit_key k{};
  k.service = AC_SVC_NTP;
  k.family = 4;
  k.addr[0] = 198;
  k.addr[3] = last;
  return k;
}

TEST(DpdkRateLimitTable, FindsWhatWasAdded) {
  RateLimitTable t(1024);
  EXPECT_EQ(t.capacity(), 1024u);
  for (std::uint8_t i = 0; i < 200; ++i) t.add(rl_key(i), ac_ratelimit_bucket{i, 1000u + i, 0, 0});
  int found = 0;
  for (std::uint8_t i = 0; i < 200; ++i) {
    ac_ratelimit_bucket* b = t.find(rl_key(i));
    if (b && b->tokens_ns == i) ++found;
  }
  // A set can overflow before the table is full; 200 keys in 128 sets of 8 rarely do.
  EXPECT_GE(found, 190);
  EXPECT_EQ(t.find(rl_key(250)), nullptr);
  ac_ratelimit_key other_family = rl_key(7);
  other_family.family = 6;
  EXPECT_EQ(t.find(other_family), nullptr);
}

TEST(DpdkRateLimitTable, FullSetEvictsTheLeastRecentlyRefilled) {
  RateLimitTable t(RateLimitTable::kWays);  // one set: every key lands in it
  ASSERT_EQ(t.capacity(), RateLimitTable::kWays);
  for (std::uint8_t i = 0; i < RateLimitTable::kWays; ++i)
    t.add(rl_key(i), ac_ratelimit_bucket{0, i == 5 ? 1u : 100u + i, 0, 0});
  t.add(rl_key(99), ac_ratelimit_bucket{0, 500, 0, 0});
  EXPECT_EQ(t.find(rl_key(5)), nullptr) << "the oldest bucket goes";
  ASSERT_NE(t.find(rl_key(99)), nullptr);
  for (std::uint8_t i = 0; i < RateLimitTable::kWays; ++i)
    if (i != 5) EXPECT_NE(t.find(rl_key(i)), nullptr) << int(i);
}

TEST(DpdkRateLimitTable, SizeRoundsUpToWholeSets) {
  EXPECT_EQ(RateLimitTable(1).capacity(), RateLimitTable::kWays);
  EXPECT_EQ(RateLimitTable(100).capacity(), 16 * RateLimitTable::kWays);
  EXPECT_EQ(RateLimitTable().capacity(), AC_RATELIMIT_BUCKETS_DEFAULT);
}

}  // namespace
}  // namespace anycastd::dpdk
