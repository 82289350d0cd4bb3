// SPDX-License-Identifier: Apache-2.0
#pragma once

// A worker over two net_ring ports, set up by the datapath's own port code: the wire (frames the
// test puts on its RX ring come in from the network, answers appear on its TX ring) and the
// kernel side (passed frames appear on its TX ring, what the test puts on its RX ring is what
// the kernel sends).

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <memory>
#include <string>
#include <vector>

#include "hex.h"
#include "port.h"
#include "table_store.h"
#include "tables/fastpath_tables.h"
#include "worker.h"

namespace anycastd::test {

class RingPort {
 public:
  RingPort(const std::string& name, unsigned tx_ring_size);
  ~RingPort();
  std::uint16_t port() const { return port_; }
  rte_ring* rx() const { return rx_; }
  rte_ring* tx() const { return tx_; }

 private:
  rte_ring* rx_;
  rte_ring* tx_;
  std::uint16_t port_;
};

class RingHarness {
 public:
  explicit RingHarness(unsigned wire_tx_ring = 1024, std::uint16_t burst = 32, std::uint32_t idle_sleep_us = 0);
  ~RingHarness();

  // Builds and publishes a table set (throws with the build error). The test thread polls
  // without registering as a reader, so the swap waits only for a worker thread, if any.
  void load(const FastpathTables& tables);

  // Frames onto the wire's / the kernel's RX ring; false if the ring is full.
  bool from_wire(const Bytes& frame, std::uint64_t ol_flags = 0);
  bool from_kernel(const Bytes& frame);
  // A frame onto the wire's RX ring as a chain of mbufs of at most `segment` bytes each, as a
  // PMD with scattered RX delivers a frame larger than one buffer.
  bool from_wire_chained(const Bytes& frame, std::size_t segment);
  // Everything on the wire's / the kernel's TX ring, in order (every segment of a chain), freed
  // back to the pool.
  std::vector<Bytes> to_wire();
  std::vector<Bytes> to_kernel();

  rte_mempool* pool() const { return pool_->get(); }
  dpdk::Worker& worker() { return worker_; }
  dpdk::TableStore& store() { return *store_; }
  std::uint16_t wire_port() const { return wire_->port(); }

 private:
  static std::vector<Bytes> drain(rte_ring* ring);
  bool put(rte_ring* ring, const Bytes& frame, std::uint64_t ol_flags);

  std::unique_ptr<RingPort> wire_, kernel_;
  std::unique_ptr<dpdk::Mempool> pool_;
  std::unique_ptr<dpdk::StartedPort> wire_started_, kernel_started_;
  std::unique_ptr<dpdk::TableStore> store_;
  dpdk::Worker worker_{};
};

}  // namespace anycastd::test
