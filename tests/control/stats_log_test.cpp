// SPDX-License-Identifier: Apache-2.0
#include "status/stats_log.h"

#include <gtest/gtest.h>

namespace anycastd {
namespace {

TEST(StatsLog, OnlyNonzeroCountersByName) {
  ac_stats s{};
  s.action[AC_ACT_ANSWER] = 12;
  s.action[AC_ACT_PASS] = 3;
  s.pass[AC_PASS_NOT_UDP] = 2;
  s.pass[AC_PASS_PORT_UNKNOWN] = 1;
  s.answered[AC_SVC_ECHO] = 12;
  s.answered_bytes[AC_SVC_ECHO] = 560;
  auto lines = describe_stats(s);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "actions: answer=12 pass=3");
  EXPECT_EQ(lines[1], "passed: not_udp=2 port_unknown=1");
  EXPECT_EQ(lines[2], "answered: echo=12 (560 bytes)");
}

TEST(StatsLog, NothingSeen) {
  auto lines = describe_stats(ac_stats{});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "no packets seen");
}

}  // namespace
}  // namespace anycastd
