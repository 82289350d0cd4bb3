// SPDX-License-Identifier: Apache-2.0
// The DNS slow path's sockets in a private network namespace: UDP replies from the VIP the query
// went to, the slow path's own rcodes, TCP framing, pipelining, the idle timeout and the
// connection limit, hostile input. Queries and the expected reply fields are written here by
// hand from the RFCs and from what Knot 3.2 answers (docs/dns.md), not with the code under test.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dns_server/server_thread.h"
#include "dns_test_util.h"
#include "private_netns.h"

namespace anycastd::dns_server {
namespace {

using namespace dns_test;
using testing_support::sh;

class DnsTransport : public testing_support::PrivateNetns {
 protected:
  void SetUp() override {
    PrivateNetns::SetUp();
    if (HasFatalFailure()) return;
    add_alias("192.0.2.53/32");
    add_alias("2001:db8::53/128");
  }
  void add_alias(const std::string& a) {
    int status = 0;
    std::string out = sh("ip addr add " + a + " dev lo" + (a.find(':') != std::string::npos ? " nodad" : ""), &status);
    ASSERT_EQ(status, 0) << out;
  }
  static std::vector<Prefix> vips(std::initializer_list<const char*> list) {
    std::vector<Prefix> out;
    for (const char* a : list) out.push_back(parse_prefix(a));
    return out;
  }
};

TEST_F(DnsTransport, UdpRepliesFromTheAddressTheQueryWentTo) {
  add_alias("192.0.2.54/32");
  DnsServerThread server(vips({"192.0.2.53", "192.0.2.54", "2001:db8::53"}));
  // A connected client socket takes replies only from the address it sent to.
  for (const char* to : {"192.0.2.53", "192.0.2.54", "2001:db8::53"}) {
    auto reply = udp_exchange(to, 53, query(0x1234, "www.example.net", 1));
    ASSERT_TRUE(reply) << "no reply from " << to;
    EXPECT_EQ(id_of(*reply), 0x1234);
    EXPECT_TRUE(reply->at(2) & 0x80) << "QR";
    EXPECT_EQ(rcode_of(*reply), 5) << "no table: REFUSED";
  }
  EXPECT_EQ(server.stats().count[kUdpQueries], 3u);
  EXPECT_EQ(server.stats().count[kRefusedNoTable], 3u);
}

TEST_F(DnsTransport, BindsBeforeTheAliasExists) {
  DnsServerThread server(vips({"192.0.2.99", "2001:db8::99"}));
  add_alias("192.0.2.99/32");
  add_alias("2001:db8::99/128");
  EXPECT_TRUE(udp_exchange("192.0.2.99", 53, query(1, "a.example", 1)));
  EXPECT_TRUE(udp_exchange("2001:db8::99", 53, query(2, "a.example", 1)));
  Tcp c("192.0.2.99", 53);
  c.send_message(query(3, "a.example", 1));
  EXPECT_TRUE(c.read_message());
}

TEST_F(DnsTransport, PrefixVipsOnTheWildcardSocketAnswerOnlyTheirOwnAddresses) {
  // A local route for a whole prefix, as anycastd's alias route signal makes it.
  int status = 0;
  std::string out = sh("ip route add local 203.0.113.0/24 dev lo table local", &status);
  ASSERT_EQ(status, 0) << out;
  DnsServerThread server(vips({"203.0.113.0/24"}), {.port = 5300});
  auto reply = udp_exchange("203.0.113.77", 5300, query(7, "x.example", 1));
  ASSERT_TRUE(reply) << "a destination inside the prefix is answered, from itself";
  EXPECT_EQ(id_of(*reply), 7);
  EXPECT_FALSE(udp_exchange("192.0.2.53", 5300, query(8, "x.example", 1), std::chrono::milliseconds(500)))
      << "not a VIP: no answer";
  EXPECT_EQ(server.stats().count[kDropForeign], 1u);
  Tcp c("203.0.113.9", 5300);
  c.send_message(query(9, "x.example", 1));
  auto m = c.read_message();
  ASSERT_TRUE(m);
  EXPECT_EQ(id_of(*m), 9);
}

TEST_F(DnsTransport, ABusyPortIsAClearError) {
  DnsServerThread first(vips({"192.0.2.53"}), {.port = 5301});
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(5302);
  ::inet_pton(AF_INET, "192.0.2.53", &in.sin_addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&in), sizeof in), 0);
  try {
    DnsServerThread second(vips({"192.0.2.53"}), {.port = 5302});
    ADD_FAILURE() << "bound a port another socket holds";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("192.0.2.53 port 5302 (udp)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("in use"), std::string::npos) << e.what();
  }
  ::close(fd);
}

// What the slow path answers itself (Knot 3.2's rcodes where it answers, docs/dns.md).
TEST_F(DnsTransport, ItsOwnRcodes) {
  DnsServerThread server(vips({"192.0.2.53"}));
  struct Case {
    const char* what;
    std::vector<std::uint8_t> q;
    int rcode;       // -1: no reply
    int qdcount;     // in the reply
  };
  auto with_opcode = [](int op) {
    auto q = query(0x4242, "example.net", 6);
    q[2] = static_cast<std::uint8_t>((q[2] & 0x87) | op << 3);
    return q;
  };
  auto q_two = query(0x4242, "example.net", 1);
  q_two[5] = 2;
  auto q_zero = query(0x4242, "example.net", 1);
  q_zero[5] = 0;
  q_zero.resize(12);
  std::vector<std::uint8_t> q_pointer = {0x42, 0x42, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1};
  std::vector<std::uint8_t> q_beyond = {0x42, 0x42, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x3F, 'a', 'b', 0, 1, 0, 1};
  std::vector<std::uint8_t> q_long = {0x42, 0x42, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 5; ++i) {
    q_long.push_back(63);
    q_long.insert(q_long.end(), 63, 'a');
  }
  q_long.insert(q_long.end(), {0, 0, 1, 0, 1});
  auto q_trailing = query(0x4242, "example.net", 1);
  q_trailing.insert(q_trailing.end(), {0, 0, 0});
  auto q_response = query(0x4242, "example.net", 1);
  q_response[2] |= 0x80;
  std::vector<Case> cases = {
      {"IQUERY", with_opcode(1), 4, 1},
      {"STATUS", with_opcode(2), 4, 1},
      {"NOTIFY", with_opcode(4), 9, 1},
      {"UPDATE", with_opcode(5), 9, 1},
      {"opcode 15", with_opcode(15), 4, 1},
      {"QDCOUNT 2", q_two, 1, 0},
      {"QDCOUNT 0", q_zero, 1, 0},
      {"pointer in the question", q_pointer, 1, 0},
      {"label beyond the message", q_beyond, 1, 0},
      {"name over 255 bytes", q_long, 1, 0},
      {"trailing bytes", q_trailing, 1, 1},
      {"class CH", query(0x4242, "version.bind", 16, 3), 5, 1},
      {"class NONE", query(0x4242, "example.net", 1, 254), 5, 1},
      {"QTYPE 0", query(0x4242, "example.net", 0), 4, 1},
      {"AXFR over UDP", query(0x4242, "example.net", 252), 4, 1},
      {"IXFR", query(0x4242, "example.net", 251), 9, 1},
      {"MAILB (no table yet)", query(0x4242, "example.net", 253), 5, 1},
      {"a response", q_response, -1, 0},
      {"11 bytes", std::vector<std::uint8_t>(11, 0), -1, 0},
      {"empty", {}, -1, 0},
  };
  for (const Case& c : cases) {
    auto reply = udp_exchange("192.0.2.53", 53, c.q, std::chrono::milliseconds(c.rcode < 0 ? 300 : 3000));
    if (c.rcode < 0) {
      EXPECT_FALSE(reply) << c.what << ": answered";
      continue;
    }
    ASSERT_TRUE(reply) << c.what << ": no reply";
    EXPECT_EQ(id_of(*reply), 0x4242) << c.what;
    EXPECT_EQ(rcode_of(*reply), c.rcode) << c.what;
    EXPECT_EQ(reply->at(2) & 0x80, 0x80) << c.what << ": QR";
    EXPECT_EQ(reply->at(2) & 0x04, 0) << c.what << ": AA";
    EXPECT_EQ((reply->at(2) >> 3) & 0x0F, (c.q[2] >> 3) & 0x0F) << c.what << ": opcode";
    EXPECT_EQ(count_of(*reply, 4), c.qdcount) << c.what;
    if (c.qdcount) {
      // The question comes back byte for byte.
      std::size_t qlen = question_length(c.q);
      ASSERT_GE(reply->size(), 12 + qlen) << c.what;
      EXPECT_TRUE(std::equal(c.q.begin() + 12, c.q.begin() + 12 + qlen, reply->begin() + 12)) << c.what;
    } else {
      EXPECT_EQ(reply->size(), 12u) << c.what;
    }
  }
  DnsSlowStats s = server.stats();
  EXPECT_EQ(s.count[kUdpQueries], cases.size());
  EXPECT_EQ(s.count[kNotimp], 5u);
  EXPECT_EQ(s.count[kNotauth], 3u);
  EXPECT_EQ(s.count[kFormerr], 6u);
  EXPECT_EQ(s.count[kRefusedClass], 2u);
  EXPECT_EQ(s.count[kRefusedNoTable], 1u);
  EXPECT_EQ(s.count[kDropResponse], 1u);
  EXPECT_EQ(s.count[kDropShort], 2u);
}

TEST_F(DnsTransport, OverTcpAxfrIsNotAuthorized) {
  DnsServerThread server(vips({"192.0.2.53"}));
  Tcp c("192.0.2.53", 53);
  c.send_message(query(5, "example.net", 252));
  auto m = c.read_message();
  ASSERT_TRUE(m);
  EXPECT_EQ(rcode_of(*m), 9);
}

TEST_F(DnsTransport, EdnsQueryGetsOptInItsOwnRcodeReplies) {
  DnsServerThread server(vips({"192.0.2.53"}));
  auto q = query(6, "example.net", 1, 3, /*edns_size=*/4096);
  auto reply = udp_exchange("192.0.2.53", 53, q);
  ASSERT_TRUE(reply);
  EXPECT_EQ(rcode_of(*reply), 5);
  EXPECT_EQ(count_of(*reply, 10), 1) << "OPT in additional";
  // The OPT record: root owner, type 41, class = our UDP size 1232.
  std::size_t opt = 12 + question_length(q);
  ASSERT_EQ(reply->size(), opt + 11);
  EXPECT_EQ((*reply)[opt], 0);
  EXPECT_EQ((*reply)[opt + 2], 41);
  EXPECT_EQ((*reply)[opt + 3] << 8 | (*reply)[opt + 4], 1232);
}

TEST_F(DnsTransport, TsigSignedQueriesGetNotauthBadkey) {
  DnsServerThread server(vips({"192.0.2.53"}));
  auto q = query(0x7777, "www.example.net", 1);
  q[11] = 1;  // ARCOUNT
  // TSIG RR (RFC 8945 4.2): key "k.", hmac-sha256, time 1, fudge 300, a 2-byte MAC, original id 0x7777.
  std::vector<std::uint8_t> rdata = {11, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '2', '5', '6', 0,
                                     0,  0,   0,   0,   0,   1,   1,   0x2C, 0, 2,  0xAB, 0xCD, 0x77, 0x77, 0, 0, 0, 0};
  q.insert(q.end(), {1, 'k', 0, 0, 250, 0, 255, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(rdata.size())});
  q.insert(q.end(), rdata.begin(), rdata.end());
  auto reply = udp_exchange("192.0.2.53", 53, q);
  ASSERT_TRUE(reply);
  EXPECT_EQ(rcode_of(*reply), 9);
  ASSERT_EQ(count_of(*reply, 10), 1) << "the unsigned TSIG record";
  std::size_t at = 12 + question_length(q);
  std::vector<std::uint8_t> expected = {1, 'k', 0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 29,
                                        11, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '2', '5', '6', 0,
                                        0, 0, 0, 0, 0, 1, 1, 0x2C, 0, 0, 0x77, 0x77, 0, 17, 0, 0};
  ASSERT_EQ(reply->size(), at + expected.size());
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), reply->begin() + static_cast<std::ptrdiff_t>(at)));
  EXPECT_EQ(server.stats().count[kNotauth], 1u);
}

