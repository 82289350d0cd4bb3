// SPDX-License-Identifier: Apache-2.0
// NSID and DNS cookies in the packet core, natively (docs/dns.md, "NSID and cookies"): SipHash-2-4
// against the published vectors, query frames from gen_dns_edns_frames.py (dnspython, scapy, its
// own SipHash) through ac_decide and ac_respond, and response rate limiting's exemption for a
// valid server cookie.

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.h"
#include "dns_frames.h"
#include "hex.h"
#include "native_env.h"

namespace anycastd::test {
namespace {

std::string hex8(const __u8* p) {
  std::string s;
  for (int i = 0; i < 8; i++) s += "0123456789abcdef"[p[i] >> 4], s += "0123456789abcdef"[p[i] & 15];
  return s;
}

std::uint64_t sip(const Bytes& key, const Bytes& msg) { return ac_siphash24(key.data(), msg.data(), msg.size()); }

// The SipHash paper's appendix A: key 00..0f, message 00..0e, 0xa129ca6149be45e5; the reference
// code's vectors for the empty message and 8 bytes; RFC 9018 appendix A.1 and A.2 (IPv4).
TEST(SipHash, PublishedVectors) {
  Bytes key(16), msg(15);
  for (int i = 0; i < 16; i++) key[i] = static_cast<std::uint8_t>(i);
  for (int i = 0; i < 15; i++) msg[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(sip(key, msg), 0xa129ca6149be45e5ull);
  EXPECT_EQ(sip(key, {}), 0x726fdb47dd0e0e31ull);
  EXPECT_EQ(sip(key, {0, 1, 2, 3, 4, 5, 6, 7}), 0x93f5f5799a932462ull);
  const Bytes secret = from_hex("e5e973e5a6b2a43f48e7dc849e37bfcf");
  __u8 out[8];
  ac_siphash_put(out, sip(secret, from_hex("2464c4abcf10c957" "01000000" "5cf79f11" "c6336464")));
  EXPECT_EQ(hex8(out), "1f8130c3eee29480");
  ac_siphash_put(out, sip(secret, from_hex("2464c4abcf10c957" "01000000" "5cf7a871" "c6336464")));
  EXPECT_EQ(hex8(out), "d4a564a1442aca77");
  Bytes long_msg(41);
  EXPECT_EQ(ac_siphash24(key.data(), long_msg.data(), 41), 0u) << "more than AC_SIPHASH_MAX bytes";
}

struct Answer {
  ac_verdict verdict;
  ac_headers h;
  Bytes frame;
};

Answer ask(const Bytes& request, const ac_dns_edns* edns, const FastpathTables& tables,
           std::map<std::string, ac_ratelimit_bucket>* buckets = nullptr) {
  Answer a{};
  a.frame = request;
  a.frame.resize(request.size() + 2048);
  ac_env env{&tables};
  env.dns = dns_test_table().table();
  env.edns = edns;
  env.buckets = buckets;
  env.mono_ns = 1'000'000'000;
  env.frame_end = a.frame.data() + request.size();
  env.room_end = a.frame.data() + a.frame.size();
  a.verdict = ac_decide(&env, a.frame.data(), env.frame_end, &a.h);
  if (a.verdict.action == AC_ACT_ANSWER) a.verdict = ac_respond(&env, &a.h, a.verdict);
  a.frame.resize(static_cast<std::size_t>(env.frame_end - a.frame.data()));
  return a;
}

class EdnsFrames : public testing::TestWithParam<DnsRow> {};

TEST_P(EdnsFrames, Packet) {
  const DnsRow& row = GetParam();
  const FastpathTables tables = dns_tables();
  Answer r = ask(row.request, &dns_test_edns(), tables);
  EXPECT_EQ(describe_verdict(r.verdict.action, r.verdict.reason, r.verdict.service),
            row.action == "answer" ? "answer dns" : "pass " + row.reason);
  if (row.action == "answer") {
    ASSERT_LT(r.h.dns.outcome, AC_DNS_OUT__COUNT);
    EXPECT_EQ(ac_dns_outcome_names[r.h.dns.outcome], row.outcome);
  }
  const Bytes& expected = row.action == "answer" ? row.reply : row.request;
  EXPECT_TRUE(r.frame == expected) << "differs:\n" << hex_diff(expected, r.frame);
}

INSTANTIATE_TEST_SUITE_P(Rows, EdnsFrames, testing::ValuesIn(dns_edns_rows()),
                         [](const testing::TestParamInfo<DnsRow>& i) { return i.param.name; });

const DnsRow& edns_row(const std::string& name) {
  for (const DnsRow& r : dns_edns_rows())
    if (r.name == name) return r;
  throw std::runtime_error("no row " + name);
}

// Without NSID or secrets configured the options are ignored: the reply is the plain one, our OPT
// without options (RFC 5001 2.1, RFC 7873 5.2).
TEST(EdnsOff, OptionsIgnored) {
  const FastpathTables tables = dns_tables();
  for (const char* name : {"nsid", "nsid_and_cookie", "expired_cookie"}) {
    Answer r = ask(edns_row(name).request, nullptr, tables);
    ASSERT_EQ(r.verdict.action, AC_ACT_ANSWER) << name;
    EXPECT_EQ(r.h.dns.outcome, AC_DNS_OUT_NOERROR) << name;
    EXPECT_EQ(r.h.dns.opt_rdlen, 0u) << name;
    const std::size_t msg = 14 + 20 + 8;
    EXPECT_EQ(r.frame.size(), msg + r.h.dns.reply_len) << name;
    EXPECT_EQ(r.frame[r.frame.size() - 2] << 8 | r.frame.back(), 0) << name << ": RDLEN 0 ends the reply";
  }
}

// Rate 1 a second, slip 2, one source, one instant: a client with a valid server cookie is answered
// every time; the same client without one is limited as before (answered, dropped, slipped).
TEST(EdnsRrl, ValidCookieIsExempt) {
  FastpathTables tables = dns_tables();
  tables.ratelimit[AC_SVC_DNS] = dns_rrl_limiter(DnsRrlConfig{1, 2});
  std::map<std::string, ac_ratelimit_bucket> buckets;
  const DnsRow& valid = edns_row("valid_cookie");
  for (int i = 0; i < 5; i++) {
    Answer r = ask(valid.request, &dns_test_edns(), tables, &buckets);
    ASSERT_EQ(r.verdict.action, AC_ACT_ANSWER) << i;
    EXPECT_TRUE(r.frame == valid.reply) << i << hex_diff(valid.reply, r.frame);
  }
  const DnsRow& fresh = edns_row("client_cookie");
  EXPECT_EQ(ask(fresh.request, &dns_test_edns(), tables, &buckets).verdict.action, AC_ACT_ANSWER);
  EXPECT_EQ(ask(fresh.request, &dns_test_edns(), tables, &buckets).verdict.action, AC_ACT_DROP);
  Answer slip = ask(fresh.request, &dns_test_edns(), tables, &buckets);
  ASSERT_EQ(slip.verdict.action, AC_ACT_ANSWER);
  EXPECT_EQ(slip.h.dns.outcome, AC_DNS_OUT_SLIPPED);
  EXPECT_EQ(slip.h.dns.cookie, AC_DNS_COOKIE_NEW) << "a slipped reply keeps its cookie";
  Answer again = ask(valid.request, &dns_test_edns(), tables, &buckets);
  EXPECT_EQ(again.verdict.action, AC_ACT_ANSWER) << "valid cookies stay exempt while the prefix is limited";
}

TEST(EdnsFramesCoverage, EveryCookieOutcome) {
  std::map<std::string, int> seen;
  const FastpathTables tables = dns_tables();
  for (const DnsRow& row : dns_edns_rows()) {
    Answer r = ask(row.request, &dns_test_edns(), tables);
    if (r.verdict.action == AC_ACT_ANSWER) seen[std::to_string(r.h.dns.cookie)]++;
  }
  for (int s : {AC_DNS_COOKIE_NONE, AC_DNS_COOKIE_VALID, AC_DNS_COOKIE_NEW, AC_DNS_COOKIE_BAD})
    EXPECT_GT(seen[std::to_string(s)], 0) << "no row with cookie state " << s;
}

}  // namespace
}  // namespace anycastd::test
