// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The XDP fast path: the packet core with BPF maps behind its lookups. Answers go back out of
 * the port they came in on (XDP_TX); everything else goes to the kernel untouched (XDP_PASS).
 */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "abi.h"
#include "compat.h"
#include "dns_plan.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, AC_VIP_MAX_DEFAULT);
	__type(key, struct ac_vip4_key);
	__type(value, struct ac_vip_value);
} ac_vip4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, AC_VIP_MAX_DEFAULT);
	__type(key, struct ac_vip6_key);
	__type(value, struct ac_vip_value);
} ac_vip6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, AC_PORTS);
	__type(key, __u32);
	__type(value, struct ac_port_value);
} ac_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, AC_ALLOW_MAX_DEFAULT);
	__type(key, struct ac_allow4_key);
	__type(value, __u8);
} ac_allow4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, AC_ALLOW_MAX_DEFAULT);
	__type(key, struct ac_allow6_key);
	__type(value, __u8);
} ac_allow6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ac_control);
} ac_control SEC(".maps");

/* The NTP server state, written by control about once a second. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ac_ntp_state);
} ac_ntp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ac_stats);
} ac_stats SEC(".maps");

/* Each service's rate limiter, written by control with the tables (interval_ns 0: none). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, AC_SVC__COUNT);
	__type(key, __u32);
	__type(value, struct ac_ratelimit_config);
} ac_ratelimit_cfg SEC(".maps");

/*
 * The rate limiter's buckets. One LRU hash shared by all CPUs rather than a per-CPU one: the
 * packets of one source land on any CPU the NIC's hash picks (another source port, another
 * queue), and per-CPU buckets would give it the limit once per CPU. Updates are plain
 * read-modify-writes without a lock: two CPUs racing on one bucket can lose a token taken,
 * which lets a source slightly past its limit, never below it. The common LRU list (no
 * BPF_F_NO_COMMON_LRU) evicts the globally least recent bucket when full.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AC_RATELIMIT_BUCKETS_DEFAULT);
	__type(key, struct ac_ratelimit_key);
	__type(value, struct ac_ratelimit_bucket);
} ac_buckets SEC(".maps");

/*
 * DNS answer tables (docs/dns.md). A table is three inner maps, made by control to the table's
 * size: entries (hash of ac_dns_key), the arena (array of chunks) and the zones. Each
 * array-of-maps has two slots; control fills the idle slot, then flips ac_dns.active, so a
 * packet, which reads `active` once, sees one whole table.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ac_dns_state);
} ac_dns SEC(".maps");

/*
 * The inner map templates. Sizes are given as numbers: clang 14 emits no BTF for a struct seen
 * only in a template, and libbpf then refuses the map. The arrays carry BPF_F_INNER_MAP so that
 * each table's maps may have their own max_entries (the kernel compares it otherwise); control
 * creates them with the same flags. A hash's max_entries is never compared.
 */
struct ac_dns_entries_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct ac_dns_key));
	__uint(value_size, sizeof(struct ac_dns_entry));
};

struct ac_dns_arena_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct ac_dns_chunk));
};

struct ac_dns_zones_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct ac_dns_zone));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct ac_dns_entries_inner);
} ac_dns_entries SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct ac_dns_arena_inner);
} ac_dns_arena SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct ac_dns_zones_inner);
} ac_dns_zones SEC(".maps");

/* A packet's DNS state, off the stack (BPF gives a whole call chain 512 bytes); one per CPU,
 * where one XDP run at a time uses it. */
struct ac_dns_scratch {
	__u64 hashes[AC_DNS_MAX_LABELS + 1];
	__u8 start[AC_DNS_MAX_LABELS + 1]; /* the name's labels, as ac_dns_walk_name found them */
	__u8 pad0[7];
	__u64 hash;        /* the name pass: the hash so far, */
	__u32 hash_name;   /* the name's frame offset, */
	__u32 hash_label;  /* the label hashed next (~0 when done) */
	__u64 seed;
	__u32 slot;   /* the table's slot, read once per packet */
	__u32 chunk;  /* the answer object's chunk */
	__u32 at;     /* and offset in it */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ac_dns_scratch);
} ac_dns_scratch SEC(".maps");

