// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the packet core (ac_decide + ac_respond) on any frame.
//
// Input: one byte choosing the table set (test_tables.h, index modulo the number of sets), then
// the frame. The frame sits in a heap block of exactly its size, so AddressSanitizer reports any
// read or write past its end. The block starts 2 bytes past a 4-aligned address, as a driver with
// NET_IP_ALIGN places a frame, so the IP header behind 0, 1 or 2 VLAN tags is 4-aligned.
//
// Properties checked (a violation aborts, which libFuzzer reports as a crash):
//  - a pass leaves the frame untouched;
//  - an answer's headers are the request's with addresses and ports swapped, TTL/hop limit 64 and
//    the IPv4 header checksum recomputed, built here independently of the core; it is never
//    longer than the request;
//  - echo: the payload is untouched; NTP: a 48-byte mode 4 reply with the request's version and
//    poll, its transmit timestamp as the origin, the table set's stratum, and receive/transmit
//    timestamps from the injected clock, in that order;
//  - the reply's UDP checksum is right exactly when the request's was;
//  - the reply decided again, with tables from the client's point of view (its address the VIP,
//    its port the echo port), parses through to the service: a valid UDP packet of that service.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "native_env.h"
#include "test_tables.h"

namespace {

using anycastd::FastpathTables;
using anycastd::Prefix;
using anycastd::VipEntry;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_core: %s\n", what);
  std::abort();
}

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

struct TableSet {
  FastpathTables tables;
  ac_ntp_state ntp;
};

const std::vector<TableSet>& table_sets() {
  static const std::vector<TableSet> sets = [] {
    std::vector<TableSet> out;
    for (auto name : anycastd::test::kTableNames)
      out.push_back({anycastd::test::make_tables(name), anycastd::test::make_ntp_state(name)});
    return out;
  }();
  return sets;
}

std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}


// Where the headers of an answered frame are, found again without the core's parser.
struct Layout {
  bool ip6 = false;
  std::size_t l3 = 0, l4 = 0;
};

Layout locate(const std::uint8_t* f) {
  Layout l;
  std::size_t off = 12;
  while (be16(f + off) == 0x8100 || be16(f + off) == 0x88A8) off += 4;
  l.ip6 = be16(f + off) == 0x86DD;
  l.l3 = off + 2;
  l.l4 = l.l3 + (l.ip6 ? 40 : 20);
  return l;
}

std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += be16(p + i);
  if (n & 1) sum += static_cast<std::uint32_t>(p[n - 1]) << 8;
  return sum;
}

std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// RFC 768 / RFC 8200 8.1: the sum over pseudo-header and datagram of a right checksum folds to 0.
bool udp_checksum_ok(const std::uint8_t* f, const Layout& l) {
  const std::uint8_t* udp = f + l.l4;
  std::uint16_t len = be16(udp + 4);
  std::uint32_t sum = l.ip6 ? sum16(f + l.l3 + 8, 32) : sum16(f + l.l3 + 12, 8);
  sum += 17 + len;
  sum = sum16(udp, len, sum);
  return fold(sum) == 0;
}

std::vector<std::uint8_t> expected_reply(const std::uint8_t* req, std::size_t len, const Layout& l) {
  std::vector<std::uint8_t> r(req, req + len);
  std::memcpy(r.data(), req + 6, 6);
  std::memcpy(r.data() + 6, req, 6);
  std::uint8_t* ip = r.data() + l.l3;
  if (l.ip6) {
    std::memcpy(ip + 8, req + l.l3 + 24, 16);
    std::memcpy(ip + 24, req + l.l3 + 8, 16);
    ip[7] = 64;
  } else {
    std::memcpy(ip + 12, req + l.l3 + 16, 4);
    std::memcpy(ip + 16, req + l.l3 + 12, 4);
    ip[8] = 64;
    ip[10] = ip[11] = 0;
    std::uint16_t c = fold(sum16(ip, 20));
    ip[10] = static_cast<std::uint8_t>(c >> 8);
    ip[11] = static_cast<std::uint8_t>(c);
  }
  std::uint8_t* udp = r.data() + l.l4;
  std::memcpy(udp, req + l.l4 + 2, 2);
  std::memcpy(udp + 2, req + l.l4, 2);
  return r;
}

// The client's side of the exchange: the request's source is a VIP carrying echo, and the
// request's source port is its echo port.
FastpathTables client_tables(const std::uint8_t* req, const Layout& l) {
  Prefix p{};
  p.family = l.ip6 ? 6 : 4;
  p.len = l.ip6 ? 128 : 32;
  std::memcpy(p.addr.data(), req + l.l3 + (l.ip6 ? 8 : 12), l.ip6 ? 16 : 4);
  FastpathTables t;
  t.vips = {VipEntry{p, ac_vip_value{AC_VIP_F_ANSWERING, 1u << AC_SVC_ECHO, 0, 0}}};
  // Echo on the reply's destination port: what comes back is a well-formed UDP datagram.
  t.ports[be16(req + l.l4)] = ac_port_value{AC_SVC_F_ENABLED, AC_SVC_ECHO};
  return t;
}

// A heap block of exactly n bytes at 2 modulo 4 (see the top of the file).
struct Frame {
  explicit Frame(std::size_t n) : block(static_cast<std::uint8_t*>(std::malloc(n + 2))), data(block + 2) {
    if (!block) std::abort();
  }
  ~Frame() { std::free(block); }
  Frame(const Frame&) = delete;
  Frame& operator=(const Frame&) = delete;
  std::uint8_t* block;
  std::uint8_t* data;
};

}  // namespace

