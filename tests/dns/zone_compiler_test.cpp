// SPDX-License-Identifier: Apache-2.0
// The compiled answer table against answers written independently (gen_dns_vectors.py, with
// dnspython), read back through dns_image.h as the packet path reads them, and the image's own
// invariants (abi.h).

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "dns/zone_compiler.h"
#include "zone_test_util.h"

namespace anycastd::test {
namespace {

using dns::CompiledTable;

const CompiledTable& table()
{
  static const CompiledTable t = dns::compile_zones({
      {"example.net", AC_DNS_DATA "/example.zone"},
      {"example.com.", AC_DNS_DATA "/second.zone"},
  });
  return t;
}

std::uint16_t type_number(const std::string& t)
{
  static const std::map<std::string, std::uint16_t> types = {
      {"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"MX", 15}, {"TXT", 16}, {"AAAA", 28}, {"DS", 43}};
  auto it = types.find(t);
  return it != types.end() ? it->second : static_cast<std::uint16_t>(std::stoul(t));
}

std::string hex(const std::vector<std::uint8_t>& b)
{
  std::string out;
  char buf[3];
  for (auto c : b) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep)
{
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, sep);)
    out.push_back(part);
  return out;
}

struct Vector {
  std::string name, lookup, qname, qtype, flags, rcode, aa, outcome, ancount, nscount, cuts, body;
};

std::vector<Vector> vectors()
{
  std::ifstream in(AC_DNS_VECTORS);
  std::vector<Vector> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#')
      continue;
    auto f = split(line, '\t');
    if (f.size() != 12)
      throw std::runtime_error("bad vector line: " + line);
    out.push_back({f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11]});
  }
  return out;
}

TEST(ZoneCompiler, AnswersMatchIndependentVectors)
{
  const ac_dns_table* t = table().table();
  auto all = vectors();
  ASSERT_GE(all.size(), 30u);
  for (const auto& v : all) {
    SCOPED_TRACE(v.name);
    const ac_dns_answer* a = nullptr;
    auto lookup = split(v.lookup, ' ');
    if (lookup[0] == "key") {
      const ac_dns_entry* e = dns_find(t, lookup[1], type_number(lookup[2]));
      ASSERT_NE(e, nullptr) << "no entry for " << v.lookup;
      EXPECT_EQ(e->flags, std::stoul(v.flags));
      a = ac_dns_image_answer(t, e->answer);
    } else {
      const ac_dns_zone* z = ac_dns_image_zone(t, static_cast<__u32>(std::stoul(lookup[1])));
      ASSERT_NE(z, nullptr);
      a = ac_dns_image_answer(t, z->nxdomain);
    }
    ASSERT_NE(a, nullptr);
    AnswerView view(a);
    EXPECT_EQ(a->rcode, std::stoul(v.rcode));
    EXPECT_EQ(a->flags & AC_DNS_A_AA, std::stoul(v.aa));
    EXPECT_STREQ(ac_dns_outcome_names[a->outcome], v.outcome.c_str());
    EXPECT_EQ(a->ancount, std::stoul(v.ancount));
    EXPECT_EQ(a->nscount, std::stoul(v.nscount));

    std::string cuts;
    for (unsigned i = 0; i < a->ncuts; i++)
      cuts += (i ? "," : "") + std::to_string(view.cuts[i].end) + "/" + std::to_string(view.cuts[i].ancount) + "/" +
              std::to_string(view.cuts[i].nscount) + "/" + std::to_string(view.cuts[i].arcount);
    EXPECT_EQ(cuts, v.cuts);

    // The reply after the header: the question as the client sent it, then the records moved for
    // this query name's length.
    std::string qname = wire_name(v.qname);
    std::uint16_t qtype = type_number(v.qtype);
    std::vector<std::uint8_t> body(qname.begin(), qname.end());
    body.insert(body.end(), {static_cast<std::uint8_t>(qtype >> 8), static_cast<std::uint8_t>(qtype), 0, 1});
    auto records = view.records_for(qname.size());
    body.insert(body.end(), records.begin(), records.end());
    EXPECT_EQ(hex(body), v.body);
  }
}

