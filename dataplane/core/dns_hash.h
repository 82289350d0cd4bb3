/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one name hash of the DNS answer table, used by the zone compiler and the packet path.
 *
 * A name is hashed in wire form (length-prefixed labels ending in the root's zero byte), ASCII
 * lowercased, one byte at a time from its last byte back to its first. Walking backwards makes
 * the state reached at each label's first byte the hash of the suffix that starts there, so one
 * pass over a query name yields the hashes of the name and all its ancestors: the closest
 * encloser and the wildcard lookups of RFC 4592 need no second pass. Length bytes are at most 63
 * and never change when lowercased, so they take part unmodified and keep label boundaries
 * distinct ("a.bc" and "ab.c" differ).
 *
 * FNV-1a's step, keyed by a random seed per compiled table: an outsider cannot aim a name at a
 * collision without the seed, and the compiler rejects a seed that collides within the table.
 */
#ifndef ANYCASTD_CORE_DNS_HASH_H
#define ANYCASTD_CORE_DNS_HASH_H

#include "compat.h"

#define AC_DNS_HASH_PRIME 0x100000001b3ULL

static __always_inline __u8 ac_dns_lower(__u8 c)
{
	return (c >= 'A' && c <= 'Z') ? (__u8)(c + ('a' - 'A')) : c;
}

static __always_inline __u64 ac_dns_hash_step(__u64 h, __u8 byte)
{
	return (h ^ ac_dns_lower(byte)) * AC_DNS_HASH_PRIME;
}

/* The hash of "*." + a name whose hash is `parent`: wildcard owners are looked up from their parent. */
static __always_inline __u64 ac_dns_hash_wildcard(__u64 parent)
{
	return ac_dns_hash_step(ac_dns_hash_step(parent, '*'), 1);
}

#if !defined(__bpf__)
/* A whole wire name of `len` bytes (the root byte included), for the compiler and native lookups. */
static inline __u64 ac_dns_hash_name(__u64 seed, const __u8 *name, __u32 len)
{
	__u64 h = seed;
	while (len)
		h = ac_dns_hash_step(h, name[--len]);
	return h;
}
#endif

#endif /* ANYCASTD_CORE_DNS_HASH_H */
