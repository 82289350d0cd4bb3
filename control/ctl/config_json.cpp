// SPDX-License-Identifier: Apache-2.0
#include "ctl/config_json.h"

#include <spdlog/spdlog.h>

namespace anycastd::ctl {
namespace {

using nlohmann::json;

json prefixes_json(const std::vector<Prefix>& prefixes) {
  json out = json::array();
  for (const Prefix& p : prefixes) out.push_back(p.str());
  return out;
}

json check_config_json(const CheckConfig& c) {
  static constexpr const char* kKinds[] = {"datapath", "tcp", "exec", "clock"};
  json out{{"kind", kKinds[static_cast<int>(c.kind)]}, {"timeout_ms", c.timeout.count()}};
  if (c.kind == CheckKind::tcp) {
    out["port"] = c.port;
    out["address"] = c.address ? c.address->address() : "";
  }
  if (c.kind == CheckKind::exec) out["command"] = c.command;
  if (c.kind == CheckKind::clock) out["max_error_ms"] = c.max_error.count();
  out["soft"] = c.soft;
  return out;
}

// Unset attributes are null, so that "not sent" and 0 differ.
json attributes_json(const RouteAttributes& a) {
  return json{{"med", a.med ? json(*a.med) : json()},
              {"prepend", a.prepend},
              {"communities", a.communities},
              {"large_communities", a.large_communities},
              {"local_preference", a.local_preference ? json(*a.local_preference) : json()}};
}

json route_config_json(const RouteConfig& r) {
  return json{{"signal", std::string(to_string(r.signal))},
              {"drain_ms", r.drain.count()},
              {"graceful_shutdown", r.graceful_shutdown},
              {"soft_drain_ms", r.soft_drain.count()},
              {"ibgp", r.ibgp},
              {"up", attributes_json(r.attributes.up)},
              {"degraded", attributes_json(r.attributes.degraded)},
              {"draining", attributes_json(r.attributes.draining)},
              {"bird",
               {{"socket", r.bird.socket},
                {"protocol", r.bird.protocols},
                {"degraded_protocol", r.bird.degraded_protocols},
                {"draining_protocol", r.bird.gshut_protocols},
                {"timeout_ms", r.bird.timeout.count()}}},
              {"exabgp",
               {{"pipe", r.exabgp.pipe},
                {"next_hop4", r.exabgp.next_hop4},
                {"next_hop6", r.exabgp.next_hop6},
                {"communities", r.exabgp.communities},
                {"local_as", r.exabgp.local_as},
                {"timeout_ms", r.exabgp.timeout.count()}}},
              {"frr",
               {{"vtysh", r.frr.vtysh},
                {"pathspace", r.frr.pathspace},
                {"vty_socket", r.frr.vty_socket},
                {"asn", r.frr.asn},
                {"route_map", r.frr.route_map},
                {"gshut_route_map", r.frr.gshut_route_map},
                {"degraded_route_map", r.frr.degraded_route_map},
                {"timeout_ms", r.frr.timeout.count()}}},
              {"gobgp",
               {{"gobgp", r.gobgp.gobgp},
                {"api", r.gobgp.api},
                {"next_hop4", r.gobgp.next_hop4},
                {"next_hop6", r.gobgp.next_hop6},
                {"communities", r.gobgp.communities},
                {"timeout_ms", r.gobgp.timeout.count()}}}};
}

}  // namespace

json group_config_json(const GroupConfig& g) {
  json services = json::array();
  for (int s = 0; s < AC_SVC__COUNT; ++s)
    if (g.services & (1u << s)) services.push_back(ac_service_names[s]);
  json checks = json::array();
  for (const CheckConfig& c : g.checks) checks.push_back(check_config_json(c));
  return json{{"name", g.name},
              {"addresses", prefixes_json(g.addresses)},
              {"services", std::move(services)},
              {"disable_file", g.disable_file},
              {"checks", std::move(checks)},
              {"timing",
               {{"rise", g.timing.rise},
                {"fall", g.timing.fall},
                {"interval_ms", g.timing.interval.count()},
                {"fast_interval_ms", g.timing.fast_interval.count()},
                {"drain_ms", g.timing.drain.count()},
                {"hold_down_ms", g.timing.hold_down.count()},
                {"dampening",
                 {{"penalty", g.timing.dampening.penalty},
                  {"suppress", g.timing.dampening.suppress},
                  {"reuse", g.timing.dampening.reuse},
                  {"half_life_ms", g.timing.dampening.half_life.count()},
                  {"max_penalty", g.timing.dampening.max_penalty}}}}},
              {"route", route_config_json(g.route)}};
}

json running_json(const RunningSettings& r) {
  json services = json::array();
  for (const auto& [port, value] : r.tables.ports) {
    if (!(value.flags & AC_SVC_F_ENABLED) || value.service >= AC_SVC__COUNT) continue;
    std::vector<Prefix> allow;
    for (const AllowEntry& a : r.tables.allow)
      if (a.service == value.service) allow.push_back(a.source);
    const ac_ratelimit_config& l = r.tables.ratelimit[value.service];
    services.push_back(json{{"name", ac_service_names[value.service]},
                            {"port", port},
                            {"allow", prefixes_json(allow)},
                            {"rate_limit",
                             {{"interval_ns", l.interval_ns},
                              {"burst", l.burst},
                              {"ipv4_prefix", l.prefix4},
                              {"ipv6_prefix", l.prefix6},
                              {"slip", l.slip}}}});
  }
  json out{{"log", {{"level", spdlog::level::to_string_view(r.log_level).data()}, {"stats_interval_s", r.stats_interval_s}}},
           {"health", {{"disable_file", r.disable_file}}},
           {"services", std::move(services)},
           {"control", {{"socket", r.control_socket}}},
           {"metrics", {{"listen", r.metrics_listen}}}};
  if (r.clock)
    out["ntp_clock"] = json{{"kind", r.clock->kind == ClockKind::chrony ? "chrony" : "kernel"},
                            {"chrony_socket", r.clock->chrony_socket}};
  return out;
}

}  // namespace anycastd::ctl
