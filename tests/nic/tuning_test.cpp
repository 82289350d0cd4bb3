// SPDX-License-Identifier: Apache-2.0
// The tuning table's advice for given figures: the lines are written out here in full, as an
// operator reads them.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "nic/tuning.h"

namespace anycastd::nic {
namespace {

bool has(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

Channels combined(std::uint32_t now, std::uint32_t max) {
  Channels c;
  c.combined = now;
  c.max_combined = max;
  return c;
}

TuningInput ice_eth0() {
  TuningInput in;
  in.interface = "eth0";
  in.driver = "ice";
  in.xdp_mode = "native";
  in.channels = Reported<Channels>::of(combined(2, 8));
  in.rings = Reported<Rings>::of({.rx = 256, .tx = 4096, .max_rx = 8160, .max_tx = 8160});
  in.irqs = Reported<std::vector<Irq>>::of({{40, "0-3"}, {41, "1"}});
  in.cpus = 4;
  return in;
}

TEST(Tuning, QueuesRingsAndIrqsFromTheFigures) {
  auto lines = tuning_advice(ice_eth0());
  EXPECT_TRUE(has(lines, "combined queues 2 of max 8 (4 CPUs): `ethtool -L eth0 combined 4`")) << joined(lines);
  EXPECT_TRUE(has(lines, "rx ring 256 of max 8160: `ethtool -G eth0 rx 4096`")) << joined(lines);
  // tx is at the table's target already: no line for it.
  for (const auto& l : lines) EXPECT_EQ(l.find("tx ring"), std::string::npos) << l;
  EXPECT_TRUE(has(lines,
                  "IRQ affinity: 1 of 2 IRQs may run on several CPUs: pin each queue's IRQ to its own CPU (`echo CPU > "
                  "/proc/irq/40/smp_affinity_list`, ...) and keep irqbalance off them"))
      << joined(lines);
  EXPECT_EQ(lines.back(), "see https://docs.kernel.org/networking/device_drivers/ethernet/intel/ice.html");
}

TEST(Tuning, QueuesCappedByTheMaxAndTheCpus) {
  TuningInput in = ice_eth0();
  in.cpus = 16;
  auto lines = tuning_advice(in);
  EXPECT_TRUE(has(lines, "combined queues 2 of max 8 (16 CPUs): `ethtool -L eth0 combined 8`")) << joined(lines);
  in.channels = Reported<Channels>::of(combined(8, 8));
  lines = tuning_advice(in);
  EXPECT_TRUE(has(lines, "combined queues 8 of max 8 (16 CPUs): as many as can be used")) << joined(lines);
}

TEST(Tuning, RxTxChannelsWhenTheDriverHasNoCombined) {
  TuningInput in = ice_eth0();
  in.driver = "veth";
  in.interface = "e1";
  Channels rxtx;
  rxtx.rx = rxtx.tx = 1;
  rxtx.max_rx = rxtx.max_tx = 4;
  in.channels = Reported<Channels>::of(rxtx);
  in.cpus = 2;
  auto lines = tuning_advice(in);
  EXPECT_TRUE(has(lines, "rx queues 1 of max 4 (2 CPUs): `ethtool -L e1 rx 2`")) << joined(lines);
  // veth's table entry has no ring target: rings reported are left alone.
  for (const auto& l : lines) EXPECT_EQ(l.find("ethtool -G"), std::string::npos) << l;
}

TEST(Tuning, EnaLeavesHalfTheChannelsToXdp) {
  TuningInput in = ice_eth0();
  in.driver = "ena";
  in.channels = Reported<Channels>::of(combined(8, 8));
  in.cpus = 8;
  auto lines = tuning_advice(in);
  EXPECT_TRUE(has(lines, "combined queues 8 of max 8 (8 CPUs): more queues than XDP leaves room for: "
                         "`ethtool -L eth0 combined 4`"))
      << joined(lines);
  EXPECT_TRUE(has(lines, "ena: XDP is refused above ENA_XDP_MAX_MTU (a page less headers and XDP headroom: about 3.5 KB with 4 KB pages)")) << joined(lines);
  // Without XDP attached, all of them may receive.
  in.xdp_mode = "";
  lines = tuning_advice(in);
  EXPECT_TRUE(has(lines, "combined queues 8 of max 8 (8 CPUs): as many as can be used")) << joined(lines);
}

TEST(Tuning, GenericModeOnADriverWithNativeXdp) {
  TuningInput in = ice_eth0();
  in.driver = "mlx5_core";
  in.xdp_mode = "generic";
  auto lines = tuning_advice(in);
  EXPECT_TRUE(has(lines, "XDP runs in generic mode, and mlx5_core has native XDP: set xdp_mode = \"native\" "
                         "(generic builds an skb for every frame)"))
      << joined(lines);
  in.driver = "bridge";  // no native XDP: generic is all there is, nothing to say about it
  lines = tuning_advice(in);
  for (const auto& l : lines) EXPECT_EQ(l.find("generic mode"), std::string::npos) << l;
}

TEST(Tuning, FiguresNotReportedAreSaid) {
  TuningInput in;
  in.interface = "br0";
  in.driver = "bridge";
  in.channels = Reported<Channels>::missing("not reported by the driver");
  in.rings = Reported<Rings>::missing("not reported by the driver");
  in.irqs = Reported<std::vector<Irq>>::missing("none: a virtual device (no device behind it)");
  auto lines = tuning_advice(in);
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "queues: not reported by the driver (`ethtool -l br0`)",
                       "rings: not reported by the driver (`ethtool -g br0`)",
                       "IRQs: none: a virtual device (no device behind it)",
                       "no per-driver advice for this driver: see docs/tuning.md for the general steps",
                       "see https://docs.kernel.org/networking/scaling.html",
                   }));
}

TEST(Tuning, PinnedIrqsAreSaidToBe) {
  TuningInput in = ice_eth0();
  in.irqs = Reported<std::vector<Irq>>::of({{40, "0"}, {41, "1"}});
  auto lines = tuning_advice(in);
  EXPECT_TRUE(has(lines, "IRQ affinity: each of the 2 IRQs is pinned to one CPU")) << joined(lines);
}

TEST(Tuning, EveryDriverOfTheGuideHasAnEntry) {
  for (const char* d : {"mlx5_core", "ice", "i40e", "ixgbe", "virtio_net", "ena", "veth"}) {
    EXPECT_EQ(driver_tuning(d).driver, d);
    EXPECT_TRUE(driver_tuning(d).native_xdp) << d;
  }
  EXPECT_EQ(driver_tuning("r8169").driver, "");
}

}  // namespace
}  // namespace anycastd::nic
