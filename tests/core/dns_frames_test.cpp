// SPDX-License-Identifier: Apache-2.0
// The DNS packet path of the core, natively: query frames (gen_dns_frames.py, dnspython and
// scapy) through ac_decide and ac_respond with the table the zone compiler makes of
// tests/core/data/dnscore.zone; verdict, DNS outcome and reply bytes must be what each row says.
// tests/bpf/bpf_dns_test.cpp runs the same rows through the compiled XDP program.

#include <cstring>
#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.h"
#include "dns_frames.h"
#include "native_env.h"

namespace anycastd::test {
namespace {

struct Outcome {
  ac_verdict verdict;
  std::uint8_t outcome;
  Bytes frame;
  std::string outside;
  struct ac_dns_plan plan;
};

// The frame in a buffer with `room` bytes to grow into, and a canary after that: a reply must
// stay within the room the env granted.
Outcome run(const Bytes& request, const ac_dns_table* dns, std::size_t room) {
  constexpr std::size_t kCanary = 64;
  constexpr std::uint8_t kFill = 0xCD;
  std::vector<std::uint8_t> buf(request.size() + room + kCanary, kFill);
  std::memcpy(buf.data(), request.data(), request.size());
  const FastpathTables tables = dns_tables();
  std::uint8_t* data = buf.data();
  ac_env env{&tables};
  env.dns = dns;
  env.room_end = data + request.size() + room;
  env.frame_end = data + request.size();
  ac_headers h;
  ac_verdict v = ac_decide(&env, data, env.frame_end, &h);
  if (v.action == AC_ACT_ANSWER) v = ac_respond(&env, &h, v);
  Outcome r{v, v.action == AC_ACT_ANSWER ? h.dns.outcome : std::uint8_t{0xFF}, Bytes(data, env.frame_end), {}, h.dns};
  for (std::size_t i = request.size() + room; i < buf.size(); ++i)
    if (buf[i] != kFill) r.outside = "byte " + std::to_string(i) + " past the room written\n";
  return r;
}

class DnsFrames : public testing::TestWithParam<DnsRow> {};

TEST_P(DnsFrames, Packet) {
  const DnsRow& row = GetParam();
  Outcome r = run(row.request, dns_test_table().table(), 2048);
  EXPECT_EQ(describe_verdict(r.verdict.action, r.verdict.reason, r.verdict.service),
            row.action == "answer" ? "answer dns" : "pass " + row.reason);
  if (row.action == "answer") {
    ASSERT_LT(r.outcome, AC_DNS_OUT__COUNT);
    EXPECT_EQ(ac_dns_outcome_names[r.outcome], row.outcome);
  }
  const Bytes& expected = row.action == "answer" ? row.reply : row.request;
  EXPECT_TRUE(r.frame == expected) << "differs:\n" << hex_diff(expected, r.frame);
  EXPECT_EQ(r.outside, "");
}

INSTANTIATE_TEST_SUITE_P(Rows, DnsFrames, testing::ValuesIn(dns_rows()),
                         [](const testing::TestParamInfo<DnsRow>& i) { return i.param.name; });

// The UDP checksum of a reply frame, checked the plain way (RFC 1071 over the pseudo-header and
// the datagram, byte by byte as big-endian words: right when it folds to all ones), and where the
// records start in the datagram. The frame is Ethernet, tags, then IPv4 without options or IPv6.
struct UdpCheck {
  bool ok;
  std::size_t records_at;  // datagram offset of the records
};

UdpCheck udp_check(const Bytes& f, const struct ac_dns_plan& plan) {
  std::size_t l3 = 14;
  while (f.at(l3 - 2) == 0x81 && f.at(l3 - 1) == 0x00) l3 += 4;
  const bool v6 = f.at(l3 - 2) == 0x86;
  const std::size_t l4 = l3 + (v6 ? 40 : 20);
  const std::size_t addrs = v6 ? l3 + 8 : l3 + 12, addr_len = v6 ? 32 : 8;
  const std::size_t udp_len = static_cast<std::size_t>(f.at(l4 + 4) << 8 | f.at(l4 + 5));
  std::uint64_t sum = 17 + udp_len;
  auto add = [&](std::size_t at, std::size_t n) {
    for (std::size_t i = 0; i < n; i++) sum += i % 2 ? f.at(at + i) : f.at(at + i) << 8;
  };
  add(addrs, addr_len);
  add(l4, udp_len);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  const bool nonzero = f.at(l4 + 6) || f.at(l4 + 7);
  return {sum == 0xFFFF && nonzero && l4 + udp_len == f.size(), 8u + 12u + plan.qname_len + 4u};
}

// Every answered row's UDP checksum is right, and the rows have what the checksum's parts must be
// right for (docs/dns.md, "The UDP checksum") with the records at an odd and at an even offset of
// the datagram: pointers moved by a fixup, a cut (TC), our OPT, and a cut with our OPT.
TEST(DnsFrames, UdpChecksumFromParts) {
  const ac_dns_table* table = dns_test_table().table();
  std::set<std::string> seen;
  for (const DnsRow& row : dns_rows()) {
    if (row.action != "answer") continue;
    Outcome r = run(row.request, table, 2048);
    ASSERT_EQ(r.verdict.action, AC_ACT_ANSWER) << row.name;
    const UdpCheck c = udp_check(r.frame, r.plan);
    EXPECT_TRUE(c.ok) << row.name << ": the UDP checksum is wrong";
    const std::string parity = c.records_at % 2 ? "odd" : "even";
    bool moved = false;
    if (r.plan.answer_at != AC_DNS_NO_ANSWER) {
      const auto* a = reinterpret_cast<const ac_dns_answer*>(reinterpret_cast<const std::uint8_t*>(table) +
                                                             table->arena + r.plan.answer_at);
      const auto* fixups = reinterpret_cast<const __u16*>(a + 1);
      for (unsigned i = 0; i < a->nfixups; i++)
        moved |= r.plan.qname_len != a->base_qname_len && fixups[i] + 2u <= r.plan.records;
    }
    if (moved) seen.insert("moved " + parity);
    if (r.plan.tc && r.plan.records) seen.insert("cut " + parity);
    if (r.plan.edns) seen.insert("opt " + parity);
    if (r.plan.edns && r.plan.tc && r.plan.records) seen.insert("cut opt " + parity);
    if (r.plan.edns && moved) seen.insert("moved opt " + parity);
  }
  for (const char* kind : {"moved", "cut", "opt", "cut opt", "moved opt"})
    for (const char* parity : {"odd", "even"})
      EXPECT_TRUE(seen.count(std::string(kind) + " " + parity)) << "no row with " << kind << ", records at an " << parity << " offset";
}

// Every DNS pass reason and outcome has a row, but those the rows cannot show (no table, no room
// to grow, a slip of rate limiting), which have tests of their own below.
TEST(DnsFramesCoverage, EveryReasonAndOutcome) {
  std::set<std::string> seen;
  for (const DnsRow& r : dns_rows()) seen.insert(r.action == "answer" ? r.outcome : r.reason);
  for (unsigned r = 0; r < AC_PASS__COUNT; ++r) {
    std::string name = ac_pass_reason_names[r];
    if (name.rfind("dns_", 0) == 0 && name != "dns_no_table" && name != "dns_no_room")
      EXPECT_TRUE(seen.count(name)) << "no row for pass reason " << name;
  }
  for (unsigned o = 0; o < AC_DNS_OUT__COUNT; ++o)
    if (o != AC_DNS_OUT_SLIPPED && o != AC_DNS_OUT_BADCOOKIE)  // DnsRrl.DropsAndSlips; core.dns_edns
      EXPECT_TRUE(seen.count(ac_dns_outcome_names[o])) << "no row with outcome " << ac_dns_outcome_names[o];
}

// The answers the frame path cannot make pass with the frame as it came.
TEST(DnsFramePath, NoTableLoaded) {
  const DnsRow& row = dns_row_named("a_v4");
  Outcome r = run(row.request, nullptr, 2048);
  EXPECT_EQ(describe_verdict(r.verdict.action, r.verdict.reason, r.verdict.service), "pass dns_no_table");
  EXPECT_TRUE(r.frame == row.request);
}

TEST(DnsFramePath, FrameCannotGrow) {
  const DnsRow& row = dns_row_named("a_v4");
  ASSERT_GT(row.reply.size(), row.request.size());
  Outcome r = run(row.request, dns_test_table().table(), row.reply.size() - row.request.size() - 1);
  EXPECT_EQ(describe_verdict(r.verdict.action, r.verdict.reason, r.verdict.service), "pass dns_no_room");
  EXPECT_TRUE(r.frame == row.request) << hex_diff(row.request, r.frame);
}

// Response rate limiting with the limiter [services.dns.rrl] makes (rate 1 per second, slip 2), one
// source, one instant: the first query answered, then over the limit every query is dropped but
// every second, which goes out with TC=1, the question and no records.
TEST(DnsRrl, DropsAndSlips) {
  const DnsRow& row = dns_row_named("a_v4");
  FastpathTables tables = dns_tables();
  tables.ratelimit[AC_SVC_DNS] = dns_rrl_limiter(DnsRrlConfig{1, 2});
  std::map<std::string, ac_ratelimit_bucket> buckets;
  auto ask = [&](Bytes& frame, ac_headers& h) {
    frame = row.request;
    frame.resize(row.request.size() + 2048);
    ac_env env{&tables};
    env.dns = dns_test_table().table();
    env.buckets = &buckets;
    env.mono_ns = 1'000'000'000;
    env.frame_end = frame.data() + row.request.size();
    env.room_end = frame.data() + frame.size();
    ac_verdict v = ac_decide(&env, frame.data(), env.frame_end, &h);
    if (v.action == AC_ACT_ANSWER) v = ac_respond(&env, &h, v);
    frame.resize(static_cast<std::size_t>(env.frame_end - frame.data()));
    return v;
  };
  Bytes frame;
  ac_headers h;
  ac_verdict v = ask(frame, h);
  ASSERT_EQ(v.action, AC_ACT_ANSWER);
  EXPECT_TRUE(frame == row.reply) << hex_diff(row.reply, frame);

  v = ask(frame, h);
  EXPECT_EQ(v.action, AC_ACT_DROP);
  EXPECT_EQ(v.service, AC_SVC_DNS);

  v = ask(frame, h);
  ASSERT_EQ(v.action, AC_ACT_ANSWER);
  EXPECT_EQ(h.dns.outcome, AC_DNS_OUT_SLIPPED);
  constexpr std::size_t kMsg = 14 + 20 + 8;  // the row is untagged IPv4
  const std::size_t question_end = kMsg + 12 + h.dns.qname_len + 4;
  ASSERT_GE(frame.size(), question_end);
  EXPECT_EQ(frame[kMsg + 2] & 0x82, 0x82) << "QR and TC";
  EXPECT_EQ(frame[kMsg + 3] & 0x0F, 0) << "NOERROR";
  EXPECT_EQ((frame[kMsg + 6] << 8 | frame[kMsg + 7]), 0) << "ANCOUNT";
  EXPECT_EQ((frame[kMsg + 8] << 8 | frame[kMsg + 9]), 0) << "NSCOUNT";
  EXPECT_TRUE(std::equal(frame.begin() + kMsg + 12, frame.begin() + question_end, row.request.begin() + kMsg + 12))
      << "the question, byte for byte";
  EXPECT_EQ(frame.size() - question_end, (frame[kMsg + 10] << 8 | frame[kMsg + 11]) ? 11u : 0u) << "OPT or nothing";
  EXPECT_EQ(static_cast<std::size_t>(frame[16] << 8 | frame[17]), frame.size() - 14) << "IPv4 total length";
  EXPECT_EQ(static_cast<std::size_t>(frame[38] << 8 | frame[39]), frame.size() - 34) << "UDP length";

  v = ask(frame, h);
  EXPECT_EQ(v.action, AC_ACT_DROP);
}

// The slow path's use of the message API: the answer the fast path passes, whole over TCP.
TEST(DnsMessage, SlowAnswerOverStream) {
  const DnsRow& row = dns_row_named("slow_answer");
  constexpr long kMsgOff = 14 + 20 + 8;  // Ethernet, IPv4, UDP: the row is untagged IPv4
  Bytes msg(row.request.begin() + kMsgOff, row.request.end());
  const FastpathTables tables = dns_tables();
  ac_env env{&tables};
  env.dns = dns_test_table().table();
  struct ac_dns_plan plan;
  ASSERT_EQ(ac_dns_plan(&env, msg.data(), msg.data() + msg.size(), 65535, 0, &plan), AC_PASS_DNS_SLOW_ANSWER);
  ASSERT_EQ(ac_dns_plan(&env, msg.data(), msg.data() + msg.size(), 65535, AC_DNS_F_ALLOW_SLOW | AC_DNS_F_STREAM, &plan),
            AC_PASS_NONE);
  EXPECT_EQ(plan.tc, 0);
  EXPECT_EQ(plan.ancount, 13);
  Bytes out = msg;
  out.resize(plan.reply_len);
  __u32 moved = 0;
  ASSERT_EQ(ac_dns_write(&env, out.data(), out.data() + out.size(), &plan, &moved), plan.reply_len);
  EXPECT_EQ(out[7], 13);  // ANCOUNT
  EXPECT_EQ(out[2] & 0x82, 0x80);  // QR, no TC
  // Over UDP the same message, allowed slow, is cut to the client's size.
  ASSERT_EQ(ac_dns_plan(&env, msg.data(), msg.data() + msg.size(), AC_DNS_UDP_SIZE, AC_DNS_F_ALLOW_SLOW, &plan),
            AC_PASS_NONE);
  EXPECT_EQ(plan.tc, 1);
  EXPECT_EQ(plan.outcome, AC_DNS_OUT_TRUNCATED);
  EXPECT_LE(plan.reply_len, AC_DNS_UDP_SIZE);
}

}  // namespace
}  // namespace anycastd::test
