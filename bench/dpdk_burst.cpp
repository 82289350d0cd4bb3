// SPDX-License-Identifier: Apache-2.0
//
// The DPDK worker's burst loop over net_ring, per packet, next to its floor: the same rings and
// ethdev calls with nothing but a MAC swap in between. Each iteration puts one burst of echo
// frames on the port's RX ring, runs one worker poll (RX burst, packet core, TX burst, and the
// exception side's empty poll) and takes the answers off the TX ring; the answers are the next
// iteration's requests (bench_frames.h's mirror pairs), so every packet takes the whole answer
// path. The bench_frames.h cases run on its handful of VIPs; the "exact" cases on 2 or 65,536
// exact VIPs of one family, the burst's 32 frames each between two of them, spread over the
// set. Runs as root (EAL, --no-huge); figures and how to read them: docs/dpdk.md.

#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_frames.h"
#include "port.h"
#include "table_store.h"
#include "worker.h"

namespace ab = anycastd::bench;
namespace ad = anycastd::dpdk;

namespace {

constexpr std::uint16_t kBurst = 32;

using Frame = std::vector<std::uint8_t>;

// What one benchmark runs: the tables, and the requests of a burst with their mirror answers.
struct Workload {
  std::string name;
  anycastd::FastpathTables tables;
  std::vector<ab::FrameSpec> requests;
  std::vector<Frame> frames(bool answers) const {
    std::vector<Frame> out;
    for (const ab::FrameSpec& r : requests) out.push_back(ab::build_frame(answers ? ab::mirror(r) : r));
    return out;
  }
};

Workload from_case(const ab::BenchCase& c) { return {c.name, ab::bench_tables(c.restricted), {c.spec}}; }

std::string exact_vip(int family, std::uint32_t i) {
  char text[48];
  if (family == 4)
    std::snprintf(text, sizeof text, "198.18.%u.%u", (i >> 8) & 255, i & 255);  // RFC 2544's benchmarking range
  else
    std::snprintf(text, sizeof text, "2001:db8:1::%x", i);
  return text;
}

// `n` exact VIPs of one family (n >= 2); frame k of the burst goes from VIP n/2 + k*stride to
// VIP k*stride, both exact, spread over the set.
Workload exact_case(int family, std::uint32_t n) {
  Workload w;
  w.name = std::string(family == 4 ? "v4" : "v6") + "_exact" + std::to_string(n);
  // Per-VIP counter series as the default [metrics] vip_series (256) gives them: the first 256
  // VIPs their own, the rest the shared one.
  for (std::uint32_t i = 0; i < n; ++i)
    w.tables.vips.push_back({anycastd::parse_prefix(exact_vip(family, i)),
                             {AC_VIP_F_ANSWERING, 1u << AC_SVC_ECHO, 0, i < 256 ? i : AC_VIP_STATS_OTHER}});
  for (std::uint16_t port : {ab::kServerPort, ab::kClientPort}) w.tables.ports[port] = {AC_SVC_F_ENABLED, AC_SVC_ECHO};
  w.tables.answering = true;
  const std::uint32_t stride = n / 2 / kBurst ? n / 2 / kBurst : 1;
  for (std::uint32_t k = 0; k < kBurst; ++k) {
    ab::FrameSpec s;
    s.family = family;
    s.dst = exact_vip(family, (k * stride) % (n / 2));
    s.src = exact_vip(family, n / 2 + (k * stride) % (n - n / 2));
    s.sport = ab::kClientPort;
    s.dport = ab::kServerPort;
    w.requests.push_back(s);
  }
  return w;
}

struct RingPort {
  rte_ring* rx;
  rte_ring* tx;
  std::uint16_t port;
  explicit RingPort(const std::string& name) {
    rx = rte_ring_create((name + "_rx").c_str(), 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    tx = rte_ring_create((name + "_tx").c_str(), 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!rx || !tx) throw std::runtime_error("rte_ring_create: " + std::string(rte_strerror(rte_errno)));
    int p = rte_eth_from_rings(name.c_str(), &rx, 1, &tx, 1, SOCKET_ID_ANY);
    if (p < 0) throw std::runtime_error("rte_eth_from_rings: " + std::string(rte_strerror(rte_errno)));
    port = static_cast<std::uint16_t>(p);
  }
};

struct Rig {
  RingPort wire{"bench_wire"}, kernel{"bench_kernel"};
  ad::Mempool pool{"bench_pool", 1023, 0};
  ad::StartedPort wire_started{ad::configure_port(wire.port, {1, 256, 256, false, true, true}), pool.get(), false};
  ad::StartedPort kernel_started{ad::configure_port(kernel.port, {1, 256, 256, false, false, true}), pool.get(),
                                 false};
  std::unique_ptr<ad::TableStore> store;
  ad::Worker worker{};
  std::vector<rte_mbuf*> mbufs;

  Rig() {
    std::string error;
    auto empty = ad::DpdkTables::build(anycastd::FastpathTables{}, error);
    store = std::make_unique<ad::TableStore>(1, std::move(empty));
    worker.config = {wire.port, 0, kernel.port, 0, kBurst, 0, 0};
    worker.tables = store.get();
    worker.reader_id = 0;
  }

  void load(const anycastd::FastpathTables& tables) {
    std::string error;
    auto t = ad::DpdkTables::build(tables, error);
    if (!t) throw std::runtime_error(error);
    store->publish(std::move(t));
  }

