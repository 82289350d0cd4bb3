// SPDX-License-Identifier: Apache-2.0
#pragma once

// The slow path's own reading of a DNS query and the replies it makes itself: what the packet
// core (dataplane/core/dns.h) refuses to plan is classified here and answered the way an
// authoritative server answers it (docs/dns.md, "The slow path"). Reading only; the answers from
// the table are the core's.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace anycastd::dns_server {

inline constexpr std::size_t kHeaderSize = 12;

namespace rcode {
inline constexpr std::uint8_t noerror = 0, formerr = 1, servfail = 2, nxdomain = 3, notimp = 4, refused = 5,
                              notauth = 9;
}
namespace qtype {
inline constexpr std::uint16_t a = 1, ns = 2, cname = 5, soa = 6, mx = 15, txt = 16, aaaa = 28, opt = 41,
                               tsig = 250, ixfr = 251, axfr = 252, any = 255;
}
namespace opcode {
inline constexpr std::uint8_t query = 0, notify = 4, update = 5;
}
inline constexpr std::uint16_t kClassIn = 1, kClassAny = 255;

// What a query is, as far as the slow path needs to know. Offsets are into the message.
struct Query {
  enum class Shape {
    short_header,  // fewer than 12 bytes: nothing can be answered
    bad_question,  // QDCOUNT != 1, or the question is cut short, uses a pointer, has a label or name too long
    bad_records,   // the question is fine; a record after it is cut short or malformed, or bytes trail
    ok,
  };
  Shape shape = Shape::short_header;
  std::uint16_t id = 0;
  bool response = false;  // QR set
  std::uint8_t opcode = 0;
  std::size_t question_end = 0;  // after QTYPE and QCLASS (ok and bad_records)
  std::uint16_t qtype = 0, qclass = 0;
  std::size_t qtype_offset = 0;   // where QTYPE is in the message (and in every reply)
  bool has_opt = false;
  std::size_t opt_offset = 0;     // the OPT record (its owner byte)
  bool has_tsig = false;
  std::size_t tsig_offset = 0;    // the TSIG record, the last of the message
};

// Never reads outside `msg`, whatever it holds.
Query read_query(std::span<const std::uint8_t> msg);

// A reply with no records of ours: the header (ID, opcode, RD and CD from the query, QR set, AA
// clear, `rc`), the question when it was readable, and an OPT record (our UDP size) when the
// query had one. For NOTAUTH to a TSIG-signed query, the unsigned TSIG record with error BADKEY
// of RFC 8945 5.3.2, when the query's TSIG record can be read.
std::vector<std::uint8_t> rcode_reply(std::span<const std::uint8_t> msg, const Query& q, std::uint8_t rc);

// The query as the core plans it: header, the question, and the OPT record if any; the other
// sections (records in answer and authority, additional records other than OPT) are left out, as
// Knot ignores them. Written into `out` (at least msg.size() bytes); returns its length.
std::size_t normalized_query(std::span<const std::uint8_t> msg, const Query& q, std::span<std::uint8_t> out);

}  // namespace anycastd::dns_server
