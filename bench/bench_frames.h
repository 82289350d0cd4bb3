// SPDX-License-Identifier: Apache-2.0
#pragma once

// The frames and tables both benchmarks run on, so that the native core and the XDP program are
// measured on exactly the same work.
//
// Every frame is one of a "mirror pair": its reply is itself a request the fast path answers in
// full. Both the native benchmark (which runs the core on the same buffer again and again) and
// BPF_PROG_TEST_RUN with `repeat` (which hands the program the frame the previous repeat left
// behind) therefore see request, reply, request, ... and every packet takes the whole answer
// path. For that:
//   - both ends are VIPs: the server address is an exact VIP (/32, /128) and the client address
//     lies inside a prefix VIP (/24, /48), so the repeats alternate an exact and a prefix match
//     in the LPM trie (both are what production sees);
//   - both ports are >= 1024 and both carry echo, since echo never answers a source port below
//     1024 (port 7 carries echo too, as in the example config, but no frame uses it);
//   - requests already carry TTL 64, the value the reply sets, so a reply's mirror is
//     byte-for-byte the original request;
//   - in the "allow" tables echo is restricted to source prefixes that hold both ends.
// The client being a VIP is the one artificial part, and it costs the fast path nothing extra:
// a non-VIP client would be looked up just the same.

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "abi.h"
#include "base/prefix.h"
#include "tables/fastpath_tables.h"

namespace anycastd::bench {

struct VlanTag {
  std::uint16_t tpid;  // 0x8100 (802.1Q) or 0x88A8 (802.1ad)
  std::uint16_t vid;
};

struct FrameSpec {
  int family = 4;
  std::vector<VlanTag> tags;  // outermost first
  std::uint8_t src_mac[6] = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x01};
  std::uint8_t dst_mac[6] = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x02};
  std::string src, dst;
  std::uint16_t sport = 0, dport = 0;
  std::uint8_t ttl = 64;
  std::size_t payload = 32;
};

struct BenchCase {
  const char* name;  // stable: JSON keys and CTest names are made of it
  FrameSpec spec;
  bool restricted;  // run against the tables whose echo has an allow list
};

inline constexpr std::uint16_t kServerPort = 7007;
inline constexpr std::uint16_t kClientPort = 40007;

inline std::vector<BenchCase> bench_cases() {
  FrameSpec v4;
  v4.family = 4;
  v4.src = "203.0.113.9";
  v4.dst = "192.0.2.10";
  v4.sport = kClientPort;
  v4.dport = kServerPort;

  FrameSpec v6 = v4;
  v6.family = 6;
  v6.src = "2001:db8:ffff::9";
  v6.dst = "2001:db8::10";

  FrameSpec v4_vlan = v4;
  v4_vlan.tags = {{0x8100, 100}};
  FrameSpec v6_qinq = v6;
  v6_qinq.tags = {{0x88A8, 200}, {0x8100, 100}};

  return {
      {"v4", v4, false},
      {"v6", v6, false},
      {"v4_vlan", v4_vlan, false},
      {"v6_qinq", v6_qinq, false},
      {"v4_allow", v4, true},
      {"v6_allow", v6, true},
  };
}

// A handful of VIPs and ports, roughly what one edge server carries: single addresses and
// prefixes in both families, echo on the standard and two high ports.
inline FastpathTables bench_tables(bool restricted) {
  FastpathTables t;
  const std::uint32_t echo = 1u << AC_SVC_ECHO;
  const char* vips[] = {
      "192.0.2.10",   "192.0.2.11",   "192.0.2.53",    "198.51.100.0/25",
      "203.0.113.0/24", "2001:db8::10", "2001:db8::53", "2001:db8:ffff::/48",
      "2001:db8:100::/40",
  };
  // Each VIP in a group and a per-VIP counter series of its own.
  std::uint32_t group = 0;
  for (const char* v : vips) {
    t.vips.push_back({parse_prefix(v), {AC_VIP_F_ANSWERING, echo, group, group}});
    ++group;
  }

  std::uint32_t flags = AC_SVC_F_ENABLED | (restricted ? AC_SVC_F_RESTRICTED : 0u);
  for (std::uint16_t port : {std::uint16_t{7}, kServerPort, kClientPort})
    t.ports[port] = {flags, AC_SVC_ECHO};

  if (restricted) {
    // The routers that probe echo, plus the two ends of the mirror pairs.
    const char* sources[] = {"198.51.100.0/28", "192.0.2.0/28", "203.0.113.0/24",
                             "2001:db8:ffff::/48", "2001:db8::/64", "2001:db8:aaaa::/64"};
    for (const char* s : sources) t.allow.push_back({AC_SVC_ECHO, parse_prefix(s)});
  }
  t.answering = true;
  return t;
}

