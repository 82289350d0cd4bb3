// SPDX-License-Identifier: Apache-2.0
#pragma once

// The denial proofs that depend on where a query name sorts (docs/dns.md, "Signed zones"): the
// covering NSEC/NSEC3 records of an NXDOMAIN (RFC 4035 3.1.3.2, RFC 5155 7.2.2) and of a wildcard
// answer's next closer name (RFC 4035 3.1.3.3, RFC 5155 7.2.5, 7.2.6), for the query name and,
// where a CNAME chain ends at a missing name or a wildcard (AC_DNS_A_END_PROOF), for the chain's
// last target. The fast paths pass these queries (dns_signed_proof); the core plans the rest of
// the answer (SOA or the wildcard's records, with their RRSIGs) and this adds the proof from the
// zone's chain (abi.h struct ac_dns_proofs).

#include <cstddef>
#include <cstdint>
#include <span>

#include "abi.h"
#include "dns_plan.h"

namespace anycastd::dns_server {

// The reply `out[0, length)`, written by the core for `plan` (plan.proof set), gets the proof
// records at the end of its authority section, each NSEC/NSEC3 with its RRSIGs: those that fit
// in `limit` bytes, and TC when one does not (never a record without its signatures). Returns
// the new length.
std::size_t add_proof(const ac_dns_table* table, const ac_dns_plan& plan, std::span<std::uint8_t> out,
                      std::size_t length, std::size_t limit);

}  // namespace anycastd::dns_server
