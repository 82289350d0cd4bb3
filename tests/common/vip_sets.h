// SPDX-License-Identifier: Apache-2.0
#pragma once

// Random VIP sets for the differential tests of each datapath's VIP match against the native
// reference env (tests/bpf/bpf_vip_lookup_test.cpp, tests/dpdk/table_test.cpp), with the probe
// frames that find where a match goes wrong: every VIP's first address, one inside it, the ones
// just before and after it, and random addresses of the block. The VIPs' services, answering
// flags and groups are random too, so a wrong match shows as another verdict or value.

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "echo_probe.h"
#include "tables/fastpath_tables.h"

namespace anycastd::test {

// Random VIPs within one documentation block per family, so that they nest: IPv4 inside
// 203.0.113.0/24 (lengths 24-32), IPv6 inside 2001:db8::/32 with the variation in the last
// 16 bits (lengths 112-128) and a few short prefixes (48, 64, 96) over them.
class VipSets {
 public:
  explicit VipSets(std::uint32_t seed) : rng_(seed) {}

  Prefix random_prefix(int family) {
    Prefix p;
    p.family = family;
    if (family == 4) {
      const std::uint8_t base[4] = {203, 0, 113, 0};
      std::memcpy(p.addr.data(), base, 4);
      p.addr[3] = static_cast<std::uint8_t>(rng_());
      p.len = 24 + rng_() % 9;
    } else {
      inet_pton(AF_INET6, "2001:db8::", p.addr.data());
      p.addr[14] = static_cast<std::uint8_t>(rng_() % 4);
      p.addr[15] = static_cast<std::uint8_t>(rng_());
      const unsigned lengths[] = {48, 64, 96, 112, 116, 120, 124, 126, 127, 128, 128, 128};
      p.len = lengths[rng_() % (sizeof lengths / sizeof lengths[0])];
    }
    // Host bits off, as the configuration requires of a prefix.
    for (unsigned bit = p.len; bit < p.addr_bytes() * 8u; ++bit) p.addr[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
    return p;
  }

  // Random flags and services; the group is the entry's index, so that no two entries' values are
  // alike and a match of the wrong entry shows in the value.
  ac_vip_value random_value(const FastpathTables& t) {
    const std::uint32_t services[] = {1u << AC_SVC_ECHO, 1u << AC_SVC_NTP, (1u << AC_SVC_ECHO) | (1u << AC_SVC_NTP)};
    const std::uint32_t flags = rng_() % 5 ? AC_VIP_F_ANSWERING : 0u;
    const auto index = static_cast<std::uint32_t>(t.vips.size());
    return {flags, services[rng_() % 3], index, index % AC_VIP_STATS_ENTRIES};
  }

  // Exact VIPs (/32, /128) of `family` added until the set has `count` of them.
  void exact_to(FastpathTables& t, int family, std::size_t count) {
    std::set<std::string> seen;
    std::size_t have = 0;
    for (const VipEntry& v : t.vips) {
      seen.insert(v.prefix.str());
      if (v.prefix.family == family && v.prefix.is_host()) ++have;
    }
    while (have < count) {
      Prefix p = random_prefix(family);
      p.len = p.max_len();
      if (!seen.insert(p.str()).second) continue;
      t.vips.push_back({p, random_value(t)});
      ++have;
    }
  }

  // `count` entries listed again further down with other values: the first one must win.
  void repeat(FastpathTables& t, std::size_t count) {
    const std::size_t n = t.vips.size();
    for (std::size_t i = 0; n && i < count; ++i) t.vips.push_back({t.vips[rng_() % n].prefix, random_value(t)});
  }

  FastpathTables tables(std::size_t v4, std::size_t v6) {
    FastpathTables t;
    std::set<std::string> seen;
    auto add = [&](int family, std::size_t count) {
      while (count) {
        Prefix p = random_prefix(family);
        if (!seen.insert(p.str()).second) continue;
        t.vips.push_back({p, random_value(t)});
        --count;
      }
    };
    add(4, v4);
    add(6, v6);
    t.ports[7] = {AC_SVC_F_ENABLED, AC_SVC_ECHO};
    return t;
  }

  // Every VIP's first address, one inside it at random and the ones just before and after it,
  // and random addresses of the block.
  std::vector<std::vector<std::uint8_t>> probes(const FastpathTables& t) {
    std::vector<std::vector<std::uint8_t>> frames;
    auto probe = [&](int family, std::array<std::uint8_t, 16> a) {
      const std::string client = family == 4 ? "198.51.100.1" : "2001:db8:ffff::1";
      frames.push_back(echo_probe(client, address_text(family, a.data())));
    };
    auto step = [](std::array<std::uint8_t, 16> a, int bytes, int delta) {
      for (int i = bytes - 1; i >= 0; --i) {
        int v = a[i] + delta;
        a[i] = static_cast<std::uint8_t>(v);
        if (v >= 0 && v <= 255) break;
      }
      return a;
    };
    for (const VipEntry& v : t.vips) {
      const int bytes = v.prefix.addr_bytes();
      std::array<std::uint8_t, 16> a{};
      std::memcpy(a.data(), v.prefix.addr.data(), bytes);
      probe(v.prefix.family, a);
      probe(v.prefix.family, step(a, bytes, -1));
      std::array<std::uint8_t, 16> inside = a;
      for (unsigned bit = v.prefix.len; bit < bytes * 8u; ++bit)
        if (rng_() & 1) inside[bit / 8] |= static_cast<std::uint8_t>(0x80 >> (bit % 8));
      probe(v.prefix.family, inside);
      std::array<std::uint8_t, 16> last = a;
      for (unsigned bit = v.prefix.len; bit < bytes * 8u; ++bit) last[bit / 8] |= static_cast<std::uint8_t>(0x80 >> (bit % 8));
      probe(v.prefix.family, step(last, bytes, 1));
    }
    for (int i = 0; i < 32; ++i) {
      int family = i % 2 ? 6 : 4;
      Prefix p = random_prefix(family);
      std::array<std::uint8_t, 16> a{};
      std::memcpy(a.data(), p.addr.data(), p.addr_bytes());
      a[p.addr_bytes() - 1] = static_cast<std::uint8_t>(rng_());
      probe(family, a);
    }
    return frames;
  }

 private:
  std::mt19937 rng_;
};

}  // namespace anycastd::test
