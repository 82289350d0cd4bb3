// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The env the packet core calls (its ac_env_* hooks, as dataplane/core/parse.h and decide.h use
 * them): every lookup is a map of maps.h. The VIP match is in vip_lookup.h, the DNS hooks in
 * dns_env.h. Included by anycast_xdp.c, after maps.h.
 */
#ifndef AC_BPF_ENV_H
#define AC_BPF_ENV_H

#include "maps.h"

/* The packet's context: the core's hooks that change the frame need it. */
struct ac_env {
	struct xdp_md *ctx;
};

#include "vip_lookup.h"

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
	ac_copy_even(key.addr, saddr, 4);
	return bpf_map_lookup_elem(&ac_allow4, &key) != 0;
}

static __always_inline int ac_env_allowed6(struct ac_env *env, __u32 service, const __u8 *saddr)
{
	struct ac_allow6_key key = {
		.prefixlen = AC_ALLOW_KEY_SERVICE_BITS + 128,
		.service = bpf_htonl(service),
	};
	ac_copy_even(key.addr, saddr, 16);
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

#endif
