// SPDX-License-Identifier: Apache-2.0
//
// The packet core again, with lookups that cost next to nothing, to separate the core's own work
// (parse, checks, swap, checksum) from native_env.h's linear scans, which dominate core_bench's
// main series. The environment knows exactly the two addresses of each mirror pair and the two
// echo ports; for the frames in bench_frames.h it gives the same verdicts as the full tables.
//
// decide.h wants the file that includes it to define `struct ac_env`; core_bench.cpp already
// defines one (native_env.h), so this translation unit puts its own, and its copy of the core,
// in a namespace instead of breaking the one-definition rule.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench_frames.h"
#include "core_loop.h"
#include "parse.h"

namespace ab = anycastd::bench;

namespace min_env {

struct ac_env {
  std::uint8_t v4[2][4];
  std::uint8_t v6[2][16];
  ac_vip_value vip;
  ac_port_value port;
  ac_port_value no_port;
};

static inline const ac_vip_value* ac_env_vip4(ac_env* env, const __u8* daddr) {
  return std::memcmp(daddr, env->v4[0], 4) == 0 || std::memcmp(daddr, env->v4[1], 4) == 0 ? &env->vip : nullptr;
}

static inline const ac_vip_value* ac_env_vip6(ac_env* env, const __u8* daddr) {
  return std::memcmp(daddr, env->v6[0], 16) == 0 || std::memcmp(daddr, env->v6[1], 16) == 0 ? &env->vip : nullptr;
}

static inline const ac_port_value* ac_env_port(ac_env* env, __u16 port) {
  return port == ab::kServerPort || port == ab::kClientPort ? &env->port : nullptr;
}

static inline int ac_env_allowed4(ac_env*, __u32, const __u8*) { return 1; }
static inline int ac_env_allowed6(ac_env*, __u32, const __u8*) { return 1; }
static inline int ac_env_answering(ac_env*) { return 1; }
static inline int ac_env_ip4_csum_verified(ac_env*) { return 0; }
// Echo only: no NTP state, so NTP frames would pass (the XDP cost benchmark measures NTP).
static inline const ac_ntp_state* ac_env_ntp_state(ac_env*) { return nullptr; }
static inline __u64 ac_env_tai_ns(ac_env*) { return 0; }
// No rate limiting: the echo path's cost alone.
static inline const ac_ratelimit_config* ac_env_ratelimit(ac_env*, __u32) { return nullptr; }
static inline __u64 ac_env_mono_ns(ac_env*) { return 0; }
static inline ac_ratelimit_bucket* ac_env_bucket(ac_env*, const ac_ratelimit_key*) { return nullptr; }
static inline void ac_env_bucket_add(ac_env*, const ac_ratelimit_key*, const ac_ratelimit_bucket*) {}
// Echo only: no DNS table either, so DNS frames would pass (dns_no_table) before any other DNS
// hook or a resize is reached.
static inline int ac_env_dns_loaded(ac_env*, __u32*) { return 0; }
static inline int ac_env_dns_reopen(ac_env*, __u32) { return 0; }
static inline __u64 ac_env_dns_seed(ac_env*) { return 0; }
static inline const ac_dns_edns* ac_env_dns_edns(ac_env*) { return nullptr; }
static inline const ac_dns_entry* ac_env_dns_entry(ac_env*, const ac_dns_key*) { return nullptr; }
static inline const ac_dns_zone* ac_env_dns_zone(ac_env*, __u32) { return nullptr; }
static inline const ac_dns_answer* ac_env_dns_answer(ac_env*, __u32) { return nullptr; }
static inline const void* ac_env_dns_bytes(ac_env*, const ac_dns_answer*, __u32, __u32) { return nullptr; }
static inline int ac_env_dns_copy(ac_env*, __u8*, const __u8*, const ac_dns_answer*, __u32, __u32) { return -1; }
static inline int ac_env_resize(ac_env*, __s32, __u8**, __u8**) { return -1; }

#include "respond.h"

}  // namespace min_env

namespace {

min_env::ac_env make_env(const ab::BenchCase& c) {
  min_env::ac_env env{};
  const std::uint32_t flags = AC_SVC_F_ENABLED | (c.restricted ? AC_SVC_F_RESTRICTED : 0u);
  env.vip = {AC_VIP_F_ANSWERING, 1u << AC_SVC_ECHO, 0};
  env.port = {flags, AC_SVC_ECHO};
  ab::FrameSpec v4 = c.spec, v6 = c.spec;
  // Addresses of both families, whichever family this case is.
  for (const ab::BenchCase& other : ab::bench_cases()) {
    if (other.spec.family == 4) v4 = other.spec;
    if (other.spec.family == 6) v6 = other.spec;
  }
  auto copy = [](std::uint8_t* to, int family, const std::string& text) {
    std::vector<std::uint8_t> a = ab::detail::address(family, text);
    std::memcpy(to, a.data(), a.size());
  };
  copy(env.v4[0], 4, v4.src);
  copy(env.v4[1], 4, v4.dst);
  copy(env.v6[0], 6, v6.src);
  copy(env.v6[1], 6, v6.dst);
  return env;
}

inline bool run_core(min_env::ac_env* env, std::vector<std::uint8_t>& frame) {
  ac_headers h;
  min_env::ac_verdict v = min_env::ac_decide(env, frame.data(), frame.data() + frame.size(), &h);
  if (v.action != AC_ACT_ANSWER) return false;
  return min_env::ac_respond(env, &h, v).action == AC_ACT_ANSWER;
}

void BM_core_min_env(benchmark::State& state, const ab::BenchCase& c, bool* failed) {
  min_env::ac_env env = make_env(c);
  ab::measure_echo(state, ab::build_frame(c.spec), [&](std::vector<std::uint8_t>& f) { return run_core(&env, f); },
                   failed);
}

}  // namespace

// Checks each frame (reply, then the request back) and registers its benchmark; false when a
// check fails.
bool register_min_env_benchmarks(const std::vector<ab::BenchCase>& cases, bool* failed) {
  for (const ab::BenchCase& c : cases) {
    if (c.restricted) continue;  // this environment allows every source: nothing to add
    min_env::ac_env env = make_env(c);
    const std::vector<std::uint8_t> request = ab::build_frame(c.spec);
    std::vector<std::uint8_t> frame = request;
    if (!(run_core(&env, frame) && frame == ab::build_frame(ab::mirror(c.spec)) && run_core(&env, frame) &&
          frame == request)) {
      std::fprintf(stderr, "core_bench: %s (min env): the core did not answer with the expected reply\n", c.name);
      return false;
    }
    benchmark::RegisterBenchmark((std::string("core_min_env/") + c.name).c_str(), BM_core_min_env, c, failed);
  }
  return true;
}
