// SPDX-License-Identifier: Apache-2.0
//
// ns per DNS query through the native packet core (ac_decide + ac_respond, the code the DPDK
// worker runs, with the answer table image read in place as the DPDK datapath reads it), next to
// echo through the same harness, and how it grows with the zone: zones of N names (one A record
// each) compiled by the real zone compiler, queries for 4096 of their names in a scattered order
// so that the table is not one hot cache line. Each query is copied into a buffer with room to
// grow before it is answered, for echo too: the copy is the same work on both sides.
//
// The same queries and echo also go through the compiled XDP program (xdp_*), with the zone's
// table written into its DNS maps by control's writer: one packet per BPF_PROG_TEST_RUN call,
// the kernel's own duration of the call as the iteration's time (manual time). The call's fixed
// cost is in both figures, so that ratio understates the difference. Needs root.
//
//   dns_bench [--names=10,1000,100000,1000000] [google benchmark flags]
//
// Signed answers (issue 24) next to them: the NSEC3 zone kept signed for the core's tests
// (tests/core/data/nsec3.test.signed), asked www A without EDNS (plain), www A with DO (the A and
// its RRSIG) and www MX with DO (NODATA: SOA, NSEC3 and their RRSIGs), one query each, on both.
// NSID and cookies (issue 24) likewise: www A with an OPT and no option, asking for the NSID,
// with a client cookie only, with a valid server cookie (checked, and a fresh one made) and with
// a bad one (BADCOOKIE), answered with an NSID and a cookie secret configured (the env's
// settings natively, the dns_edns map on XDP).
//
// Reported: per_pkt (ns per query), and per zone bytes_per_record (the image's size over its
// records). Before timing, every query is checked to be answered with its outcome and number of
// answer records (NOERROR and one A record for the zones of N names), and for NSID and cookies
// with the option expected in the reply; the first XDP reply of each row is checked the same
// way (bar the outcome) and every XDP call must return XDP_TX. A failure exits non-zero (what the
// CTest smoke run asserts). docs/dns.md has the figures.

#include <benchmark/benchmark.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "bench_frames.h"
#include "native_env.h"
#include "datapath/xdp/xdp_program.h"
#include "dns/zone_compiler.h"

namespace ab = anycastd::bench;

