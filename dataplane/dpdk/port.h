// SPDX-License-Identifier: Apache-2.0
#pragma once

// Owned DPDK resources and port setup. Each owner undoes exactly what it did, in reverse order
// of construction: EAL last, then the pool, the hot-plugged exception device, the ports.

#include <rte_mempool.h>

#include <cstdint>
#include <string>
#include <vector>

namespace anycastd::dpdk {

// rte_eal_init / rte_eal_cleanup. Throws std::runtime_error naming EAL's complaint.
class Eal {
 public:
  explicit Eal(const std::vector<std::string>& args);  // args as after `--`, without a program name
  ~Eal();
  Eal(const Eal&) = delete;
  Eal& operator=(const Eal&) = delete;
};

class Mempool {
 public:
  Mempool(const std::string& name, std::uint32_t mbufs, std::uint32_t cache);  // throws
  ~Mempool();
  Mempool(const Mempool&) = delete;
  Mempool& operator=(const Mempool&) = delete;
  rte_mempool* get() const { return pool_; }

 private:
  rte_mempool* pool_;
};

// A device added with rte_dev_probe (the exception path), removed again on destruction.
class Vdev {
 public:
  Vdev(const std::string& name, const std::string& devargs);  // throws
  ~Vdev();
  Vdev(const Vdev&) = delete;
  Vdev& operator=(const Vdev&) = delete;
  std::uint16_t port() const { return port_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::uint16_t port_ = 0;
};

struct PortRequest {
  std::uint16_t queues;          // RX/TX queue pairs
  std::uint16_t rx_descriptors;  // wanted; the device may adjust
  std::uint16_t tx_descriptors;
  bool rss;                      // RSS over the queues (when more than one)
  bool rx_ip_checksum;           // enable the RX IPv4 checksum offload where offered
  bool fast_free;                // enable MBUF_FAST_FREE where offered
};

// What configure() settled on.
struct PortPlan {
  std::uint16_t port;
  std::uint16_t queues;
  std::uint16_t rx_descriptors;
  std::uint16_t tx_descriptors;
  std::uint64_t rss_hf;  // 0: no RSS
  bool rx_ip_checksum;
  bool fast_free;
  std::string driver;
};

// Configures the port (queues, RSS masked by what the device supports, offloads) and adjusts
// the descriptor counts; the queues are set up by start(). Throws std::runtime_error naming the
// step and the port.
PortPlan configure_port(std::uint16_t port, const PortRequest& request);

// Closes a configured port if set-up fails before its StartedPort exists (a vdev, the pool):
// without it, net_af_xdp would leave its XDP program on the interface.
class PortCloseGuard {
 public:
  explicit PortCloseGuard(std::uint16_t port) : port_(port) {}
  ~PortCloseGuard();
  PortCloseGuard(const PortCloseGuard&) = delete;
  PortCloseGuard& operator=(const PortCloseGuard&) = delete;
  void release() { armed_ = false; }  // a StartedPort owns the port now

 private:
  std::uint16_t port_;
  bool armed_ = true;
};

// A configured port with its queues set up and started; stopped and closed on destruction (and
// closed if starting it fails).
class StartedPort {
 public:
  StartedPort(const PortPlan& plan, rte_mempool* pool, bool allmulticast);  // throws
  ~StartedPort();
  StartedPort(const StartedPort&) = delete;
  StartedPort& operator=(const StartedPort&) = delete;
  std::uint16_t id() const { return port_; }

 private:
  std::uint16_t port_;
};

std::string port_driver(std::uint16_t port);
std::string mac_text(const std::uint8_t (&mac)[6]);

}  // namespace anycastd::dpdk
