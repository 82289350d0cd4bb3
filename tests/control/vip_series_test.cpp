// SPDX-License-Identifier: Apache-2.0
// Which per-VIP counter entry each VIP counts into (datapath/vip_series.h): the first `cap` VIPs
// in order their own, the rest the shared one; a VIP that stays keeps its entry across reloads
// (and a restart in place, which passes the set read back from the fast path as `held`); a new
// VIP takes the lowest entry that neither the held set nor the new one uses, listed as fresh.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "datapath/vip_series.h"

namespace anycastd {
namespace {

std::vector<VipEntry> vips(std::initializer_list<const char*> prefixes) {
  std::vector<VipEntry> out;
  for (const char* p : prefixes) out.push_back({parse_prefix(p), ac_vip_value{AC_VIP_F_ANSWERING, 1, 0, 0}});
  return out;
}

std::map<std::string, std::uint32_t> entries(const std::vector<VipEntry>& v) {
  std::map<std::string, std::uint32_t> out;
  for (const VipEntry& e : v) out[e.prefix.str()] = e.value.stats;
  return out;
}

constexpr std::uint32_t kOther = AC_VIP_STATS_OTHER;

TEST(VipSeries, FirstStartNumbersInOrderAndAllAreFresh) {
  std::vector<VipEntry> now = vips({"192.0.2.1", "192.0.2.0/24", "2001:db8::1"});
  EXPECT_EQ(assign_vip_series(now, {}, 256, {}), (std::vector<std::uint32_t>{0, 1, 2}));
  EXPECT_EQ(entries(now), (std::map<std::string, std::uint32_t>{
                              {"192.0.2.1/32", 0}, {"192.0.2.0/24", 1}, {"2001:db8::1/128", 2}}));
}

TEST(VipSeries, AboveTheCapShareOther) {
  std::vector<VipEntry> now = vips({"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"});
  EXPECT_EQ(assign_vip_series(now, {}, 2, {}), (std::vector<std::uint32_t>{0, 1}));
  EXPECT_EQ(entries(now), (std::map<std::string, std::uint32_t>{
                              {"192.0.2.1/32", 0}, {"192.0.2.2/32", 1}, {"192.0.2.3/32", kOther}, {"192.0.2.4/32", kOther}}));
  std::vector<VipEntry> none = vips({"192.0.2.1"});
  EXPECT_TRUE(assign_vip_series(none, {}, 0, {}).empty());
  EXPECT_EQ(none[0].value.stats, kOther);
}

TEST(VipSeries, AReloadKeepsStayingVipsAndNeverReusesAnEntryItFrees) {
  std::vector<VipEntry> first = vips({"192.0.2.1", "192.0.2.2", "192.0.2.3"});
  assign_vip_series(first, {}, 256, {});
  // 192.0.2.1 leaves, 192.0.2.9 comes: the others keep 1 and 2; the new one takes 3, not 0,
  // which packets matching the old set may still count into.
  std::vector<VipEntry> second = vips({"192.0.2.2", "192.0.2.9", "192.0.2.3"});
  EXPECT_EQ(assign_vip_series(second, first, 256, {}), (std::vector<std::uint32_t>{3}));
  EXPECT_EQ(entries(second), (std::map<std::string, std::uint32_t>{
                                 {"192.0.2.2/32", 1}, {"192.0.2.9/32", 3}, {"192.0.2.3/32", 2}}));
  // The next reload may hand out 0 again: fresh, so zeroed before use.
  std::vector<VipEntry> third = vips({"192.0.2.2", "192.0.2.9", "192.0.2.3", "198.51.100.1"});
  EXPECT_EQ(assign_vip_series(third, second, 256, {}), (std::vector<std::uint32_t>{0}));
  EXPECT_EQ(entries(third)["198.51.100.1/32"], 0u);
  // Nothing changed: nothing fresh, every entry kept.
  std::vector<VipEntry> same = third;
  EXPECT_TRUE(assign_vip_series(same, third, 256, {}).empty());
  EXPECT_EQ(entries(same), entries(third));
}

TEST(VipSeries, ACapLoweredAndRaised) {
  std::vector<VipEntry> first = vips({"192.0.2.1", "192.0.2.2", "192.0.2.3"});
  assign_vip_series(first, {}, 3, {});
  std::vector<VipEntry> lowered = vips({"192.0.2.1", "192.0.2.2", "192.0.2.3"});
  EXPECT_TRUE(assign_vip_series(lowered, first, 1, {}).empty());
  EXPECT_EQ(entries(lowered), (std::map<std::string, std::uint32_t>{
                                  {"192.0.2.1/32", 0}, {"192.0.2.2/32", kOther}, {"192.0.2.3/32", kOther}}));
  // Raised again: the two get entries anew, none that the held set uses, counted from zero.
  std::vector<VipEntry> raised = vips({"192.0.2.1", "192.0.2.2", "192.0.2.3"});
  EXPECT_EQ(assign_vip_series(raised, lowered, 3, {}), (std::vector<std::uint32_t>{1, 2}));
}

// The table set lists the VIPs as the groups run (a group a reload changed starts anew, last);
// the cap goes by the configuration's order, and VIPs no longer configured (draining) come last.
TEST(VipSeries, TheCapFollowsTheConfigurationsOrder) {
  std::vector<VipEntry> now = vips({"192.0.2.3", "192.0.2.9", "192.0.2.1", "192.0.2.2"});
  const std::vector<Prefix> order = {parse_prefix("192.0.2.1"), parse_prefix("192.0.2.2"), parse_prefix("192.0.2.3")};
  EXPECT_EQ(assign_vip_series(now, {}, 2, order), (std::vector<std::uint32_t>{0, 1}));
  EXPECT_EQ(entries(now), (std::map<std::string, std::uint32_t>{
                              {"192.0.2.1/32", 0}, {"192.0.2.2/32", 1}, {"192.0.2.3/32", kOther}, {"192.0.2.9/32", kOther}}));
  std::vector<VipEntry> sorted = in_config_order(now, order);
  std::vector<std::string> names;
  for (const VipEntry& v : sorted) names.push_back(v.prefix.str());
  EXPECT_EQ(names, (std::vector<std::string>{"192.0.2.1/32", "192.0.2.2/32", "192.0.2.3/32", "192.0.2.9/32"}));
}

TEST(VipSeries, APrefixListedTwiceIsOneSeries) {
  std::vector<VipEntry> now = vips({"192.0.2.1", "192.0.2.1", "192.0.2.2"});
  EXPECT_EQ(assign_vip_series(now, {}, 2, {}), (std::vector<std::uint32_t>{0, 1}));
  EXPECT_EQ(now[0].value.stats, 0u);
  EXPECT_EQ(now[1].value.stats, 0u);
  EXPECT_EQ(now[2].value.stats, 1u);
}

TEST(VipSeries, TheLargestSetsAlwaysFindAFreeEntry) {
  std::vector<VipEntry> first, second;
  for (unsigned i = 0; i < AC_VIP_SERIES_MAX; ++i) {
    first.push_back({parse_prefix("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256)), {}});
    second.push_back({parse_prefix("10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256)), {}});
  }
  assign_vip_series(first, {}, AC_VIP_SERIES_MAX, {});
  // Every VIP replaced at once: the new ones take the other half of the entries.
  std::vector<std::uint32_t> fresh = assign_vip_series(second, first, AC_VIP_SERIES_MAX, {});
  ASSERT_EQ(fresh.size(), AC_VIP_SERIES_MAX);
  EXPECT_EQ(fresh.front(), AC_VIP_SERIES_MAX);
  EXPECT_EQ(fresh.back(), 2 * AC_VIP_SERIES_MAX - 1);
  EXPECT_THROW(assign_vip_series(second, first, AC_VIP_SERIES_MAX + 1, {}), std::invalid_argument);
}

}  // namespace
}  // namespace anycastd
