// SPDX-License-Identifier: Apache-2.0
// The capture filter's match (dataplane/core/capture_match.h), shared by the XDP program and the
// DPDK worker, natively: configurations written here byte by byte (not by control's
// capture_config) against requests' headers, each term alone and together, both families.

#include <cstring>
#include <initializer_list>
#include <vector>

#include <gtest/gtest.h>

#include "native_env.h"
#include "capture_match.h"

namespace anycastd::test {
namespace {

// A prefix from its bytes and its mask's bytes (4 for IPv4, 16 for IPv6).
ac_capture_prefix prefix(std::initializer_list<std::uint8_t> net, std::initializer_list<std::uint8_t> mask) {
  ac_capture_prefix p{};
  p.is_ip6 = net.size() == 16;
  std::vector<std::uint8_t> n(net), m(mask);
  std::memcpy(p.net, n.data(), n.size());
  std::memcpy(p.mask, m.data(), m.size());
  return p;
}

std::uint16_t port_be(std::uint8_t hi, std::uint8_t lo) {
  const std::uint8_t b[2] = {hi, lo};
  std::uint16_t v;
  std::memcpy(&v, b, 2);
  return v;
}

// A request's headers as the parser leaves them: 198.51.100.7:40000 -> 192.0.2.53:53 (or
// 2001:db8:0:80ff::7 -> 2001:db8:0:8001::53), within a frame of its own.
struct Request {
  std::vector<std::uint8_t> frame = std::vector<std::uint8_t>(128);
  ac_headers h{};

  explicit Request(bool ip6) {
    h.is_ip6 = ip6;
    if (ip6) {
      h.ip6 = reinterpret_cast<ac_ipv6hdr*>(frame.data() + 14);
      const std::uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0x80, 0xff, 0, 0, 0, 0, 0, 0, 0, 7};
      const std::uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x53};
      std::memcpy(frame.data() + 14 + 8, src, 16);
      std::memcpy(frame.data() + 14 + 24, dst, 16);
      h.udp = reinterpret_cast<ac_udphdr*>(frame.data() + 14 + 40);
    } else {
      h.ip4 = reinterpret_cast<ac_iphdr*>(frame.data() + 14);
      const std::uint8_t addrs[8] = {198, 51, 100, 7, 192, 0, 2, 53};
      std::memcpy(frame.data() + 14 + 12, addrs, 8);
      h.udp = reinterpret_cast<ac_udphdr*>(frame.data() + 14 + 20);
    }
    const std::uint8_t ports[4] = {0x9c, 0x40, 0, 53};  // 40000, 53
    std::memcpy(h.udp, ports, 4);
  }
};

ac_capture_config on(std::uint32_t flags = 0) {
  ac_capture_config c{};
  c.flags = AC_CAPTURE_F_ON | flags;
  return c;
}

TEST(CaptureMatch, OffWantsNothingOnWithoutTermsWantsAll) {
  Request r4(false), r6(true);
  ac_capture_config off{};
  off.flags = AC_CAPTURE_F_VIP;  // terms without the switch are still off
  off.vip = prefix({192, 0, 2, 53}, {255, 255, 255, 255});
  EXPECT_FALSE(ac_capture_match(&off, &r4.h));
  const ac_capture_config all = on();
  EXPECT_TRUE(ac_capture_match(&all, &r4.h));
  EXPECT_TRUE(ac_capture_match(&all, &r6.h));
}

TEST(CaptureMatch, VipIsTheDestination) {
  Request r(false);
  ac_capture_config c = on(AC_CAPTURE_F_VIP);
  c.vip = prefix({192, 0, 2, 53}, {255, 255, 255, 255});
  EXPECT_TRUE(ac_capture_match(&c, &r.h));
  c.vip = prefix({192, 0, 2, 0}, {255, 255, 255, 0});
  EXPECT_TRUE(ac_capture_match(&c, &r.h));
  c.vip = prefix({192, 0, 2, 54}, {255, 255, 255, 255});
  EXPECT_FALSE(ac_capture_match(&c, &r.h));
  c.vip = prefix({198, 51, 100, 7}, {255, 255, 255, 255});  // the source is not the VIP
  EXPECT_FALSE(ac_capture_match(&c, &r.h));
}

