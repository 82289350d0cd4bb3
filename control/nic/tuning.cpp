// SPDX-License-Identifier: Apache-2.0
#include "nic/tuning.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace anycastd::nic {
namespace {

// docs/tuning.md explains each line; keep the two in step. Untested here on the hardware: only
// veth runs on the project's machines.
const std::array<DriverTuning, 8> kDrivers = {{
    {"mlx5_core", true, 4096, 1,
     {"mlx5: XDP runs on the regular RQs; with a program loaded the driver may switch from striding RQ "
      "to legacy RQ (check `ethtool --show-priv-flags IF`, rx_striding_rq): compare pps with both",
      "mlx5: XDP_TX uses an extra send queue per channel, no queue to set aside"},
     "https://docs.kernel.org/networking/device_drivers/ethernet/mellanox/mlx5/index.html"},
    {"ice", true, 4096, 1,
     {"ice: XDP takes an XDP Tx queue per CPU from the device's queue pool: keep combined channels low "
      "enough to leave them (the driver shares queues under a lock when short, which costs)",
      "ice: an MTU above about 3 KB needs a frags-aware program (xdp.frags)"},
     "https://docs.kernel.org/networking/device_drivers/ethernet/intel/ice.html"},
    {"i40e", true, 4096, 1,
     {"i40e: XDP adds an XDP Tx ring per queue pair: channels beyond the CPUs only cost",
      "i40e: an MTU above about 3 KB needs a frags-aware program (xdp.frags)"},
     "https://docs.kernel.org/networking/device_drivers/ethernet/intel/i40e.html"},
    {"ixgbe", true, 4096, 1,
     {"ixgbe: XDP takes an XDP Tx ring per CPU (64 at most; with more CPUs they are shared under a lock)",
      "ixgbe: no jumbo frames with XDP: keep the MTU at or below 3 KB"},
     "https://docs.kernel.org/networking/device_drivers/ethernet/intel/ixgbe.html"},
    {"virtio_net", true, 1024, 1,
     {"virtio_net: XDP_TX wants a TX queue per vCPU (queues = vCPUs, set in the hypervisor: QEMU "
      "`-netdev ...,queues=N` with `-device virtio-net-pci,mq=on,vectors=2N+2`); with fewer the queues are shared",
      "virtio_net: XDP is refused while the host offloads (GRO_HW/LRO, guest_tso) are on: "
      "`ethtool -K IF rx-gro-hw off` or start the guest with them off",
      "virtio_net: ring sizes come from the hypervisor (QEMU rx_queue_size/tx_queue_size); "
      "`ethtool -G` needs a device with VIRTIO_F_RING_RESET"},
     "https://docs.oasis-open.org/virtio/virtio/v1.2/virtio-v1.2.html"},
    {"ena", true, 8192, 2,
     {"ena: XDP is refused above ENA_XDP_MAX_MTU (a page less headers and XDP headroom: about 3.5 KB with 4 KB pages)",
      "ena: XDP_TX queues take half of the channels: set combined to at most half the maximum"},
     "https://docs.kernel.org/networking/device_drivers/ethernet/amazon/ena.html"},
    {"veth", true, 0, 1,
     {"veth: XDP_TX and redirects out of a veth are dropped unless its peer runs an XDP program "
      "(or has GRO on): attach a pass-through program on the peer",
      "veth: queues are fixed at creation (`ip link add ... numrxqueues N numtxqueues N`); "
      "`ethtool -L` changes them up to that; no rings, no IRQs"},
     "https://man7.org/linux/man-pages/man8/ip-link.8.html"},
    {"", false, 0, 1,
     {"no per-driver advice for this driver: see docs/tuning.md for the general steps"},
     "https://docs.kernel.org/networking/scaling.html"},
}};

void queue_advice(const TuningInput& in, const DriverTuning& t, std::vector<std::string>& out) {
  if (!in.channels) {
    out.push_back(fmt::format("queues: {} (`ethtool -l {}`)", in.channels.why_not, in.interface));
    return;
  }
  const Channels& c = *in.channels;
  const std::uint32_t divisor = in.xdp_mode.empty() ? 1 : t.xdp_channel_divisor;
  auto advise = [&](std::string_view kind, std::uint32_t now, std::uint32_t max) {
    std::uint32_t target = std::max<std::uint32_t>(1, std::min(max / divisor, in.cpus));
    std::string figures = fmt::format("{} queues {} of max {} ({} CPUs)", kind, now, max, in.cpus);
    if (now < target)
      out.push_back(fmt::format("{}: `ethtool -L {} {} {}`", figures, in.interface, kind, target));
    else if (now > target)
      out.push_back(fmt::format("{}: more queues than {}: `ethtool -L {} {} {}`", figures,
                                divisor > 1 ? "XDP leaves room for" : "CPUs", in.interface, kind, target));
    else
      out.push_back(figures + ": as many as can be used");
  };
  if (c.max_combined > 0)
    advise("combined", c.combined, c.max_combined);
  else if (c.max_rx > 0)
    advise("rx", c.rx, c.max_rx);
  else
    out.push_back(fmt::format("queues: the driver reports no channel counts (`ethtool -l {}`)", in.interface));
}

void ring_advice(const TuningInput& in, const DriverTuning& t, std::vector<std::string>& out) {
  if (!in.rings) {
    out.push_back(fmt::format("rings: {} (`ethtool -g {}`)", in.rings.why_not, in.interface));
    return;
  }
  if (t.ring_target == 0) return;
  const Rings& r = *in.rings;
  auto advise = [&](std::string_view kind, std::uint32_t now, std::uint32_t max) {
    std::uint32_t target = std::min(max, t.ring_target);
    if (now < target)
      out.push_back(fmt::format("{} ring {} of max {}: `ethtool -G {} {} {}`", kind, now, max, in.interface, kind,
                                target));
  };
  advise("rx", r.rx, r.max_rx);
  advise("tx", r.tx, r.max_tx);
}

void irq_advice(const TuningInput& in, std::vector<std::string>& out) {
  if (!in.irqs) {
    out.push_back("IRQs: " + in.irqs.why_not);
    return;
  }
  const std::vector<Irq>& irqs = *in.irqs;
  auto spread = std::count_if(irqs.begin(), irqs.end(), [](const Irq& irq) {
    return irq.cpus.find_first_of(",-") != std::string::npos;
  });
  if (spread == 0) {
    out.push_back(fmt::format("IRQ affinity: each of the {} IRQs is pinned to one CPU", irqs.size()));
    return;
  }
  out.push_back(fmt::format("IRQ affinity: {} of {} IRQs may run on several CPUs: pin each queue's IRQ to its own "
                            "CPU (`echo CPU > /proc/irq/{}/smp_affinity_list`, ...) and keep irqbalance off them",
                            spread, irqs.size(), irqs.front().number));
}

}  // namespace

const DriverTuning& driver_tuning(std::string_view driver) {
  for (const DriverTuning& t : kDrivers)
    if (t.driver == driver) return t;
  return kDrivers.back();
}

std::vector<std::string> tuning_advice(const TuningInput& in) {
  const DriverTuning& t = driver_tuning(in.driver);
  std::vector<std::string> out;
  queue_advice(in, t, out);
  ring_advice(in, t, out);
  irq_advice(in, out);
  if (in.xdp_mode == "generic" && t.native_xdp)
    out.push_back(fmt::format("XDP runs in generic mode, and {} has native XDP: set xdp_mode = \"native\" "
                              "(generic builds an skb for every frame)",
                              in.driver));
  for (std::string_view note : t.notes) out.emplace_back(note);
  out.push_back(fmt::format("see {}", t.doc));
  return out;
}

}  // namespace anycastd::nic
