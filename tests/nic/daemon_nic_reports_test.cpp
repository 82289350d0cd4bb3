// SPDX-License-Identifier: Apache-2.0
// Which interfaces the daemon reports, from its status: XDP's configured interfaces with the mode
// in use where attached; DPDK's ports as DPDK sees them, then their exception interfaces. The
// names are of interfaces that do not exist here, so every kernel figure is "no such interface".
#include <gtest/gtest.h>

#include "daemon/nic_reports.h"

namespace anycastd {
namespace {

InterfaceStatus interface(const char* name, const char* state, const char* mode) {
  InterfaceStatus i;
  i.name = name;
  i.state = state;
  i.xdp_mode = mode;
  return i;
}

TEST(DaemonNicReports, XdpInterfacesWithTheModeWhereAttached) {
  DaemonStatus status;
  status.datapath = "xdp";
  status.interfaces = {interface("acnic-none0", "attached", "generic"), interface("acnic-none1", "gone", "native")};
  auto reports = nic_reports(status);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].name, "acnic-none0");
  EXPECT_EQ(reports[0].xdp_mode, "generic");
  EXPECT_EQ(reports[1].state, "gone");
  EXPECT_EQ(reports[1].xdp_mode, "");
  EXPECT_EQ(reports[1].driver.why_not, "not reported: no such interface");
}

TEST(DaemonNicReports, DpdkPortsThenTheirExceptionInterfaces) {
  DaemonStatus status;
  status.datapath = "dpdk";
  DpdkStatus dpdk;
  for (unsigned port : {0u, 1u}) {
    DpdkPortStatus p;
    p.port = port;
    p.driver = "net_af_xdp";
    p.queues = 2;
    p.link_up = port == 0;
    p.exception_interface = "acnic-tap0";  // shared: reported once
    dpdk.ports.push_back(p);
  }
  status.dpdk = dpdk;
  auto reports = nic_reports(status);
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports[0].name, "port 0");
  ASSERT_TRUE(reports[0].dpdk.has_value());
  EXPECT_EQ(reports[0].dpdk->driver, "net_af_xdp");
  EXPECT_EQ(reports[0].state, "link up");
  EXPECT_EQ(reports[1].state, "link down");
  EXPECT_EQ(reports[1].channels.why_not, "not a kernel interface (DPDK port)");
  EXPECT_EQ(reports[2].name, "acnic-tap0");
  EXPECT_EQ(reports[2].role, "exception");
  EXPECT_EQ(reports[2].mtu.why_not, "not reported: no such interface");
}

}  // namespace
}  // namespace anycastd