TEST_F(DnsTransport, TcpPipelinedQueriesAreAnsweredInOrder) {
  DnsServerThread server(vips({"192.0.2.53"}));
  Tcp c("192.0.2.53", 53);
  // Three queries in one write, the last one split across two more writes.
  std::vector<std::uint8_t> batch;
  for (std::uint16_t id : {101, 102}) append_framed(batch, query(id, "a.example", 1));
  std::vector<std::uint8_t> third;
  append_framed(third, query(103, "b.example", 28));
  batch.insert(batch.end(), third.begin(), third.begin() + 1);
  c.send_raw(batch);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  c.send_raw({third.begin() + 1, third.begin() + 9});
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  c.send_raw({third.begin() + 9, third.end()});
  for (std::uint16_t id : {101, 102, 103}) {
    auto m = c.read_message();
    ASSERT_TRUE(m) << "no reply " << id;
    EXPECT_EQ(id_of(*m), id);
  }
  // The connection stays open for more.
  c.send_message(query(104, "c.example", 1));
  auto m = c.read_message();
  ASSERT_TRUE(m);
  EXPECT_EQ(id_of(*m), 104);
  EXPECT_EQ(server.stats().count[kTcpQueries], 4u);
}

TEST_F(DnsTransport, TcpIdleConnectionsAreClosed) {
  DnsServerThread server(vips({"192.0.2.53"}), {.tcp_idle_timeout = std::chrono::milliseconds(300)});
  Tcp c("192.0.2.53", 53);
  c.send_message(query(1, "a.example", 1));
  ASSERT_TRUE(c.read_message());
  EXPECT_TRUE(c.closed_by_peer(std::chrono::seconds(10))) << "idle connection still open";
  EXPECT_EQ(server.stats().count[kTcpIdleClosed], 1u);
  EXPECT_EQ(server.stats().tcp_open, 0u);
  // A client that sends half a message and stalls is idle too.
  Tcp d("192.0.2.53", 53);
  d.send_raw({0, 30, 0x12});
  EXPECT_TRUE(d.closed_by_peer(std::chrono::seconds(10)));
}

