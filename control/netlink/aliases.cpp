// SPDX-License-Identifier: Apache-2.0
#include "netlink/aliases.h"

#include <algorithm>
#include <map>

namespace anycastd {

void AliasSet::set(const std::vector<Prefix>& vips) {
  LoopbackSnapshot now = LoopbackSnapshot::take(*netlink_, loopback_);
  // Sorted copies for the lookups: a set of 65,536 compared by scanning would cost billions of
  // comparisons.
  std::vector<Prefix> wanted(vips);
  std::sort(wanted.begin(), wanted.end());
  auto is_wanted = [&](const Prefix& vip) { return std::binary_search(wanted.begin(), wanted.end(), vip); };
  // An alias removed behind our back is held no longer: let it go (it is not removed again) so
  // that it is added again below. Without this, announcing again would leave it out. What is no
  // longer wanted is removed (pipelined) at the end, once the new set is in.
  std::vector<LoopbackAddress> kept, unwanted, gone;
  std::vector<Prefix> held;
  for (auto& a : aliases_) {
    if (!now.find(a.vip(), a.is_route() ? HostVipForm::local_route : HostVipForm::address)) {
      gone.push_back(std::move(a));
    } else if (is_wanted(a.vip())) {
      held.push_back(a.vip());
      kept.push_back(std::move(a));
    } else {
      unwanted.push_back(std::move(a));
    }
  }
  aliases_.clear();
  LoopbackAddress::remove_all(gone);  // finds nothing and says so, for the log
  std::sort(held.begin(), held.end());
  std::vector<Prefix> missing;
  for (const Prefix& vip : vips)
    if (!std::binary_search(held.begin(), held.end(), vip)) missing.push_back(vip);
  // All or none: add_all undoes itself on a throw, and `kept` and `unwanted` go back to being
  // held, as they were.
  std::vector<LoopbackAddress> added;
  try {
    added = LoopbackAddress::add_all(*netlink_, loopback_, missing, now, form_, keep_going_);
  } catch (...) {
    for (auto& a : kept) aliases_.push_back(std::move(a));
    for (auto& a : unwanted) aliases_.push_back(std::move(a));
    throw;
  }
  aliases_ = std::move(kept);
  for (auto& a : added) aliases_.push_back(std::move(a));
  LoopbackAddress::remove_all(unwanted);
}

std::string AliasSet::describe() const {
  std::string out;
  for (std::size_t i = 0; i < aliases_.size() && i < kDescribed; ++i)
    out += (out.empty() ? "" : ", ") + aliases_[i].describe();
  if (aliases_.size() <= kDescribed) return out;
  std::map<std::string, std::size_t> kinds;  // "local route, added" -> count
  for (const LoopbackAddress& a : aliases_)
    ++kinds[std::string(a.is_route() ? "local route, " : "address, ") + std::string(to_string(a.ownership()))];
  out += ", ... " + std::to_string(aliases_.size()) + " VIPs in all:";
  bool first = true;
  for (const auto& [kind, count] : kinds) {
    out += std::string(first ? " " : "; ") + std::to_string(count) + " " + kind;
    first = false;
  }
  return out;
}

}  // namespace anycastd
