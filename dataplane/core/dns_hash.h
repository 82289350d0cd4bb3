/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one name hash of the DNS answer table, used by the zone compiler and the packet path.
 *
 * A name is hashed in wire form (length-prefixed labels ending in the root's zero byte), ASCII
 * lowercased, one label at a time from its last label (the root) back to its first. Walking
 * backwards makes the state reached at each label's first byte the hash of the suffix that
 * starts there, so one pass over a query name yields the hashes of the name and all its
 * ancestors: the closest encloser and the wildcard lookups of RFC 4592 need no second pass.
 *
 * Within a label, 4 bytes at a time (docs/dns.md, "The name hash"): words counted from the
 * label's end back to its start, each read as a little-endian word and lowercased in one go; the
 * first word holds the label's first 1 to 4 bytes in its top bytes and zeros below them, so a
 * word's place never depends on what comes before the label. The length byte is part of that
 * first word: at most 63, it never changes when lowercased, and it keeps label boundaries
 * distinct ("a.bc" and "ab.c" differ) and the zero padding apart from a label's bytes.
 *
 * FNV-1a's step on each word, keyed by a random seed per compiled table: an outsider cannot aim a
 * name at a collision without the seed, and the compiler rejects a seed that collides within the
 * table. Words of 32 bits into the 64-bit state, not 64: a difference in a 64-bit word's top bit
 * would come out of the multiplication as the same difference whatever the seed, and the next
 * word could cancel it; below the top bit, the carries make it depend on the state.
 */
#ifndef ANYCASTD_CORE_DNS_HASH_H
#define ANYCASTD_CORE_DNS_HASH_H

#include "compat.h"

#define AC_DNS_HASH_PRIME 0x100000001b3ULL

/*
 * The same word on every host: the words are the hash's input, and the table crosses hosts. In
 * BPF one 4-byte load, told aligned through the pointer's type although a label's word is not:
 * clang would otherwise load it a byte at a time, and the verifier accepts unaligned packet
 * loads where the CPU does them (x86-64, arm64; not under BPF_F_STRICT_ALIGNMENT).
 */
static __always_inline __u32 ac_dns_le32(const __u8 *p)
{
	__u32 w;
#if defined(__bpf__)
	__builtin_memcpy(&w, (const __u32 *)(const void *)p, 4);
#else
	ac_copy(&w, p, 4);
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap32(w);
#endif
	return w;
}

/*
 * 'A'..'Z' to 'a'..'z' in all four bytes at once, every other byte as it was: a byte is upper
 * case when its high bit is clear and its low seven bits are at least 'A' and at most 'Z'. Adding
 * 0x80 - 'A' and 0x80 - 'Z' - 1 to the low seven bits sets the high bit for those at least 'A'
 * and those past 'Z'; no carry crosses into the next byte (0x7F + 0x3F < 0x100).
 */
static __always_inline __u32 ac_dns_lower4(__u32 w)
{
	const __u32 low7 = w & 0x7F7F7F7Fu;
	const __u32 from_a = low7 + 0x3F3F3F3Fu;
	const __u32 past_z = low7 + 0x25252525u;
	const __u32 upper = from_a & ~past_z & ~w & 0x80808080u;
	return w | (upper >> 2);
}

static __always_inline __u64 ac_dns_hash_word(__u64 h, __u32 w)
{
	return (h ^ ac_dns_lower4(w)) * AC_DNS_HASH_PRIME;
}

/* The label's first word, read with the (4 - k) bytes before the label: those are masked out. */
static __always_inline __u32 ac_dns_first_word(__u32 w, __u32 label_len)
{
	const __u32 before = 3 - ((label_len - 1) & 3); /* label_len >= 1, the length byte */
	return w & (0xFFFFFFFFu << (8 * before));
}

/* The root's hash: the root label is one zero byte. */
static __always_inline __u64 ac_dns_hash_root(__u64 seed)
{
	return ac_dns_hash_word(seed, 0);
}

/* The hash of "*." + a name whose hash is `parent`: wildcard owners are looked up from their parent. */
static __always_inline __u64 ac_dns_hash_wildcard(__u64 parent)
{
	return ac_dns_hash_word(parent, (__u32)1 << 16 | (__u32)'*' << 24);
}

#if !defined(__bpf__)
/*
 * One label of len bytes (its length byte included) at p, hashed onto h (the hash of what follows
 * it). Reads up to 3 bytes before p: a name in a message has the header before it, and
 * ac_dns_hash_name gives a bare one room.
 */
static inline __u64 ac_dns_hash_label(__u64 h, const __u8 *p, __u32 len)
{
	const __u8 *w = p + len;
	while (w - 4 >= p + 1) {
		w -= 4;
		h = ac_dns_hash_word(h, ac_dns_le32(w));
	}
	if (w > p)
		h = ac_dns_hash_word(h, ac_dns_first_word(ac_dns_le32(w - 4), len));
	return h;
}

/* A whole wire name of `len` bytes (the root byte included), for the compiler and native lookups. */
static inline __u64 ac_dns_hash_name(__u64 seed, const __u8 *name, __u32 len)
{
	__u8 buf[3 + 256] = {0}; /* room before the first label (ac_dns_hash_label) */
	if (len < 1 || len > 256)
		return seed;
	ac_copy(buf + 3, name, len);
	const __u8 *n = buf + 3;
	__u32 starts[128], count = 0;
	for (__u32 at = 0; at < len - 1 && count < 128; at += 1u + n[at])
		starts[count++] = at;
	__u64 h = ac_dns_hash_root(seed);
	__u32 end = len - 1;
	while (count--) {
		h = ac_dns_hash_label(h, n + starts[count], end - starts[count]);
		end = starts[count];
	}
	return h;
}
#endif

#endif /* ANYCASTD_CORE_DNS_HASH_H */
