// SPDX-License-Identifier: Apache-2.0
#include "route/frr_signal.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "route/bounded_command.h"

namespace anycastd {
namespace {

using json = nlohmann::json;

std::string target_of(const FrrSignalConfig& c) {
  std::string where = !c.vty_socket.empty() ? c.vty_socket
                      : !c.pathspace.empty() ? "pathspace " + c.pathspace
                                             : "default instance";
  return fmt::format("vtysh {} (bgpd AS {})", where, c.asn);
}

// vtysh prints each command's JSON in turn; the objects are split at their outer braces (strings
// are minded, so a brace inside a route-map description does not count).
std::vector<json> json_objects(std::string_view text) {
  std::vector<json> out;
  int depth = 0;
  bool in_string = false, escaped = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{') {
      if (depth++ == 0) start = i;
    } else if (c == '}' && depth > 0 && --depth == 0) {
      out.push_back(json::parse(text.substr(start, i - start + 1), nullptr, false));
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> frr_vtysh_argv(const FrrSignalConfig& config, const std::vector<std::string>& commands) {
  std::vector<std::string> argv{config.vtysh};
  if (!config.pathspace.empty()) argv.insert(argv.end(), {"-N", config.pathspace});
  if (!config.vty_socket.empty()) argv.insert(argv.end(), {"--vty_socket", config.vty_socket});
  argv.insert(argv.end(), {"-d", "bgpd"});
  for (const std::string& c : commands) argv.insert(argv.end(), {"-c", c});
  return argv;
}

std::vector<std::string> frr_network_commands(std::uint32_t asn, const std::vector<Prefix>& add,
                                              const std::string& route_map, const std::vector<Prefix>& remove) {
  std::vector<std::string> out;
  for (int family : {4, 6}) {
    std::vector<std::string> lines;
    for (const Prefix& p : remove)
      if (p.family == family) lines.push_back("no network " + p.str());
    for (const Prefix& p : add)
      if (p.family == family)
        lines.push_back("network " + p.str() + (route_map.empty() ? "" : " route-map " + route_map));
    if (lines.empty()) continue;
    if (out.empty()) out = {"configure terminal", fmt::format("router bgp {}", asn)};
    out.push_back(fmt::format("address-family ipv{} unicast", family));
    out.insert(out.end(), lines.begin(), lines.end());
    out.push_back("exit-address-family");
  }
  return out;
}

std::map<Prefix, std::string> frr_parse_networks(std::string_view running_config, std::uint32_t asn) {
  std::map<Prefix, std::string> out;
  std::istringstream in{std::string(running_config)};
  std::string header = fmt::format("router bgp {}", asn);
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] != ' ') {  // a top-level line opens or closes a block
      inside = line == header;
      continue;
    }
    std::istringstream words(line);
    std::string verb, prefix, keyword, map;
    words >> verb >> prefix >> keyword >> map;
    if (!inside || verb != "network") continue;
    try {
      out[parse_prefix(prefix)] = keyword == "route-map" ? map : "";
    } catch (const std::invalid_argument&) {
    }
  }
  return out;
}

FrrSignal::FrrSignal(FrrSignalConfig config) : RouteSignal(SignalKind::frr, target_of(config)), config_(std::move(config)) {
  if (Refusal problem = frr_signal_problem(config_)) throw std::invalid_argument(problem.why());
}

std::string FrrSignal::run_vtysh(const RouteGroup& group, std::string_view action,
                                 const std::vector<std::string>& commands, posix_io::Deadline deadline) {
  CommandOutcome r = run_bounded(frr_vtysh_argv(config_, commands), deadline);
  std::string said = trimmed(r.err.empty() ? r.out : r.out.empty() ? r.err : r.out + " / " + r.err);
  if (r.ok()) return r.out;
  std::string what = fmt::format("group {}: {}: {}: `{}` {}{}", group.name, action, target_of(config_),
                                 fmt::join(commands, " / "), r.describe(config_.timeout),
                                 said.empty() ? "" : ": " + said);
  // vtysh ran and bgpd answered, but no: the daemon was reached. Exit 1 with "failed to connect"
  // is vtysh finding no bgpd; a timeout or a signal is a wedged one.
  bool unreachable = r.end != CommandOutcome::End::exited || said.find("failed to connect") != std::string::npos;
  if (unreachable) throw RouteSignalError(what);
  throw RouteSignalRefused(what);
}

std::map<Prefix, std::string> FrrSignal::networks(const RouteGroup& group, std::string_view action,
                                                  posix_io::Deadline deadline) {
  return frr_parse_networks(run_vtysh(group, action, {"show running-config"}, deadline), config_.asn);
}

void FrrSignal::set_networks(const RouteGroup& group, std::string_view action, const std::string& route_map) {
  auto deadline = posix_io::deadline_in(config_.timeout);
  std::vector<Prefix> gone;
  for (const Prefix& p : announced_)
    if (std::find(group.vips.begin(), group.vips.end(), p) == group.vips.end()) gone.push_back(p);
  if (!gone.empty()) {
    // Only what bgpd has: vtysh stops at a `no network` it refuses.
    auto have = networks(group, action, deadline);
    std::erase_if(gone, [&](const Prefix& p) { return !have.count(p); });
  }
  auto commands = frr_network_commands(config_.asn, group.vips, route_map, gone);
  if (commands.empty()) return;
  // Until bgpd confirms, count the VIPs as possibly announced so that a withdraw covers them.
  announced_.insert(group.vips.begin(), group.vips.end());
  run_vtysh(group, action, commands, deadline);
  for (const std::string& c : commands) spdlog::debug("group {}: {}: vtysh: {}", group.name, action, c);
  announced_ = std::set<Prefix>(group.vips.begin(), group.vips.end());
}

const std::string& FrrSignal::route_map_of(RouteState state) const {
  switch (state) {
    case RouteState::degraded: return config_.degraded_route_map;
    case RouteState::draining: return config_.gshut_route_map;
    case RouteState::up: break;
  }
  return config_.route_map;
}

bool FrrSignal::carries(RouteState state) const { return state == RouteState::up || !route_map_of(state).empty(); }

void FrrSignal::announce(const RouteGroup& group, RouteState state, const RouteAttributes&) {
  std::string name = fmt::format("announce {}", to_string(state));
  if (!carries(state))
    throw RouteSignalError(fmt::format("group {}: {}: the frr route signal has no route-map for the {} state",
                                       group.name, name, to_string(state)));
  const std::string& route_map = route_map_of(state);
  run_recorded(name, [&] {
    if (group.vips.empty() && announced_.empty()) return std::string("no VIPs");
    set_networks(group, name, route_map);
    return fmt::format("network {}{}", prefix_words(group.vips), route_map.empty() ? "" : " route-map " + route_map);
  });
}

void FrrSignal::withdraw(const RouteGroup& group) {
  run_recorded("withdraw", [&] {
    auto deadline = posix_io::deadline_in(config_.timeout);
    auto have = networks(group, "withdraw", deadline);
    std::set<Prefix> mine = announced_;
    mine.insert(group.vips.begin(), group.vips.end());
    std::vector<Prefix> remove;
    for (const Prefix& p : mine)
      if (have.count(p)) remove.push_back(p);
    auto commands = frr_network_commands(config_.asn, {}, "", remove);
    if (!commands.empty()) run_vtysh(group, "withdraw", commands, deadline);
    announced_.clear();
    return remove.empty() ? std::string("no network statements to remove")
                          : fmt::format("no network {}", prefix_words(remove));
  });
}

SignalProbe FrrSignal::probe(const RouteGroup& group) {
  SignalProbe out;
  std::vector<std::string> commands{"show bgp summary json"};
  for (const Prefix& vip : group.vips)
    commands.push_back(fmt::format("show bgp ipv{} unicast {} json", vip.family, vip.str()));
  std::vector<std::string> maps;
  for (const std::string* m : {&config_.route_map, &config_.gshut_route_map, &config_.degraded_route_map})
    if (!m->empty()) maps.push_back(*m);
  for (const std::string& m : maps) commands.push_back("show route-map " + m + " json");
  try {
    std::vector<json> answers = json_objects(run_vtysh(group, "probe", commands, posix_io::deadline_in(config_.timeout)));
    out.reachable = true;
    if (answers.size() != commands.size())
      throw RouteSignalRefused(fmt::format("vtysh gave {} JSON answers to {} commands", answers.size(), commands.size()));
    // Peers are counted once, whichever address families they carry.
    std::set<std::string> peers, established;
    for (const auto& [afi, summary] : answers[0].items()) {
      if (!summary.is_object()) continue;
      if (summary.value("as", 0LL) != static_cast<long long>(config_.asn))
        out.problems.push_back(fmt::format("bgpd runs AS {} in {}, the frr signal is configured with asn {}",
                                           summary.value("as", 0LL), afi, config_.asn));
      if (!summary.contains("peers") || !summary["peers"].is_object()) continue;
      for (const auto& [peer, p] : summary["peers"].items()) {
        peers.insert(peer);
        if (p.is_object() && p.value("state", "") == "Established") established.insert(peer);
      }
    }
    std::size_t have = 0, tagged = 0;
    for (std::size_t i = 0; i < group.vips.size(); ++i) {
      const json& answer = answers[1 + i];
      if (!answer.contains("paths") || !answer["paths"].is_array()) continue;
      for (const json& path : answer["paths"]) {
        if (!path.is_object() || !path.value("sourced", false)) continue;  // bgpd's own, from `network`
        ++have;
        const json* list = path.contains("community") ? &path["community"] : nullptr;
        if (list && list->contains("list") && (*list)["list"].is_array()) {
          for (const json& c : (*list)["list"])
            if (c == "gracefulShutdown" || c == "65535:0") {
              ++tagged;
              break;
            }
        }
        break;
      }
    }
    for (std::size_t i = 0; i < maps.size(); ++i) {
      const json& answer = answers[1 + group.vips.size() + i];
      if (!answer.contains("BGP") || answer["BGP"].empty())
        out.problems.push_back(fmt::format(
            "route-map {} does not exist in bgpd: `network ... route-map {}` announces nothing", maps[i], maps[i]));
    }
    if (group.vips.empty()) out.announced = Announced::unknown;
    else if (have == group.vips.size()) out.announced = Announced::yes;
    else if (have == 0) out.announced = Announced::no;
    else out.announced = Announced::partly;
    out.graceful_shutdown = tagged > 0;
    out.detail = fmt::format("bgpd: {} of {} VIPs announced from network statements{}; peers established {}/{}", have,
                             group.vips.size(), tagged ? fmt::format(" ({} tagged GRACEFUL_SHUTDOWN)", tagged) : "",
                             established.size(), peers.size());
  } catch (const RouteSignalRefused& e) {
    out.reachable = true;
    out.detail = e.what();
  } catch (const RouteSignalError& e) {
    out.detail = e.what();
  }
  record_probe(out.reachable);
  return out;
}

}  // namespace anycastd