TEST(ZoneCompiler, ImageInvariants)
{
  const CompiledTable& c = table();
  const ac_dns_table* t = c.table();
  ASSERT_EQ(t->magic, AC_DNS_TABLE_MAGIC);
  EXPECT_EQ(t->version, AC_DNS_TABLE_VERSION);
  EXPECT_EQ(t->entry_count, c.entries);
  EXPECT_EQ(t->zone_count, 2u);
  EXPECT_EQ(t->slot_count & (t->slot_count - 1), 0u);
  EXPECT_GE(t->slot_count, 2 * t->entry_count);
  EXPECT_EQ(t->arena % AC_DNS_CHUNK, 0u);
  EXPECT_EQ(t->arena_size % AC_DNS_CHUNK, 0u);
  EXPECT_EQ(c.image.size(), std::size_t{t->arena} + t->arena_size);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t) % alignof(ac_dns_table), 0u);

  const ac_dns_slot* slots = ac_dns_image_slots(t);
  std::size_t used = 0;
  std::set<std::uint32_t> objects;
  for (std::uint32_t i = 0; i < t->slot_count; i++) {
    const ac_dns_slot& s = slots[i];
    if (!s.key.name_len)
      continue;
    used++;
    EXPECT_EQ(ac_dns_image_find(t, &s.key), &s.entry) << "slot " << i << " is not where probing finds it";
    EXPECT_LT(s.entry.zone, t->zone_count);
    EXPECT_EQ(s.entry.answer % 4, 0u);
    const ac_dns_answer* a = ac_dns_image_answer(t, s.entry.answer);
    ASSERT_NE(a, nullptr);
    AnswerView v(a);
    ASSERT_LE(s.entry.answer + v.object_size(), t->arena_size);
    bool slow = v.object_size() > AC_DNS_FAST_MAX;
    EXPECT_EQ((s.entry.flags & AC_DNS_E_SLOW) != 0, slow);
    if (!slow) {
      EXPECT_EQ(s.entry.answer / AC_DNS_CHUNK, (s.entry.answer + v.object_size() - 1) / AC_DNS_CHUNK)
          << "a fast answer object crosses a chunk";
    }
    ASSERT_GT(a->ncuts, 0u);
    EXPECT_EQ(v.cuts[a->ncuts - 1].end, a->size);
    EXPECT_EQ(v.cuts[a->ncuts - 1].ancount, a->ancount);
    EXPECT_EQ(v.cuts[a->ncuts - 1].nscount, a->nscount);
    EXPECT_EQ(v.cuts[a->ncuts - 1].arcount, a->arcount);
    // The records' sums (RFC 1071, big-endian words from their first byte), whole and per cut,
    // summed here byte by byte; 0 and 0xFFFF are the same sum.
    auto sum_mod = [&](unsigned n) {
      std::uint64_t sum = 0;
      for (unsigned b = 0; b < n; b++) sum += b % 2 ? v.records[b] : v.records[b] << 8;
      return sum % 0xFFFF;
    };
    EXPECT_EQ(a->sum % 0xFFFFu, sum_mod(a->size)) << "the records' sum";
    for (unsigned c = 0; c < a->ncuts; c++)
      EXPECT_EQ(v.cuts[c].sum % 0xFFFFu, sum_mod(v.cuts[c].end)) << "cut " << c << "'s sum";
    for (unsigned f = 0; f < a->nfixups; f++) {
      ASSERT_LT(v.fixups[f] + 1u, a->size);
      EXPECT_EQ(v.records[v.fixups[f]] & 0xC0, 0xC0) << "fixup " << f << " is not a compression pointer";
    }
    objects.insert(s.entry.answer);
  }
  EXPECT_EQ(used, t->entry_count);
  EXPECT_EQ(objects.size() + 2, c.answers) << "every object but the two zones' NXDOMAIN is in an entry";
}

TEST(ZoneCompiler, NegativeAnswersAreSharedPerZone)
{
  const ac_dns_table* t = table().table();
  const ac_dns_entry* www = dns_find(t, "www.example.net.", 0);
  ASSERT_NE(www, nullptr);
  for (const char* name : {"example.net.", "ent.example.net.", "b.ent.example.net.", "wild.example.net.",
                           "*.wild.example.net.", "mail.example.net."}) {
    const ac_dns_entry* e = dns_find(t, name, 0);
    ASSERT_NE(e, nullptr) << name;
    EXPECT_EQ(e->answer, www->answer) << name;
    EXPECT_EQ(e->zone, 0u) << name;
  }
  const ac_dns_entry* com = dns_find(t, "example.com.", 0);
  ASSERT_NE(com, nullptr);
  EXPECT_EQ(com->zone, 1u);
  EXPECT_NE(com->answer, www->answer);
  EXPECT_EQ(ac_dns_image_zone(t, 0)->serial, 2026112601u);
  EXPECT_EQ(ac_dns_image_zone(t, 1)->serial, 7u);
}

TEST(ZoneCompiler, NamesBelowACutAreNotServed)
{
  const ac_dns_table* t = table().table();
  EXPECT_EQ(dns_find(t, "ns.sub.example.net.", 1), nullptr);
  EXPECT_EQ(dns_find(t, "ns.sub.example.net.", 0), nullptr);
  EXPECT_EQ(dns_find(t, "deep.below.sub.example.net.", 0), nullptr);
  EXPECT_EQ(dns_find(t, "below.sub.example.net.", 0), nullptr);
  EXPECT_EQ(dns_find(t, "sub.example.net.", 2), nullptr) << "NS at a cut is the referral, not an answer";
  EXPECT_EQ(dns_find(t, "nothere.example.net.", 0), nullptr);
}

