// SPDX-License-Identifier: Apache-2.0
#include "dns_server/responder.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "dns_server/message.h"

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

// QTYPE 0, and the meta and question-only types of RFC 6895 (128-255) other than the ones with
// their own rule, and OPT and TSIG: none names data a zone holds.
bool meta_type(std::uint16_t t) { return t == 0 || t == qtype::opt || (t >= 128 && t <= 255); }

// Interim, until the core's message functions (dataplane/core/dns.h) are merged: no table answers.
Verdict answer(const ac_dns_table*, std::span<const std::uint8_t> msg, const Query& q, Transport,
               std::span<std::uint8_t> out) {
  return own_reply(msg, q, rcode::refused, out, kRefusedNoTable);
}

}  // namespace

Verdict respond(const ac_dns_table* table, std::span<const std::uint8_t> msg, Transport transport,
                std::span<std::uint8_t> out) {
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
  if (q.qtype != qtype::any && meta_type(q.qtype)) return own_reply(msg, q, rcode::notimp, out, kNotimp);
  if (!table) return own_reply(msg, q, rcode::refused, out, kRefusedNoTable);
  return answer(table, msg, q, transport, out);
}

}  // namespace anycastd::dns_server
