// SPDX-License-Identifier: Apache-2.0
#pragma once

// The `frr` route signal: FRR's bgpd announces the group's VIPs from `network` statements that
// anycastd adds and removes through vtysh, as an operator would at the vtysh prompt:
//
//   configure terminal
//   router bgp ASN
//    address-family ipv4 unicast
//     network 192.0.2.10/32 route-map anycast
//    exit-address-family
//    address-family ipv6 unicast
//     network 2001:db8::10/128 route-map anycast
//
//   announce   `network P route-map R` for each VIP (R: route_map); `no network` for a VIP an
//              earlier announcement made and the group no longer has
//   graceful   `network P route-map G` (G: gshut_route_map, which adds 65535:0): bgpd
//              re-advertises the same prefix with the new attributes, never withdrawing it
//   degraded   `network P route-map D` (D: degraded_route_map), the same way
//   withdraw   `no network P` for each VIP bgpd has a `network` for
//
// Why `network` statements and vtysh (docs/route-signals.md has the longer why): they are what
// an FRR operator reads in `show running-config` and would type, bgpd keeps them in its running
// configuration only (frr.conf has none, so a bgpd that restarts comes back withdrawn, as BIRD
// and ExaBGP do), the attributes stay in the operator's route-maps, and vtysh is the interface
// FRR documents and keeps stable (bgpd's northbound gRPC is not built into Debian's package).
// vtysh stops at the first command that fails and `no network` fails for a prefix bgpd does not
// have, so withdrawals first read bgpd's running configuration and remove only what is there.
//
// Each vtysh run is bounded by what is left of the call's timeout; past it its process group is
// killed. Failures carry vtysh's exit status and its own words (stdout and stderr).

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/posix_io.h"
#include "config/settings.h"
#include "route/route_signal.h"

namespace anycastd {

class FrrSignal final : public RouteSignal {
 public:
  // Throws std::invalid_argument with frr_signal_problem's text (config/settings.h).
  explicit FrrSignal(FrrSignalConfig config);

  SignalKind kind() const override { return SignalKind::frr; }
  // The state's attributes are in its route-map, in FRR's config (the config check refuses them
  // here for frr): up announces with route_map, degraded with degraded_route_map, draining with
  // gshut_route_map.
  void announce(const RouteGroup& group, RouteState state, const RouteAttributes& attributes) override;
  void withdraw(const RouteGroup& group) override;
  bool carries(RouteState state) const override;
  // `show bgp summary json`, `show bgp ipv4|ipv6 unicast P json` for each VIP and `show route-map
  // R json` for the route-maps: which VIPs bgpd holds as its own paths, tagged or not, how many
  // peers are established, and route-maps that do not exist (bgpd accepts a `network` naming one).
  SignalProbe probe(const RouteGroup& group) override;

  const FrrSignalConfig& config() const { return config_; }

 private:
  std::string run_vtysh(const RouteGroup& group, std::string_view action, const std::vector<std::string>& commands,
                        posix_io::Deadline deadline);
  // The `network` statements of `router bgp ASN` in bgpd's running configuration.
  std::map<Prefix, std::string> networks(const RouteGroup& group, std::string_view action, posix_io::Deadline deadline);
  void set_networks(const RouteGroup& group, std::string_view action, const std::string& route_map);
  // The route-map announcing `state`; empty for degraded and draining when not configured.
  const std::string& route_map_of(RouteState state) const;

  FrrSignalConfig config_;
  std::set<Prefix> announced_;  // what bgpd may hold from us: withdrawn on withdraw()
};

// The vtysh argv for `commands` against the configured instance, bgpd only (exposed for tests).
std::vector<std::string> frr_vtysh_argv(const FrrSignalConfig& config, const std::vector<std::string>& commands);

// The configuration commands adding `add` (with `route_map` when not empty) and removing
// `remove`, IPv4 then IPv6, under `router bgp ASN`; empty when both are (exposed for tests).
std::vector<std::string> frr_network_commands(std::uint32_t asn, const std::vector<Prefix>& add,
                                              const std::string& route_map, const std::vector<Prefix>& remove);

// The `network` statements of `router bgp ASN` (the default VRF's) in `show running-config`
// output, each with its route-map ("" when none) (exposed for tests).
std::map<Prefix, std::string> frr_parse_networks(std::string_view running_config, std::uint32_t asn);

}  // namespace anycastd
