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

#include "dns_server/server_thread.h"
#include "dns_test_util.h"
#include "private_netns.h"
#include "zone_compiler.h"

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

TEST_F(DnsAnswers, NamesBeyondTheCoresWalkGetServfail) {
  DnsServerThread server({parse_prefix("192.0.2.53")});
  server.set_table(compile_file(DNS_TEST_ZONE));
  std::string name = "example.net";
  for (int i = 0; i < 15; ++i) name = "l" + std::to_string(i) + "." + name;  // 17 labels
  auto reply = udp_exchange("192.0.2.53", 53, query(0x1717, name, 1));
  ASSERT_TRUE(reply);
  EXPECT_EQ(rcode_of(*reply), 2);
  EXPECT_EQ(count_of(*reply, 4), 1);
  EXPECT_EQ(server.stats().count[kServfail], 1u);
  // One label fewer is within the walk: NXDOMAIN from the zone.
  reply = udp_exchange("192.0.2.53", 53, query(0x1616, name.substr(name.find('.') + 1), 1));
  ASSERT_TRUE(reply);
  EXPECT_EQ(rcode_of(*reply), 3);
}

}  // namespace
}  // namespace anycastd::dns_server
