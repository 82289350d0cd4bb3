// SPDX-License-Identifier: Apache-2.0
#include "daemon/nic_reports.h"

#include <set>
#include <string>

namespace anycastd {

std::vector<nic::NicReport> nic_reports(const DaemonStatus& status) {
  std::vector<nic::NicReport> reports;
  if (status.dpdk) {
    std::set<std::string> exceptions;
    for (const DpdkPortStatus& p : status.dpdk->ports) {
      reports.push_back(nic::report_dpdk_port(
          {.port = p.port, .driver = p.driver, .mac = p.mac, .queues = p.queues, .link_up = p.link_up,
           .link_speed_mbps = p.link_speed_mbps},
          "port " + std::to_string(p.port)));
      if (!p.exception_interface.empty()) exceptions.insert(p.exception_interface);
    }
    for (const std::string& name : exceptions) reports.push_back(nic::report_interface(name, "exception", "", ""));
    return reports;
  }
  for (const InterfaceStatus& i : status.interfaces)
    reports.push_back(nic::report_interface(i.name, "uplink", i.state, i.state == "attached" ? i.xdp_mode : ""));
  return reports;
}

}  // namespace anycastd
