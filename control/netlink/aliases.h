// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "netlink/netlink.h"

namespace anycastd {

// The loopback aliases of one group, put up and taken down together: a group is announced by
// its aliases (alias signal) or needs all of them to answer TCP (routing-daemon signals), so
// half a set is never left behind. Added and removed pipelined (LoopbackAddress::add_all), so a
// set of 65,536 costs a few hundred system calls, not 65,536 round trips.
class AliasSet {
 public:
  // `keep_going` is asked between windows of requests while adding: the daemon serves its
  // signals and control socket there, and says stop when it is stopping.
  AliasSet(NetlinkSocket& netlink, Interface loopback, HostVipForm form = HostVipForm::address,
           std::function<bool()> keep_going = {})
      : netlink_(&netlink), loopback_(std::move(loopback)), form_(form), keep_going_(std::move(keep_going)) {}
  ~AliasSet() { clear(); }
  AliasSet(const AliasSet&) = delete;
  AliasSet& operator=(const AliasSet&) = delete;

  // Makes exactly `vips` local, adopting marked leftovers; all or none: on failure, or when
  // keep_going says stop, what this call added is removed again and std::runtime_error says
  // which VIP failed and why.
  void set(const std::vector<Prefix>& vips);
  void clear() { LoopbackAddress::remove_all(aliases_); aliases_.clear(); }
  bool empty() const { return aliases_.empty(); }
  const std::vector<LoopbackAddress>& aliases() const { return aliases_; }
  const Interface& loopback() const { return loopback_; }
  HostVipForm form() const { return form_; }
  NetlinkSocket& netlink() const { return *netlink_; }
  // "192.0.2.10/32 (added), 2001:db8::10/128 (adopted)"; past kDescribed VIPs, the first ones
  // and a count of each kind (a status line, not a listing of 65,536).
  std::string describe() const;
  static constexpr std::size_t kDescribed = 8;

 private:
  NetlinkSocket* netlink_;
  Interface loopback_;
  HostVipForm form_;
  std::function<bool()> keep_going_;
  std::vector<LoopbackAddress> aliases_;
};

}  // namespace anycastd
