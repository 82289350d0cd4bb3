// SPDX-License-Identifier: Apache-2.0
#include <set>

#include "status/status.h"

namespace anycastd {

std::vector<VipCounterStatus> vip_counter_status(const std::vector<VipEntry>& vips,
                                                 const std::vector<ac_vip_stats>& stats,
                                                 const std::vector<std::string>& group_names, std::uint32_t& over_cap) {
  over_cap = 0;
  std::vector<VipCounterStatus> out;
  if (stats.size() != AC_VIP_STATS_ENTRIES) return out;
  auto fill = [&](VipCounterStatus& s, std::uint32_t entry) {
    s.answered = stats[entry].action[AC_ACT_ANSWER];
    s.passed = stats[entry].action[AC_ACT_PASS];
    s.dropped = stats[entry].action[AC_ACT_DROP];
  };
  std::set<Prefix> seen;  // a prefix listed twice is one series
  for (const VipEntry& v : vips) {
    if (!seen.insert(v.prefix).second) continue;
    if (v.value.stats >= AC_VIP_STATS_OTHER) {
      ++over_cap;
      continue;
    }
    VipCounterStatus s;
    s.vip = v.prefix.str();
    if (v.value.group < group_names.size()) s.group = group_names[v.value.group];
    fill(s, v.value.stats);
    out.push_back(std::move(s));
  }
  if (over_cap) {
    VipCounterStatus other;
    other.vip = "other";
    fill(other, AC_VIP_STATS_OTHER);
    out.push_back(std::move(other));
  }
  return out;
}

}  // namespace anycastd
