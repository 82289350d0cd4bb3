// SPDX-License-Identifier: Apache-2.0
#pragma once

// The DPDK side's table set, built once from a FastpathTables and then only read; TableStore
// publishes whole sets, so workers never see one being built or freed.
//
// VIPs, longest prefix first: the exact ones (/32, /128) in an rte_hash per family, looked up
// for a whole burst at once (match4/match6), or, up to AC_VIP_SCAN_MAX of a family, compared in
// place as the XDP program does (a bulk lookup costs about 8 ns a key here, a scan of a few
// words less: docs/dpdk.md); then, only for a set that has them, the prefixes in an rte_lpm /
// rte_lpm6 (each costs a 64 MiB tbl24 whatever it holds: table_sizing.h); then a whole-space
// VIP. The found value is a pointer into the set's copy of the VIP values.
//
// Source allow lists: one LPM per family for every service, its next hop the mask of services
// whose lists hold the matched prefix. A prefix's mask takes in the services of every shorter
// prefix around it, so the longest match alone answers "is this source allowed for S".
//
// The port array, the answering switch and the services' rate limiters come along.

#include <rte_hash.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "abi.h"
#include "tables/fastpath_tables.h"

namespace anycastd::dpdk {

class DpdkTables {
 public:
  // The most addresses match4/match6 take at once (rte_hash's bulk limit).
  static constexpr unsigned kMatchMax = RTE_HASH_LOOKUP_BULK_MAX;

  // nullptr with `error` naming the entry that could not be stored, or, when DPDK memory ran
  // out, the memory the set needs and what is free.
  static std::unique_ptr<DpdkTables> build(const FastpathTables& tables, std::string& error);
  ~DpdkTables();
  DpdkTables(const DpdkTables&) = delete;
  DpdkTables& operator=(const DpdkTables&) = delete;

  // For n <= kMatchMax destination addresses (network order, in the frames): found[i] is the
  // VIP daddrs[i] matches, nullptr for none.
  void match4(const std::uint8_t* const* daddrs, unsigned n, const ac_vip_value** found) const;
  void match6(const std::uint8_t* const* daddrs, unsigned n, const ac_vip_value** found) const;
  // One address: the probe, and frames the burst's match did not place.
  const ac_vip_value* vip4(const std::uint8_t* daddr) const;
  const ac_vip_value* vip6(const std::uint8_t* daddr) const;

  const ac_port_value* port(std::uint16_t port) const { return &ports_[port]; }
  int allowed4(std::uint32_t service, const std::uint8_t* saddr) const {
    std::uint32_t services = allow4_all_, hop;
    if (allow4_ && rte_lpm_lookup(allow4_, host32(saddr), &hop) == 0) services |= hop;
    return service < AC_SVC__COUNT && (services >> service & 1);
  }
  int allowed6(std::uint32_t service, const std::uint8_t* saddr) const {
    std::uint32_t services = allow6_all_, hop;
    if (allow6_ && rte_lpm6_lookup(allow6_, saddr, &hop) == 0) services |= hop;
    return service < AC_SVC__COUNT && (services >> service & 1);
  }
  bool answering() const { return answering_; }
  const ac_ratelimit_config* ratelimit(std::uint32_t service) const {
    return service < AC_SVC__COUNT ? &ratelimit_[service] : nullptr;
  }
  bool any_ratelimit() const { return any_ratelimit_; }
  // The per-VIP counter entries this set's VIPs take anew: each worker zeroes its own when it
  // first polls with the set (worker.cpp), before it counts anything there.
  const std::vector<std::uint32_t>& vip_stats_fresh() const { return vip_stats_fresh_; }
  // Which set this is, counting from 1 in the process: what a worker compares, as a freed set's
  // address may come back.
  std::uint64_t generation() const { return generation_; }

 private:
  DpdkTables();
  static std::uint32_t host32(const std::uint8_t* a) {
    return std::uint32_t{a[0]} << 24 | std::uint32_t{a[1]} << 16 | std::uint32_t{a[2]} << 8 | a[3];
  }
  const ac_vip_value* scanned4(const std::uint8_t* daddr) const {
    std::uint32_t a;
    std::memcpy(&a, daddr, sizeof a);
    for (unsigned i = 0; i < scan4_.count; ++i)
      if (scan4_.address[i] == a) return scan4_.value[i];
    return nullptr;
  }
  const ac_vip_value* scanned6(const std::uint8_t* daddr) const {
    Address6 a;
    std::memcpy(a.data(), daddr, sizeof a);
    for (unsigned i = 0; i < scan6_.count; ++i)
      if (scan6_.address[i] == a) return scan6_.value[i];
    return nullptr;
  }
  const ac_vip_value* prefix4(const std::uint8_t* daddr) const {
    std::uint32_t hop;
    if (prefix4_ && rte_lpm_lookup(prefix4_, host32(daddr), &hop) == 0) return &vips_[hop];
    return vip4_all_;
  }
  const ac_vip_value* prefix6(const std::uint8_t* daddr) const {
    std::uint32_t hop;
    if (prefix6_ && rte_lpm6_lookup(prefix6_, daddr, &hop) == 0) return &vips_[hop];
    return vip6_all_;
  }
  bool store(const FastpathTables& tables, std::string& error);

  // A family's exact VIPs when there are few: their addresses and values, first match wins.
  template <typename Address>
  struct Scan {
    std::array<Address, AC_VIP_SCAN_MAX> address{};
    std::array<const ac_vip_value*, AC_VIP_SCAN_MAX> value{};
    unsigned count = 0;
  };
  using Address6 = std::array<std::uint64_t, 2>;

  std::vector<ac_vip_value> vips_;  // the set's VIP values, in its order: LPM hops index it
  rte_hash* exact4_ = nullptr;      // data: a pointer into vips_
  rte_hash* exact6_ = nullptr;
  Scan<std::uint32_t> scan4_;       // instead of exact4_ for up to AC_VIP_SCAN_MAX
  Scan<Address6> scan6_;
  rte_lpm* prefix4_ = nullptr;
  rte_lpm6* prefix6_ = nullptr;
  const ac_vip_value* vip4_all_ = nullptr;  // 0.0.0.0/0, when the LPM misses
  const ac_vip_value* vip6_all_ = nullptr;
  rte_lpm* allow4_ = nullptr;  // hop: the mask of services allowed
  rte_lpm6* allow6_ = nullptr;
  std::uint32_t allow4_all_ = 0;  // services with a /0 source
  std::uint32_t allow6_all_ = 0;
  std::unique_ptr<ac_port_value[]> ports_;
  bool answering_ = true;
  std::array<ac_ratelimit_config, AC_SVC__COUNT> ratelimit_{};
  bool any_ratelimit_ = false;
  std::vector<std::uint32_t> vip_stats_fresh_;
  std::uint64_t generation_;
};

}  // namespace anycastd::dpdk
