// SPDX-License-Identifier: Apache-2.0
#include "worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "burst_match.h"
#include "capture_match.h"
#include "env.h"
#include "options.h"

namespace anycastd::dpdk {
namespace {

static_assert(RTE_MBUF_DEFAULT_DATAROOM <= kCaptureFrameMax, "a frame of one mbuf must fit a capture slot");

inline int ip4_csum_state(const rte_mbuf* m) {
  switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
    case RTE_MBUF_F_RX_IP_CKSUM_GOOD: return 1;
    case RTE_MBUF_F_RX_IP_CKSUM_BAD: return -1;
    default: return 0;
  }
}

// Counters have one writer, this worker, and readers on other threads (stats, telemetry): a
// relaxed atomic store is a plain store on x86 and keeps the sharing defined.
template <typename Counter>  // std::uint64_t here, __u64 (unsigned long long) in ac_stats
inline void bump(Counter& counter, std::uint64_t n = 1) {
  __atomic_store_n(&counter, static_cast<Counter>(counter + n), __ATOMIC_RELAXED);
}

inline void send_all(std::uint16_t port, std::uint16_t queue, rte_mbuf** pkts, std::uint16_t n, std::uint64_t& sent,
                     std::uint64_t& dropped) {
  if (!n) return;
  std::uint16_t done = rte_eth_tx_burst(port, queue, pkts, n);
  for (int retry = 0; done < n && retry < kTxRetries; ++retry)
    done += rte_eth_tx_burst(port, queue, pkts + done, static_cast<std::uint16_t>(n - done));
  bump(sent, done);
  if (done < n) {
    rte_pktmbuf_free_bulk(pkts + done, n - done);
    bump(dropped, n - done);
  }
}

// Answers are counted once written, with the reply's length (a DNS reply is seldom the query's).
// A frame that matched no VIP (AC_VIP_STATS_NONE) is beyond the per-VIP entries.
inline void count(ac_stats& s, VipCounters& vips, ac_verdict v, const ac_headers& h, std::uint32_t bytes) {
  bump(s.action[v.action]);
  if (v.vip < AC_VIP_STATS_ENTRIES) bump(vips.entry[v.vip].action[v.action]);
  if (v.action == AC_ACT_ANSWER) {
    bump(s.answered[v.service]);
    bump(s.answered_bytes[v.service], bytes);
    if (v.limited) bump(s.rate_limited[v.service]);
    if (v.service == AC_SVC_DNS && h.dns.outcome < AC_DNS_OUT__COUNT) {
      bump(s.dns[h.dns.outcome]);
      if (h.dns.edns_flags & AC_DNS_EDNS_DO) bump(s.dns_do);
    }
  } else if (v.action == AC_ACT_DROP) {
    bump(s.rate_limited[v.service]);
  } else {
    bump(s.pass[v.reason]);
  }
}

// The port is set up for single-segment frames (fast free, no multi-segment TX). The kernel
// sends a chained frame only when the exception interface's MTU was raised above what one mbuf
// holds: dropped and counted, never handed to the port.
inline std::uint16_t keep_single_segment(rte_mbuf** pkts, std::uint16_t n, std::uint64_t& dropped) {
  std::uint16_t kept = 0;
  for (std::uint16_t i = 0; i < n; ++i) {
    if (pkts[i]->nb_segs == 1) {
      pkts[kept++] = pkts[i];
      continue;
    }
    rte_pktmbuf_free(pkts[i]);
    bump(dropped);
  }
  return kept;
}

// A frame as it is now, into the worker's capture ring.
inline void capture_copy(Worker& w, const rte_mbuf* m, std::uint8_t kind, std::uint8_t service) {
  w.capture->push(rte_pktmbuf_mtod(m, const std::uint8_t*), m->data_len, kind, service, ac_env_monotonic_now());
}

}  // namespace

