// SPDX-License-Identifier: Apache-2.0
// The health checks against real things: a TCP listener on a VIP alias, shell commands, and the
// compiled XDP program attached to a veth, each in a private network namespace.
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "config/config.h"
#include "datapath/config_tables.h"
#include "datapath/xdp/xdp_attach.h"
#include "datapath/xdp/xdp_datapath.h"
#include "datapath/xdp/xdp_program.h"
#include "group/datapath_check.h"
#include "health/checks.h"
#include "netlink/aliases.h"
#include "private_netns.h"

namespace anycastd {
namespace {

using namespace std::chrono_literals;
using testing_support::sh;

TEST(ExecCheck, ExitStatusDecides) {
  EXPECT_TRUE(ExecCheck("true", 2000ms).run().ok);
  CheckResult r = ExecCheck("exit 3", 2000ms).run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "exit 3");
}

TEST(ExecCheck, TimeoutKillsTheWholeProcessGroup) {
  char dir[] = "/tmp/ac-exec-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string marker = std::string(dir) + "/late";
  // A pipeline whose background child would write the marker after the timeout.
  CheckResult r = ExecCheck("(sleep 1; touch " + marker + ") & sleep 5", 200ms).run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.detail.find("timed out after 200 ms"), std::string::npos) << r.detail;
  std::this_thread::sleep_for(1500ms);
  EXPECT_NE(access(marker.c_str(), F_OK), 0) << "a straggler outlived the check";
  sh("rm -rf " + std::string(dir));
}

class TcpCheckTest : public testing_support::PrivateNetns {};

TEST_F(TcpCheckTest, ConnectsToAListenerOnTheVipAlias) {
  NetlinkSocket netlink;
  AliasSet aliases(netlink, find_interface("lo"));
  aliases.set({parse_prefix("192.0.2.10"), parse_prefix("2001:db8::10")});

  Prefix vip = parse_prefix("192.0.2.10");
  TcpCheck check(vip, 8080, 500ms);
  CheckResult down = check.run();
  EXPECT_FALSE(down.ok);
  EXPECT_NE(down.detail.find("Connection refused"), std::string::npos) << down.detail;

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(8080);
  std::memcpy(&sin.sin_addr, vip.addr.data(), 4);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0) << std::strerror(errno);
  ASSERT_EQ(listen(listener, 4), 0);
  CheckResult up = check.run();
  EXPECT_TRUE(up.ok) << up.detail;
  EXPECT_EQ(check.describe(), "tcp 192.0.2.10:8080");
  close(listener);

  EXPECT_EQ(TcpCheck(parse_prefix("2001:db8::10"), 53, 500ms).describe(), "tcp [2001:db8::10]:53");
}

TEST_F(TcpCheckTest, AliasSetIsAllOrNothing) {
  NetlinkSocket netlink;
  Interface lo = find_interface("lo");
  AliasSet aliases(netlink, lo);
  aliases.set({parse_prefix("192.0.2.10")});
  // 192.0.2.11 cannot be added to an interface that does not exist: nothing of this call stays.
  AliasSet broken(netlink, Interface{"nonexistent", 9999});
  EXPECT_THROW(broken.set({parse_prefix("192.0.2.12")}), std::runtime_error);
  EXPECT_TRUE(broken.empty());

  aliases.set({parse_prefix("192.0.2.10"), parse_prefix("203.0.113.0/24")});
  EXPECT_EQ(aliases.aliases().size(), 2u);
  std::string routes = sh("ip route show table local proto 0xac");
  EXPECT_NE(routes.find("203.0.113.0/24"), std::string::npos) << routes;
  aliases.set({parse_prefix("203.0.113.0/24")});
  EXPECT_EQ(sh("ip -4 addr show dev lo").find("192.0.2.10"), std::string::npos) << "dropped VIP stays";
  aliases.clear();
  EXPECT_EQ(sh("ip route show table local proto 0xac"), "");
}

