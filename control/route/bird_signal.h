// SPDX-License-Identifier: Apache-2.0
#pragma once

// The `bird` route signal: a running BIRD 2 announces the group's VIPs from static protocols
// that anycastd switches on and off over BIRD's control socket.
//
//   announce   enable "P" for each protocol P, then disable "G" for each graceful-shutdown
//              protocol G (so the untagged routes replace the tagged ones, never neither)
//   graceful   enable "G": the same routes, tagged GRACEFUL_SHUTDOWN and preferred while on
//   withdraw   disable "P", then disable "G" (in that order: the tagged routes stay the ones
//              announced until the last, and the untagged ones are never re-advertised)
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
  void announce(const RouteGroup& group) override;
  void withdraw(const RouteGroup& group) override;
  bool can_graceful_shutdown() const override { return !config_.gshut_protocols.empty(); }
  void graceful_shutdown(const RouteGroup& group) override;
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
