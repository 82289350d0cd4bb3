// SPDX-License-Identifier: Apache-2.0
// The DNS packet path of the compiled XDP program: the DNS test frames (gen_dns_frames.py,
// dnspython and scapy) through BPF_PROG_TEST_RUN with dnscore.zone's table written into the
// program's DNS maps by control's own writer (xdp_dns_maps.h). Each row must reach the verdict,
// the DNS outcome and the bytes the row says, as core.dns does natively, and move exactly its
// counters; then what the rows cannot show: no table, a reload, rate limiting. NSID and cookie
// rows (gen_dns_edns_frames.py) likewise, with the settings in the program's dns_edns map.

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "config/config.h"
#include "dns_frames.h"
#include "hex.h"
#include "native_env.h"
#include "datapath/xdp/xdp_program.h"

namespace anycastd::test {
namespace {

struct TestRun {
  std::uint32_t retval = 0;
  Bytes frame;
};

TestRun run(const XdpProgram& program, const Bytes& request) {
  TestRun r;
  r.frame.resize(4096);
  bpf_test_run_opts opts{};
  opts.sz = sizeof opts;
  opts.data_in = request.data();
  opts.data_size_in = static_cast<std::uint32_t>(request.size());
  opts.data_out = r.frame.data();
  opts.data_size_out = static_cast<std::uint32_t>(r.frame.size());
  opts.repeat = 1;
  int err = bpf_prog_test_run_opts(program.prog_fd(), &opts);
  EXPECT_EQ(err, 0) << "BPF_PROG_TEST_RUN: " << std::strerror(errno);
  r.frame.resize(err == 0 ? opts.data_size_out : 0);
  r.retval = opts.retval;
  return r;
}

std::string root_message() {
  return "the BPF tests load an XDP program and run it with BPF_PROG_TEST_RUN: they need root "
         "(CAP_BPF, CAP_NET_ADMIN); run ctest as root";
}

// The program with the DNS test table, loaded once per suite (CTest runs each row in a process of
// its own anyway); the suites below add what their rows need.
class BpfDnsProgram : public testing::TestWithParam<DnsRow> {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    try {
      program_ = std::make_unique<XdpProgram>();
      program_->write_tables(dns_tables());
      program_->write_dns_table(dns_test_table().image);
    } catch (const std::exception& e) {
      program_.reset();
      load_error_ = e.what();
    }
  }
  static void TearDownTestSuite() { program_.reset(); }

  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << root_message();  // a failure, not a skip: see bpf_vectors_test.cpp
    ASSERT_TRUE(program_) << "loading the XDP program or its DNS table failed: " << load_error_;
  }

  inline static std::unique_ptr<XdpProgram> program_;
  inline static std::string load_error_;
};

class BpfDns : public BpfDnsProgram {};

TEST_P(BpfDns, Packet) {
  const DnsRow& row = GetParam();
  const ac_stats before = program_->read_stats();
  TestRun r = run(*program_, row.request);
  const ac_stats after = program_->read_stats();

  const bool answer = row.action == "answer";
  EXPECT_EQ(r.retval, static_cast<std::uint32_t>(answer ? XDP_TX : XDP_PASS))
      << "expected " << row.action << " " << (answer ? row.outcome : row.reason);
  const Bytes& expected = answer ? row.reply : row.request;
  EXPECT_TRUE(r.frame == expected) << (answer ? "reply" : "passed frame") << " differs:\n" << hex_diff(expected, r.frame);

  // Exactly this row's counters moved: the action, then the answer's service, bytes and outcome,
  // or the pass reason.
  ac_stats want = before;
  if (answer) {
    want.action[AC_ACT_ANSWER]++;
    want.answered[AC_SVC_DNS]++;
    want.answered_bytes[AC_SVC_DNS] += row.reply.size();
    const char* const* outcome = std::find(std::begin(ac_dns_outcome_names), std::end(ac_dns_outcome_names), row.outcome);
    ASSERT_NE(outcome, std::end(ac_dns_outcome_names)) << "unknown outcome " << row.outcome;
    want.dns[outcome - std::begin(ac_dns_outcome_names)]++;
    // Our OPT ends every reply to an EDNS query (root owner, type 41, class 1232, no options):
    // its DO bit is the query's, and such answers count in dns_do.
    const Bytes& rep = row.reply;
    const std::size_t n = rep.size();
    if (n > 11 && rep[n - 11] == 0 && rep[n - 10] == 0 && rep[n - 9] == 41 && rep[n - 8] == 0x04 && rep[n - 7] == 0xd0 &&
        rep[n - 2] == 0 && rep[n - 1] == 0 && (rep[n - 4] & 0x80))
      want.dns_do++;
  } else {
    want.action[AC_ACT_PASS]++;
    const char* const* reason = std::find(std::begin(ac_pass_reason_names), std::end(ac_pass_reason_names), row.reason);
    ASSERT_NE(reason, std::end(ac_pass_reason_names)) << "unknown pass reason " << row.reason;
    want.pass[reason - std::begin(ac_pass_reason_names)]++;
  }
  EXPECT_EQ(std::memcmp(&after, &want, sizeof want), 0) << "the counters moved otherwise than this row's";
}