TEST_F(DnsTransport, TcpConnectionLimit) {
  DnsServerThread server(vips({"192.0.2.53"}), {.tcp_max_connections = 2});
  Tcp a("192.0.2.53", 53), b("192.0.2.53", 53);
  a.send_message(query(1, "a.example", 1));
  ASSERT_TRUE(a.read_message());
  b.send_message(query(2, "a.example", 1));
  ASSERT_TRUE(b.read_message());
  Tcp over("192.0.2.53", 53);
  EXPECT_TRUE(over.closed_by_peer(std::chrono::seconds(10))) << "a third connection was kept";
  EXPECT_EQ(server.stats().count[kTcpOverLimit], 1u);
  // The two within the limit still work; once one goes, a new one is taken.
  a.send_message(query(3, "a.example", 1));
  ASSERT_TRUE(a.read_message());
  b.close();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server.stats().tcp_open > 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  Tcp again("192.0.2.53", 53);
  again.send_message(query(4, "a.example", 1));
  auto m = again.read_message();
  ASSERT_TRUE(m);
  EXPECT_EQ(id_of(*m), 4);
}

TEST_F(DnsTransport, ClientClosingAfterItsQueriesStillGetsTheReplies) {
  DnsServerThread server(vips({"192.0.2.53"}));
  Tcp c("192.0.2.53", 53);
  std::vector<std::uint8_t> batch;
  for (std::uint16_t id = 1; id <= 20; ++id) append_framed(batch, query(id, "a.example", 1));
  c.send_raw(batch);
  c.shutdown_write();
  for (std::uint16_t id = 1; id <= 20; ++id) {
    auto m = c.read_message();
    ASSERT_TRUE(m) << id;
    EXPECT_EQ(id_of(*m), id);
  }
  EXPECT_TRUE(c.closed_by_peer(std::chrono::seconds(10)));
}