// The NTP reply's fields against the request and the table set (RFC 5905 7.3), timestamps as
// the injected clock gives them: converted here from TAI nanoseconds with the set's offset.
void check_ntp(const std::uint8_t* req, const std::uint8_t* rep, const Layout& l, const ac_ntp_state& ntp) {
  const std::uint8_t* q = req + l.l4 + 8;
  const std::uint8_t* r = rep + l.l4 + 8;
  if (be16(rep + l.l4 + 4) != 8 + 48) fail("NTP reply's UDP length is not 56");
  if ((r[0] & 7) != 4) fail("NTP reply is not mode 4");
  if ((r[0] >> 3 & 7) != (q[0] >> 3 & 7)) fail("NTP reply's version is not the request's");
  if (r[1] != ntp.stratum) fail("NTP reply's stratum is not the table set's");
  if (r[2] != q[2]) fail("NTP reply's poll is not the request's");
  if (std::memcmp(r + 24, q + 40, 8) != 0) fail("NTP reply's origin is not the request's transmit timestamp");
  auto ntp_time = [&](std::uint64_t tai_ns) {
    std::int64_t offset = tai_ns >= ntp.switch_tai_ns ? ntp.next_tai_offset : ntp.tai_offset;
    std::uint64_t utc_ns = tai_ns - static_cast<std::uint64_t>(offset) * 1000000000ull;
    std::uint64_t sec = utc_ns / 1000000000ull + 2208988800ull, frac_ns = utc_ns % 1000000000ull;
    return std::pair<std::uint64_t, std::uint64_t>{sec, frac_ns};
  };
  auto near = [&](const std::uint8_t* ts, std::uint64_t tai_ns) {
    auto [sec, frac_ns] = ntp_time(tai_ns);
    // The fraction is ns * 2^32 / 1e9, rounded either way: within a nanosecond.
    std::uint64_t frac = be32(ts + 4);
    std::uint64_t back_ns = (frac * 1000000000ull) >> 32;
    return be32(ts) == sec && (back_ns + 1 >= frac_ns && back_ns <= frac_ns + 1);
  };
  if (!near(r + 32, anycastd::test::kTestTaiNs)) fail("NTP receive timestamp is not the first clock reading");
  if (!near(r + 40, anycastd::test::kTestTaiNs + anycastd::test::kTestTaiStepNs))
    fail("NTP transmit timestamp is not the second clock reading");
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* input, std::size_t size) {
  if (size == 0) return -1;
  const TableSet& set = table_sets()[input[0] % table_sets().size()];
  const FastpathTables& tables = set.tables;
  const std::uint8_t* request = input + 1;
  const std::size_t len = size - 1;

  Frame frame(len);
  if (len) std::memcpy(frame.data, request, len);
  ac_env env{&tables, &set.ntp, anycastd::test::kTestTaiNs, anycastd::test::kTestTaiStepNs};
  ac_headers h;
  ac_verdict v = ac_decide(&env, frame.data, frame.data + len, &h);

  if (v.action == AC_ACT_PASS) {
    if (v.reason == AC_PASS_NONE || v.reason >= AC_PASS__COUNT) fail("pass without a valid reason");
    if (len && std::memcmp(frame.data, request, len) != 0) fail("a passed frame was changed");
    return 0;
  }
  if (v.action != AC_ACT_ANSWER) fail("verdict neither answer nor pass");
  if (v.reason != AC_PASS_NONE) fail("answer with a pass reason");
  if (v.service != AC_SVC_ECHO && v.service != AC_SVC_NTP) fail("answer by an unknown service");

  v = ac_respond(&env, &h, v);
  if (v.action != AC_ACT_ANSWER) fail("echo or NTP reply could not be made");
  // Both services reply in the request's length; the frame was never resized, so "never longer"
  // holds by construction.
  const Layout l = locate(request);
  if (l.l4 + 8 > len) fail("answered a frame too short for its headers");
  const std::vector<std::uint8_t> want = expected_reply(request, len, l);
  if (v.service == AC_SVC_ECHO) {
    if (std::memcmp(frame.data, want.data(), len) != 0) fail("reply differs from the independently built one");
  } else {
    // Headers up to the UDP checksum, which the new payload changes.
    if (std::memcmp(frame.data, want.data(), l.l4 + 6) != 0) fail("NTP reply's headers differ from the independently built ones");
    if (l.l4 + 8 + 48 > len) fail("answered an NTP request shorter than 48 bytes");
    check_ntp(request, frame.data, l, set.ntp);
  }
  if (udp_checksum_ok(request, l) != udp_checksum_ok(frame.data, l)) fail("reply's UDP checksum changed validity");

  const FastpathTables client = client_tables(request, l);
  ac_env client_env{&client, &set.ntp, anycastd::test::kTestTaiNs, anycastd::test::kTestTaiStepNs};
  ac_headers rh;
  ac_verdict rv = ac_decide(&client_env, frame.data, frame.data + len, &rh);
  // The reply comes from the echo port, below 1024, so the client's echo passes it as a reserved
  // source port: the last check there is, reached only by a well-formed UDP packet to a service.
  const bool reached_service = rv.action == AC_ACT_ANSWER || rv.reason == AC_PASS_SRC_PORT_RESERVED;
  if (!reached_service) {
    std::fprintf(stderr, "fuzz_core: the reply re-decided passes as %s\n", ac_pass_reason_names[rv.reason]);
    std::abort();
  }
  return 0;
}
