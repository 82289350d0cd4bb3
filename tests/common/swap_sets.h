// SPDX-License-Identifier: Apache-2.0
#pragma once

// Two VIP sets for the table swap tests of each datapath (tests/control/xdp_swap_test.cpp,
// tests/dpdk/swap_test.cpp): swapped back and forth while packets flow, every verdict must be
// the one of set A or the one of set B, never one that only a mixture of the two gives. The sets
// share VIPs with the same verdict, share a VIP with different services, and nest exact VIPs and
// longer prefixes inside prefixes in both directions, which is where a torn table shows.

#include <string>
#include <vector>

#include "base/prefix.h"
#include "tables/fastpath_tables.h"

namespace anycastd::test {

inline constexpr std::uint16_t kSwapEchoPort = 7;

// The probes' source address: it plays no part in the match.
inline std::string swap_client(const std::string& dst) {
  return dst.find(':') == std::string::npos ? "198.51.100.1" : "2001:db8:ffff::1";
}

enum SwapService : std::uint32_t { kEcho = 1u << AC_SVC_ECHO, kNtp = 1u << AC_SVC_NTP };

inline FastpathTables swap_set(const std::vector<std::pair<const char*, std::uint32_t>>& vips) {
  FastpathTables t;
  for (const auto& [vip, services] : vips) t.vips.push_back({parse_prefix(vip), {AC_VIP_F_ANSWERING, services, 0}});
  t.ports[kSwapEchoPort] = {AC_SVC_F_ENABLED, AC_SVC_ECHO};
  t.ports[123] = {AC_SVC_F_ENABLED, AC_SVC_NTP};
  return t;
}

// Set A, in the order a configuration might list it (shortest first: the order that tears).
inline const FastpathTables kSwapSetA = swap_set({
    {"192.0.2.10/32", kEcho},          // shared, same verdict
    {"192.0.2.20/32", kEcho},          // shared, other services in B
    {"198.51.100.0/24", kEcho},        // B nests a /28 (no echo) and a /32 (echo) inside it
    {"203.0.113.0/24", kEcho},         // A nests a /28 (no echo) and a /32 (echo) inside it
    {"203.0.113.0/28", kNtp},
    {"203.0.113.5/32", kEcho},
    {"2001:db8:a::/48", kEcho},        // the same, IPv6: B nests inside it
    {"2001:db8:b::/48", kEcho},        // A nests inside it
    {"2001:db8:b::/64", kNtp},
    {"2001:db8:b::5/128", kEcho},
    {"2001:db8:c::20/128", kEcho},     // shared, other services in B
});
inline const FastpathTables kSwapSetB = swap_set({
    {"192.0.2.10/32", kEcho},
    {"192.0.2.20/32", kNtp},
    {"198.51.100.0/24", kEcho},
    {"198.51.100.0/28", kNtp},
    {"198.51.100.5/32", kEcho},
    {"203.0.113.0/24", kEcho},
    {"2001:db8:a::/48", kEcho},
    {"2001:db8:a::/64", kNtp},
    {"2001:db8:a::5/128", kEcho},
    {"2001:db8:b::/48", kEcho},
    {"2001:db8:c::20/128", kNtp},
});

// More VIPs, the same in both sets (what makes the XDP program hash them: above AC_VIP_SCAN_MAX
// per family): exact VIPs nested in prefixes of several lengths, away from the probes above.
inline FastpathTables with_more_vips(FastpathTables t) {
  std::vector<std::string> more = {"192.0.2.128/26", "192.0.2.192/28", "2001:db8:e::/56", "2001:db8:e::/60",
                                   "2001:db8:e::100/120"};
  for (int i = 0; i < 16; ++i) {
    more.push_back("192.0.2." + std::to_string(200 + i) + "/32");
    more.push_back("2001:db8:e::" + std::to_string(100 + i) + "/128");
  }
  for (const std::string& vip : more) t.vips.push_back({parse_prefix(vip), {AC_VIP_F_ANSWERING, kEcho, 0}});
  return t;
}

inline constexpr bool kAnswered = true, kPassed = false;

struct SwapProbe {
  const char* dst;
  bool in_a, in_b;  // answered under each set: stated here, not computed
};

inline const SwapProbe kSwapProbes[] = {
    {"192.0.2.10", kAnswered, kAnswered},
    {"192.0.2.20", kAnswered, kPassed},
    // Answered by both sets, by the /24 in A and by the /32 in B; the /28 between them (no echo)
    // is what a write in the wrong order or a delete in the wrong order would answer with.
    {"198.51.100.5", kAnswered, kAnswered},
    {"198.51.100.6", kAnswered, kPassed},   // the /28 of B
    {"198.51.100.99", kAnswered, kAnswered},
    {"203.0.113.5", kAnswered, kAnswered},
    {"203.0.113.6", kPassed, kAnswered},    // the /28 of A
    {"203.0.113.99", kAnswered, kAnswered},
    {"2001:db8:a::5", kAnswered, kAnswered},
    {"2001:db8:a::6", kAnswered, kPassed},
    {"2001:db8:b::5", kAnswered, kAnswered},
    {"2001:db8:b::6", kPassed, kAnswered},
    {"2001:db8:c::20", kAnswered, kPassed},
    {"192.0.2.99", kPassed, kPassed},   // in neither
};

// Where the large sets add VIPs, both answer.
inline const SwapProbe kLargeSetProbes[] = {
    {"192.0.2.130", kAnswered, kAnswered},
    {"192.0.2.195", kAnswered, kAnswered},
    {"192.0.2.205", kAnswered, kAnswered},
    {"2001:db8:e::105", kAnswered, kAnswered},
    {"2001:db8:e::1:1", kAnswered, kAnswered},
};

}  // namespace anycastd::test
