// SPDX-License-Identifier: Apache-2.0
#include "dns_server/message.h"

#include <algorithm>
#include <cstring>

#include "abi.h"

namespace anycastd::dns_server {

namespace {

std::uint16_t be16(std::span<const std::uint8_t> m, std::size_t at) {
  return static_cast<std::uint16_t>(m[at] << 8 | m[at + 1]);
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

// A name with no compression pointer (a question's, TSIG's owner and algorithm): its end, or 0.
std::size_t plain_name_end(std::span<const std::uint8_t> m, std::size_t at, std::size_t limit) {
  std::size_t wire = 0;
  for (;;) {
    if (at >= limit) return 0;
    std::uint8_t c = m[at];
    if (c & 0xC0) return 0;  // a pointer, or a label type RFC 6891 retired
    wire += c + 1u;
    if (wire > 255) return 0;
    at += c + 1u;
    if (c == 0) return at;
  }
}

// Any record owner: labels ending in the root or in a pointer. Pointers are not followed: the
// slow path only needs to step over these names.
std::size_t name_end(std::span<const std::uint8_t> m, std::size_t at) {
  for (;;) {
    if (at >= m.size()) return 0;
    std::uint8_t c = m[at];
    if ((c & 0xC0) == 0xC0) return at + 2 <= m.size() ? at + 2 : 0;
    if (c & 0xC0) return 0;
    at += c + 1u;
    if (c == 0) return at;
  }
}

// The record at `at`: its end, or 0 when it does not fit the message.
std::size_t record_end(std::span<const std::uint8_t> m, std::size_t at, std::uint16_t* type) {
  std::size_t p = name_end(m, at);
  if (!p || p + 10 > m.size()) return 0;
  *type = be16(m, p);
  std::size_t end = p + 10 + be16(m, p + 8);
  return end <= m.size() ? end : 0;
}

// RFC 8945 5.3.2: to a query signed with a key we do not have, NOTAUTH with an unsigned TSIG
// record carrying error BADKEY, the request's key name, algorithm, time and original ID. False
// when the query's TSIG record is not well formed (the reply then goes without it).
bool append_badkey(std::span<const std::uint8_t> m, std::size_t at, std::vector<std::uint8_t>& out) {
  std::size_t owner_end = plain_name_end(m, at, m.size());
  if (!owner_end || owner_end + 10 > m.size()) return false;
  std::size_t rdata = owner_end + 10, rdata_end = rdata + be16(m, owner_end + 8);
  if (rdata_end > m.size()) return false;
  std::size_t alg_end = plain_name_end(m, rdata, rdata_end);
  if (!alg_end || alg_end + 10 > rdata_end) return false;  // time 6, fudge 2, MAC size 2
  std::size_t mac_end = alg_end + 10 + be16(m, alg_end + 8);
  if (mac_end + 6 > rdata_end) return false;  // original ID, error, other length
  out.insert(out.end(), m.begin() + at, m.begin() + owner_end);
  put16(out, qtype::tsig);
  put16(out, kClassAny);
  out.insert(out.end(), 4, 0);  // TTL
  put16(out, static_cast<std::uint16_t>(alg_end - rdata + 16));
  out.insert(out.end(), m.begin() + rdata, m.begin() + alg_end + 8);  // algorithm, time signed, fudge
  put16(out, 0);                                                      // no MAC
  out.insert(out.end(), m.begin() + mac_end, m.begin() + mac_end + 2);  // original ID
  put16(out, 17);                                                     // BADKEY
  put16(out, 0);                                                      // no other data
  return true;
}

}  // namespace

Query read_query(std::span<const std::uint8_t> m) {
  Query q;
  if (m.size() < kHeaderSize) return q;
  q.shape = Query::Shape::bad_question;
  q.id = be16(m, 0);
  q.response = m[2] & 0x80;
  q.opcode = (m[2] >> 3) & 0x0F;
  if (be16(m, 4) != 1) return q;
  std::size_t p = plain_name_end(m, kHeaderSize, m.size());
  if (!p || p + 4 > m.size()) return q;
  q.qtype_offset = p;
  q.qtype = be16(m, p);
  q.qclass = be16(m, p + 2);
  q.question_end = p + 4;

  q.shape = Query::Shape::bad_records;
  p = q.question_end;
  std::uint32_t records = std::uint32_t{be16(m, 6)} + be16(m, 8);
  std::uint16_t additional = be16(m, 10), type = 0;
  for (std::uint32_t i = 0; i < records; ++i)
    if (!(p = record_end(m, p, &type))) return q;
  for (std::uint16_t i = 0; i < additional; ++i) {
    std::size_t start = p;
    if (!(p = record_end(m, p, &type))) return q;
    if (type == qtype::opt) {
      // One OPT, owned by the root (RFC 6891 6.1.1).
      if (q.has_opt || m[start] != 0) return q;
      q.has_opt = true;
      q.opt_offset = start;
    } else if (type == qtype::tsig) {
      if (i + 1 != additional) return q;  // TSIG comes last (RFC 8945 5.1)
      q.has_tsig = true;
      q.tsig_offset = start;
    }
  }
  if (p != m.size()) return q;
  q.shape = Query::Shape::ok;
  return q;
}

std::vector<std::uint8_t> rcode_reply(std::span<const std::uint8_t> m, const Query& q, std::uint8_t rc) {
  bool question = q.shape == Query::Shape::ok || q.shape == Query::Shape::bad_records;
  bool ok = q.shape == Query::Shape::ok;
  std::vector<std::uint8_t> out;
  out.reserve(kHeaderSize + (question ? q.question_end - kHeaderSize : 0) + 11);
  put16(out, q.id);
  out.push_back(static_cast<std::uint8_t>(0x80 | (q.opcode << 3) | (m[2] & 0x01)));  // QR, opcode, RD
  out.push_back(static_cast<std::uint8_t>((m[3] & 0x10) | (rc & 0x0F)));             // CD, RCODE
  put16(out, question ? 1 : 0);
  put16(out, 0);
  put16(out, 0);
  put16(out, 0);  // ARCOUNT, set below
  if (question) out.insert(out.end(), m.begin() + kHeaderSize, m.begin() + q.question_end);
  std::uint16_t additional = 0;
  if (ok && q.has_opt) {
    static constexpr std::uint8_t opt[] = {0, 0, 41, AC_DNS_UDP_SIZE >> 8, AC_DNS_UDP_SIZE & 0xFF, 0, 0, 0, 0, 0, 0};
    out.insert(out.end(), std::begin(opt), std::end(opt));
    ++additional;
  }
  if (ok && q.has_tsig && rc == rcode::notauth && append_badkey(m, q.tsig_offset, out)) ++additional;
  out[10] = static_cast<std::uint8_t>(additional >> 8);
  out[11] = static_cast<std::uint8_t>(additional);
  return out;
}

std::size_t normalized_query(std::span<const std::uint8_t> m, const Query& q, std::span<std::uint8_t> out) {
  std::size_t n = q.question_end;
  std::memcpy(out.data(), m.data(), n);
  out[4] = 0, out[5] = 1;                  // QDCOUNT
  std::memset(out.data() + 6, 0, 6);       // ANCOUNT, NSCOUNT, ARCOUNT
  if (q.has_opt) {
    std::uint16_t type = 0;
    std::size_t end = record_end(m, q.opt_offset, &type);
    std::memcpy(out.data() + n, m.data() + q.opt_offset, end - q.opt_offset);
    n += end - q.opt_offset;
    out[11] = 1;
  }
  return n;
}

}  // namespace anycastd::dns_server
