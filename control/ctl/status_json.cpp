// SPDX-License-Identifier: Apache-2.0
#include "ctl/status_json.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "ctl/config_json.h"

namespace anycastd::ctl {

namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// The snapshot's "now" on both clocks, so that every age in one reply is measured from the same
// instant and a steady_clock time can be put on the wall clock.
struct Now {
  WallClock::time_point wall;
  SteadyClock::time_point steady;
};

double seconds(std::chrono::duration<double> d) { return d.count(); }

// Rounded to the millisecond: more digits only make the JSON harder to read.
double round_ms(double s) { return std::round(s * 1000.0) / 1000.0; }

json time_json(WallClock::time_point t, const Now& now) {
  if (t == WallClock::time_point{}) return nullptr;
  return json{{"utc", iso8601_utc(t)},
              {"unix", round_ms(seconds(t.time_since_epoch()))},
              {"age_s", round_ms(seconds(now.wall - t))}};
}

json time_json(SteadyClock::time_point t, const Now& now) {
  if (t == SteadyClock::time_point{}) return nullptr;
  auto wall = now.wall - std::chrono::duration_cast<WallClock::duration>(now.steady - t);
  return time_json(wall, now);
}

json services_json(std::uint32_t bits) {
  json out = json::array();
  for (unsigned i = 0; i < 32; ++i) {
    if (!(bits & (1u << i))) continue;
    out.push_back(i < AC_SVC__COUNT ? std::string(ac_service_names[i]) : fmt::format("service{}", i));
  }
  return out;
}

json check_json(const CheckStatus& c, const Now& now) {
  return json{{"name", c.name},
              {"ran", c.ran},
              {"ok", c.ok},
              {"detail", c.detail},
              {"latency_ms", static_cast<double>(c.latency.count()) / 1000.0},  // µs -> ms
              {"at", time_json(c.at, now)},
              {"runs", c.runs},
              {"failures", c.failures}};
}

json signal_json(const SignalStatus& s, const Now& now) {
  return json{{"kind", std::string(to_string(s.kind))},
              {"target", s.target},
              {"reachable", s.reachable},
              {"contacted", s.contacted},
              {"last_ok", s.last_ok},
              {"last_command", s.last_command},
              {"last_detail", s.last_detail},
              {"last_at", time_json(s.last_at, now)},
              {"last_duration_ms", s.last_duration.count()},
              {"commands", s.commands},
              {"failures", s.failures},
              {"consecutive_failures", s.consecutive_failures},
              {"last_probe_at", time_json(s.last_probe_at, now)},
              {"summary", s.summary()}};
}

json hooks_json(const GroupHooksStatus& h, const Now& now) {
  json hooks = json::array();
  for (const HookStatus& k : h.hooks) {
    json last = nullptr;
    if (k.ran)
      last = json{{"old_state", k.last_change.old_state},
                  {"new_state", k.last_change.new_state},
                  {"changes", k.last_change.changes},
                  {"changed_at", time_json(k.last_change.at, now)},
                  {"ended_at", time_json(k.last_at, now)},
                  {"ok", k.last_ok},
                  {"result", k.last_result},
                  {"output", k.last_output},
                  {"output_dropped_bytes", k.last_output_dropped}};
    hooks.push_back(json{{"hook", k.index},
                         {"command", k.config.command},
                         {"timeout_ms", k.config.timeout.count()},
                         {"states", k.config.states},
                         {"runs", k.runs},
                         {"failures", k.failures},
                         {"timeouts", k.timeouts},
                         {"running", k.running},
                         {"last", std::move(last)}});
  }
  return json{{"hooks", std::move(hooks)}, {"queued", h.queued}, {"coalesced", h.coalesced}, {"dropped", h.dropped}};
}

json group_json(const GroupStatus& g, const Now& now) {
  json vips = json::array();
  for (const auto& vip : g.vips) vips.push_back(vip.str());
  json checks = json::array();
  for (const auto& c : g.checks) checks.push_back(check_json(c, now));
  return json{{"name", g.name},
              {"vips", std::move(vips)},
              {"services", services_json(g.services)},
              {"state", std::string(to_string(g.state))},
              {"since", time_json(g.since, now)},
              {"flaps", g.flaps},
              {"penalty", g.penalty},
              {"suppressed", g.suppressed},
              {"passes", g.passes},
              {"failures", g.failures},
              {"held_out", g.held_out},
              {"retiring", g.retiring},
              {"checks", std::move(checks)},
              {"route", signal_json(g.signal, now)},
              {"hooks", hooks_json(g.hooks, now)},
              {"config", group_config_json(g.config)}};
}

json counters_json(const ac_stats& s) {
  json packets = json::object(), passed = json::object(), answered = json::object(), bytes = json::object(),
       limited = json::object();
  for (unsigned i = 0; i < AC_ACT__COUNT; ++i) packets[ac_action_names[i]] = s.action[i];
  for (unsigned i = 0; i < AC_PASS__COUNT; ++i) passed[ac_pass_reason_names[i]] = s.pass[i];
  for (unsigned i = 0; i < AC_SVC__COUNT; ++i) {
    answered[ac_service_names[i]] = s.answered[i];
    bytes[ac_service_names[i]] = s.answered_bytes[i];
    limited[ac_service_names[i]] = s.rate_limited[i];
  }
  json dns = json::object();
  for (unsigned i = 0; i < AC_DNS_OUT__COUNT; ++i) dns[ac_dns_outcome_names[i]] = s.dns[i];
  dns["do"] = s.dns_do;  // of the answers above, those to DO queries
  return json{{"packets", std::move(packets)},
              {"passed", std::move(passed)},
              {"answered", std::move(answered)},
              {"answered_bytes", std::move(bytes)},
              {"dns", std::move(dns)},
              {"rate_limited", std::move(limited)}};
}

json dns_json(const DnsStatus& d, const Now& now) {
  json zones = json::array();
  for (const auto& z : d.zones)
    zones.push_back(json{{"origin", z.origin}, {"file", z.file}, {"serial", z.serial}, {"records", z.records}});
  json out{{"zones", std::move(zones)},
           {"entries", d.entries},
           {"memory_bytes", d.bytes},
           {"loaded", time_json(d.loaded, now)},
           {"last_load", json{{"at", time_json(d.last_load, now)}, {"ok", d.last_load_ok}, {"error", d.last_load_error}}},
           {"loads", d.loads},
           {"load_failures", d.load_failures},
           {"edns", json{{"nsid", d.nsid},
                         {"cookie_secret_file", d.cookie_secret_file},
                         {"cookie_secret_previous_file", d.cookie_secret_previous_file}}}};
  if (d.slow_path) {
    json counters = json::object();
    for (const auto& [name, value] : d.slow_path->counters) counters[name] = value;
    out["slow_path"] = json{{"port", d.slow_path->port},
                            {"addresses", d.slow_path->addresses},
                            {"tcp_open", d.slow_path->tcp_open},
                            {"counters", std::move(counters)}};
  }
  return out;
}

json datapath_counters_json(const channel::DatapathCounters& c) {
  json out = json::object();
  for (const auto& f : channel::kDatapathCounterFields) out[f.name] = c.*f.field;
  return out;
}

json dpdk_json(const DpdkStatus& d) {
  json lcores = json::array();
  for (const auto& l : d.lcores)
    lcores.push_back(json{{"lcore", l.lcore},
                          {"port", l.port},
                          {"queue", l.queue},
                          {"loops", l.loops},
                          {"counters", counters_json(l.core)},
                          {"datapath", datapath_counters_json(l.datapath)}});
  json xstats = json::object();
  for (const auto& [name, value] : d.xstats) xstats[name] = value;
  // Per port: what it is, its link, its workers' datapath counters summed, its xstats.
  json ports = json::array();
  for (const DpdkPortStatus& p : d.ports) {
    channel::DatapathCounters sum{};
    for (const auto& l : d.lcores)
      if (l.port == p.port)
        for (const auto& f : channel::kDatapathCounterFields) sum.*f.field += l.datapath.*f.field;
    json px = json::object();
    for (const auto& [name, value] : p.xstats) px[name] = value;
    ports.push_back(json{{"port", p.port},
                         {"driver", p.driver},
                         {"profile", p.profile},
                         {"exception_interface", p.exception_interface},
                         {"mac", p.mac},
                         {"queues", p.queues},
                         {"link_up", p.link_up},
                         {"link_speed_mbps", p.link_speed_mbps},
                         {"datapath", datapath_counters_json(sum)},
                         {"xstats", std::move(px)}});
  }
  return json{{"ports", std::move(ports)},{"running", d.running},   {"down_reason", d.down_reason}, {"pid", d.pid},
              {"restarts", d.restarts}, {"driver", d.driver},           {"profile", d.profile},
              {"exception", d.exception}, {"exception_interface", d.exception_interface},
              {"mac", d.mac},           {"queues", d.queues},           {"link_up", d.link_up},
              {"link_speed_mbps", d.link_speed_mbps}, {"lcores", std::move(lcores)}, {"xstats", std::move(xstats)}};
}

}  // namespace