namespace {

constexpr std::size_t kQueries = 4096;
constexpr std::size_t kRoom = 2048;
constexpr std::size_t kDnsMsg = 14 + 20 + 8;  // every frame here is untagged IPv4
bool g_failed = false;

using Bytes = std::vector<std::uint8_t>;

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// The cookies are RFC 9018 appendix A.1's example, not made by the code under test: the client
// 198.51.100.100 (every query's source here), its client cookie, the secret, and the server
// cookie that secret gave at 1559731985. The settings' clock is 20 minutes later, so the cookie
// is valid (under an hour old) and the reply carries a fresh one stamped kCookieNow.
constexpr const char* kClient = "198.51.100.100";
const Bytes kClientCookie = {0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9, 0x57};
constexpr std::uint8_t kSecret[AC_DNS_COOKIE_SECRET] = {0xe5, 0xe9, 0x73, 0xe5, 0xa6, 0xb2, 0xa4, 0x3f,
                                                        0x48, 0xe7, 0xdc, 0x84, 0x9e, 0x37, 0xbf, 0xcf};
const Bytes kServerCookie = {0x01, 0x00, 0x00, 0x00, 0x5c, 0xf7, 0x9f, 0x11,   // version 1, 0 0 0, 1559731985
                             0x1f, 0x81, 0x30, 0xc3, 0xee, 0xe2, 0x94, 0x80};  // SipHash-2-4
constexpr std::uint32_t kCookieNow = 1559731985 + 1200;
const std::string kNsid = "edge-1.example";

// The NSID and cookie settings the NSID and cookie rows are answered with.
const ac_dns_edns& bench_edns() {
  static const ac_dns_edns settings = [] {
    ac_dns_edns e{};
    e.now = kCookieNow;
    e.secrets = 1;
    std::memcpy(e.secret[0], kSecret, sizeof kSecret);
    ac_dns_edns_set_nsid(&e, reinterpret_cast<const std::uint8_t*>(kNsid.data()), static_cast<std::uint32_t>(kNsid.size()));
    return e;
  }();
  return settings;
}

// EDNS options as a query carries them: code, length, data.
Bytes option(std::uint16_t code, const Bytes& data) {
  return cat({{static_cast<std::uint8_t>(code >> 8), static_cast<std::uint8_t>(code), static_cast<std::uint8_t>(data.size() >> 8),
               static_cast<std::uint8_t>(data.size())},
              data});
}

anycastd::FastpathTables dns_tables() {
  anycastd::FastpathTables t;
  t.vips.push_back({anycastd::parse_prefix("192.0.2.53"), {AC_VIP_F_ANSWERING, 1u << AC_SVC_DNS | 1u << AC_SVC_ECHO, 0, 0}});
  t.ports[53] = {AC_SVC_F_ENABLED, AC_SVC_DNS};
  t.ports[ab::kServerPort] = {AC_SVC_F_ENABLED, AC_SVC_ECHO};
  t.answering = true;
  return t;
}

// A query's EDNS: none, or an OPT record (UDP size 1232) with the DO bit or not and these options.
struct Edns {
  bool present = false;
  bool dnssec_ok = false;
  Bytes options;
};

// A query frame for the name of `labels`, of type `qtype`, with `edns`: the frame builder's
// headers around a DNS message written here. The UDP checksum is the builder's for its filler
// payload; the core does not check a request's UDP checksum, and recomputes the reply's.
Bytes query_frame(const std::vector<std::string>& labels, std::uint16_t qtype, std::uint16_t id, const Edns& edns) {
  Bytes msg = {static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0,
               0, static_cast<std::uint8_t>(edns.present ? 1 : 0)};
  for (const std::string& l : labels) {
    msg.push_back(static_cast<std::uint8_t>(l.size()));
    msg.insert(msg.end(), l.begin(), l.end());
  }
  msg.insert(msg.end(), {0, static_cast<std::uint8_t>(qtype >> 8), static_cast<std::uint8_t>(qtype), 0, 1});  // root, type, IN
  if (edns.present) {  // OPT: root owner, type 41, UDP size 1232, extended rcode 0, version 0, DO or not, RDLEN
    msg.insert(msg.end(), {0, 0, 41, 0x04, 0xD0, 0, 0, static_cast<std::uint8_t>(edns.dnssec_ok ? 0x80 : 0), 0,
                           static_cast<std::uint8_t>(edns.options.size() >> 8), static_cast<std::uint8_t>(edns.options.size())});
    msg.insert(msg.end(), edns.options.begin(), edns.options.end());
  }
  ab::FrameSpec s;
  s.src = kClient;
  s.dst = "192.0.2.53";
  s.sport = ab::kClientPort;
  s.dport = 53;
  s.payload = msg.size();
  std::vector<std::uint8_t> f = ab::build_frame(s);
  std::copy(msg.begin(), msg.end(), f.end() - static_cast<long>(msg.size()));
  return f;
}

struct Zone {
  std::unique_ptr<anycastd::dns::CompiledTable> table;
  std::vector<Bytes> queries;
  double bytes_per_record = 0;
  const ac_dns_edns* edns = nullptr;  // the NSID and cookie settings; nullptr: none
  std::uint8_t outcome = AC_DNS_OUT_NOERROR;  // every query's, checked before timing
  std::uint8_t ancount = 1;
  Bytes reply_has;  // bytes every reply must hold (an EDNS option), if any
};

Zone make_zone(std::size_t names) {
  char path[] = "/tmp/dns_bench_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp");
  close(fd);
  {
    std::ofstream z(path);
    z << "$ORIGIN bench.example.\n$TTL 3600\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\n";
    for (std::size_t i = 0; i < names; ++i) z << 'h' << i << " A 192.0." << (2 + i % 2) << '.' << (i % 250 + 1) << '\n';
  }
  Zone zone;
  zone.table = std::make_unique<anycastd::dns::CompiledTable>(anycastd::dns::compile_zones({{"bench.example.", path}}));
  unlink(path);
  zone.bytes_per_record = static_cast<double>(zone.table->memory()) / static_cast<double>(names + 3);
  std::mt19937 pick(7);
  for (std::size_t i = 0; i < kQueries; ++i)
    zone.queries.push_back(query_frame({"h" + std::to_string(pick() % names), "bench", "example"}, 1,
                                       static_cast<std::uint16_t>(i), Edns{}));
  return zone;
}

