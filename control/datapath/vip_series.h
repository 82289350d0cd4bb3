// SPDX-License-Identifier: Apache-2.0
#pragma once

// Which per-VIP counter entry (abi.h ac_vip_value.stats) each VIP counts into.
//
// The first `cap` VIPs in configuration order get an entry of their own, the rest share
// AC_VIP_STATS_OTHER. A VIP that already had an entry in the set the fast path holds keeps it,
// so its count carries on across reloads and restarts in place; a new one takes the lowest entry
// that neither that set nor the new one uses, which no packet is counting into, so the datapath
// zeroes it before publishing the set (FastpathTables::vip_stats_fresh). A removed VIP's entry is
// left as it was until a later reload hands it out, zeroed then.

#include <cstdint>
#include <vector>

#include "tables/fastpath_tables.h"

namespace anycastd {

// `vips` stably sorted into `order` (the configured prefixes, in configuration order): listed
// ones by their first place there, the others (a group draining after a reload removed it) after
// them, as they were. The table set's own order follows the groups as they run, which a reload
// changes (a changed group starts anew, last).
std::vector<VipEntry> in_config_order(const std::vector<VipEntry>& vips, const std::vector<Prefix>& order);

// Sets .stats of every VIP in `vips`, the first `cap` of them in `order` (as in_config_order)
// their own, given `held`, the set the fast path holds now (its .stats as written then; a restart
// in place reads them back from the fast path), and returns the entries newly taken. `cap` is at
// most AC_VIP_SERIES_MAX.
std::vector<std::uint32_t> assign_vip_series(std::vector<VipEntry>& vips, const std::vector<VipEntry>& held,
                                             std::uint32_t cap, const std::vector<Prefix>& order);

}  // namespace anycastd