INSTANTIATE_TEST_SUITE_P(Rows, BpfDns, testing::ValuesIn(dns_rows()),
                         [](const testing::TestParamInfo<DnsRow>& i) { return i.param.name; });

// Before control writes a table, every DNS query passes untouched for the slow path.
TEST(BpfDnsTable, NoTableLoaded) {
  ASSERT_EQ(geteuid(), 0u) << root_message();
  XdpProgram program;
  program.write_tables(dns_tables());
  const DnsRow& row = dns_row_named("a_v4");
  TestRun r = run(program, row.request);
  EXPECT_EQ(r.retval, static_cast<std::uint32_t>(XDP_PASS));
  EXPECT_TRUE(r.frame == row.request);
  EXPECT_EQ(program.read_stats().pass[AC_PASS_DNS_NO_TABLE], 1u);
}

// A reload puts the new table in the idle slot and switches to it: the answer changes with the
// zone, and back, through both slots.
TEST(BpfDnsTable, ReloadSwitchesTables) {
  ASSERT_EQ(geteuid(), 0u) << root_message();
  std::ifstream in(AC_DNS_ZONE);
  ASSERT_TRUE(in) << AC_DNS_ZONE;
  std::stringstream text;
  text << in.rdbuf();
  std::string zone = text.str();
  const std::string www = "www     IN A    192.0.2.80";
  const std::size_t at = zone.find(www);
  ASSERT_NE(at, std::string::npos) << "dnscore.zone's www record changed: update this test";
  zone.replace(at, www.size(), "www     IN A    192.0.2.82");
  char path[] = "/tmp/anycastd-bpf-dns-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, zone.data(), zone.size()), static_cast<ssize_t>(zone.size()));
  close(fd);
  const dns::CompiledTable moved = dns::compile_zones({{"example.net.", path}});
  unlink(path);

  XdpProgram program;
  program.write_tables(dns_tables());
  const DnsRow& row = dns_row_named("a_v4");
  const Bytes old_address = {192, 0, 2, 80}, new_address = {192, 0, 2, 82};
  auto has = [](const Bytes& frame, const Bytes& what) {
    return std::search(frame.begin(), frame.end(), what.begin(), what.end()) != frame.end();
  };
  for (int round = 0; round < 2; ++round) {
    program.write_dns_table(dns_test_table().image);
    TestRun r = run(program, row.request);
    EXPECT_EQ(r.retval, static_cast<std::uint32_t>(XDP_TX));
    EXPECT_TRUE(r.frame == row.reply) << "round " << round << ":\n" << hex_diff(row.reply, r.frame);

    program.write_dns_table(moved.image);
    r = run(program, row.request);
    EXPECT_EQ(r.retval, static_cast<std::uint32_t>(XDP_TX));
    EXPECT_TRUE(has(r.frame, new_address) && !has(r.frame, old_address)) << "round " << round << ":\n" << hex_diff(row.reply, r.frame);
    EXPECT_EQ(r.frame.size(), row.reply.size());
  }
}

// Response rate limiting in the real program: with [services.dns.rrl]'s limiter (slip 2, one
// token), one source gets its answer, then over the limit every query is dropped but every
// second, answered with TC=1 and no records.
TEST(BpfDnsRrl, DropsAndSlips) {
  ASSERT_EQ(geteuid(), 0u) << root_message();
  XdpProgram program;
  FastpathTables tables = dns_tables();
  tables.ratelimit[AC_SVC_DNS] = dns_rrl_limiter(DnsRrlConfig{1, 2});
  // The program's clock is the real one: an hour per token, so that no pause of the machine
  // between two runs refills the bucket.
  tables.ratelimit[AC_SVC_DNS].interval_ns = 3600ull * 1'000'000'000;
  program.write_tables(tables);
  program.write_dns_table(dns_test_table().image);
  const DnsRow& row = dns_row_named("a_v4");

  TestRun r = run(program, row.request);
  EXPECT_EQ(r.retval, static_cast<std::uint32_t>(XDP_TX));
  EXPECT_TRUE(r.frame == row.reply) << hex_diff(row.reply, r.frame);
  r = run(program, row.request);
  EXPECT_EQ(r.retval, static_cast<std::uint32_t>(XDP_DROP));
  r = run(program, row.request);
  EXPECT_EQ(r.retval, static_cast<std::uint32_t>(XDP_TX));
  constexpr std::size_t kMsg = 14 + 20 + 8;  // the row is untagged IPv4
  ASSERT_GT(r.frame.size(), kMsg + 12);
  EXPECT_EQ(r.frame[kMsg + 2] & 0x82, 0x82) << "QR and TC";
  EXPECT_EQ((r.frame[kMsg + 6] << 8 | r.frame[kMsg + 7]), 0) << "ANCOUNT";
  EXPECT_LE(r.frame.size(), row.request.size() + 11) << "no records: the question and at most an OPT";
  r = run(program, row.request);
  EXPECT_EQ(r.retval, static_cast<std::uint32_t>(XDP_DROP));

  ac_stats s = program.read_stats();
  EXPECT_EQ(s.action[AC_ACT_DROP], 2u);
  EXPECT_EQ(s.dns[AC_DNS_OUT_SLIPPED], 1u);
  EXPECT_EQ(s.rate_limited[AC_SVC_DNS], 3u);
}

