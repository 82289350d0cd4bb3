// SPDX-License-Identifier: Apache-2.0
#pragma once

// The live table set and its safe replacement. Workers read the pointer once per burst and
// report a quiescent state once per loop (offline while they sleep); publish() swaps the pointer
// and frees the old set only after every registered worker has passed a quiescent state since
// (rte_rcu_qsbr), so no burst ever reads freed tables.

#include <rte_rcu_qsbr.h>

#include <atomic>
#include <memory>

#include "dpdk_tables.h"

namespace anycastd::dpdk {

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

 private:
  rte_rcu_qsbr* qsbr_ = nullptr;
  std::atomic<const DpdkTables*> current_{nullptr};
  std::unique_ptr<DpdkTables> owned_;
};

}  // namespace anycastd::dpdk
