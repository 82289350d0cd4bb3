// SPDX-License-Identifier: Apache-2.0
#include "nic/nic_json.h"

namespace anycastd::nic {
namespace {

template <class T, class F>
nlohmann::json reported(const Reported<T>& r, F&& value) {
  if (!r) return {{"not_reported", r.why_not}};
  return value(*r);
}

}  // namespace

nlohmann::json to_json(const NicReport& r) {
  nlohmann::json j = {{"name", r.name}, {"role", r.role}, {"state", r.state}, {"xdp_mode", r.xdp_mode},
                      {"ifindex", r.ifindex}};
  if (r.dpdk)
    j["dpdk"] = {{"port", r.dpdk->port},
                 {"driver", r.dpdk->driver},
                 {"mac", r.dpdk->mac},
                 {"queues", r.dpdk->queues},
                 {"link_up", r.dpdk->link_up},
                 {"link_speed_mbps", r.dpdk->link_speed_mbps}};
  j["driver"] = reported(r.driver, [](const DriverInfo& d) {
    return nlohmann::json{{"driver", d.driver}, {"version", d.version}, {"firmware", d.firmware}, {"bus", d.bus}};
  });
  j["channels"] = reported(r.channels, [](const Channels& c) {
    return nlohmann::json{{"rx", c.rx},         {"tx", c.tx},         {"other", c.other},         {"combined", c.combined},
                          {"max_rx", c.max_rx}, {"max_tx", c.max_tx}, {"max_other", c.max_other}, {"max_combined", c.max_combined}};
  });
  j["rings"] = reported(r.rings, [](const Rings& g) {
    return nlohmann::json{{"rx", g.rx}, {"tx", g.tx}, {"max_rx", g.max_rx}, {"max_tx", g.max_tx}};
  });
  j["mtu"] = reported(r.mtu, [](std::uint32_t mtu) { return nlohmann::json(mtu); });
  j["xdp_features"] = reported(r.xdp_features, [](const XdpFeatures& f) {
    nlohmann::json out = {{"flags", f.flags}, {"names", xdp_feature_names(f.flags)}};
    if (f.zc_max_segs) out["zc_max_segs"] = *f.zc_max_segs;
    if (f.rx_metadata) out["rx_metadata"] = rx_metadata_names(*f.rx_metadata);
    return out;
  });
  j["irqs"] = reported(r.irqs, [](const std::vector<Irq>& irqs) {
    nlohmann::json out = nlohmann::json::array();
    for (const Irq& irq : irqs) out.push_back({{"irq", irq.number}, {"cpus", irq.cpus}});
    return out;
  });
  j["tune"] = r.tune;
  return j;
}

nlohmann::json to_json(const std::vector<NicReport>& reports) {
  nlohmann::json out = nlohmann::json::array();
  for (const NicReport& r : reports) out.push_back(to_json(r));
  return out;
}

}  // namespace anycastd::nic