TEST(ZoneCompiler, StatsCountRecordsAndNames)
{
  const CompiledTable& c = table();
  ASSERT_EQ(c.zones.size(), 2u);
  EXPECT_EQ(c.zones[0].origin, "example.net.");
  EXPECT_EQ(c.zones[0].serial, 2026112601u);
  EXPECT_EQ(c.zones[0].records, 40u);
  EXPECT_EQ(c.zones[0].names, 20u);
  EXPECT_EQ(c.zones[1].origin, "example.com.");
  EXPECT_EQ(c.zones[1].records, 3u);
  EXPECT_EQ(c.slow_answers, 1u);
  EXPECT_EQ(c.memory(), c.image.size());
}

TEST(ZoneCompiler, EachCompileHasItsOwnSeed)
{
  auto again = dns::compile_zones({{"example.net", AC_DNS_DATA "/example.zone"}});
  EXPECT_NE(again.table()->seed, table().table()->seed);
}

// More pointers that move than a byte can count (nfixups): the names past the 255th fixup go out
// whole, so the referral stays right for every query name length.
TEST(ZoneCompiler, ReferralWithMoreThan255MovingPointers)
{
  TempDir dir;
  std::string text = "$ORIGIN example.net.\n@ 300 SOA ns.example.net. admin.example.net. 1 2 3 4 5\n";
  const int n = 300;
  for (int i = 0; i < n; i++)
    text += "sub 300 NS ns" + std::to_string(i) + ".sub\n";
  auto c = dns::compile_zones({{"example.net", dir.write("z", text)}});
  const ac_dns_entry* e = dns_find(c.table(), "sub.example.net.", 0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->flags, AC_DNS_E_DELEGATION | AC_DNS_E_SLOW);
  AnswerView v(ac_dns_image_answer(c.table(), e->answer));
  EXPECT_EQ(v.head->nscount, n);
  EXPECT_EQ(v.head->nfixups, 255);
  for (std::string qname : {"sub.example.net.", "a.rather.long.name.below.the.cut.sub.example.net."}) {
    SCOPED_TRACE(qname);
    std::string q = wire_name(qname);
    std::vector<std::uint8_t> msg(12, 0);
    msg.insert(msg.end(), q.begin(), q.end());
    msg.insert(msg.end(), {0, 1, 0, 1});
    auto records = v.records_for(q.size());
    msg.insert(msg.end(), records.begin(), records.end());
    std::size_t at = 12 + q.size() + 4;
    for (int i = 0; i < n; i++) {
      ASSERT_EQ(read_name(msg, at), "sub.example.net.") << "record " << i;
      at += 10;  // type, class, TTL, RDLENGTH
      ASSERT_EQ(read_name(msg, at), "ns" + std::to_string(i) + ".sub.example.net.") << "record " << i;
    }
    EXPECT_EQ(at, msg.size());
  }
}

// Not a timing check: 100,000 names must compile without the quadratic work that would make this
// test crawl (the benchmark measures the cost).
TEST(ZoneCompiler, HundredThousandNames)
{
  TempDir dir;
  std::string text = "$ORIGIN big.example.\n$TTL 300\n@ SOA ns.big.example. admin.big.example. 1 2 3 4 5\n"
                     "@ NS ns\nns A 192.0.2.1\n";
  const int n = 100000;
  for (int i = 0; i < n; i++) {
    text += "h" + std::to_string(i) + ".g" + std::to_string(i % 100) + " A 192.0.2." + std::to_string(i % 250) + "\n";
    if (i % 10 == 0)
      text += "c" + std::to_string(i) + " CNAME h" + std::to_string(i) + ".g" + std::to_string(i % 100) + "\n";
  }
  auto c = dns::compile_zones({{"big.example", dir.write("big.zone", text)}});
  EXPECT_EQ(c.zones[0].names, std::size_t{n + n / 10 + 2});
  // Per name: its A and node entry; per CNAME: CNAME, A through the chain and node entry; the 100
  // empty non-terminals g0..g99; the apex's SOA, NS and node; ns's A and node.
  EXPECT_EQ(c.entries, std::size_t{2 * n + 3 * (n / 10) + 100 + 3 + 2});
  const ac_dns_entry* e = dns_find(c.table(), "c99990.big.example.", 1);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(ac_dns_image_answer(c.table(), e->answer)->ancount, 2u);
}

}  // namespace
}  // namespace anycastd::test