/* The packet's context: the core's hooks that change the frame need it. */
struct ac_env {
	struct xdp_md *ctx;
};

static __always_inline const struct ac_vip_value *ac_env_vip4(struct ac_env *env, const __u8 *daddr)
{
	struct ac_vip4_key key = {.prefixlen = 32};
	__builtin_memcpy(key.addr, daddr, 4);
	return bpf_map_lookup_elem(&ac_vip4, &key);
}

static __always_inline const struct ac_vip_value *ac_env_vip6(struct ac_env *env, const __u8 *daddr)
{
	struct ac_vip6_key key = {.prefixlen = 128};
	__builtin_memcpy(key.addr, daddr, 16);
	return bpf_map_lookup_elem(&ac_vip6, &key);
}

static __always_inline const struct ac_port_value *ac_env_port(struct ac_env *env, __u16 port)
{
	__u32 key = port;
	return bpf_map_lookup_elem(&ac_ports, &key);
}

static __always_inline int ac_env_allowed4(struct ac_env *env, __u32 service, const __u8 *saddr)
{
	struct ac_allow4_key key = {
		.prefixlen = AC_ALLOW_KEY_SERVICE_BITS + 32,
		.service = bpf_htonl(service),
	};
	__builtin_memcpy(key.addr, saddr, 4);
	return bpf_map_lookup_elem(&ac_allow4, &key) != 0;
}

static __always_inline int ac_env_allowed6(struct ac_env *env, __u32 service, const __u8 *saddr)
{
	struct ac_allow6_key key = {
		.prefixlen = AC_ALLOW_KEY_SERVICE_BITS + 128,
		.service = bpf_htonl(service),
	};
	__builtin_memcpy(key.addr, saddr, 16);
	return bpf_map_lookup_elem(&ac_allow6, &key) != 0;
}

static __always_inline int ac_env_answering(struct ac_env *env)
{
	__u32 zero = 0;
	struct ac_control *control = bpf_map_lookup_elem(&ac_control, &zero);
	return control && control->answering;
}

/* XDP sees no checksum verdict from the driver: the core checks the header itself. */
static __always_inline int ac_env_ip4_csum_verified(struct ac_env *env)
{
	return 0;
}

static __always_inline const struct ac_ntp_state *ac_env_ntp_state(struct ac_env *env)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&ac_ntp, &zero);
}

/*
 * XDP has no wall clock: the TAI clock (CLOCK_TAI, the kernel's UTC plus its TAI offset) with
 * control's copy of that offset subtracted in the core gives the kernel's UTC (docs/ntp.md).
 */
static __always_inline __u64 ac_env_tai_ns(struct ac_env *env)
{
	return bpf_ktime_get_tai_ns();
}

static __always_inline const struct ac_ratelimit_config *ac_env_ratelimit(struct ac_env *env, __u32 service)
{
	return bpf_map_lookup_elem(&ac_ratelimit_cfg, &service);
}

/* Buckets refill by the monotonic clock: a step of the wall clock must not refill or drain them. */
static __always_inline __u64 ac_env_mono_ns(struct ac_env *env)
{
	return bpf_ktime_get_ns();
}

static __always_inline struct ac_ratelimit_bucket *ac_env_bucket(struct ac_env *env,
								 const struct ac_ratelimit_key *key)
{
	return bpf_map_lookup_elem(&ac_buckets, key);
}

static __always_inline void ac_env_bucket_add(struct ac_env *env, const struct ac_ratelimit_key *key,
					      const struct ac_ratelimit_bucket *bucket)
{
	/* NOEXIST: a CPU that created the same bucket a moment ago keeps it. */
	bpf_map_update_elem(&ac_buckets, key, bucket, BPF_NOEXIST);
}

