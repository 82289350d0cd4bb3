// SPDX-License-Identifier: Apache-2.0
#include "config/settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

#include "base/prefix.h"

namespace anycastd {
namespace {

bool valid_protocol_text(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == ':' || c == '-' || c == '*' || c == '?';
    if (!ok) return false;
  }
  return true;
}

bool valid_community(std::string_view c) {
  for (std::string_view name : {"no-export", "no-advertise", "no-export-subconfed", "no-peer"})
    if (c == name) return true;
  auto colon = c.find(':');
  if (colon == std::string_view::npos) return false;
  auto half = [](std::string_view digits) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    return !digits.empty() && ec == std::errc() && end == digits.data() + digits.size() && value <= 0xFFFF;
  };
  return half(c.substr(0, colon)) && half(c.substr(colon + 1));
}

bool valid_large_community(std::string_view c) {
  // Three 32-bit decimal fields (RFC 8092 section 3; the text form of RFC 8195).
  for (int field = 0; field < 3; ++field) {
    auto colon = field < 2 ? c.find(':') : c.size();
    if (colon == std::string_view::npos) return false;
    std::string_view digits = c.substr(0, colon);
    std::uint32_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return false;
    c = field < 2 ? c.substr(colon + 1) : std::string_view{};
  }
  return true;
}

constexpr std::string_view kGracefulShutdown = "65535:0";

Refusal next_hop_problem(const std::string& text, int family, std::string_view signal = "exabgp") {
  if (text.empty()) return Refusal::none();
  Prefix p;
  try {
    p = parse_prefix(text);
  } catch (const std::invalid_argument& e) {
    return Refusal::because(fmt::format("{} route signal: next_hop{}: {}", signal, family, e.what()));
  }
  if (p.family != family || !p.is_host() || text.find('/') != std::string::npos)
    return Refusal::because(
        fmt::format("{} route signal: next_hop{} \"{}\" is not an IPv{} address", signal, family, text, family));
  return Refusal::none();
}

// "unix:///PATH", "ADDRESS:PORT" or "[IPV6]:PORT": what gobgp's --target dials.
Refusal gobgp_api_problem(const std::string& api) {
  auto bad = [&](std::string_view why) {
    return Refusal::because(fmt::format(
        "gobgp route signal: api \"{}\" {} (expected \"unix:///PATH\" or \"ADDRESS:PORT\")", api, why));
  };
  if (api.rfind("unix://", 0) == 0) {
    if (api.size() <= 7 || api[7] != '/') return bad("is not an absolute unix socket path");
    return Refusal::none();
  }
  auto colon = api.rfind(':');
  if (colon == std::string::npos) return bad("has no port");
  std::string host = api.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  try {
    Prefix p = parse_prefix(host);
    if (!p.is_host() || host.find('/') != std::string::npos) return bad("does not start with an IP address");
  } catch (const std::invalid_argument&) {
    return bad("does not start with an IP address");
  }
  unsigned port = 0;
  std::string_view digits = std::string_view(api).substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535)
    return bad("has no port 1-65535");
  return Refusal::none();
}

}  // namespace

std::string_view to_string(SignalKind kind) {
  switch (kind) {
    case SignalKind::alias: return "alias";
    case SignalKind::bird: return "bird";
    case SignalKind::exabgp: return "exabgp";
    case SignalKind::frr: return "frr";
    case SignalKind::gobgp: return "gobgp";
  }
  return "?";
}

Refusal dampening_problem(const Dampening& d) {
  if (!d.on()) return d.penalty < 0 ? Refusal::because("health.dampening: penalty must not be negative") : Refusal::none();
  if (d.half_life.count() <= 0) return Refusal::because("health.dampening: half_life_ms must be positive");
  if (d.reuse <= 0) return Refusal::because("health.dampening: reuse must be positive");
  if (d.reuse >= d.suppress)
    return Refusal::because(fmt::format(
        "health.dampening: reuse ({}) must be below suppress ({}): a suppressed group would never be let back", d.reuse,
        d.suppress));
  if (d.suppress > d.max_penalty)
    return Refusal::because(fmt::format(
        "health.dampening: suppress ({}) is above max_penalty ({}): the penalty could never reach it", d.suppress,
        d.max_penalty));
  return Refusal::none();
}

