// SPDX-License-Identifier: Apache-2.0
#pragma once

// The XDP program's VIP sets (abi.h, bpf/maps.h, bpf/vip_lookup.h): per family, a small set
// scanned in place or, above AC_VIP_SCAN_MAX, a hash looked up once per prefix length. Two
// slots each; ac_control.vip_slot says which one packets match. A new set is staged whole in
// the idle slot, then published by flipping vip_slot (XdpProgram owns ac_control), then the old
// slot is settled: once no packet can still be reading it, its hash is freed.

#include <cstdint>
#include <vector>

#include "base/posix_io.h"
#include "tables/fastpath_tables.h"

namespace anycastd {

struct XdpVipMaps {
  int sets4;  // ac_vip4_sets
  int sets6;  // ac_vip6_sets
  int hash4;  // ac_vip4_hash
  int hash6;  // ac_vip6_hash
};

class XdpVipSets {
 public:
  // max_entries: the most VIPs of one family a hash takes (datapath.vip_max_entries).
  XdpVipSets(const XdpVipMaps& maps, std::uint32_t max_entries);

  // Writes `vips` into `slot`, which no packet reads. Throws std::runtime_error naming the VIP
  // and the map when a write fails (more VIPs of a family than max_entries, out of memory); the
  // set packets read is untouched then.
  void stage(const std::vector<VipEntry>& vips, std::uint32_t slot);

  // After vip_slot was flipped to `active`: returns once no packet can still be reading the
  // other slot, whose hashes are freed then, so that the next stage may overwrite it.
  void settle(std::uint32_t active);

  // The set in `slot` as the maps hold it (the order aside): what a restart in place takes over,
  // with each VIP's counter entry. Throws std::runtime_error when a map cannot be read.
  std::vector<VipEntry> read(std::uint32_t slot) const;

 private:
  XdpVipMaps maps_;
  std::uint32_t max_entries_;
  // The hash staged last per family, if its set is hashed: settle places it again as the
  // barrier (a write to an array-of-maps waits for an RCU grace period).
  posix_io::UniqueFd staged4_, staged6_;
};

}  // namespace anycastd