// NSID and cookies (gen_dns_edns_frames.py's rows, docs/dns.md "NSID and cookies") in the
// compiled program, with the settings in its dns_edns map as control writes them: the bytes and
// outcomes core.dns_edns pins natively, and the counters of exactly this row.
void write_edns(const XdpProgram& program, const ac_dns_edns& edns) {
  const int fd = program.map_fd("dns_edns");
  ASSERT_GE(fd, 0) << "the program has no dns_edns map";
  const std::uint32_t zero = 0;
  ASSERT_EQ(bpf_map_update_elem(fd, &zero, &edns, BPF_ANY), 0) << std::strerror(errno);
}

class BpfDnsEdns : public BpfDnsProgram {
 protected:
  void SetUp() override {
    BpfDnsProgram::SetUp();
    if (!HasFatalFailure()) write_edns(*program_, dns_test_edns());
  }
};

TEST_P(BpfDnsEdns, Packet) {
  const DnsRow& row = GetParam();
  const ac_stats before = program_->read_stats();
  TestRun r = run(*program_, row.request);
  const ac_stats after = program_->read_stats();

  const bool answer = row.action == "answer";
  EXPECT_EQ(r.retval, static_cast<std::uint32_t>(answer ? XDP_TX : XDP_PASS))
      << "expected " << row.action << " " << (answer ? row.outcome : row.reason);
  const Bytes& expected = answer ? row.reply : row.request;
  EXPECT_TRUE(r.frame == expected) << (answer ? "reply" : "passed frame") << " differs:\n" << hex_diff(expected, r.frame);
  if (answer) {
    const char* const* outcome = std::find(std::begin(ac_dns_outcome_names), std::end(ac_dns_outcome_names), row.outcome);
    ASSERT_NE(outcome, std::end(ac_dns_outcome_names)) << "unknown outcome " << row.outcome;
    EXPECT_EQ(after.dns[outcome - std::begin(ac_dns_outcome_names)], before.dns[outcome - std::begin(ac_dns_outcome_names)] + 1)
        << "outcome " << row.outcome << " not counted";
    EXPECT_EQ(after.action[AC_ACT_ANSWER], before.action[AC_ACT_ANSWER] + 1);
  } else {
    const char* const* reason = std::find(std::begin(ac_pass_reason_names), std::end(ac_pass_reason_names), row.reason);
    ASSERT_NE(reason, std::end(ac_pass_reason_names)) << "unknown pass reason " << row.reason;
    const std::size_t i = static_cast<std::size_t>(reason - std::begin(ac_pass_reason_names));
    EXPECT_EQ(after.pass[i], before.pass[i] + 1) << "pass reason " << row.reason << " not counted";
  }
}

INSTANTIATE_TEST_SUITE_P(Rows, BpfDnsEdns, testing::ValuesIn(dns_edns_rows()),
                         [](const testing::TestParamInfo<DnsRow>& i) { return i.param.name; });

const DnsRow& edns_row(const std::string& name) {
  for (const DnsRow& r : dns_edns_rows())
    if (r.name == name) return r;
  throw std::runtime_error("no NSID/cookie row " + name);
}

// An all-zero dns_edns entry (as the map is created, before control writes it) turns both
// options off: the NSID row's reply is the plain one, our OPT without options.
TEST(BpfDnsEdnsOff, OptionsIgnored) {
  ASSERT_EQ(geteuid(), 0u) << root_message();
  XdpProgram program;
  program.write_tables(dns_tables());
  program.write_dns_table(dns_test_table().image);
  for (const char* name : {"nsid", "nsid_and_cookie"}) {
    const DnsRow& row = edns_row(name);
    TestRun r = run(program, row.request);
    ASSERT_EQ(r.retval, static_cast<std::uint32_t>(XDP_TX)) << name;
    ASSERT_GT(r.frame.size(), 2u);
    EXPECT_EQ(r.frame[r.frame.size() - 2] << 8 | r.frame.back(), 0) << name << ": RDLEN 0 ends the reply";
    EXPECT_LT(r.frame.size(), row.reply.size()) << name << ": shorter than the reply with options";
  }
}

