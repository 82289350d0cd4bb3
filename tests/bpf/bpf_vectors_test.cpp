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

#include "ntp_live.h"
#include "test_tables.h"
#include "vectors.h"
#include "xdp_program.h"

namespace anycastd::test {
namespace {

// The counters that moved, as "action.pass+1 pass.not_vip+1": both sides of a mismatch read
// as a short list instead of two struct dumps.
std::string moved(const ac_stats& after, const ac_stats& before) {
  std::string out;
  auto add = [&](const std::string& name, std::uint64_t a, std::uint64_t b) {
    if (a != b) out += (out.empty() ? "" : " ") + name + (a > b ? "+" : "-") + std::to_string(a > b ? a - b : b - a);
  };
  for (unsigned i = 0; i < AC_ACT__COUNT; ++i)
    add(std::string("action.") + ac_action_names[i], after.action[i], before.action[i]);
  for (unsigned i = 0; i < AC_PASS__COUNT; ++i)
    add(std::string("pass.") + ac_pass_reason_names[i], after.pass[i], before.pass[i]);
  for (unsigned i = 0; i < AC_SVC__COUNT; ++i) {
    add(std::string("answered.") + ac_service_names[i], after.answered[i], before.answered[i]);
    add(std::string("answered_bytes.") + ac_service_names[i], after.answered_bytes[i], before.answered_bytes[i]);
  }
  return out.empty() ? "nothing" : out;
}

std::string expected_moves(const Vector& row) {
  ac_stats before{}, after{};
  after.action[row.action] = 1;
  if (row.action == AC_ACT_ANSWER) {
    after.answered[row.service] = 1;
    after.answered_bytes[row.service] = row.reply.size();
  } else {
    after.pass[row.reason] = 1;
  }
  return moved(after, before);
}

class BpfTable : public testing::TestWithParam<Vector> {
 protected:
  // One load per process: CTest runs each row in a process of its own anyway, and a direct run
  // of the binary then pays the verifier once.
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    try {
      program_ = std::make_unique<XdpProgram>();
    } catch (const std::exception& e) {
      load_error_ = e.what();
    }
  }
  static void TearDownTestSuite() { program_.reset(); }

  void SetUp() override {
    // A failure, not a skip: a test run that quietly skips the BPF half looks green and proves
    // nothing about the program that ships.
    ASSERT_EQ(geteuid(), 0u) << "the BPF tests load an XDP program and run it with BPF_PROG_TEST_RUN: "
                                "they need root (CAP_BPF, CAP_NET_ADMIN); run ctest as root";
    ASSERT_TRUE(program_) << "loading the XDP program failed: " << load_error_;
  }

  static std::unique_ptr<XdpProgram> program_;
  static std::string load_error_;
};

std::unique_ptr<XdpProgram> BpfTable::program_;
std::string BpfTable::load_error_;

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
  if (answer && row.service == AC_SVC_NTP)
    // The program's clock is the real one: the timestamps are checked against readings around the run.
    EXPECT_EQ(ntp_live_mismatch(expected, out, clock_before, clock_after), "");
  else
    EXPECT_TRUE(out == expected) << (answer ? "reply" : "passed frame") << " differs:\n" << hex_diff(expected, out);
  EXPECT_EQ(moved(program_->read_stats(), before), expected_moves(row));
}

INSTANTIATE_TEST_SUITE_P(Vectors, BpfTable, testing::ValuesIn(test_vectors()), VectorName());

}  // namespace
}  // namespace anycastd::test
