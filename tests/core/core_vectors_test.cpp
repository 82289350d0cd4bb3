// SPDX-License-Identifier: Apache-2.0
// The packet core compiled natively, driven by the scapy-built vector table: each row's frame
// goes through ac_decide and ac_respond, and verdict and bytes must be what the row says.

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <stdexcept>
#include <string_view>

#include <gtest/gtest.h>

#include "native_env.h"
#include "test_tables.h"
#include "vectors.h"

namespace anycastd::test {
namespace {

struct Outcome {
  ac_verdict verdict;
  Bytes frame;
  std::string outside;  // what the core did outside the frame, empty when nothing
};

Outcome run_core(const FastpathTables& tables, const ac_ntp_state& ntp, std::uint8_t* data, std::size_t len) {
  ac_env env{&tables, &ntp, kTestTaiNs, kTestTaiStepNs};
  ac_headers h;
  ac_verdict v = ac_decide(&env, data, data + len, &h);
  if (v.action == AC_ACT_ANSWER) ac_respond(&env, &h, v);
  return {v, Bytes(data, data + len), {}};
}

// Like a driver with NET_IP_ALIGN: 2 bytes of headroom in 4-aligned storage, so the IP header
// after 14, 18 or 22 bytes of L2 is 4-aligned as it is on the wire path. Headroom and a tail
// after the frame are filled with a pattern; a changed byte there is a write out of bounds.
Outcome run_aligned(const FastpathTables& tables, const ac_ntp_state& ntp, const Bytes& request) {
  constexpr std::size_t kHeadroom = 2, kTail = 64;
  constexpr std::uint8_t kFill = 0xCD;
  std::vector<std::uint32_t> storage((kHeadroom + request.size() + kTail + 3) / 4);
  auto* base = reinterpret_cast<std::uint8_t*>(storage.data());
  const std::size_t total = storage.size() * sizeof storage[0];
  std::memset(base, kFill, total);
  std::uint8_t* data = base + kHeadroom;
  std::copy(request.begin(), request.end(), data);

  Outcome out = run_core(tables, ntp, data, request.size());
  for (std::size_t i = 0; i < total; ++i) {
    bool in_frame = i >= kHeadroom && i < kHeadroom + request.size();
    if (!in_frame && base[i] != kFill)
      out.outside += "byte at frame offset " + std::to_string(static_cast<long>(i) - long{kHeadroom}) +
                     " written outside the frame\n";
  }
  return out;
}

// Reads past the end are invisible to a canary, so the frame is also run flush against a page
// the process cannot touch: any access beyond `end` is a SIGSEGV that fails the test loudly.
// (Its IP header is 4-aligned only by chance then; x86 does not mind, this run is about bounds.)
class GuardedPage {
 public:
  GuardedPage() : page_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))) {
    void* p = mmap(nullptr, 3 * page_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap of the guard pages failed");
    base_ = static_cast<std::uint8_t*>(p);
    if (mprotect(base_ + page_, page_, PROT_READ | PROT_WRITE) != 0)
      throw std::runtime_error("mprotect of the frame page failed");
  }
  ~GuardedPage() { munmap(base_, 3 * page_); }

  // The frame's copy, ending on the last byte before the guard page.
  std::uint8_t* place(const Bytes& frame) {
    if (frame.size() > page_) throw std::runtime_error("frame larger than a page");
    std::uint8_t* data = base_ + 2 * page_ - frame.size();
    std::copy(frame.begin(), frame.end(), data);
    return data;
  }

 private:
  std::size_t page_;
  std::uint8_t* base_ = nullptr;
};

Outcome run_guarded(const FastpathTables& tables, const ac_ntp_state& ntp, const Bytes& request) {
  static GuardedPage page;
  return run_core(tables, ntp, page.place(request), request.size());
}

// The guard is what makes the bounds check worth anything, so prove it bites.
TEST(GuardedPage, ByteAfterFrameFaults) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const Bytes frame(60, 0x42);
  EXPECT_DEATH(
      {
        static GuardedPage page;
        volatile std::uint8_t* data = page.place(frame);
        (void)data[frame.size()];
      },
      "");
}

std::string verdict_of(const ac_verdict& v) { return describe_verdict(v.action, v.reason, v.service); }

class CoreTable : public testing::TestWithParam<Vector> {};

