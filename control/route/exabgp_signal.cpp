// SPDX-License-Identifier: Apache-2.0
#include "route/exabgp_signal.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <sstream>
#include <stdexcept>

namespace anycastd {

namespace {

constexpr std::string_view kGracefulShutdown = "65535:0";

std::vector<std::string> split_ws(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

}  // namespace

std::vector<std::string> exabgp_commands(ExabgpVerb verb, const std::vector<Prefix>& prefixes,
                                         const ExabgpSignalConfig& config, const RouteAttributes& attributes) {
  std::vector<std::string> out;
  for (int family : {4, 6}) {
    std::vector<std::string> nlri;
    for (const Prefix& p : prefixes)
      if (p.family == family) nlri.push_back(p.str());
    if (nlri.empty()) continue;
    const std::string& next_hop = family == 4 ? config.next_hop4 : config.next_hop6;
    if (next_hop.empty())
      throw RouteSignalError(fmt::format("IPv{} VIPs ({}) but no next_hop{} for ExaBGP", family,
                                         fmt::join(nlri, " "), family));
    std::string line = fmt::format("{} attributes next-hop {}",
                                   verb == ExabgpVerb::announce ? "announce" : "withdraw", next_hop);
    if (verb == ExabgpVerb::announce) {
      if (attributes.local_preference) line += fmt::format(" local-preference {}", *attributes.local_preference);
      if (attributes.med) line += fmt::format(" med {}", *attributes.med);
      if (attributes.prepend) {
        // ExaBGP 4.2.21 sends an AS_PATH it is given as it is, without its own AS in front (seen
        // at the lab's router): towards an eBGP peer the path is the own AS (local_as, required
        // by the config check) once, plus once per prepend; towards an iBGP peer, which gets no
        // own AS in front, the prepends alone.
        if (config.local_as == 0)
          throw RouteSignalError("prepend without local_as for ExaBGP");
        std::size_t n = attributes.prepend + (config.ibgp ? 0 : 1);
        line += fmt::format(" as-path [{}]", fmt::join(std::vector<std::uint32_t>(n, config.local_as), " "));
      }
      std::vector<std::string> communities = config.communities;
      for (const std::string& c : attributes.communities)
        if (std::find(communities.begin(), communities.end(), c) == communities.end()) communities.push_back(c);
      if (!communities.empty()) line += fmt::format(" community [{}]", fmt::join(communities, " "));
      if (!attributes.large_communities.empty())
        line += fmt::format(" large-community [{}]", fmt::join(attributes.large_communities, " "));
    }
    line += fmt::format(" nlri {}", fmt::join(nlri, " "));
    out.push_back(std::move(line));
  }
  return out;
}

ExabgpSignal::ExabgpSignal(ExabgpSignalConfig config)
    : RouteSignal(SignalKind::exabgp, config.pipe), config_(std::move(config)), pipe_(config_.pipe) {
  if (Refusal problem = exabgp_signal_problem(config_)) throw std::invalid_argument(problem.why());
}

std::vector<std::string> ExabgpSignal::config_problems(const RouteGroup& group) const {
  std::vector<std::string> out;
  for (int family : {4, 6}) {
    bool present = std::any_of(group.vips.begin(), group.vips.end(), [&](const Prefix& p) { return p.family == family; });
    if (present && (family == 4 ? config_.next_hop4 : config_.next_hop6).empty())
      out.push_back(fmt::format("group {} has IPv{} VIPs but the exabgp signal has no next_hop{}", group.name, family,
                                family));
  }
  return out;
}

void ExabgpSignal::send(const RouteGroup& group, std::string_view action, const std::vector<std::string>& commands) {
  ExabgpExchange reply;
  try {
    reply = pipe_.exchange(commands, config_.timeout);
  } catch (const RouteSignalError& e) {
    throw RouteSignalError(fmt::format("group {}: {}: {}", group.name, action, e.what()));
  } catch (const std::system_error& e) {
    throw RouteSignalError(fmt::format("group {}: {}: ExaBGP pipe {}: {}", group.name, action, config_.pipe, e.what()));
  }
  for (const std::string& c : commands) spdlog::debug("group {}: {}: exabgp {}: {}", group.name, action, config_.pipe, c);
  std::size_t refused = std::count_if(reply.answers.begin(), reply.answers.end(), [](auto& a) { return !a.ok(); });
  if (refused)
    // ExaBGP says only "error"; the reason is in its own log. The answers do not say which
    // command failed, so all of them are named.
    throw RouteSignalRefused(fmt::format(
        "group {}: {}: ExaBGP ({}) answered error to {} of {} commands (its log says why): {}", group.name, action,
        config_.pipe, refused, commands.size(), fmt::join(commands, " | ")));
}

void ExabgpSignal::announce(const RouteGroup& group, RouteState state, const RouteAttributes& attributes) {
  std::string name = fmt::format("announce {}", to_string(state));
  run_recorded(name, [&] {
    std::vector<Prefix> gone;
    for (const Prefix& p : announced_)
      if (std::find(group.vips.begin(), group.vips.end(), p) == group.vips.end()) gone.push_back(p);
    std::vector<std::string> commands;
    try {
      commands = exabgp_commands(ExabgpVerb::withdraw, gone, config_, {});
      auto add = exabgp_commands(ExabgpVerb::announce, group.vips, config_, attributes);
      commands.insert(commands.end(), add.begin(), add.end());
    } catch (const RouteSignalError& e) {
      throw RouteSignalError(fmt::format("group {}: {}: {}", group.name, name, e.what()));
    }
    if (commands.empty()) return std::string("no VIPs");
    // Until ExaBGP confirms, count the VIPs as possibly announced so that a withdraw covers them.
    announced_.insert(group.vips.begin(), group.vips.end());
    send(group, name, commands);
    announced_ = std::set<Prefix>(group.vips.begin(), group.vips.end());
    return fmt::format("{}", fmt::join(commands, " | "));
  });
}

void ExabgpSignal::withdraw(const RouteGroup& group) {
  run_recorded("withdraw", [&] {
    std::set<Prefix> all = announced_;
    all.insert(group.vips.begin(), group.vips.end());
    std::vector<std::string> commands;
    try {
      commands = exabgp_commands(ExabgpVerb::withdraw, std::vector<Prefix>(all.begin(), all.end()), config_, {});
    } catch (const RouteSignalError& e) {
      throw RouteSignalError(fmt::format("group {}: withdraw: {}", group.name, e.what()));
    }
    if (commands.empty()) return std::string("no VIPs");
    send(group, "withdraw", commands);
    announced_.clear();
    return fmt::format("{}", fmt::join(commands, " | "));
  });
}

SignalProbe ExabgpSignal::probe(const RouteGroup& group) {
  SignalProbe out;
  try {
    ExabgpExchange reply = pipe_.exchange({"show neighbor summary", "show adj-rib out extensive"}, config_.timeout);
    out.reachable = true;
    std::set<Prefix> held, tagged;
    std::size_t neighbors = 0, established = 0;
    bool in_summary = false;
    for (const ExabgpAnswer& answer : reply.answers) {
      for (const std::string& line : answer.output) {
        auto words = split_ws(line);
        if (words.empty()) continue;
        if (words[0] == "Peer") {  // the summary's heading: "Peer AS up/down state | #sent #recvd"
          in_summary = true;
          continue;
        }
        if (words[0] == "neighbor") {
          // "neighbor IP local-ip ... ipv4 unicast 192.0.2.10/32 next-hop ... community [ ... ]"
          in_summary = false;
          auto unicast = std::find(words.begin(), words.end(), "unicast");
          if (unicast == words.end() || unicast + 1 == words.end()) continue;
          try {
            Prefix p = parse_prefix(*(unicast + 1));
            held.insert(p);
            if (std::find(words.begin(), words.end(), kGracefulShutdown) != words.end()) tagged.insert(p);
          } catch (const std::invalid_argument&) {
          }
          continue;
        }
        if (in_summary && words.size() >= 4) {
          ++neighbors;
          if (words[3] == "established") ++established;
        }
      }
    }
    std::size_t have = 0, have_tagged = 0;
    for (const Prefix& vip : group.vips) {
      have += held.count(vip);
      have_tagged += tagged.count(vip);
    }
    if (group.vips.empty())
      out.announced = Announced::unknown;
    else if (have == group.vips.size())
      out.announced = Announced::yes;
    else if (have == 0)
      out.announced = Announced::no;
    else
      out.announced = Announced::partly;
    out.graceful_shutdown = have_tagged > 0;
    out.detail = fmt::format("{}; {} of {} VIPs in adj-rib-out{}; neighbors established {}/{}", reply.version, have,
                             group.vips.size(), have_tagged ? fmt::format(" ({} tagged GRACEFUL_SHUTDOWN)", have_tagged) : "",
                             established, neighbors);
    std::size_t refused = std::count_if(reply.answers.begin(), reply.answers.end(), [](auto& a) { return !a.ok(); });
    if (refused) out.problems.push_back("ExaBGP answered error to `show neighbor summary` or `show adj-rib out`");
    for (std::string& p : config_problems(group)) out.problems.push_back(std::move(p));
  } catch (const RouteSignalError& e) {
    out.detail = e.what();
  } catch (const std::system_error& e) {
    out.detail = fmt::format("ExaBGP pipe {}: {}", config_.pipe, e.what());
  }
  record_probe(out.reachable);
  return out;
}

}  // namespace anycastd
