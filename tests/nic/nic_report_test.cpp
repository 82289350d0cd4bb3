// SPDX-License-Identifier: Apache-2.0
// The report around the figures: IRQs read from a fake sysfs and procfs, an interface that is not
// there, the JSON, and anycastctl's rendering of it.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ctl/nic_text.h"
#include "nic/ethtool.h"
#include "nic/irqs.h"
#include "nic/nic_json.h"
#include "nic/nic_report.h"

namespace anycastd::nic {
namespace {

namespace fs = std::filesystem;

class FakeRoots : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ac_nic_test." + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "sys/class/net/br0");
    fs::create_directories(root_ / "sys/class/net/eth0/device/msi_irqs");
    fs::create_directories(root_ / "sys/class/net/eth1/device");
    for (const char* irq : {"25", "7", "24"}) std::ofstream(root_ / "sys/class/net/eth0/device/msi_irqs" / irq) << "msix\n";
    std::ofstream(root_ / "sys/class/net/eth0/device/msi_irqs/not-a-number") << "";
    write_affinity(7, "0-3\n");
    write_affinity(24, "1\n");  // 25 has none: read as ""
  }
  void TearDown() override { fs::remove_all(root_); }
  void write_affinity(int irq, const char* cpus) {
    fs::create_directories(root_ / "proc/irq" / std::to_string(irq));
    std::ofstream(root_ / "proc/irq" / std::to_string(irq) / "smp_affinity_list") << cpus;
  }
  fs::path root_;
};

TEST_F(FakeRoots, IrqsInOrderWithTheirCpus) {
  auto irqs = device_irqs("eth0", root_ / "sys", root_ / "proc");
  ASSERT_TRUE(irqs.value.has_value()) << irqs.why_not;
  ASSERT_EQ(irqs->size(), 3u);
  EXPECT_EQ((*irqs)[0].number, 7u);
  EXPECT_EQ((*irqs)[0].cpus, "0-3");
  EXPECT_EQ((*irqs)[1].number, 24u);
  EXPECT_EQ((*irqs)[1].cpus, "1");
  EXPECT_EQ((*irqs)[2].number, 25u);
  EXPECT_EQ((*irqs)[2].cpus, "");
}

TEST_F(FakeRoots, AVirtualDeviceHasNone) {
  auto irqs = device_irqs("br0", root_ / "sys", root_ / "proc");
  EXPECT_FALSE(irqs.value.has_value());
  EXPECT_EQ(irqs.why_not, "none: a virtual device (no device behind it)");
}

TEST_F(FakeRoots, ADeviceWithoutMsiIsNotReported) {
  auto irqs = device_irqs("eth1", root_ / "sys", root_ / "proc");
  EXPECT_FALSE(irqs.value.has_value());
  EXPECT_EQ(irqs.why_not, "not reported: no MSI interrupts listed for the device");
}

TEST(Ethtool, AnInterfaceThatIsNotThereIsGoneForEveryFigure) {
  Ethtool e("acnic-none0");
  EXPECT_EQ(e.driver_info().why_not, "not reported: the interface is gone");
  EXPECT_EQ(e.channels().why_not, "not reported: the interface is gone");
  EXPECT_EQ(e.rings().why_not, "not reported: the interface is gone");
  EXPECT_EQ(e.mtu().why_not, "not reported: the interface is gone");
  EXPECT_EQ(why_not_reported(EOPNOTSUPP), "not reported by the driver");
}

TEST(NicReport, AnInterfaceNotInTheNamespace) {
  NicReport r = report_interface("acnic-none0", "uplink", "gone", "");
  EXPECT_EQ(r.ifindex, 0);
  EXPECT_EQ(r.xdp_features.why_not, "not reported: no such interface");
  EXPECT_EQ(r.mtu.why_not, "not reported: no such interface");
  EXPECT_TRUE(r.tune.empty());
  nlohmann::json j = to_json(r);
  EXPECT_EQ(j["state"], "gone");
  EXPECT_EQ(j["driver"], (nlohmann::json{{"not_reported", "not reported: no such interface"}}));
  EXPECT_EQ(j["xdp_features"], (nlohmann::json{{"not_reported", "not reported: no such interface"}}));
}

TEST(NicReport, ADpdkPortIsNoKernelInterface) {
  NicReport r = report_dpdk_port({.port = 0, .driver = "net_af_xdp", .mac = "02:00:00:00:00:01", .queues = 2,
                                  .link_up = true, .link_speed_mbps = 10000},
                                 "port 0");
  nlohmann::json j = to_json(r);
  EXPECT_EQ(j["dpdk"]["driver"], "net_af_xdp");
  EXPECT_EQ(j["dpdk"]["queues"], 2);
  EXPECT_EQ(j["state"], "link up");
  EXPECT_EQ(j["channels"]["not_reported"], "not a kernel interface (DPDK port)");
  EXPECT_EQ(j["xdp_features"]["not_reported"], "not a kernel interface (DPDK port)");
}

NicReport named(const char* name, const char* xdp_mode) {
  NicReport r;
  r.name = name;
  r.role = "uplink";
  r.state = "attached";
  r.xdp_mode = xdp_mode;
  r.ifindex = 4;
  return r;
}

