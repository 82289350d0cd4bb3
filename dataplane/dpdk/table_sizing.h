// SPDX-License-Identifier: Apache-2.0
#pragma once

// How big each structure of a DPDK table set is made, from the set it will hold, and what that
// costs in DPDK memory: a reload whose set does not fit is refused naming that figure.
//
// The costs, per DPDK 22.11's rte_hash, rte_lpm and rte_lpm6 (docs/dpdk.md "Table memory"):
//   - an exact-VIP rte_hash, for a family with more than AC_VIP_SCAN_MAX: buckets of 8 slots (64 B each), a key store of 16 B (IPv4) or 32 B
//     (IPv6) per slot, and a ring of 4 B per slot; made with twice the slots the set needs, so
//     that no cuckoo path ever runs out of room and lookups seldom reach the second bucket;
//   - an rte_lpm or rte_lpm6: a tbl24 of 2^24 entries, 64 MiB whatever it holds (what lets a
//     lookup take one or two reads), plus 1 KiB per tbl8 group, sized here from the prefixes;
//     rte_lpm6 also keeps its rules in an rte_hash.

#include <cstddef>
#include <cstdint>

#include "tables/fastpath_tables.h"

namespace anycastd::dpdk {

// What a table set holds, counted from a FastpathTables.
struct TableShape {
  std::uint32_t exact4 = 0, exact6 = 0;        // /32 and /128 VIPs: scanned, or the hashes
  std::uint32_t prefix4 = 0, prefix6 = 0;      // shorter VIPs (not /0): the LPMs
  std::uint32_t vip_tbl8s4 = 0, vip_tbl8s6 = 0;
  std::uint32_t allow4 = 0, allow6 = 0;        // distinct allow prefixes (not /0), all services
  std::uint32_t allow_tbl8s4 = 0, allow_tbl8s6 = 0;
};

TableShape table_shape(const FastpathTables& tables);

// rte_hash slots for `keys` exact VIPs.
std::uint32_t hash_entries(std::uint32_t keys);
// The rules and tbl8 groups an LPM is made with for `prefixes` and `tbl8s` (rte_lpm6 keeps its
// rules in an rte_hash, which wants 8 slots or more; neither takes 0 groups).
inline std::uint32_t lpm_rules(std::uint32_t prefixes) { return prefixes < 8 ? 8 : prefixes; }
inline std::uint32_t lpm_groups(std::uint32_t tbl8s) { return tbl8s < 1 ? 1 : tbl8s; }

// Bytes of DPDK memory a set of this shape takes, headers and rounding included (an upper
// bound: the table test compares it with the heap).
std::size_t table_set_bytes(const TableShape& shape);

// What the DPDK heaps hold right now, over every socket.
struct HeapBytes {
  std::size_t free = 0;
  std::size_t used = 0;
};
HeapBytes dpdk_heap();

}  // namespace anycastd::dpdk
