// SPDX-License-Identifier: Apache-2.0
// The dampening penalties handed to the next image by `anycastctl restart` (ANYCASTD_DAMPENING).
#include "daemon/handover.h"

#include <gtest/gtest.h>

namespace anycastd {
namespace {

TEST(Handover, PenaltiesRoundTrip) {
  std::map<std::string, HandedPenalty> in{{"dns", {1977.25, true}}, {"ntp-edge", {12.5, false}}};
  std::string text = penalties_text(in);
  EXPECT_EQ(text, "dns=1977.250:1,ntp-edge=12.500:0");
  auto out = parse_penalties(text);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_DOUBLE_EQ(out["dns"].penalty, 1977.25);
  EXPECT_TRUE(out["dns"].suppressed);
  EXPECT_DOUBLE_EQ(out["ntp-edge"].penalty, 12.5);
  EXPECT_FALSE(out["ntp-edge"].suppressed);
  EXPECT_TRUE(parse_penalties("").empty());
}

TEST(Handover, MalformedPenaltiesAreSkippedNotFatal) {
  auto out = parse_penalties("dns=abc:1,=5:0,ntp=5:2,echo=-1:0,ok=7:0,nan=nan:1,,x");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(out["ok"].penalty, 7.0);
}

}  // namespace
}  // namespace anycastd
