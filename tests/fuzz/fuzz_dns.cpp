// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the DNS message core (ac_dns_plan + ac_dns_write), the part of the packet
// path that reads attacker-chosen names, counts and records, on any message, against the table
// the zone compiler makes of tests/core/data/dnscore.zone (wildcards, CNAME chains, a cut, a
// truncated RRset, a slow answer).
//
// Input: one byte of transport (bit 0: TCP, the slow path's; else UDP), then the message, in a
// heap block of exactly its size so that AddressSanitizer sees any read past its end.
//
// Properties checked (a violation aborts, which libFuzzer reports as a crash):
//  - a planned reply fits the transport: at most AC_DNS_UDP_SIZE bytes on UDP;
//  - the writer produces exactly the planned length, in a buffer of exactly that length;
//  - the reply keeps the query's ID and its question byte for byte, sets QR, and carries the
//    planned counts; TC only on UDP;
//  - the records' sum the plan carries, with what the moved pointers add, and the OPT's sum are
//    those of the bytes written (RFC 1071, summed here byte by byte): the UDP checksum of the
//    fast paths is made of them;
//  - a query the plan refuses gets a dns_* pass reason.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "native_env.h"
#include "dns/zone_compiler.h"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_dns: %s\n", what);
  std::abort();
}

const anycastd::dns::CompiledTable& table() {
  static const anycastd::dns::CompiledTable t = anycastd::dns::compile_zones({{"example.net.", AC_DNS_ZONE}});
  return t;
}

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

// The ones'-complement sum of n bytes as big-endian words from p, modulo 0xFFFF (0 and 0xFFFF
// are the same sum).
std::uint32_t sum_mod(const std::uint8_t* p, std::size_t n) {
  std::uint64_t s = 0;
  for (std::size_t i = 0; i < n; i++) s += i % 2 ? p[i] : p[i] << 8;
  return static_cast<std::uint32_t>(s % 0xFFFF);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool tcp = data[0] & 1;
  std::vector<std::uint8_t> query(data + 1, data + size);
  const anycastd::FastpathTables tables;
  ac_env env{&tables};
  env.dns = table().table();
  // An NSID of odd length and cookie secrets: the options are read, written and summed too
  // (dns_edns.h), the cookie at an odd offset of the options.
  static const ac_dns_edns edns = [] {
    ac_dns_edns e{};
    ac_dns_edns_set_nsid(&e, reinterpret_cast<const __u8*>("fuzz-site"), 9);
    e.secrets = 1;
    e.now = 1'800'000'000;
    return e;
  }();
  env.edns = &edns;

  const std::uint32_t max_reply = tcp ? 65535 : AC_DNS_UDP_SIZE;
  const std::uint32_t flags = AC_DNS_F_ALLOW_SLOW | (tcp ? AC_DNS_F_STREAM : 0);
  struct ac_dns_plan plan;
  const std::uint8_t* q = query.data();
  const __u8 reason = ac_dns_plan(&env, q, q + query.size(), max_reply, flags, &plan);
  if (reason != AC_PASS_NONE) {
    if (reason >= AC_PASS__COUNT || std::strncmp(ac_pass_reason_names[reason], "dns_", 4) != 0)
      fail("a refused query got a reason that is not a dns_ one");
    return 0;
  }
  if (plan.reply_len > max_reply) fail("the planned reply exceeds the transport's limit");
  if (tcp && plan.tc) fail("TC on TCP");
  const std::size_t question_end = 12 + plan.qname_len + 4;
  if (query.size() < question_end || plan.reply_len < question_end) fail("the question is not in the message");

  // The reply in a block of exactly its length, the query copied in as the fast path has it.
  std::vector<std::uint8_t> reply(plan.reply_len);
  std::memcpy(reply.data(), q, std::min<std::size_t>(query.size(), reply.size()));
  std::uint8_t* r = reply.data();
  __u32 moved = 0;
  if (ac_dns_write(&env, r, r + reply.size(), &plan, &moved) != plan.reply_len)
    fail("the writer's length differs from the plan");
  if (be16(r) != be16(q)) fail("the ID changed");
  if (!(r[2] & 0x80)) fail("QR not set");
  if (((r[2] & 0x02) != 0) != (plan.tc != 0)) fail("TC differs from the plan");
  if (be16(r + 4) != 1 || be16(r + 6) != plan.ancount || be16(r + 8) != plan.nscount) fail("counts differ from the plan");
  if (std::memcmp(r + 12, q + 12, question_end - 12) != 0) fail("the question was not echoed byte for byte");
  if (sum_mod(r + question_end, plan.records) != (plan.records_sum + std::uint64_t{moved}) % 0xFFFF)
    fail("the records' sum differs from the bytes written");
  if (plan.edns && sum_mod(r + question_end + plan.records + 1, AC_DNS_OPT_LEN - 1 + plan.opt_rdlen) !=
                       ac_dns_opt_sum(&env, &plan) % 0xFFFFu)
    fail("the OPT's sum differs from the bytes written");
  return 0;
}