// An alias someone deleted behind anycastd's back is put back by the next set() (the group's
// "announcing again"); before the fix the set still held it and left it out (lab.faults_alias).
TEST_F(TcpCheckTest, AliasSetPutsBackAnAliasRemovedBehindItsBack) {
  NetlinkSocket netlink;
  AliasSet aliases(netlink, find_interface("lo"));
  const std::vector<Prefix> vips = {parse_prefix("192.0.2.10"), parse_prefix("203.0.113.0/24")};
  aliases.set(vips);
  sh("ip addr del 192.0.2.10/32 dev lo && ip route del local 203.0.113.0/24 dev lo table local");
  ASSERT_EQ(sh("ip -4 addr show dev lo").find("192.0.2.10"), std::string::npos);
  aliases.set(vips);
  EXPECT_NE(sh("ip -4 addr show dev lo").find("192.0.2.10/32"), std::string::npos) << "alias not put back";
  EXPECT_NE(sh("ip route show table local proto 0xac").find("203.0.113.0/24"), std::string::npos)
      << "local route not put back";
  EXPECT_EQ(aliases.aliases().size(), 2u);
  aliases.clear();
  EXPECT_EQ(sh("ip -4 addr show dev lo").find("192.0.2.10"), std::string::npos);
}

class DatapathCheckTest : public testing_support::PrivateNetns {
 protected:
  void SetUp() override {
    PrivateNetns::SetUp();
    std::string out = sh("ip link add ac-a type veth peer name ac-b && ip link set ac-a up && ip link set ac-b up");
    ASSERT_EQ(find_interface("ac-a").name, "ac-a") << out;
    config = parse_config(R"(
[datapath]
interface = "ac-a"
[anycast]
addresses = ["192.0.2.10", "2001:db8::10", "203.0.113.0/24"]
[services.echo]
port = 7
allow = ["198.51.100.0/24", "2001:db8:c::/48"]
)",
                          "test.toml");
  }
  DatapathProbeTarget target(XdpDatapath& datapath) {
    DatapathProbeTarget t;
    t.probe = datapath.probe();
    t.echo_port = 7;
    t.vips = config.anycast.addresses;
    t.echo_allow = config.services[0].allow;
    return t;
  }
  Config config;
};

TEST_F(DatapathCheckTest, PassesWhenOurProgramIsAttachedAndAnswers) {
  XdpDatapath datapath(config.datapath, false);
  datapath.write_tables(build_tables(config));
  datapath.activate();
  CheckResult r = DatapathCheck(target(datapath)).run();
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(datapath.read_stats().answered[AC_SVC_ECHO], 3u) << "one probe per VIP, answered";
}

TEST_F(DatapathCheckTest, FailsWhenNotAttached) {
  XdpDatapath datapath(config.datapath, false);
  datapath.write_tables(build_tables(config));
  CheckResult r = DatapathCheck(target(datapath)).run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.detail.find("no XDP program on ac-a"), std::string::npos) << r.detail;
}

TEST_F(DatapathCheckTest, FailsWhenSomeoneElsesProgramIsAttached) {
  XdpDatapath ours(config.datapath, false);
  XdpProgram theirs;
  ours.write_tables(build_tables(config));
  ASSERT_EQ(bpf_xdp_attach(find_interface("ac-a").index, theirs.prog_fd(), XDP_FLAGS_DRV_MODE, nullptr), 0);
  CheckResult r = DatapathCheck(target(ours)).run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.detail.find("not ours"), std::string::npos) << r.detail;
  bpf_xdp_detach(find_interface("ac-a").index, XDP_FLAGS_DRV_MODE, nullptr);
}

TEST_F(DatapathCheckTest, FailsWhenAVipDoesNotAnswer) {
  XdpDatapath datapath(config.datapath, false);
  FastpathTables tables = build_tables(config);
  tables.vips[1].value.flags = 0;  // 2001:db8::10 switched off
  datapath.write_tables(tables);
  datapath.activate();
  CheckResult r = DatapathCheck(target(datapath)).run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.detail.find("echo probe to 2001:db8::10 was not answered"), std::string::npos) << r.detail;
}

}  // namespace
}  // namespace anycastd
