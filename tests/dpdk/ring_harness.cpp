// SPDX-License-Identifier: Apache-2.0
#include "ring_harness.h"

#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>

namespace anycastd::test {
namespace {

std::string unique(const std::string& name) {
  static std::atomic<unsigned> n{0};
  return name + std::to_string(n.fetch_add(1));
}

}  // namespace

RingPort::RingPort(const std::string& base, unsigned tx_ring_size) {
  const std::string name = unique(base);
  rx_ = rte_ring_create((name + "_rx").c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  tx_ = rte_ring_create((name + "_tx").c_str(), tx_ring_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (!rx_ || !tx_) throw std::runtime_error("rte_ring_create: " + std::string(rte_strerror(rte_errno)));
  int port = rte_eth_from_rings(name.c_str(), &rx_, 1, &tx_, 1, SOCKET_ID_ANY);
  if (port < 0) throw std::runtime_error("rte_eth_from_rings: " + std::string(rte_strerror(rte_errno)));
  port_ = static_cast<std::uint16_t>(port);
}

RingPort::~RingPort() {
  rte_ring_free(rx_);
  rte_ring_free(tx_);
}

RingHarness::RingHarness(unsigned wire_tx_ring, std::uint16_t burst, std::uint32_t idle_sleep_us)
    : wire_(std::make_unique<RingPort>("wire", wire_tx_ring)), kernel_(std::make_unique<RingPort>("kernel", 1024)) {
  dpdk::PortPlan wire = dpdk::configure_port(wire_->port(), {1, 256, 256, true, true, true});
  dpdk::PortPlan kernel = dpdk::configure_port(kernel_->port(), {1, 256, 256, false, false, true});
  pool_ = std::make_unique<dpdk::Mempool>(unique("pool"), 4095, 0);
  wire_started_ = std::make_unique<dpdk::StartedPort>(wire, pool_->get(), true);
  kernel_started_ = std::make_unique<dpdk::StartedPort>(kernel, pool_->get(), false);
  std::string error;
  auto empty = dpdk::DpdkTables::build(FastpathTables{}, error);
  if (!empty) throw std::runtime_error(error);
  store_ = std::make_unique<dpdk::TableStore>(1, std::move(empty));
  worker_.config = {wire_->port(), 0, kernel_->port(), 0, burst, idle_sleep_us, 0};
  worker_.tables = store_.get();
  worker_.reader_id = 0;
}

RingHarness::~RingHarness() {
  to_wire();
  to_kernel();
  // The rings may still hold frames the test put there and no worker polled.
  rte_mbuf* m;
  while (rte_ring_dequeue(wire_->rx(), reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
  while (rte_ring_dequeue(kernel_->rx(), reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
  wire_started_.reset();
  kernel_started_.reset();
}

void RingHarness::load(const FastpathTables& tables) {
  std::string error;
  auto built = dpdk::DpdkTables::build(tables, error);
  if (!built) throw std::runtime_error("table build: " + error);
  store_->publish(std::move(built));
}

bool RingHarness::put(rte_ring* ring, const Bytes& frame, std::uint64_t ol_flags) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool_->get());
  if (!m) throw std::runtime_error("test mbuf pool empty");
  char* data = rte_pktmbuf_append(m, static_cast<std::uint16_t>(frame.size()));
  if (!data && !frame.empty()) throw std::runtime_error("frame too long for an mbuf");
  if (!frame.empty()) std::memcpy(data, frame.data(), frame.size());
  m->ol_flags = ol_flags;
  if (rte_ring_enqueue(ring, m) != 0) {
    rte_pktmbuf_free(m);
    return false;
  }
  return true;
}

bool RingHarness::from_wire(const Bytes& frame, std::uint64_t ol_flags) { return put(wire_->rx(), frame, ol_flags); }
bool RingHarness::from_kernel(const Bytes& frame) { return put(kernel_->rx(), frame, 0); }

bool RingHarness::from_wire_chained(const Bytes& frame, std::size_t segment) {
  rte_mbuf* head = nullptr;
  for (std::size_t at = 0; at < frame.size(); at += segment) {
    const std::size_t n = std::min(segment, frame.size() - at);
    rte_mbuf* m = rte_pktmbuf_alloc(pool_->get());
    if (!m) throw std::runtime_error("test mbuf pool empty");
    char* data = rte_pktmbuf_append(m, static_cast<std::uint16_t>(n));
    if (!data) throw std::runtime_error("segment too long for an mbuf");
    std::memcpy(data, frame.data() + at, n);
    if (!head) {
      head = m;
    } else if (rte_pktmbuf_chain(head, m) != 0) {
      rte_pktmbuf_free(m);
      rte_pktmbuf_free(head);
      throw std::runtime_error("too many segments for one chain");
    }
  }
  if (!head) throw std::runtime_error("an empty frame makes no chain");
  if (rte_ring_enqueue(wire_->rx(), head) != 0) {
    rte_pktmbuf_free(head);
    return false;
  }
  return true;
}
std::vector<Bytes> RingHarness::to_wire() { return drain(wire_->tx()); }
std::vector<Bytes> RingHarness::to_kernel() { return drain(kernel_->tx()); }

std::vector<Bytes> RingHarness::drain(rte_ring* ring) {
  std::vector<Bytes> out;
  rte_mbuf* m;
  while (rte_ring_dequeue(ring, reinterpret_cast<void**>(&m)) == 0) {
    Bytes frame;
    for (const rte_mbuf* seg = m; seg; seg = seg->next) {
      const auto* p = rte_pktmbuf_mtod(seg, const std::uint8_t*);
      frame.insert(frame.end(), p, p + seg->data_len);
    }
    out.push_back(std::move(frame));
    rte_pktmbuf_free(m);
  }
  return out;
}

}  // namespace anycastd::test
