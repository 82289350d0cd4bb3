/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internet checksum (RFC 1071): over the fixed IPv4 header, verified on the way in, updated for
 * the words a reply changes on the way out (RFC 1624); over a DNS reply, from the query's bytes
 * it keeps and the sums the zone compiler made of the records it copies.
 */
#ifndef ANYCASTD_CORE_CSUM_H
#define ANYCASTD_CORE_CSUM_H

#include "abi.h"
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
	for (int i = 0; i < (int)(sizeof(struct ac_iphdr) / 2); i++)
		sum += ac_even_word16(bytes + 2 * i);
	return sum;
}

/* A header whose checksum is right sums to all ones, which folds to zero. */
static __always_inline int ac_ip4_checksum_ok(const struct ac_iphdr *ip)
{
	return ac_csum_fold(ac_ip4_sum(ip)) == 0;
}

/*
 * The checksum once one 16-bit word it covers went from old_word to new_word (RFC 1624, eqn. 3:
 * HC' = ~(~HC + ~m + m'), which never leaves -0), words as they are in memory like ac_ip4_sum's.
 * Right only if `check` was: the fast path answers only headers whose checksum it (or the NIC)
 * verified, so a reply updates the words it changes rather than summing the header again.
 */
static __always_inline __u16 ac_csum_update(__u16 check, __u16 old_word, __u16 new_word)
{
	return ac_csum_fold((__u32)(__u16)~check + (__u16)~old_word + new_word);
}

/* The reply's TTL, with its word (TTL and protocol) taken out of the checksum and put back. */
static __always_inline void ac_ip4_set_ttl(struct ac_iphdr *ip, __u8 ttl)
{
	/* The new word is made in a register: read back after the byte store, it would wait for
	 * the store (a failed store-to-load forward, a quarter of the DPDK burst loop's IPv4 cost). */
	__u16 old_word = ac_even_word16(&ip->ttl);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	__u16 new_word = (__u16)((old_word & 0xFF00u) | ttl);
#else
	__u16 new_word = (__u16)((old_word & 0x00FFu) | ((__u16)ttl << 8));
#endif
	ip->ttl = ttl;
	ip->check = ac_csum_update(ip->check, old_word, new_word);
}

/*
 * A sum folded to 16 bits but not complemented: a part of a larger sum, or the whole before its
 * complement. A sum of anything but zeros folds to 1..0xFFFF, never 0.
 */
static __always_inline __u16 ac_csum_fold16(__u64 sum)
{
	sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
	sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
	sum = (sum & 0xFFFF) + (sum >> 16);
	sum = (sum & 0xFFFF) + (sum >> 16);
	return (__u16)sum;
}

/*
 * A part summed apart as big-endian words from its own first byte, placed `offset` bytes into
 * the whole (RFC 1071 2(B), 2(C)): at an odd offset each of its bytes falls in the other half
 * of a word, which swaps the part's sum.
 */
static __always_inline __u16 ac_csum_shift(__u16 sum, __u32 offset)
{
	return (offset & 1) ? (__u16)((sum << 8) | (sum >> 8)) : sum;
}

/*
 * The most bytes ac_csum_bytes sums: the part of a DNS reply that is the query's own, its UDP
 * header, DNS header and the longest question (8 + 12 + 255 + 4). The records after it come
 * with sums of their own (docs/dns.md, "The UDP checksum").
 */
#define AC_CSUM_MAX_BYTES 279u

/*
 * Adds the len bytes at p to `sum` as native-order 32-bit words, the last odd byte padded with
 * a zero after it. Native-order words summed are the network-order sum byte-swapped, and so is
 * the folded result (RFC 1071 2(B)): stored as is, it is right on the wire. Into 64 bits, no
 * carry needs folding until the end. len is at most AC_CSUM_MAX_BYTES; bound is how far the
 * verifier lets us read. Returns 0 when len is too long or a byte lies beyond bound: a sum that
 * starts from a pseudo-header's is never 0.
 */
static __always_inline __u64 ac_csum_bytes(const __u8 *p, __u32 len, const __u8 *bound, __u64 sum)
{
	/* 64-bit, pinned, then checked: the BPF verifier must see the very register it bounds used
	 * below (a 32-bit copy would lose the bound). */
	__u64 n = len;
	AC_BPF_PIN(n);
	if (n > AC_CSUM_MAX_BYTES)
		return 0;
	/* Loop bounds from constants, and no loop variable outlives the loop: the BPF verifier then
	 * meets one state after it, whatever len was. */
	const __u64 words = n / 4;
	for (__u32 i = 0; i < AC_CSUM_MAX_BYTES / 4; i++) {
		if (i >= words)
			break;
		const __u8 *q = p + 4 * i;
		AC_BPF_PIN(q);
		if (q + 4 > bound)
			return 0;
		__u32 word;
		ac_copy(&word, q, 4);
		sum += word;
	}
	const __u8 *rest = p + 4 * words;
	AC_BPF_PIN(rest);
	if (n & 2) {
		if (rest + 2 > bound)
			return 0;
		__u16 half;
		ac_copy(&half, rest, 2);
		sum += half;
		rest += 2;
	}
	if (n & 1) {
		if (rest + 1 > bound)
			return 0;
		__u16 last = 0;
		ac_copy(&last, rest, 1);
		sum += last;
	}
	return sum;
}

#endif /* ANYCASTD_CORE_CSUM_H */
