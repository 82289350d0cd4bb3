// SPDX-License-Identifier: Apache-2.0
#include "table_sizing.h"

#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "abi.h"

#include <set>
#include <utility>

namespace anycastd::dpdk {
namespace {

constexpr std::size_t kTbl24 = std::size_t{1} << 24;
constexpr std::size_t kTbl8Group = 256 * 4;
// rte_malloc's element headers and cache-line rounding, the structure itself, its name and its
// tailq entry: a few allocations per table.
constexpr std::size_t kOverhead = 16 * 1024;

std::uint32_t first_24_bits(const Prefix& p) {
  return std::uint32_t{p.addr[0]} << 16 | std::uint32_t{p.addr[1]} << 8 | p.addr[2];
}

// tbl8 groups an IPv6 prefix of `len` bits can take at most: one per 8 bits past 24 (IPv4's, one
// per /24 holding longer prefixes, are counted per /24 in table_shape).
std::uint32_t lpm6_tbl8s(unsigned len) { return len > 24 ? (len - 24 + 7) / 8 : 0; }

std::size_t hash_bytes(std::uint32_t entries, std::uint32_t key_len) {
  const std::size_t slots = std::size_t{entries} + 1;
  const std::size_t buckets = rte_align32pow2(entries < 8 ? 8 : entries) / 8;
  const std::size_t key_entry = RTE_ALIGN(8 + key_len, 16);
  return buckets * 64 + slots * key_entry + std::size_t{rte_align32pow2(static_cast<std::uint32_t>(slots))} * 4 +
         kOverhead;
}

std::size_t lpm4_bytes(std::uint32_t prefixes, std::uint32_t tbl8s) {
  return kTbl24 * 4 + std::size_t{lpm_rules(prefixes)} * 8 + std::size_t{lpm_groups(tbl8s)} * kTbl8Group + kOverhead;
}

std::size_t lpm6_bytes(std::uint32_t prefixes, std::uint32_t tbl8s) {
  // The groups, their free pool and headers (4 + 12 B each), and the rules' hash: 17-byte keys,
  // made 1.2 times the rules and 64 more.
  const std::uint32_t rule_slots = lpm_rules(prefixes) + lpm_rules(prefixes) / 5 + 64;
  return kTbl24 * 4 + std::size_t{lpm_groups(tbl8s)} * (kTbl8Group + 16) + hash_bytes(rule_slots, 17) + kOverhead;
}

}  // namespace

std::uint32_t hash_entries(std::uint32_t keys) {
  return keys < 8 ? 16 : 2 * rte_align32pow2(keys);
}

TableShape table_shape(const FastpathTables& tables) {
  TableShape s;
  std::set<std::uint32_t> vip_24s, allow_24s;
  for (const VipEntry& v : tables.vips) {
    const Prefix& p = v.prefix;
    if (p.len == 0) continue;  // the whole space: a fallback, no table
    if (p.family == 4) {
      if (p.is_host()) {
        ++s.exact4;
      } else {
        ++s.prefix4;
        if (p.len > 24) vip_24s.insert(first_24_bits(p));
      }
    } else if (p.is_host()) {
      ++s.exact6;
    } else {
      ++s.prefix6;
      s.vip_tbl8s6 += lpm6_tbl8s(p.len);
    }
  }
  std::set<std::pair<std::array<std::uint8_t, 16>, std::uint8_t>> allow4, allow6;
  for (const AllowEntry& a : tables.allow) {
    const Prefix& p = a.source;
    if (p.len == 0) continue;
    if (!(p.family == 4 ? allow4 : allow6).insert({p.addr, p.len}).second) continue;
    if (p.family == 4) {
      if (p.len > 24) allow_24s.insert(first_24_bits(p));
    } else {
      s.allow_tbl8s6 += lpm6_tbl8s(p.len);
    }
  }
  s.vip_tbl8s4 = static_cast<std::uint32_t>(vip_24s.size());
  s.allow4 = static_cast<std::uint32_t>(allow4.size());
  s.allow6 = static_cast<std::uint32_t>(allow6.size());
  s.allow_tbl8s4 = static_cast<std::uint32_t>(allow_24s.size());
  return s;
}

std::size_t table_set_bytes(const TableShape& s) {
  std::size_t bytes = 0;
  if (s.exact4 > AC_VIP_SCAN_MAX) bytes += hash_bytes(hash_entries(s.exact4), 4);
  if (s.exact6 > AC_VIP_SCAN_MAX) bytes += hash_bytes(hash_entries(s.exact6), 16);
  if (s.prefix4) bytes += lpm4_bytes(s.prefix4, s.vip_tbl8s4);
  if (s.prefix6) bytes += lpm6_bytes(s.prefix6, s.vip_tbl8s6);
  if (s.allow4) bytes += lpm4_bytes(s.allow4, s.allow_tbl8s4);
  if (s.allow6) bytes += lpm6_bytes(s.allow6, s.allow_tbl8s6);
  return bytes;
}

HeapBytes dpdk_heap() {
  HeapBytes bytes;
  for (unsigned i = 0; i < rte_socket_count(); ++i) {
    rte_malloc_socket_stats stats{};
    if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &stats) != 0) continue;
    bytes.free += stats.heap_freesz_bytes;
    bytes.used += stats.heap_allocsz_bytes;
  }
  return bytes;
}

}  // namespace anycastd::dpdk