static __always_inline struct ac_dns_scratch *ac_dns_scratch_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&ac_dns_scratch, &zero);
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
	__u8 pad;
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
					     __u16 qtype, __u16 *entry_flags)
{
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	if (!s || nlabels > AC_DNS_MAX_LABELS)
		return AC_DNS_BAD_NAME;
	__builtin_memcpy(s->start, starts, sizeof s->start);
	s->hash_label = nlabels - 1u;
	if (ac_dns_hash_name(env, s, (__u32)(name - (const __u8 *)(long)env->ctx->data)))
		return AC_DNS_BAD_NAME;
	struct ac_dns_find find = {.name_len = (__u8)name_len, .qtype = qtype};
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
					     const struct ac_dns_answer *a, __u32 records, __u16 delta);

#include "respond.h"

/* The message's offset is the headers' length: at most two tags, IPv6 and UDP. */
#define AC_DNS_MSG_MAX_OFFSET (AC_L3_MAX_OFFSET + sizeof(struct ac_ipv6hdr) + sizeof(struct ac_udphdr))

/* One fixup per BPF loop callback: the callback is verified once, where the unrolled loop over up
 * to 255 fixups cost the verifier ~800k instructions (docs/dns.md, "XDP"). */
struct ac_dns_fixup_walk {
	struct xdp_md *ctx;
	const __u8 *chunk; /* the answer object's chunk */
	__u32 fixups;      /* chunk offset of fixup[0] */
	__u32 rec;         /* frame offset of the records */
	__u32 records;     /* bytes of records in the reply */
	__u16 delta;
	__u16 failed;
};

static long ac_dns_fixup_one(__u32 i, void *arg)
{
	struct ac_dns_fixup_walk *w = arg;
	__u64 from = w->fixups + 2 * (__u64)i, rec = w->rec;
	AC_BPF_PIN(from); /* the registers checked are the ones added: see AC_BPF_PIN */
	AC_BPF_PIN(rec);
	if (from > AC_DNS_CHUNK - 2 || rec > AC_DNS_MSG_MAX_OFFSET + AC_DNS_HEADER_LEN + AC_DNS_MAX_NAME + AC_DNS_QUESTION_TAIL) {
		w->failed = 1;
		return 1;
	}
	__u16 at;
	__builtin_memcpy(&at, w->chunk + from, sizeof at);
	__u8 *data = (__u8 *)(long)w->ctx->data;
	if (ac_dns_fix_pointer(data + rec, (const __u8 *)(long)w->ctx->data_end, at, w->records, w->delta)) {
		w->failed = 1;
		return 1;
	}
	return 0;
}

static __always_inline int ac_env_dns_fixups(struct ac_env *env, __u8 *rec, const __u8 *end,
					     const struct ac_dns_answer *a, __u32 records, __u16 delta)
{
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	if (!s)
		return -1;
	struct ac_dns_fixup_walk w = {
		.ctx = env->ctx,
		.chunk = ac_dns_chunk(s),
		.fixups = s->at + sizeof(struct ac_dns_answer),
		.rec = (__u32)(rec - (__u8 *)(long)env->ctx->data),
		.records = records,
		.delta = delta,
	};
	if (!w.chunk)
		return -1;
	bpf_loop(a->nfixups, ac_dns_fixup_one, &w, 0);
	return w.failed ? -1 : 0;
}

__attribute__((noinline)) __u8 anycast_dns_plan(struct xdp_md *ctx, __u32 msg_off, __u32 msg_len,
						struct ac_dns_plan *plan)
{
	struct ac_env env = {.ctx = ctx};
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	__u64 off = msg_off;
	AC_BPF_PIN(off); /* the register checked is the one added: see AC_BPF_PIN */
	if (!plan || off > AC_DNS_MSG_MAX_OFFSET || msg_len > 0xFFFF)
		return AC_PASS_DNS_MALFORMED;
	const __u8 *msg = data + off;
	return ac_dns_plan_bounded(&env, msg, msg + msg_len, end, AC_DNS_UDP_SIZE, 0, plan);
}

