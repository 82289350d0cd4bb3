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
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "base/posix_io.h"
#include "bpf_program_test.h"

namespace anycastd::test {
namespace {

class BpfFrags : public LoadedXdpProgram {};

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
  ASSERT_EQ(err, 0) << "BPF_PROG_TEST_RUN of a " << row.request.size() << "-byte frame: " << std::strerror(errno);
  out.resize(run.data_size_out);

  const bool answer = row.action == AC_ACT_ANSWER;
  EXPECT_EQ(run.retval, answer ? XDP_TX : XDP_PASS)
      << "expected " << describe(row) << " (XDP_TX is " << XDP_TX << ", XDP_PASS " << XDP_PASS << ")";
  const Bytes& expected = answer ? row.reply : row.request;
  EXPECT_TRUE(out == expected) << (answer ? "reply" : "passed frame") << " differs:\n" << hex_diff(expected, out);

  EXPECT_EQ(moved(program_->read_stats(), before), expected_moves(row));
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

// Generic mode's entry point (XdpLoadOptions::frags = false, docs/dns.md "Frame growth"): the
// same body loaded without BPF_F_XDP_HAS_FRAGS, which is what gives it generic XDP's larger
// room. BPF_PROG_TEST_RUN builds fragments for either kind of program, so the flag shows where
// the kernel compares it: a prog array takes only programs with the same flag as the first it
// was given. And it answers and passes the frags table as the frags-aware program does.
TEST(BpfPlainEntryPoint, NotFragsAwareAndAnswersTheSame) {
  ASSERT_EQ(geteuid(), 0u) << "loads XDP programs: run as root";
  XdpLoadOptions options;
  options.frags = false;
  XdpProgram program(options);
  XdpProgram frags_aware;

  posix_io::UniqueFd array(bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "ac_frags_probe", 4, 4, 2, nullptr));
  ASSERT_TRUE(array) << "creating a prog array: " << std::strerror(errno);
  const std::uint32_t first = 0, second = 1;
  const int frags_fd = frags_aware.prog_fd(), plain_fd = program.prog_fd();
  ASSERT_EQ(bpf_map_update_elem(array.get(), &first, &frags_fd, BPF_ANY), 0) << std::strerror(errno);
  EXPECT_NE(bpf_map_update_elem(array.get(), &second, &plain_fd, BPF_ANY), 0)
      << "the generic-mode entry point went into a prog array holding the frags-aware one: it has the flag too";

  int checked = 0;
  for (const Vector& row : frags_vectors()) {
    program.write_tables(make_tables(row.config));
    const ac_stats before = program.read_stats();
    Bytes out(16384);
    bpf_test_run_opts run{};
    run.sz = sizeof run;
    run.data_in = row.request.data();
    run.data_size_in = static_cast<std::uint32_t>(row.request.size());
    run.data_out = out.data();
    run.data_size_out = static_cast<std::uint32_t>(out.size());
    run.repeat = 1;
    ASSERT_EQ(bpf_prog_test_run_opts(program.prog_fd(), &run), 0) << describe(row) << ": " << std::strerror(errno);
    out.resize(run.data_size_out);
    const bool answer = row.action == AC_ACT_ANSWER;
    EXPECT_EQ(run.retval, answer ? XDP_TX : XDP_PASS) << describe(row);
    const Bytes& expected = answer ? row.reply : row.request;
    EXPECT_TRUE(out == expected) << describe(row) << ": differs:\n" << hex_diff(expected, out);
    EXPECT_EQ(moved(program.read_stats(), before), expected_moves(row)) << describe(row);
    ++checked;
  }
  EXPECT_GT(checked, 0) << "the frags table is empty";
}

}  // namespace
}  // namespace anycastd::test
