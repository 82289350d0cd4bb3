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
#include "uplinks.h"
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

// One uplink while it is set up: the port, its settings and its exception device. Members go in
// reverse order: the device (its kernel interface with it), then the port's close guard.
struct Uplink {
  std::uint16_t port = 0;
  std::string driver;
  PortChoice choice{};
  std::uint8_t mac[6]{};
  PortPlan plan{};
  std::unique_ptr<PortCloseGuard> guard;
  ExceptionDevice exc{};
  std::unique_ptr<Vdev> vdev;
  PortPlan exc_plan{};
  std::unique_ptr<PortCloseGuard> exc_guard;
};

// Configures port `port` and creates its exception device, named `interface`, with the port's MAC.
void set_up_uplink(Uplink& u, const Options& o, std::uint16_t port, unsigned index, std::uint16_t queues) {
  u.port = port;
  u.driver = port_driver(port);
  u.choice = choose_port_settings(o, u.driver);
  rte_ether_addr mac{};
  if (rte_eth_macaddr_get(port, &mac) != 0) throw std::runtime_error("reading the MAC address of port " + std::to_string(port));
  std::copy(std::begin(mac.addr_bytes), std::end(mac.addr_bytes), u.mac);
  u.plan = configure_port(port, {queues, u.choice.rx_descriptors, u.choice.tx_descriptors, u.choice.rss,
                                 u.choice.profile->rx_ip_checksum, u.choice.profile->fast_free});
  u.guard = std::make_unique<PortCloseGuard>(port);
  u.exc = exception_device(o.exception, vhost_net_exists(), o.exception_interfaces[index], u.mac, queues,
                           u.plan.rx_descriptors, index);
  u.vdev = std::make_unique<Vdev>(u.exc.name, u.exc.devargs);
  u.exc_plan = configure_port(u.vdev->port(), {queues, u.plan.rx_descriptors, u.plan.tx_descriptors, false, false, true});
  u.exc_guard = std::make_unique<PortCloseGuard>(u.vdev->port());
}

int serve(const Options& o) {
  static_assert(kMaxPorts == channel::kMaxPorts);
  Eal eal(o.eal_args);

  // The exception devices are added below: what EAL probed from its arguments are the uplinks.
  const unsigned lcores = rte_lcore_count();
  std::vector<std::uint16_t> port_ids;
  std::uint16_t id = 0;
  RTE_ETH_FOREACH_DEV(id) port_ids.push_back(id);
  if (std::string problem = uplink_problem(lcores, static_cast<unsigned>(port_ids.size()),
                                           static_cast<unsigned>(o.exception_interfaces.size()), kMaxPorts);
      !problem.empty())
    throw std::runtime_error(problem);
  const unsigned n_workers = lcores - 1;
  const auto queues = static_cast<std::uint16_t>(n_workers / port_ids.size());

  std::vector<Uplink> uplinks(port_ids.size());
  for (unsigned p = 0; p < port_ids.size(); ++p) set_up_uplink(uplinks[p], o, port_ids[p], p, queues);

  PoolNeeds needs{static_cast<std::uint32_t>(2 * uplinks.size()), queues, 0, 0, lcores, 0, kMbufCache};
  for (const Uplink& u : uplinks) {
    needs.rx_descriptors = std::max({needs.rx_descriptors, std::uint32_t{u.plan.rx_descriptors}, std::uint32_t{u.exc_plan.rx_descriptors}});
    needs.tx_descriptors = std::max({needs.tx_descriptors, std::uint32_t{u.plan.tx_descriptors}, std::uint32_t{u.exc_plan.tx_descriptors}});
    needs.burst = std::max(needs.burst, std::uint32_t{u.choice.burst});
  }
  const std::uint32_t mbufs = mbuf_pool_size(needs);
  Mempool pool("ac_mbufs", mbufs, kMbufCache);
  std::vector<std::unique_ptr<StartedPort>> started;  // after the pool: stopped before it goes
  for (Uplink& u : uplinks) {
    started.push_back(std::make_unique<StartedPort>(u.plan, pool.get(), true));
    u.guard->release();
    started.push_back(std::make_unique<StartedPort>(u.exc_plan, pool.get(), false));
    u.exc_guard->release();
  }

  std::string error;
  std::unique_ptr<DpdkTables> empty = DpdkTables::build(FastpathTables{}, error);
  if (!empty) throw std::runtime_error("building the empty table set: " + error);
  TableStore tables(n_workers, std::move(empty));

  // A worker's answers go back out of the port and queue it polls, its passed frames into that
  // port's exception device, and what the kernel sends there goes out of that port only.
  const std::vector<WorkerSlot> slots = assign_workers(n_workers, static_cast<unsigned>(uplinks.size()));
  std::vector<Worker> workers(n_workers);
  std::vector<const Worker*> views;
  unsigned i = 0, lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    const Uplink& u = uplinks[slots[i].port_index];
    workers[i].config = {u.port, slots[i].queue, u.vdev->port(), slots[i].queue, u.choice.burst, o.idle_sleep_us, lcore};
    workers[i].tables = &tables;
    workers[i].reader_id = i;
    views.push_back(&workers[i]);
    ++i;
  }
  RunningWorkers running(workers);
  TelemetryStats telemetry(views);
  ChannelServer server(o.channel_fd, tables, views, port_ids);

  channel::Hello hello{};
  channel::set_text(hello.exception, exception_kind_name(uplinks[0].exc.kind));
  hello.pid = static_cast<std::uint32_t>(getpid());
  hello.ports = static_cast<std::uint16_t>(uplinks.size());
  hello.queues = static_cast<std::uint16_t>(n_workers);
  for (unsigned p = 0; p < uplinks.size(); ++p) {
    const Uplink& u = uplinks[p];
    channel::HelloPort& h = hello.port[p];
    channel::set_text(h.driver, u.driver);
    channel::set_text(h.profile, u.choice.profile->name);
    channel::set_text(h.exception_interface, o.exception_interfaces[p]);
    std::copy(std::begin(u.mac), std::end(u.mac), h.mac);
    h.port_id = u.port;
    h.queues = queues;
    log("port " + std::to_string(u.port) + " (" + u.driver + ") " + mac_text(u.mac) + ", profile " +
        u.choice.profile->name + ", " + std::to_string(queues) + " worker(s), rx/tx descriptors " +
        std::to_string(u.plan.rx_descriptors) + "/" + std::to_string(u.plan.tx_descriptors) + ", burst " +
        std::to_string(u.choice.burst) + (u.plan.rss_hf ? ", RSS" : "") +
        (u.plan.rx_ip_checksum ? ", RX IPv4 checksum offload" : "") + (u.plan.fast_free ? ", fast free" : "") +
        ", exception " + exception_kind_name(u.exc.kind) + " " + o.exception_interfaces[p]);
  }
  log(std::to_string(uplinks.size()) + " port(s), " + std::to_string(n_workers) + " worker(s), " +
      std::to_string(mbufs) + " mbufs");
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
