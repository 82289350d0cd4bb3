// SPDX-License-Identifier: Apache-2.0
#pragma once

// Compiles zones into one DNS answer table image (abi.h struct ac_dns_table), as docs/dns.md
// ("What the compiler emits") specifies: every answer the packet path can send, precomputed and
// keyed by (owner name hash, qtype, name length).
//
// Zones must not overlap: a zone whose origin is at or below another's is rejected (a child zone
// is served as a delegation from its parent, or from a zone list without the parent).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dns/zone.h"

struct ac_dns_table;

namespace anycastd::dns {

struct ZoneStats {
  std::string origin;  // presentation form, "example.net."
  std::string file;
  std::uint32_t serial = 0;
  std::size_t records = 0;  // distinct records read
  std::size_t names = 0;    // owner names with records (empty non-terminals not counted)
  bool signed_zone = false;  // has RRSIGs: DO queries get them (docs/dns.md, "Signed zones")
  // Served, but the operator should know (dnssec.h dnssec_warnings): "FILE:LINE: what".
  std::vector<std::string> warnings;
};

struct CompiledTable {
  // The image, starting with struct ac_dns_table; operator new's alignment suits it.
  std::vector<std::uint8_t> image;
  std::vector<ZoneStats> zones;  // in the order given, matching the image's zone indexes
  std::size_t entries = 0;       // keys in the table
  std::size_t answers = 0;       // distinct answer objects in the arena
  std::size_t slow_answers = 0;  // of which too large for the fast path (AC_DNS_E_SLOW)

  const ac_dns_table* table() const { return reinterpret_cast<const ac_dns_table*>(image.data()); }
  std::size_t memory() const { return image.size(); }
};

// Reads (zone_reader.h) and compiles; throws ZoneError "FILE:LINE: message".
CompiledTable compile_zones(const std::vector<ZoneSource>& sources);

// Compiles zones already read.
CompiledTable compile(const std::vector<Zone>& zones);

}  // namespace anycastd::dns
