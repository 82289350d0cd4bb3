// SPDX-License-Identifier: Apache-2.0
#pragma once

// The DPDK side's table set, built once from a FastpathTables and then only read: VIPs in
// rte_lpm / rte_lpm6 (next hop = index into an ac_vip_value array), the port array, one pair of
// source-allow LPMs per restricted service, the answering switch, the services' rate limiters. Workers never see one being
// built or freed: TableStore publishes whole sets.

#include <rte_lpm.h>
#include <rte_lpm6.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "abi.h"
#include "tables/fastpath_tables.h"

namespace anycastd::dpdk {

// LPM capacities. tbl24 costs 64 MiB per LPM whatever these say; tbl8 groups are 1 KiB (v4) and
// 1 KiB (v6) each, needed for every /24 holding a longer v4 prefix and per 8 bits past /24 in v6.
inline constexpr std::uint32_t kVip4Tbl8s = 4096;
inline constexpr std::uint32_t kVip6Tbl8s = 16384;
inline constexpr std::uint32_t kAllow4Tbl8s = 1024;
inline constexpr std::uint32_t kAllow6Tbl8s = 4096;

class DpdkTables {
 public:
  // nullptr with `error` naming the entry that could not be stored (LPM full, bad prefix).
  static std::unique_ptr<DpdkTables> build(const FastpathTables& tables, std::string& error);
  ~DpdkTables();
  DpdkTables(const DpdkTables&) = delete;
  DpdkTables& operator=(const DpdkTables&) = delete;

  const ac_vip_value* vip4(const std::uint8_t* daddr) const {
    std::uint32_t hop;
    if (vip4_ && rte_lpm_lookup(vip4_, host32(daddr), &hop) == 0) return &vips_[hop];
    return vip4_all_ >= 0 ? &vips_[static_cast<std::size_t>(vip4_all_)] : nullptr;
  }
  const ac_vip_value* vip6(const std::uint8_t* daddr) const {
    std::uint32_t hop;
    if (vip6_ && rte_lpm6_lookup(vip6_, daddr, &hop) == 0) return &vips_[hop];
    return vip6_all_ >= 0 ? &vips_[static_cast<std::size_t>(vip6_all_)] : nullptr;
  }
  const ac_port_value* port(std::uint16_t port) const { return &ports_[port]; }
  int allowed4(std::uint32_t service, const std::uint8_t* saddr) const {
    if (service >= AC_SVC__COUNT) return 0;
    const Allow& a = allow_[service];
    std::uint32_t hop;
    return a.all4 || (a.v4 && rte_lpm_lookup(a.v4, host32(saddr), &hop) == 0);
  }
  int allowed6(std::uint32_t service, const std::uint8_t* saddr) const {
    if (service >= AC_SVC__COUNT) return 0;
    const Allow& a = allow_[service];
    std::uint32_t hop;
    return a.all6 || (a.v6 && rte_lpm6_lookup(a.v6, saddr, &hop) == 0);
  }
  bool answering() const { return answering_; }
  const ac_ratelimit_config* ratelimit(std::uint32_t service) const {
    return service < AC_SVC__COUNT ? &ratelimit_[service] : nullptr;
  }
  bool any_ratelimit() const { return any_ratelimit_; }

 private:
  DpdkTables();
  static std::uint32_t host32(const std::uint8_t* a) {
    return std::uint32_t{a[0]} << 24 | std::uint32_t{a[1]} << 16 | std::uint32_t{a[2]} << 8 | a[3];
  }

  struct Allow {
    rte_lpm* v4 = nullptr;
    rte_lpm6* v6 = nullptr;
    bool all4 = false;  // a /0 source: LPMs take depths 1.. only
    bool all6 = false;
  };

  rte_lpm* vip4_ = nullptr;
  rte_lpm6* vip6_ = nullptr;
  long vip4_all_ = -1;  // index of a 0.0.0.0/0 VIP, the fallback when the LPM misses
  long vip6_all_ = -1;
  std::vector<ac_vip_value> vips_;
  std::unique_ptr<ac_port_value[]> ports_;
  std::array<Allow, AC_SVC__COUNT> allow_{};
  bool answering_ = true;
  std::array<ac_ratelimit_config, AC_SVC__COUNT> ratelimit_{};
  bool any_ratelimit_ = false;
};

}  // namespace anycastd::dpdk
