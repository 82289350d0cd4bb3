// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reads an RFC 1035 master file with Knot's zone scanner (libzscanner: $ORIGIN, $TTL, $INCLUDE,
// relative names, escapes, multi-string TXT) and checks what the answer table relies on:
//   - class IN only;
//   - every owner at or below the origin;
//   - exactly one SOA, at the apex, and none elsewhere;
//   - a CNAME alone at its name (RRSIG and NSEC excepted, RFC 4035 2.5) and only one of them.
// Every failure is a ZoneError "FILE:LINE: message". Identical records are kept once.

#include "dns/zone.h"

namespace anycastd::dns {

Zone read_zone(const ZoneSource& source);

// The wire form of an origin given as text ("example.net", "example.net."), lowercased.
WireName origin_to_wire(const std::string& origin);

}  // namespace anycastd::dns
