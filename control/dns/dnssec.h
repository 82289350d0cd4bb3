// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the compiler and the slow path need of DNSSEC (docs/dns.md, "Signed zones"): anycastd
// never signs; it orders names canonically (RFC 4034 6.1), hashes them as NSEC3 does (RFC 5155 5)
// to find the NSEC/NSEC3 records that prove a denial, and warns about a signer's mistakes.

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/zone.h"

namespace anycastd::dns {

// RFC 4034 6.1: labels compared from the root, case-insensitively, as unsigned bytes.
bool canonical_less(std::string_view a, std::string_view b);

struct Nsec3Params {
  std::uint8_t algorithm = 0;
  std::uint16_t iterations = 0;
  std::string salt;
};

// From NSEC3PARAM or NSEC3 RDATA; nullopt when it is cut short.
std::optional<Nsec3Params> nsec3_params(std::string_view rdata);

// RFC 5155 5: SHA-1 over the lowercased wire name and the salt, iterated. 20 bytes.
std::string nsec3_hash(std::string_view name, const Nsec3Params& params);

// The raw hash an NSEC3 owner's first label spells in base32hex (RFC 4648 7), or empty.
std::string nsec3_owner_hash(std::string_view owner);

// Warnings about a signed zone that is still served (the signer is at fault, as knotd serves it):
// NSEC3 iterations above 0 (RFC 9276 3.1), RRSIGs expired or not yet valid at `now`, a DNSKEY but
// no RRSIG. Each names the records, "FILE:LINE: ...".
std::vector<std::string> dnssec_warnings(const Zone& zone, std::time_t now);

}  // namespace anycastd::dns
