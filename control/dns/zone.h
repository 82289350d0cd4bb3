// SPDX-License-Identifier: Apache-2.0
#pragma once

// A zone as read from its master file and checked (zone_reader.h): the owner names with their
// RRsets, in the wire form the zone scanner produces.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "dns/dns_name.h"

namespace anycastd::dns {

// "FILE:LINE: what is wrong" (FILE alone when no line applies, e.g. a file that cannot be opened).
class ZoneError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One zone to serve: its origin ("example.net" or "example.net.") and its master file.
struct ZoneSource {
  std::string origin;
  std::string file;
};

namespace rrtype {
inline constexpr std::uint16_t A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, MX = 15, TXT = 16,
                               AAAA = 28, SRV = 33, DS = 43, RRSIG = 46, NSEC = 47,
                               DNSKEY = 48, NSEC3 = 50, NSEC3PARAM = 51;
}
// "A", "MX", ... or "TYPE65280".
std::string type_to_text(std::uint16_t type);

struct RRset {
  std::uint16_t type = 0;
  // RRSIG only: the type the signatures cover. A node's RRSIGs are one RRset per covered type,
  // each with its own TTL (that of the RRset it covers), as a signer writes them (RFC 4034 3).
  std::uint16_t covered = 0;
  std::uint32_t ttl = 0;   // of the last record read: an RRset has one TTL (RFC 2181 5.2), as in Knot 3.2
  std::uint32_t line = 0;  // where its first record is
  std::vector<std::string> rdata;  // uncompressed wire RDATA, duplicates dropped, file order
};

struct Node {
  WireName owner;  // as first written in the file (case kept); empty for an empty non-terminal
  std::uint32_t line = 0;
  std::vector<RRset> rrsets;

  // The RRset of that type (for RRSIG, the first covered type's).
  const RRset* find(std::uint16_t type) const;
  // The RRSIGs covering that type, or null.
  const RRset* sigs(std::uint16_t covered) const;
  bool empty_non_terminal() const { return rrsets.empty(); }
};

struct Zone {
  WireName origin;  // lowercased
  std::string file;
  // Keyed by the lowercased owner; holds only names that own records (empty non-terminals are
  // added by the compiler).
  std::unordered_map<WireName, Node> nodes;
  std::uint32_t serial = 0;
  std::uint32_t soa_minimum = 0;
  std::size_t records = 0;

  const Node& apex() const { return nodes.at(origin); }
  std::string where(std::uint32_t line) const { return file + ":" + std::to_string(line); }
};

}  // namespace anycastd::dns