unsigned worker_poll(Worker& w) {
  const WorkerConfig& cfg = w.config;
  LcoreCounters& c = w.counters;
  rte_mbuf* rx[kMaxBurst];
  rte_mbuf* answers[kMaxBurst];
  rte_mbuf* passed[kMaxBurst];
  rte_mbuf* dropped[kMaxBurst];
  BurstMatch match;

  // Wire -> core: answers back out of the port, everything else to the kernel, untouched.
  const DpdkTables* tables = w.tables->current();
  if (tables->generation() != w.counted_with) {
    // A new set: the entries its new VIPs take start from zero. This worker is their only
    // writer, and no VIP of the set before counted there (control/datapath/vip_series.h).
    for (std::uint32_t e : tables->vip_stats_fresh())
      if (e < AC_VIP_STATS_ENTRIES)
        for (auto& n : w.vips->entry[e].action) __atomic_store_n(&n, 0, __ATOMIC_RELAXED);
    w.counted_with = tables->generation();
  }
  const DnsTable* dns = w.tables->dns();
  // The capture's switch, read once per burst: while none runs, its whole cost is this load and
  // a branch per answered frame.
  const ac_capture_config* capture = w.tables->capture();
  ac_env env{.tables = tables,
             .ip4_csum = 0,
             .ntp = w.tables->ntp(),
             .dns = dns ? dns->image() : nullptr,
             .mbuf = nullptr,
             .frame_end = nullptr,
             .room_end = nullptr,
             .buckets = w.buckets.get(),
             .mono_ns = 0,
             .matched_daddr = nullptr,
             .matched_vip = nullptr,
             .edns = w.tables->dns_edns()};
  const std::uint16_t n = rte_eth_rx_burst(cfg.port, cfg.queue, rx, cfg.burst);
  std::uint16_t n_answers = 0, n_passed = 0, n_dropped = 0;
  if (n && tables->any_ratelimit()) env.mono_ns = ac_env_monotonic_now();
  match_burst(*tables, rx, n, match);
  for (std::uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = rx[i];
    std::uint8_t* data = rte_pktmbuf_mtod(m, std::uint8_t*);
    env.ip4_csum = ip4_csum_state(m);
    env.mbuf = m;
    env.matched_daddr = match.daddr[i];
    env.matched_vip = match.vip[i];
    ac_headers h;
    ac_verdict v;
    if (m->nb_segs > 1) {
      // A chained mbuf passes whole, as XDP passes a multi-buffer frame: the core sees only the
      // first segment, a reply is written in place in one buffer, and the port sends single
      // segments only. The port never asks for scatter (port.cpp), yet chains can still come:
      // the TAP PMD chains what one mbuf cannot hold, and ixgbe, i40e and others turn scattered
      // RX on by themselves when the largest frame exceeds the buffer.
      v = ac_pass(AC_PASS_MULTI_BUFFER);
    } else {
      v = ac_decide(&env, data, data + m->data_len, &h);
      if (v.action == AC_ACT_ANSWER) {
        // The request as it came, then the answer as it leaves; the filter sees the request.
        const bool captured = capture && ac_capture_match(capture, &h);
        if (captured) capture_copy(w, m, AC_CAPTURE_REQUEST, v.service);
        v = ac_respond(&env, &h, v);  // a reply that cannot be made passes
        if (captured && v.action == AC_ACT_ANSWER) capture_copy(w, m, AC_CAPTURE_ANSWER, v.service);
      }
    }
    count(c.core, *w.vips, v, h, m->pkt_len);
    if (v.action == AC_ACT_ANSWER)
      answers[n_answers++] = m;
    else if (v.action == AC_ACT_DROP)
      dropped[n_dropped++] = m;
    else
      passed[n_passed++] = m;
  }
  if (n_dropped) rte_pktmbuf_free_bulk(dropped, n_dropped);
  bump(c.datapath.rx_packets, n);
  send_all(cfg.port, cfg.queue, answers, n_answers, c.datapath.tx_answers, c.datapath.tx_answers_dropped);
  send_all(cfg.exception_port, cfg.exception_queue, passed, n_passed, c.datapath.to_kernel,
           c.datapath.to_kernel_dropped);

  // Kernel -> wire: ARP/ND replies, TCP from the VIP sockets, anything the kernel routes out.
  const std::uint16_t k = rte_eth_rx_burst(cfg.exception_port, cfg.exception_queue, rx, cfg.burst);
  const std::uint16_t single = keep_single_segment(rx, k, c.datapath.from_kernel_dropped);
  send_all(cfg.port, cfg.queue, rx, single, c.datapath.from_kernel, c.datapath.from_kernel_dropped);

  bump(c.loops);
  return n + k;
}

void worker_loop(Worker& w, const std::atomic<bool>& stop) {
  w.tables->register_reader(w.reader_id);
  unsigned empty = 0;
  std::uint32_t sleep_us = 1;
  while (!stop.load(std::memory_order_relaxed)) {
    if (worker_poll(w)) {
      empty = 0;
      sleep_us = 1;
    } else if (w.config.idle_sleep_us && ++empty >= kIdlePolls) {
      // Offline while asleep, so a table swap never waits for a sleeping worker.
      w.tables->offline(w.reader_id);
      rte_delay_us_sleep(sleep_us);
      w.tables->online(w.reader_id);
      bump(w.counters.datapath.idle_sleeps);
      sleep_us = sleep_us * 2 > w.config.idle_sleep_us ? w.config.idle_sleep_us : sleep_us * 2;
    }
    w.tables->quiescent(w.reader_id);
  }
  w.tables->unregister_reader(w.reader_id);
}

LcoreCounters read_counters(const LcoreCounters& c) {
  // Each 64-bit counter is written by its worker only; relaxed loads of each suffice for stats.
  LcoreCounters out;
  const auto* from = reinterpret_cast<const std::uint64_t*>(&c);
  auto* to = reinterpret_cast<std::uint64_t*>(&out);
  static_assert(sizeof(LcoreCounters) % sizeof(std::uint64_t) == 0);
  for (std::size_t i = 0; i < sizeof(LcoreCounters) / sizeof(std::uint64_t); ++i)
    to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
  return out;
}

void add_vip_counters(const VipCounters& c, std::vector<ac_vip_stats>& sum) {
  sum.resize(AC_VIP_STATS_ENTRIES);
  for (std::size_t e = 0; e < AC_VIP_STATS_ENTRIES; ++e)
    for (int a = 0; a < AC_ACT__COUNT; ++a) sum[e].action[a] += __atomic_load_n(&c.entry[e].action[a], __ATOMIC_RELAXED);
}

}  // namespace anycastd::dpdk
