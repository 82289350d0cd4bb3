/* SPDX-License-Identifier: Apache-2.0 */
/* Internet checksum (RFC 1071) over the fixed IPv4 header, verified on the way in, set on the way out. */
#ifndef ANYCASTD_CORE_CSUM_H
#define ANYCASTD_CORE_CSUM_H

#include "headers.h"

static __always_inline __u16 ac_csum_fold(__u32 sum)
{
	sum = (sum & 0xFFFF) + (sum >> 16);
	sum = (sum & 0xFFFF) + (sum >> 16);
	return (__u16)~sum;
}

/*
 * The ones'-complement sum of a 20-byte IPv4 header, its checksum field included. The words are
 * copied out rather than read through a __u16 pointer: the header was just written through its
 * struct fields, and a compiler may order type-punned reads before those writes.
 */
static __always_inline __u32 ac_ip4_sum(const struct ac_iphdr *ip)
{
	const __u8 *bytes = (const __u8 *)ip;
	__u32 sum = 0;
	AC_UNROLL
	for (int i = 0; i < (int)(sizeof(struct ac_iphdr) / 2); i++) {
		__u16 word;
		ac_copy(&word, bytes + 2 * i, 2);
		sum += word;
	}
	return sum;
}

/* A header whose checksum is right sums to all ones, which folds to zero. */
static __always_inline int ac_ip4_checksum_ok(const struct ac_iphdr *ip)
{
	return ac_csum_fold(ac_ip4_sum(ip)) == 0;
}

static __always_inline void ac_ip4_set_checksum(struct ac_iphdr *ip)
{
	ip->check = 0;
	ip->check = ac_csum_fold(ac_ip4_sum(ip));
}

#endif /* ANYCASTD_CORE_CSUM_H */
