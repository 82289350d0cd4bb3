// SPDX-License-Identifier: Apache-2.0
#include "process.h"

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "channel_server.h"
#include "exception.h"
#include "port.h"
#include "profiles.h"
#include "sizing.h"
#include "table_store.h"
#include "telemetry.h"
#include "worker.h"

namespace anycastd::dpdk {
namespace {

std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void on_signal(int) { stop_requested.store(true); }

struct Launch {
  Worker* worker;
  const std::atomic<bool>* stop;
};

int worker_main(void* arg) {
  auto* launch = static_cast<Launch*>(arg);
  worker_loop(*launch->worker, *launch->stop);
  return 0;
}

// Workers run between construction and destruction: they stop before anything they use goes.
class RunningWorkers {
 public:
  RunningWorkers(std::vector<Worker>& workers) : launches_(workers.size()) {
    unsigned i = 0, lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) {
      launches_[i] = {&workers[i], &stop_};
      int rc = rte_eal_remote_launch(worker_main, &launches_[i], lcore);
      if (rc != 0) {
        stop_ = true;
        rte_eal_mp_wait_lcore();
        throw std::runtime_error("launching the worker on lcore " + std::to_string(lcore) + " failed");
      }
      ++i;
    }
  }
  ~RunningWorkers() {
    stop_ = true;
    rte_eal_mp_wait_lcore();
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<Launch> launches_;
};

void log(const std::string& text) { std::fprintf(stderr, "anycastd-dpdk: %s\n", text.c_str()); }

int serve(const Options& o) {
  Eal eal(o.eal_args);

  const unsigned lcores = rte_lcore_count();
  if (lcores < 2)
    throw std::runtime_error("EAL has " + std::to_string(lcores) +
                             " lcore: the main lcore serves the channel and every other one polls a queue; give at "
                             "least two (-l 0-1)");
  const std::uint16_t queues = static_cast<std::uint16_t>(lcores - 1);
  const std::uint16_t ports = rte_eth_dev_count_avail();
  if (ports != 1)
    throw std::runtime_error("EAL probed " + std::to_string(ports) +
                             " ethdev ports from its arguments: exactly one is the datapath's port (one PCI "
                             "address with -a, or one --vdev)");
  std::uint16_t port = 0;
  RTE_ETH_FOREACH_DEV(port) break;

  const std::string driver = port_driver(port);
  const PortChoice choice = choose_port_settings(o, driver);
  rte_ether_addr mac{};
  if (rte_eth_macaddr_get(port, &mac) != 0) throw std::runtime_error("reading the MAC address of port " + std::to_string(port));
  const std::uint8_t(&mac_bytes)[6] = mac.addr_bytes;

  PortPlan plan = configure_port(port, {queues, choice.rx_descriptors, choice.tx_descriptors, choice.rss,
                                        choice.profile->rx_ip_checksum, choice.profile->fast_free});
  PortCloseGuard port_guard(port);
  const ExceptionDevice exc = exception_device(o.exception, vhost_net_exists(), o.exception_interface, mac_bytes,
                                               queues, plan.rx_descriptors);
  Vdev vdev(exc.name, exc.devargs);
  PortPlan exc_plan =
      configure_port(vdev.port(), {queues, plan.rx_descriptors, plan.tx_descriptors, false, false, true});
  PortCloseGuard exc_guard(vdev.port());

  const std::uint32_t mbufs = mbuf_pool_size(
      {2, queues, std::max(plan.rx_descriptors, exc_plan.rx_descriptors),
       std::max(plan.tx_descriptors, exc_plan.tx_descriptors), lcores, choice.burst, kMbufCache});
  Mempool pool("ac_mbufs", mbufs, kMbufCache);
  StartedPort started(plan, pool.get(), true);
  port_guard.release();
  StartedPort exc_started(exc_plan, pool.get(), false);
  exc_guard.release();

  std::string error;
  std::unique_ptr<DpdkTables> empty = DpdkTables::build(FastpathTables{}, error);
  if (!empty) throw std::runtime_error("building the empty table set: " + error);
  TableStore tables(queues, std::move(empty));

  std::vector<Worker> workers(queues);
  std::vector<const Worker*> views;
  unsigned i = 0, lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    workers[i].config = {port, static_cast<std::uint16_t>(i), vdev.port(), static_cast<std::uint16_t>(i),
                         choice.burst, o.idle_sleep_us, lcore};
    workers[i].tables = &tables;
    workers[i].reader_id = i;
    views.push_back(&workers[i]);
    ++i;
  }
  RunningWorkers running(workers);
  TelemetryStats telemetry(views);
  ChannelServer server(o.channel_fd, tables, views, port);

  log("port " + std::to_string(port) + " (" + driver + ") " + mac_text(mac_bytes) + ", profile " +
      choice.profile->name + ", " + std::to_string(queues) + " worker(s), rx/tx descriptors " +
      std::to_string(plan.rx_descriptors) + "/" + std::to_string(plan.tx_descriptors) + ", burst " +
      std::to_string(choice.burst) + (plan.rss_hf ? ", RSS" : "") + (plan.rx_ip_checksum ? ", RX IPv4 checksum offload" : "") +
      (plan.fast_free ? ", fast free" : "") + ", exception " + exception_kind_name(exc.kind) + " " +
      o.exception_interface + ", " + std::to_string(mbufs) + " mbufs");

  channel::Hello hello{};
  channel::set_text(hello.driver, driver);
  channel::set_text(hello.profile, choice.profile->name);
  channel::set_text(hello.exception, exception_kind_name(exc.kind));
  channel::set_text(hello.exception_interface, o.exception_interface);
  std::copy(std::begin(mac_bytes), std::end(mac_bytes), hello.mac);
  hello.port_id = port;
  hello.queues = queues;
  hello.pid = static_cast<std::uint32_t>(getpid());
  if (std::string sent = server.send_hello(hello); !sent.empty()) throw std::runtime_error(sent);

  while (!stop_requested.load()) {
    std::string note;
    ChannelServer::Result r = server.serve_one(std::chrono::milliseconds(100), note);
    if (!note.empty()) log(note);
    if (r == ChannelServer::Result::closed) {
      log("the channel to anycastd is gone: stopping (the datapath never outlives its supervisor)");
      break;
    }
  }
  if (stop_requested.load()) log("stopping on signal");
  return 0;
}

}  // namespace

int run_datapath(const Options& o) {
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    int rc = serve(o);
    log("stopped cleanly");
    return rc;
  } catch (const std::exception& e) {
    log(std::string("fatal: ") + e.what());
    return 1;
  }
}

}  // namespace anycastd::dpdk
