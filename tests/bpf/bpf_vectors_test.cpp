// SPDX-License-Identifier: Apache-2.0
// The compiled XDP program, loaded for real and driven with BPF_PROG_TEST_RUN over the same
// vector table and table sets as the native core test: the verifier-accepted build of the core,
// with BPF maps behind its lookups, must reach the same verdicts and bytes, and count each
// frame exactly once under the right counter.

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <gtest/gtest.h>

#include "bpf_program_test.h"
#include "ntp_live.h"
#include "test_tables.h"
#include "vectors.h"
#include "datapath/xdp/xdp_program.h"

namespace anycastd::test {
namespace {

// A program loaded once for the suite (bpf_program_test.h).
class BpfTable : public LoadedXdpProgram {};

TEST_P(BpfTable, Packet) {
  const Vector& row = GetParam();
  program_->write_tables(make_tables(row.config));
  program_->write_ntp_state(live_ntp_state(row.config));
  const ac_stats before = program_->read_stats();
  const std::uint64_t clock_before = ntp_now();

  Bytes out(4096);
  bpf_test_run_opts run{};
  run.sz = sizeof run;
  run.data_in = row.request.data();
  run.data_size_in = static_cast<std::uint32_t>(row.request.size());
  run.data_out = out.data();
  run.data_size_out = static_cast<std::uint32_t>(out.size());
  run.repeat = 1;
  int err = bpf_prog_test_run_opts(program_->prog_fd(), &run);
  int run_errno = errno;
  const std::uint64_t clock_after = ntp_now();

  if (row.request.size() < 14) {
    // The kernel refuses to run XDP on less than an Ethernet header (drivers never deliver
    // such runts either), so the program cannot be asked; the native test covers the core.
    EXPECT_NE(err, 0);
    EXPECT_EQ(run_errno, EINVAL) << std::strerror(run_errno);
    EXPECT_EQ(moved(program_->read_stats(), before), "nothing");
    return;
  }
  ASSERT_EQ(err, 0) << "BPF_PROG_TEST_RUN: " << std::strerror(run_errno);
  out.resize(run.data_size_out);

  const bool answer = row.action == AC_ACT_ANSWER;
  EXPECT_EQ(run.retval, answer ? XDP_TX : XDP_PASS)
      << "expected " << describe(row) << " (XDP_TX is " << XDP_TX << ", XDP_PASS " << XDP_PASS << ")";
  const Bytes& expected = answer ? row.reply : row.request;
  if (answer && row.service == AC_SVC_NTP && !limited_row(row.config, row.service))
    // The program's clock is the real one: the timestamps are checked against readings around the run.
    EXPECT_EQ(ntp_live_mismatch(expected, out, clock_before, clock_after), "");
  else
    EXPECT_TRUE(out == expected) << (answer ? "reply" : "passed frame") << " differs:\n" << hex_diff(expected, out);
  EXPECT_EQ(moved(program_->read_stats(), before), expected_moves(row));
}

INSTANTIATE_TEST_SUITE_P(Vectors, BpfTable, testing::ValuesIn(test_vectors()), VectorName());

Bytes run_once(const XdpProgram& program, const Bytes& request, std::uint32_t& retval) {
  Bytes out(4096);
  bpf_test_run_opts run{};
  run.sz = sizeof run;
  run.data_in = request.data();
  run.data_size_in = static_cast<std::uint32_t>(request.size());
  run.data_out = out.data();
  run.data_size_out = static_cast<std::uint32_t>(out.size());
  run.repeat = 1;
  int err = bpf_prog_test_run_opts(program.prog_fd(), &run);
  EXPECT_EQ(err, 0) << "BPF_PROG_TEST_RUN: " << std::strerror(errno);
  out.resize(err == 0 ? run.data_size_out : 0);
  retval = run.retval;
  return out;
}

// The buckets in the LRU map across runs of the real program: a source gets its burst of time
// answers, then the RATE kiss-o'-death, byte for byte the vector's; a reload (tables written
// again) keeps the buckets.
TEST(BpfRateLimit, BurstOfAnswersThenKissOfDeath) {
  ASSERT_EQ(geteuid(), 0u) << "the BPF tests need root; run ctest as root";
  XdpProgram program;
  const Vector* kod = nullptr;
  for (const Vector& v : test_vectors())
    if (v.name == "ntp_kod_v6") kod = &v;
  ASSERT_NE(kod, nullptr);
  FastpathTables t = make_tables("ntp_kod");
  t.ratelimit[AC_SVC_NTP].burst = 2;  // an hour per token: nothing refills during the test
  program.write_tables(t);
  program.write_ntp_state(live_ntp_state("default"));
  const std::size_t stratum = kod->request.size() - 48 + 1;

  std::uint32_t retval = 0;
  for (int i = 0; i < 2; ++i) {
    Bytes out = run_once(program, kod->request, retval);
    EXPECT_EQ(retval, static_cast<std::uint32_t>(XDP_TX));
    ASSERT_GT(out.size(), stratum);
    EXPECT_EQ(out[stratum], 11) << "answer " << i << " should carry the time";
  }
  program.write_tables(t);
  Bytes out = run_once(program, kod->request, retval);
  EXPECT_EQ(retval, static_cast<std::uint32_t>(XDP_TX));
  EXPECT_TRUE(out == kod->reply) << hex_diff(kod->reply, out);

  ac_stats s = program.read_stats();
  EXPECT_EQ(s.answered[AC_SVC_NTP], 3u);
  EXPECT_EQ(s.rate_limited[AC_SVC_NTP], 1u);
}

}  // namespace
}  // namespace anycastd::test
