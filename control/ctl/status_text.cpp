// SPDX-License-Identifier: Apache-2.0
#include "ctl/status_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

namespace anycastd::ctl {

namespace {

using nlohmann::json;

// Accessors that never throw: a field missing or of another type reads as the default, because
// a status from a different version of the daemon must still print.
const json& field(const json& j, std::string_view key) {
  static const json null_value;
  if (!j.is_object()) return null_value;
  auto it = j.find(key);
  return it == j.end() ? null_value : *it;
}

// Control characters (a newline in a check's output, an escape sequence in a group's name) would
// break the tables or the terminal: shown as \n, \t, \x1b instead.
std::string printable(const std::string& text) {
  std::string out;
  for (unsigned char ch : text) {
    if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (ch < 0x20 || ch == 0x7f) {
      out += fmt::format("\\x{:02x}", ch);
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out;
}

std::string str(const json& j, std::string_view key, std::string fallback = "") {
  const json& v = field(j, key);
  return v.is_string() ? printable(v.get<std::string>()) : fallback;
}

double num(const json& j, std::string_view key, double fallback = 0) {
  const json& v = field(j, key);
  return v.is_number() ? v.get<double>() : fallback;
}

std::uint64_t count(const json& j, std::string_view key) {
  const json& v = field(j, key);
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number()) return static_cast<std::uint64_t>(std::max(0.0, v.get<double>()));
  return 0;
}

bool flag(const json& j, std::string_view key) {
  const json& v = field(j, key);
  return v.is_boolean() && v.get<bool>();
}

const json& array(const json& j, std::string_view key) {
  static const json empty = json::array();
  const json& v = field(j, key);
  return v.is_array() ? v : empty;
}

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// "2025-11-25T22:00:00.000Z (10m 0s ago)", or "never".
std::string when(const json& t) {
  if (!t.is_object()) return "never";
  return fmt::format("{} ({} ago)", str(t, "utc", "?"), format_age(num(t, "age_s")));
}

std::string ago(const json& t) { return t.is_object() ? format_age(num(t, "age_s")) + " ago" : "never"; }

// Columns padded to their widest cell; numeric columns right-aligned. The last column is not
// padded, so that long details do not leave trailing blanks.
class Table {
 public:
  Table(std::string indent, std::vector<std::string> header, std::vector<bool> right)
      : indent_(std::move(indent)), right_(std::move(right)) {
    rows_.push_back(std::move(header));
  }
  void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

  std::string str() const {
    std::vector<std::size_t> width(rows_[0].size(), 0);
    for (const auto& r : rows_)
      for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
    std::string out;
    for (const auto& r : rows_) {
      std::string line = indent_;
      for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) {
        if (i) line += "  ";
        bool last = i + 1 == r.size();
        if (i < right_.size() && right_[i])
          line += std::string(width[i] - r[i].size(), ' ') + r[i];
        else
          line += last ? r[i] : r[i] + std::string(width[i] - r[i].size(), ' ');
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
    return out;
  }

 private:
  std::string indent_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

std::string join(const json& list, std::string_view sep = ", ") {
  std::string out;
  for (const auto& item : list)
    if (item.is_string()) out += (out.empty() ? "" : std::string(sep)) + printable(item.get<std::string>());
  return out;
}

// "bird, reachable, announce ok", "alias, not contacted yet", "exabgp, UNREACHABLE, withdraw FAILED"
std::string route_brief(const json& route) {
  std::string out = str(route, "kind", "?");
  if (!flag(route, "contacted") && !field(route, "last_probe_at").is_object()) return out + ", not contacted yet";
  out += flag(route, "reachable") ? ", reachable" : ", UNREACHABLE";
  if (flag(route, "contacted"))
    out += fmt::format(", {} {}", str(route, "last_command", "?"), flag(route, "last_ok") ? "ok" : "FAILED");
  return out;
}

std::string check_result(const json& c) {
  if (!flag(c, "ran")) return "pending";
  return flag(c, "ok") ? "ok" : "FAILED";
}

std::string latency(const json& c) {
  if (!flag(c, "ran")) return "-";
  double ms = num(c, "latency_ms");
  return ms < 10 ? fmt::format("{:.2f} ms", ms) : fmt::format("{:.0f} ms", ms);
}

std::string header(const json& st) {
  std::string out = fmt::format("anycastd {} (pid {})", str(st, "version", "?"), count(st, "pid"));
  if (field(st, "started").is_object())
    out += fmt::format(", up {} since {}", format_age(num(field(st, "started"), "age_s")),
                       str(field(st, "started"), "utc", "?"));
  out += "\n";

  std::string config = str(st, "config", "?");
  auto reloads = count(st, "reloads");
  auto failed = count(st, "reload_failures");
  config += fmt::format(" ({}, {} failed", plural(reloads, "reload", "reloads"), failed);
  if (auto err = str(st, "last_reload_error"); !err.empty()) config += "; last error: " + err;
  config += ")";

  std::string path;
  if (const json& d = field(st, "dpdk"); d.is_object()) {
    std::string interfaces;
    if (const json& ports = field(d, "ports"); ports.is_array() && ports.size() > 1) {
      for (const json& p : ports)
        interfaces += (interfaces.empty() ? "" : ", ") + str(p, "exception_interface", "?") +
                      (flag(p, "link_up") ? "" : " (link down)");
      interfaces = fmt::format("{} ports: {}", ports.size(), interfaces);
    } else {
      interfaces = str(d, "exception_interface", "?");
    }
    path = fmt::format("dpdk {} (profile {}), {}, exception {} on {}", str(d, "driver", "?"), str(d, "profile", "?"),
                       plural(count(d, "queues"), "queue", "queues"), str(d, "exception", "?"), interfaces);
    path += flag(d, "running") ? fmt::format(", pid {}", count(d, "pid")) : ", DOWN: " + str(d, "down_reason", "?");
    if (auto restarts = count(d, "restarts")) path += fmt::format(", {}", plural(restarts, "restart", "restarts"));
  } else if (const json& chain = field(st, "chain"); chain.is_object()) {
    path = fmt::format("xdp chain, slot {} of {}", count(chain, "index"), str(chain, "map", "?"));
    if (auto id = count(st, "prog_id")) path += fmt::format(", program {}", id);
  } else {
    path = str(st, "interface", "?");
    if (auto mode = str(st, "xdp_mode"); !mode.empty()) path += ", xdp " + mode;
    if (auto attach = str(st, "attach"); !attach.empty() && attach != "exclusive") path += " (" + attach + ")";
    if (auto id = count(st, "prog_id")) path += fmt::format(", program {}", id);
  }
  path += flag(st, "answering") ? ", answering" : ", NOT answering";

  out += "config:     " + config + "\n";
  out += "fast path:  " + path + "\n";
  if (const json& c = field(st, "capture"); c.is_object())
    out += fmt::format("capture:    running for {}, filter {}, {} so far\n", str(c, "client", "?"),
                       str(c, "filter", "?"), plural(count(c, "frames"), "frame", "frames"));
  return out;
}

// XDP's interfaces, when there are several or one is not attached: what each did.
std::string interfaces_table(const json& interfaces) {
  Table t("", {"INTERFACE", "STATE", "MODE", "PROGRAM", "ANSWERED", "PASSED", "DROPPED", "DETAIL"},
          {false, false, false, true, true, true, true, false});
  for (const auto& i : interfaces) {
    const json& c = field(i, "counters");
    auto detail = str(i, "detail");
    t.row({str(i, "name", "?"), str(i, "state", "?"), str(i, "xdp_mode").empty() ? "-" : str(i, "xdp_mode"),
           std::to_string(count(i, "prog_id")), std::to_string(count(c, "answered")),
           std::to_string(count(c, "passed")), std::to_string(count(c, "dropped")),
           detail.empty() ? "-" : printable(detail)});
  }
  return t.str();
}

// What the fast path did per VIP, and whether [metrics] vip_series left VIPs to "other".
std::string vip_counters_table(const json& vips, const json& series) {
  Table t("", {"VIP", "GROUP", "ANSWERED", "PASSED", "DROPPED"}, {false, false, true, true, true});
  for (const auto& v : vips) {
    const json& c = field(v, "counters");
    auto group = str(v, "group");
    t.row({printable(str(v, "vip", "?")), group.empty() ? "-" : printable(group), std::to_string(count(c, "answered")),
           std::to_string(count(c, "passed")), std::to_string(count(c, "dropped"))});
  }
  std::string out = "per VIP\n" + t.str();
  if (std::uint64_t over = count(series, "over_limit"))
    out += fmt::format("  {} above the limit of {} series ([metrics] vip_series): counted together as \"other\"\n",
                       plural(over, "VIP", "VIPs"), count(series, "limit"));
  return out;
}

std::string groups_table(const json& groups) {
  Table t("", {"GROUP", "STATE", "SINCE", "FLAPS", "HELD OUT", "ROUTE"}, {false, false, false, true, false, false});
  for (const auto& g : groups) {
    auto held = str(g, "held_out");
    t.row({str(g, "name", "?"), str(g, "state", "?"), when(field(g, "since")), std::to_string(count(g, "flaps")),
           held.empty() ? "-" : held, route_brief(field(g, "route"))});
  }
  return t.str();
}

std::string vips_table(const json& groups) {
  Table t("", {"VIP", "GROUP", "STATE", "SERVICES"}, {});
  for (const auto& g : groups)
    for (const auto& vip : array(g, "vips"))
      t.row({vip.is_string() ? printable(vip.get<std::string>()) : "?", str(g, "name", "?"), str(g, "state", "?"),
             join(array(g, "services"))});
  return t.str();
}

// A group's hooks: counters, the last run and the first line of its output.
std::string hooks_detail(const json& h) {
  const json& hooks = array(h, "hooks");
  if (hooks.empty()) return "";
  std::string out;
  for (const auto& k : hooks) {
    const json& states = array(k, "states");
    std::string on = states.empty() ? "" : " (on " + join(states, ", ") + ")";
    out += fmt::format("  hook[{}]:   {}{}: {}, {} ({} timed out){}\n", count(k, "hook"),
                       join(array(k, "command"), " "), on, plural(count(k, "runs"), "run", "runs"),
                       plural(count(k, "failures"), "failure", "failures"),
                       count(k, "timeouts"), flag(k, "running") ? ", running now" : "");
    const json& last = field(k, "last");
    if (!last.is_object()) continue;
    out += fmt::format("    last:    {} -> {}{}, {}, ended {}\n", str(last, "old_state", "?"), str(last, "new_state", "?"),
                       count(last, "changes") > 1 ? fmt::format(" ({} changes)", count(last, "changes")) : "",
                       str(last, "result"), ago(field(last, "ended_at")));
    std::string output = str(last, "output");
    std::string first = output.substr(0, output.find('\n'));
    if (first.size() > 120) first = first.substr(0, 120) + "...";
    if (!output.empty() || count(last, "output_dropped_bytes"))
      out += fmt::format("    output:  {}{}\n", printable(first),
                         count(last, "output_dropped_bytes")
                             ? fmt::format(" ({} bytes more dropped)", count(last, "output_dropped_bytes"))
                             : "");
  }
  if (count(h, "queued") || count(h, "coalesced") || count(h, "dropped"))
    out += fmt::format("  hooks:     {} change(s) waiting, {} coalesced, {} not run (after finish)\n", count(h, "queued"),
                       count(h, "coalesced"), count(h, "dropped"));
  return out;
}

std::string group_detail(const json& g) {
  std::string out = fmt::format("group {}: {} since {}, {}\n", str(g, "name", "?"), str(g, "state", "?"),
                                when(field(g, "since")), plural(count(g, "flaps"), "flap", "flaps"));
  if (auto held = str(g, "held_out"); !held.empty()) out += "  held out:  " + held + "\n";
  if (const json& p = field(g, "penalty"); p.is_number() && p.get<double>() > 0)
    out += fmt::format("  dampening: penalty {:.0f}{}\n", p.get<double>(),
                       field(g, "suppressed").is_boolean() && field(g, "suppressed").get<bool>() ? ", suppressed" : "");
  out += fmt::format("  health:    {} passing, {} failing in a row\n", count(g, "passes"), count(g, "failures"));
  const json& checks = array(g, "checks");
  if (checks.empty()) {
    out += "  checks:    none\n";
  } else {
    Table t("  ", {"CHECK", "RESULT", "LATENCY", "LAST RUN", "RUNS", "FAILED", "DETAIL"},
            {false, false, true, false, true, true, false});
    for (const auto& c : checks)
      t.row({str(c, "name", "?"), check_result(c), latency(c), ago(field(c, "at")), std::to_string(count(c, "runs")),
             std::to_string(count(c, "failures")), str(c, "detail")});
    out += t.str();
  }
  const json& route = field(g, "route");
  out += "  route:     " + str(route, "summary", route_brief(route)) + "\n";
  out += hooks_detail(field(g, "hooks"));
  return out;
}

std::string counters(const json& c) {
  auto list = [](const json& m, bool nonzero_only, const json* bytes) {
    std::string out;
    if (!m.is_object()) return out;
    for (const auto& [name, value] : m.items()) {
      std::uint64_t n = value.is_number_unsigned() ? value.get<std::uint64_t>() : 0;
      if (nonzero_only && n == 0) continue;
      if (!out.empty()) out += ", ";
      out += fmt::format("{} {}", printable(name), n);
      if (bytes) out += fmt::format(" ({} bytes)", count(*bytes, name));
    }
    return out;
  };
  const json& answered_bytes = field(c, "answered_bytes");
  std::string packets = list(field(c, "packets"), false, nullptr);
  std::string answered = list(field(c, "answered"), false, &answered_bytes);
  std::string passed = list(field(c, "passed"), true, nullptr);
  std::string limited = list(field(c, "rate_limited"), true, nullptr);
  std::string out = "counters\n";
  out += "  packets:   " + (packets.empty() ? "none" : packets) + "\n";
  out += "  answered:  " + (answered.empty() ? "none" : answered) + "\n";
  out += "  passed:    " + (passed.empty() ? "none" : passed) + "\n";
  if (!limited.empty()) out += "  limited:   " + limited + "\n";
  if (std::string dns = list(field(c, "dns"), true, nullptr); !dns.empty()) out += "  dns:       " + dns + "\n";
  return out;
}

// "dns: 2 zones, 1234 entries, 96 KiB, loaded 2025-... (1m 0s ago)" with the last failure, then
// one line per zone.
std::string dns_section(const json& d) {
  std::uint64_t bytes = count(d, "memory_bytes");
  std::string size = bytes >= 10 * 1024 * 1024 ? fmt::format("{} MiB", bytes / (1024 * 1024))
                     : bytes >= 10 * 1024      ? fmt::format("{} KiB", bytes / 1024)
                                               : fmt::format("{} bytes", bytes);
  const json& zones = array(d, "zones");
  std::string out;
  if (zones.empty())
    out = "dns: no table loaded\n";
  else
    out = fmt::format("dns: {}, {}, {}, loaded {}\n", plural(zones.size(), "zone", "zones"),
                      plural(count(d, "entries"), "entry", "entries"), size, when(field(d, "loaded")));
  const json& last = field(d, "last_load");
  if (field(last, "at").is_object() && !flag(last, "ok"))
    out += fmt::format("  last load FAILED {}, the table before stays: {}\n", ago(field(last, "at")),
                       str(last, "error", "?"));
  if (!zones.empty()) {
    Table t("  ", {"ZONE", "SERIAL", "RECORDS", "FILE"}, {false, true, true, false});
    for (const auto& z : zones)
      t.row({str(z, "origin", "?"), std::to_string(count(z, "serial")), std::to_string(count(z, "records")),
             str(z, "file")});
    out += t.str();
  }
  if (const json& e = field(d, "edns"); e.is_object() && (!str(e, "nsid").empty() || !str(e, "cookie_secret_file").empty()))
    out += fmt::format("  nsid: {}; cookies: {}{}\n", str(e, "nsid").empty() ? "none" : str(e, "nsid"),
                       str(e, "cookie_secret_file").empty() ? "off" : "secret " + str(e, "cookie_secret_file"),
                       str(e, "cookie_secret_previous_file").empty() ? "" : ", previous " + str(e, "cookie_secret_previous_file"));
  if (const json& slow = field(d, "slow_path"); slow.is_object()) {
    std::string seen;
    if (const json& c = field(slow, "counters"); c.is_object())
      for (const auto& [name, value] : c.items())
        if (value.is_number_unsigned() && value.get<std::uint64_t>())
          seen += fmt::format("{}{} {}", seen.empty() ? "" : ", ", printable(name), value.get<std::uint64_t>());
    out += fmt::format("  slow path: port {} on {}, {} TCP open; {}\n", count(slow, "port"),
                       plural(count(slow, "addresses"), "address", "addresses"), count(slow, "tcp_open"),
                       seen.empty() ? "no queries yet" : seen);
  }
  return out;
}

}  // namespace

std::string format_age(double s) {
  if (!(s >= 0)) s = 0;  // also NaN
  if (s < 10) return fmt::format("{:.1f}s", s);
  auto whole = static_cast<std::uint64_t>(s);
  if (whole < 60) return fmt::format("{}s", whole);
  if (whole < 3600) return fmt::format("{}m {}s", whole / 60, whole % 60);
  if (whole < 86400) return fmt::format("{}h {}m", whole / 3600, whole % 3600 / 60);
  return fmt::format("{}d {}h", whole / 86400, whole % 86400 / 3600);
}

std::string format_status(const json& status) {
  std::string out = header(status) + "\n";
  if (const json& interfaces = array(status, "interfaces"); !interfaces.empty()) out += interfaces_table(interfaces) + "\n";
  const json& groups = array(status, "groups");
  if (groups.empty()) {
    out += "no groups\n";
  } else {
    out += groups_table(groups) + "\n" + vips_table(groups);
    for (const auto& g : groups) out += "\n" + group_detail(g);
  }
  if (const json& dns = field(status, "dns"); dns.is_object()) out += "\n" + dns_section(dns);
  out += "\n" + counters(field(status, "counters"));
  if (const json& vips = array(status, "vips"); !vips.empty())
    out += "\n" + vip_counters_table(vips, field(status, "vip_series"));
  return out;
}

}  // namespace anycastd::ctl
