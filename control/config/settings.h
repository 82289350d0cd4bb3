// SPDX-License-Identifier: Apache-2.0
#pragma once

// The settings the rooms above config are built from, without the rooms: a group's timing
// (health), a route signal's (route), the NTP clock source's (clock) and the XDP attach mode
// (datapath). config.h gathers them into a Config; a room needs only this header, so
// configuration depends on no room and each room on configuration.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/refusal.h"
#include "base/time.h"

namespace anycastd {

// [health] timing, with the group's route.drain_ms.
struct GroupTiming {
  unsigned rise = 3;
  unsigned fall = 2;
  Millis interval{1000};
  Millis fast_interval{200};  // while a rise or fall is under way
  Millis drain{2000};
  Millis hold_down{0};  // minimum time from a withdrawal to the next announcement
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

// [route.bird]: route/bird_signal.h says how it is used.
struct BirdSignalConfig {
  std::string socket = "/run/bird/bird.ctl";
  // Static protocols carrying the group's routes. A name, or a BIRD pattern with * and ?;
  // always sent quoted, so a name that matches nothing is "8003 No protocols match".
  std::vector<std::string> protocols;
  // Optional (RFC 8326): static protocols with the same routes, an import filter adding
  // (65535, 0) and a higher preference. Empty: no graceful shutdown.
  std::vector<std::string> gshut_protocols;
  // For a whole call: connect, greeting and every command.
  std::chrono::milliseconds timeout{2000};
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
  // Optional (RFC 8326): the route-map tagging GRACEFUL_SHUTDOWN. Empty: no graceful shutdown.
  std::string gshut_route_map;
  std::chrono::milliseconds timeout{2000};  // for a whole call: every vtysh run of it
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
