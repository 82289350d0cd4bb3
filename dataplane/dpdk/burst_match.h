// SPDX-License-Identifier: Apache-2.0
#pragma once

// The VIPs a burst's frames are headed to, looked up a family at a time in bulk before the core
// decides each frame: one rte_hash bulk lookup per family and burst instead of one lookup per
// frame, and the frames' headers pulled into cache on the way. The destination is found by the
// core's own L2 rules (two VLAN tags at most); a frame this peek cannot place (not IP, too
// short) has no address here, and the core, if it gets as far as a lookup, makes its own.

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <algorithm>
#include <cstdint>

#include "abi.h"
#include "dpdk_tables.h"
#include "headers.h"
#include "options.h"

namespace anycastd::dpdk {

struct BurstMatch {
  const std::uint8_t* daddr[kMaxBurst];  // into the frame; nullptr: not placed
  const ac_vip_value* vip[kMaxBurst];    // what daddr matched; nullptr: no VIP
};

// Far enough ahead that a frame's lines arrive while the frames before it are peeked.
inline constexpr unsigned kPrefetchAhead = 4;

// Both lines the headers can span (an IPv6 frame with a VLAN tag ends its UDP header at byte 66).
inline void prefetch_headers(const rte_mbuf* m) {
  const auto* data = rte_pktmbuf_mtod(m, const std::uint8_t*);
  rte_prefetch0(data);
  rte_prefetch0(data + RTE_CACHE_LINE_SIZE);
}

inline const std::uint8_t* destination(const rte_mbuf* m, bool& v6) {
  const auto* d = rte_pktmbuf_mtod(m, const std::uint8_t*);
  const std::uint32_t len = m->data_len;
  std::uint32_t at = 12;  // the EtherType
  for (int tags = 0;; ++tags) {
    if (len < at + 2) return nullptr;
    const std::uint16_t proto = static_cast<std::uint16_t>(d[at] << 8 | d[at + 1]);
    at += 2;
    if ((proto == AC_ETH_P_8021Q || proto == AC_ETH_P_8021AD) && tags < 2) {
      at += 2;  // the tag's TCI; its EtherType is next
      continue;
    }
    v6 = proto == AC_ETH_P_IPV6;
    if (proto == AC_ETH_P_IP) return len >= at + 20 ? d + at + 16 : nullptr;
    if (proto == AC_ETH_P_IPV6) return len >= at + 40 ? d + at + 24 : nullptr;
    return nullptr;
  }
}

inline void match_burst(const DpdkTables& tables, rte_mbuf* const* pkts, std::uint16_t n, BurstMatch& out) {
  const std::uint8_t* keys[2][kMaxBurst];
  std::uint16_t frame[2][kMaxBurst];
  unsigned count[2] = {0, 0};
  for (std::uint16_t i = 0; i < n && i < kPrefetchAhead; ++i) prefetch_headers(pkts[i]);
  for (std::uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n) prefetch_headers(pkts[i + kPrefetchAhead]);
    bool v6 = false;
    out.daddr[i] = destination(pkts[i], v6);
    out.vip[i] = nullptr;
    if (out.daddr[i]) {
      keys[v6][count[v6]] = out.daddr[i];
      frame[v6][count[v6]++] = i;
    }
  }
  const ac_vip_value* found[DpdkTables::kMatchMax];
  for (int v6 = 0; v6 < 2; ++v6)
    for (unsigned start = 0; start < count[v6]; start += DpdkTables::kMatchMax) {
      const unsigned k = std::min(DpdkTables::kMatchMax, count[v6] - start);
      if (v6)
        tables.match6(keys[v6] + start, k, found);
      else
        tables.match4(keys[v6] + start, k, found);
      for (unsigned j = 0; j < k; ++j) out.vip[frame[v6][start + j]] = found[j];
    }
}

}  // namespace anycastd::dpdk
