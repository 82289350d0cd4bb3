// SPDX-License-Identifier: Apache-2.0
#include "profiles.h"

#include <array>
#include <stdexcept>

namespace anycastd::dpdk {
namespace {

constexpr const char* kUnverified = "unverified here";

// Sources: the DPDK 22.11 NIC guides (doc.dpdk.org/guides-22.11/nics/<nic>.html), DPDK's
// per-release NIC performance reports (fast.dpdk.org/doc/perf/, Intel and NVIDIA editions for
// 22.11), and l3fwd's defaults. Burst 32 everywhere: the vector RX paths of i40e, ice, ixgbe and
// mlx5 take 32-packet bursts (their guides' vector PMD sections).
constexpr std::array kProfiles = {
    Profile{"net_mlx5", 1024, 1024, 32, true, true, true, "mprq_en=1,rxqs_min_mprq=1",
            "bifurcated driver: the kernel netdev stays, traffic goes to DPDK; Multi-Packet RQ saves PCIe "
            "bandwidth for small packets; CQE compression (rxq_cqe_comp_en) is on by default",
            "doc.dpdk.org/guides-22.11/nics/mlx5.html (run-time configuration); NVIDIA NIC performance report "
            "for DPDK 22.11 (rxd/txd 1024)",
            kUnverified},
    Profile{"net_i40e", 2048, 2048, 32, true, true, true, "",
            "vector RX needs bursts of at least 32 and no scatter; keep the firmware (NVM) current",
            "doc.dpdk.org/guides-22.11/nics/i40e.html (vector PMD, prerequisites); Intel NIC performance report "
            "for DPDK 22.11 (rxd/txd 2048)",
            kUnverified},
    Profile{"net_ice", 2048, 2048, 32, true, true, true, "",
            "E810: vector (AVX2/AVX-512) paths need bursts of 32; load the matching DDP package for RSS on "
            "UDP/TCP",
            "doc.dpdk.org/guides-22.11/nics/ice.html (DDP package, vector PMD); Intel NIC performance report "
            "for DPDK 22.11 (rxd/txd 2048)",
            kUnverified},
    Profile{"net_ixgbe", 1024, 1024, 32, true, true, true, "",
            "82599/X5xx: the vector PMD wants bursts of 32 and RX rings a power of two",
            "doc.dpdk.org/guides-22.11/nics/ixgbe.html (vector PMD requirements); l3fwd defaults (1024)",
            kUnverified},
    Profile{"net_virtio", 256, 256, 32, false, true, true, "",
            "the ring size is the host's (QEMU default 256, rx_queue_size up to 1024); RSS only where the "
            "device offers VIRTIO_NET_F_RSS, otherwise one queue pair per lcore via the host's multiqueue",
            "doc.dpdk.org/guides-22.11/nics/virtio.html (features, queue sizes)",
            kUnverified},
    Profile{"net_af_xdp", 1024, 1024, 32, false, false, true, "iface=IF,start_queue=0,queue_count=N,busy_budget=64",
            "the kernel driver's queues are the RSS (ethtool -L/-X sets them); use queue_count = workers; "
            "busy_budget enables preferred busy polling",
            "doc.dpdk.org/guides-22.11/nics/af_xdp.html (options, preferred busy polling)",
            "runs here on veth (namespace lab); sizes not tuned here"},
    Profile{"net_af_packet", 1024, 1024, 32, false, false, false,
            "iface=IF,qpairs=N,blocksz=4096,framesz=2048,framecnt=512,qdisc_bypass=1",
            "ring sizes come from the devargs (framecnt), not the descriptor counts; the kernel still sees the "
            "traffic, so it cannot serve as the exception-path port: a debugging aid",
            "doc.dpdk.org/guides-22.11/nics/af_packet.html (options)",
            kUnverified},
    Profile{"default", 1024, 1024, 32, true, true, true, "", "any other driver: l3fwd's ring sizes",
            "dpdk examples/l3fwd (RX/TX 1024 descriptors, burst 32)", kUnverified},
};

}  // namespace

std::span<const Profile> profiles() { return kProfiles; }

const Profile* find_profile(std::string_view name) {
  for (const Profile& p : kProfiles)
    if (name == p.name) return &p;
  return nullptr;
}

PortChoice choose_port_settings(const Options& options, std::string_view driver) {
  const Profile* p = nullptr;
  if (options.profile == "auto") {
    // ConnectX ports report the PCI driver's name (testpmd: "Driver name: mlx5_pci"), not the
    // PMD's that the profile table and the NIC guide use.
    if (driver == "mlx5_pci") driver = "net_mlx5";
    p = find_profile(driver);
    if (!p) p = find_profile("default");
  } else {
    p = find_profile(options.profile);
    if (!p) {
      std::string known;
      for (const Profile& k : kProfiles) known += (known.empty() ? "" : ", ") + std::string(k.name);
      throw std::invalid_argument("--profile: no profile named \"" + options.profile + "\" (known: auto, " + known + ")");
    }
  }
  PortChoice c{p, p->rx_descriptors, p->tx_descriptors, p->burst, p->rss && !options.no_rss};
  if (options.rx_descriptors) c.rx_descriptors = *options.rx_descriptors;
  if (options.tx_descriptors) c.tx_descriptors = *options.tx_descriptors;
  if (options.burst) c.burst = *options.burst;
  return c;
}

}  // namespace anycastd::dpdk
