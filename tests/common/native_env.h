// SPDX-License-Identifier: Apache-2.0
#pragma once

// The packet core's environment for native builds (tests, benchmarks, fuzzers): every lookup is
// answered straight from a FastpathTables, by linear scan. Deliberately naive, so that it is
// obviously right and can serve as the reference the BPF maps are compared against; speed does
// not matter at the handful of entries the tests use. DNS lookups read a compiled answer table
// image in place (dns_image.h), as the DPDK datapath and the slow path do.

#include <cstdint>
#include <cstring>
#include <map>
#include <string>

#include "dns_image.h"
#include "tables/fastpath_tables.h"

// The NTP clock is injected: every read returns tai_ns and then advances it by tai_step_ns, so
// a test predicts each timestamp of a reply (receive = the first read, transmit = the second).
// Rate-limit buckets live in a map the test owns, keyed by the key's bytes; without one every
// request meets a fresh bucket. The monotonic clock is mono_ns, set by the test.
// A frame may grow up to room_end (DNS replies); frame_end follows every resize, so the caller
// learns the reply's length from it.
struct ac_env {
  const anycastd::FastpathTables* tables;
  const ac_ntp_state* ntp = nullptr;
  std::uint64_t tai_ns = 0;
  std::uint64_t tai_step_ns = 0;
  std::map<std::string, ac_ratelimit_bucket>* buckets = nullptr;
  std::uint64_t mono_ns = 0;
  const ac_dns_table* dns = nullptr;  // nullptr: no answer table loaded
  const ac_dns_edns* edns = nullptr;  // nullptr: no NSID, no cookies
  std::uint8_t* room_end = nullptr;   // nullptr: the frame cannot grow
  std::uint8_t* frame_end = nullptr;
};

namespace anycastd::native_env_detail {

// Longest-prefix match, as the BPF LPM trie does it.
inline const ac_vip_value* vip_lookup(const ac_env* env, int family, const std::uint8_t* daddr) {
  const VipEntry* best = nullptr;
  for (const VipEntry& e : env->tables->vips)
    if (e.prefix.family == family && e.prefix.contains(daddr) &&
        (!best || e.prefix.len > best->prefix.len))
      best = &e;
  return best ? &best->value : nullptr;
}

inline int allowed(const ac_env* env, int family, std::uint32_t service, const std::uint8_t* saddr) {
  for (const AllowEntry& a : env->tables->allow)
    if (a.service == service && a.source.family == family && a.source.contains(saddr)) return 1;
  return 0;
}

}  // namespace anycastd::native_env_detail

static inline const ac_vip_value* ac_env_vip4(ac_env* env, const __u8* daddr) {
  return anycastd::native_env_detail::vip_lookup(env, 4, daddr);
}

static inline const ac_vip_value* ac_env_vip6(ac_env* env, const __u8* daddr) {
  return anycastd::native_env_detail::vip_lookup(env, 6, daddr);
}

static inline const ac_port_value* ac_env_port(ac_env* env, __u16 port) {
  auto it = env->tables->ports.find(port);
  return it == env->tables->ports.end() ? nullptr : &it->second;
}

static inline int ac_env_allowed4(ac_env* env, __u32 service, const __u8* saddr) {
  return anycastd::native_env_detail::allowed(env, 4, service, saddr);
}

static inline int ac_env_allowed6(ac_env* env, __u32 service, const __u8* saddr) {
  return anycastd::native_env_detail::allowed(env, 6, service, saddr);
}

static inline int ac_env_answering(ac_env* env) { return env->tables->answering ? 1 : 0; }

// No NIC here: the core verifies the IPv4 header checksum itself.
static inline int ac_env_ip4_csum_verified(ac_env*) { return 0; }

static inline const ac_ntp_state* ac_env_ntp_state(ac_env* env) { return env->ntp; }

static inline __u64 ac_env_tai_ns(ac_env* env) {
  std::uint64_t now = env->tai_ns;
  env->tai_ns += env->tai_step_ns;
  return now;
}

static inline const ac_ratelimit_config* ac_env_ratelimit(ac_env* env, __u32 service) {
  return service < AC_SVC__COUNT ? &env->tables->ratelimit[service] : nullptr;
}

static inline __u64 ac_env_mono_ns(ac_env* env) { return env->mono_ns; }

static inline ac_ratelimit_bucket* ac_env_bucket(ac_env* env, const ac_ratelimit_key* key) {
  if (!env->buckets) return nullptr;
  auto it = env->buckets->find(std::string(reinterpret_cast<const char*>(key), sizeof *key));
  return it == env->buckets->end() ? nullptr : &it->second;
}

static inline void ac_env_bucket_add(ac_env* env, const ac_ratelimit_key* key, const ac_ratelimit_bucket* bucket) {
  if (env->buckets) (*env->buckets)[std::string(reinterpret_cast<const char*>(key), sizeof *key)] = *bucket;
}

// One image for the env's life: the table a plan was made from is always there.
static inline int ac_env_dns_loaded(ac_env* env, __u32* table) {
  *table = 0;
  return env->dns != nullptr;
}
static inline int ac_env_dns_reopen(ac_env* env, __u32) { return env->dns != nullptr; }
static inline __u64 ac_env_dns_seed(ac_env* env) { return env->dns->seed; }
static inline const ac_dns_edns* ac_env_dns_edns(ac_env* env) { return env->edns; }

static inline const ac_dns_entry* ac_env_dns_entry(ac_env* env, const ac_dns_key* key) {
  return ac_dns_image_find(env->dns, key);
}

static inline const ac_dns_zone* ac_env_dns_zone(ac_env* env, __u32 zone) { return ac_dns_image_zone(env->dns, zone); }

static inline const ac_dns_answer* ac_env_dns_answer(ac_env* env, __u32 offset) {
  return ac_dns_image_answer(env->dns, offset);
}

// The image is trusted (control compiled it), and an answer object lies whole in it.
static inline const void* ac_env_dns_bytes(ac_env*, const ac_dns_answer* a, __u32 off, __u32) {
  return reinterpret_cast<const __u8*>(a) + off;
}

static inline int ac_env_dns_copy(ac_env*, __u8* dst, const __u8*, const ac_dns_answer* a, __u32 off, __u32 n) {
  std::memcpy(dst, reinterpret_cast<const __u8*>(a) + off, n);
  return 0;
}

// The frame grows or shrinks at its tail: its start stays.
static inline int ac_env_resize(ac_env* env, __s32 delta, __u8**, __u8** end) {
  if (delta > 0 && (!env->room_end || delta > env->room_end - *end)) return -1;
  *end += delta;
  env->frame_end = *end;
  return 0;
}

#include "respond.h"
