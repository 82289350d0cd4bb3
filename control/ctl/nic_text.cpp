// SPDX-License-Identifier: Apache-2.0
#include "ctl/nic_text.h"

#include <fmt/format.h>

namespace anycastd::ctl {
namespace {

std::string text(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

std::uint64_t number(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number_unsigned() ? j[key].get<std::uint64_t>() : 0;
}

// A figure the daemon could not get reads as its reason; one absent from the reply (an older
// daemon) as "not reported".
bool missing(const nlohmann::json& nic, const char* key, std::string& why) {
  if (!nic.contains(key) || nic[key].is_null()) {
    why = "not reported";
    return true;
  }
  const nlohmann::json& v = nic[key];
  if (v.is_object() && v.contains("not_reported")) {
    why = text(v, "not_reported");
    return true;
  }
  return false;
}

std::string driver_line(const nlohmann::json& nic) {
  std::string why;
  if (missing(nic, "driver", why)) return why;
  const nlohmann::json& d = nic["driver"];
  auto or_none = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
  return fmt::format("{} {}, firmware {}, bus {}", or_none(text(d, "driver")), text(d, "version"),
                     or_none(text(d, "firmware")), or_none(text(d, "bus")));
}

std::string queues_line(const nlohmann::json& nic) {
  std::string why;
  if (missing(nic, "channels", why)) return why;
  const nlohmann::json& c = nic["channels"];
  return fmt::format("rx {}/{}  tx {}/{}  combined {}/{}  other {}/{}  (current/max)", number(c, "rx"),
                     number(c, "max_rx"), number(c, "tx"), number(c, "max_tx"), number(c, "combined"),
                     number(c, "max_combined"), number(c, "other"), number(c, "max_other"));
}

std::string rings_line(const nlohmann::json& nic) {
  std::string why;
  if (missing(nic, "rings", why)) return why;
  const nlohmann::json& r = nic["rings"];
  return fmt::format("rx {}/{}  tx {}/{}  (current/max)", number(r, "rx"), number(r, "max_rx"), number(r, "tx"),
                     number(r, "max_tx"));
}

std::string mtu_line(const nlohmann::json& nic) {
  std::string why;
  if (missing(nic, "mtu", why)) return why;
  return nic["mtu"].is_number() ? nic["mtu"].dump() : "not reported";
}

std::string features_line(const nlohmann::json& nic) {
  std::string why;
  if (missing(nic, "xdp_features", why)) return why;
  const nlohmann::json& f = nic["xdp_features"];
  std::string names;
  if (f.is_object() && f.contains("names") && f["names"].is_array())
    for (const auto& n : f["names"])
      if (n.is_string()) names += (names.empty() ? "" : " ") + n.get<std::string>();
  if (names.empty()) names = "none";
  if (f.is_object() && f.contains("zc_max_segs") && f["zc_max_segs"].is_number())
    names += fmt::format(" (zc max segs {})", f["zc_max_segs"].dump());
  return names;
}

std::string irqs_line(const nlohmann::json& nic) {
  std::string why;
  if (missing(nic, "irqs", why)) return why;
  if (!nic["irqs"].is_array()) return "not reported";
  std::string out;
  for (const auto& irq : nic["irqs"])
    out += fmt::format("{}{}->{}", out.empty() ? "" : " ", number(irq, "irq"), text(irq, "cpus"));
  return out.empty() ? "none" : out;
}

}  // namespace

std::string format_nic(const nlohmann::json& nic) {
  if (!nic.is_array() || nic.empty()) return "no interfaces\n";
  std::string out;
  for (const nlohmann::json& i : nic) {
    if (!out.empty()) out += "\n";
    std::string state = text(i, "state");
    out += fmt::format("{} ({}{})\n", text(i, "name"), text(i, "role").empty() ? "uplink" : text(i, "role"),
                       state.empty() ? "" : ", " + state);
    const bool dpdk = i.contains("dpdk") && i["dpdk"].is_object();
    if (dpdk) {
      const nlohmann::json& d = i["dpdk"];
      bool up = d.contains("link_up") && d["link_up"] == true;
      out += fmt::format("  dpdk:          port {}, driver {}, {} queues, link {} {} Mb/s, mac {}\n", number(d, "port"),
                         text(d, "driver"), number(d, "queues"), up ? "up" : "down", number(d, "link_speed_mbps"),
                         text(d, "mac"));
    }
    std::string mode = text(i, "xdp_mode");
    out += fmt::format("  driver:        {}\n", driver_line(i));
    out += fmt::format("  mtu:           {}\n", mtu_line(i));
    out += fmt::format("  queues:        {}\n", queues_line(i));
    out += fmt::format("  rings:         {}\n", rings_line(i));
    out += fmt::format("  xdp mode:      {}\n", !mode.empty() ? mode : dpdk ? "none (DPDK port)" : "not attached");
    out += fmt::format("  xdp features:  {}\n", features_line(i));
    out += fmt::format("  irqs:          {}\n", irqs_line(i));
    if (i.contains("tune") && i["tune"].is_array() && !i["tune"].empty()) {
      out += "  tune:\n";
      for (const auto& line : i["tune"])
        if (line.is_string()) out += "    - " + line.get<std::string>() + "\n";
    }
  }
  return out;
}

}  // namespace anycastd::ctl
