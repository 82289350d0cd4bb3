// SPDX-License-Identifier: Apache-2.0
#pragma once

// The `bird` route signal: a running BIRD 2 announces the group's VIPs from static protocols
// that anycastd switches on and off over BIRD's control socket.
//
//   announce up        enable "P" for each protocol P, then disable "D" for each degraded
//                      protocol D and "G" for each draining (graceful-shutdown) protocol G
//   announce degraded  enable "P", enable "D", then disable "G"
//   announce draining  enable "P", enable "G", then disable "D"
//   withdraw           disable "P", then disable "D" and "G" (in that order: the state's routes
//                      stay the ones announced until the last, and the up ones are never
//                      re-advertised)
// The state's protocols carry the same routes with a higher preference and an import filter
// setting the state's attributes, so enabling them first and disabling the others after moves
// the routes from one state to the next without a gap. The attributes live in BIRD's config:
// anycastd's [route.degraded] etc. are refused for bird (route_attributes_problem).
//
// The protocols are `disabled;` in BIRD's own config, so BIRD starts with the group withdrawn
// and a BIRD restarted under a healthy anycastd stays withdrawn until told otherwise. A static
// protocol has one channel, so a group with IPv4 and IPv6 VIPs has (at least) two: list them
// all, or give a BIRD pattern ("anycast_vips*"). Every command of a call goes over one
// connection, back to back. examples/bird/ has the configs; docs/route-signals.md the why.
//
// Mind `birdc configure`: BIRD then applies `disabled;` again and the group is withdrawn behind
// anycastd's back. probe() sees it (the protocols are down while the group is up); the driver
// re-announces.

#include <chrono>
#include <string>
#include <vector>

#include "base/refusal.h"
#include "config/settings.h"
#include "route/route_signal.h"

namespace anycastd {


class BirdSignal final : public RouteSignal {
 public:
  // Throws std::invalid_argument with bird_signal_problem's text (config/settings.h).
  explicit BirdSignal(BirdSignalConfig config);

  SignalKind kind() const override { return SignalKind::bird; }
  void announce(const RouteGroup& group, RouteState state, const RouteAttributes& attributes) override;
  void withdraw(const RouteGroup& group) override;
  bool carries(RouteState state) const override;
  // `show protocols` for the state of the group's protocols and of the BGP sessions, then
  // `show static NAME` for each of the group's protocols to compare its routes with the VIPs.
  SignalProbe probe(const RouteGroup& group) override;

  const BirdSignalConfig& config() const { return config_; }

  // Refused unless BIRD greets on the control socket within the timeout. A reload that would
  // hand a group to a BIRD that is not there is refused instead of half applied.
  Refusal unreachable() const;

 private:
  struct Step {
    const char* verb;  // "enable" | "disable"
    const std::string* protocol;
  };
  // Runs every step over one connection, then throws RouteSignalRefused naming each command
  // BIRD refused, with its reply. Returns the replies' texts for the status.
  std::string run(const RouteGroup& group, std::string_view action, const std::vector<Step>& steps);

  BirdSignalConfig config_;
};

// One row of `show protocols`.
struct BirdProtocolRow {
  std::string name, proto, table, state, info;
};
// Parses the 1002 rows of a `show protocols` reply (exposed for tests).
std::vector<BirdProtocolRow> parse_bird_protocols(const std::vector<std::string>& rows);

}  // namespace anycastd