TEST_P(CoreTable, Packet) {
  const Vector& row = GetParam();
  const FastpathTables tables = make_tables(row.config);
  const ac_ntp_state ntp = make_ntp_state(row.config);

  Outcome aligned = run_aligned(tables, ntp, row.request);
  // Action, reason and (for an answer) service, compared as names so a failure reads at once.
  EXPECT_EQ(verdict_of(aligned.verdict), describe(row));
  EXPECT_EQ(aligned.outside, "");

  // A pass leaves the frame exactly as it came.
  const Bytes& expected = row.action == AC_ACT_ANSWER ? row.reply : row.request;
  EXPECT_TRUE(aligned.frame == expected)
      << (row.action == AC_ACT_ANSWER ? "reply" : "passed frame") << " differs:\n"
      << hex_diff(expected, aligned.frame);

  Outcome guarded = run_guarded(tables, ntp, row.request);
  EXPECT_EQ(verdict_of(guarded.verdict), verdict_of(aligned.verdict)) << "verdict depends on placement";
  EXPECT_TRUE(guarded.frame == aligned.frame) << "bytes depend on placement:\n"
                                              << hex_diff(aligned.frame, guarded.frame);
}

INSTANTIATE_TEST_SUITE_P(Vectors, CoreTable, testing::ValuesIn(test_vectors()), VectorName());

// The table is only as good as its reach: every pass reason, service and table set must be
// exercised by some row, so a reason added to abi.h without a row fails here. DNS has a table of
// its own (dns_frames_test.cpp, with a compiled zone), which holds its reasons to the same rule.
// multi_buffer is the datapaths' own, decided before the core runs (a frame in one buffer is all
// the core ever sees): the frags table of the BPF tests (bpf_frags_test.cpp) and the DPDK burst
// test's chained mbuf hold it.
TEST(CoreTableCoverage, EveryReasonServiceAndConfig) {
  std::set<unsigned> reasons, services;
  std::set<std::string> configs;
  for (const Vector& row : test_vectors()) {
    reasons.insert(row.reason);
    if (row.service >= 0) services.insert(static_cast<unsigned>(row.service));
    configs.insert(row.config);
  }
  for (unsigned r = 0; r < AC_PASS__COUNT; ++r)
    if (std::string_view(ac_pass_reason_names[r]).rfind("dns_", 0) != 0 && r != AC_PASS_MULTI_BUFFER)
      EXPECT_TRUE(reasons.count(r)) << "no row for pass reason " << ac_pass_reason_names[r];
  for (unsigned s = 0; s < AC_SVC__COUNT; ++s)
    if (s != AC_SVC_DNS)
      EXPECT_TRUE(services.count(s)) << "no row answered by service " << ac_service_names[s];
  for (auto name : kTableNames) EXPECT_TRUE(configs.count(std::string(name))) << "table set " << name << " unused";
}

// The native environment is the reference the BPF maps are held to; its longest-prefix match
// must prefer the more specific entry whichever order the entries come in.
TEST(NativeEnv, LongestPrefixWinsInAnyOrder) {
  FastpathTables t = make_tables("default");
  std::reverse(t.vips.begin(), t.vips.end());
  ac_env env{&t};
  const std::uint8_t specific[4] = {203, 0, 113, 99}, other[4] = {203, 0, 113, 98};
  ASSERT_NE(ac_env_vip4(&env, specific), nullptr);
  EXPECT_EQ(ac_env_vip4(&env, specific)->flags, 0u);
  ASSERT_NE(ac_env_vip4(&env, other), nullptr);
  EXPECT_EQ(ac_env_vip4(&env, other)->flags, AC_VIP_F_ANSWERING);
}

}  // namespace
}  // namespace anycastd::test

namespace anycastd::test {
namespace {

// The fraction of an NTP timestamp is floor(ns * 2^32 / 10^9); ntp.h gets it without a second
// division. Held to the division here over a stride through the whole second and its edges.
TEST(NtpTime, FractionIsTheExactFloor) {
  ac_ntp_state s = make_ntp_state("default");
  s.tai_offset = s.next_tai_offset = 0;
  const std::uint64_t base = 1764118800ull * 1000000000ull;
  auto check = [&](std::uint64_t ns) {
    std::uint64_t t = ac_ntp_time(&s, base + ns);
    ASSERT_EQ(t >> 32, 1764118800ull + 2208988800ull) << ns;
    ASSERT_EQ(t & 0xFFFFFFFFu, (ns << 32) / 1000000000ull) << ns;
  };
  for (std::uint64_t ns = 0; ns < 1000000000ull; ns += 997) check(ns);
  for (std::uint64_t ns : {0ull, 1ull, 232ull, 233ull, 500000000ull, 999999999ull}) check(ns);
}

}  // namespace
}  // namespace anycastd::test
