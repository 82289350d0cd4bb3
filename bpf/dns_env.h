// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The DNS hooks the core calls: the table in use, its entries, zones and answer arena, and the
 * calls into the BPF functions of dns_lookup.h that the verifier checks once. Included by
 * anycast_xdp.c, after env.h and before the core (respond.h).
 */
#ifndef AC_BPF_DNS_ENV_H
#define AC_BPF_DNS_ENV_H

#include "xdp_env.h"

/* A query's EDNS options lie in the frame's one buffer, a page at most (multi-buffer frames pass
 * before the core): the options walk reads no further (dataplane/core/dns_edns.h). */
#define AC_DNS_OPTIONS_MAX 4096u

static __always_inline struct ac_dns_scratch *ac_dns_scratch_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&ac_dns_scratch, &zero);
}

static __always_inline const struct ac_dns_edns *ac_env_dns_edns(struct ac_env *env)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&dns_edns, &zero);
}

static __always_inline __u8 *ac_env_dns_cookie(struct ac_env *env)
{
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	return s ? s->cookie : 0;
}

static __always_inline int ac_env_dns_reopen(struct ac_env *env, __u32 table)
{
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	if (!s)
		return 0;
	__u32 slot = table & 1;
	s->slot = slot;
	return bpf_map_lookup_elem(&ac_dns_arena, &slot) != 0;
}

static __always_inline int ac_env_dns_loaded(struct ac_env *env, __u32 *table)
{
	__u32 zero = 0;
	const struct ac_dns_state *state = bpf_map_lookup_elem(&ac_dns, &zero);
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	if (!state || !s || !state->loaded)
		return 0;
	__u32 slot = state->active & 1; /* read once: every lookup of this packet is in this table */
	*table = slot;
	s->seed = state->seed[slot];
	return bpf_map_lookup_elem(&ac_dns_entries, &slot) && ac_env_dns_reopen(env, slot);
}

static __always_inline const struct ac_dns_entry *ac_env_dns_entry(struct ac_env *env, const struct ac_dns_key *key)
{
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	if (!s)
		return 0;
	__u32 slot = s->slot;
	void *entries = bpf_map_lookup_elem(&ac_dns_entries, &slot);
	return entries ? bpf_map_lookup_elem(entries, key) : 0;
}

static __always_inline const struct ac_dns_zone *ac_env_dns_zone(struct ac_env *env, __u32 zone)
{
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	if (!s)
		return 0;
	__u32 slot = s->slot;
	void *zones = bpf_map_lookup_elem(&ac_dns_zones, &slot);
	return zones ? bpf_map_lookup_elem(zones, &zone) : 0;
}

static __always_inline const __u8 *ac_dns_chunk(const struct ac_dns_scratch *s)
{
	__u32 slot = s->slot, chunk = s->chunk;
	void *arena = bpf_map_lookup_elem(&ac_dns_arena, &slot);
	return arena ? bpf_map_lookup_elem(arena, &chunk) : 0;
}

/* A fast object never crosses a chunk (the compiler's promise), so the chunk alone bounds it. */
static __always_inline const struct ac_dns_answer *ac_env_dns_answer(struct ac_env *env, __u32 offset)
{
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	if (!s)
		return 0;
	s->chunk = offset / AC_DNS_CHUNK;
	__u64 at = offset % AC_DNS_CHUNK;
	const __u8 *chunk = ac_dns_chunk(s);
	AC_BPF_PIN(at);
	if (!chunk || at > AC_DNS_CHUNK - sizeof(struct ac_dns_answer))
		return 0;
	s->at = (__u32)at;
	return (const struct ac_dns_answer *)(chunk + at);
}

/* Offsets into the object are checked against the chunk one by one: the verifier bounds a map
 * value read by the largest offset plus the largest size, each alone. */
