// SPDX-License-Identifier: Apache-2.0
#pragma once

// One DNS message in, at most one reply out, for the slow path's UDP and TCP servers alike: the
// answers come from the compiled table through the packet core's message functions
// (dataplane/core/dns.h), exactly as on the fast path; what the core will not plan (other
// opcodes, classes and meta types, several questions, TSIG, malformed messages) is answered here
// the way Knot answers it, or dropped (docs/dns.md, "The slow path").

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "abi.h"
#include "dns_server/slow_path_counters.h"

namespace anycastd::dns_server {

enum class Transport { udp, tcp };

// The largest DNS message (the TCP length prefix's limit), and the room a reply is written in.
inline constexpr std::size_t kMaxMessage = 65535;

struct Verdict {
  std::size_t length = 0;   // of the reply in `out`; 0: no reply
  DnsSlowCounter counter;   // what happened, for the server's counters
  bool any_minimal = false; // an ANY answered with one RRset
  bool dnssec_ok = false;   // the query set DO
  bool proof = false;       // a denial proof was built here (proof.h)
  std::optional<DnsSlowCounter> cookie = std::nullopt;  // the cookie's outcome (kCookieValid ...), when it had one
};

// Who asked: the server cookie is made for, and checked against, the client's address
// (RFC 9018 4.4), in network order (4 bytes for IPv4).
struct Client {
  std::array<std::uint8_t, 16> address{};
  bool ip6 = false;
};

// `table` may be null (none loaded yet); `edns` (NSID, cookie secrets, clock) may be null: no
// options answered. `out` holds at least kMaxMessage bytes. UDP replies keep to the client's EDNS
// UDP size (512 without EDNS, at most AC_DNS_UDP_SIZE), with TC set and whole RRsets when the
// answer is larger; TCP replies are whole.
Verdict respond(const ac_dns_table* table, const ac_dns_edns* edns, const Client& client,
                std::span<const std::uint8_t> query, Transport transport, std::span<std::uint8_t> out);

}  // namespace anycastd::dns_server