// Garbage of every length and mutated queries, over UDP and TCP: every datagram is counted, as
// answered or dropped, and the server goes on answering.
TEST_F(DnsTransport, HostileInputIsCountedAndTheServerKeepsRunning) {
  DnsServerThread server(vips({"192.0.2.53"}));
  std::mt19937 rng(8);
  std::vector<std::vector<std::uint8_t>> inputs;
  for (int i = 0; i < 300; ++i) {
    std::vector<std::uint8_t> m(rng() % 80);
    for (auto& b : m) b = static_cast<std::uint8_t>(rng());
    inputs.push_back(m);
  }
  auto base = query(9, "www.example.net", 1, 1, 1232);
  for (int i = 0; i < 700; ++i) {
    auto m = base;
    for (int k = 1 + rng() % 3; k > 0; --k) m[rng() % m.size()] = static_cast<std::uint8_t>(rng());
    if (rng() % 4 == 0) m.resize(rng() % m.size());
    inputs.push_back(m);
  }
  int fd = udp_client("192.0.2.53", 53);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_GE(::send(fd, inputs[i].data(), inputs[i].size(), 0), 0);
    // One at a time, so the server's receive buffer never overflows and every datagram is counted.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (server.stats().count[kUdpQueries] <= i && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    drain(fd);
  }
  ::close(fd);
  DnsSlowStats s = server.stats();
  EXPECT_EQ(s.count[kUdpQueries], inputs.size());
  std::uint64_t accounted = 0;
  for (unsigned c = kAnswerNoerror; c <= kDropForeign; ++c)
    if (c != kAnyMinimal) accounted += s.count[c];
  EXPECT_EQ(accounted, inputs.size()) << "each datagram answered or dropped once";

  Tcp t("192.0.2.53", 53);
  std::vector<std::uint8_t> stream;
  for (const auto& m : inputs) append_framed(stream, m);
  t.send_raw(stream);
  append_framed(stream = {}, query(0xBEEF, "last.example", 1));
  t.send_raw(stream);
  // Replies to some of the garbage come first; the last reply is the good query's.
  std::optional<std::vector<std::uint8_t>> last;
  while (auto m = t.read_message()) {
    last = m;
    if (id_of(*m) == 0xBEEF && rcode_of(*m) == 5) break;
  }
  ASSERT_TRUE(last);
  EXPECT_EQ(id_of(*last), 0xBEEF);

  auto reply = udp_exchange("192.0.2.53", 53, query(0xCAFE, "www.example.net", 1));
  ASSERT_TRUE(reply) << "the server stopped answering";
  EXPECT_EQ(id_of(*reply), 0xCAFE);
}

}  // namespace
}  // namespace anycastd::dns_server
