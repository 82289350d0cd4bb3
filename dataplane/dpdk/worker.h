// SPDX-License-Identifier: Apache-2.0
#pragma once

// A worker: one lcore, one RX/TX queue pair of the port and the same-numbered queue pair of the
// exception device. Wire -> packet core -> answers back out of the port, the rest to the kernel;
// kernel -> wire. Counters are the worker's own (no sharing on the hot path); readers on other
// threads load them relaxed.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "abi.h"
#include "capture_ring.h"
#include "channel.h"
#include "ratelimit_table.h"
#include "table_store.h"

namespace anycastd::dpdk {

struct alignas(64) LcoreCounters {
  std::uint64_t loops;  // heartbeat: polling iterations so far
  ac_stats core;
  channel::DatapathCounters datapath;
};

// The worker's per-VIP counters (abi.h ac_vip_stats, at ac_verdict.vip), apart from
// LcoreCounters, which is copied whole for every stats request: this is 49 KiB.
struct alignas(64) VipCounters {
  ac_vip_stats entry[AC_VIP_STATS_ENTRIES];
};

struct WorkerConfig {
  std::uint16_t port;
  std::uint16_t queue;
  std::uint16_t exception_port;
  std::uint16_t exception_queue;
  std::uint16_t burst;           // <= kMaxBurst
  std::uint32_t idle_sleep_us;   // longest back-off sleep; 0: busy poll
  unsigned lcore;                // for stats only
};

struct Worker {
  WorkerConfig config;
  TableStore* tables;
  unsigned reader_id;  // TableStore reader id
  LcoreCounters counters{};
  std::unique_ptr<VipCounters> vips = std::make_unique<VipCounters>();
  std::uint64_t counted_with = 0;  // DpdkTables::generation() of the set the last burst ran with
  // This worker's rate-limit buckets: limits are per lcore (ratelimit_table.h). They outlive
  // table swaps, so a reload does not hand every source a fresh burst.
  std::unique_ptr<RateLimitTable> buckets = std::make_unique<RateLimitTable>();
  // Where this worker copies what a capture wants (TableStore::capture()). Shared on purpose:
  // the worker pushes, the main lcore (ChannelServer) drains, through a const Worker too.
  std::unique_ptr<CaptureRing> capture = std::make_unique<CaptureRing>();
};

// Bounded retries of a partial TX before the rest is freed and counted as dropped.
inline constexpr int kTxRetries = 3;
// Empty polls before the first back-off sleep.
inline constexpr unsigned kIdlePolls = 256;

// One iteration: a port burst through the core, then an exception burst to the port. Returns
// the frames received on both sides (0: idle). Whenever another thread may publish tables, call
// it as a registered, online TableStore reader (worker_loop does).
unsigned worker_poll(Worker& w);

// Polls until `stop`, reporting quiescent states, backing off when idle. Registers and
// unregisters the reader itself.
void worker_loop(Worker& w, const std::atomic<bool>& stop);

// A consistent-enough copy of a worker's counters from another thread.
LcoreCounters read_counters(const LcoreCounters& c);
// Adds a worker's per-VIP counters to `sum` (AC_VIP_STATS_ENTRIES entries), loaded relaxed.
void add_vip_counters(const VipCounters& c, std::vector<ac_vip_stats>& sum);

}  // namespace anycastd::dpdk
