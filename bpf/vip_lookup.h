// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The VIP match, longest prefix first, without walking a trie (docs/benchmarks.md, "VIP
 * lookups"): a small set is scanned in place, a larger one is a hash looked up once per prefix
 * length the set has, longest first. Included by xdp_env.h, which defines struct ac_env.
 *
 * A match is copied into the per-CPU ac_vip_match rather than pointed at in its set: BPF gives a
 * whole call chain 512 bytes of stack, which the DNS chain takes nearly all of, and a pointer into
 * scan[i] would carry its own offset per i into the rest of the decision.
 */
#ifndef AC_BPF_VIP_LOOKUP_H
#define AC_BPF_VIP_LOOKUP_H

#include "maps.h"

/* The slot of the set every lookup of this packet reads: read once (maps.h). */
static __always_inline __u32 ac_vip_slot(void)
{
	__u32 zero = 0;
	const struct ac_control *control = bpf_map_lookup_elem(&ac_control, &zero);
	return control ? control->vip_slot & 1 : 0;
}

static __always_inline const struct ac_vip_value *ac_vip_match_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&ac_vip_match, &zero);
}

static __always_inline const struct ac_vip_value *ac_vip_matched(const struct ac_vip_value *v)
{
	__u32 zero = 0;
	struct ac_vip_value *match = bpf_map_lookup_elem(&ac_vip_match, &zero);
	if (match)
		*match = *v;
	return match;
}

/* The first `bits` bits of a word in network byte order; bits of 32 and more keep it all. */
static __always_inline __u32 ac_prefix_mask32(__u32 bits)
{
	if (bits >= 32)
		return ~0u;
	return bits ? bpf_htonl(~0u << (32 - bits)) : 0;
}

/*
 * Not inlined (nor ac_vip6_hashed), so that its loop of lookups is walked once, from its one
 * caller ac_vip4_find: a static subprogram is checked in its caller's context, and that caller is
 * a global function, which the verifier checks once on its own.
 */
static __attribute__((noinline)) int ac_vip4_hashed(__u32 slot, __u32 daddr)
{
	const struct ac_vip4_set *set = bpf_map_lookup_elem(&ac_vip4_sets, &slot);
	void *hash = bpf_map_lookup_elem(&ac_vip4_hash, &slot);
	if (!set || !hash)
		return 0;
	struct ac_vip4_key key = {};
	const __u32 n = set->nlengths;
	for (__u32 i = 0; i < sizeof set->lengths; i++) {
		if (i >= n)
			break;
		const __u32 len = set->lengths[i];
		const __u32 masked = daddr & ac_prefix_mask32(len);
		key.prefixlen = len;
		__builtin_memcpy(key.addr, &masked, 4);
		const struct ac_vip_value *v = bpf_map_lookup_elem(hash, &key);
		if (v)
			return ac_vip_matched(v) != 0;
	}
	return 0;
}

static __attribute__((noinline)) int ac_vip6_hashed(__u32 slot, const __u32 *daddr)
{
	const struct ac_vip6_set *set = bpf_map_lookup_elem(&ac_vip6_sets, &slot);
	void *hash = bpf_map_lookup_elem(&ac_vip6_hash, &slot);
	if (!set || !hash || !daddr)
		return 0;
	struct ac_vip6_key key = {};
	const __u32 n = set->nlengths;
	for (__u32 i = 0; i < sizeof set->lengths; i++) {
		if (i >= n)
			break;
		const __u32 len = set->lengths[i];
		key.prefixlen = len;
		AC_UNROLL
		for (__u32 w = 0; w < 4; w++) {
			const __u32 masked = daddr[w] & ac_prefix_mask32(len > 32 * w ? len - 32 * w : 0);
			__builtin_memcpy(key.addr + 4 * w, &masked, 4);
		}
		const struct ac_vip_value *v = bpf_map_lookup_elem(hash, &key);
		if (v)
			return ac_vip_matched(v) != 0;
	}
	return 0;
}

/*
 * The matches as global BPF functions, which the verifier checks once, on their own, rather than
 * once for every path of the decision that leads to them; they return whether a VIP matched and
 * leave it in ac_vip_match. The address comes as words as they are in the frame.
 */
__attribute__((noinline)) int ac_vip4_find(__u32 daddr)
{
	__u32 slot = ac_vip_slot();
	const struct ac_vip4_set *set = bpf_map_lookup_elem(&ac_vip4_sets, &slot);
	if (!set)
		return 0;
	const __u32 count = set->count;
	if (count == AC_VIP_SET_HASHED)
		return ac_vip4_hashed(slot, daddr);
	AC_UNROLL
	for (__u32 i = 0; i < AC_VIP_SCAN_MAX; i++) {
		if (i >= count)
			break;
		if ((daddr & set->scan[i].mask) == set->scan[i].addr)
			return ac_vip_matched(&set->scan[i].value) != 0;
	}
	return 0;
}

__attribute__((noinline)) int ac_vip6_find(__u32 a0, __u32 a1, __u32 a2, __u32 a3)
{
	__u32 slot = ac_vip_slot();
	const struct ac_vip6_set *set = bpf_map_lookup_elem(&ac_vip6_sets, &slot);
	if (!set)
		return 0;
	const __u32 addr[4] = {a0, a1, a2, a3};
	const __u32 count = set->count;
	if (count == AC_VIP_SET_HASHED)
		return ac_vip6_hashed(slot, addr);
	for (__u32 i = 0; i < AC_VIP_SCAN_MAX; i++) {
		if (i >= count)
			break;
		const struct ac_vip6_scan *e = &set->scan[i];
		if ((((a0 & e->mask[0]) ^ e->addr[0]) | ((a1 & e->mask[1]) ^ e->addr[1]) |
		     ((a2 & e->mask[2]) ^ e->addr[2]) | ((a3 & e->mask[3]) ^ e->addr[3])) == 0)
			return ac_vip_matched(&e->value) != 0;
	}
	return 0;
}

static __always_inline const struct ac_vip_value *ac_env_vip4(struct ac_env *env, const __u8 *daddr)
{
	return ac_vip4_find(ac_even_word32(daddr)) ? ac_vip_match_get() : 0;
}

static __always_inline const struct ac_vip_value *ac_env_vip6(struct ac_env *env, const __u8 *daddr)
{
	return ac_vip6_find(ac_even_word32(daddr), ac_even_word32(daddr + 4), ac_even_word32(daddr + 8),
			    ac_even_word32(daddr + 12))
		       ? ac_vip_match_get()
		       : 0;
}

#endif
