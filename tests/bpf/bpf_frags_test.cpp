// SPDX-License-Identifier: Apache-2.0
// Multi-buffer frames (issue 21): the XDP program is loaded frags-aware, and BPF_PROG_TEST_RUN of
// such a program puts what does not fit the first page into fragments, as a driver at a jumbo
// MTU does. Over gen_vectors.py's frags table: a frame that spans buffers comes back untouched
// with XDP_PASS and is counted once under pass.multi_buffer (and nowhere else); small requests,
// and large ones that still fit the first buffer, are answered byte for byte as scapy built the
// reply.

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "test_tables.h"
#include "vectors.h"
#include "datapath/xdp/xdp_program.h"

namespace anycastd::test {
namespace {

// Every counter as "group.name" -> value, so that a row's expectation is the whole difference.
std::map<std::string, std::uint64_t> flatten(const ac_stats& s) {
  std::map<std::string, std::uint64_t> out;
  for (unsigned i = 0; i < AC_ACT__COUNT; ++i) out[std::string("action.") + ac_action_names[i]] = s.action[i];
  for (unsigned i = 0; i < AC_PASS__COUNT; ++i) out[std::string("pass.") + ac_pass_reason_names[i]] = s.pass[i];
  for (unsigned i = 0; i < AC_SVC__COUNT; ++i) {
    out[std::string("answered.") + ac_service_names[i]] = s.answered[i];
    out[std::string("answered_bytes.") + ac_service_names[i]] = s.answered_bytes[i];
    out[std::string("rate_limited.") + ac_service_names[i]] = s.rate_limited[i];
  }
  for (unsigned i = 0; i < AC_DNS_OUT__COUNT; ++i) out[std::string("dns.") + ac_dns_outcome_names[i]] = s.dns[i];
  return out;
}

std::map<std::string, std::uint64_t> moved(const ac_stats& after, const ac_stats& before) {
  std::map<std::string, std::uint64_t> out;
  auto a = flatten(after), b = flatten(before);
  for (const auto& [name, value] : a)
    if (value != b[name]) out[name] = value - b[name];
  return out;
}

std::string text(const std::map<std::string, std::uint64_t>& m) {
  std::string out;
  for (const auto& [name, value] : m) out += (out.empty() ? "" : " ") + name + "+" + std::to_string(value);
  return out.empty() ? "nothing" : out;
}

class BpfFrags : public testing::TestWithParam<Vector> {
 protected:
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
    ASSERT_EQ(geteuid(), 0u) << "the BPF tests load an XDP program and run it with BPF_PROG_TEST_RUN: "
                                "they need root (CAP_BPF, CAP_NET_ADMIN); run ctest as root";
    ASSERT_TRUE(program_) << "loading the XDP program failed: " << load_error_;
  }

  static std::unique_ptr<XdpProgram> program_;
  static std::string load_error_;
};

std::unique_ptr<XdpProgram> BpfFrags::program_;
std::string BpfFrags::load_error_;

TEST_P(BpfFrags, Frame) {
  const Vector& row = GetParam();
  program_->write_tables(make_tables(row.config));
  const ac_stats before = program_->read_stats();

  // Room for a whole 9000-byte frame: the kernel copies the first buffer and then every
  // fragment out, and refuses (ENOSPC) when they do not fit.
  Bytes out(16384);
  bpf_test_run_opts run{};
  run.sz = sizeof run;
  run.data_in = row.request.data();
  run.data_size_in = static_cast<std::uint32_t>(row.request.size());
  run.data_out = out.data();
  run.data_size_out = static_cast<std::uint32_t>(out.size());
  run.repeat = 1;
  int err = bpf_prog_test_run_opts(program_->prog_fd(), &run);
  ASSERT_EQ(err, 0) << "BPF_PROG_TEST_RUN of a " << row.request.size() << "-byte frame: " << std::strerror(errno)
                    << " (a program that is not frags-aware is refused frames larger than a page)";
  out.resize(run.data_size_out);

  const bool answer = row.action == AC_ACT_ANSWER;
  EXPECT_EQ(run.retval, answer ? XDP_TX : XDP_PASS)
      << "expected " << describe(row) << " (XDP_TX is " << XDP_TX << ", XDP_PASS " << XDP_PASS << ")";
  const Bytes& expected = answer ? row.reply : row.request;
  EXPECT_TRUE(out == expected) << (answer ? "reply" : "passed frame") << " differs:\n" << hex_diff(expected, out);

  std::map<std::string, std::uint64_t> want;
  want[std::string("action.") + ac_action_names[row.action]] = 1;
  if (answer) {
    want[std::string("answered.") + ac_service_names[row.service]] = 1;
    want[std::string("answered_bytes.") + ac_service_names[row.service]] = row.reply.size();
  } else {
    want[std::string("pass.") + ac_pass_reason_names[row.reason]] = 1;
  }
  EXPECT_EQ(text(moved(program_->read_stats(), before)), text(want));
}

INSTANTIATE_TEST_SUITE_P(Vectors, BpfFrags, testing::ValuesIn(frags_vectors()), VectorName());

// The table is only worth something if it holds both sides of the line: frames that span
// buffers, and frames past the usual MTU that do not.
TEST(BpfFragsCoverage, BothSidesOfTheFirstBuffer) {
  bool jumbo_passed = false, large_answered = false, small_answered = false;
  for (const Vector& row : frags_vectors()) {
    if (row.reason == AC_PASS_MULTI_BUFFER && row.request.size() > 4096) jumbo_passed = true;
    if (row.action == AC_ACT_ANSWER && row.request.size() > 1522) large_answered = true;
    if (row.action == AC_ACT_ANSWER && row.request.size() <= 1522) small_answered = true;
  }
  EXPECT_TRUE(jumbo_passed) << "no row larger than a page passed as multi_buffer";
  EXPECT_TRUE(large_answered) << "no row larger than 1522 bytes (yet in the first buffer) answered";
  EXPECT_TRUE(small_answered) << "no small row answered";
}

}  // namespace
}  // namespace anycastd::test