// One question to the kept NSEC3-signed zone (www.nsec3.test.), answered with `settings`
// (nullptr: no NSID, no cookies), and what its reply must be: outcome, answer records, and
// bytes it holds.
struct WwwCase {
  const char* name;
  std::uint16_t qtype;
  Edns edns;
  const ac_dns_edns* settings;
  std::uint8_t outcome;
  std::uint8_t ancount;
  Bytes reply_has;
};

Zone www_zone(const WwwCase& c) {
  Zone zone;
  zone.table = std::make_unique<anycastd::dns::CompiledTable>(
      anycastd::dns::compile_zones({{"nsec3.test.", DNS_BENCH_SIGNED_ZONE}}));
  zone.queries.push_back(query_frame({"www", "nsec3", "test"}, c.qtype, 1, c.edns));
  zone.edns = c.settings;
  zone.outcome = c.outcome;
  zone.ancount = c.ancount;
  zone.reply_has = c.reply_has;
  return zone;
}

// Whether a reply frame has the zone's number of answer records and the bytes it must hold.
bool reply_matches(const Zone& z, const std::uint8_t* frame, std::size_t size) {
  if (size < kDnsMsg + 12 || frame[kDnsMsg + 6] != 0 || frame[kDnsMsg + 7] != z.ancount) return false;
  return z.reply_has.empty() || std::search(frame, frame + size, z.reply_has.begin(), z.reply_has.end()) != frame + size;
}

// One frame through the core in `buf`; returns the DNS outcome, or 0xFF when not answered.
inline std::uint8_t answer(ac_env& env, std::vector<std::uint8_t>& buf, const std::vector<std::uint8_t>& frame) {
  std::copy(frame.begin(), frame.end(), buf.begin());
  std::uint8_t* data = buf.data();
  env.frame_end = data + frame.size();
  env.room_end = data + buf.size();
  ac_headers h;
  ac_verdict v = ac_decide(&env, data, env.frame_end, &h);
  if (v.action != AC_ACT_ANSWER) return 0xFF;
  if (ac_respond(&env, &h, v).action != AC_ACT_ANSWER) return 0xFF;
  return v.service == AC_SVC_DNS ? h.dns.outcome : static_cast<std::uint8_t>(AC_DNS_OUT_NOERROR);
}

bool check_zone(const Zone& z) {
  const anycastd::FastpathTables tables = dns_tables();
  ac_env env{&tables};
  env.dns = z.table->table();
  env.edns = z.edns;
  std::vector<std::uint8_t> buf(1500 + kRoom);
  for (const auto& q : z.queries) {
    if (answer(env, buf, q) != z.outcome) return false;
    if (!reply_matches(z, buf.data(), static_cast<std::size_t>(env.frame_end - buf.data()))) return false;
  }
  return true;
}

