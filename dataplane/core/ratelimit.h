/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-source rate limiting, for any service: a token bucket per {service, family, source prefix}.
 * NTP answers a source over its limit with a RATE kiss-o'-death (ntp.h); DNS response-rate
 * limiting (drop, or every slip-th answered truncated) takes the same buckets.
 *
 * Tokens are kept in nanoseconds of refill time: one token is interval_ns (1 s / rate), a bucket
 * holds at most burst * interval_ns, and time passing adds itself. The refill is then an addition
 * and a comparison, with no division on the packet path (BPF's is a real divide).
 *
 * Where the buckets live and what the clock is differ per datapath, so the file that includes
 * this header first defines `struct ac_env` and:
 *
 *   const struct ac_ratelimit_config *ac_env_ratelimit(struct ac_env *, __u32 service);
 *       the service's limiter, 0 (or interval_ns 0) when it has none
 *   __u64 ac_env_mono_ns(struct ac_env *);    a monotonic clock, nanoseconds
 *   struct ac_ratelimit_bucket *ac_env_bucket(struct ac_env *, const struct ac_ratelimit_key *);
 *       the key's bucket, 0 when there is none yet
 *   void ac_env_bucket_add(struct ac_env *, const struct ac_ratelimit_key *,
 *                          const struct ac_ratelimit_bucket *);
 *       stores a new bucket; storage that is full evicts an old one (an evicted source starts
 *       again with a full bucket), storage that fails simply forgets it
 */
#ifndef ANYCASTD_CORE_RATELIMIT_H
#define ANYCASTD_CORE_RATELIMIT_H

#include "abi.h"
#include "compat.h"

enum ac_ratelimit_result {
	AC_RL_ALLOW = 0,
	AC_RL_OVER,
};

/* The key of a source: its address cut to the limiter's prefix length, the rest zero. */
static __always_inline void ac_ratelimit_key_make(struct ac_ratelimit_key *key, __u32 service, int is_ip6,
						  const __u8 *saddr, const struct ac_ratelimit_config *c)
{
	__builtin_memset(key, 0, sizeof(*key));
	key->service = service;
	if (is_ip6) {
		key->family = 6;
AC_UNROLL
		for (__u32 i = 0; i < 16; i++)
			key->addr[i] = saddr[i] & c->mask6[i];
	} else {
		key->family = 4;
AC_UNROLL
		for (__u32 i = 0; i < 4; i++)
			key->addr[i] = saddr[i] & c->mask4[i];
	}
}

/*
 * Refills the bucket for the time since it was last seen and takes one token if there is one.
 * A bucket holding more than the limiter allows (burst lowered by a reload) is cut to it. A
 * clock that reads earlier than the bucket's last visit (another CPU's stamp) adds nothing.
 * `limited` counts the requests over the limit since the last one allowed (DNS's slip).
 */
static __always_inline __u8 ac_ratelimit_take(struct ac_ratelimit_bucket *b, const struct ac_ratelimit_config *c,
					      __u64 now_ns)
{
	__u64 cap = (__u64)c->burst * c->interval_ns;
	__u64 tokens = b->tokens_ns < cap ? b->tokens_ns : cap;
	if (now_ns > b->last_ns) {
		__u64 gained = now_ns - b->last_ns;
		tokens = gained >= cap - tokens ? cap : tokens + gained;
		b->last_ns = now_ns;
	}
	if (tokens >= c->interval_ns) {
		b->tokens_ns = tokens - c->interval_ns;
		b->limited = 0;
		return AC_RL_ALLOW;
	}
	b->tokens_ns = tokens;
	b->limited++;
	return AC_RL_OVER;
}

/* The decision for one request of `service` from `saddr`. A new source starts with a full bucket. */
static __always_inline __u8 ac_ratelimit(struct ac_env *env, __u32 service, int is_ip6, const __u8 *saddr)
{
	const struct ac_ratelimit_config *c = ac_env_ratelimit(env, service);
	if (!c || !c->interval_ns)
		return AC_RL_ALLOW;
	struct ac_ratelimit_key key;
	ac_ratelimit_key_make(&key, service, is_ip6, saddr, c);
	__u64 now = ac_env_mono_ns(env);
	struct ac_ratelimit_bucket *b = ac_env_bucket(env, &key);
	if (b)
		return ac_ratelimit_take(b, c, now);
	struct ac_ratelimit_bucket fresh = {(__u64)c->burst * c->interval_ns, now, 0, 0};
	__u8 result = ac_ratelimit_take(&fresh, c, now);
	ac_env_bucket_add(env, &key, &fresh);
	return result;
}

#endif /* ANYCASTD_CORE_RATELIMIT_H */
