// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "netlink/netlink.h"

namespace anycastd {

// The loopback aliases of one group, put up and taken down together: a group is announced by
// its aliases (alias signal) or needs all of them to answer TCP (routing-daemon signals), so
// half a set is never left behind.
class AliasSet {
 public:
  AliasSet(NetlinkSocket& netlink, Interface loopback) : netlink_(&netlink), loopback_(std::move(loopback)) {}

  // Makes exactly `vips` local, adopting marked leftovers; all or none: on failure what this
  // call added is removed again and std::runtime_error says which VIP failed and why.
  void set(const std::vector<Prefix>& vips);
  void clear() { aliases_.clear(); }
  bool empty() const { return aliases_.empty(); }
  const std::vector<LoopbackAddress>& aliases() const { return aliases_; }
  const Interface& loopback() const { return loopback_; }
  NetlinkSocket& netlink() const { return *netlink_; }
  std::string describe() const;  // "192.0.2.10/32 (added), 2001:db8::10/128 (adopted)"

 private:
  NetlinkSocket* netlink_;
  Interface loopback_;
  std::vector<LoopbackAddress> aliases_;
};

}  // namespace anycastd