TEST(CaptureMatch, SrcIsTheClient) {
  Request r(false);
  ac_capture_config c = on(AC_CAPTURE_F_SRC);
  c.src = prefix({198, 51, 100, 0}, {255, 255, 255, 0});
  EXPECT_TRUE(ac_capture_match(&c, &r.h));
  c.src = prefix({198, 51, 101, 0}, {255, 255, 255, 0});
  EXPECT_FALSE(ac_capture_match(&c, &r.h));
  c.src = prefix({0, 0, 0, 0}, {0, 0, 0, 0});  // 0.0.0.0/0
  EXPECT_TRUE(ac_capture_match(&c, &r.h));
}

TEST(CaptureMatch, PortIsEitherEnd) {
  Request r(false);
  ac_capture_config c = on(AC_CAPTURE_F_PORT);
  c.port = port_be(0, 53);
  EXPECT_TRUE(ac_capture_match(&c, &r.h));
  c.port = port_be(0x9c, 0x40);  // the client's port, as tcpdump's `port`
  EXPECT_TRUE(ac_capture_match(&c, &r.h));
  c.port = port_be(0, 123);
  EXPECT_FALSE(ac_capture_match(&c, &r.h));
  c.port = port_be(53, 0);  // byte order matters
  EXPECT_FALSE(ac_capture_match(&c, &r.h));
}

TEST(CaptureMatch, EveryTermMustMatch) {
  Request r(false);
  ac_capture_config c = on(AC_CAPTURE_F_VIP | AC_CAPTURE_F_SRC | AC_CAPTURE_F_PORT);
  c.vip = prefix({192, 0, 2, 53}, {255, 255, 255, 255});
  c.src = prefix({198, 51, 100, 0}, {255, 255, 255, 0});
  c.port = port_be(0, 53);
  EXPECT_TRUE(ac_capture_match(&c, &r.h));
  c.port = port_be(0, 7);
  EXPECT_FALSE(ac_capture_match(&c, &r.h));
  c.port = port_be(0, 53);
  c.src = prefix({203, 0, 113, 0}, {255, 255, 255, 0});
  EXPECT_FALSE(ac_capture_match(&c, &r.h));
}

TEST(CaptureMatch, Ipv6PrefixesWordByWord) {
  Request r6(true), r4(false);
  ac_capture_config c = on(AC_CAPTURE_F_VIP);
  // 2001:db8:0:8000::/49: the mask ends inside the second word.
  c.vip = prefix({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                 {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_TRUE(ac_capture_match(&c, &r6.h));
  EXPECT_FALSE(ac_capture_match(&c, &r4.h)) << "an IPv6 VIP never matches IPv4";
  // 2001:db8:0:0::/49 leaves the 0x80 bit out.
  c.vip = prefix({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                 {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_FALSE(ac_capture_match(&c, &r6.h));
  // The last word decides: 2001:db8:0:8001::53/128, and ::54.
  c.vip = prefix({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x53},
                 {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  EXPECT_TRUE(ac_capture_match(&c, &r6.h));
  c.vip.net[3] ^= 0x07000000u | 0x00000007u;  // flips bits of the last byte whichever the byte order
  EXPECT_FALSE(ac_capture_match(&c, &r6.h));
  c = on(AC_CAPTURE_F_SRC);
  c.src = prefix({198, 51, 100, 0}, {255, 255, 255, 0});
  EXPECT_FALSE(ac_capture_match(&c, &r6.h)) << "an IPv4 client never matches IPv6";
}

TEST(CaptureMatch, NothingWithoutUdp) {
  Request r(false);
  r.h.udp = nullptr;
  const ac_capture_config all = on();
  EXPECT_FALSE(ac_capture_match(&all, &r.h));
}

}  // namespace
}  // namespace anycastd::test