static __always_inline const void *ac_env_dns_bytes(struct ac_env *env, const struct ac_dns_answer *a,
						    __u32 off, __u32 n)
{
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	if (!s)
		return 0;
	const __u8 *chunk = ac_dns_chunk(s);
	__u64 at = (__u64)s->at + off;
	AC_BPF_PIN(at);
	if (!chunk || n > AC_DNS_CHUNK || at > AC_DNS_CHUNK - n)
		return 0;
	return chunk + at;
}

/*
 * Map value to packet, 8 bytes at a time: bpf_xdp_store_bytes would need the source's offset
 * and length bounded together, which the verifier cannot see, and bpf_dynptr_copy needs kernel
 * 6.15 (Debian 12 ships 6.1). The loops count from constants and nothing they change outlives
 * them, so the verifier meets one state after each whatever n was.
 */
static __always_inline int ac_env_dns_copy(struct ac_env *env, __u8 *dst, const __u8 *end,
					   const struct ac_dns_answer *a, __u32 off, __u32 n)
{
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	if (!s)
		return -1;
	const __u8 *chunk = ac_dns_chunk(s);
	__u32 at = s->at + off;
	if (!chunk || n > AC_DNS_FAST_MAX || at > AC_DNS_CHUNK)
		return -1;
	const __u32 words = n / 8;
	for (__u32 i = 0; i < AC_DNS_FAST_MAX / 8; i++) {
		if (i >= words)
			break;
		__u64 from = at + 8 * i;
		__u8 *to = dst + 8 * i;
		AC_BPF_PIN(from);
		AC_BPF_PIN(to);
		if (from > AC_DNS_CHUNK - 8 || to + 8 > end)
			return -1;
		*(__u64 *)to = *(const __u64 *)(chunk + from);
	}
	const __u32 tail = n - 8 * words;
	for (__u32 i = 0; i < 7; i++) {
		if (i >= tail)
			break;
		__u64 from = at + 8 * words + i;
		__u8 *to = dst + 8 * words + i;
		AC_BPF_PIN(from);
		AC_BPF_PIN(to);
		if (from > AC_DNS_CHUNK - 1 || to + 1 > end)
			return -1;
		*to = chunk[from];
	}
	return 0;
}

/* What passes in and out of anycast_dns_find (a BPF function takes five arguments at most). */
struct ac_dns_find {
	__u8 name_len;
	__u8 dnssec; /* the query set DO: the entries' DO variants (dns_dnssec.h) */
	__u16 qtype;
	__u16 entry_flags; /* out */
	__u16 pad2;
};

__u32 anycast_dns_find(struct xdp_md *ctx, __u32 nlabels, struct ac_dns_find *find);
static __always_inline int ac_dns_hash_name(struct ac_env *env, struct ac_dns_scratch *s, __u32 name_off);

/* The name pass here, with its loop callback, and the lookup in a BPF function the verifier
 * checks once (docs/dns.md, "XDP"): apart, each call chain keeps within BPF's 512-byte stack. */
static __always_inline __u32 ac_env_dns_find(struct ac_env *env, const __u8 *name,
					     const __u8 starts[AC_DNS_MAX_LABELS + 1], __u32 nlabels, __u32 name_len,
					     __u16 qtype, __u32 dnssec, __u16 *entry_flags)
{
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	if (!s || nlabels > AC_DNS_MAX_LABELS)
		return AC_DNS_BAD_NAME;
	__builtin_memcpy(s->start, starts, sizeof s->start);
	s->hash_label = nlabels - 1u;
	if (ac_dns_hash_name(env, s, (__u32)(name - (const __u8 *)(long)env->ctx->data)))
		return AC_DNS_BAD_NAME;
	struct ac_dns_find find = {.name_len = (__u8)name_len, .dnssec = dnssec ? 1 : 0, .qtype = qtype};
	__u32 at = anycast_dns_find(env->ctx, nlabels, &find);
	*entry_flags = find.entry_flags;
	return at;
}

/* Every packet pointer is invalid after bpf_xdp_adjust_tail: the caller gets the new bounds. */
static __always_inline int ac_env_resize(struct ac_env *env, __s32 delta, __u8 **data, __u8 **end)
{
	if (bpf_xdp_adjust_tail(env->ctx, delta))
		return -1;
	*data = (__u8 *)(long)env->ctx->data;
	*end = (__u8 *)(long)env->ctx->data_end;
	return 0;
}

