// SPDX-License-Identifier: Apache-2.0
#pragma once

// The DNS answer table on the XDP datapath: the compiled image (abi.h, struct ac_dns_table)
// spread over the BPF maps of abi.h's "BPF side" (bpf/anycast_xdp.c): an entries hash, an arena
// of chunks and a zone array per table, in slot 0 or 1 of three array-of-maps, and ac_dns
// saying which slot queries read.

#include <cstdint>
#include <vector>

namespace anycastd {

struct XdpDnsMaps {
  int state;    // ac_dns
  int entries;  // ac_dns_entries
  int arena;    // ac_dns_arena
  int zones;    // ac_dns_zones
};

// Sizes of the maps one table takes, for status and logs.
struct XdpDnsTableMaps {
  std::uint32_t entries = 0;
  std::uint32_t chunks = 0;
  std::uint32_t zones = 0;
};

// Makes fresh inner maps to the image's size, fills them, puts them in the slot queries do not
// read, then switches queries to it: a query reads one whole table, the old or the new, never
// a mix. Returns once no query can still be reading the old table (an RCU grace period), so
// that the next write may replace it. Throws std::runtime_error naming the map and the step;
// the table queries read is untouched then.
XdpDnsTableMaps write_dns_maps(const XdpDnsMaps& maps, const std::vector<std::uint8_t>& image);

}  // namespace anycastd
