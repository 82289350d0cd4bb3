// SPDX-License-Identifier: Apache-2.0
// VIPs on the loopback of a private namespace: added with the marker, adopted when a crashed
// instance left them, left alone when an operator put them there, removed on destruction.
#include "netlink/netlink.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "netlink/aliases.h"
#include "private_netns.h"

namespace anycastd {
namespace {

using testing_support::sh;

class LoopbackTest : public testing_support::PrivateNetns {
 protected:
  void SetUp() override {
    PrivateNetns::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    netlink.emplace();
    lo = find_interface("lo");
  }

  std::optional<LoopbackEntry> on_lo(const Prefix& vip) {
    LoopbackSnapshot s = LoopbackSnapshot::take(*netlink, lo);
    const LoopbackEntry* e = s.find(vip);
    return e ? std::optional<LoopbackEntry>(*e) : std::nullopt;
  }

  std::optional<NetlinkSocket> netlink;
  Interface lo;
};

TEST_F(LoopbackTest, HostVipsAreAddedWithTheMarkerAndRemoved) {
  Prefix v4 = parse_prefix("192.0.2.10"), v6 = parse_prefix("2001:db8::10");
  {
    LoopbackAddress a(*netlink, lo, v4), b(*netlink, lo, v6);
    EXPECT_EQ(a.ownership(), Ownership::added);
    EXPECT_EQ(b.ownership(), Ownership::added);
    EXPECT_FALSE(a.is_route());
    EXPECT_EQ(a.describe(), "192.0.2.10/32 (added)");

    auto e4 = on_lo(v4), e6 = on_lo(v6);
    ASSERT_TRUE(e4 && e6);
    EXPECT_EQ(e4->protocol, kAnycastdProtocol);
    EXPECT_EQ(e6->protocol, kAnycastdProtocol);
    EXPECT_EQ(e4->prefix, v4);
    EXPECT_EQ(e6->prefix, v6);
    // As the kernel itself shows it.
    std::string shown = sh("ip addr show dev lo");
    EXPECT_NE(shown.find("inet 192.0.2.10/32 scope global lo"), std::string::npos) << shown;
    EXPECT_NE(shown.find("inet6 2001:db8::10/128 scope global"), std::string::npos) << shown;
    EXPECT_EQ(LoopbackSnapshot::take(*netlink, lo).marked().size(), 2u);
  }
  EXPECT_FALSE(on_lo(v4));
  EXPECT_FALSE(on_lo(v6));
  std::string shown = sh("ip addr show dev lo");
  EXPECT_EQ(shown.find("192.0.2.10"), std::string::npos) << shown;
}

TEST_F(LoopbackTest, PrefixVipIsALocalRouteTheKernelAccepts) {
  Prefix v4 = parse_prefix("203.0.113.0/24"), v6 = parse_prefix("2001:db8:1::/48");
  {
    LoopbackAddress a(*netlink, lo, v4), b(*netlink, lo, v6);
    EXPECT_TRUE(a.is_route());
    EXPECT_EQ(a.describe(), "203.0.113.0/24 (local route, added)");

    std::string routes = sh("ip route show table local") + sh("ip -6 route show table local");
    EXPECT_NE(routes.find("local 203.0.113.0/24 dev lo proto 172 scope host"), std::string::npos) << routes;
    EXPECT_NE(routes.find("local 2001:db8:1::/48 dev lo proto 172"), std::string::npos) << routes;

    // Any address inside is local now.
    EXPECT_EQ(sh("ip route get 203.0.113.77").rfind("local 203.0.113.77 dev lo", 0), 0u);
    EXPECT_EQ(sh("ip route get 2001:db8:1::77").rfind("local 2001:db8:1::77 ", 0), 0u);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    inet_pton(AF_INET, "203.0.113.77", &sin.sin_addr);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0) << std::strerror(errno);
    close(fd);
  }
  std::string routes = sh("ip route show table local") + sh("ip -6 route show table local");
  EXPECT_EQ(routes.find("203.0.113.0/24"), std::string::npos) << routes;
  EXPECT_EQ(routes.find("2001:db8:1::/48"), std::string::npos) << routes;
  EXPECT_NE(sh("ip route get 203.0.113.77").rfind("local", 0), 0u);
}

TEST_F(LoopbackTest, AdoptsWhatACrashedInstanceLeft) {
  Prefix host = parse_prefix("192.0.2.10"), host6 = parse_prefix("2001:db8::10"), prefix = parse_prefix("203.0.113.0/24");
  // A crash: the objects are never destroyed, what they added stays. (Built in static storage
  // rather than leaked from the heap, so that LeakSanitizer does not count the simulated crash.)
  alignas(LoopbackAddress) static unsigned char crashed[2][sizeof(LoopbackAddress)];
  new (crashed[0]) LoopbackAddress(*netlink, lo, host);
  new (crashed[1]) LoopbackAddress(*netlink, lo, host6);
  int status = 0;
  std::string out = sh("ip route add local 203.0.113.0/24 dev lo table local proto 0xac", &status);
  ASSERT_EQ(status, 0) << out;

  {
    LoopbackSnapshot before = LoopbackSnapshot::take(*netlink, lo);
    EXPECT_EQ(before.marked().size(), 3u);
    LoopbackAddress a(*netlink, lo, host, &before), b(*netlink, lo, host6), c(*netlink, lo, prefix);
    EXPECT_EQ(a.ownership(), Ownership::adopted);
    EXPECT_EQ(b.ownership(), Ownership::adopted);
    EXPECT_EQ(c.ownership(), Ownership::adopted);
    EXPECT_EQ(c.describe(), "203.0.113.0/24 (local route, adopted)");
  }
  // Adopted is owned: removed like our own.
  EXPECT_FALSE(on_lo(host));
  EXPECT_FALSE(on_lo(host6));
  EXPECT_FALSE(on_lo(prefix));
}

TEST_F(LoopbackTest, LeavesAnOperatorsAddressesAndRoutesAlone) {
  int status = 0;
  for (const char* command : {"ip addr add 192.0.2.20/32 dev lo", "ip addr add 2001:db8::20/128 dev lo",
                              "ip addr add 192.0.2.30/24 dev lo",
                              "ip route add local 203.0.113.0/24 dev lo table local proto static"}) {
    std::string out = sh(command, &status);
    ASSERT_EQ(status, 0) << command << ": " << out;
  }
  Prefix a4 = parse_prefix("192.0.2.20"), a6 = parse_prefix("2001:db8::20"), wider = parse_prefix("192.0.2.30"),
         route = parse_prefix("203.0.113.0/24");
  {
    LoopbackAddress a(*netlink, lo, a4), b(*netlink, lo, a6), c(*netlink, lo, wider), d(*netlink, lo, route);
    EXPECT_EQ(a.ownership(), Ownership::foreign);
    EXPECT_EQ(b.ownership(), Ownership::foreign);
    EXPECT_EQ(c.ownership(), Ownership::foreign) << "192.0.2.30/24 is already there: nothing to add";
    EXPECT_EQ(d.ownership(), Ownership::foreign);
    EXPECT_TRUE(LoopbackSnapshot::take(*netlink, lo).marked().empty());
  }
  std::string shown = sh("ip addr show dev lo");
  EXPECT_NE(shown.find("inet 192.0.2.20/32"), std::string::npos) << shown;
  EXPECT_NE(shown.find("inet6 2001:db8::20/128"), std::string::npos) << shown;
  EXPECT_NE(shown.find("inet 192.0.2.30/24"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("192.0.2.30/32"), std::string::npos) << shown;
  std::string routes = sh("ip route show table local");
  EXPECT_NE(routes.find("local 203.0.113.0/24 dev lo proto static"), std::string::npos) << routes;
}

TEST_F(LoopbackTest, ARouteReplacedByAnOperatorIsNotRemoved) {
  Prefix prefix = parse_prefix("203.0.113.0/24");
  {
    LoopbackAddress a(*netlink, lo, prefix);
    ASSERT_EQ(a.ownership(), Ownership::added);
    int status = 0;
    std::string out = sh("ip route replace local 203.0.113.0/24 dev lo table local proto static", &status);
    ASSERT_EQ(status, 0) << out;
  }
  std::string routes = sh("ip route show table local");
  EXPECT_NE(routes.find("local 203.0.113.0/24 dev lo proto static"), std::string::npos) << routes;
}

TEST_F(LoopbackTest, MovedFromDoesNotRemove) {
  Prefix v4 = parse_prefix("192.0.2.10");
  std::vector<LoopbackAddress> all;
  {
    LoopbackAddress a(*netlink, lo, v4);
    all.push_back(std::move(a));
  }
  EXPECT_TRUE(on_lo(v4)) << "the moved-from object removed it";
  all.clear();
  EXPECT_FALSE(on_lo(v4));
}

TEST_F(LoopbackTest, ClearErrors) {
  try {
    find_interface("nonexistent0");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "interface \"nonexistent0\" not found");
  }

  int status = 0;
  sh("ip link add ac-gone0 type bridge", &status);
  ASSERT_EQ(status, 0);
  Interface dummy = find_interface("ac-gone0");
  sh("ip link del ac-gone0");
  // The interface went away after the lookup: the kernel's answer, with the VIP and the name.
  try {
    LoopbackAddress a(*netlink, dummy, parse_prefix("192.0.2.10"));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("adding address 192.0.2.10/32 on ac-gone0: No such device"),
              std::string::npos)
        << e.what();
  }
}

