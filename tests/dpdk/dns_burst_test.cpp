// SPDX-License-Identifier: Apache-2.0
// The DNS test frames (gen_dns_frames.py, the rows of core.dns and bpf.dns) through the worker's
// burst loop over net_ring, with dnscore.zone's table delivered as the datapath takes it (a
// sealed memfd mapped by DnsTable): each answer out of the port byte for byte the row's reply,
// each passed frame on the kernel side untouched, and the DNS outcome counters row by row; the
// NSID and cookie rows (gen_dns_edns_frames.py) likewise.

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>

#include "channel.h"
#include "dns_frames.h"
#include "eal_env.h"
#include "ring_harness.h"
#include "stats.h"

namespace anycastd::test {
namespace {

TEST(DpdkDnsBurst, FramesByteIdentical) {
  AC_REQUIRE_EAL();
  RingHarness h;
  h.load(dns_tables());
  posix_io::UniqueFd image = channel::memfd_with(dns_test_table().image, "anycastd-dns");
  std::string error;
  std::unique_ptr<dpdk::DnsTable> table = dpdk::DnsTable::map(image.get(), error);
  ASSERT_TRUE(table) << error;
  h.store().publish_dns(std::move(table));

  for (const DnsRow& row : dns_rows()) {
    SCOPED_TRACE(row.name + ": expected " + row.action + " " + (row.action == "answer" ? row.outcome : row.reason));
    const dpdk::LcoreCounters before = dpdk::read_counters(h.worker().counters);
    ASSERT_TRUE(h.from_wire(row.request));
    EXPECT_EQ(dpdk::worker_poll(h.worker()), 1u);
    std::vector<Bytes> answers = h.to_wire(), passed = h.to_kernel();
    const dpdk::LcoreCounters after = dpdk::read_counters(h.worker().counters);
    if (row.action == "answer") {
      ASSERT_EQ(answers.size(), 1u) << "no answer came out of the port";
      EXPECT_TRUE(passed.empty());
      EXPECT_TRUE(answers[0] == row.reply) << hex_diff(row.reply, answers[0]);
      const char* const* outcome = std::find(std::begin(ac_dns_outcome_names), std::end(ac_dns_outcome_names), row.outcome);
      ASSERT_NE(outcome, std::end(ac_dns_outcome_names)) << "unknown outcome " << row.outcome;
      const auto o = static_cast<std::size_t>(outcome - std::begin(ac_dns_outcome_names));
      EXPECT_EQ(after.core.dns[o] - before.core.dns[o], 1u);
      EXPECT_EQ(after.core.answered[AC_SVC_DNS] - before.core.answered[AC_SVC_DNS], 1u);
    } else {
      ASSERT_EQ(passed.size(), 1u) << "nothing reached the kernel side";
      EXPECT_TRUE(answers.empty());
      EXPECT_TRUE(passed[0] == row.request) << hex_diff(row.request, passed[0]);
      const char* const* reason = std::find(std::begin(ac_pass_reason_names), std::end(ac_pass_reason_names), row.reason);
      ASSERT_NE(reason, std::end(ac_pass_reason_names)) << "unknown pass reason " << row.reason;
      const auto r = static_cast<std::size_t>(reason - std::begin(ac_pass_reason_names));
      EXPECT_EQ(after.core.pass[r] - before.core.pass[r], 1u);
    }
  }
}

// NSID and cookies (gen_dns_edns_frames.py's rows, core.dns_edns and bpf.dns's too) through the
// worker, with the settings in the table store as the channel's dns_edns message leaves them:
// each answer byte for byte the row's reply (a valid cookie, BADCOOKIE, NSID), each malformed
// cookie passed untouched. Before any settings came, the options are ignored.
TEST(DpdkDnsBurst, EdnsFramesByteIdentical) {
  AC_REQUIRE_EAL();
  RingHarness h;
  h.load(dns_tables());
  posix_io::UniqueFd image = channel::memfd_with(dns_test_table().image, "anycastd-dns");
  std::string error;
  std::unique_ptr<dpdk::DnsTable> table = dpdk::DnsTable::map(image.get(), error);
  ASSERT_TRUE(table) << error;
  h.store().publish_dns(std::move(table));

  const DnsRow* nsid = nullptr;
  for (const DnsRow& row : dns_edns_rows())
    if (row.name == "nsid") nsid = &row;
  ASSERT_NE(nsid, nullptr);
  ASSERT_TRUE(h.from_wire(nsid->request));
  EXPECT_EQ(dpdk::worker_poll(h.worker()), 1u);
  std::vector<Bytes> plain = h.to_wire();
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_LT(plain[0].size(), nsid->reply.size()) << "no settings yet: no NSID in the reply";
  EXPECT_EQ(plain[0][plain[0].size() - 2] << 8 | plain[0].back(), 0) << "RDLEN 0 ends the reply";

  h.store().set_dns_edns(dns_test_edns());
  for (const DnsRow& row : dns_edns_rows()) {
    SCOPED_TRACE(row.name + ": expected " + row.action + " " + (row.action == "answer" ? row.outcome : row.reason));
    const dpdk::LcoreCounters before = dpdk::read_counters(h.worker().counters);
    ASSERT_TRUE(h.from_wire(row.request));
    EXPECT_EQ(dpdk::worker_poll(h.worker()), 1u);
    std::vector<Bytes> answers = h.to_wire(), passed = h.to_kernel();
    const dpdk::LcoreCounters after = dpdk::read_counters(h.worker().counters);
    if (row.action == "answer") {
      ASSERT_EQ(answers.size(), 1u) << "no answer came out of the port";
      EXPECT_TRUE(passed.empty());
      EXPECT_TRUE(answers[0] == row.reply) << hex_diff(row.reply, answers[0]);
      const char* const* outcome = std::find(std::begin(ac_dns_outcome_names), std::end(ac_dns_outcome_names), row.outcome);
      ASSERT_NE(outcome, std::end(ac_dns_outcome_names)) << "unknown outcome " << row.outcome;
      const auto o = static_cast<std::size_t>(outcome - std::begin(ac_dns_outcome_names));
      EXPECT_EQ(after.core.dns[o] - before.core.dns[o], 1u);
    } else {
      ASSERT_EQ(passed.size(), 1u) << "nothing reached the kernel side";
      EXPECT_TRUE(answers.empty());
      EXPECT_TRUE(passed[0] == row.request) << hex_diff(row.request, passed[0]);
      EXPECT_EQ(after.core.pass[AC_PASS_DNS_EDNS] - before.core.pass[AC_PASS_DNS_EDNS], 1u);
    }
  }
}

}  // namespace
}  // namespace anycastd::test
