// SPDX-License-Identifier: Apache-2.0
// NSID (RFC 5001) and DNS cookies (RFC 7873, RFC 9018) on the slow path: the responder with
// settings as control builds them (config/dns_edns.h), and the server over real UDP and TCP
// sockets in a private network namespace, where the client's address is the one the cookie is
// made for. The hash itself is checked against published vectors in core.dns_edns; here a
// cookie the server issued is sent back (valid), tampered with, sent from another address, or
// checked after a rollover.
#include <gtest/gtest.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>

#include "config/dns_edns.h"
#include "dns/zone_compiler.h"
#include "dns_server/responder.h"
#include "dns_server/server_thread.h"
#include "dns_test_util.h"
#include "private_netns.h"

namespace anycastd::dns_server {
namespace {

using namespace dns_test;
using testing_support::sh;

constexpr CookieSecret kSecretA = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                   0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
constexpr CookieSecret kSecretB = {0xa5, 0xa5, 0xa5, 0xa5, 0x5a, 0x5a, 0x5a, 0x5a,
                                   0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
const Bytes kClientCookie = {0xc1, 0x1e, 0x47, 0x00, 0x00, 0x00, 0x00, 0x01};

std::shared_ptr<const ac_dns_table> compile_file(const std::string& path) {
  auto compiled = std::make_shared<const dns::CompiledTable>(dns::compile_zones({{"example.net", path}}));
  return {compiled, compiled->table()};
}

// A query for www.example.net A with an OPT (UDP size 1232) holding NSID (when asked) and a
// COOKIE of `cookie` (none when empty).
Bytes edns_query(const Bytes& cookie, bool nsid) {
  Bytes q = query(0x5151, "www.example.net", 1, 1, 1232);
  Bytes opts;
  if (nsid) opts.insert(opts.end(), {0, 3, 0, 0});
  if (!cookie.empty()) {
    opts.insert(opts.end(), {0, 10, 0, static_cast<std::uint8_t>(cookie.size())});
    opts.insert(opts.end(), cookie.begin(), cookie.end());
  }
  q[q.size() - 2] = static_cast<std::uint8_t>(opts.size() >> 8);
  q.back() = static_cast<std::uint8_t>(opts.size());
  q.insert(q.end(), opts.begin(), opts.end());
  return q;
}

// What a reply's OPT says: its extended rcode bits and its options by code.
struct Opt {
  bool present = false;
  int ext_rcode = 0;
  std::optional<Bytes> nsid, cookie;
};

std::size_t skip_name(const Bytes& m, std::size_t p) {
  while (m.at(p)) {
    if ((m[p] & 0xC0) == 0xC0) return p + 2;
    p += m[p] + 1u;
  }
  return p + 1;
}

Opt opt_of(const Bytes& m) {
  Opt o;
  std::size_t p = skip_name(m, 12) + 4;
  int records = count_of(m, 6) + count_of(m, 8) + count_of(m, 10);
  for (int i = 0; i < records; ++i) {
    p = skip_name(m, p);
    const int type = count_of(m, p);
    const std::size_t rdlen = static_cast<std::size_t>(count_of(m, p + 8));
    if (type == 41) {
      o.present = true;
      o.ext_rcode = m.at(p + 4);
      for (std::size_t at = p + 10; at + 4 <= p + 10 + rdlen;) {
        const int code = count_of(m, at);
        const std::size_t len = static_cast<std::size_t>(count_of(m, at + 2));
        Bytes value(m.begin() + static_cast<std::ptrdiff_t>(at + 4), m.begin() + static_cast<std::ptrdiff_t>(at + 4 + len));
        if (code == 3) o.nsid = value;
        if (code == 10) o.cookie = value;
        at += 4 + len;
      }
    }
    p += 10 + rdlen;
  }
  return o;
}

Client client4(std::uint8_t last) {
  Client c;
  c.address = {198, 51, 100, last};
  return c;
}

struct Asked {
  Bytes reply;
  Verdict verdict;
};

Asked ask(const ac_dns_table* table, const ac_dns_edns& edns, const Client& client, const Bytes& q,
          Transport transport = Transport::udp) {
  Bytes out(kMaxMessage);
  Verdict v = respond(table, &edns, client, q, transport, out);
  out.resize(v.length);
  return {out, v};
}

TEST(SlowPathCookies, IssuedCookieIsValidAndTamperedIsBadcookie) {
  auto table = compile_file(DNS_TEST_ZONE);
  const std::uint32_t now = static_cast<std::uint32_t>(std::time(nullptr));
  const ac_dns_edns edns = dns_edns_settings("site-a", kSecretA, std::nullopt, now);

  // A client cookie alone: answered, with a fresh server cookie (version 1, reserved 0, now).
  Asked first = ask(table.get(), edns, client4(7), edns_query(kClientCookie, true));
  ASSERT_GE(first.reply.size(), 12u);
  EXPECT_EQ(rcode_of(first.reply), 0);
  EXPECT_EQ(count_of(first.reply, 6), 1);
  ASSERT_TRUE(first.verdict.cookie);
  EXPECT_EQ(*first.verdict.cookie, kCookieNew);
  Opt o = opt_of(first.reply);
  ASSERT_TRUE(o.nsid);
  EXPECT_EQ(std::string(o.nsid->begin(), o.nsid->end()), "site-a");
  ASSERT_TRUE(o.cookie);
  ASSERT_EQ(o.cookie->size(), 24u);
  EXPECT_TRUE(std::equal(kClientCookie.begin(), kClientCookie.end(), o.cookie->begin()));
  const Bytes stamp = {static_cast<std::uint8_t>(now >> 24), static_cast<std::uint8_t>(now >> 16),
                       static_cast<std::uint8_t>(now >> 8), static_cast<std::uint8_t>(now)};
  EXPECT_EQ(Bytes(o.cookie->begin() + 8, o.cookie->begin() + 16), (Bytes{1, 0, 0, 0, stamp[0], stamp[1], stamp[2], stamp[3]}));

  // Sent back from the same address: valid, answered; NSID only when asked.
  Asked again = ask(table.get(), edns, client4(7), edns_query(*o.cookie, false));
  EXPECT_EQ(rcode_of(again.reply), 0);
  EXPECT_EQ(count_of(again.reply, 6), 1);
  ASSERT_TRUE(again.verdict.cookie);
  EXPECT_EQ(*again.verdict.cookie, kCookieValid);
  EXPECT_FALSE(opt_of(again.reply).nsid);
  EXPECT_EQ(opt_of(again.reply).cookie->size(), 24u);

  // Over TCP too.
  Asked tcp = ask(table.get(), edns, client4(7), edns_query(*o.cookie, false), Transport::tcp);
  ASSERT_TRUE(tcp.verdict.cookie);
  EXPECT_EQ(*tcp.verdict.cookie, kCookieValid);

  // Tampered, or from another address: BADCOOKIE (rcode 23: 7 in the header, 1 in the OPT), no
  // records, AA clear, a fresh cookie.
  Bytes tampered = *o.cookie;
  tampered.back() ^= 1;
  for (const auto& [cookie, client] : {std::pair{tampered, client4(7)}, std::pair{*o.cookie, client4(8)}}) {
    Asked bad = ask(table.get(), edns, client, edns_query(cookie, false));
    EXPECT_EQ(rcode_of(bad.reply), 7);
    EXPECT_EQ(opt_of(bad.reply).ext_rcode, 1);
    EXPECT_EQ(count_of(bad.reply, 6), 0);
    EXPECT_EQ(bad.reply.at(2) & 0x04, 0);
    EXPECT_EQ(bad.verdict.counter, kCookieBad);
    EXPECT_FALSE(bad.verdict.cookie);
    ASSERT_TRUE(opt_of(bad.reply).cookie);
    EXPECT_EQ(opt_of(bad.reply).cookie->size(), 24u);
  }
  // Over TCP the client is not spoofed: answered as a client cookie alone, as Knot does.
  Asked tcp_bad = ask(table.get(), edns, client4(7), edns_query(tampered, false), Transport::tcp);
  EXPECT_EQ(rcode_of(tcp_bad.reply), 0);
  EXPECT_EQ(count_of(tcp_bad.reply, 6), 1);
  ASSERT_TRUE(tcp_bad.verdict.cookie);
  EXPECT_EQ(*tcp_bad.verdict.cookie, kCookieNew);
  const std::optional<Bytes> fresh = opt_of(tcp_bad.reply).cookie;
  ASSERT_TRUE(fresh);
  EXPECT_EQ(Bytes(fresh->begin() + 8, fresh->end()), Bytes(o.cookie->begin() + 8, o.cookie->end()))
      << "the fresh cookie is the one issued a moment ago (same client, second and secret)";
}

// Rollover (docs/dns.md): a cookie issued under A is valid while A is the previous secret, and
// BADCOOKIE once A is gone; one issued under the new current secret is valid at once.
TEST(SlowPathCookies, RolloverAcceptsThePreviousSecret) {
  auto table = compile_file(DNS_TEST_ZONE);
  const std::uint32_t now = static_cast<std::uint32_t>(std::time(nullptr));
  const ac_dns_edns old_site = dns_edns_settings("", kSecretA, std::nullopt, now);
  const ac_dns_edns rolling = dns_edns_settings("", kSecretB, kSecretA, now);
  const ac_dns_edns done = dns_edns_settings("", kSecretB, std::nullopt, now);

  Opt o = opt_of(ask(table.get(), old_site, client4(9), edns_query(kClientCookie, false)).reply);
  ASSERT_TRUE(o.cookie);
  Asked during = ask(table.get(), rolling, client4(9), edns_query(*o.cookie, false));
  ASSERT_TRUE(during.verdict.cookie);
  EXPECT_EQ(*during.verdict.cookie, kCookieValid);
  EXPECT_EQ(rcode_of(during.reply), 0);
  Asked after = ask(table.get(), done, client4(9), edns_query(*o.cookie, false));
  EXPECT_EQ(after.verdict.counter, kCookieBad);

  // The cookie issued during the rollover is under B: valid after it.
  Opt fresh = opt_of(during.reply);
  Asked later = ask(table.get(), done, client4(9), edns_query(*fresh.cookie, false));
  ASSERT_TRUE(later.verdict.cookie);
  EXPECT_EQ(*later.verdict.cookie, kCookieValid);
}

// Without settings (or without secrets) options are ignored: no NSID, no cookie, a plain OPT.
TEST(SlowPathCookies, NoSettingsNoOptions) {
  auto table = compile_file(DNS_TEST_ZONE);
  const ac_dns_edns nothing = dns_edns_settings("", std::nullopt, std::nullopt, 1);
  Asked a = ask(table.get(), nothing, client4(1), edns_query(kClientCookie, true));
  EXPECT_EQ(rcode_of(a.reply), 0);
  Opt o = opt_of(a.reply);
  EXPECT_TRUE(o.present);
  EXPECT_FALSE(o.nsid);
  EXPECT_FALSE(o.cookie);
  EXPECT_FALSE(a.verdict.cookie);
}

// A malformed COOKIE is FORMERR and counted as such.
TEST(SlowPathCookies, MalformedIsFormerrAndCounted) {
  auto table = compile_file(DNS_TEST_ZONE);
  const ac_dns_edns edns = dns_edns_settings("", kSecretA, std::nullopt, 1);
  Asked a = ask(table.get(), edns, client4(1), edns_query(Bytes(12, 0x11), false));
  EXPECT_EQ(rcode_of(a.reply), 1);
  EXPECT_EQ(a.verdict.counter, kFormerr);
  ASSERT_TRUE(a.verdict.cookie);
  EXPECT_EQ(*a.verdict.cookie, kCookieMalformed);
}

// Through the server's sockets: the cookie is made for the address the datagram came from, the
// settings set with set_edns, the counters counted.
class ServerCookies : public testing_support::PrivateNetns {
 protected:
  void SetUp() override {
    PrivateNetns::SetUp();
    if (HasFatalFailure()) return;
    int status = 0;
    std::string out = sh("ip addr add 192.0.2.53/32 dev lo && ip addr add 2001:db8::53/128 dev lo nodad", &status);
    ASSERT_EQ(status, 0) << out;
  }
};

TEST_F(ServerCookies, UdpAndTcpRoundTrip) {
  DnsServerThread server({parse_prefix("192.0.2.53"), parse_prefix("2001:db8::53")});
  server.set_table(compile_file(DNS_TEST_ZONE));
  server.set_edns(dns_edns_settings("slow-site", kSecretA, std::nullopt, static_cast<std::uint32_t>(std::time(nullptr))));
  for (const char* vip : {"192.0.2.53", "2001:db8::53"}) {
    std::optional<Bytes> first = udp_exchange(vip, 53, edns_query(kClientCookie, true));
    ASSERT_TRUE(first) << vip;
    Opt o = opt_of(*first);
    ASSERT_TRUE(o.nsid) << vip;
    EXPECT_EQ(std::string(o.nsid->begin(), o.nsid->end()), "slow-site");
    ASSERT_TRUE(o.cookie) << vip;
    std::optional<Bytes> again = udp_exchange(vip, 53, edns_query(*o.cookie, false));
    ASSERT_TRUE(again) << vip;
    EXPECT_EQ(rcode_of(*again), 0) << vip;
    Tcp tcp(vip, 53);
    tcp.send_message(edns_query(*o.cookie, false));
    std::optional<Bytes> over_tcp = tcp.read_message();
    ASSERT_TRUE(over_tcp) << vip;
    EXPECT_EQ(rcode_of(*over_tcp), 0) << vip;
  }
  DnsSlowStats s = server.stats();
  EXPECT_EQ(s.count[kCookieNew], 2u);
  EXPECT_EQ(s.count[kCookieValid], 4u);
  EXPECT_EQ(s.count[kCookieBad], 0u);
}

}  // namespace
}  // namespace anycastd::dns_server
