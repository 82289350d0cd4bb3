// SPDX-License-Identifier: Apache-2.0
#pragma once

// The `exabgp` route signal: ExaBGP 4.2 announces and withdraws the group's VIPs on command,
// through its named pipes (exabgp_pipe.h).
//
// Why the named pipes and not an ExaBGP `process`. A process is a child ExaBGP starts and
// whose stdout it reads: anycastd would have to be that child (ExaBGP then owns anycastd's
// life, its restarts and its user; an upgrade of either restarts both) or run a relay that
// ExaBGP starts and that talks to anycastd (one more moving part, and a second channel to keep
// in step). The pipes need nothing from ExaBGP's config, are what Debian's exabgp.service sets
// up already, and report ExaBGP's absence at once (opening BASE.in for writing fails with ENXIO
// when nobody reads it), where a dead process pipe would only show as silence. What the pipes
// do not give: ExaBGP keeps the routes when anycastd dies (as BIRD keeps its protocols
// enabled), so a crashed anycastd must leave answering in place (pinned XDP, aliases) until it
// is back, and ExaBGP forgets them when it restarts: probe() tells, the driver re-announces.
//
// Commands, one per address family present, all written in one go (ExaBGP 4.2.21 takes them
// without a `neighbor` selector and applies them to every configured neighbor):
//   announce attributes next-hop NH4 [local-preference L] [med M] [as-path [AS ...]]
//            [community [C ...]] [large-community [GA:LD1:LD2 ...]] nlri P1 P2 ...
//   withdraw attributes next-hop NH4 nlri P1 P2 ...
// with an explicit next hop per family: `next-hop self` sends 0.0.0.0 as the IPv6 next hop
// over an IPv4 session and BIRD drops the route, and a withdraw without a next hop made
// ExaBGP 4.2.21 reset the session (both seen here).

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "config/settings.h"
#include "route/exabgp_pipe.h"
#include "route/route_signal.h"

namespace anycastd {


class ExabgpSignal final : public RouteSignal {
 public:
  // Throws std::invalid_argument for a next hop that is not an address of its family or a
  // community ExaBGP would not take.
  explicit ExabgpSignal(ExabgpSignalConfig config);

  SignalKind kind() const override { return SignalKind::exabgp; }
  // Also withdraws what an earlier announce() sent and the group no longer has (a reload
  // removed a VIP), in the same write.
  // Moving between states is announcing again with the new attributes: ExaBGP replaces the
  // route's attributes in place (an implicit withdraw of the old path, RFC 4271 3.1).
  void announce(const RouteGroup& group, RouteState state, const RouteAttributes& attributes) override;
  // Withdraws the group's VIPs and whatever else this signal announced.
  void withdraw(const RouteGroup& group) override;
  bool carries(RouteState) const override { return true; }
  // `show neighbor summary` and `show adj-rib out extensive`: which of the group's VIPs ExaBGP
  // holds for its neighbors, tagged or not, and how many neighbors are established.
  SignalProbe probe(const RouteGroup& group) override;
  std::vector<std::string> config_problems(const RouteGroup& group) const override;

  const ExabgpSignalConfig& config() const { return config_; }

 private:
  void send(const RouteGroup& group, std::string_view action, const std::vector<std::string>& commands);

  ExabgpSignalConfig config_;
  ExabgpPipe pipe_;
  std::set<Prefix> announced_;  // what ExaBGP may hold from us: withdrawn on withdraw()
};

enum class ExabgpVerb { announce, withdraw };

// The API lines for `prefixes`, IPv4 first, one line per family present (exposed for tests).
// Attributes only on announcements: the config's communities, then the state's. Throws
// RouteSignalError when a family present has no next hop configured.
std::vector<std::string> exabgp_commands(ExabgpVerb verb, const std::vector<Prefix>& prefixes,
                                         const ExabgpSignalConfig& config, const RouteAttributes& attributes);

}  // namespace anycastd
