// SPDX-License-Identifier: Apache-2.0
#include "datapath/vip_series.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace anycastd {

std::vector<VipEntry> in_config_order(const std::vector<VipEntry>& vips, const std::vector<Prefix>& order) {
  std::map<Prefix, std::size_t> rank;
  for (std::size_t i = 0; i < order.size(); ++i) rank.emplace(order[i], i);
  std::vector<VipEntry> out = vips;
  std::stable_sort(out.begin(), out.end(), [&](const VipEntry& a, const VipEntry& b) {
    auto ra = rank.find(a.prefix), rb = rank.find(b.prefix);
    return (ra == rank.end() ? order.size() : ra->second) < (rb == rank.end() ? order.size() : rb->second);
  });
  return out;
}

std::vector<std::uint32_t> assign_vip_series(std::vector<VipEntry>& vips, const std::vector<VipEntry>& held,
                                             std::uint32_t cap, const std::vector<Prefix>& order) {
  if (cap > AC_VIP_SERIES_MAX) throw std::invalid_argument("more VIP series than AC_VIP_SERIES_MAX");
  std::map<Prefix, std::uint32_t> before;
  std::vector<bool> taken(AC_VIP_STATS_OTHER, false);
  for (const VipEntry& v : held)
    if (v.value.stats < AC_VIP_STATS_OTHER) {
      before.emplace(v.prefix, v.value.stats);
      taken[v.value.stats] = true;  // packets may still count there until the new set is in
    }

  // Kept entries first, so that a new VIP never takes one a VIP further down keeps.
  const std::vector<VipEntry> ordered = in_config_order(vips, order);
  std::map<Prefix, std::uint32_t> now;
  std::vector<Prefix> fresh_vips;
  for (const VipEntry& v : ordered) {
    const Prefix& p = v.prefix;
    if (now.count(p)) continue;  // the same prefix twice: one series
    if (now.size() >= cap) {
      now.emplace(p, AC_VIP_STATS_OTHER);
      continue;
    }
    auto kept = before.find(p);
    if (kept != before.end()) {
      now.emplace(p, kept->second);
    } else {
      now.emplace(p, AC_VIP_STATS_OTHER);  // placeholder, given an entry below
      fresh_vips.push_back(p);
    }
  }
  std::vector<std::uint32_t> fresh;
  std::uint32_t next = 0;
  for (const Prefix& p : fresh_vips) {
    // 2 * AC_VIP_SERIES_MAX entries, at most AC_VIP_SERIES_MAX held and as many now: one is
    // free, unless what a restart in place read back was not ours; then the shared series.
    while (next < AC_VIP_STATS_OTHER && taken[next]) ++next;
    if (next == AC_VIP_STATS_OTHER) continue;
    taken[next] = true;
    now[p] = next;
    fresh.push_back(next);
  }
  for (VipEntry& v : vips) v.value.stats = now.at(v.prefix);
  return fresh;
}

}  // namespace anycastd
