// SPDX-License-Identifier: Apache-2.0
#pragma once

// The packet core's environment on DPDK: lookups go to the current DpdkTables, the IPv4 header
// checksum verdict comes from the mbuf's RX offload flags, the NTP state is the burst's copy of
// the TableStore's and the clock is CLOCK_TAI, read for each timestamp (docs/ntp.md: a read
// costs tens of nanoseconds, a burst's worth of packets can take microseconds). One translation
// unit per user (the worker, the probe): the core's functions are static inline.

#include <time.h>

#include "dpdk_tables.h"

struct ac_env {
  const anycastd::dpdk::DpdkTables* tables;
  int ip4_csum;  // 1 good, -1 bad, 0 unknown (see ac_env_ip4_csum_verified in decide.h)
  ac_ntp_state ntp;
};

static inline const ac_vip_value* ac_env_vip4(ac_env* env, const __u8* daddr) { return env->tables->vip4(daddr); }
static inline const ac_vip_value* ac_env_vip6(ac_env* env, const __u8* daddr) { return env->tables->vip6(daddr); }
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

#include "respond.h"