json interface_json(const InterfaceStatus& i) {
  json out{{"name", i.name},     {"ifindex", i.ifindex}, {"state", i.state},
           {"detail", i.detail}, {"xdp_mode", i.xdp_mode}, {"prog_id", i.prog_id},
           {"counters", {{"answered", i.answered}, {"passed", i.passed}, {"dropped", i.dropped}}}};
  return out;
}

std::string iso8601_utc(WallClock::time_point t) {
  using namespace std::chrono;
  auto ms = floor<milliseconds>(t);
  auto day = floor<days>(ms);
  year_month_day ymd{day};
  hh_mm_ss hms{ms - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count(), hms.subseconds().count());
}

json status_to_json(const DaemonStatus& status) {
  Now now{status.taken, status.taken_steady};
  if (now.wall == WallClock::time_point{}) now.wall = WallClock::now();
  if (now.steady == SteadyClock::time_point{}) now.steady = SteadyClock::now();

  json groups = json::array();
  for (const auto& g : status.groups) groups.push_back(group_json(g, now));

  json out{{"version", status.version},
              {"pid", status.pid},
              {"config", status.config_path},
              {"taken", time_json(now.wall, now)},
              {"started", time_json(status.started, now)},
              {"datapath", status.datapath},
              {"interface", status.interface},
              {"xdp_mode", status.xdp_mode},
              {"prog_id", status.prog_id},
              {"answering", status.answering},
              {"reloads", status.reloads},
              {"reload_failures", status.reload_failures},
              {"last_reload_error", status.last_reload_error},
              {"groups", std::move(groups)},
              {"counters", counters_json(status.counters)}};
  if (status.datapath == "xdp") {
    out["attach"] = status.attach;
    json interfaces = json::array();
    for (const InterfaceStatus& i : status.interfaces) interfaces.push_back(interface_json(i));
    out["interfaces"] = std::move(interfaces);
    if (status.attach == "chain") out["chain"] = {{"map", status.chain_map}, {"index", status.chain_index}, {"prog_id", status.prog_id}};
  }
  if (status.vip_counters) {
    json vips = json::array();
    for (const VipCounterStatus& v : status.vips)
      vips.push_back({{"vip", v.vip},
                      {"group", v.group},
                      {"counters", {{"answered", v.answered}, {"passed", v.passed}, {"dropped", v.dropped}}}});
    out["vips"] = std::move(vips);
    out["vip_series"] = {{"limit", status.vip_series}, {"over_limit", status.vips_over_cap}};
  }
  if (status.dpdk) out["dpdk"] = dpdk_json(*status.dpdk);
  if (status.dns) out["dns"] = dns_json(*status.dns, now);
  out["capture"] = status.capture ? json{{"filter", status.capture->filter},
                                         {"client", status.capture->client},
                                         {"frames", status.capture->frames}}
                                  : json(nullptr);
  out["running"] = running_json(status.running);
  return out;
}

}  // namespace anycastd::ctl