  // One burst of `frames` (repeated to fill it), owned by the benchmark between iterations.
  // `ol_flags` is what a NIC would have said (net_ring leaves it as it is, burst after burst).
  void fill(const std::vector<Frame>& frames, std::uint64_t ol_flags = 0) {
    for (rte_mbuf* m : mbufs) rte_pktmbuf_free(m);
    mbufs.assign(kBurst, nullptr);
    for (std::size_t i = 0; i < kBurst; ++i) {
      const Frame& frame = frames[i % frames.size()];
      rte_mbuf*& m = mbufs[i];
      m = rte_pktmbuf_alloc(pool.get());
      char* d = rte_pktmbuf_append(m, static_cast<std::uint16_t>(frame.size()));
      std::memcpy(d, frame.data(), frame.size());
      m->ol_flags = ol_flags;
    }
  }

  // Puts the burst in, runs `step`, takes the burst out; false if not every frame came back.
  template <typename Step>
  bool cycle(Step step) {
    rte_ring_enqueue_burst(wire.rx, reinterpret_cast<void**>(mbufs.data()), kBurst, nullptr);
    step();
    return rte_ring_dequeue_burst(wire.tx, reinterpret_cast<void**>(mbufs.data()), kBurst, nullptr) == kBurst;
  }

  bool all_equal(const std::vector<Frame>& frames) const {
    for (std::size_t i = 0; i < kBurst; ++i) {
      const Frame& frame = frames[i % frames.size()];
      const rte_mbuf* m = mbufs[i];
      if (m->data_len != frame.size() || std::memcmp(rte_pktmbuf_mtod(m, const void*), frame.data(), frame.size()) != 0)
        return false;
    }
    return true;
  }
};

Rig* rig = nullptr;

void floor_step() {
  rte_mbuf* pkts[kBurst];
  std::uint16_t n = rte_eth_rx_burst(rig->wire.port, 0, pkts, kBurst);
  for (std::uint16_t i = 0; i < n; ++i) {
    auto* eth = rte_pktmbuf_mtod(pkts[i], rte_ether_hdr*);
    rte_ether_addr tmp = eth->src_addr;
    eth->src_addr = eth->dst_addr;
    eth->dst_addr = tmp;
  }
  rte_eth_tx_burst(rig->wire.port, 0, pkts, n);
}

void core_step() { ad::worker_poll(rig->worker); }

template <typename Step>
void BM_loop(benchmark::State& state, const Workload& w, Step step, std::uint64_t ol_flags = 0) {
  rig->load(w.tables);
  rig->fill(w.frames(false), ol_flags);
  bool ok = true;
  std::uint64_t cycles = 0;
  for (auto _ : state) {
    std::uint64_t start = rte_rdtsc();
    ok &= rig->cycle(step);
    cycles += rte_rdtsc() - start;
  }
  if (!ok) state.SkipWithError("a burst did not come back whole");
  const double packets = static_cast<double>(state.iterations()) * kBurst;
  state.SetItemsProcessed(static_cast<std::int64_t>(packets));
  state.counters["per_pkt"] =
      benchmark::Counter(kBurst, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["cycles_per_pkt"] = packets ? static_cast<double>(cycles) / packets : 0;
}

// The datapath's answers must be the mirror frames, or the figures measure something else.
bool check(const Workload& w) {
  rig->load(w.tables);
  const std::vector<Frame> requests = w.frames(false);
  rig->fill(requests);
  return rig->cycle(core_step) && rig->all_equal(w.frames(true)) && rig->cycle(core_step) && rig->all_equal(requests);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const std::string prefix = "ac_bench_" + std::to_string(getpid());
  int rc = 0;
  try {
    ad::Eal eal({"--no-huge", "-m", "1024", "--no-pci", "--file-prefix=" + prefix, "-l", "0",
                 "--log-level=lib.eal:error"});
    {
      Rig r;
      rig = &r;
      std::vector<Workload> workloads;
      for (const ab::BenchCase& c : ab::bench_cases()) workloads.push_back(from_case(c));
      for (int family : {4, 6})
        for (std::uint32_t n : {2u, 65536u}) workloads.push_back(exact_case(family, n));
      for (const Workload& w : workloads) {
        if (!check(w)) {
          std::fprintf(stderr, "dpdk_burst: %s: the datapath did not answer with the mirror frame\n", w.name.c_str());
          rc = 1;
          break;
        }
        benchmark::RegisterBenchmark(("dpdk_burst/" + w.name).c_str(),
                                     [w](benchmark::State& s) { BM_loop(s, w, core_step); });
        benchmark::RegisterBenchmark(("dpdk_floor/" + w.name).c_str(),
                                     [w](benchmark::State& s) { BM_loop(s, w, floor_step); });
      }
      // With a NIC that verified the IPv4 header checksum, the core does not sum it again.
      for (const ab::BenchCase& c : ab::bench_cases())
        if (c.spec.family == 4 && !c.restricted && c.spec.tags.empty())
          benchmark::RegisterBenchmark((std::string("dpdk_burst/") + c.name + "_nic_csum").c_str(),
                                       [w = from_case(c)](benchmark::State& s) {
                                         BM_loop(s, w, core_step, RTE_MBUF_F_RX_IP_CKSUM_GOOD);
                                       });
      if (rc == 0) benchmark::RunSpecifiedBenchmarks();
      for (rte_mbuf* m : r.mbufs) rte_pktmbuf_free(m);
      r.mbufs.clear();
      rig = nullptr;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dpdk_burst: %s\n", e.what());
    rc = 1;
  }
  std::error_code ec;
  std::filesystem::remove_all("/var/run/dpdk/" + prefix, ec);
  benchmark::Shutdown();
  return rc;
}
