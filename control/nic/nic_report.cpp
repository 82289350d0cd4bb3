// SPDX-License-Identifier: Apache-2.0
#include "nic/nic_report.h"

#include <net/if.h>
#include <unistd.h>

#include <exception>

#include "nic/netdev_family.h"
#include "nic/tuning.h"

namespace anycastd::nic {
namespace {

void all_missing(NicReport& r, const std::string& why) {
  r.driver = Reported<DriverInfo>::missing(why);
  r.channels = Reported<Channels>::missing(why);
  r.rings = Reported<Rings>::missing(why);
  r.mtu = Reported<std::uint32_t>::missing(why);
  r.xdp_features = Reported<XdpFeatures>::missing(why);
  r.irqs = Reported<std::vector<Irq>>::missing(why);
}

unsigned online_cpus() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1;
}

}  // namespace

NicReport report_interface(const std::string& name, const std::string& role, const std::string& state,
                           const std::string& xdp_mode) {
  NicReport r;
  r.name = name;
  r.role = role;
  r.state = state;
  r.xdp_mode = xdp_mode;
  r.ifindex = static_cast<int>(if_nametoindex(name.c_str()));
  if (r.ifindex == 0) {
    all_missing(r, "not reported: no such interface");
    return r;
  }
  try {
    Ethtool ethtool(name);
    r.driver = ethtool.driver_info();
    r.channels = ethtool.channels();
    r.rings = ethtool.rings();
    r.mtu = ethtool.mtu();
  } catch (const std::exception& e) {
    std::string why = std::string("not reported: ") + e.what();
    r.driver = Reported<DriverInfo>::missing(why);
    r.channels = Reported<Channels>::missing(why);
    r.rings = Reported<Rings>::missing(why);
    r.mtu = Reported<std::uint32_t>::missing(why);
  }
  r.xdp_features = query_xdp_features(r.ifindex);
  r.irqs = device_irqs(name);
  r.tune = tuning_advice({.interface = name,
                          .driver = r.driver ? r.driver->driver : "",
                          .xdp_mode = xdp_mode,
                          .channels = r.channels,
                          .rings = r.rings,
                          .irqs = r.irqs,
                          .cpus = online_cpus()});
  return r;
}

NicReport report_dpdk_port(const DpdkPort& port, const std::string& name) {
  NicReport r;
  r.name = name;
  r.role = "uplink";
  r.state = port.link_up ? "link up" : "link down";
  r.dpdk = port;
  all_missing(r, "not a kernel interface (DPDK port)");
  r.tune.push_back("DPDK port: queues and descriptors are anycastd's [datapath] DPDK settings, not ethtool's");
  return r;
}

}  // namespace anycastd::nic
