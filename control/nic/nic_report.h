// SPDX-License-Identifier: Apache-2.0
#pragma once

// `anycastctl nic`: per interface of the running datapath, what the kernel and the driver say of
// it and what to tune. Every figure stands alone (Reported): one the driver or the kernel does
// not give is said so, never an error for the whole report.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nic/ethtool.h"
#include "nic/irqs.h"
#include "nic/reported.h"
#include "nic/xdp_features.h"

namespace anycastd::nic {

// A DPDK port is no kernel interface: what DPDK says of it instead.
struct DpdkPort {
  unsigned port = 0;
  std::string driver, mac;
  unsigned queues = 0;
  bool link_up = false;
  std::uint32_t link_speed_mbps = 0;
};

struct NicReport {
  std::string name;
  std::string role;      // "uplink" | "exception" (DPDK's exception interface)
  std::string state;     // the datapath's: "attached", "gone", "failed", "chained"; a DPDK port's link
  std::string xdp_mode;  // in use: "native" | "generic" | "" (not attached, DPDK)
  int ifindex = 0;       // 0: not found in the namespace
  std::optional<DpdkPort> dpdk;
  Reported<DriverInfo> driver;
  Reported<Channels> channels;
  Reported<Rings> rings;
  Reported<std::uint32_t> mtu;
  Reported<XdpFeatures> xdp_features;
  Reported<std::vector<Irq>> irqs;
  std::vector<std::string> tune;
};

// A kernel interface in the caller's network namespace. One that is not there has every figure
// "not reported: no such interface".
NicReport report_interface(const std::string& name, const std::string& role, const std::string& state,
                           const std::string& xdp_mode);

// A DPDK port: its own figures, and "not a kernel interface" for the kernel's.
NicReport report_dpdk_port(const DpdkPort& port, const std::string& name);

}  // namespace anycastd::nic