std::string_view to_string(RouteState state) {
  switch (state) {
    case RouteState::up: return "up";
    case RouteState::degraded: return "degraded";
    case RouteState::draining: return "draining";
  }
  return "?";
}

const RouteAttributes& RouteStateAttributes::of(RouteState state) const {
  switch (state) {
    case RouteState::degraded: return degraded;
    case RouteState::draining: return draining;
    case RouteState::up: break;
  }
  return up;
}

SignalCarries signal_carries(SignalKind kind) {
  switch (kind) {
    case SignalKind::alias: return {};
    case SignalKind::bird: return {.states = true};
    case SignalKind::exabgp:
      return {.states = true, .med = true, .prepend = true, .communities = true, .large_communities = true,
              .local_preference = true};
    case SignalKind::frr: return {.states = true};
    case SignalKind::gobgp:
      return {.states = true, .med = true, .prepend = true, .communities = true, .large_communities = true,
              .local_preference = true};
  }
  return {};
}

Refusal route_attributes_problem(SignalKind kind, RouteState state, const RouteAttributes& a, bool ibgp) {
  if (a.empty()) return Refusal::none();
  SignalCarries carries = signal_carries(kind);
  auto refuse = [&](std::string_view why) {
    return Refusal::because(fmt::format("{} ({} signal): {}", to_string(state), to_string(kind), why));
  };
  if (kind == SignalKind::bird)
    return refuse(fmt::format("BIRD takes the attributes from the static protocols announcing this state "
                              "([route.bird] {}), set them in their import filter in BIRD's config",
                              state == RouteState::up        ? "protocol"
                              : state == RouteState::degraded ? "degraded_protocol"
                                                              : "draining_protocol"));
  if (kind == SignalKind::frr)
    return refuse(fmt::format("FRR takes the attributes from the route-map announcing this state ([route.frr] {}), "
                              "set them there (set metric, set as-path prepend, set community, ...)",
                              state == RouteState::draining   ? "gshut_route_map"
                              : state == RouteState::degraded ? "degraded_route_map"
                                                              : "route_map"));
  auto missing = [&](bool has, std::string_view what) { return !has ? refuse(fmt::format("cannot carry {}", what)) : Refusal::none(); };
  if (a.med) if (Refusal r = missing(carries.med, "med")) return r;
  if (a.prepend) if (Refusal r = missing(carries.prepend, "prepend")) return r;
  if (!a.communities.empty()) if (Refusal r = missing(carries.communities, "communities")) return r;
  if (!a.large_communities.empty()) if (Refusal r = missing(carries.large_communities, "large_communities")) return r;
  if (a.local_preference) {
    if (Refusal r = missing(carries.local_preference, "local_preference")) return r;
    if (!ibgp)
      return refuse("local_preference is sent to iBGP peers only (RFC 4271 5.1.5): set ibgp = true in [route] "
                    "if the peers are iBGP, or remove it");
  }
  if (a.prepend > 32) return refuse(fmt::format("prepend {} is more than 32", a.prepend));
  for (const std::string& c : a.communities)
    if (!valid_community(c))
      return refuse(fmt::format("community \"{}\" is not ASN:VALUE (0-65535 each) or no-export, no-advertise, "
                                "no-export-subconfed, no-peer",
                                c));
  for (const std::string& c : a.large_communities)
    if (!valid_large_community(c))
      return refuse(fmt::format("large community \"{}\" is not GA:LD1:LD2 (0-4294967295 each, RFC 8092)", c));
  return Refusal::none();
}

RouteAttributes with_graceful_shutdown(RouteAttributes draining) {
  auto& c = draining.communities;
  if (std::find(c.begin(), c.end(), kGracefulShutdown) == c.end()) c.emplace_back(kGracefulShutdown);
  return draining;
}

Refusal bird_signal_problem(const BirdSignalConfig& config) {
  if (config.protocols.empty())
    return Refusal::because(
        "bird route signal: no protocol given (the static protocol(s) carrying the group's routes)");
  for (const auto* list : {&config.protocols, &config.degraded_protocols, &config.gshut_protocols})
    for (const std::string& p : *list)
      if (!valid_protocol_text(p))
        return Refusal::because(fmt::format(
            "bird route signal: \"{}\" is not a BIRD protocol name or pattern (letters, digits, _ . : - and the wildcards * ?)",
            p));
  if (config.timeout.count() <= 0) return Refusal::because("bird route signal: timeout must be positive");
  return Refusal::none();
}