/* The name hashed backwards (dns_hash.h), one label per BPF loop callback: the callback is
 * verified once, where loops over labels and bytes unrolled in line cost the verifier ~850k
 * instructions (docs/dns.md, "XDP"). Each label stores the hash of the suffix it starts. */
struct ac_dns_hash_walk {
	struct xdp_md *ctx;
	struct ac_dns_scratch *s; /* the walk's state (stack is scarce): hash_*, start, hashes */
};

static long ac_dns_hash_label(__u32 j, void *arg)
{
	struct ac_dns_hash_walk *w = arg;
	struct ac_dns_scratch *s = w->s;
	const __u32 k = s->hash_label;
	if (k >= AC_DNS_MAX_LABELS)
		goto fail;
	const __u32 end = s->start[k + 1];
	__u64 len = end - s->start[k]; /* the length byte included */
	AC_BPF_PIN(len); /* the register checked is the one compared below: see AC_BPF_PIN */
	if (len > AC_DNS_MAX_LABEL + 1)
		goto fail;
	const __u64 last = (__u64)s->hash_name + end - 1; /* frame offset of the label's last byte */
	__u64 h = s->hash;
	for (__u32 b = 0; b <= AC_DNS_MAX_LABEL; b++) {
		if (b >= len)
			break;
		__u64 at = last - b;
		AC_BPF_PIN(at);
		const __u8 *p = (const __u8 *)(long)w->ctx->data + at;
		if (at > AC_DNS_MSG_MAX_OFFSET + AC_DNS_HEADER_LEN + AC_DNS_MAX_NAME ||
		    p + 1 > (const __u8 *)(long)w->ctx->data_end)
			goto fail;
		h = ac_dns_hash_step(h, *p);
	}
	s->hash = h;
	s->hashes[k] = h;
	s->hash_label = k - 1;
	return 0;
fail:
	s->hash_label = AC_DNS_MAX_LABELS; /* not ~0: the walk did not end */
	return 1;
}

/* The walk of ac_dns_hash_label over the name at frame offset name_off, labels as s->start says
 * and from s->hash_label down; 0 when every label was hashed into s->hashes. */
static __always_inline int ac_dns_hash_name(struct ac_env *env, struct ac_dns_scratch *s, __u32 name_off)
{
	__u32 n = s->hash_label + 1u;
	if (n > AC_DNS_MAX_LABELS)
		return -1;
	s->hash = ac_dns_hash_step(s->seed, 0); /* the root */
	s->hash_name = name_off;
	s->hashes[n] = s->hash;
	struct ac_dns_hash_walk w = {.ctx = env->ctx, .s = s};
	bpf_loop(n, ac_dns_hash_label, &w, 0);
	return s->hash_label == ~0u ? 0 : -1;
}

__attribute__((noinline)) __u32 anycast_dns_find(struct xdp_md *ctx, __u32 nlabels, struct ac_dns_find *find)
{
	struct ac_env env = {.ctx = ctx};
	struct ac_dns_scratch *s = ac_dns_scratch_get();
	__u64 n = nlabels;
	AC_BPF_PIN(n); /* the register checked is the one used: see AC_BPF_PIN */
	if (!find || !s || n > AC_DNS_MAX_LABELS)
		return AC_DNS_BAD_NAME;
	return ac_dns_lookup(&env, find->qtype, find->name_len, s->start, (__u32)n, s->hashes, &find->entry_flags);
}