void BM_dns(benchmark::State& state, const Zone* z) {
  const anycastd::FastpathTables tables = dns_tables();
  ac_env env{&tables};
  env.dns = z->table->table();
  env.edns = z->edns;
  std::vector<std::uint8_t> buf(1500 + kRoom);
  std::size_t i = 0;
  bool ok = true;
  for (auto _ : state) {
    ok &= answer(env, buf, z->queries[i++ % z->queries.size()]) == z->outcome;
    benchmark::DoNotOptimize(buf.data());
    benchmark::ClobberMemory();
  }
  if (!ok) {
    g_failed = true;
    state.SkipWithError("a query was not answered with its outcome");
  }
  state.counters["per_pkt"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  if (z->bytes_per_record > 0) state.counters["bytes_per_record"] = z->bytes_per_record;  // the zones of N names
}

const std::vector<std::uint8_t>& echo_frame() {
  static const std::vector<std::uint8_t> frame = [] {
    ab::FrameSpec s;
    s.src = "198.51.100.20";
    s.dst = "192.0.2.53";
    s.sport = ab::kClientPort;
    s.dport = ab::kServerPort;
    s.payload = 33;  // a DNS query's size for www.example.net
    return ab::build_frame(s);
  }();
  return frame;
}

void BM_echo(benchmark::State& state) {
  const anycastd::FastpathTables tables = dns_tables();
  ac_env env{&tables};
  const std::vector<std::uint8_t>& frame = echo_frame();
  std::vector<std::uint8_t> buf(1500 + kRoom);
  bool ok = true;
  for (auto _ : state) {
    ok &= answer(env, buf, frame) != 0xFF;
    benchmark::DoNotOptimize(buf.data());
    benchmark::ClobberMemory();
  }
  if (!ok) {
    g_failed = true;
    state.SkipWithError("echo was not answered");
  }
  state.counters["per_pkt"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// The XDP program, loaded once with the tables; the DNS table and settings of the zone
// benchmarked last.
anycastd::XdpProgram* g_xdp = nullptr;
const Zone* g_xdp_zone = nullptr;

struct XdpReply {
  std::uint8_t frame[1500 + kRoom];
  std::uint32_t size = 0;
};

// One frame through the XDP program into `out`: the kernel's duration in ns, retval XDP_TX required.
double xdp_call(const Bytes& frame, bool& ok, XdpReply& out) {
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out.frame,
              .data_size_in = static_cast<std::uint32_t>(frame.size()), .data_size_out = sizeof out.frame, .repeat = 1);
  if (bpf_prog_test_run_opts(g_xdp->prog_fd(), &opts) != 0 || opts.retval != XDP_TX) ok = false;
  out.size = opts.data_size_out;
  return opts.duration;
}

void BM_xdp(benchmark::State& state, const Zone* z) {
  if (z && g_xdp_zone != z) {
    g_xdp->write_dns_table(z->table->image);
    g_xdp->write_dns_edns(z->edns ? *z->edns : ac_dns_edns{});  // all zero: no NSID, no cookies
    g_xdp_zone = z;
  }
  std::size_t i = 0;
  bool ok = true;
  static XdpReply out;  // 3.5 KB: kept off the stack
  if (z) {  // the program answers as the core did natively (check_zone): same records, same options
    xdp_call(z->queries[0], ok, out);
    ok &= reply_matches(*z, out.frame, out.size);
  }
  for (auto _ : state)
    state.SetIterationTime(xdp_call(z ? z->queries[i++ % z->queries.size()] : echo_frame(), ok, out) * 1e-9);
  if (!ok) {
    g_failed = true;
    state.SkipWithError("the XDP program did not answer (XDP_TX) every frame as expected");
  }
  state.counters["per_pkt"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  if (z && z->bytes_per_record > 0) state.counters["bytes_per_record"] = z->bytes_per_record;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes = {10, 1000, 100000};
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--names=", 0) != 0) {
      rest.push_back(argv[i]);
      continue;
    }
    sizes.clear();
    std::stringstream list(a.substr(8));
    for (std::string n; std::getline(list, n, ',');) {
      char* end = nullptr;
      unsigned long v = std::strtoul(n.c_str(), &end, 10);
      if (n.empty() || *end || v == 0 || v > 10'000'000) {
        std::fprintf(stderr, "dns_bench: --names takes zone sizes 1..10000000, comma-separated, not '%s'\n", n.c_str());
        return 2;
      }
      sizes.push_back(v);
    }
  }
  static std::vector<Zone> zones;
  zones.reserve(sizes.size());
  for (std::size_t n : sizes) {
    zones.push_back(make_zone(n));
    if (!check_zone(zones.back())) {
      std::fprintf(stderr, "dns_bench: a query to the %zu-name zone was not answered NOERROR with one A record\n", n);
      return 1;
    }
  }
  // A fresh server cookie as every cookie reply carries it: version 1, 0 0 0, the settings' clock
  // (its hash is the code's own: not checked here, core.dns_edns checks it).
  const Bytes fresh = {1, 0, 0, 0, kCookieNow >> 24, (kCookieNow >> 16) & 0xFF, (kCookieNow >> 8) & 0xFF, kCookieNow & 0xFF};
  const Bytes cookie_head = {0, 10, 0, 24};  // COOKIE, client and server cookie
  Bytes bad_cookie = kServerCookie;
  bad_cookie.back() ^= 1;  // one bit of the hash: BADCOOKIE (no records, a fresh cookie)
  const WwwCase cases[] = {
      {"signed_plain_a", 1, Edns{}, nullptr, AC_DNS_OUT_NOERROR, 1, {}},  // no EDNS
      {"signed_do_a", 1, Edns{true, true, {}}, nullptr, AC_DNS_OUT_NOERROR, 2, {}},  // the A and its RRSIG
      {"signed_do_nodata_nsec3", 15, Edns{true, true, {}}, nullptr, AC_DNS_OUT_NODATA, 0, {}},  // SOA, NSEC3, RRSIGs
      {"edns_a", 1, Edns{true, false, {}}, &bench_edns(), AC_DNS_OUT_NOERROR, 1, {}},  // an OPT without options
      {"nsid_a", 1, Edns{true, false, option(3, {})}, &bench_edns(), AC_DNS_OUT_NOERROR, 1,
       option(3, Bytes(kNsid.begin(), kNsid.end()))},
      {"cookie_client_a", 1, Edns{true, false, option(10, kClientCookie)}, &bench_edns(), AC_DNS_OUT_NOERROR, 1,
       cat({cookie_head, kClientCookie, fresh})},
      {"cookie_valid_a", 1, Edns{true, false, option(10, cat({kClientCookie, kServerCookie}))}, &bench_edns(),
       AC_DNS_OUT_NOERROR, 1, cat({cookie_head, kClientCookie, fresh})},
      {"cookie_bad", 1, Edns{true, false, option(10, cat({kClientCookie, bad_cookie}))}, &bench_edns(),
       AC_DNS_OUT_BADCOOKIE, 0, cat({cookie_head, kClientCookie, fresh})},
  };
  static std::vector<Zone> www_zones;
  static std::vector<std::string> www_names;
  for (const WwwCase& c : cases) {
    www_zones.push_back(www_zone(c));
    www_names.push_back(c.name);
    if (!check_zone(www_zones.back())) {
      std::fprintf(stderr, "dns_bench: %s (a query to %s) was not answered as expected\n", c.name, DNS_BENCH_SIGNED_ZONE);
      return 1;
    }
  }
  benchmark::RegisterBenchmark("core_echo/v4", BM_echo);
  for (std::size_t i = 0; i < sizes.size(); ++i)
    benchmark::RegisterBenchmark(("core_dns/names:" + std::to_string(sizes[i])).c_str(), BM_dns, &zones[i]);
  for (std::size_t i = 0; i < www_zones.size(); ++i)
    benchmark::RegisterBenchmark(("core_dns/" + www_names[i]).c_str(), BM_dns, &www_zones[i]);

  std::unique_ptr<anycastd::XdpProgram> xdp;
  try {
    xdp = std::make_unique<anycastd::XdpProgram>();
    xdp->write_tables(dns_tables());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dns_bench: loading the XDP program (root needed): %s\n", e.what());
    return 1;
  }
  g_xdp = xdp.get();
  benchmark::RegisterBenchmark("xdp_echo/v4", BM_xdp, nullptr)->UseManualTime();
  for (std::size_t i = 0; i < sizes.size(); ++i)
    benchmark::RegisterBenchmark(("xdp_dns/names:" + std::to_string(sizes[i])).c_str(), BM_xdp, &zones[i])
        ->UseManualTime();
  for (std::size_t i = 0; i < www_zones.size(); ++i)
    benchmark::RegisterBenchmark(("xdp_dns/" + www_names[i]).c_str(), BM_xdp, &www_zones[i])->UseManualTime();
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return g_failed ? 1 : 0;
}