/* What passes into anycast_dns_answer (a BPF function takes five arguments at most). */
struct ac_dns_fit {
	__u32 at;
	__u32 flags;
	__u32 question_end;
	__u32 opt_len;
	__u32 limit;
	__u16 entry_flags;
	__u16 pad;
};

__u8 anycast_dns_answer(const struct ac_dns_fit *fit, struct ac_dns_plan *plan);

/* The answer object, whole or cut, is a BPF function the verifier checks once (docs/dns.md). */
static __always_inline __u8 ac_env_dns_plan_answer(struct ac_env *env, __u32 at, __u16 entry_flags, __u32 flags,
						   __u32 question_end, __u32 opt_len, __u32 limit,
						   struct ac_dns_plan *plan)
{
	struct ac_dns_fit fit = {at, flags, question_end, opt_len, limit, entry_flags, 0};
	return anycast_dns_answer(&fit, plan);
}

/*
 * DNS planning and replying are BPF functions the verifier checks once each, from their
 * arguments ("global"), rather than once per path of the caller: those multiply past its limit
 * (docs/dns.md, "XDP"). They take the context and offsets, as such functions cannot take packet
 * pointers, and find the frame again from the context.
 */
__u8 anycast_dns_plan(struct xdp_md *ctx, __u32 msg_off, __u32 msg_len, struct ac_dns_plan *plan);
__u8 anycast_dns_reply(struct xdp_md *ctx, __u32 l3, __u8 is_ip6, const struct ac_dns_plan *plan);

/*
 * NSID and cookies (dataplane/core/dns_edns.h), each a BPF function the verifier checks once: the
 * options walk, from the plan, with the options' frame offset (at most the headers, a question
 * and our OPT's fixed part), and the cookie check, from the decision, whose three SipHash runs
 * and 32-byte input are off the decision's stack. The client's address reaches the check in the
 * scratch map, as global BPF functions take no packet pointers.
 */
__u8 anycast_dns_options(struct xdp_md *ctx, __u32 opts_off, __u32 rdlen, struct ac_dns_plan *plan);
__u32 anycast_dns_cookie(struct ac_dns_plan *plan, __u32 is_ip6);

static __always_inline __u8 ac_env_dns_options(struct ac_env *env, const __u8 *opts, __u32 rdlen,
					       struct ac_dns_plan *plan)
{
	return anycast_dns_options(env->ctx, (__u32)(opts - (const __u8 *)(long)env->ctx->data), rdlen, plan);
}

static __always_inline int ac_env_dns_cookie_check(struct ac_env *env, struct ac_dns_plan *plan, const __u8 *saddr,
						   __u32 is_ip6)
{
	if (!plan->cookie) /* AC_DNS_COOKIE_NONE, most queries: no call */
		return 0;
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	if (!s)
		return 0;
	if (is_ip6)
		ac_copy(s->cookie_addr, saddr, 16);
	else
		ac_copy(s->cookie_addr, saddr, 4);
	return (int)anycast_dns_cookie(plan, is_ip6);
}

static __always_inline __u8 ac_env_dns_plan_udp(struct ac_env *env, __u32 msg_off, __u32 msg_len,
						struct ac_dns_plan *plan)
{
	return anycast_dns_plan(env->ctx, msg_off, msg_len, plan);
}

static __always_inline __u8 ac_env_dns_reply(struct ac_env *env, __u32 l3, __u8 is_ip6, const struct ac_dns_plan *plan)
{
	return anycast_dns_reply(env->ctx, l3, is_ip6, plan);
}

/* After the core, whose ac_dns_fix_pointer it calls (below). */
static __always_inline int ac_env_dns_fixups(struct ac_env *env, __u8 *rec, const __u8 *end,
					     const struct ac_dns_answer *a, __u32 records, __u16 delta, __u32 *moved);

#endif