// A valid server cookie is exempt from RRL in the program too (RFC 9018 1): with one token an
// hour, the valid-cookie query is answered every time while the cookie-less one is limited.
TEST(BpfDnsEdnsRrl, ValidCookieIsExempt) {
  ASSERT_EQ(geteuid(), 0u) << root_message();
  XdpProgram program;
  FastpathTables tables = dns_tables();
  tables.ratelimit[AC_SVC_DNS] = dns_rrl_limiter(DnsRrlConfig{1, 2});
  tables.ratelimit[AC_SVC_DNS].interval_ns = 3600ull * 1'000'000'000;
  program.write_tables(tables);
  program.write_dns_table(dns_test_table().image);
  write_edns(program, dns_test_edns());
  const DnsRow& valid = edns_row("valid_cookie");
  for (int i = 0; i < 5; i++) {
    TestRun r = run(program, valid.request);
    EXPECT_EQ(r.retval, static_cast<std::uint32_t>(XDP_TX)) << i;
    EXPECT_TRUE(r.frame == valid.reply) << i << hex_diff(valid.reply, r.frame);
  }
  const DnsRow& fresh = edns_row("client_cookie");
  EXPECT_EQ(run(program, fresh.request).retval, static_cast<std::uint32_t>(XDP_TX));
  EXPECT_EQ(run(program, fresh.request).retval, static_cast<std::uint32_t>(XDP_DROP));
  EXPECT_EQ(run(program, valid.request).retval, static_cast<std::uint32_t>(XDP_TX))
      << "valid cookies stay exempt while the source is limited";
}

// Differential: the rows' untagged IPv4 queries with bytes of their DNS message changed at random
// (a fixed seed, so a failure repeats), through the native core, which the rows pin to scapy's
// bytes, and through the XDP program: for every message the same verdict and the same frame out.
TEST(BpfDnsDifferential, MutatedQueriesMatchTheNativeCore) {
  ASSERT_EQ(geteuid(), 0u) << root_message();
  XdpProgram program;
  const FastpathTables tables = dns_tables();
  program.write_tables(tables);
  program.write_dns_table(dns_test_table().image);

  constexpr std::size_t kMsg = 14 + 20 + 8;
  std::vector<const Bytes*> seeds;
  for (const DnsRow& r : dns_rows())
    if (r.request.size() > kMsg + 12 && r.request[12] == 0x08 && r.request[13] == 0x00) seeds.push_back(&r.request);
  ASSERT_GT(seeds.size(), 20u);

  std::mt19937 rng(20261126);
  const std::uint8_t special[] = {0x00, 0x01, 0x3F, 0x40, 0x7F, 0x80, 0xC0, 0xFF, '*', 'A', 'a'};
  int answered = 0, mismatches = 0;
  for (int i = 0; i < 4000 && mismatches < 5; ++i) {
    Bytes query = *seeds[rng() % seeds.size()];
    for (unsigned k = 1 + rng() % 4; k; --k) {
      std::uint8_t& b = query[kMsg + rng() % (query.size() - kMsg)];
      switch (rng() % 3) {
        case 0: b = special[rng() % sizeof special]; break;
        case 1: b = static_cast<std::uint8_t>(b + (rng() % 2 ? 1 : -1)); break;
        default: b = static_cast<std::uint8_t>(rng()); break;
      }
    }

    Bytes buf(query.size() + 2048);
    std::copy(query.begin(), query.end(), buf.begin());
    ac_env env{&tables};
    env.dns = dns_test_table().table();
    env.frame_end = buf.data() + query.size();
    env.room_end = buf.data() + buf.size();
    ac_headers h;
    ac_verdict v = ac_decide(&env, buf.data(), env.frame_end, &h);
    if (v.action == AC_ACT_ANSWER) v = ac_respond(&env, &h, v);
    const Bytes native(buf.data(), env.frame_end);
    const std::uint32_t native_retval = v.action == AC_ACT_ANSWER ? XDP_TX : v.action == AC_ACT_DROP ? XDP_DROP : XDP_PASS;

    TestRun xdp = run(program, query);
    if (xdp.retval != native_retval || xdp.frame != native) {
      ++mismatches;
      ADD_FAILURE() << "message " << i << ": XDP retval " << xdp.retval << ", native " << native_retval << " ("
                    << describe_verdict(v.action, v.reason, v.service) << ")\n"
                    << hex_diff(native, xdp.frame);
    }
    answered += native_retval == XDP_TX;
  }
  EXPECT_GT(answered, 100) << "the mutations should leave many queries answerable";
}

}  // namespace
}  // namespace anycastd::test
