// SPDX-License-Identifier: Apache-2.0
#include "metrics/render_metrics.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <type_traits>
#include <utility>
#include <vector>

namespace anycastd::metrics {

namespace {

using Labels = std::vector<std::pair<std::string_view, std::string>>;

// Every state a group can be in, for the one-hot anycastd_group_state; keep in step with
// GroupState.
constexpr GroupState kStates[] = {GroupState::down, GroupState::ready, GroupState::up, GroupState::degraded,
                                  GroupState::draining};

class Writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    name_ = name;
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }

  // Counters are integers (abi.h's __u64 is not std::uint64_t's type, hence the template); they
  // are printed as such rather than through a double, which would round them past 2^53.
  template <typename T>
    requires std::is_integral_v<T>
  void sample(const Labels& labels, T value) {
    line(labels, fmt::format("{}", value));
  }
  void sample(const Labels& labels, double value) { line(labels, number(value)); }
  template <typename T>
  void sample(T value) {
    sample(Labels{}, value);
  }

  std::string take() { return std::move(out_); }

 private:
  // Shortest text that reads back as the same double; the format's spellings for the rest.
  static std::string number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", v);
  }

  void line(const Labels& labels, const std::string& value) {
    out_ += name_;
    if (!labels.empty()) {
      out_ += '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i) out_ += ',';
        out_ += fmt::format("{}=\"{}\"", labels[i].first, escape_label_value(labels[i].second));
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }

  std::string out_;
  std::string_view name_;
};

double unix_seconds(WallClock::time_point t) {
  double s = std::chrono::duration<double>(t.time_since_epoch()).count();
  return std::round(s * 1000.0) / 1000.0;  // to the millisecond, so the text stays short
}

bool signal_up(const SignalStatus& s) { return s.reachable && (!s.contacted || s.last_ok); }

// Two checks of a group with the same name (two exec checks of one command, say) would make two
// identical series, and Prometheus rejects a scrape with duplicates; the later ones get " #2"...
std::vector<std::string> unique_check_names(const GroupStatus& g) {
  std::map<std::string, unsigned> seen;
  std::vector<std::string> out;
  for (const auto& c : g.checks) {
    unsigned n = ++seen[c.name];
    out.push_back(n == 1 ? c.name : fmt::format("{} #{}", c.name, n));
  }
  return out;
}

// As NTP tools print a reference ID: the source's own name in ASCII at stratum 1 (we answer 2),
// a server's IPv4 address (or IPv6 hash) above it; "" while there is none (unsynchronised).
std::string refid_text(const ac_ntp_state& s) {
  if (s.refid == 0) return "";
  if (s.stratum == 2) {
    std::string out;
    for (int shift = 24; shift >= 0; shift -= 8) {
      char ch = static_cast<char>((s.refid >> shift) & 0xFF);
      if (ch == 0) break;
      out += (ch >= 0x20 && ch < 0x7F) ? ch : '?';
    }
    return out;
  }
  return fmt::format("{}.{}.{}.{}", s.refid >> 24, (s.refid >> 16) & 0xFF, (s.refid >> 8) & 0xFF, s.refid & 0xFF);
}