__attribute__((noinline)) __u8 anycast_dns_answer(const struct ac_dns_fit *fit, struct ac_dns_plan *plan)
{
	struct ac_env env = {.ctx = 0}; /* the answer's hooks read maps only */
	if (!fit || !plan)
		return AC_PASS_DNS_SLOW_ANSWER;
	__u64 question_end = fit->question_end, opt_len = fit->opt_len, limit = fit->limit;
	AC_BPF_PIN(question_end); /* the registers checked are the ones used: see AC_BPF_PIN */
	AC_BPF_PIN(opt_len);
	AC_BPF_PIN(limit);
	if (question_end > AC_DNS_HEADER_LEN + AC_DNS_MAX_NAME + AC_DNS_QUESTION_TAIL || opt_len > AC_DNS_OPT_LEN ||
	    limit > 0xFFFF || limit < question_end + opt_len)
		return AC_PASS_DNS_SLOW_ANSWER;
	return ac_dns_plan_answer(&env, fit->at, fit->entry_flags, fit->flags, (__u32)question_end, (__u32)opt_len,
				  (__u32)limit, plan);
}

__attribute__((noinline)) __u8 anycast_dns_reply(struct xdp_md *ctx, __u32 l3, __u8 is_ip6,
						 const struct ac_dns_plan *plan)
{
	struct ac_env env = {.ctx = ctx};
	__u64 l3_off = l3;
	AC_BPF_PIN(l3_off); /* the register checked is the one added: see AC_BPF_PIN */
	if (!plan || l3_off > AC_L3_MAX_OFFSET)
		return AC_PASS_DNS_NO_ROOM;
	return ac_dns_reply_frame(&env, (__u8 *)(long)ctx->data, (__u8 *)(long)ctx->data_end, (__u32)l3_off, is_ip6,
				  plan);
}

/*
 * The decision as a BPF function of its own: its spills then take no room from the replies'
 * (the program has 512 bytes of stack for a whole call chain, and NTP's reply wants ~380). A
 * BPF function returns one register, so the verdict comes back packed.
 */
static __attribute__((noinline)) __u32 anycast_decide(struct ac_env *env, __u8 *data, __u8 *end,
						      struct ac_headers *h)
{
	struct ac_verdict v = ac_decide(env, data, end, h);
	return v.action | (__u32)v.reason << 8 | (__u32)v.service << 16 | (__u32)v.limited << 24;
}

SEC("xdp")
int anycast_xdp(struct xdp_md *ctx)
{
	__u8 *data = (__u8 *)(long)ctx->data;
	__u8 *end = (__u8 *)(long)ctx->data_end;
	struct ac_env env = {.ctx = ctx};
	struct ac_headers h;

	__u32 packed = anycast_decide(&env, data, end, &h);
	struct ac_verdict v = {(__u8)packed, (__u8)(packed >> 8), (__u8)(packed >> 16), (__u8)(packed >> 24)};
	if (v.action == AC_ACT_ANSWER)
		v = ac_respond(&env, &h, v);

	__u32 zero = 0;
	struct ac_stats *stats = bpf_map_lookup_elem(&ac_stats, &zero);
	if (stats) {
		stats->action[v.action < AC_ACT__COUNT ? v.action : AC_ACT_PASS]++;
		if (v.action == AC_ACT_ANSWER && v.service < AC_SVC__COUNT) {
			stats->answered[v.service]++;
			/* the reply's length: a DNS reply resized the frame */
			stats->answered_bytes[v.service] += ctx->data_end - ctx->data;
			if (v.limited)
				stats->rate_limited[v.service]++;
			if (v.service == AC_SVC_DNS && h.dns.outcome < AC_DNS_OUT__COUNT)
				stats->dns[h.dns.outcome]++;
		} else if (v.action == AC_ACT_DROP && v.service < AC_SVC__COUNT) {
			stats->rate_limited[v.service]++;
		} else if (v.reason < AC_PASS__COUNT) {
			stats->pass[v.reason]++;
		}
	}
	if (v.action == AC_ACT_DROP)
		return XDP_DROP;
	return v.action == AC_ACT_ANSWER ? XDP_TX : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