bool bird_pattern_match(std::string_view pattern, std::string_view name) {
  // Iterative glob with one backtrack point: enough for * and ?, and linear in practice.
  std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Refusal exabgp_signal_problem(const ExabgpSignalConfig& config) {
  if (config.pipe.empty()) return Refusal::because("exabgp route signal: pipe is empty");
  for (auto [text, family] : {std::pair{&config.next_hop4, 4}, std::pair{&config.next_hop6, 6}})
    if (Refusal problem = next_hop_problem(*text, family)) return problem;
  for (const std::string& c : config.communities)
    if (!valid_community(c))
      return Refusal::because(fmt::format(
          "exabgp route signal: community \"{}\" is not ASN:VALUE (0-65535 each) or no-export, no-advertise, "
          "no-export-subconfed, no-peer",
          c));
  if (config.timeout.count() <= 0) return Refusal::because("exabgp route signal: timeout must be positive");
  return Refusal::none();
}

Refusal frr_signal_problem(const FrrSignalConfig& config) {
  if (config.vtysh.empty() || config.vtysh[0] != '/')
    return Refusal::because(fmt::format("frr route signal: vtysh \"{}\" is not an absolute path", config.vtysh));
  // vtysh puts the pathspace into a path: letters, digits, _ and - keep it one component.
  if (!config.pathspace.empty() && !std::all_of(config.pathspace.begin(), config.pathspace.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      }))
    return Refusal::because(fmt::format(
        "frr route signal: pathspace \"{}\" is not a name (letters, digits, _ and -)", config.pathspace));
  if (!config.vty_socket.empty() && config.vty_socket[0] != '/')
    return Refusal::because(
        fmt::format("frr route signal: vty_socket \"{}\" is not an absolute path", config.vty_socket));
  if (config.asn == 0) return Refusal::because("frr route signal: asn is missing (the AS of `router bgp ASN`)");
  for (const std::string* name : {&config.route_map, &config.gshut_route_map, &config.degraded_route_map})
    if (!name->empty() && (!valid_protocol_text(*name) || name->find_first_of("*?") != std::string::npos))
      return Refusal::because(fmt::format(
          "frr route signal: \"{}\" is not a route-map name (letters, digits, _ . : -)", *name));
  if (config.timeout.count() <= 0) return Refusal::because("frr route signal: timeout must be positive");
  return Refusal::none();
}

Refusal gobgp_signal_problem(const GobgpSignalConfig& config) {
  if (config.gobgp.empty() || config.gobgp[0] != '/')
    return Refusal::because(fmt::format("gobgp route signal: gobgp \"{}\" is not an absolute path", config.gobgp));
  if (Refusal problem = gobgp_api_problem(config.api)) return problem;
  for (auto [text, family] : {std::pair{&config.next_hop4, 4}, std::pair{&config.next_hop6, 6}})
    if (Refusal problem = next_hop_problem(*text, family, "gobgp")) return problem;
  for (const std::string& c : config.communities)
    if (!valid_community(c))
      return Refusal::because(fmt::format(
          "gobgp route signal: community \"{}\" is not ASN:VALUE (0-65535 each) or no-export, no-advertise, "
          "no-export-subconfed, no-peer",
          c));
  if (config.timeout.count() <= 0) return Refusal::because("gobgp route signal: timeout must be positive");
  return Refusal::none();
}

std::string_view to_string(XdpMode mode) {
  switch (mode) {
    case XdpMode::native: return "native";
    case XdpMode::generic: return "generic";
    case XdpMode::automatic: return "auto";
  }
  return "?";
}

std::string_view to_string(XdpAttach attach) {
  switch (attach) {
    case XdpAttach::exclusive: return "exclusive";
    case XdpAttach::dispatcher: return "dispatcher";
    case XdpAttach::chain: return "chain";
  }
  return "?";
}

}  // namespace anycastd
