// SPDX-License-Identifier: Apache-2.0
#include "port.h"

#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdio>
#include <stdexcept>

namespace anycastd::dpdk {
namespace {

std::string port_text(std::uint16_t port) { return "port " + std::to_string(port); }

[[noreturn]] void fail(const std::string& what, int rc) {
  throw std::runtime_error(what + ": " + rte_strerror(rc < 0 ? -rc : rc));
}

}  // namespace

Eal::Eal(const std::vector<std::string>& args) {
  std::vector<std::string> copy;
  copy.reserve(args.size() + 1);
  copy.push_back("anycastd-dpdk");
  copy.insert(copy.end(), args.begin(), args.end());
  // rte_eal_init permutes argv; it gets its own array over strings that outlive the call.
  std::vector<char*> argv;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(copy.size()), argv.data()) < 0)
    throw std::runtime_error(std::string("EAL initialisation failed (rte_eal_init): ") + rte_strerror(rte_errno) +
                             "; check the EAL arguments after -- and EAL's messages above");
}

Eal::~Eal() { rte_eal_cleanup(); }

Mempool::Mempool(const std::string& name, std::uint32_t mbufs, std::uint32_t cache)
    : pool_(rte_pktmbuf_pool_create(name.c_str(), mbufs, cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY)) {
  if (!pool_)
    throw std::runtime_error("creating the mbuf pool of " + std::to_string(mbufs) +
                             " mbufs: " + rte_strerror(rte_errno) + " (raise EAL's -m)");
}

Mempool::~Mempool() { rte_mempool_free(pool_); }

Vdev::Vdev(const std::string& name, const std::string& devargs) : name_(name) {
  std::string full = name + (devargs.empty() ? "" : "," + devargs);
  int rc = rte_dev_probe(full.c_str());
  if (rc < 0) fail("adding the exception device \"" + full + "\"", rc);
  rc = rte_eth_dev_get_port_by_name(name.c_str(), &port_);
  if (rc < 0) {
    rte_eal_hotplug_remove("vdev", name.c_str());
    fail("the exception device " + name + " has no ethdev port", rc);
  }
}

// Removal closes the port if StartedPort has not, and takes the kernel interface with it.
Vdev::~Vdev() { rte_eal_hotplug_remove("vdev", name_.c_str()); }

std::string port_driver(std::uint16_t port) {
  rte_eth_dev_info info{};
  if (rte_eth_dev_info_get(port, &info) != 0 || !info.driver_name) return "";
  return info.driver_name;
}

std::string mac_text(const std::uint8_t (&mac)[6]) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return text;
}

PortPlan configure_port(std::uint16_t port, const PortRequest& request) {
  rte_eth_dev_info info{};
  int rc = rte_eth_dev_info_get(port, &info);
  if (rc != 0) fail("reading the device info of " + port_text(port), rc);
  if (request.queues > info.max_rx_queues || request.queues > info.max_tx_queues)
    throw std::runtime_error(port_text(port) + " (" + info.driver_name + ") has at most " +
                             std::to_string(info.max_rx_queues) + " RX / " + std::to_string(info.max_tx_queues) +
                             " TX queues; " + std::to_string(request.queues) +
                             " worker lcores need one pair each (fewer lcores in -l, or more device queues)");

  PortPlan plan{port, request.queues, request.rx_descriptors, request.tx_descriptors, 0, false, false,
                info.driver_name ? info.driver_name : ""};
  rte_eth_conf conf{};
  if (request.rss && request.queues > 1) {
    plan.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP) & info.flow_type_rss_offloads;
    if (plan.rss_hf) {
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_hf = plan.rss_hf;
    } else {
      std::fprintf(stderr, "anycastd-dpdk: %s (%s) hashes none of IP/UDP/TCP: without RSS only queue 0 receives\n",
                   port_text(port).c_str(), plan.driver.c_str());
    }
  }
  if (request.rx_ip_checksum && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
    plan.rx_ip_checksum = true;
  }
  // Valid: every mbuf comes from the one pool and none is ever shared (refcnt stays 1).
  if (request.fast_free && (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)) {
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
    plan.fast_free = true;
  }
  // No RTE_ETH_RX_OFFLOAD_SCATTER: a request is answered in one mbuf. Some PMDs chain mbufs
  // regardless (TAP; ixgbe and i40e when the largest frame exceeds the buffer), so the worker
  // passes any chained mbuf to the kernel as multi_buffer (worker.cpp).
  rc = rte_eth_dev_configure(port, request.queues, request.queues, &conf);
  if (rc != 0) fail("configuring " + port_text(port) + " (" + plan.driver + ")", rc);
  rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &plan.rx_descriptors, &plan.tx_descriptors);
  if (rc != 0) fail("adjusting the descriptor counts of " + port_text(port), rc);
  return plan;
}

StartedPort::StartedPort(const PortPlan& plan, rte_mempool* pool, bool allmulticast) : port_(plan.port) {
  // Queues set up so far hold mbufs of the pool: they go back while the pool still exists.
  try {
    rte_eth_dev_info info{};
    int rc = rte_eth_dev_info_get(port_, &info);
    if (rc != 0) fail("reading the device info of " + port_text(port_), rc);
    rte_eth_rxconf rxconf = info.default_rxconf;
    rxconf.offloads = plan.rx_ip_checksum ? RTE_ETH_RX_OFFLOAD_IPV4_CKSUM : 0;
    rte_eth_txconf txconf = info.default_txconf;
    txconf.offloads = plan.fast_free ? RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE : 0;
    int socket = rte_eth_dev_socket_id(port_);
    if (socket < 0) socket = static_cast<int>(SOCKET_ID_ANY);
    for (std::uint16_t q = 0; q < plan.queues; ++q) {
      rc = rte_eth_rx_queue_setup(port_, q, plan.rx_descriptors, static_cast<unsigned>(socket), &rxconf, pool);
      if (rc != 0) fail("setting up RX queue " + std::to_string(q) + " of " + port_text(port_), rc);
      rc = rte_eth_tx_queue_setup(port_, q, plan.tx_descriptors, static_cast<unsigned>(socket), &txconf);
      if (rc != 0) fail("setting up TX queue " + std::to_string(q) + " of " + port_text(port_), rc);
    }
    rc = rte_eth_dev_start(port_);
    if (rc != 0) fail("starting " + port_text(port_) + " (" + plan.driver + ")", rc);
    // ND arrives on solicited-node multicast addresses: the kernel behind the exception path must
    // get it. Not every device has the switch (ring, af_xdp see everything anyway).
    if (allmulticast) rte_eth_allmulticast_enable(port_);
  } catch (...) {
    rte_eth_dev_stop(port_);
    rte_eth_dev_close(port_);
    throw;
  }
}

PortCloseGuard::~PortCloseGuard() {
  if (armed_) rte_eth_dev_close(port_);
}

StartedPort::~StartedPort() {
  rte_eth_dev_stop(port_);
  rte_eth_dev_close(port_);
}

}  // namespace anycastd::dpdk
