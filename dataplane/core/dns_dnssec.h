/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DNSSEC on the packet path (docs/dns.md, "Signed zones"): anycastd never signs; the zone
 * compiler gives every entry of a signed zone a second answer object for queries with the DO
 * bit (RFC 3225), its RRsets followed by their RRSIGs and the NSEC/NSEC3 records that prove a
 * NODATA or an unsigned referral. Choosing it is all the packet path does. What depends on where
 * the query name sorts (an NXDOMAIN's covering NSEC/NSEC3 records, a wildcard answer's proof
 * that the next closer name does not exist) cannot be a table lookup: those queries pass as
 * AC_PASS_DNS_SIGNED_PROOF and the slow path builds the proof from the zone's chain.
 */
#ifndef ANYCASTD_CORE_DNS_DNSSEC_H
#define ANYCASTD_CORE_DNS_DNSSEC_H

#include "abi.h"

/* The entry's answer for the query: its DO variant when the query set DO; *entry_flags gets the
 * flags that apply to that object (the DO variant's slowness as AC_DNS_E_SLOW). */
static __always_inline __u32 ac_dns_entry_answer(const struct ac_dns_entry *e, __u32 dnssec, __u16 *entry_flags)
{
	__u16 f = e->flags;
	if (!dnssec) {
		*entry_flags = (__u16)(f & ~(AC_DNS_E_DO_SLOW | AC_DNS_E_DO_PROOF));
		return e->answer;
	}
	*entry_flags = (__u16)((f & ~(AC_DNS_E_SLOW | AC_DNS_E_DO_SLOW)) | ((f & AC_DNS_E_DO_SLOW) ? AC_DNS_E_SLOW : 0));
	return e->answer_do;
}

/* A zone's NXDOMAIN: with DO in a signed zone, its DO variant, to which the slow path adds the
 * proof (AC_DNS_E_DO_PROOF). */
static __always_inline __u32 ac_dns_zone_nxdomain(const struct ac_dns_zone *zone, __u32 dnssec, __u16 *entry_flags)
{
	if (dnssec && (zone->flags & AC_DNS_Z_SIGNED)) {
		*entry_flags = AC_DNS_E_DO_PROOF;
		return zone->nxdomain_do;
	}
	*entry_flags = 0;
	return zone->nxdomain;
}

#endif /* ANYCASTD_CORE_DNS_DNSSEC_H */
