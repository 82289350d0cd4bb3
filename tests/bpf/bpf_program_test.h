// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the BPF tests of the vector tables share (bpf_vectors_test.cpp, bpf_frags_test.cpp): the
// compiled XDP program loaded once per suite, and the counters a row must move.

#include <unistd.h>

#include <exception>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "datapath/xdp/xdp_program.h"
#include "test_tables.h"
#include "vectors.h"

namespace anycastd::test {

// The counters that moved, as "action.pass+1 pass.not_vip+1": both sides of a mismatch read
// as a short list instead of two struct dumps.
inline std::string moved(const ac_stats& after, const ac_stats& before) {
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
    add(std::string("rate_limited.") + ac_service_names[i], after.rate_limited[i], before.rate_limited[i]);
  }
  for (unsigned i = 0; i < AC_DNS_OUT__COUNT; ++i)
    add(std::string("dns.") + ac_dns_outcome_names[i], after.dns[i], before.dns[i]);
  return out.empty() ? "nothing" : out;
}

// What one row must move: its verdict, and the answer or pass counters that go with it.
inline std::string expected_moves(const Vector& row) {
  ac_stats before{}, after{};
  after.action[row.action] = 1;
  if (row.action == AC_ACT_ANSWER) {
    after.answered[row.service] = 1;
    after.answered_bytes[row.service] = row.reply.size();
    if (limited_row(row.config, row.service)) after.rate_limited[row.service] = 1;
  } else {
    after.pass[row.reason] = 1;
  }
  return moved(after, before);
}

class LoadedXdpProgram : public testing::TestWithParam<Vector> {
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

  inline static std::unique_ptr<XdpProgram> program_;
  inline static std::string load_error_;
};

}  // namespace anycastd::test
