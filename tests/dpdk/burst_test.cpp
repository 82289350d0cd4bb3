// SPDX-License-Identifier: Apache-2.0
// The worker's burst loop over net_ring, on the vector table the core and XDP tests use: answers
// out of the port must be the vectors' replies byte for byte, passed frames must reach the
// kernel side unchanged, and the counters must say exactly why.

#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <atomic>
#include <cstring>
#include <chrono>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "eal_env.h"
#include "echo_probe.h"
#include "ring_harness.h"
#include "stats.h"
#include "ntp_live.h"
#include "test_tables.h"
#include "vectors.h"

namespace anycastd::test {
namespace {

using dpdk::LcoreCounters;

ac_stats expected_stats(const std::vector<const Vector*>& rows) {
  ac_stats s{};
  for (const Vector* r : rows) {
    s.action[r->action]++;
    if (r->action == AC_ACT_ANSWER) {
      s.answered[r->service]++;
      s.answered_bytes[r->service] += r->request.size();
      if (limited_row(r->config, r->service)) s.rate_limited[r->service]++;
    } else {
      s.pass[r->reason]++;
    }
  }
  return s;
}

std::string describe_stats(const ac_stats& s) {
  LcoreCounters c{};
  c.core = s;
  std::string out;
  for (const auto& [name, value] : dpdk::named_counters(c))
    if (value && name.rfind("datapath/", 0) != 0) out += name + "=" + std::to_string(value) + " ";
  return out;
}

const Vector* first_answer_v4() {
  for (const Vector& v : test_vectors())
    if (v.config == "default" && v.action == AC_ACT_ANSWER && v.request.size() > 14 && v.request[12] == 0x08 &&
        v.request[13] == 0x00)
      return &v;
  return nullptr;
}

TEST(DpdkBurst, VectorsByteIdentical) {
  AC_REQUIRE_EAL();
  RingHarness h;
  ASSERT_FALSE(test_vectors().empty());
  for (std::string_view config : kTableNames) {
    std::vector<const Vector*> rows;
    for (const Vector& v : test_vectors())
      if (v.config == config) rows.push_back(&v);
    SCOPED_TRACE("table set " + std::string(config));
    h.load(make_tables(config));
    h.store().set_ntp(live_ntp_state(config));
    const LcoreCounters before = dpdk::read_counters(h.worker().counters);

    // Whole bursts of mixed frames: answers and passes keep their order on each side.
    const std::size_t burst = h.worker().config.burst;
    for (std::size_t start = 0; start < rows.size(); start += burst) {
      std::vector<const Vector*> chunk(rows.begin() + static_cast<long>(start),
                                       rows.begin() + static_cast<long>(std::min(rows.size(), start + burst)));
      for (const Vector* r : chunk) ASSERT_TRUE(h.from_wire(r->request));
      const std::uint64_t clock_before = ntp_now();
      EXPECT_EQ(dpdk::worker_poll(h.worker()), chunk.size());
      const std::uint64_t clock_after = ntp_now();
      std::vector<Bytes> answers = h.to_wire(), passed = h.to_kernel();
      std::size_t a = 0, p = 0;
      for (const Vector* r : chunk) {
        SCOPED_TRACE(r->name + ": expected " + describe(*r));
        if (r->action == AC_ACT_ANSWER) {
          ASSERT_LT(a, answers.size()) << "no answer came out of the port";
          if (r->service == AC_SVC_NTP && !limited_row(r->config, r->service))  // the real clock
            EXPECT_EQ(ntp_live_mismatch(r->reply, answers[a], clock_before, clock_after), "");
          else
            EXPECT_TRUE(answers[a] == r->reply) << hex_diff(r->reply, answers[a]);
          ++a;
        } else {
          ASSERT_LT(p, passed.size()) << "nothing reached the kernel side";
          EXPECT_TRUE(passed[p] == r->request) << hex_diff(r->request, passed[p]);
          ++p;
        }
      }
      EXPECT_EQ(a, answers.size()) << "more answers than answered vectors";
      EXPECT_EQ(p, passed.size()) << "more passed frames than passed vectors";
    }

    const LcoreCounters after = dpdk::read_counters(h.worker().counters);
    ac_stats moved{};
    for (unsigned i = 0; i < AC_ACT__COUNT; ++i) moved.action[i] = after.core.action[i] - before.core.action[i];
    for (unsigned i = 0; i < AC_PASS__COUNT; ++i) moved.pass[i] = after.core.pass[i] - before.core.pass[i];
    for (unsigned i = 0; i < AC_SVC__COUNT; ++i) {
      moved.answered[i] = after.core.answered[i] - before.core.answered[i];
      moved.answered_bytes[i] = after.core.answered_bytes[i] - before.core.answered_bytes[i];
      moved.rate_limited[i] = after.core.rate_limited[i] - before.core.rate_limited[i];
    }
    EXPECT_EQ(describe_stats(moved), describe_stats(expected_stats(rows)));
    std::uint64_t answered = expected_stats(rows).action[AC_ACT_ANSWER];
    EXPECT_EQ(after.datapath.rx_packets - before.datapath.rx_packets, rows.size());
    EXPECT_EQ(after.datapath.tx_answers - before.datapath.tx_answers, answered);
    EXPECT_EQ(after.datapath.to_kernel - before.datapath.to_kernel, rows.size() - answered);
    EXPECT_EQ(after.datapath.tx_answers_dropped + after.datapath.to_kernel_dropped, 0u);
  }
}

// A chained mbuf (scattered RX: TAP, or a NIC whose largest frame exceeds the buffer) reaches
// the kernel side whole and is counted as multi_buffer, whatever it holds: a small echo request
// split in two, and the frags table's frames, 3000 to 8000 bytes, in 2000-byte segments. The
// same small request in one mbuf, in the same burst, is still answered.
TEST(DpdkBurst, ChainedMbufPassesWhole) {
  AC_REQUIRE_EAL();
  RingHarness h;
  h.load(make_tables("default"));
  const Vector* small = nullptr;
  std::vector<Bytes> chained;
  for (const Vector& v : frags_vectors()) {
    if (v.name == "frags_echo_v4_small") small = &v;
    if (v.request.size() > 2000) chained.push_back(v.request);
  }
  ASSERT_NE(small, nullptr);
  ASSERT_FALSE(chained.empty());
  const LcoreCounters before = dpdk::read_counters(h.worker().counters);

  ASSERT_TRUE(h.from_wire_chained(small->request, small->request.size() / 2));
  for (const Bytes& f : chained) ASSERT_TRUE(h.from_wire_chained(f, 2000));
  ASSERT_TRUE(h.from_wire(small->request));
  EXPECT_EQ(dpdk::worker_poll(h.worker()), chained.size() + 2);

  std::vector<Bytes> want_passed{small->request};
  want_passed.insert(want_passed.end(), chained.begin(), chained.end());
  const std::vector<Bytes> passed = h.to_kernel(), answers = h.to_wire();
  ASSERT_EQ(passed.size(), want_passed.size());
  for (std::size_t i = 0; i < passed.size(); ++i)
    EXPECT_TRUE(passed[i] == want_passed[i]) << "passed frame " << i << ":\n" << hex_diff(want_passed[i], passed[i]);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_TRUE(answers[0] == small->reply) << hex_diff(small->reply, answers[0]);

  const LcoreCounters after = dpdk::read_counters(h.worker().counters);
  ac_stats moved{};
  for (unsigned i = 0; i < AC_ACT__COUNT; ++i) moved.action[i] = after.core.action[i] - before.core.action[i];
  for (unsigned i = 0; i < AC_PASS__COUNT; ++i) moved.pass[i] = after.core.pass[i] - before.core.pass[i];
  for (unsigned i = 0; i < AC_SVC__COUNT; ++i) {
    moved.answered[i] = after.core.answered[i] - before.core.answered[i];
    moved.answered_bytes[i] = after.core.answered_bytes[i] - before.core.answered_bytes[i];
  }
  ac_stats want{};
  want.action[AC_ACT_PASS] = chained.size() + 1;
  want.pass[AC_PASS_MULTI_BUFFER] = chained.size() + 1;
  want.action[AC_ACT_ANSWER] = 1;
  want.answered[AC_SVC_ECHO] = 1;
  want.answered_bytes[AC_SVC_ECHO] = small->reply.size();
  EXPECT_EQ(describe_stats(moved), describe_stats(want));
  EXPECT_EQ(after.datapath.to_kernel - before.datapath.to_kernel, chained.size() + 1);
  EXPECT_EQ(after.datapath.to_kernel_dropped - before.datapath.to_kernel_dropped, 0u);
}

TEST(DpdkBurst, KernelFramesGoOutOfThePortUntouched) {
  AC_REQUIRE_EAL();
  RingHarness h;
  h.load(make_tables("default"));
  std::vector<Bytes> frames;
  for (const Vector& v : test_vectors())
    if (frames.size() < 10) frames.push_back(v.request);  // whatever the kernel sends, answerable or not
  for (const Bytes& f : frames) ASSERT_TRUE(h.from_kernel(f));
  EXPECT_EQ(dpdk::worker_poll(h.worker()), frames.size());
  EXPECT_EQ(h.to_wire(), frames);
  EXPECT_TRUE(h.to_kernel().empty());
  const LcoreCounters c = dpdk::read_counters(h.worker().counters);
  EXPECT_EQ(c.datapath.from_kernel, frames.size());
  EXPECT_EQ(c.datapath.rx_packets, 0u);
  EXPECT_EQ(c.core.action[AC_ACT_ANSWER] + c.core.action[AC_ACT_PASS], 0u) << "kernel frames never see the core";
}

// Per-VIP counters (abi.h ac_vip_stats) through real bursts: an answer and a pass on a VIP move
// its entry (test_tables.h gives each VIP one), a frame to no VIP moves none, the VIPs above the
// cap count in the shared entry, and an entry listed as fresh with a new set starts from zero.
TEST(DpdkBurst, PerVipCounters) {
  AC_REQUIRE_EAL();
  RingHarness h;
  h.load(make_tables("default"));
  auto vip_moves = [&](const std::vector<Bytes>& frames) {
    std::vector<ac_vip_stats> before, after;
    dpdk::add_vip_counters(*h.worker().vips, before);
    for (const Bytes& f : frames) EXPECT_TRUE(h.from_wire(f));
    dpdk::worker_poll(h.worker());
    h.to_wire();
    h.to_kernel();
    dpdk::add_vip_counters(*h.worker().vips, after);
    std::string out;
    for (std::size_t e = 0; e < after.size(); ++e)
      for (unsigned a = 0; a < AC_ACT__COUNT; ++a)
        if (after[e].action[a] != before[e].action[a])
          out += (out.empty() ? "" : " ") + std::to_string(e) + "." + ac_action_names[a] + "+" +
                 std::to_string(after[e].action[a] - before[e].action[a]);
    return out.empty() ? std::string("nothing") : out;
  };
  Bytes to_vip = echo_probe("198.51.100.7", "192.0.2.10");
  Bytes port_9 = to_vip;
  port_9[14 + 20 + 3] = 9;  // nothing serves port 9: passed (port_unknown); IPv4 UDP checksum 0
  EXPECT_EQ(vip_moves({to_vip, to_vip, port_9}), "0.answer+2 0.pass+1");
  EXPECT_EQ(vip_moves({echo_probe("2001:db8:c::7", "2001:db8::10")}), "2.answer+1");
  EXPECT_EQ(vip_moves({echo_probe("198.51.100.7", "203.0.113.99")}), "8.pass+1");
  EXPECT_EQ(vip_moves({echo_probe("198.51.100.7", "192.0.2.99")}), "nothing");

  FastpathTables capped = make_tables("default");
  capped.vips[0].value.stats = AC_VIP_STATS_OTHER;
  h.load(capped);
  EXPECT_EQ(vip_moves({to_vip}), std::to_string(AC_VIP_STATS_OTHER) + ".answer+1");

  // 192.0.2.10 takes entry 0 again, fresh (it held 2 answers and a pass): it starts from zero,
  // before this burst counts.
  FastpathTables fresh = make_tables("default");
  fresh.vip_stats_fresh = {0};
  h.load(fresh);
  ASSERT_TRUE(h.from_wire(to_vip));
  dpdk::worker_poll(h.worker());
  h.to_wire();
  std::vector<ac_vip_stats> now;
  dpdk::add_vip_counters(*h.worker().vips, now);
  EXPECT_EQ(now[0].action[AC_ACT_ANSWER], 1u);
  EXPECT_EQ(now[0].action[AC_ACT_PASS], 0u);
}

TEST(DpdkBurst, PartialTxIsRetriedThenFreedAndCounted) {
  AC_REQUIRE_EAL();
  RingHarness h(/*wire_tx_ring=*/4);  // holds 3 frames and nobody drains it
  h.load(make_tables("default"));
  const Vector* v = first_answer_v4();
  ASSERT_NE(v, nullptr);
  const unsigned free_before = rte_mempool_avail_count(h.pool());
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(h.from_wire(v->request));
  dpdk::worker_poll(h.worker());
  const LcoreCounters c = dpdk::read_counters(h.worker().counters);
  EXPECT_EQ(c.datapath.tx_answers, 3u);
  EXPECT_EQ(c.datapath.tx_answers_dropped, 5u);
  EXPECT_EQ(c.core.answered[AC_SVC_ECHO], 8u);
  std::vector<Bytes> out = h.to_wire();
  ASSERT_EQ(out.size(), 3u);
  for (const Bytes& b : out) EXPECT_TRUE(b == v->reply);
  EXPECT_EQ(rte_mempool_avail_count(h.pool()), free_before) << "dropped mbufs must go back to the pool";
}

// The worker's own buckets through real bursts: a source gets its burst of time answers, then the
// RATE kiss-o'-death (the vector's bytes); the buckets outlive a table swap (reload).
TEST(DpdkBurst, RateLimitAnswersThenKisses) {
  AC_REQUIRE_EAL();
  RingHarness h;
  const Vector* kod = nullptr;
  for (const Vector& v : test_vectors())
    if (v.name == "ntp_kod_v6") kod = &v;
  ASSERT_NE(kod, nullptr);
  FastpathTables t = make_tables("ntp_kod");
  t.ratelimit[AC_SVC_NTP].burst = 3;  // an hour per token: nothing refills during the test
  h.load(t);
  h.store().set_ntp(live_ntp_state("default"));
  const std::size_t stratum = kod->request.size() - 48 + 1;

  for (int i = 0; i < 2; ++i) ASSERT_TRUE(h.from_wire(kod->request));
  EXPECT_EQ(dpdk::worker_poll(h.worker()), 2u);
  h.load(t);  // a reload between bursts
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(h.from_wire(kod->request));
  EXPECT_EQ(dpdk::worker_poll(h.worker()), 2u);
  std::vector<Bytes> out = h.to_wire();
  ASSERT_EQ(out.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(out[i][stratum], 11) << "answer " << i << " should carry the time";
  EXPECT_TRUE(out[3] == kod->reply) << hex_diff(kod->reply, out[3]);
  const LcoreCounters c = dpdk::read_counters(h.worker().counters);
  EXPECT_EQ(c.core.answered[AC_SVC_NTP], 4u);
  EXPECT_EQ(c.core.rate_limited[AC_SVC_NTP], 1u);
}

TEST(DpdkBurst, HardwareChecksumVerdictIsTrusted) {
  AC_REQUIRE_EAL();
  RingHarness h;
  h.load(make_tables("default"));
  const Vector* v = first_answer_v4();
  ASSERT_NE(v, nullptr);
  Bytes corrupt = v->request;
  corrupt[14 + 10] ^= 0x5a;  // the IPv4 header checksum

  // Unknown: the core sums the header itself and passes the corrupt one.
  ASSERT_TRUE(h.from_wire(corrupt));
  dpdk::worker_poll(h.worker());
  EXPECT_TRUE(h.to_wire().empty());
  EXPECT_EQ(h.to_kernel(), std::vector<Bytes>{corrupt});
  EXPECT_EQ(dpdk::read_counters(h.worker().counters).core.pass[AC_PASS_BAD_IP_HEADER], 1u);

  // Good according to the NIC: not summed again, answered. The reply's checksum is the request's
  // updated for the words the reply changed (RFC 1624), so it is exactly as wrong as the one
  // the NIC vouched for: every other byte is the right reply's, and the header sums the same.
  ASSERT_TRUE(h.from_wire(corrupt, RTE_MBUF_F_RX_IP_CKSUM_GOOD));
  dpdk::worker_poll(h.worker());
  std::vector<Bytes> answered = h.to_wire();
  ASSERT_EQ(answered.size(), 1u);
  Bytes reply = answered[0];
  ASSERT_EQ(reply.size(), v->reply.size());
  auto header_sum = [](const Bytes& frame) {
    std::uint32_t sum = 0;
    for (std::size_t i = 14; i < 34; i += 2) sum += (frame[i] << 8) | frame[i + 1];
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return sum;
  };
  EXPECT_EQ(header_sum(reply), header_sum(corrupt));
  EXPECT_NE(header_sum(reply), 0xFFFFu);  // not a valid header: the corruption carried over
  Bytes right = v->reply;
  reply[24] = right[24];
  reply[25] = right[25];
  EXPECT_EQ(reply, right);

  // Bad according to the NIC: passed as a bad header even though the sum is right.
  ASSERT_TRUE(h.from_wire(v->request, RTE_MBUF_F_RX_IP_CKSUM_BAD));
  dpdk::worker_poll(h.worker());
  EXPECT_TRUE(h.to_wire().empty());
  EXPECT_EQ(h.to_kernel(), std::vector<Bytes>{v->request});
  EXPECT_EQ(dpdk::read_counters(h.worker().counters).core.pass[AC_PASS_BAD_IP_HEADER], 2u);
}

TEST(DpdkBurst, TableSwapUnderTraffic) {
  AC_REQUIRE_EAL();
  RingHarness h(1024, 32, /*idle_sleep_us=*/20);
  h.load(make_tables("default"));
  const Vector* v = first_answer_v4();
  ASSERT_NE(v, nullptr);

  std::atomic<bool> stop{false};
  std::thread worker([&] { dpdk::worker_loop(h.worker(), stop); });
  std::size_t sent = 0, answers = 0, passed = 0;
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < 8; ++i) sent += h.from_wire(v->request) ? 1 : 0;
    // Alternately answering and switched off: either verdict is right, a crash or a lost frame is not.
    h.load(make_tables(round % 2 ? "default" : "global_off"));
    for (const Bytes& b : h.to_wire()) {
      EXPECT_TRUE(b == v->reply);
      ++answers;
    }
    for (const Bytes& b : h.to_kernel()) {
      EXPECT_TRUE(b == v->request);
      ++passed;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (answers + passed < sent && std::chrono::steady_clock::now() < deadline) {
    answers += h.to_wire().size();
    passed += h.to_kernel().size();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  worker.join();
  EXPECT_EQ(answers + passed, sent);
  const LcoreCounters c = dpdk::read_counters(h.worker().counters);
  EXPECT_EQ(c.core.answered[AC_SVC_ECHO], answers);
  EXPECT_EQ(c.core.pass[AC_PASS_NOT_ANSWERING], passed);
  EXPECT_GT(c.loops, 0u);
}

// Two workers on a two-queue port, as with -l 0-2: each owns its queue pair on both sides, and
// a table swap waits for both.
TEST(DpdkBurst, EachWorkerOwnsItsQueuePair) {
  AC_REQUIRE_EAL();
  struct Rings {
    rte_ring* rx[2];
    rte_ring* tx[2];
    std::uint16_t port;
  };
  auto make = [](const char* name) {
    Rings r{};
    for (int q = 0; q < 2; ++q) {
      std::string base = std::string(name) + std::to_string(q);
      r.rx[q] = rte_ring_create((base + "rx").c_str(), 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
      r.tx[q] = rte_ring_create((base + "tx").c_str(), 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    }
    int port = rte_eth_from_rings(name, r.rx, 2, r.tx, 2, SOCKET_ID_ANY);
    EXPECT_GE(port, 0) << rte_strerror(rte_errno);
    r.port = static_cast<std::uint16_t>(port);
    return r;
  };
  Rings wire = make("mq_wire"), kernel = make("mq_kernel");
  dpdk::Mempool pool("mq_pool", 1023, 0);
  dpdk::PortPlan wire_plan = dpdk::configure_port(wire.port, {2, 256, 256, true, true, true});
  EXPECT_EQ(wire_plan.rss_hf, 0u) << "net_ring hashes nothing: RSS stays off";
  dpdk::StartedPort wire_started(wire_plan, pool.get(), true);
  dpdk::StartedPort kernel_started(dpdk::configure_port(kernel.port, {2, 256, 256, false, false, true}), pool.get(),
                                   false);
  std::string error;
  dpdk::TableStore store(2, dpdk::DpdkTables::build(make_tables("default"), error));
  std::vector<dpdk::Worker> workers(2);
  for (std::uint16_t q = 0; q < 2; ++q) {
    workers[q].config = {wire.port, q, kernel.port, q, 32, 10, q};
    workers[q].tables = &store;
    workers[q].reader_id = q;
  }
  const Vector* v = first_answer_v4();
  ASSERT_NE(v, nullptr);
  auto put = [&](rte_ring* ring, int n) {
    for (int i = 0; i < n; ++i) {
      rte_mbuf* m = rte_pktmbuf_alloc(pool.get());
      std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(v->request.size())), v->request.data(),
                  v->request.size());
      ASSERT_EQ(rte_ring_enqueue(ring, m), 0);
    }
  };
  put(wire.rx[0], 5);
  put(wire.rx[1], 9);
  put(kernel.rx[1], 3);

  std::atomic<bool> stop{false};
  std::thread t0([&] { dpdk::worker_loop(workers[0], stop); });
  std::thread t1([&] { dpdk::worker_loop(workers[1], stop); });
  for (const char* name : {"global_off", "default", "echo_allow", "default"})
    store.publish(dpdk::DpdkTables::build(make_tables(name), error));
  // A frame is answered or passed depending on which set was current when its worker polled
  // (global_off passes it): each queue's frames all come out, on its own queue pair.
  auto out = [&](int q) { return rte_ring_count(wire.tx[q]) + rte_ring_count(kernel.tx[q]); };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((out(0) < 5 || out(1) < 12) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  stop = true;
  t0.join();
  t1.join();

  EXPECT_EQ(out(0), 5u) << "queue 0's requests, answered or passed";
  EXPECT_EQ(out(1), 12u) << "queue 1's requests, answered or passed, and the kernel's frames";
  EXPECT_GE(rte_ring_count(wire.tx[1]), 3u) << "the kernel's frames go out of the port on queue 1";
  for (int q = 0; q < 2; ++q) {
    rte_mbuf* m;
    while (rte_ring_dequeue(wire.tx[q], reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
    while (rte_ring_dequeue(kernel.tx[q], reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
  }
  const LcoreCounters c0 = dpdk::read_counters(workers[0].counters), c1 = dpdk::read_counters(workers[1].counters);
  EXPECT_EQ(c0.datapath.rx_packets, 5u);
  EXPECT_EQ(c1.datapath.rx_packets, 9u);
  EXPECT_EQ(c0.datapath.from_kernel, 0u);
  EXPECT_EQ(c1.datapath.from_kernel, 3u);
  EXPECT_EQ(c0.datapath.tx_answers + c0.datapath.to_kernel, 5u);
  EXPECT_EQ(c1.datapath.tx_answers + c1.datapath.to_kernel, 9u);
  EXPECT_EQ(rte_mempool_avail_count(pool.get()), 1023u) << "every mbuf back in the pool";
  for (Rings* r : {&wire, &kernel})
    for (int q = 0; q < 2; ++q) {
      rte_ring_free(r->rx[q]);
      rte_ring_free(r->tx[q]);
    }
}

TEST(DpdkTables, BadRecordIsRefused) {
  AC_REQUIRE_EAL();
  FastpathTables t = make_tables("default");
  t.vips[0].prefix.len = 40;  // an IPv4 /40
  std::string error;
  EXPECT_EQ(dpdk::DpdkTables::build(t, error), nullptr);
  EXPECT_NE(error.find("vip 0"), std::string::npos) << error;
  // Host bits, which the configuration refuses too: 203.0.113.7/30.
  t = make_tables("default");
  Prefix host_bits;
  host_bits.family = 4;
  host_bits.len = 30;
  host_bits.addr = {203, 0, 113, 7};
  t.vips.push_back({host_bits, ac_vip_value{AC_VIP_F_ANSWERING, 1, 0, 0}});
  EXPECT_EQ(dpdk::DpdkTables::build(t, error), nullptr);
  EXPECT_NE(error.find("vip " + std::to_string(t.vips.size() - 1) + ": bad prefix"), std::string::npos) << error;
  EXPECT_NE(error.find("host bits"), std::string::npos) << error;
  t = make_tables("default");
  t.allow.push_back({AC_SVC_ECHO, host_bits});
  EXPECT_EQ(dpdk::DpdkTables::build(t, error), nullptr);
  EXPECT_NE(error.find("allow " + std::to_string(t.allow.size() - 1)), std::string::npos) << error;
  t = make_tables("default");
  t.ports[53] = ac_port_value{AC_SVC_F_ENABLED, 77};
  EXPECT_EQ(dpdk::DpdkTables::build(t, error), nullptr);
  EXPECT_NE(error.find("port 53"), std::string::npos) << error;
}

TEST(DpdkTables, WholeSpacePrefixesMatch) {
  AC_REQUIRE_EAL();
  FastpathTables t;
  t.vips.push_back({parse_prefix("0.0.0.0/0"), ac_vip_value{AC_VIP_F_ANSWERING, 1, 7, 0}});
  t.vips.push_back({parse_prefix("192.0.2.0/24"), ac_vip_value{0, 1, 8, 1}});
  t.allow.push_back({AC_SVC_ECHO, parse_prefix("::/0")});
  std::string error;
  auto built = dpdk::DpdkTables::build(t, error);
  ASSERT_NE(built, nullptr) << error;
  const std::uint8_t inside[4] = {192, 0, 2, 1}, outside[4] = {198, 51, 100, 1};
  ASSERT_NE(built->vip4(inside), nullptr);
  EXPECT_EQ(built->vip4(inside)->group, 8u);
  ASSERT_NE(built->vip4(outside), nullptr);
  EXPECT_EQ(built->vip4(outside)->group, 7u);
  const std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
  EXPECT_EQ(built->vip6(v6), nullptr);
  EXPECT_EQ(built->allowed6(AC_SVC_ECHO, v6), 1);
  EXPECT_EQ(built->allowed4(AC_SVC_ECHO, inside), 0);
}

}  // namespace
}  // namespace anycastd::test
