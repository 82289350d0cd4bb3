// SPDX-License-Identifier: Apache-2.0
// DNSSEC in the zone compiler (docs/dns.md, "Signed zones"): the signer's mistakes warned about
// at load, the DO answer objects' cuts (an RRset never cut from its RRSIGs), unsigned zones
// unchanged, and the canonical order and NSEC3 hash against the RFCs' own examples.
#include <gtest/gtest.h>

#include <string>

#include "dns/dnssec.h"
#include "dns/zone_compiler.h"
#include "dns/zone_reader.h"
#include "zone_test_util.h"

namespace anycastd::test {
namespace {

// 2026-12-01 00:00:00 UTC.
constexpr std::time_t kNow = 1796083200;

const std::string kHead =
    "$ORIGIN example.net.\n$TTL 3600\n"
    "@ IN SOA ns1 hostmaster 1 7200 900 1209600 300\n"  // line 3
    "@ IN NS ns1\n"                                     // line 4
    "ns1 IN A 192.0.2.53\n";                            // line 5
const std::string kSig = " 13 3 3600 20360101000000 20260101000000 12345 example.net. AAECAwQFBgcICQ==\n";

std::vector<std::string> warnings_of(const std::string& text)
{
  TempDir dir;
  dns::Zone z = dns::read_zone({"example.net", dir.write("z", text)});
  return dns::dnssec_warnings(z, kNow);
}

TEST(Dnssec, ExpiredAndFutureSignaturesAreNamed)
{
  auto w = warnings_of(kHead + "www IN A 192.0.2.80\n" +
                       "www IN RRSIG A 13 3 3600 20260101000000 20250101000000 12345 example.net. AAECAwQFBgcICQ==\n" +
                       "ns1 IN RRSIG A 13 3 3600 20370101000000 20270101000000 12345 example.net. AAECAwQFBgcICQ==\n" +
                       "@ IN RRSIG SOA" + kSig);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NE(w[0].find(":7: www.example.net. RRSIG A has expired"), std::string::npos) << w[0];
  EXPECT_NE(w[1].find(":8: ns1.example.net. RRSIG A is not valid yet"), std::string::npos) << w[1];
}

TEST(Dnssec, Nsec3IterationsAndUnsignedKeysAreWarned)
{
  auto w = warnings_of(kHead + "@ IN NSEC3PARAM 1 0 5 abcd\n@ IN RRSIG NSEC3PARAM" + kSig);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find(":6: NSEC3PARAM at example.net. has 5 iterations"), std::string::npos) << w[0];
  w = warnings_of(kHead + "@ IN DNSKEY 257 3 13 AAECAwQFBgcICQ==\n");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find(":6: DNSKEY at example.net. but no RRSIG"), std::string::npos) << w[0];
  EXPECT_TRUE(warnings_of(kHead + "@ IN NSEC3PARAM 1 0 0 -\n@ IN RRSIG NSEC3PARAM" + kSig).empty());
  EXPECT_TRUE(warnings_of(kHead).empty()) << "an unsigned zone without keys is fine";
}

// Two A records and their RRSIG: one cut after the RRSIG (3 records), never after the A records.
// NODATA: SOA + RRSIG is the first cut, NSEC + RRSIG the second.
TEST(Dnssec, DoAnswersCutAfterTheSignatures)
{
  TempDir dir;
  std::string text = kHead + "@ IN RRSIG SOA" + kSig + "@ IN RRSIG NS" + kSig + "ns1 IN RRSIG A" + kSig +
                     "www IN A 192.0.2.80\nwww IN A 192.0.2.81\nwww IN RRSIG A" + kSig +
                     "www IN NSEC example.net. A RRSIG NSEC\nwww IN RRSIG NSEC" + kSig;
  dns::CompiledTable c = dns::compile_zones({{"example.net", dir.write("z", text)}});
  const ac_dns_table* t = c.table();
  ASSERT_TRUE(c.zones[0].signed_zone);
  const ac_dns_entry* a = dns_find(t, "www.example.net.", 1);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(a->answer, a->answer_do);
  AnswerView plain(ac_dns_image_answer(t, a->answer)), signed_(ac_dns_image_answer(t, a->answer_do));
  EXPECT_EQ(plain.head->ancount, 2u);
  EXPECT_EQ(signed_.head->ancount, 3u);
  ASSERT_EQ(signed_.head->ncuts, 1u);
  EXPECT_EQ(signed_.cuts[0].ancount, 3u);
  EXPECT_EQ(signed_.cuts[0].end, signed_.head->size);

  const ac_dns_entry* nodata = dns_find(t, "www.example.net.", 0);
  ASSERT_NE(nodata, nullptr);
  AnswerView n(ac_dns_image_answer(t, nodata->answer_do));
  EXPECT_EQ(n.head->nscount, 4u);
  ASSERT_EQ(n.head->ncuts, 2u);
  EXPECT_EQ(n.cuts[0].nscount, 2u);
  EXPECT_EQ(n.cuts[1].nscount, 4u);
  EXPECT_EQ(ac_dns_image_zone(t, 0)->flags & AC_DNS_Z_SIGNED, AC_DNS_Z_SIGNED);
}

TEST(Dnssec, UnsignedZonesAnswerDoAsBefore)
{
  TempDir dir;
  dns::CompiledTable c = dns::compile_zones({{"example.net", dir.write("z", kHead + "www IN A 192.0.2.80\n")}});
  const ac_dns_table* t = c.table();
  EXPECT_FALSE(c.zones[0].signed_zone);
  for (std::uint16_t type : {0, 1}) {
    const ac_dns_entry* e = dns_find(t, "www.example.net.", type);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->answer, e->answer_do);
    EXPECT_EQ(e->flags & (AC_DNS_E_DO_PROOF | AC_DNS_E_DO_SLOW), 0);
  }
  const ac_dns_zone* z = ac_dns_image_zone(t, 0);
  EXPECT_EQ(z->nxdomain, z->nxdomain_do);
  EXPECT_EQ(z->flags, 0u);
}

// RFC 4034 6.1's example order, and RFC 5155 Appendix A's hash of "example" (salt aabbccdd,
// 12 iterations): 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.
TEST(Dnssec, CanonicalOrderAndNsec3Hash)
{
  const char* order[] = {"example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.", "zABC.a.EXAMPLE.",
                         "z.example.", "\\001.z.example.", "*.z.example.", "\\200.z.example."};
  auto wire = [](std::string text) {
    // \DDD escapes as single bytes, for the RFC's example names
    std::string plain;
    for (std::size_t i = 0; i < text.size(); i++) {
      if (text[i] == '\\') {
        plain += static_cast<char>(std::stoi(text.substr(i + 1, 3)));
        i += 3;
      } else {
        plain += text[i];
      }
    }
    return wire_name(plain);
  };
  for (std::size_t i = 0; i + 1 < std::size(order); i++) {
    EXPECT_TRUE(dns::canonical_less(wire(order[i]), wire(order[i + 1]))) << order[i] << " < " << order[i + 1];
    EXPECT_FALSE(dns::canonical_less(wire(order[i + 1]), wire(order[i]))) << order[i + 1];
  }
  dns::Nsec3Params p;
  p.iterations = 12;
  p.salt = std::string("\xaa\xbb\xcc\xdd", 4);
  std::string h = dns::nsec3_hash(wire_name("example."), p);
  EXPECT_EQ(h, dns::nsec3_owner_hash(wire_name("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example.")));
  EXPECT_EQ(h.size(), 20u);
}

}  // namespace
}  // namespace anycastd::test
