// SPDX-License-Identifier: Apache-2.0
#include "route/bird_signal.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>

#include "route/bird_client.h"

namespace anycastd {

namespace {

// `show static NAME` wants a symbol, not a pattern: only a plain identifier can go unquoted.
bool plain_symbol(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string quoted(const std::string& protocol) { return "\"" + protocol + "\""; }

std::vector<std::string> split_ws(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

}  // namespace

std::vector<BirdProtocolRow> parse_bird_protocols(const std::vector<std::string>& rows) {
  std::vector<BirdProtocolRow> out;
  for (const std::string& row : rows) {
    // Name Proto Table State Since Info; Since is one or two words depending on BIRD's
    // `timeformat protocol`, so Info is not reliably separable and only the first four count.
    auto words = split_ws(row);
    if (words.size() < 4) continue;
    BirdProtocolRow r{words[0], words[1], words[2], words[3], {}};
    if (words.size() > 5) r.info = words.back();
    out.push_back(std::move(r));
  }
  return out;
}

BirdSignal::BirdSignal(BirdSignalConfig config)
    : RouteSignal(SignalKind::bird, config.socket), config_(std::move(config)) {
  if (Refusal problem = bird_signal_problem(config_)) throw std::invalid_argument(problem.why());
}

std::string BirdSignal::run(const RouteGroup& group, std::string_view action, const std::vector<Step>& steps) {
  std::string detail;
  std::vector<std::string> refusals;
  try {
    BirdSession session(config_.socket, posix_io::deadline_in(config_.timeout));
    // Every step is sent even after a refusal: a withdrawal must take down whatever it can, and
    // an announcement that BIRD half refused is reported as failed either way.
    for (const Step& step : steps) {
      std::string command = fmt::format("{} {}", step.verb, quoted(*step.protocol));
      BirdReply reply = session.command(command);
      spdlog::debug("group {}: {}: bird {}: {} -> {} {}", group.name, action, config_.socket, command, reply.code,
                    reply.text());
      if (reply.error()) {
        refusals.push_back(fmt::format("`{}`: {}", command, reply.text()));
        continue;
      }
      if (!detail.empty()) detail += "; ";
      detail += reply.text();
    }
  } catch (const RouteSignalError& e) {
    throw RouteSignalError(fmt::format("group {}: {}: {}", group.name, action, e.what()));
  } catch (const std::system_error& e) {
    throw RouteSignalError(fmt::format("group {}: {}: BIRD control socket {}: {}", group.name, action,
                                       config_.socket, e.what()));
  }
  if (!refusals.empty())
    throw RouteSignalRefused(fmt::format("group {}: {}: BIRD control socket {} refused {}", group.name, action,
                                         config_.socket, fmt::join(refusals, "; ")));
  return detail;
}

bool BirdSignal::carries(RouteState state) const {
  switch (state) {
    case RouteState::up: return true;
    case RouteState::degraded: return !config_.degraded_protocols.empty();
    case RouteState::draining: return !config_.gshut_protocols.empty();
  }
  return false;
}

// The attributes are in BIRD's config (the config check refuses them here for bird).
void BirdSignal::announce(const RouteGroup& group, RouteState state, const RouteAttributes&) {
  std::string name = fmt::format("announce {}", to_string(state));
  if (!carries(state))
    throw RouteSignalError(fmt::format("group {}: {}: the bird route signal has no {} protocols configured",
                                       group.name, name, to_string(state)));
  run_recorded(name, [&] {
    std::vector<Step> steps;
    for (const std::string& p : config_.protocols) steps.push_back({"enable", &p});
    const auto& on = state == RouteState::degraded   ? config_.degraded_protocols
                     : state == RouteState::draining ? config_.gshut_protocols
                                                     : config_.protocols;
    if (&on != &config_.protocols)
      for (const std::string& p : on) steps.push_back({"enable", &p});
    for (const auto* off : {&config_.degraded_protocols, &config_.gshut_protocols})
      if (off != &on)
        for (const std::string& p : *off) steps.push_back({"disable", &p});
    return run(group, name, steps);
  });
}

void BirdSignal::withdraw(const RouteGroup& group) {
  run_recorded("withdraw", [&] {
    std::vector<Step> steps;
    for (const std::string& p : config_.protocols) steps.push_back({"disable", &p});
    for (const std::string& p : config_.degraded_protocols) steps.push_back({"disable", &p});
    for (const std::string& g : config_.gshut_protocols) steps.push_back({"disable", &g});
    return run(group, "withdraw", steps);
  });
}

Refusal BirdSignal::unreachable() const {
  try {
    BirdSession session(config_.socket, posix_io::deadline_in(config_.timeout));
    return Refusal::none();
  } catch (const RouteSignalError& e) {
    return Refusal::because(e.what());
  } catch (const std::system_error& e) {
    return Refusal::because(fmt::format("BIRD control socket {}: {}", config_.socket, e.what()));
  }
}

SignalProbe BirdSignal::probe(const RouteGroup& group) {
  SignalProbe out;
  try {
    BirdSession session(config_.socket, posix_io::deadline_in(config_.timeout));
    BirdReply reply = session.command("show protocols");
    out.reachable = true;
    if (reply.error())
      throw RouteSignalRefused(fmt::format("BIRD control socket {}: `show protocols`: {}", config_.socket, reply.text()));
    auto rows = parse_bird_protocols(reply.rows(1002));

    std::vector<std::string> parts;
    std::vector<const BirdProtocolRow*> ours;
    bool missing = false;
    bool degraded = false;
    // `state_up`: set when one of the protocols is up (for a state's protocols).
    auto collect = [&](const std::vector<std::string>& patterns, bool main, bool* state_up) {
      for (const std::string& pattern : patterns) {
        bool any = false;
        for (const BirdProtocolRow& r : rows) {
          if (!bird_pattern_match(pattern, r.name)) continue;
          any = true;
          if (r.proto != "Static")
            out.problems.push_back(fmt::format(
                "BIRD protocol {} is {}, not Static: enabling and disabling it is not what the bird signal means",
                r.name, r.proto));
          if (main) {
            ours.push_back(&r);
            parts.push_back(fmt::format("{} {}", r.name, r.state));
          } else if (r.state == "up") {
            *state_up = true;
          }
        }
        if (!any) {
          out.problems.push_back(fmt::format("no protocol in BIRD matches \"{}\"", pattern));
          if (main) missing = true;
        }
      }
    };
    collect(config_.protocols, true, nullptr);
    collect(config_.degraded_protocols, false, &degraded);
    collect(config_.gshut_protocols, false, &out.graceful_shutdown);

    std::size_t up = std::count_if(ours.begin(), ours.end(), [](auto* r) { return r->state == "up"; });
    if (missing || ours.empty())
      out.announced = Announced::unknown;
    else if (up == ours.size())
      out.announced = Announced::yes;
    else if (up == 0)
      out.announced = Announced::no;
    else
      out.announced = Announced::partly;

    std::size_t bgp = 0, established = 0;
    for (const BirdProtocolRow& r : rows) {
      if (r.proto != "BGP") continue;
      ++bgp;
      if (r.state == "up") ++established;
    }
    out.detail = fmt::format("{}{}{}; BGP sessions established {}/{}", fmt::join(parts, ", "),
                             degraded ? " (degraded protocols up)" : "",
                             out.graceful_shutdown ? " (tagged GRACEFUL_SHUTDOWN)" : "", established, bgp);

    // The routes of the group's protocols against the group's VIPs: a VIP in no protocol is
    // never announced; a route for something the group does not answer is a black hole.
    std::set<Prefix> configured;
    const std::set<Prefix> vips(group.vips.begin(), group.vips.end());  // 65,536 routes are looked up
    bool complete = !missing;
    for (const BirdProtocolRow* r : ours) {
      if (!plain_symbol(r->name)) {
        complete = false;
        continue;
      }
      BirdReply statics = session.command("show static " + r->name);
      if (statics.error()) {
        complete = false;
        out.problems.push_back(fmt::format("`show static {}`: {}", r->name, statics.text()));
        continue;
      }
      for (const BirdLine& l : statics.lines) {
        auto words = split_ws(l.text);
        if (words.empty()) continue;
        try {
          Prefix p = parse_prefix(words[0]);
          configured.insert(p);
          if (!vips.count(p))
            out.problems.push_back(fmt::format("BIRD protocol {} has a route for {}, which group {} does not answer for",
                                               r->name, p.str(), group.name));
        } catch (const std::invalid_argument&) {
          // Not a prefix: a continuation line of a multi-line route.
        }
      }
    }
    if (complete)
      for (const Prefix& vip : group.vips)
        if (!configured.count(vip))
          out.problems.push_back(fmt::format("VIP {} of group {} is in none of BIRD's protocols {}: it is never announced",
                                             vip.str(), group.name, fmt::join(config_.protocols, ", ")));
  } catch (const RouteSignalError& e) {
    out.detail = e.what();
  } catch (const std::system_error& e) {
    out.detail = fmt::format("BIRD control socket {}: {}", config_.socket, e.what());
  }
  record_probe(out.reachable);
  return out;
}

}  // namespace anycastd
