// SPDX-License-Identifier: Apache-2.0
// The slow path answering from a compiled table, in a private network namespace: against knotd on
// the same zone (compare_knot.py: rcode, AA, TC, answer and authority as sets, over UDP and TCP;
// a reply truncated on UDP arrives whole over TCP), and a table swapped under a running server.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "dns_server/responder.h"
#include "dns_server/server_thread.h"
#include "dns_test_util.h"
#include "private_netns.h"
#include "dns/zone_compiler.h"

namespace anycastd::dns_server {
namespace {

using namespace dns_test;
using testing_support::sh;

std::shared_ptr<const ac_dns_table> compile_table(const std::string& zone_text) {
  char path[] = "/tmp/dnsslow-zone-XXXXXX";
  int fd = ::mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, zone_text.data(), zone_text.size()), static_cast<ssize_t>(zone_text.size()));
  ::close(fd);
  auto compiled = std::make_shared<const dns::CompiledTable>(dns::compile_zones({{"example.net", path}}));
  ::unlink(path);
  // The pointer keeps the whole compiled table alive: how the daemon hands it over too.
  return {compiled, compiled->table()};
}

std::shared_ptr<const ac_dns_table> compile_file(const std::string& path) {
  auto compiled = std::make_shared<const dns::CompiledTable>(dns::compile_zones({{"example.net", path}}));
  return {compiled, compiled->table()};
}

class DnsAnswers : public testing_support::PrivateNetns {
 protected:
  void SetUp() override {
    PrivateNetns::SetUp();
    if (HasFatalFailure()) return;
    int status = 0;
    std::string out = sh("ip addr add 192.0.2.53/32 dev lo", &status);
    ASSERT_EQ(status, 0) << out;
  }
};

TEST_F(DnsAnswers, AsKnotAnswers) {
  DnsServerThread server({parse_prefix("192.0.2.53")});
  server.set_table(compile_file(DNS_TEST_ZONE));
  int status = 0;
  std::string out = sh(std::string(DNS_COMPARE_KNOT) + " 192.0.2.53 " + DNS_TEST_ZONE + " example.net", &status);
  EXPECT_EQ(status, 0) << out;
  std::cout << out;
  DnsSlowStats s = server.stats();
  EXPECT_GT(s.count[kAnswerTruncated], 0u);
  EXPECT_GT(s.count[kAnyMinimal], 0u);
  EXPECT_GT(s.count[kAnswerReferral], 0u);
}

// A signed zone (tests/dns/signed, signed here with ldns-signzone: NSEC, NSEC3, NSEC3 with
// opt-out) asked with DO, at UDP sizes 512 and 1232 and over TCP: the same RRSIGs and NSEC/NSEC3
// proofs as knotd (compare_knot.py dnssec), NXDOMAIN and wildcard proofs built here.
class SignedAnswers : public DnsAnswers, public testing::WithParamInterface<const char*> {};

TEST_P(SignedAnswers, AsKnotAnswers) {
  char dir[] = "/tmp/dnsslow-signed-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  int status = 0;
  std::string out = sh(std::string(DNS_SIGN_ZONE) + " " + GetParam() + " example.net " + DNS_SIGNED_ZONE + " " + dir,
                       &status);
  ASSERT_EQ(status, 0) << out;
  const std::string signed_file = std::string(dir) + "/example.net.signed";
  DnsServerThread server({parse_prefix("192.0.2.53")});
  server.set_table(compile_file(signed_file));
  out = sh(std::string(DNS_COMPARE_KNOT) + " 192.0.2.53 " + signed_file + " example.net dnssec", &status);
  EXPECT_EQ(status, 0) << out;
  std::cout << out;
  DnsSlowStats s = server.stats();
  EXPECT_GT(s.count[kAnswerDo], 0u);
  EXPECT_GT(s.count[kSignedProof], 0u);
  sh(std::string("rm -rf ") + dir);
}

INSTANTIATE_TEST_SUITE_P(Denial, SignedAnswers, testing::Values("nsec", "nsec3", "nsec3-optout"),
                         [](const auto& info) { return std::string(info.param) == "nsec3-optout" ? "nsec3_optout" : info.param; });

TEST_F(DnsAnswers, ATableSwapIsSeenByTheNextQuery) {
  const std::string head = "$ORIGIN example.net.\n$TTL 300\n@ IN NS ns1\nns1 IN A 192.0.2.53\n";
  DnsServerThread server({parse_prefix("192.0.2.53")});
  auto serial_of = [](const Bytes& reply) {
    // The answer's SOA RDATA ends with serial, refresh, retry, expire, minimum.
    std::size_t end = reply.size();
    return static_cast<std::uint32_t>(reply[end - 20] << 24 | reply[end - 19] << 16 | reply[end - 18] << 8 |
                                      reply[end - 17]);
  };
  for (std::uint32_t serial : {1u, 2u, 3u}) {
    server.set_table(compile_table(head + "@ IN SOA ns1 hostmaster " + std::to_string(serial) + " 1 1 1 1\n"));
    auto reply = udp_exchange("192.0.2.53", 53, query(static_cast<std::uint16_t>(serial), "example.net", 6));
    ASSERT_TRUE(reply);
    EXPECT_EQ(rcode_of(*reply), 0);
    EXPECT_EQ(count_of(*reply, 6), 1);
    EXPECT_EQ(serial_of(*reply), serial);
  }
  server.set_table(nullptr);
  auto reply = udp_exchange("192.0.2.53", 53, query(9, "example.net", 6));
  ASSERT_TRUE(reply);
  EXPECT_EQ(rcode_of(*reply), 5) << "no table: REFUSED";
}

