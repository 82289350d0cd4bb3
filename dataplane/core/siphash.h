/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012), the keyed hash
 * of DNS server cookies (RFC 9018 4.4). One implementation for every datapath and the tests: the
 * message is at most AC_SIPHASH_MAX bytes (a server cookie's input: client cookie, version,
 * reserved, timestamp and an IPv6 address, 32 bytes), so the BPF verifier sees a loop of at most
 * five blocks with constant bounds.
 */
#ifndef ANYCASTD_CORE_SIPHASH_H
#define ANYCASTD_CORE_SIPHASH_H

#include "compat.h"

#define AC_SIPHASH_MAX 40u
#define AC_SIPHASH_KEY 16u

static __always_inline __u64 ac_rotl64(__u64 x, int b)
{
	return (x << b) | (x >> (64 - b));
}

/* Little-endian load of n (0..8) bytes: SipHash reads its words little-endian on every host. */
static __always_inline __u64 ac_sip_load(const __u8 *p, __u32 n)
{
	__u64 v = 0;
	AC_UNROLL
	for (__u32 i = 0; i < 8; i++)
		if (i < n)
			v |= (__u64)p[i] << (8 * i);
	return v;
}

struct ac_sip_state {
	__u64 v0, v1, v2, v3;
};

static __always_inline void ac_sip_round(struct ac_sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = ac_rotl64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ac_rotl64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ac_rotl64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ac_rotl64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ac_rotl64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ac_rotl64(s->v2, 32);
}

/*
 * SipHash-2-4 of the len bytes at msg (len <= AC_SIPHASH_MAX, else 0 comes back: callers pass
 * constant-bounded lengths) under the 16-byte key. The 64-bit result; the reference code and
 * RFC 9018 write it to the wire little-endian (ac_siphash_put).
 */
static __always_inline __u64 ac_siphash24(const __u8 key[AC_SIPHASH_KEY], const __u8 *msg, __u32 len)
{
	if (len > AC_SIPHASH_MAX)
		return 0;
	const __u64 k0 = ac_sip_load(key, 8), k1 = ac_sip_load(key + 8, 8);
	struct ac_sip_state s = {
		k0 ^ 0x736f6d6570736575ull,
		k1 ^ 0x646f72616e646f6dull,
		k0 ^ 0x6c7967656e657261ull,
		k1 ^ 0x7465646279746573ull,
	};
	const __u32 blocks = len / 8;
	for (__u32 i = 0; i < AC_SIPHASH_MAX / 8; i++) {
		if (i >= blocks)
			break;
		const __u64 m = ac_sip_load(msg + 8 * i, 8);
		s.v3 ^= m;
		ac_sip_round(&s);
		ac_sip_round(&s);
		s.v0 ^= m;
	}
	const __u64 last = ((__u64)len << 56) | ac_sip_load(msg + 8 * blocks, len & 7);
	s.v3 ^= last;
	ac_sip_round(&s);
	ac_sip_round(&s);
	s.v0 ^= last;
	s.v2 ^= 0xff;
	ac_sip_round(&s);
	ac_sip_round(&s);
	ac_sip_round(&s);
	ac_sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

static __always_inline void ac_siphash_put(__u8 out[8], __u64 h)
{
	AC_UNROLL
	for (int i = 0; i < 8; i++)
		out[i] = (__u8)(h >> (8 * i));
}

#endif /* ANYCASTD_CORE_SIPHASH_H */
