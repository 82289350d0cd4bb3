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
//
// Reported: per_pkt (ns per query), and per zone bytes_per_record (the image's size over its
// records). Before timing, every query is checked to be answered with its outcome and number of
// answer records (NOERROR and one A record for the zones of N names), and every XDP call to
// return XDP_TX; a failure exits non-zero (what the CTest smoke run asserts). docs/dns.md has the
// figures.

#include <benchmark/benchmark.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cstdio>
#include <cstdlib>
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
bool g_failed = false;

anycastd::FastpathTables dns_tables() {
  anycastd::FastpathTables t;
  t.vips.push_back({anycastd::parse_prefix("192.0.2.53"), {AC_VIP_F_ANSWERING, 1u << AC_SVC_DNS | 1u << AC_SVC_ECHO, 0}});
  t.ports[53] = {AC_SVC_F_ENABLED, AC_SVC_DNS};
  t.ports[ab::kServerPort] = {AC_SVC_F_ENABLED, AC_SVC_ECHO};
  t.answering = true;
  return t;
}

// A query frame for the name of `labels`, of type `qtype`, without EDNS or with an OPT record
// (UDP size 1232) with the DO bit: the frame builder's headers around a DNS message written here.
// The UDP checksum is the builder's for its filler payload; the core does not check a request's
// UDP checksum, and recomputes the reply's.
std::vector<std::uint8_t> query_frame(const std::vector<std::string>& labels, std::uint16_t qtype, std::uint16_t id,
                                      bool dnssec_ok) {
  std::vector<std::uint8_t> msg = {static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0,
                                   0, static_cast<std::uint8_t>(dnssec_ok ? 1 : 0)};
  for (const std::string& l : labels) {
    msg.push_back(static_cast<std::uint8_t>(l.size()));
    msg.insert(msg.end(), l.begin(), l.end());
  }
  msg.insert(msg.end(), {0, static_cast<std::uint8_t>(qtype >> 8), static_cast<std::uint8_t>(qtype), 0, 1});  // root, type, IN
  if (dnssec_ok)  // OPT: root owner, type 41, UDP size 1232, extended rcode 0, version 0, DO, no options
    msg.insert(msg.end(), {0, 0, 41, 0x04, 0xD0, 0, 0, 0x80, 0, 0, 0});
  ab::FrameSpec s;
  s.src = "198.51.100.20";
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
  std::vector<std::vector<std::uint8_t>> queries;
  double bytes_per_record = 0;
  std::uint8_t outcome = AC_DNS_OUT_NOERROR;  // every query's, checked before timing
  std::uint8_t ancount = 1;
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
                                       static_cast<std::uint16_t>(i), false));
  return zone;
}

// The kept NSEC3-signed zone asked one question (www.nsec3.test.): qtype, DO or not, and the
// outcome and answer records it must get.
Zone signed_zone(std::uint16_t qtype, bool dnssec_ok, std::uint8_t outcome, std::uint8_t ancount) {
  Zone zone;
  zone.table = std::make_unique<anycastd::dns::CompiledTable>(
      anycastd::dns::compile_zones({{"nsec3.test.", DNS_BENCH_SIGNED_ZONE}}));
  zone.queries.push_back(query_frame({"www", "nsec3", "test"}, qtype, 1, dnssec_ok));
  zone.outcome = outcome;
  zone.ancount = ancount;
  return zone;
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
  std::vector<std::uint8_t> buf(1500 + kRoom);
  for (const auto& q : z.queries) {
    if (answer(env, buf, q) != z.outcome) return false;
    const std::size_t msg = 14 + 20 + 8;
    if (buf[msg + 6] != 0 || buf[msg + 7] != z.ancount) return false;
  }
  return true;
}

void BM_dns(benchmark::State& state, const Zone* z) {
  const anycastd::FastpathTables tables = dns_tables();
  ac_env env{&tables};
  env.dns = z->table->table();
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

// The XDP program, loaded once with the tables; the DNS table of the zone benchmarked last.
anycastd::XdpProgram* g_xdp = nullptr;
const Zone* g_xdp_zone = nullptr;

// One frame through the XDP program: the kernel's duration in ns, retval XDP_TX required.
double xdp_call(const std::vector<std::uint8_t>& frame, bool& ok) {
  std::uint8_t out[1500 + kRoom];
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out,
              .data_size_in = static_cast<std::uint32_t>(frame.size()), .data_size_out = sizeof out, .repeat = 1);
  if (bpf_prog_test_run_opts(g_xdp->prog_fd(), &opts) != 0 || opts.retval != XDP_TX) ok = false;
  return opts.duration;
}

void BM_xdp(benchmark::State& state, const Zone* z) {
  if (z && g_xdp_zone != z) {
    g_xdp->write_dns_table(z->table->image);
    g_xdp_zone = z;
  }
  std::size_t i = 0;
  bool ok = true;
  for (auto _ : state)
    state.SetIterationTime(xdp_call(z ? z->queries[i++ % z->queries.size()] : echo_frame(), ok) * 1e-9);
  if (!ok) {
    g_failed = true;
    state.SkipWithError("the XDP program did not answer (XDP_TX) every frame");
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
  // www A without EDNS; with DO, the A and its RRSIG; www MX with DO, NODATA (no answer records).
  static Zone signed_zones[] = {signed_zone(1, false, AC_DNS_OUT_NOERROR, 1), signed_zone(1, true, AC_DNS_OUT_NOERROR, 2),
                                signed_zone(15, true, AC_DNS_OUT_NODATA, 0)};
  static const char* const signed_names[] = {"signed_plain_a", "signed_do_a", "signed_do_nodata_nsec3"};
  for (const Zone& z : signed_zones) {
    if (!check_zone(z)) {
      std::fprintf(stderr, "dns_bench: a query to %s was not answered as expected\n", DNS_BENCH_SIGNED_ZONE);
      return 1;
    }
  }
  benchmark::RegisterBenchmark("core_echo/v4", BM_echo);
  for (std::size_t i = 0; i < sizes.size(); ++i)
    benchmark::RegisterBenchmark(("core_dns/names:" + std::to_string(sizes[i])).c_str(), BM_dns, &zones[i]);
  for (std::size_t i = 0; i < std::size(signed_zones); ++i)
    benchmark::RegisterBenchmark((std::string("core_dns/") + signed_names[i]).c_str(), BM_dns, &signed_zones[i]);

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
  for (std::size_t i = 0; i < std::size(signed_zones); ++i)
    benchmark::RegisterBenchmark((std::string("xdp_dns/") + signed_names[i]).c_str(), BM_xdp, &signed_zones[i])
        ->UseManualTime();
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return g_failed ? 1 : 0;
}
