/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internet checksum (RFC 1071): over the fixed IPv4 header, verified on the way in, updated for
 * the words a reply changes on the way out (RFC 1624); over a whole UDP datagram whose payload
 * the reply rewrote (DNS).
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
	__u16 old_word = ac_even_word16(&ip->ttl);
	ip->ttl = ttl;
	__u16 new_word = ac_even_word16(&ip->ttl);
	ip->check = ac_csum_update(ip->check, old_word, new_word);
}

/* The longest datagram ac_udp_checksum sums: a DNS reply of AC_DNS_UDP_SIZE and its UDP header. */
#define AC_CSUM_MAX_UDP (8u + AC_DNS_UDP_SIZE)

/*
 * The UDP checksum (RFC 768, RFC 8200 8.1) of the len bytes at udp, its checksum field zero,
 * with `sum` the pseudo-header's addresses, protocol and length already added. Native-order
 * words summed are the network-order sum byte-swapped, and so is the folded result (RFC 1071
 * 2(B)): stored as is, it is right on the wire. 32-bit words into 64 bits leave no carry to fold
 * until the end. len is at most AC_CSUM_MAX_UDP; bound is how far the verifier lets us read.
 * Returns 0xFFFF for a sum of zero: 0 means "no checksum" (RFC 768); 0 when len is too long.
 */
static __always_inline __u16 ac_udp_checksum(const __u8 *udp, __u32 len, const __u8 *bound, __u64 sum)
{
	/* 64-bit, pinned, then checked: the BPF verifier must see the very register it bounds used
	 * below (a 32-bit copy would lose the bound). */
	__u64 n = len;
	AC_BPF_PIN(n);
	if (n > AC_CSUM_MAX_UDP)
		return 0;
#if defined(__bpf__)
	/* Loop bounds from constants, and no loop variable outlives the loop: the BPF verifier then
	 * meets one state after it, whatever len was. */
	const __u64 words = n / 4;
	for (__u32 i = 0; i < AC_CSUM_MAX_UDP / 4; i++) {
		if (i >= words)
			break;
		const __u8 *p = udp + 4 * i;
		AC_BPF_PIN(p);
		if (p + 4 > bound)
			break;
		__u32 word;
		ac_copy(&word, p, 4);
		sum += word;
	}
#else
	/* Natively 8 bytes at a time with the carry added back (ones'-complement addition modulo
	 * 2^64 - 1, which 2^32 - 1 and 2^16 - 1 divide: the fold below gives the same sum). */
	if (udp + n > bound)
		return 0;
	const __u64 words = n / 4;
	const __u8 *p = udp;
	for (__u64 left = n / 8; left; left--, p += 8) {
		__u64 word;
		ac_copy(&word, p, 8);
		sum += word;
		sum += sum < word;
	}
	if (n & 4) {
		__u32 word;
		ac_copy(&word, p, 4);
		sum += word;
		sum += sum < word;
	}
	sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
#endif
	const __u8 *rest = udp + 4 * words;
	AC_BPF_PIN(rest);
	if ((n & 2) && rest + 2 <= bound) {
		__u16 half;
		ac_copy(&half, rest, 2);
		sum += half;
		rest += 2;
	}
	if ((n & 1) && rest + 1 <= bound) {
		__u16 last = 0; /* the odd byte, padded with a zero byte after it */
		ac_copy(&last, rest, 1);
		sum += last;
	}
	sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
	sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
	__u16 check = ac_csum_fold((__u32)sum);
	return check ? check : 0xFFFF;
}

#endif /* ANYCASTD_CORE_CSUM_H */
