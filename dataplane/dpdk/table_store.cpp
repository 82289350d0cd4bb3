// SPDX-License-Identifier: Apache-2.0
#include "table_store.h"

#include <rte_errno.h>
#include <rte_malloc.h>

#include <stdexcept>
#include <string>

namespace anycastd::dpdk {

TableStore::TableStore(unsigned max_readers, std::unique_ptr<DpdkTables> initial) {
  if (max_readers == 0) max_readers = 1;
  size_t size = rte_rcu_qsbr_get_memsize(max_readers);
  qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("ac_tables_qsbr", size, RTE_CACHE_LINE_SIZE));
  if (!qsbr_) throw std::runtime_error("allocating the table RCU state: out of DPDK memory");
  if (rte_rcu_qsbr_init(qsbr_, max_readers) != 0) {
    rte_free(qsbr_);
    throw std::runtime_error("rte_rcu_qsbr_init: " + std::string(rte_strerror(rte_errno)));
  }
  owned_ = std::move(initial);
  current_.store(owned_.get(), std::memory_order_release);
}

TableStore::~TableStore() { rte_free(qsbr_); }

void TableStore::register_reader(unsigned id) {
  rte_rcu_qsbr_thread_register(qsbr_, id);
  rte_rcu_qsbr_thread_online(qsbr_, id);
}

void TableStore::unregister_reader(unsigned id) {
  rte_rcu_qsbr_thread_offline(qsbr_, id);
  rte_rcu_qsbr_thread_unregister(qsbr_, id);
}

void TableStore::publish(std::unique_ptr<DpdkTables> next) {
  std::unique_ptr<DpdkTables> old = std::move(owned_);
  owned_ = std::move(next);
  current_.store(owned_.get(), std::memory_order_release);
  rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
  // `old` goes here: no registered reader can still hold it.
}

void TableStore::publish_dns(std::unique_ptr<DnsTable> next) {
  std::unique_ptr<DnsTable> old = std::move(dns_owned_);
  dns_owned_ = std::move(next);
  dns_.store(dns_owned_.get(), std::memory_order_release);
  rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
  // `old` is unmapped here: no registered reader can still hold it.
}

void TableStore::publish_capture(std::unique_ptr<ac_capture_config> next) {
  std::unique_ptr<ac_capture_config> old = std::move(capture_owned_);
  capture_owned_ = std::move(next);
  capture_.store(capture_owned_.get(), std::memory_order_release);
  rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
  // `old` goes here: no burst still filters with it, nor copies for its capture.
}

}  // namespace anycastd::dpdk
