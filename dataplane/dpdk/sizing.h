// SPDX-License-Identifier: Apache-2.0
#pragma once

// How many mbufs the one pool needs: every descriptor of every queue of both ports can hold one,
// each worker has up to two bursts in flight (port and exception side), and each lcore's cache
// can hold up to 1.5 times its size before it flushes. Rounded up to 2^n - 1, the size
// rte_mempool stores best.

#include <cstdint>

namespace anycastd::dpdk {

struct PoolNeeds {
  std::uint32_t ports;           // the port and the exception device
  std::uint32_t queues;          // RX/TX queue pairs per port
  std::uint32_t rx_descriptors;  // per queue, as adjusted by the device
  std::uint32_t tx_descriptors;
  std::uint32_t lcores;          // every lcore that may take mbufs from the pool, main included
  std::uint32_t burst;
  std::uint32_t cache;           // per-lcore cache size
};

inline std::uint32_t mbuf_pool_size(const PoolNeeds& n) {
  std::uint64_t need = std::uint64_t{n.ports} * n.queues * (n.rx_descriptors + n.tx_descriptors) +
                       std::uint64_t{n.lcores} * (2ull * n.burst + (3ull * n.cache + 1) / 2);
  std::uint64_t size = 1;
  while (size - 1 < need) size <<= 1;
  return static_cast<std::uint32_t>(size - 1);
}

// rte_mempool wants cache <= RTE_MEMPOOL_CACHE_MAX_SIZE (512) and cache * 1.5 <= pool size.
inline constexpr std::uint32_t kMbufCache = 256;

}  // namespace anycastd::dpdk