// rx and tx both `now` of `max`; combined likewise.
Channels channels(std::uint32_t now, std::uint32_t max, std::uint32_t combined, std::uint32_t max_combined) {
  Channels c;
  c.rx = c.tx = now;
  c.max_rx = c.max_tx = max;
  c.combined = combined;
  c.max_combined = max_combined;
  return c;
}

XdpFeatures flags(std::uint64_t bits) {
  XdpFeatures f;
  f.flags = bits;
  return f;
}

NicReport veth_report() {
  NicReport r = named("e1", "native");
  r.driver = Reported<DriverInfo>::of({"veth", "1.0", "", ""});
  r.channels = Reported<Channels>::of(channels(1, 2, 0, 0));
  r.rings = Reported<Rings>::missing("not reported by the driver");
  r.mtu = Reported<std::uint32_t>::of(1500);
  r.xdp_features = Reported<XdpFeatures>::of(flags(0x23));
  r.irqs = Reported<std::vector<Irq>>::missing("none: a virtual device (no device behind it)");
  r.tune = {"rx queues 1 of max 2 (2 CPUs): `ethtool -L e1 rx 2`"};
  return r;
}

TEST(NicReport, Json) {
  nlohmann::json j = to_json(veth_report());
  EXPECT_EQ(j["driver"]["driver"], "veth");
  EXPECT_EQ(j["mtu"], 1500);
  EXPECT_EQ(j["channels"]["max_rx"], 2);
  EXPECT_EQ(j["xdp_features"]["flags"], 0x23);
  EXPECT_EQ(j["xdp_features"]["names"], (nlohmann::json{"basic", "redirect", "rx-sg"}));
  EXPECT_EQ(j["rings"]["not_reported"], "not reported by the driver");
  EXPECT_EQ(j["xdp_mode"], "native");
}

TEST(NicText, OneBlockPerInterface) {
  NicReport bare = named("br0", "generic");
  bare.driver = Reported<DriverInfo>::of({"bridge", "2.3", "N/A", ""});
  bare.channels = Reported<Channels>::missing("not reported by the driver");
  bare.rings = Reported<Rings>::missing("not reported by the driver");
  bare.mtu = Reported<std::uint32_t>::of(1500);
  bare.xdp_features = Reported<XdpFeatures>::of(flags(0));
  bare.irqs = Reported<std::vector<Irq>>::missing("none: a virtual device (no device behind it)");
  nlohmann::json j = to_json(std::vector<NicReport>{veth_report(), bare});
  EXPECT_EQ(ctl::format_nic(j),
            "e1 (uplink, attached)\n"
            "  driver:        veth 1.0, firmware -, bus -\n"
            "  mtu:           1500\n"
            "  queues:        rx 1/2  tx 1/2  combined 0/0  other 0/0  (current/max)\n"
            "  rings:         not reported by the driver\n"
            "  xdp mode:      native\n"
            "  xdp features:  basic redirect rx-sg\n"
            "  irqs:          none: a virtual device (no device behind it)\n"
            "  tune:\n"
            "    - rx queues 1 of max 2 (2 CPUs): `ethtool -L e1 rx 2`\n"
            "\n"
            "br0 (uplink, attached)\n"
            "  driver:        bridge 2.3, firmware N/A, bus -\n"
            "  mtu:           1500\n"
            "  queues:        not reported by the driver\n"
            "  rings:         not reported by the driver\n"
            "  xdp mode:      generic\n"
            "  xdp features:  none\n"
            "  irqs:          none: a virtual device (no device behind it)\n");
}

TEST(NicText, ADpdkPort) {
  DpdkPort port;
  port.port = 1;
  port.driver = "net_ice";
  port.mac = "02:00:00:00:00:01";
  port.queues = 4;
  port.link_up = true;
  port.link_speed_mbps = 25000;
  std::string text = ctl::format_nic(to_json(std::vector<NicReport>{report_dpdk_port(port, "port 1")}));
  EXPECT_EQ(text,
            "port 1 (uplink, link up)\n"
            "  dpdk:          port 1, driver net_ice, 4 queues, link up 25000 Mb/s, mac 02:00:00:00:00:01\n"
            "  driver:        not a kernel interface (DPDK port)\n"
            "  mtu:           not a kernel interface (DPDK port)\n"
            "  queues:        not a kernel interface (DPDK port)\n"
            "  rings:         not a kernel interface (DPDK port)\n"
            "  xdp mode:      none (DPDK port)\n"
            "  xdp features:  not a kernel interface (DPDK port)\n"
            "  irqs:          not a kernel interface (DPDK port)\n"
            "  tune:\n"
            "    - DPDK port: queues and descriptors are anycastd's [datapath] DPDK settings, not ethtool's\n");
}

TEST(NicText, ToleratesWhatAnOtherDaemonSends) {
  EXPECT_EQ(ctl::format_nic(nlohmann::json::array()), "no interfaces\n");
  EXPECT_EQ(ctl::format_nic(nlohmann::json{{"x", 1}}), "no interfaces\n");
  // An older daemon's entry without the figures: each "not reported", no crash.
  std::string text = ctl::format_nic(nlohmann::json::parse(R"([{"name":"eth0","mtu":"x","irqs":7}])"));
  EXPECT_NE(text.find("eth0 (uplink)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  driver:        not reported\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  mtu:           not reported\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  xdp mode:      not attached\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  irqs:          not reported\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace anycastd::nic