// 2001:db8:1::0 .. 2001:db8:1::(count - 1)
std::vector<Prefix> host_vips6(std::size_t count) {
  std::vector<Prefix> out;
  for (std::size_t i = 0; i < count; ++i) {
    Prefix p = parse_prefix("2001:db8:1::");
    p.addr[14] = static_cast<std::uint8_t>(i >> 8);
    p.addr[15] = static_cast<std::uint8_t>(i);
    out.push_back(p);
  }
  return out;
}

std::size_t count_lines(const std::string& text, const std::string& with) {
  std::size_t n = 0;
  for (std::size_t at = text.find(with); at != std::string::npos; at = text.find(with, at + 1)) ++n;
  return n;
}

TEST_F(LoopbackTest, HostVipsAsLocalRoutesAnswerAndBindWithFreebind) {
  Prefix v4 = parse_prefix("192.0.2.10"), v6 = parse_prefix("2001:db8::10");
  {
    LoopbackAddress a(*netlink, lo, v4, nullptr, HostVipForm::local_route),
        b(*netlink, lo, v6, nullptr, HostVipForm::local_route);
    EXPECT_EQ(a.ownership(), Ownership::added);
    EXPECT_TRUE(a.is_route());
    EXPECT_EQ(b.describe(), "2001:db8::10/128 (local route, added)");
    std::string routes = sh("ip route show table local; ip -6 route show table local");
    EXPECT_NE(routes.find("local 192.0.2.10 dev lo proto 172 scope host"), std::string::npos) << routes;
    EXPECT_NE(routes.find("local 2001:db8::10 dev lo proto 172"), std::string::npos) << routes;
    EXPECT_EQ(sh("ip addr show dev lo").find("192.0.2.10"), std::string::npos) << "not an address";
    // The kernel answers them: ping from the namespace itself.
    int status = 0;
    std::string out = sh("ping -c1 -W2 192.0.2.10 && ping -6 -c1 -W2 2001:db8::10", &status);
    EXPECT_EQ(status, 0) << out;

    // IPv4 binds to a local route as to an address; IPv6 needs IPV6_FREEBIND (docs say so).
    int s4 = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    inet_pton(AF_INET, "192.0.2.10", &sin.sin_addr);
    EXPECT_EQ(bind(s4, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0) << std::strerror(errno);
    close(s4);
    int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2001:db8::10", &sin6.sin6_addr);
    EXPECT_NE(bind(s6, reinterpret_cast<sockaddr*>(&sin6), sizeof sin6), 0) << "bound without IPV6_FREEBIND";
    int one = 1;
    ASSERT_EQ(setsockopt(s6, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof one), 0);
    EXPECT_EQ(bind(s6, reinterpret_cast<sockaddr*>(&sin6), sizeof sin6), 0) << std::strerror(errno);
    close(s6);
  }
  std::string routes = sh("ip route show table local proto 0xac; ip -6 route show table local proto 0xac");
  EXPECT_EQ(routes, "") << "left behind";
}

TEST_F(LoopbackTest, FormsAdoptEachOther) {
  Prefix v6 = parse_prefix("2001:db8::10");
  // A crashed instance that used routes; this one uses addresses: it adopts the route as is.
  alignas(LoopbackAddress) static unsigned char crashed[sizeof(LoopbackAddress)];
  new (crashed) LoopbackAddress(*netlink, lo, v6, nullptr, HostVipForm::local_route);
  {
    LoopbackAddress a(*netlink, lo, v6);
    EXPECT_EQ(a.ownership(), Ownership::adopted);
    EXPECT_TRUE(a.is_route());
  }
  EXPECT_EQ(sh("ip -6 route show table local proto 0xac"), "");
  // An operator's local route to the VIP: foreign in the form local_route (the kernel refuses a
  // second), and an address in the form address, as before.
  int status = 0;
  std::string out = sh("ip -6 route add local 2001:db8::10 dev lo table local proto static", &status);
  ASSERT_EQ(status, 0) << out;
  {
    LoopbackAddress a(*netlink, lo, v6, nullptr, HostVipForm::local_route);
    EXPECT_EQ(a.ownership(), Ownership::foreign);
  }
  EXPECT_NE(sh("ip -6 route show table local").find("local 2001:db8::10 dev lo proto static"), std::string::npos);
}

TEST_F(LoopbackTest, AliasSetAddsAndRemovesManyPipelined) {
  const std::size_t count = 4 * NetlinkSocket::kWindow * 16 + 3;  // windows, and a part-window
  std::vector<Prefix> vips = host_vips6(count);
  {
    AliasSet set(*netlink, lo, HostVipForm::local_route);
    set.set(vips);
    EXPECT_EQ(set.aliases().size(), count);
    EXPECT_EQ(count_lines(sh("ip -6 route show table local proto 0xac"), "local 2001:db8:1::"), count);
    EXPECT_NE(set.describe().find(std::to_string(count) + " VIPs in all: " + std::to_string(count) +
                                  " local route, added"),
              std::string::npos)
        << set.describe();
    // Half of them go, the rest stay untouched.
    std::vector<Prefix> half(vips.begin(), vips.begin() + static_cast<std::ptrdiff_t>(count / 2));
    set.set(half);
    EXPECT_EQ(count_lines(sh("ip -6 route show table local proto 0xac"), "local 2001:db8:1::"), count / 2);
  }
  EXPECT_EQ(sh("ip -6 route show table local proto 0xac"), "");
}

TEST_F(LoopbackTest, AliasSetStoppedPartWayRemovesWhatItAdded) {
  std::vector<Prefix> vips = host_vips6(NetlinkSocket::kWindow * 10);
  Prefix kept = parse_prefix("2001:db8:2::1");
  int asked = 0;
  AliasSet set(*netlink, lo, HostVipForm::local_route, [&] { return ++asked < 3; });
  set.set({kept});  // one window: keep_going is not asked
  EXPECT_EQ(asked, 0);
  vips.push_back(kept);
  try {
    set.set(vips);
    FAIL() << "not stopped";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("stopped after adding " + std::to_string(3 * NetlinkSocket::kWindow) + " of " +
                                         std::to_string(10 * NetlinkSocket::kWindow)),
              std::string::npos)
        << e.what();
  }
  // What the stopped call added is gone; what the set held before stays held.
  std::string routes = sh("ip -6 route show table local proto 0xac");
  EXPECT_EQ(count_lines(routes, "local 2001:db8:1::"), 0u) << routes;
  EXPECT_EQ(count_lines(routes, "local 2001:db8:2::1 "), 1u) << routes;
  ASSERT_EQ(set.aliases().size(), 1u);
  EXPECT_EQ(set.aliases()[0].vip(), kept);
}

TEST_F(LoopbackTest, AliasSetFailurePartWayRemovesWhatItAdded) {
  // An operator's address in the set is left alone; a VIP the kernel refuses (a prefix length
  // it has no room for) in the middle fails the whole set, and nothing of ours stays.
  int status = 0;
  std::string out = sh("ip -6 addr add 2001:db8:1::80/128 dev lo", &status);
  ASSERT_EQ(status, 0) << out;
  std::vector<Prefix> vips = host_vips6(NetlinkSocket::kWindow * 3);
  Prefix refused = parse_prefix("2001:db8:3::");
  refused.len = 129;
  vips.insert(vips.begin() + static_cast<std::ptrdiff_t>(NetlinkSocket::kWindow + 5), refused);
  AliasSet set(*netlink, lo, HostVipForm::local_route);
  EXPECT_THROW(set.set(vips), std::runtime_error);
  EXPECT_TRUE(set.empty());
  EXPECT_EQ(sh("ip -6 route show table local proto 0xac"), "");
  EXPECT_NE(sh("ip -6 addr show dev lo").find("2001:db8:1::80/128"), std::string::npos) << "the operator's went";
}

}  // namespace
}  // namespace anycastd
