// SPDX-License-Identifier: Apache-2.0
#pragma once

// Lays out one answer object (abi.h struct ac_dns_answer + fixups + cuts + records) the way the
// records will sit in the reply: after a 12-byte header and the question, whose name is the
// object's base name, at offset 12.
//
// Names are compressed as Knot and dnspython do: every owner name, and the names inside NS,
// CNAME, SOA, PTR and MX RDATA, take the longest suffix already in the message (the question's
// name or a name written earlier in these records); other RDATA names go out whole.
//
// The fixup rule: a compression pointer is listed as a fixup, and moves by (query name length -
// base_qname_len) on the packet path, iff its target is
//   - a suffix of the question's name other than the whole name at its start, or
//   - inside the records (they start after the question, so they move with it),
// and, for objects served for names that merely end in the base name (negative answers,
// referrals: Query::suffix), also the base name itself at offset 12. The whole-name pointer
// 0xC00C is therefore never a fixup, and is written only where the owner is the query name itself
// (exact and wildcard answers).

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dns/zone.h"

namespace anycastd::dns {

// How the object's base name relates to the query names it answers.
enum class Query {
  exact,     // the query name is the base name
  wildcard,  // the base name is "*.parent"; query names are other names below parent
  suffix,    // the base name is a suffix of the query name (the apex, a zone cut)
};

enum class Section { answer, authority, additional };

// The answer object does not fit the wire format (u16 sizes and counts).
class AnswerTooLarge : public std::length_error {
 public:
  using std::length_error::length_error;
};

class AnswerBuilder {
 public:
  AnswerBuilder(std::string_view base_name, Query query);

  // One RRset; `owner_is_query` writes the owner as 0xC00C (exact and wildcard answers' owner).
  void add(Section section, std::string_view owner, bool owner_is_query, const RRset& rrset);
  // The same with a TTL other than the RRset's (the SOA of negative answers, RFC 2308).
  void add(Section section, std::string_view owner, bool owner_is_query, const RRset& rrset, std::uint32_t ttl);

  // An RRset and its RRSIGs (sigs may be null) with one cut after both: a truncated reply never
  // keeps an RRset without its signatures. The RRSIGs take the RRset's TTL as sent (RFC 4035 3.1.3's
  // negative answers shorten the SOA's).
  void add_signed(Section section, std::string_view owner, bool owner_is_query, const RRset& rrset,
                  std::uint32_t ttl, const RRset* sigs);

  // The whole object: header, fixups, cuts, records. A wildcard's object gets AC_DNS_A_WILDCARD.
  std::string finish(std::uint8_t rcode, std::uint8_t flags, std::uint8_t outcome) const;

 private:
  struct Suffix {
    WireName name;     // lowercased
    std::uint16_t at;  // message offset at the base length
    bool moves;
  };

  void write(Section section, std::string_view owner, bool owner_is_query, const RRset& rrset, std::uint32_t ttl);
  void cut();
  void write_name(std::string_view name, bool compress);
  void put16(std::uint16_t v);
  void put32(std::uint32_t v);
  std::uint16_t message_offset(std::size_t record_pos) const;

  std::uint8_t base_len_;
  Query query_;
  std::vector<Suffix> dict_;
  std::string records_;
  std::vector<std::uint16_t> fixups_;
  struct Cut {
    std::uint16_t end, ancount, nscount, arcount;
  };
  std::vector<Cut> cuts_;
  std::uint16_t ancount_ = 0, nscount_ = 0, arcount_ = 0;
};

}  // namespace anycastd::dns
