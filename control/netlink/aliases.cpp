// SPDX-License-Identifier: Apache-2.0
#include "netlink/aliases.h"

#include <algorithm>

namespace anycastd {

void AliasSet::set(const std::vector<Prefix>& vips) {
  auto held = [&](const Prefix& vip) {
    return std::any_of(aliases_.begin(), aliases_.end(), [&](const LoopbackAddress& a) { return a.vip() == vip; });
  };
  LoopbackSnapshot now = LoopbackSnapshot::take(*netlink_, loopback_);
  // An alias removed behind our back is held no longer: let it go (its removal finds nothing and
  // says so) so that it is added again below. Without this, announcing again would leave it out.
  if (std::any_of(aliases_.begin(), aliases_.end(), [&](const LoopbackAddress& a) { return !now.find(a.vip()); })) {
    std::vector<LoopbackAddress> present;
    for (auto& a : aliases_)
      if (now.find(a.vip())) present.push_back(std::move(a));
    aliases_.clear();
    aliases_ = std::move(present);
  }
  // Added first and committed last: a throw destroys `added`, which removes what it holds, and
  // leaves the set as it was.
  std::vector<LoopbackAddress> added;
  for (const Prefix& vip : vips)
    if (!held(vip)) added.emplace_back(*netlink_, loopback_, vip, &now);
  // LoopbackAddress moves but does not assign: rebuild rather than erase. What stays behind in
  // the old vector is no longer wanted and is removed as it goes.
  std::vector<LoopbackAddress> next;
  next.reserve(aliases_.size() + added.size());
  for (auto& a : aliases_)
    if (std::find(vips.begin(), vips.end(), a.vip()) != vips.end()) next.push_back(std::move(a));
  for (auto& a : added) next.push_back(std::move(a));
  aliases_.clear();
  aliases_ = std::move(next);
}

std::string AliasSet::describe() const {
  std::string out;
  for (const auto& a : aliases_) out += (out.empty() ? "" : ", ") + a.describe();
  return out;
}

}  // namespace anycastd
