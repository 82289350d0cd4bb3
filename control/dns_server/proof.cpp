// SPDX-License-Identifier: Apache-2.0
#include "dns_server/proof.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "dns/dns_name.h"
#include "dns/dnssec.h"
#include "dns/zone.h"
#include "dns_image.h"

namespace anycastd::dns_server {

namespace {

struct Link {
  std::string_view key;
  std::string_view records;
  std::uint8_t count;
};

struct Chain {
  const ac_dns_proofs* head = nullptr;
  bool nsec3 = false;
  std::vector<Link> links;
};

std::string_view origin_of(const ac_dns_proofs* p)
{
  return {reinterpret_cast<const char*>(p->origin), p->origin_len};
}

// The signed zone holding `name` (the longest origin it is at or below), its chain read.
Chain chain_for(const ac_dns_table* table, std::string_view name)
{
  Chain best;
  for (__u32 i = 0; i < table->zone_count; i++) {
    const ac_dns_zone* z = ac_dns_image_zone(table, i);
    if (!(z->flags & AC_DNS_Z_SIGNED))
      continue;
    const auto* p = reinterpret_cast<const ac_dns_proofs*>(ac_dns_image_answer(table, z->proofs));
    if (!p || !dns::is_at_or_below(name, origin_of(p)) ||
        (best.head && best.head->origin_len >= p->origin_len))
      continue;
    best.head = p;
    best.nsec3 = z->flags & AC_DNS_Z_NSEC3;
  }
  if (!best.head)
    return best;
  const char* at = reinterpret_cast<const char*>(best.head) + sizeof(ac_dns_proofs);
  for (__u32 i = 0; i < best.head->count; i++) {
    ac_dns_proof_link l;
    std::memcpy(&l, at, sizeof l);  // links follow keys of any length: unaligned
    best.links.push_back({{at + sizeof l, l.key_len}, {at + sizeof l + l.key_len, l.records_len}, l.records});
    at += l.size;
  }
  return best;
}

// The link whose key comes last before `key` (wrapping), or the one equal to it with `match`.
template <class Less>
const Link* find(const Chain& c, std::string_view key, bool match, Less less)
{
  if (c.links.empty())
    return nullptr;
  auto it = std::lower_bound(c.links.begin(), c.links.end(), key,
                             [&](const Link& l, std::string_view k) { return less(l.key, k); });
  if (it != c.links.end() && !less(key, it->key) && !less(it->key, key))
    return match ? &*it : nullptr;
  if (match)
    return nullptr;
  return it == c.links.begin() ? &c.links.back() : &*(it - 1);
}

std::size_t labels(std::string_view name) { return dns::label_count(name); }

// The longest suffix of a and b (both lowercased wire names) as a suffix of a.
std::string_view common_suffix(std::string_view a, std::string_view b)
{
  while (!dns::is_at_or_below(b, a))
    a = dns::parent_name(a);
  return a;
}

// An NSEC record's next owner name: the start of its RDATA (the link's first record).
std::string next_name(const Link& l)
{
  std::string_view r = l.records;
  r.remove_prefix(dns::name_length(r) + 10);
  return dns::lower_name(r.substr(0, dns::name_length(r)));
}

// The end of a name in a message (labels, then the root or a pointer).
std::size_t name_end(std::span<const std::uint8_t> m, std::size_t at)
{
  while (at < m.size()) {
    std::uint8_t c = m[at];
    if (c == 0)
      return at + 1;
    if ((c & 0xC0) == 0xC0)
      return at + 2;
    at += 1 + c;
  }
  return m.size();
}

// A record's end in a message: its name (labels or a pointer), fixed fields, RDATA.
std::size_t skip_record(std::span<const std::uint8_t> m, std::size_t at)
{
  at = name_end(m, at);
  if (at + 10 > m.size())
    return m.size();
  return at + 10 + ((m[at + 8] << 8) | m[at + 9]);
}

// A name in a message, pointers followed (at most as many as the message has bytes), as a
// lowercased wire name; empty when it runs off the message.
std::string read_name(std::span<const std::uint8_t> m, std::size_t at)
{
  std::string name;
  for (std::size_t hops = 0; at < m.size() && hops < m.size(); hops++) {
    std::uint8_t c = m[at];
    if ((c & 0xC0) == 0xC0) {
      if (at + 1 >= m.size())
        return {};
      at = ((c & 0x3F) << 8) | m[at + 1];
      continue;
    }
    if (at + 1 + c > m.size())
      return {};
    name.append(reinterpret_cast<const char*>(m.data()) + at, 1 + c);
    if (c == 0)
      return dns::lower_name(name);
    at += 1 + c;
  }
  return {};
}

// Owner (lowercased) and type of a record, from a message or a link's uncompressed records.
std::string owner_and_type(std::span<const std::uint8_t> m, std::size_t at)
{
  std::string owner = read_name(m, at);
  std::size_t fixed = name_end(m, at);
  if (owner.empty() || fixed + 2 > m.size())
    return {};
  return owner + static_cast<char>(m[fixed]) + static_cast<char>(m[fixed + 1]);
}

// Appends the records (uncompressed, from a link) with each owner name pointing into the query
// name at offset 12 where a suffix of it matches, as Knot compresses them; RDATA names stay whole
// (RFC 4034 4.1.1, 3.1.7: NSEC's next name and RRSIG's signer are never compressed).
void append_compressed(std::string& out, std::string_view records, std::string_view qname)
{
  while (!records.empty()) {
    std::size_t owner_len = dns::name_length(records);
    std::string_view owner = records.substr(0, owner_len);
    std::string lower = dns::lower_name(owner);
    std::size_t skipped = 0;
    for (std::string_view rest = lower; rest.size() > 1; rest = dns::parent_name(rest)) {
      if (dns::is_at_or_below(qname, rest) && qname.size() >= rest.size()) {
        std::size_t at = AC_DNS_HEADER_LEN + qname.size() - rest.size();
        out.append(owner.substr(0, skipped));
        out += static_cast<char>(0xC0 | (at >> 8));
        out += static_cast<char>(at & 0xFF);
        break;
      }
      skipped += 1 + static_cast<unsigned char>(rest[0]);
    }
    if (skipped == owner_len - 1)
      out.append(owner);  // no suffix but the root in common
    std::string_view fixed = records.substr(owner_len, 10);
    std::size_t rdlen = (static_cast<unsigned char>(fixed[8]) << 8) | static_cast<unsigned char>(fixed[9]);
    out.append(records.substr(owner_len, 10 + rdlen));
    records.remove_prefix(owner_len + 10 + rdlen);
  }
}

// What a name's proof shows (docs/dns.md, "Signed zones"): that it does not exist, with no
// wildcard to answer it (NXDOMAIN), or that a wildcard answered it: with records, or without the
// type asked (a wildcard NODATA, whose wildcard's own NSEC/NSEC3 the answer object holds).
enum class Proof { nxdomain, wildcard_answer, wildcard_nodata };

// Adds to `proof` the chain's links that prove `name` (lowercased wire form).
void prove(const Chain& c, std::string_view name, Proof kind, std::vector<const Link*>& proof)
{
  auto add = [&](const Link* l) {
    if (l && std::find(proof.begin(), proof.end(), l) == proof.end())
      proof.push_back(l);
  };
  const bool nxdomain = kind == Proof::nxdomain;
  if (!c.nsec3) {
    // RFC 4035 3.1.3.2-4: the NSEC covering the name; for NXDOMAIN also the one covering the
    // wildcard at the closest encloser, which the covering NSEC's owner and next name bound.
    auto less = [](std::string_view a, std::string_view b) { return dns::canonical_less(a, b); };
    const Link* cover = find(c, name, false, less);
    add(cover);
    if (nxdomain && cover) {
      std::string_view a = common_suffix(name, cover->key);
      std::string next = next_name(*cover);
      std::string_view b = common_suffix(name, next);
      std::string wildcard = std::string("\1*", 2) + std::string(labels(a) >= labels(b) ? a : b);
      add(find(c, wildcard, false, less));
    }
    return;
  }
  // RFC 5155 7.2.1: the closest provable encloser's NSEC3 and the one covering the next closer
  // name; NXDOMAIN (7.2.2) adds the one covering the wildcard, a wildcard answer (7.2.6) needs
  // only the next closer's, a wildcard NODATA (7.2.5) both (the wildcard's own is in the answer).
  dns::Nsec3Params params;
  params.iterations = c.head->iterations;
  params.salt.assign(reinterpret_cast<const char*>(c.head->salt), c.head->salt_len);
  auto less = [](std::string_view a, std::string_view b) { return a < b; };
  std::string_view next = name;
  for (std::string_view p = dns::parent_name(name); p.size() >= c.head->origin_len; next = p, p = dns::parent_name(p)) {
    const Link* encloser = find(c, dns::nsec3_hash(p, params), true, less);
    if (!encloser)
      continue;
    if (kind != Proof::wildcard_answer)
      add(encloser);
    add(find(c, dns::nsec3_hash(next, params), false, less));
    if (nxdomain)
      add(find(c, dns::nsec3_hash(std::string("\1*", 2) + std::string(p), params), false, less));
    return;
  }
}

// The last CNAME's target in the reply's answer section (lowercased), and whether records of
// another type (the target's, RRSIGs aside) follow the chain.
struct ChainEnd {
  std::string target;
  bool records = false;
};

ChainEnd chain_end(std::span<const std::uint8_t> reply, std::size_t at, unsigned ancount)
{
  ChainEnd end;
  for (unsigned i = 0; i < ancount && at < reply.size(); i++) {
    std::size_t fixed = name_end(reply, at);
    if (fixed + 10 > reply.size())
      break;
    std::uint16_t type = static_cast<std::uint16_t>((reply[fixed] << 8) | reply[fixed + 1]);
    if (type == dns::rrtype::CNAME)
      end.target = read_name(reply, fixed + 10);
    else if (type != dns::rrtype::RRSIG)
      end.records = true;
    at = skip_record(reply, at);
  }
  return end;
}

}  // namespace

std::size_t add_proof(const ac_dns_table* table, const ac_dns_plan& plan, std::span<std::uint8_t> out,
                      std::size_t length, std::size_t limit)
{
  const std::string qname = dns::lower_name(
      std::string_view(reinterpret_cast<const char*>(out.data()) + AC_DNS_HEADER_LEN, plan.qname_len));
  Chain c = chain_for(table, qname);
  const auto* object = reinterpret_cast<const ac_dns_answer*>(ac_dns_image_answer(table, plan.answer_at));
  if (!c.head || !object || plan.tc)
    return length;
  std::span<const std::uint8_t> reply(out.data(), length);
  std::size_t at = AC_DNS_HEADER_LEN + plan.qname_len + AC_DNS_QUESTION_TAIL;
  const bool end_proof = object->flags & AC_DNS_A_END_PROOF;
  std::vector<const Link*> proof;
  // The query name's own proof: a wildcard's expansion (a CNAME from it is a wildcard answer
  // too), or the zone's NXDOMAIN (rcode 3 but for a chain's missing end).
  if (object->flags & AC_DNS_A_WILDCARD)
    prove(c, qname, plan.ancount ? Proof::wildcard_answer : Proof::wildcard_nodata, proof);
  else if (plan.rcode == 3 && !end_proof)
    prove(c, qname, Proof::nxdomain, proof);
  if (end_proof) {
    ChainEnd end = chain_end(reply, at, plan.ancount);
    if (!end.target.empty())
      prove(c, end.target,
            plan.rcode == 3 ? Proof::nxdomain : end.records ? Proof::wildcard_answer : Proof::wildcard_nodata, proof);
  }

  // At the end of the authority section: before the additional records and our OPT. A record the
  // answer object already holds (a wildcard NODATA's own NSEC or NSEC3 may also be the one
  // covering the name) is not sent twice.
  std::vector<std::string> present;
  for (unsigned i = 0; i < static_cast<unsigned>(plan.ancount) + plan.nscount; i++) {
    if (i >= plan.ancount)
      present.push_back(owner_and_type(reply, at));
    at = skip_record(reply, at);
  }
  std::string records;
  unsigned count = 0;
  for (const Link* l : proof) {
    std::span<const std::uint8_t> own(reinterpret_cast<const std::uint8_t*>(l->records.data()), l->records.size());
    if (std::find(present.begin(), present.end(), owner_and_type(own, 0)) != present.end())
      continue;
    std::size_t before = records.size();
    append_compressed(records, l->records, qname);
    if (length + records.size() > std::min(limit, out.size())) {
      // TC: the proof records that fit, each with its RRSIGs, as the core cuts RRsets.
      records.resize(before);
      out[2] |= 0x02;
      break;
    }
    count += l->count;
  }
  std::memmove(out.data() + at + records.size(), out.data() + at, length - at);
  std::memcpy(out.data() + at, records.data(), records.size());
  std::uint16_t nscount = static_cast<std::uint16_t>(((out[8] << 8) | out[9]) + count);
  out[8] = static_cast<std::uint8_t>(nscount >> 8);
  out[9] = static_cast<std::uint8_t>(nscount);
  return length + records.size();
}

}  // namespace anycastd::dns_server
