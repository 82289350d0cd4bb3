// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The XDP program's maps: what control writes (VIPs, ports, allow lists, the answering switch,
 * the NTP state, rate limits, the DNS table) and what the program keeps (counters, rate-limit
 * buckets, the per-CPU DNS scratch). Included by anycast_xdp.c only.
 */
#ifndef AC_BPF_MAPS_H
#define AC_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "abi.h"
#include "dns_plan.h"

/*
 * The VIP sets (abi.h, bpf/vip_lookup.h). Each family has two slots, a set and its hash in each;
 * ac_control.vip_slot says which one packets match. Control writes the idle slot whole, then
 * flips vip_slot, so a packet, which reads vip_slot once, sees one whole set: never a mix of
 * the old and the new (docs/configuration.md, "Reloads while packets flow"). The hashes are inner
 * maps that control makes to each set's size (a hash's max_entries is never compared with the
 * template's; sizes as numbers for the reason given at the DNS templates below).
 */
struct ac_vip4_hash_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct ac_vip4_key));
	__uint(value_size, sizeof(struct ac_vip_value));
};

struct ac_vip6_hash_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct ac_vip6_key));
	__uint(value_size, sizeof(struct ac_vip_value));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct ac_vip4_set);
} ac_vip4_sets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct ac_vip6_set);
} ac_vip6_sets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct ac_vip4_hash_inner);
} ac_vip4_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct ac_vip6_hash_inner);
} ac_vip6_hash SEC(".maps");

/* The VIP a packet matched, copied out of its set (bpf/vip_lookup.h); one per CPU, where one
 * XDP run at a time uses it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ac_vip_value);
} ac_vip_match SEC(".maps");

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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AC_IFACE_MAX);
	__type(key, __u32);
	__type(value, struct ac_iface_stats);
} ac_iface_stats SEC(".maps");

/* Per VIP, at ac_vip_value.stats (abi.h); control sums the CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AC_VIP_STATS_ENTRIES);
	__type(key, __u32);
	__type(value, struct ac_vip_stats);
} ac_vip_stats SEC(".maps");

/*
 * Packet capture (abi.h, bpf/capture.h). ac_capture is shared across a restart in place like the
 * other maps, so a capture left on by a daemon that died is switched off by the next one.
 * libbpf sizes the perf event array to the possible CPUs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ac_capture_config);
} ac_capture SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} ac_capture_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ac_capture_counts);
} ac_capture_cnt SEC(".maps");

/*
 * Chain mode (docs/deployment.md): what the program does not answer goes on to slot
 * ac_chain_next of this prog array, which control replaces with the operator's pinned one before
 * loading. Alone it is an empty placeholder and ac_chain_on is 0, so the call is compiled out.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ac_chain SEC(".maps");

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
 * NSID and cookie secrets (abi.h struct ac_dns_edns, docs/dns.md "NSID and cookies"): control
 * writes the one entry at start, on reloads and every second for `now`; all zero (as created),
 * the options are ignored.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ac_dns_edns);
} dns_edns SEC(".maps");

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
	__u8 cookie[24];     /* the plan's cookie bytes (dataplane/core/dns_edns.h, ac_dns_cookie_bytes) */
	__u8 cookie_addr[16]; /* the client's address, for the cookie's hash (anycast_dns_cookie) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ac_dns_scratch);
} ac_dns_scratch SEC(".maps");

#endif
