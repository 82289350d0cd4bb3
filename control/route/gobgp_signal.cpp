// SPDX-License-Identifier: Apache-2.0
#include "route/gobgp_signal.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "route/bounded_command.h"

namespace anycastd {
namespace {

using json = nlohmann::json;

constexpr std::uint32_t kGracefulShutdownValue = 0xFFFF0000u;
constexpr int kEstablished = 6;  // GoBGP's PeerState.SessionState ESTABLISHED
constexpr int kCommunitiesAttribute = 8;

}  // namespace

std::vector<std::string> gobgp_rib_args(GobgpVerb verb, const Prefix& prefix, const GobgpSignalConfig& config,
                                        const RouteAttributes& attributes, std::uint32_t local_as) {
  std::string family = prefix.family == 4 ? "ipv4" : "ipv6";
  if (verb == GobgpVerb::del) return {"global", "rib", "del", "-a", family, prefix.str()};
  const std::string& next_hop = prefix.family == 4 ? config.next_hop4 : config.next_hop6;
  if (next_hop.empty())
    throw RouteSignalError(
        fmt::format("IPv{} VIP {} but no next_hop{} for GoBGP", prefix.family, prefix.str(), prefix.family));
  // origin igp, as BIRD and FRR announce a local network: the CLI's default, incomplete, loses the
  // best-path comparison, so a router would not share traffic between a GoBGP edge and others.
  std::vector<std::string> args{"global", "rib", "add", "-a", family, prefix.str(), "nexthop", next_hop, "origin", "igp"};
  std::vector<std::string> communities = config.communities;
  for (const std::string& c : attributes.communities)
    if (std::find(communities.begin(), communities.end(), c) == communities.end()) communities.push_back(c);
  if (!communities.empty()) args.insert(args.end(), {"community", fmt::format("{}", fmt::join(communities, ","))});
  if (attributes.med) args.insert(args.end(), {"med", std::to_string(*attributes.med)});
  if (attributes.local_preference) args.insert(args.end(), {"local-pref", std::to_string(*attributes.local_preference)});
  if (!attributes.large_communities.empty())
    args.insert(args.end(), {"large-community", fmt::format("{}", fmt::join(attributes.large_communities, ","))});
  if (attributes.prepend) {
    if (local_as == 0) throw RouteSignalError(fmt::format("prepend {} but gobgpd's AS is not known", attributes.prepend));
    args.insert(args.end(), {"aspath", fmt::format("{}", fmt::join(std::vector<std::uint32_t>(attributes.prepend, local_as), ","))});
  }
  return args;
}

std::uint32_t gobgp_parse_global_as(std::string_view text) {
  json global = json::parse(text, nullptr, false);
  // gobgp 3.10 prints the API's Global message: {"asn":65001,"router_id":"198.51.100.2",...}.
  if (!global.is_object() || !global.contains("asn") || !global["asn"].is_number_unsigned()) return 0;
  auto as = global["asn"].get<std::uint64_t>();
  return as <= 0xFFFFFFFFu ? static_cast<std::uint32_t>(as) : 0;
}

GobgpSignal::GobgpSignal(GobgpSignalConfig config)
    : RouteSignal(SignalKind::gobgp, config.api), config_(std::move(config)) {
  if (Refusal problem = gobgp_signal_problem(config_)) throw std::invalid_argument(problem.why());
}

std::vector<std::string> GobgpSignal::config_problems(const RouteGroup& group) const {
  std::vector<std::string> out;
  for (int family : {4, 6}) {
    bool present = std::any_of(group.vips.begin(), group.vips.end(), [&](const Prefix& p) { return p.family == family; });
    if (present && (family == 4 ? config_.next_hop4 : config_.next_hop6).empty())
      out.push_back(fmt::format("group {} has IPv{} VIPs but the gobgp signal has no next_hop{}", group.name, family,
                                family));
  }
  return out;
}

std::string GobgpSignal::run_gobgp(const RouteGroup& group, std::string_view action,
                                   const std::vector<std::string>& args, posix_io::Deadline deadline) {
  std::vector<std::string> argv{config_.gobgp, "--target", config_.api};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandOutcome r = run_bounded(argv, deadline);
  if (r.ok()) return r.out;
  std::string said = trimmed(r.err.empty() ? r.out : r.out.empty() ? r.err : r.out + " / " + r.err);
  std::string what = fmt::format("group {}: {}: gobgpd API {}: `gobgp {}` {}{}", group.name, action, config_.api,
                                 fmt::join(args, " "), r.describe(config_.timeout), said.empty() ? "" : ": " + said);
  // The CLI says "context deadline exceeded" when it cannot reach gobgpd (1 s, its own bound)
  // and "connection refused" or "no such file" for a socket nobody listens on.
  bool unreachable = r.end != CommandOutcome::End::exited || said.find("deadline exceeded") != std::string::npos ||
                     said.find("connection refused") != std::string::npos ||
                     said.find("no such file") != std::string::npos;
  if (unreachable) throw RouteSignalError(what);
  throw RouteSignalRefused(what);
}

std::uint32_t GobgpSignal::local_as(const RouteGroup& group, std::string_view action, posix_io::Deadline deadline) {
  std::string text = run_gobgp(group, action, {"-j", "global"}, deadline);
  std::uint32_t as = gobgp_parse_global_as(text);
  if (as == 0)
    throw RouteSignalRefused(fmt::format("group {}: {}: gobgpd API {}: `gobgp -j global` named no AS: {}", group.name,
                                         action, config_.api, trimmed(text)));
  return as;
}

void GobgpSignal::add_all(const RouteGroup& group, std::string_view action, const RouteAttributes& attributes) {
  auto deadline = posix_io::deadline_in(config_.timeout);
  // The prepends repeat gobgpd's own AS, asked for each time rather than configured twice; on an
  // eBGP session gobgpd puts it in front once more.
  std::uint32_t own_as = attributes.prepend ? local_as(group, action, deadline) : 0;
  std::vector<std::vector<std::string>> runs;
  try {
    for (const Prefix& p : announced_)
      if (std::find(group.vips.begin(), group.vips.end(), p) == group.vips.end())
        runs.push_back(gobgp_rib_args(GobgpVerb::del, p, config_));
    for (const Prefix& p : group.vips) runs.push_back(gobgp_rib_args(GobgpVerb::add, p, config_, attributes, own_as));
  } catch (const RouteSignalError& e) {
    throw RouteSignalError(fmt::format("group {}: {}: {}", group.name, action, e.what()));
  }
  // Until gobgpd confirms, count the VIPs as possibly announced so that a withdraw covers them.
  announced_.insert(group.vips.begin(), group.vips.end());
  for (const auto& args : runs) {
    run_gobgp(group, action, args, deadline);
    spdlog::debug("group {}: {}: gobgp {}", group.name, action, fmt::join(args, " "));
  }
  announced_ = std::set<Prefix>(group.vips.begin(), group.vips.end());
}

void GobgpSignal::announce(const RouteGroup& group, RouteState state, const RouteAttributes& attributes) {
  std::string name = fmt::format("announce {}", to_string(state));
  run_recorded(name, [&] {
    if (group.vips.empty() && announced_.empty()) return std::string("no VIPs");
    add_all(group, name, attributes);
    return fmt::format("added {}", prefix_words(group.vips));
  });
}

void GobgpSignal::withdraw(const RouteGroup& group) {
  run_recorded("withdraw", [&] {
    auto deadline = posix_io::deadline_in(config_.timeout);
    std::set<Prefix> all = announced_;
    all.insert(group.vips.begin(), group.vips.end());
    if (all.empty()) return std::string("no VIPs");
    for (const Prefix& p : all) run_gobgp(group, "withdraw", gobgp_rib_args(GobgpVerb::del, p, config_), deadline);
    announced_.clear();
    return fmt::format("deleted {}", prefix_words(all));
  });
}

SignalProbe GobgpSignal::probe(const RouteGroup& group) {
  SignalProbe out;
  auto deadline = posix_io::deadline_in(config_.timeout);
  try {
    json neighbors = json::parse(run_gobgp(group, "probe", {"-j", "neighbor"}, deadline), nullptr, false);
    out.reachable = true;
    std::size_t peers = 0, established = 0;
    if (neighbors.is_array())
      for (const json& n : neighbors) {
        ++peers;
        if (n.contains("state") && n["state"].is_object() && n["state"].value("session_state", 0) == kEstablished)
          ++established;
      }
    std::size_t have = 0, tagged = 0;
    for (const Prefix& vip : group.vips) {
      json rib = json::parse(
          run_gobgp(group, "probe", {"-j", "global", "rib", "-a", vip.family == 4 ? "ipv4" : "ipv6", vip.str()}, deadline),
          nullptr, false);
      if (!rib.is_object() || !rib.contains(vip.str()) || !rib[vip.str()].is_array() || rib[vip.str()].empty()) continue;
      ++have;
      for (const json& path : rib[vip.str()]) {
        if (!path.contains("attrs") || !path["attrs"].is_array()) continue;
        for (const json& a : path["attrs"])
          if (a.value("type", 0) == kCommunitiesAttribute && a.contains("communities") &&
              std::find(a["communities"].begin(), a["communities"].end(), kGracefulShutdownValue) !=
                  a["communities"].end())
            ++tagged;
      }
    }
    if (group.vips.empty()) out.announced = Announced::unknown;
    else if (have == group.vips.size()) out.announced = Announced::yes;
    else if (have == 0) out.announced = Announced::no;
    else out.announced = Announced::partly;
    out.graceful_shutdown = tagged > 0;
    out.detail = fmt::format("gobgpd: {} of {} VIPs in the global RIB{}; neighbors established {}/{}", have,
                             group.vips.size(), tagged ? fmt::format(" ({} tagged GRACEFUL_SHUTDOWN)", tagged) : "",
                             established, peers);
    for (std::string& p : config_problems(group)) out.problems.push_back(std::move(p));
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
