// SPDX-License-Identifier: Apache-2.0
#pragma once

// The packet core's environment on DPDK: lookups go to the current DpdkTables, the IPv4 header
// checksum verdict comes from the mbuf's RX offload flags, the NTP state is the burst's copy of
// the TableStore's and the clock is CLOCK_TAI, read for each timestamp (docs/ntp.md: a read
// costs tens of nanoseconds, a burst's worth of packets can take microseconds). DNS lookups read
// the burst's answer table image in place (dns_image.h); a reply longer or shorter than the
// query grows or trims the frame's one mbuf at its tail. One translation unit per user (the
// worker, the probe): the core's functions are static inline.
//
// Rate limiting: the limiter comes with the tables, the buckets are the worker's own
// (ratelimit_table.h; none for the probe, whose frames then each meet a fresh bucket and never
// spend a client's tokens), and the clock is CLOCK_MONOTONIC read once per burst: a burst takes
// microseconds, a token at the highest rate config allows a microsecond.

#include <rte_mbuf.h>
#include <time.h>

#include <cstring>

#include "dns_image.h"
#include "dpdk_tables.h"
#include "ratelimit_table.h"

struct ac_env {
  const anycastd::dpdk::DpdkTables* tables;
  int ip4_csum;  // 1 good, -1 bad, 0 unknown (see ac_env_ip4_csum_verified in decide.h)
  ac_ntp_state ntp;
  const ac_dns_table* dns;  // the burst's DNS answer table; nullptr: none loaded
  // The frame being decided: a single-segment mbuf (the worker), or, when null, a plain buffer
  // (the probe) that ends at frame_end and may grow up to room_end.
  rte_mbuf* mbuf;
  __u8* frame_end;
  __u8* room_end;
  anycastd::dpdk::RateLimitTable* buckets;  // nullptr: no bucket is kept
  __u64 mono_ns;                            // the burst's monotonic time, when a limiter is on
  // The frame's destination address as the burst's bulk match found it, and the VIP it matched
  // (burst_match.h); the core's lookup of that very address takes the answer from here.
  const __u8* matched_daddr;
  const ac_vip_value* matched_vip;
  // NSID and cookie secrets, the burst's copy of control's last dns_edns message (all zero until
  // one came: the options are ignored, as a server without them does).
  ac_dns_edns edns;
};

static inline const ac_vip_value* ac_env_vip4(ac_env* env, const __u8* daddr) {
  return daddr == env->matched_daddr ? env->matched_vip : env->tables->vip4(daddr);
}
static inline const ac_vip_value* ac_env_vip6(ac_env* env, const __u8* daddr) {
  return daddr == env->matched_daddr ? env->matched_vip : env->tables->vip6(daddr);
}
static inline const ac_port_value* ac_env_port(ac_env* env, __u16 port) { return env->tables->port(port); }
static inline int ac_env_allowed4(ac_env* env, __u32 service, const __u8* saddr) {
  return env->tables->allowed4(service, saddr);
}
static inline int ac_env_allowed6(ac_env* env, __u32 service, const __u8* saddr) {
  return env->tables->allowed6(service, saddr);
}
static inline int ac_env_answering(ac_env* env) { return env->tables->answering() ? 1 : 0; }
static inline int ac_env_ip4_csum_verified(ac_env* env) { return env->ip4_csum; }
static inline const ac_ntp_state* ac_env_ntp_state(ac_env* env) { return &env->ntp; }
static inline __u64 ac_env_tai_ns(ac_env*) {
  timespec now;
  clock_gettime(CLOCK_TAI, &now);
  return static_cast<__u64>(now.tv_sec) * 1000000000ull + static_cast<__u64>(now.tv_nsec);
}

static inline __u64 ac_env_dns_seed(ac_env* env) { return env->dns ? env->dns->seed : 0; }
static inline const ac_dns_edns* ac_env_dns_edns(ac_env* env) { return &env->edns; }
// One image per burst (RCU): the table a plan was made from is the writer's too.
static inline int ac_env_dns_loaded(ac_env* env, __u32* table) {
  *table = 0;
  return env->dns != nullptr;
}
static inline int ac_env_dns_reopen(ac_env* env, __u32) { return env->dns != nullptr; }
static inline const ac_dns_entry* ac_env_dns_entry(ac_env* env, const ac_dns_key* key) {
  return ac_dns_image_find(env->dns, key);
}
static inline const ac_dns_zone* ac_env_dns_zone(ac_env* env, __u32 zone) { return ac_dns_image_zone(env->dns, zone); }
static inline const ac_dns_answer* ac_env_dns_answer(ac_env* env, __u32 arena_offset) {
  return ac_dns_image_answer(env->dns, arena_offset);
}

// The mapping is the image, checked on arrival (channel::dns_table_problem): an answer object
// lies whole in it.
static inline const void* ac_env_dns_bytes(ac_env*, const ac_dns_answer* a, __u32 off, __u32) {
  return reinterpret_cast<const __u8*>(a) + off;
}
static inline int ac_env_dns_copy(ac_env*, __u8* dst, const __u8*, const ac_dns_answer* a, __u32 off, __u32 n) {
  std::memcpy(dst, reinterpret_cast<const __u8*>(a) + off, n);
  return 0;
}

// Grows (delta > 0) or shrinks the frame at its tail by `delta` bytes; `*data` stays, `*end`
// moves. -1 when the mbuf's tailroom (or the probe's buffer) is too short: the core then passes
// the query (dns_no_room). rte_pktmbuf_append/trim keep data_len and pkt_len in step.
static inline int ac_env_resize(ac_env* env, int delta, __u8** data, __u8** end) {
  if (env->mbuf) {
    if (delta > 0 && !rte_pktmbuf_append(env->mbuf, static_cast<uint16_t>(delta))) return -1;
    if (delta < 0 && rte_pktmbuf_trim(env->mbuf, static_cast<uint16_t>(-delta)) != 0) return -1;
    *end += delta;
    return 0;
  }
  if (*end + delta > env->room_end || *end + delta < *data) return -1;
  *end += delta;
  env->frame_end = *end;
  return 0;
}

static inline const ac_ratelimit_config* ac_env_ratelimit(ac_env* env, __u32 service) {
  return env->tables->ratelimit(service);
}
static inline __u64 ac_env_mono_ns(ac_env* env) { return env->mono_ns; }
static inline ac_ratelimit_bucket* ac_env_bucket(ac_env* env, const ac_ratelimit_key* key) {
  return env->buckets ? env->buckets->find(*key) : nullptr;
}
static inline void ac_env_bucket_add(ac_env* env, const ac_ratelimit_key* key, const ac_ratelimit_bucket* bucket) {
  if (env->buckets) env->buckets->add(*key, *bucket);
}

// CLOCK_MONOTONIC, as bpf_ktime_get_ns reads it on the XDP side.
inline __u64 ac_env_monotonic_now() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<__u64>(now.tv_sec) * 1000000000ull + static_cast<__u64>(now.tv_nsec);
}

#include "respond.h"