double ntp_short_seconds(std::uint32_t v) { return v / 65536.0; }

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    switch (ch) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string render_metrics(const DaemonStatus& st) {
  Writer w;

  w.family("anycastd_info", "gauge", "The running anycastd's version, as a label; always 1.");
  w.sample(Labels{{"version", st.version}}, std::uint64_t{1});
  w.family("anycastd_start_time_seconds", "gauge", "When the daemon started, in seconds since the Unix epoch.");
  w.sample(unix_seconds(st.started));
  w.family("anycastd_answering", "gauge", "1 while the fast path's global switch is on.");
  w.sample(std::uint64_t{st.answering ? 1u : 0u});
  w.family("anycastd_reloads_total", "counter", "Configuration reloads, accepted or not.");
  w.sample(st.reloads);
  w.family("anycastd_reload_failures_total", "counter",
           "Configuration reloads rejected; the configuration before them stayed in force.");
  w.sample(st.reload_failures);

  const ac_stats& c = st.counters;
  w.family("anycastd_packets_total", "counter", "Frames the fast path decided on, by verdict.");
  for (unsigned i = 0; i < AC_ACT__COUNT; ++i) w.sample(Labels{{"action", ac_action_names[i]}}, c.action[i]);
  w.family("anycastd_passed_total", "counter", "Frames the fast path passed to the kernel, by reason.");
  // AC_PASS_NONE marks an answered frame and is never counted as a pass.
  for (unsigned i = 1; i < AC_PASS__COUNT; ++i) w.sample(Labels{{"reason", ac_pass_reason_names[i]}}, c.pass[i]);
  w.family("anycastd_answered_total", "counter", "Frames the fast path answered, by service.");
  for (unsigned i = 0; i < AC_SVC__COUNT; ++i) w.sample(Labels{{"service", ac_service_names[i]}}, c.answered[i]);
  w.family("anycastd_answered_bytes_total", "counter", "Bytes of the frames the fast path answered, by service.");
  for (unsigned i = 0; i < AC_SVC__COUNT; ++i)
    w.sample(Labels{{"service", ac_service_names[i]}}, c.answered_bytes[i]);
  w.family("anycastd_rate_limited_total", "counter",
           "Requests over their source's rate limit, by service (NTP: answered with a RATE kiss-o'-death).");
  for (unsigned i = 0; i < AC_SVC__COUNT; ++i)
    w.sample(Labels{{"service", ac_service_names[i]}}, c.rate_limited[i]);

  w.family("anycastd_dns_answers_total", "counter",
           "DNS queries the fast path answered, by outcome (their sum is answered_total{service=\"dns\"}).");
  for (unsigned i = 0; i < AC_DNS_OUT__COUNT; ++i) w.sample(Labels{{"outcome", ac_dns_outcome_names[i]}}, c.dns[i]);
  w.family("anycastd_dns_do_answers_total", "counter",
           "Of those, answers to queries with the DO bit (signed zones: with RRSIGs and proofs).");
  w.sample(Labels{}, c.dns_do);

  if (st.dns) {
    const DnsStatus& d = *st.dns;
    w.family("anycastd_dns_zone_serial", "gauge", "The SOA serial of each zone in the DNS answer table in use.");
    for (const auto& z : d.zones) w.sample(Labels{{"zone", z.origin}}, std::uint64_t{z.serial});
    w.family("anycastd_dns_zone_records", "gauge", "Records of each zone in the DNS answer table in use.");
    for (const auto& z : d.zones) w.sample(Labels{{"zone", z.origin}}, z.records);
    w.family("anycastd_dns_table_entries", "gauge", "Keys (name, type) in the DNS answer table in use.");
    w.sample(d.entries);
    w.family("anycastd_dns_table_bytes", "gauge", "Size of the DNS answer table in use, as each datapath holds it.");
    w.sample(d.bytes);
    w.family("anycastd_dns_table_loaded_seconds", "gauge",
             "When the DNS answer table in use was compiled, in seconds since the Unix epoch; 0 before the first.");
    w.sample(d.loaded == WallClock::time_point{} ? 0.0 : unix_seconds(d.loaded));
    w.family("anycastd_dns_last_load_ok", "gauge",
             "1 if the last zone load (start, reload) succeeded; 0 if it failed and the table before stayed.");
    w.sample(std::uint64_t{d.last_load_ok ? 1u : 0u});
    w.family("anycastd_dns_load_failures_total", "counter", "Zone loads that failed (a zone file's error, a refusal).");
    w.sample(d.load_failures);
    if (d.slow_path) {
      w.family("anycastd_dns_slow_path_total", "counter",
               "What anycastd's own DNS server on the VIPs received and did (queries, answers by outcome, its own "
               "rcodes, drops, TCP connections), by event.");
      for (const auto& [name, value] : d.slow_path->counters) w.sample(Labels{{"event", name}}, value);
      w.family("anycastd_dns_slow_path_tcp_open", "gauge", "TCP connections open to anycastd's own DNS server.");
      w.sample(d.slow_path->tcp_open);
    }
  }

  if (st.ntp) {
    const NtpClockStatus& n = *st.ntp;
    w.family("anycastd_ntp_info", "gauge",
             "The NTP service's clock source and the reference ID its answers carry, as labels; always 1.");
    w.sample(Labels{{"source", n.source}, {"refid", refid_text(n.served)}}, std::uint64_t{1});
    w.family("anycastd_ntp_source_reachable", "gauge", "1 if the clock source (chronyd, the kernel) answered the last reading.");
    w.sample(std::uint64_t{n.reachable ? 1u : 0u});
    w.family("anycastd_ntp_synchronised", "gauge",
             "1 if the clock source says it is synchronised; 0: the NTP answers say stratum 16, leap 3, and clients ignore them.");
    w.sample(std::uint64_t{n.synchronised ? 1u : 0u});
    w.family("anycastd_ntp_stratum", "gauge", "The stratum the NTP answers carry (the source's + 1; 16: unsynchronised).");
    w.sample(std::uint64_t{n.served.stratum});
    w.family("anycastd_ntp_leap", "gauge",
             "The leap indicator the NTP answers carry: 0 none, 1 a second inserted, 2 deleted at the end of the UTC day, 3 unsynchronised.");
    w.sample(std::uint64_t{n.served.leap});
    w.family("anycastd_ntp_root_delay_seconds", "gauge", "The root delay the NTP answers carry.");
    w.sample(ntp_short_seconds(n.served.root_delay));
    w.family("anycastd_ntp_root_dispersion_seconds", "gauge", "The root dispersion the NTP answers carry.");
    w.sample(ntp_short_seconds(n.served.root_dispersion));
    w.family("anycastd_ntp_last_read_seconds", "gauge",
             "When the clock source was last read (every second), in seconds since the Unix epoch; 0 before the first.");
    w.sample(n.read_at == WallClock::time_point{} ? 0.0 : unix_seconds(n.read_at));
  }

  if (st.vip_counters) {
    w.family("anycastd_vip_packets_total", "counter",
             "Frames to each VIP (address or prefix as configured), by what the fast path did with them; the VIPs "
             "above [metrics] vip_series share vip=\"other\". Since the VIP was added.");
    for (const VipCounterStatus& v : st.vips) {
      w.sample(Labels{{"vip", v.vip}, {"action", "answer"}}, v.answered);
      w.sample(Labels{{"vip", v.vip}, {"action", "pass"}}, v.passed);
      w.sample(Labels{{"vip", v.vip}, {"action", "drop"}}, v.dropped);
    }
    w.family("anycastd_vip_series_limit", "gauge", "[metrics] vip_series: VIPs with a series of their own, at most.");
    w.sample(st.vip_series);
    w.family("anycastd_vips_over_series_limit", "gauge", "VIPs counted together in vip=\"other\" (above vip_series).");
    w.sample(st.vips_over_cap);
  }

  if (!st.interfaces.empty()) {
    w.family("anycastd_interface_attached", "gauge",
             "1 while anycastd's XDP program is on the interface (0: gone or failed; chain: interfaces frames came from).");
    for (const auto& i : st.interfaces)
      w.sample(Labels{{"interface", i.name}}, std::uint64_t{i.state == "attached" || i.state == "chained" ? 1u : 0u});
    w.family("anycastd_interface_packets_total", "counter",
             "Frames the XDP program saw on the interface, by what it did with them (since it was attached there).");
    for (const auto& i : st.interfaces) {
      w.sample(Labels{{"interface", i.name}, {"action", "answer"}}, i.answered);
      w.sample(Labels{{"interface", i.name}, {"action", "pass"}}, i.passed);
      w.sample(Labels{{"interface", i.name}, {"action", "drop"}}, i.dropped);
    }
  }

  if (st.dpdk) {
    const DpdkStatus& d = *st.dpdk;
    w.family("anycastd_dpdk_up", "gauge", "1 while the DPDK datapath process runs and answers its supervisor.");
    w.sample(std::uint64_t{d.running ? 1u : 0u});
    w.family("anycastd_dpdk_restarts_total", "counter", "Times the DPDK datapath process died and was started again.");
    w.sample(d.restarts);
    w.family("anycastd_dpdk_link_up", "gauge", "1 while the DPDK port's link is up, per port.");
    for (const DpdkPortStatus& p : d.ports)
      w.sample(Labels{{"port", std::to_string(p.port)}, {"interface", p.exception_interface}},
               std::uint64_t{p.link_up ? 1u : 0u});
    for (const auto& k : channel::kDatapathCounterFields) {
      const std::string metric = "anycastd_dpdk_" + std::string(k.name) + "_total";  // outlives its samples
      w.family(metric, "counter", k.help);
      for (const auto& l : d.lcores)
        w.sample(Labels{{"lcore", std::to_string(l.lcore)}, {"port", std::to_string(l.port)},
                        {"queue", std::to_string(l.queue)}},
                 l.datapath.*k.field);
    }
    w.family("anycastd_dpdk_port_xstat", "untyped", "The DPDK ports' extended statistics, by DPDK's name.");
    for (const DpdkPortStatus& p : d.ports)
      for (const auto& [name, value] : p.xstats) w.sample(Labels{{"port", std::to_string(p.port)}, {"name", name}}, value);
  }

  w.family("anycastd_group_state", "gauge", "The group's state: 1 for the one it is in, 0 for the others.");
  for (const auto& g : st.groups)
    for (GroupState s : kStates)
      w.sample(Labels{{"group", g.name}, {"state", std::string(to_string(s))}}, std::uint64_t{g.state == s ? 1u : 0u});
  w.family("anycastd_group_state_since_seconds", "gauge",
           "When the group entered its current state, in seconds since the Unix epoch.");
  for (const auto& g : st.groups) w.sample(Labels{{"group", g.name}}, unix_seconds(g.since));
  w.family("anycastd_group_held_out", "gauge",
           "1 while the group is held out of service (anycastctl drain, maintenance file).");
  for (const auto& g : st.groups) w.sample(Labels{{"group", g.name}}, std::uint64_t{g.held_out.empty() ? 0u : 1u});
  w.family("anycastd_group_flaps_total", "counter", "Withdrawals of the group's route since the daemon started.");
  for (const auto& g : st.groups) w.sample(Labels{{"group", g.name}}, std::uint64_t{g.flaps});
  w.family("anycastd_group_dampening_penalty", "gauge",
           "The group's dampening penalty now ([health.dampening]; 0 when off).");
  for (const auto& g : st.groups) w.sample(Labels{{"group", g.name}}, g.penalty);
  w.family("anycastd_group_suppressed", "gauge", "1 while dampening holds the group withdrawn.");
  for (const auto& g : st.groups) w.sample(Labels{{"group", g.name}}, std::uint64_t{g.suppressed ? 1u : 0u});

  std::vector<std::vector<std::string>> check_names;
  for (const auto& g : st.groups) check_names.push_back(unique_check_names(g));
  auto each_check = [&](auto emit) {
    for (std::size_t gi = 0; gi < st.groups.size(); ++gi)
      for (std::size_t ci = 0; ci < st.groups[gi].checks.size(); ++ci)
        emit(Labels{{"group", st.groups[gi].name}, {"check", check_names[gi][ci]}}, st.groups[gi].checks[ci]);
  };
  w.family("anycastd_check_up", "gauge", "1 if the check's last run passed; 0 if it failed or has not run yet.");
  each_check([&](const Labels& l, const CheckStatus& k) { w.sample(l, std::uint64_t{k.ran && k.ok ? 1u : 0u}); });
  w.family("anycastd_check_latency_seconds", "gauge", "How long the check's last run took.");
  each_check([&](const Labels& l, const CheckStatus& k) {
    if (k.ran) w.sample(l, std::chrono::duration<double>(k.latency).count());
  });
  w.family("anycastd_check_runs_total", "counter", "Runs of the check.");
  each_check([&](const Labels& l, const CheckStatus& k) { w.sample(l, k.runs); });
  w.family("anycastd_check_failures_total", "counter", "Runs of the check that failed.");
  each_check([&](const Labels& l, const CheckStatus& k) { w.sample(l, k.failures); });

  auto each_hook = [&](auto emit) {
    for (const auto& g : st.groups)
      for (const HookStatus& h : g.hooks.hooks) emit(Labels{{"group", g.name}, {"hook", std::to_string(h.index)}}, h);
  };
  w.family("anycastd_hook_runs_total", "counter", "Runs of the hook ([[hook]] number `hook`) for the group.");
  each_hook([&](const Labels& l, const HookStatus& h) { w.sample(l, h.runs); });
  w.family("anycastd_hook_failures_total", "counter",
           "Runs of the hook that did not exit 0 (timeouts and programs that did not start included).");
  each_hook([&](const Labels& l, const HookStatus& h) { w.sample(l, h.failures); });
  w.family("anycastd_hook_timeouts_total", "counter", "Runs of the hook killed at its timeout.");
  each_hook([&](const Labels& l, const HookStatus& h) { w.sample(l, h.timeouts); });
  w.family("anycastd_hook_coalesced_total", "counter",
           "State changes of the group absorbed by one already waiting for its hooks (queue full).");
  for (const auto& g : st.groups)
    if (!g.hooks.hooks.empty()) w.sample(Labels{{"group", g.name}}, g.hooks.coalesced);

  auto signal_labels = [](const GroupStatus& g) {
    return Labels{{"group", g.name}, {"signal", std::string(to_string(g.signal.kind))}};
  };
  w.family("anycastd_route_signal_up", "gauge",
           "1 if the routing daemon (or the loopback) answered the last exchange and took the last command.");
  for (const auto& g : st.groups) w.sample(signal_labels(g), std::uint64_t{signal_up(g.signal) ? 1u : 0u});
  w.family("anycastd_route_commands_total", "counter", "Announce, withdraw and graceful-shutdown commands sent.");
  for (const auto& g : st.groups) w.sample(signal_labels(g), g.signal.commands);
  w.family("anycastd_route_command_failures_total", "counter",
           "Route commands that failed: not delivered, not answered in time, or refused.");
  for (const auto& g : st.groups) w.sample(signal_labels(g), g.signal.failures);

  return w.take();
}

}  // namespace anycastd::metrics
