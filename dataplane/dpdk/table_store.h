// SPDX-License-Identifier: Apache-2.0
#pragma once

// The live table set and its safe replacement. Workers read the pointer once per burst and
// report a quiescent state once per loop (offline while they sleep); publish() swaps the pointer
// and frees the old set only after every registered worker has passed a quiescent state since
// (rte_rcu_qsbr), so no burst ever reads freed tables. The DNS answer table is published the
// same way on its own: zones reload without the VIP tables, and the VIP tables change (a group
// starts or stops answering) without a DNS table's copy.

#include <rte_rcu_qsbr.h>

#include <atomic>
#include <cstring>
#include <memory>

#include "dns_table.h"
#include "dpdk_tables.h"

namespace anycastd::dpdk {

// A small state control sends often (the NTP clock state, the DNS options' settings with their
// clock): written by the channel thread about once a second, copied by each worker once per
// burst. A sequence lock (odd while a write is under way; a reader that overlapped a write reads
// again) keeps the copy whole without making workers wait on anything.
template <typename State>
class StateCell {
 public:
  void store(const State& state) {
    std::uint64_t words[kWords];
    std::memcpy(words, &state, sizeof state);
    seq_.fetch_add(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    for (std::size_t i = 0; i < kWords; ++i) __atomic_store_n(&words_[i], words[i], __ATOMIC_RELAXED);
    seq_.fetch_add(1, std::memory_order_release);
  }
  State load() const {
    std::uint64_t words[kWords];
    for (;;) {
      std::uint32_t before = seq_.load(std::memory_order_acquire);
      if (before & 1) continue;
      for (std::size_t i = 0; i < kWords; ++i) words[i] = __atomic_load_n(&words_[i], __ATOMIC_RELAXED);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (seq_.load(std::memory_order_relaxed) == before) break;
    }
    State state;
    std::memcpy(&state, words, sizeof state);
    return state;
  }

 private:
  static_assert(sizeof(State) % sizeof(std::uint64_t) == 0);
  static constexpr std::size_t kWords = sizeof(State) / sizeof(std::uint64_t);
  std::atomic<std::uint32_t> seq_{0};
  // All zero until control writes: NTP has no VALID flag and passes, DNS ignores the options.
  std::uint64_t words_[kWords] = {};
};

class TableStore {
 public:
  // Starts with `initial` (an empty set passes everything). Throws std::runtime_error.
  TableStore(unsigned max_readers, std::unique_ptr<DpdkTables> initial);
  ~TableStore();
  TableStore(const TableStore&) = delete;
  TableStore& operator=(const TableStore&) = delete;

  // Reader side (one id per worker, 0 .. max_readers-1).
  void register_reader(unsigned id);  // registers and goes online
  void unregister_reader(unsigned id);
  const DpdkTables* current() const { return current_.load(std::memory_order_acquire); }
  void quiescent(unsigned id) { rte_rcu_qsbr_quiescent(qsbr_, id); }
  void offline(unsigned id) { rte_rcu_qsbr_thread_offline(qsbr_, id); }
  void online(unsigned id) { rte_rcu_qsbr_thread_online(qsbr_, id); }

  // Writer side, one thread (the main lcore); blocks until the old set is unreachable.
  void publish(std::unique_ptr<DpdkTables> next);

  // The DNS answer table (nullptr until control sends one: DNS queries pass, dns_no_table).
  // Readers take it once per burst, as current(); one writer, which blocks like publish().
  const DnsTable* dns() const { return dns_.load(std::memory_order_acquire); }
  void publish_dns(std::unique_ptr<DnsTable> next);

  // The capture running (docs/capture.md): its filter, nullptr while none runs. Readers take it
  // once per burst, as current(); one writer, which blocks like publish(), so that once it
  // returns no worker copies for the capture it replaced.
  const ac_capture_config* capture() const { return capture_.load(std::memory_order_acquire); }
  void publish_capture(std::unique_ptr<ac_capture_config> next);

  // The NTP clock state, apart from the tables: it changes every second, the tables seldom.
  void set_ntp(const ac_ntp_state& state) { ntp_.store(state); }
  ac_ntp_state ntp() const { return ntp_.load(); }

  // NSID and cookie secrets with their clock (abi.h ac_dns_edns), likewise every second.
  void set_dns_edns(const ac_dns_edns& edns) { dns_edns_.store(edns); }
  ac_dns_edns dns_edns() const { return dns_edns_.load(); }

 private:
  rte_rcu_qsbr* qsbr_ = nullptr;
  std::atomic<const DpdkTables*> current_{nullptr};
  std::unique_ptr<DpdkTables> owned_;
  std::atomic<const DnsTable*> dns_{nullptr};
  std::unique_ptr<DnsTable> dns_owned_;
  std::atomic<const ac_capture_config*> capture_{nullptr};
  std::unique_ptr<ac_capture_config> capture_owned_;
  StateCell<ac_ntp_state> ntp_;
  StateCell<ac_dns_edns> dns_edns_;
};

}  // namespace anycastd::dpdk
