// SPDX-License-Identifier: Apache-2.0
#pragma once

// The packet core's DNS message functions (dataplane/core/dns.h) over a compiled table image in
// memory (dns_image.h): the slow path's environment. The core and this env are put in a
// namespace of their own, so that this `ac_env` is a type distinct from the other native envs
// (the tests', the DPDK datapath's) a program may also hold; the headers the core shares with
// everyone are included first, at global scope, where they belong.

#include <cstring>

#include "abi.h"
#include "compat.h"
#include "dns_hash.h"
#include "dns_image.h"
#include "dns_plan.h"

namespace anycastd::dns_server::core {

struct ac_env {
  const ac_dns_table* table;          // null: no table
  const ac_dns_edns* edns = nullptr;  // null: no NSID, no cookies
};

// One image per env: the table's name is always 0, and it is there as long as the env holds it.
static inline int ac_env_dns_loaded(ac_env* env, __u32* table) {
  *table = 0;
  return env->table != nullptr;
}
static inline int ac_env_dns_reopen(ac_env* env, __u32) { return env->table != nullptr; }
static inline __u64 ac_env_dns_seed(ac_env* env) { return env->table->seed; }
static inline const ac_dns_edns* ac_env_dns_edns(ac_env* env) { return env->edns; }
static inline const ac_dns_entry* ac_env_dns_entry(ac_env* env, const ac_dns_key* key) {
  return ac_dns_image_find(env->table, key);
}
static inline const ac_dns_zone* ac_env_dns_zone(ac_env* env, __u32 zone) { return ac_dns_image_zone(env->table, zone); }
static inline const ac_dns_answer* ac_env_dns_answer(ac_env* env, __u32 offset) {
  return ac_dns_image_answer(env->table, offset);
}
// The object's extent: header, fixups, cuts, records. The image is trusted (control compiled it).
static inline __u32 object_size(const ac_dns_answer* a) {
  return sizeof(ac_dns_answer) + 2u * a->nfixups + sizeof(ac_dns_cut) * a->ncuts + a->size;
}
static inline const void* ac_env_dns_bytes(ac_env*, const ac_dns_answer* a, __u32 off, __u32 n) {
  if (off + n > object_size(a)) return nullptr;
  return reinterpret_cast<const __u8*>(a) + off;
}
static inline int ac_env_dns_copy(ac_env*, __u8* dst, const __u8* end, const ac_dns_answer* a, __u32 off, __u32 n) {
  if (off + n > object_size(a) || dst + n > end) return -1;
  std::memcpy(dst, reinterpret_cast<const __u8*>(a) + off, n);
  return 0;
}

// The slow path walks names of any length (127 labels: the most 255 bytes hold), where the fast
// paths stop at AC_DNS_MAX_LABELS; the core must not have been included with the fast paths' walk.
#ifdef ANYCASTD_CORE_DNS_WIRE_H
#error "core_env.h must be the first to include dns_wire.h in its translation unit"
#endif
#define AC_DNS_WALK_LABELS 127u
#define AC_DNS_WALK_OPTIONS 16384u  // every option a 64 KiB message holds
#include "dns.h"

}  // namespace anycastd::dns_server::core
