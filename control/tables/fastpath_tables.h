// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the fast path is told, independent of how a datapath stores it: the XDP loader writes it
// into BPF maps, the tests' native environment looks things up in it directly.

#include <array>
#include <cstdint>
#include <cstring>

#include <arpa/inet.h>
#include <map>
#include <vector>

#include "abi.h"
#include "base/prefix.h"

namespace anycastd {

struct VipEntry {
  Prefix prefix;
  ac_vip_value value;
};

struct AllowEntry {
  std::uint32_t service;  // enum ac_service
  Prefix source;
};

struct FastpathTables {
  std::vector<VipEntry> vips;
  std::map<std::uint16_t, ac_port_value> ports;  // destination port (host order) -> service
  std::vector<AllowEntry> allow;
  bool answering = true;
  std::array<ac_ratelimit_config, AC_SVC__COUNT> ratelimit{};  // per service; interval_ns 0: not limited
  // Per-VIP counter entries (ac_vip_value.stats) that VIPs take anew with this set: the datapath
  // zeroes them before packets match the set (datapath/vip_series.h).
  std::vector<std::uint32_t> vip_stats_fresh;
};

inline ac_allow4_key allow4_key(const AllowEntry& a) {
  ac_allow4_key key{};
  key.prefixlen = AC_ALLOW_KEY_SERVICE_BITS + a.source.len;
  key.service = htonl(a.service);
  std::memcpy(key.addr, a.source.addr.data(), sizeof key.addr);
  return key;
}

inline ac_allow6_key allow6_key(const AllowEntry& a) {
  ac_allow6_key key{};
  key.prefixlen = AC_ALLOW_KEY_SERVICE_BITS + a.source.len;
  key.service = htonl(a.service);
  std::memcpy(key.addr, a.source.addr.data(), sizeof key.addr);
  return key;
}

}  // namespace anycastd