namespace detail {

inline void put16(std::vector<std::uint8_t>& f, std::uint16_t host) {
  f.push_back(static_cast<std::uint8_t>(host >> 8));
  f.push_back(static_cast<std::uint8_t>(host));
}

inline std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
  return sum;
}

inline std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

inline std::vector<std::uint8_t> address(int family, const std::string& text) {
  std::vector<std::uint8_t> a(family == 4 ? 4 : 16);
  if (inet_pton(family == 4 ? AF_INET : AF_INET6, text.c_str(), a.data()) != 1)
    throw std::invalid_argument("bench frame address " + text);
  return a;
}

}  // namespace detail

// Builds the frame from its fields with checksums computed here, independently of the core.
inline std::vector<std::uint8_t> build_frame(const FrameSpec& s) {
  using namespace detail;
  std::vector<std::uint8_t> f(s.dst_mac, s.dst_mac + 6);
  f.insert(f.end(), s.src_mac, s.src_mac + 6);
  for (const VlanTag& tag : s.tags) {
    put16(f, tag.tpid);
    put16(f, tag.vid);
  }
  put16(f, s.family == 4 ? 0x0800 : 0x86DD);

  auto src = address(s.family, s.src), dst = address(s.family, s.dst);
  const std::uint16_t udp_len = static_cast<std::uint16_t>(8 + s.payload);
  std::size_t ip_at = f.size();
  if (s.family == 4) {
    const std::uint8_t ip[20] = {0x45, 0, static_cast<std::uint8_t>((20 + udp_len) >> 8),
                                 static_cast<std::uint8_t>(20 + udp_len), 0x12, 0x34, 0x40, 0, s.ttl, 17, 0, 0};
    f.insert(f.end(), ip, ip + 12);
    f.insert(f.end(), src.begin(), src.end());
    f.insert(f.end(), dst.begin(), dst.end());
    std::uint16_t check = fold(sum16(&f[ip_at], 20));
    f[ip_at + 10] = static_cast<std::uint8_t>(check >> 8);
    f[ip_at + 11] = static_cast<std::uint8_t>(check);
  } else {
    const std::uint8_t ip[8] = {0x60, 0, 0, 0, static_cast<std::uint8_t>(udp_len >> 8),
                                static_cast<std::uint8_t>(udp_len), 17, s.ttl};
    f.insert(f.end(), ip, ip + 8);
    f.insert(f.end(), src.begin(), src.end());
    f.insert(f.end(), dst.begin(), dst.end());
  }

  std::size_t udp_at = f.size();
  put16(f, s.sport);
  put16(f, s.dport);
  put16(f, udp_len);
  put16(f, 0);
  for (std::size_t i = 0; i < s.payload; ++i) f.push_back(static_cast<std::uint8_t>('a' + i % 26));

  // Pseudo-header: addresses, protocol, UDP length; then the header and payload.
  std::uint32_t sum = sum16(src.data(), src.size());
  sum = sum16(dst.data(), dst.size(), sum);
  sum += 17 + udp_len;
  sum = sum16(&f[udp_at], udp_len, sum);
  std::uint16_t check = fold(sum);
  if (check == 0) check = 0xFFFF;  // zero means "no checksum" (IPv4) or is malformed (IPv6)
  f[udp_at + 6] = static_cast<std::uint8_t>(check >> 8);
  f[udp_at + 7] = static_cast<std::uint8_t>(check);
  return f;
}

// The request as it comes back: ends swapped, tags kept, TTL as given (the fast path resets it
// to 64, which the requests above already carry; the floor leaves it alone).
inline FrameSpec mirror(const FrameSpec& s) {
  FrameSpec m = s;
  std::memcpy(m.src_mac, s.dst_mac, 6);
  std::memcpy(m.dst_mac, s.src_mac, 6);
  m.src = s.dst;
  m.dst = s.src;
  m.sport = s.dport;
  m.dport = s.sport;
  return m;
}

}  // namespace anycastd::bench
