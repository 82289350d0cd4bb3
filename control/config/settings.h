// SPDX-License-Identifier: Apache-2.0
#pragma once

// The settings the rooms above config are built from, without the rooms: a group's timing
// (health), a route signal's (route), the NTP clock source's (clock) and the XDP attach mode
// (datapath). config.h gathers them into a Config; a room needs only this header, so
// configuration depends on no room and each room on configuration.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/refusal.h"
#include "base/time.h"

namespace anycastd {

// [health.dampening] (RFC 2439 in spirit): each withdrawal for failing health adds `penalty`,
// which halves every `half_life`; past `suppress` the group stays withdrawn until the penalty
// has decayed under `reuse`. Never above `max_penalty`. Off while penalty is 0.
struct Dampening {
  double penalty = 0;
  double suppress = 2000;
  double reuse = 750;
  Millis half_life{std::chrono::minutes(15)};
  double max_penalty = 12000;
  bool on() const { return penalty > 0; }
  bool operator==(const Dampening&) const = default;
};

// "health.dampening: ..." for reuse not below suppress, suppress above max_penalty, a zero
// half-life, a negative value.
Refusal dampening_problem(const Dampening& d);

// [health] timing, with the group's route.drain_ms and route.soft_drain_ms.
struct GroupTiming {
  unsigned rise = 3;
  unsigned fall = 2;
  Millis interval{1000};
  Millis fast_interval{200};  // while a rise or fall is under way
  Millis drain{2000};
  Millis hold_down{0};  // minimum time from a withdrawal to the next announcement
  // A soft drain keeps the routes announced with the draining attributes this long before the
  // withdrawal (and the drain_ms after it).
  Millis soft_drain{0};
  Dampening dampening;
  bool operator==(const GroupTiming&) const = default;
};

// [services.ntp] clock: where the NTP service learns how good the host clock is.
enum class ClockKind { chrony, kernel };

struct NtpServiceClock {
  ClockKind kind = ClockKind::chrony;
  std::string chrony_socket = "/run/chrony/chronyd.sock";
  std::chrono::milliseconds timeout{500};
  bool operator==(const NtpServiceClock&) const = default;
};

enum class SignalKind { alias, bird, exabgp, frr, gobgp };
std::string_view to_string(SignalKind kind);

// How an announced group's routes are announced. The names are stable (status, metrics, hooks):
//   up        healthy: the up attributes
//   degraded  only checks marked soft fail: still announced, with the degraded attributes
//   draining  before the withdrawal (graceful_shutdown, soft drain): the draining attributes,
//             which always carry GRACEFUL_SHUTDOWN (65535:0, RFC 8326)
enum class RouteState { up, degraded, draining };
std::string_view to_string(RouteState state);

// The BGP attributes of one state ([route.up], [route.degraded], [route.draining]). Unset or
// empty: not sent (the routing daemon's own default applies).
struct RouteAttributes {
  std::optional<std::uint32_t> med;               // MULTI_EXIT_DISC
  unsigned prepend = 0;                           // times the own AS is prepended to the AS path
  std::vector<std::string> communities;           // "ASN:VALUE" (each 0-65535) or a well-known name
  std::vector<std::string> large_communities;     // "GA:LD1:LD2" (each 0-4294967295), RFC 8092
  std::optional<std::uint32_t> local_preference;  // iBGP only
  bool empty() const {
    return !med && prepend == 0 && communities.empty() && large_communities.empty() && !local_preference;
  }
  bool operator==(const RouteAttributes&) const = default;
};

// The attributes of every state of one group.
struct RouteStateAttributes {
  RouteAttributes up, degraded, draining;
  const RouteAttributes& of(RouteState state) const;
  bool operator==(const RouteStateAttributes&) const = default;
};

// What a route signal can carry of the above (docs/route-signals.md has the table). `states`:
// it can announce degraded and draining differently from up at all; the attribute flags: it
// takes that attribute from anycastd's config. BIRD carries states through protocols the
// operator writes (the attributes are in BIRD's config, none in anycastd's).
struct SignalCarries {
  bool states = false;
  bool med = false, prepend = false, communities = false, large_communities = false, local_preference = false;
};
SignalCarries signal_carries(SignalKind kind);

// What `kind` cannot carry of `attributes` for `state`, as "<state> (<kind> signal): ...":
// an attribute it does not take, local_preference without ibgp (a local preference is not sent
// to an eBGP peer, RFC 4271 5.1.5), a community or large community that is none. The parser
// reports it at the key.
Refusal route_attributes_problem(SignalKind kind, RouteState state, const RouteAttributes& attributes, bool ibgp);

// The draining attributes as sent: `draining` with GRACEFUL_SHUTDOWN (65535:0) added once.
RouteAttributes with_graceful_shutdown(RouteAttributes draining);

// [route.bird]: route/bird_signal.h says how it is used.
struct BirdSignalConfig {
  std::string socket = "/run/bird/bird.ctl";
  // Static protocols carrying the group's routes. A name, or a BIRD pattern with * and ?;
  // always sent quoted, so a name that matches nothing is "8003 No protocols match".
  std::vector<std::string> protocols;
  // Optional, the draining state (RFC 8326; key draining_protocol, gshut_protocol its old name):
  // the same routes, an import filter adding (65535, 0) and the draining attributes, and a
  // higher preference than the degraded ones. Empty: no graceful shutdown, no soft drain.
  std::vector<std::string> gshut_protocols;
  // For a whole call: connect, greeting and every command.
  std::chrono::milliseconds timeout{2000};
  // Optional, the degraded state: static protocols with the same routes, an import filter
  // setting the degraded attributes and a higher preference. Empty: degraded is announced as up.
  std::vector<std::string> degraded_protocols;
  bool operator==(const BirdSignalConfig&) const = default;
};

// What BIRD would not take, as "bird route signal: ...": an empty protocol list, a name beyond
// letters, digits and _ . : - * ?, a timeout that is not positive. The parser reports it at the
// key; BirdSignal refuses the same.
Refusal bird_signal_problem(const BirdSignalConfig& config);

// Whether a BIRD protocol name matches a pattern the way BIRD matches them (* and ?).
bool bird_pattern_match(std::string_view pattern, std::string_view name);

// [route.exabgp]: route/exabgp_signal.h says how it is used.
struct ExabgpSignalConfig {
  // The pipe pair without suffixes: BASE.in takes commands, BASE.out gives answers.
  std::string pipe = "/run/exabgp/exabgp";
  std::string next_hop4;  // required when the group has IPv4 VIPs: this edge's address towards the router
  std::string next_hop6;  // required when the group has IPv6 VIPs
  // Standard communities, "ASN:VALUE" (each 0-65535) or no-export, no-advertise,
  // no-export-subconfed, no-peer.
  std::vector<std::string> communities;
  std::chrono::milliseconds timeout{2000};
  // This edge's AS, sent as the AS path once plus once per prepend when a state prepends
  // (ExaBGP sends a given AS path as it is). 0: not given; required when a state prepends.
  std::uint32_t local_as = 0;
  // Not a key of [route.exabgp]: the group's [route] ibgp, set where the group makes its signal.
  // Towards an iBGP peer the own AS does not start the path: only the prepends are sent.
  bool ibgp = false;
  bool operator==(const ExabgpSignalConfig&) const = default;
};

// What ExaBGP would not take, as "exabgp route signal: ...": no pipe, a next hop that is not an
// address of its family, a community that is none, a timeout that is not positive.
Refusal exabgp_signal_problem(const ExabgpSignalConfig& config);

// [route.frr]: route/frr_signal.h says how it is used.
struct FrrSignalConfig {
  std::string vtysh = "/usr/bin/vtysh";
  // Which FRR instance: vtysh's -N (FRR's sockets and config under /var/run/frr/NAME/), or
  // --vty_socket (the directory of the daemons' .vty sockets). Both empty: the default instance.
  std::string pathspace;
  std::string vty_socket;
  std::uint32_t asn = 0;  // `router bgp ASN` of the bgpd carrying the routes; required
  // The route-map each `network` statement names (attributes, IPv6 next hop); empty: none.
  std::string route_map;
  // Optional (RFC 8326): the route-map tagging GRACEFUL_SHUTDOWN, the draining state. Empty: no
  // graceful shutdown, and a soft drain withdraws at once.
  std::string gshut_route_map;
  std::chrono::milliseconds timeout{2000};  // for a whole call: every vtysh run of it
  // Optional: the route-map of the degraded state (a higher MED, prepends, communities). Empty:
  // degraded is announced as up.
  std::string degraded_route_map;
  bool operator==(const FrrSignalConfig&) const = default;
};

// What FRR would not take, as "frr route signal: ...": a vtysh path that is not absolute, a
// pathspace or route-map name FRR would not accept, no ASN, a timeout that is not positive.
Refusal frr_signal_problem(const FrrSignalConfig& config);

// [route.gobgp]: route/gobgp_signal.h says how it is used.
struct GobgpSignalConfig {
  std::string gobgp = "/usr/bin/gobgp";
  // gobgpd's gRPC API, as gobgp's --target: "unix:///PATH" (gobgpd --api-hosts unix:///PATH) or
  // "ADDRESS:PORT" (gobgpd's default is :50051).
  std::string api = "127.0.0.1:50051";
  std::string next_hop4;  // required when the group has IPv4 VIPs
  std::string next_hop6;  // required when the group has IPv6 VIPs
  std::vector<std::string> communities;  // as for ExaBGP
  std::chrono::milliseconds timeout{2000};  // for a whole call: every gobgp run of it
  bool operator==(const GobgpSignalConfig&) const = default;
};

// "gobgp route signal: ...": a gobgp path that is not absolute, an api that is neither form, a
// next hop or community as for ExaBGP, a timeout that is not positive.
Refusal gobgp_signal_problem(const GobgpSignalConfig& config);

// [datapath] xdp_mode.
enum class XdpMode {
  native,     // in the driver (XDP_FLAGS_DRV_MODE)
  generic,    // after the kernel built an skb, any interface (XDP_FLAGS_SKB_MODE)
  automatic,  // native, falling back to generic with a loud warning
};
std::string_view to_string(XdpMode mode);

// [datapath] attach: how the XDP program reaches the packets (docs/deployment.md).
enum class XdpAttach {
  exclusive,   // attached by anycastd to each interface; never beside another program
  dispatcher,  // a slot of libxdp's multi-program dispatcher, beside the programs in the others
  chain,       // a slot of a prog array the operator's root program tail-calls; nothing attached
};
std::string_view to_string(XdpAttach attach);

}  // namespace anycastd
