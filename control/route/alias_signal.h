// SPDX-License-Identifier: Apache-2.0
#pragma once

// The `alias` route signal: the group's loopback aliases are the announcement. A router that
// tracks them (a static route with IP SLA probing the VIP, or a routing daemon exporting the
// loopback's addresses with a `direct` protocol) follows their presence. TCP to a VIP stops the
// moment its alias goes; the fast path keeps answering UDP for drain_ms after that.

#include "netlink/aliases.h"
#include "route/route_signal.h"

namespace anycastd {

class AliasSignal final : public RouteSignal {
 public:
  // `aliases` is the group's set and must outlive the signal.
  explicit AliasSignal(AliasSet& aliases);

  SignalKind kind() const override { return SignalKind::alias; }
  bool carries_alias() const override { return true; }
  void announce(const RouteGroup& group, RouteState state, const RouteAttributes& attributes) override;
  void withdraw(const RouteGroup& group) override;
  SignalProbe probe(const RouteGroup& group) override;

 private:
  AliasSet* aliases_;
};

}  // namespace anycastd
