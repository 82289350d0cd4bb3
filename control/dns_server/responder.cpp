// SPDX-License-Identifier: Apache-2.0
#include "dns_server/responder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "dns_server/core_env.h"
#include "dns_server/message.h"
#include "dns_server/proof.h"

namespace anycastd::dns_server {

namespace {

Verdict copy_out(const std::vector<std::uint8_t>& reply, std::span<std::uint8_t> out, DnsSlowCounter counter) {
  std::memcpy(out.data(), reply.data(), reply.size());
  return {reply.size(), counter};
}

Verdict own_reply(std::span<const std::uint8_t> msg, const Query& q, std::uint8_t rc, std::span<std::uint8_t> out,
                  DnsSlowCounter counter) {
  return copy_out(rcode_reply(msg, q, rc), out, counter);
}

// What the core plans: the types of docs/dns.md's table, looked up for ANY (RFC 8482).
constexpr std::uint16_t kAnyCandidates[] = {qtype::a, qtype::aaaa, qtype::cname, qtype::mx, qtype::ns, qtype::soa,
                                            qtype::txt};
// A type no zone holds (an unassigned meta type, RFC 6895): looked up for the meta QTYPEs Knot
// answers as absent types (OPT, TKEY, TSIG, MAILB, MAILA), it gives the name's NODATA, NXDOMAIN,
// referral or REFUSED.
constexpr std::uint16_t kAbsentType = 128;

using Plan = struct ::ac_dns_plan;

void put16(std::span<std::uint8_t> m, std::size_t at, std::uint16_t v) {
  m[at] = static_cast<std::uint8_t>(v >> 8);
  m[at + 1] = static_cast<std::uint8_t>(v);
}

// The core's answer to the query in `out` (normalized, `length` bytes) with QTYPE `type`.
std::uint8_t plan_as(core::ac_env& env, std::span<std::uint8_t> out, std::size_t length, const Query& q,
                     std::uint16_t type, Transport transport, Plan& plan) {
  put16(out, q.qtype_offset, type);
  bool tcp = transport == Transport::tcp;
  return core::ac_dns_plan(&env, out.data(), out.data() + length, tcp ? kMaxMessage : AC_DNS_UDP_SIZE,
                           AC_DNS_F_ALLOW_SLOW | AC_DNS_F_PROOF | (tcp ? AC_DNS_F_STREAM : 0), &plan);
}

// The most bytes the reply may take, as the core limits it: on UDP the client's size (RFC 6891
// 6.2.5: at least 512, 512 without EDNS), at most ours.
std::size_t reply_limit(std::span<const std::uint8_t> msg, const Query& q, Transport transport) {
  if (transport == Transport::tcp) return kMaxMessage;
  std::size_t size = AC_DNS_MIN_UDP;
  if (q.has_opt && q.opt_offset + 5 <= msg.size())
    size = std::max<std::size_t>(size, (msg[q.opt_offset + 3] << 8) | msg[q.opt_offset + 4]);
  return std::min<std::size_t>(size, AC_DNS_UDP_SIZE);
}

// The counter of a cookie's outcome after ac_dns_cookie_check, besides the answer's: BADCOOKIE
// is the answer's own counter (answer_counter), cookie_bad.
std::optional<DnsSlowCounter> cookie_counter(std::uint8_t state) {
  if (state == core::AC_DNS_COOKIE_VALID) return kCookieValid;
  if (state == core::AC_DNS_COOKIE_NEW) return kCookieNew;
  return std::nullopt;
}

Verdict answer(const ac_dns_table* table, const ac_dns_edns* edns, const Client& client,
               std::span<const std::uint8_t> msg, const Query& q, Transport transport, std::span<std::uint8_t> out) {
  core::ac_env env{table, edns};
  std::size_t length = normalized_query(msg, q, out);
  // Class ANY is answered as IN (as Knot does); the reply's question keeps the query's class.
  put16(out, q.qtype_offset + 2, kClassIn);

  Plan plan{};
  std::uint8_t pass = AC_PASS_NONE;
  bool any = q.qtype == qtype::any;
  if (any) {
    // RFC 8482 4.1: one RRset, the smallest the name has; none: what an absent type gets.
    std::optional<Plan> best;
    std::uint32_t best_size = 0;
    for (std::uint16_t type : kAnyCandidates) {
      Plan candidate{};
      if (plan_as(env, out, length, q, type, transport, candidate) != AC_PASS_NONE) continue;
      if (candidate.answer_at == AC_DNS_NO_ANSWER || candidate.rcode != rcode::noerror) continue;
      const ac_dns_answer* object = ac_dns_image_answer(table, candidate.answer_at);
      if (!object->ancount) continue;
      if (!best || object->size < best_size) {
        best = candidate;
        best_size = object->size;
      }
    }
    if (best)
      plan = *best;
    else
      pass = plan_as(env, out, length, q, kAbsentType, transport, plan);
  } else {
    pass = plan_as(env, out, length, q, core::ac_dns_meta_qtype(q.qtype) ? kAbsentType : q.qtype, transport, plan);
  }
  // The one OPT problem read_query leaves to the core: a COOKIE option of a malformed length
  // (RFC 7873 5.2.2: FORMERR), which the fast paths pass here.
  if (pass == AC_PASS_DNS_EDNS) {
    Verdict v = own_reply(msg, q, rcode::formerr, out, kFormerr);
    v.cookie = kCookieMalformed;
    return v;
  }
  if (pass != AC_PASS_NONE) {
    // The message was read above as the core reads it; a disagreement is a bug, answered safely.
    spdlog::debug("dns server: the core would not plan a query the slow path accepted ({})", ac_pass_reason_names[pass]);
    return own_reply(msg, q, rcode::servfail, out, kServfail);
  }
  // The cookie as the fast paths check it (decide.h): a fresh server cookie in the reply, or
  // BADCOOKIE. The slow path is not rate-limited, so a valid cookie exempts it from nothing. Over
  // TCP the client is not spoofed, so a server cookie not ours is taken as a client cookie alone
  // and answered with a fresh one (RFC 7873 5.2.4 allows it), as Knot 3.2 does.
  const Plan planned = plan;
  core::ac_dns_cookie_check(&env, &plan, client.address.data(), client.ip6);
  if (plan.cookie == core::AC_DNS_COOKIE_BAD && transport == Transport::tcp) {
    plan = planned;
    plan.cookie = core::AC_DNS_COOKIE_CLIENT;
    core::ac_dns_cookie_check(&env, &plan, client.address.data(), client.ip6);
  }
  __u32 moved = 0;  // for a UDP checksum: the socket makes its own
  std::size_t n = core::ac_dns_write(&env, out.data(), out.data() + out.size(), &plan, &moved);
  if (!n) return own_reply(msg, q, rcode::servfail, out, kServfail);
  if (plan.proof) n = add_proof(table, plan, out, n, reply_limit(msg, q, transport));
  // The question as it was asked.
  put16(out, q.qtype_offset, q.qtype);
  put16(out, q.qtype_offset + 2, q.qclass);
  return {n, answer_counter(plan.outcome), any && plan.answer_at != AC_DNS_NO_ANSWER && plan.ancount,
          (plan.edns_flags & AC_DNS_EDNS_DO) != 0, plan.proof != 0, cookie_counter(plan.cookie)};
}

}  // namespace

Verdict respond(const ac_dns_table* table, const ac_dns_edns* edns, const Client& client,
                std::span<const std::uint8_t> msg, Transport transport, std::span<std::uint8_t> out) {
  Query q = read_query(msg);
  if (q.shape == Query::Shape::short_header) return {0, kDropShort};
  // Answering a response could start a loop between two servers.
  if (q.response) return {0, kDropResponse};
  if (q.opcode != opcode::query) {
    // Knot 3.2: NOTIFY and UPDATE are refused as not authorized (we are nobody's secondary and
    // take no updates); other opcodes are not implemented.
    bool notauth = q.opcode == opcode::notify || q.opcode == opcode::update;
    return own_reply(msg, q, notauth ? rcode::notauth : rcode::notimp, out, notauth ? kNotauth : kNotimp);
  }
  if (q.shape != Query::Shape::ok) return own_reply(msg, q, rcode::formerr, out, kFormerr);
  // We hold no keys: every signed query is BADKEY (RFC 8945 5.3.2).
  if (q.has_tsig) return own_reply(msg, q, rcode::notauth, out, kNotauth);
  if (q.qclass != kClassIn && q.qclass != kClassAny) return own_reply(msg, q, rcode::refused, out, kRefusedClass);
  // No zone transfers. Knot 3.2 answers AXFR over UDP NOTIMP (RFC 5936 4.2: AXFR is TCP only),
  // over TCP and IXFR anywhere NOTAUTH.
  if (q.qtype == qtype::axfr)
    return transport == Transport::udp ? own_reply(msg, q, rcode::notimp, out, kNotimp)
                                       : own_reply(msg, q, rcode::notauth, out, kNotauth);
  if (q.qtype == qtype::ixfr) return own_reply(msg, q, rcode::notauth, out, kNotauth);
  if (q.qtype == 0) return own_reply(msg, q, rcode::notimp, out, kNotimp);
  if (!table) return own_reply(msg, q, rcode::refused, out, kRefusedNoTable);
  return answer(table, edns, client, msg, q, transport, out);
}

}  // namespace anycastd::dns_server
