// SPDX-License-Identifier: Apache-2.0
#include "base/prefix.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace anycastd {
namespace {

TEST(Prefix, HostAddresses) {
  Prefix v4 = parse_prefix("192.0.2.10");
  EXPECT_EQ(v4.family, 4);
  EXPECT_EQ(v4.len, 32);
  EXPECT_TRUE(v4.is_host());
  EXPECT_EQ(v4.addr[0], 192);
  EXPECT_EQ(v4.addr[3], 10);
  EXPECT_EQ(v4.str(), "192.0.2.10/32");

  Prefix v6 = parse_prefix("2001:db8::10");
  EXPECT_EQ(v6.family, 6);
  EXPECT_EQ(v6.len, 128);
  EXPECT_TRUE(v6.is_host());
  EXPECT_EQ(v6.addr[0], 0x20);
  EXPECT_EQ(v6.addr[15], 0x10);
  EXPECT_EQ(v6.str(), "2001:db8::10/128");
}

TEST(Prefix, Prefixes) {
  Prefix p = parse_prefix("203.0.113.0/24");
  EXPECT_EQ(p.len, 24);
  EXPECT_FALSE(p.is_host());
  const std::uint8_t inside[4] = {203, 0, 113, 77}, outside[4] = {203, 0, 114, 1};
  EXPECT_TRUE(p.contains(inside));
  EXPECT_FALSE(p.contains(outside));

  Prefix q = parse_prefix("2001:db8:ffff::/48");
  EXPECT_EQ(q.len, 48);
  EXPECT_EQ(q.str(), "2001:db8:ffff::/48");
  Prefix odd = parse_prefix("198.51.100.128/25");
  const std::uint8_t high[4] = {198, 51, 100, 200}, low[4] = {198, 51, 100, 1};
  EXPECT_TRUE(odd.contains(high));
  EXPECT_FALSE(odd.contains(low));

  EXPECT_EQ(parse_prefix("0.0.0.0/0").len, 0);
  EXPECT_EQ(parse_prefix("192.0.2.10/32"), parse_prefix("192.0.2.10"));
}

TEST(Prefix, Rejects) {
  for (const char* bad : {"", "/24", "192.0.2", "192.0.2.256", "192.0.2.0/", "192.0.2.0/33", "192.0.2.0/-1",
                          "192.0.2.0/24x", "192.0.2.0/ 24", "2001:db8::/129", "2001:db8::g", "192.0.2.1/24",
                          "2001:db8::1/64", "eth0", " 192.0.2.1"}) {
    EXPECT_THROW(parse_prefix(bad), std::invalid_argument) << bad;
  }
  try {
    parse_prefix("192.0.2.1/24");
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "\"192.0.2.1/24\": host bits are set; the prefix is 192.0.2.0/24");
  }
}

}  // namespace
}  // namespace anycastd