// The fast paths walk 16 labels (AC_DNS_MAX_LABELS) and pass longer names; the slow path walks
// every name a message can hold. Expected answers from the zone file: wild has no record of its
// own below it but *.wild (A 192.0.2.99); nothing else lies below example.net's hosts.
TEST_F(DnsAnswers, NamesOfManyLabelsAreAnswered) {
  DnsServerThread server({parse_prefix("192.0.2.53")});
  server.set_table(compile_file(DNS_TEST_ZONE));
  auto labels_below = [](std::string name, int n) {
    for (int i = 0; i < n; ++i) name = "l" + std::to_string(i % 10) + "." + name;
    return name;
  };
  // 17 and 123 labels (121 one-byte labels + example.net: 255 bytes, the most a name has).
  std::string nx17 = labels_below("example.net", 15);
  std::string nx_longest = "example.net";
  for (int i = 0; i < 121; ++i) nx_longest = "a." + nx_longest;
  for (const std::string& name : {nx17, nx_longest}) {
    auto reply = udp_exchange("192.0.2.53", 53, query(0x1717, name, 1));
    ASSERT_TRUE(reply) << name;
    EXPECT_EQ(rcode_of(*reply), 3) << "NXDOMAIN: " << name;
    EXPECT_EQ(count_of(*reply, 6), 0);
    EXPECT_EQ(count_of(*reply, 8), 1) << "the SOA";
  }
  // A wildcard synthesised for a name of 30 labels, its owner the query name (0xC00C).
  std::string wild30 = labels_below("wild.example.net", 27);
  auto reply = udp_exchange("192.0.2.53", 53, query(0x3030, wild30, 1));
  ASSERT_TRUE(reply);
  EXPECT_EQ(rcode_of(*reply), 0);
  ASSERT_EQ(count_of(*reply, 6), 1);
  std::size_t rr = 12 + question_length(*reply);
  ASSERT_GE(reply->size(), rr + 16);
  EXPECT_EQ(reply->at(rr), 0xC0);
  EXPECT_EQ(reply->at(rr + 1), 0x0C);
  EXPECT_EQ(Bytes(reply->begin() + rr + 12, reply->begin() + rr + 16), (Bytes{192, 0, 2, 99}));
  // A referral below the cut at sub, 20 labels deep.
  reply = udp_exchange("192.0.2.53", 53, query(0x2020, labels_below("sub.example.net", 17), 1));
  ASSERT_TRUE(reply);
  EXPECT_EQ(rcode_of(*reply), 0);
  EXPECT_EQ(reply->at(2) & 0x04, 0) << "a referral is not authoritative";
  EXPECT_EQ(count_of(*reply, 6), 0);
  EXPECT_EQ(count_of(*reply, 8), 1) << "sub's NS";
  EXPECT_EQ(server.stats().count[kServfail], 0u);
}

// A COOKIE option of a length RFC 7873 5.2.2 calls malformed (7, 9 or 41 bytes) is FORMERR, the
// question echoed; well-formed ones (8, 24, 40 bytes) are answered, ignored without cookie
// secrets (cookie_test.cpp has them).
TEST(DnsCookies, MalformedCookieIsFormerr) {
  auto table = compile_file(DNS_TEST_ZONE);
  for (std::size_t length : {7u, 9u, 41u, 8u, 24u, 40u}) {
    Bytes q = query(0x4242, "example.net", 6, 1, 1232);
    q.back() = static_cast<std::uint8_t>(length + 4);  // the OPT's RDLEN: one option
    q.insert(q.end(), {0, 10, 0, static_cast<std::uint8_t>(length)});
    q.insert(q.end(), length, 0x5A);
    Bytes out(65535);
    Verdict v = respond(table.get(), nullptr, Client{}, q, Transport::udp, out);
    ASSERT_GE(v.length, 12u) << length;
    const bool malformed = length < 8 || (length > 8 && length < 16) || length > 40;
    EXPECT_EQ(rcode_of(out), malformed ? 1 : 0) << length;
    EXPECT_EQ(v.counter, malformed ? kFormerr : kAnswerNoerror) << length;
  }
}

}  // namespace
}  // namespace anycastd::dns_server
