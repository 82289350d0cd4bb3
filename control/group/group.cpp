// SPDX-License-Identifier: Apache-2.0
#include "group/group.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "group/clock_check.h"
#include "group/datapath_check.h"
#include "route/alias_signal.h"
#include "route/bird_signal.h"
#include "route/exabgp_signal.h"
#include "route/frr_signal.h"
#include "route/gobgp_signal.h"

namespace anycastd {
namespace {

constexpr Millis kProbeInterval{5000};

std::unique_ptr<RouteSignal> make_signal(const RouteConfig& route, AliasSet& aliases) {
  switch (route.signal) {
    case SignalKind::alias: return std::make_unique<AliasSignal>(aliases);
    case SignalKind::bird: return std::make_unique<BirdSignal>(route.bird);
    case SignalKind::exabgp: {
      ExabgpSignalConfig exabgp = route.exabgp;
      exabgp.ibgp = route.ibgp;
      return std::make_unique<ExabgpSignal>(std::move(exabgp));
    }
    case SignalKind::frr: return std::make_unique<FrrSignal>(route.frr);
    case SignalKind::gobgp: return std::make_unique<GobgpSignal>(route.gobgp);
  }
  throw std::logic_error("unknown route signal");
}

const Prefix* first_host(const std::vector<Prefix>& vips) {
  for (const Prefix& p : vips)
    if (p.is_host()) return &p;
  return nullptr;
}

std::vector<std::unique_ptr<Check>> make_checks(const GroupConfig& g, const GroupEnvironment& env) {
  std::vector<std::unique_ptr<Check>> out;
  for (const CheckConfig& c : g.checks) {
    switch (c.kind) {
      case CheckKind::tcp: {
        const Prefix* address = c.address ? &*c.address : first_host(g.addresses);
        if (!address)
          throw std::invalid_argument("group " + g.name + ": a tcp check needs an address (the group has no host VIP)");
        out.push_back(std::make_unique<TcpCheck>(*address, c.port, c.timeout));
        break;
      }
      case CheckKind::exec: out.push_back(std::make_unique<ExecCheck>(c.command, c.timeout)); break;
      case CheckKind::clock: {
        const ServiceConfig* ntp = nullptr;
        for (const ServiceConfig& s : *env.services)
          if (s.id == AC_SVC_NTP) ntp = &s;
        if (!ntp) throw std::invalid_argument("group " + g.name + ": a clock check needs [services.ntp]");
        NtpServiceClock clock = ntp->clock;
        clock.timeout = c.timeout;
        out.push_back(std::make_unique<ClockCheck>(make_clock_source(clock), c.max_error));
        break;
      }
      case CheckKind::datapath: {
        DatapathProbeTarget t;
        t.probe = env.probe;
        t.vips = g.addresses;
        for (const ServiceConfig& s : *env.services)
          if (s.id == AC_SVC_ECHO && (g.services & (1u << AC_SVC_ECHO))) {
            t.echo_port = s.port;
            t.echo_allow = s.allow;
          }
        out.push_back(std::make_unique<DatapathCheck>(std::move(t)));
        break;
      }
    }
  }
  return out;
}

}  // namespace

Group::Group(const GroupConfig& config, const GroupEnvironment& env)
    : config_(config), env_(env), machine_(config.timing), aliases_(*env.netlink, env.loopback, env.host_vips, env.keep_going),
      signal_(make_signal(config.route, aliases_)),
      hooks_(config.name, env.hooks ? *env.hooks : std::vector<HookConfig>{}, env.wake_fd) {
  auto checks = make_checks(config_, env_);
  for (const auto& c : checks) {
    CheckStatus s;
    s.name = c->describe();
    check_status_.push_back(std::move(s));
  }
  worker_ = std::make_unique<CheckWorker>(std::move(checks), env_.wake_fd);
  since_wall_ = WallClock::now();
}

Group::~Group() {
  worker_.reset();
  // Torn down while still announced (start-up failed further on, or an error while running):
  // the routes must not outlive the answers.
  if (machine_.state() == GroupState::up || machine_.state() == GroupState::degraded ||
      machine_.state() == GroupState::draining) {
    try {
      signal_->withdraw(route_group());
      spdlog::warn("group {}: withdrawn on teardown", name());
    } catch (const RouteSignalError& e) {
      spdlog::error("group {}: withdrawal on teardown failed: {}", name(), e.what());
    }
  }
}

void Group::start(Clock::time_point now) {
  machine_.start(now);
  apply();
}

bool Group::adopt(Clock::time_point now) {
  SignalProbe probe = signal_->probe(route_group());
  if (probe.announced != Announced::yes || held_out_) {
    spdlog::info("group {}: not adopted as up ({}); starting afresh", name(),
                 probe.reachable ? std::string(to_string(probe.announced)) : "route signal unreachable: " + probe.detail);
    start(now);
    return false;
  }
  // The predecessor's aliases carry our marker: set() adopts them instead of adding.
  try {
    aliases_.set(config_.addresses);
  } catch (const std::runtime_error& e) {
    spdlog::error("group {}: adopting the aliases: {}", name(), e.what());
  }
  machine_.adopt_up(now);
  answering_ = true;
  since_wall_ = WallClock::now();
  reported_state_ = GroupState::up;
  spdlog::info("group {}: adopted as up ({})", name(), probe.detail);
  return true;
}

void Group::stop(Clock::time_point now) {
  machine_.stop(now);
  apply();
}

void Group::set_held_out(const Refusal& reason, Clock::time_point now, bool soft) {
  if (reason == held_out_ && soft == soft_held_out_) return;
  soft_held_out_ = soft;
  if (reason)
    spdlog::warn("group {}: held out: {}", name(), reason.why());
  else
    spdlog::info("group {}: no longer held out ({})", name(), held_out_.why());
  held_out_ = reason;
  machine_.set_held_out(static_cast<bool>(reason), now, soft);
}

void Group::route(bool announce) {
  RouteGroup rg = route_group();
  try {
    if (announce)
      signal_->announce(rg, route_state_,
                        route_state_ == RouteState::draining
                            ? with_graceful_shutdown(config_.route.attributes.draining)
                            : config_.route.attributes.of(route_state_));
    else
      signal_->withdraw(rg);
    route_pending_.reset();
    spdlog::info("group {}: {} ({})", name(), announce ? fmt::format("announced {}", to_string(route_state_)) : "withdrawn",
                 signal_->status().summary());
  } catch (const RouteSignalError& e) {
    spdlog::error("group {}: {} failed, retrying: {}", name(), announce ? "announcement" : "withdrawal", e.what());
    route_pending_ = announce;
    next_route_retry_ = Clock::now() + config_.timing.fast_interval;
  }
}

void Group::apply() {
  for (GroupAction action : machine_.take_actions()) {
    spdlog::debug("group {}: {}", name(), to_string(action));
    switch (action) {
      case GroupAction::start_answering:
        if (!signal_->carries_alias()) {
          try {
            aliases_.set(config_.addresses);
          } catch (const std::runtime_error& e) {
            spdlog::error("group {}: aliases: {} (TCP to the VIPs will not reach the kernel)", name(), e.what());
          }
        }
        answering_ = true;
        break;
      case GroupAction::announce:
      case GroupAction::announce_degraded:
        graceful_ = false;
        // A signal without a degraded form announces degraded as up (the config check refused
        // degraded attributes for it, so nothing configured is lost).
        route_state_ = action == GroupAction::announce_degraded && signal_->carries(RouteState::degraded)
                           ? RouteState::degraded
                           : RouteState::up;
        route(true);
        next_probe_ = Clock::now() + kProbeInterval;
        break;
      case GroupAction::announce_draining:
        // A soft drain's start. Without a draining form the signal withdraws now instead: the
        // answers still run to the end of the drain.
        if (signal_->carries(RouteState::draining)) {
          route_state_ = RouteState::draining;
          graceful_ = true;
          route(true);
        } else {
          route(false);
        }
        machine_.route_change_sent(Clock::now());
        break;
      case GroupAction::withdraw:
        // After a soft drain's announced phase the routes are tagged already: withdraw now.
        if (config_.route.graceful_shutdown && signal_->carries(RouteState::draining) && !graceful_) {
          try {
            route_state_ = RouteState::draining;
            signal_->announce(route_group(), RouteState::draining,
                              with_graceful_shutdown(config_.route.attributes.draining));
            graceful_ = true;
            spdlog::info("group {}: tagged GRACEFUL_SHUTDOWN for {} ms before the withdrawal", name(),
                         config_.timing.drain.count());
            machine_.route_change_sent(Clock::now());
            break;
          } catch (const RouteSignalError& e) {
            spdlog::error("group {}: graceful shutdown failed, withdrawing at once: {}", name(), e.what());
          }
        }
        graceful_ = false;
        route(false);
        machine_.route_change_sent(Clock::now());
        break;
      case GroupAction::stop_answering:
        if (graceful_) {
          graceful_ = false;
          route(false);
        }
        answering_ = false;
        if (!signal_->carries_alias()) aliases_.clear();
        break;
    }
  }
  if (machine_.state() != reported_state_) {
    since_wall_ = WallClock::now();
    spdlog::info("group {}: {} -> {}", name(), to_string(reported_state_), to_string(machine_.state()));
    hooks_.changed(to_string(reported_state_), to_string(machine_.state()), since_wall_);
    reported_state_ = machine_.state();
  }
}

void Group::poll(Clock::time_point now) {
  if (!worker_) return;  // finish_checks(): about to be replaced by a successor
  if (auto results = worker_->take_results()) {
    bool healthy = true, soft_healthy = true;
    for (std::size_t i = 0; i < results->size() && i < check_status_.size(); ++i) {
      const CheckResult& r = (*results)[i];
      CheckStatus& s = check_status_[i];
      if (s.ran && s.ok != r.ok)
        spdlog::info("group {}: check {} {}: {}", name(), s.name, r.ok ? "passes" : "FAILS", r.detail);
      else if (!s.ran && !r.ok)
        spdlog::warn("group {}: check {} fails: {}", name(), s.name, r.detail);
      s.ran = true;
      s.ok = r.ok;
      s.detail = r.detail;
      s.latency = r.latency;
      s.at = WallClock::now();
      ++s.runs;
      if (!r.ok) ++s.failures;
      (config_.checks[i].soft ? soft_healthy : healthy) &= r.ok;
    }
    machine_.check_result(healthy, now, soft_healthy);
    next_check_ = now + machine_.check_interval();
  }
  if (now >= next_check_ && worker_->request_round()) next_check_ = Clock::time_point::max();
  machine_.tick(now);
  apply();
  if (route_pending_ && now >= next_route_retry_) route(*route_pending_);
  // The route is what the state says, whoever changed it behind our back: an alias removed or
  // added by hand, a routing daemon restarted or reconfigured. Up must be announced; down must
  // not be (a stray announcement would draw traffic to a group that does not answer). Ready is
  // left alone: it answers, and it is where an anycastd started after a crash finds the routes
  // its predecessor announced: withdrawing them there would flap a route that is about to be
  // announced again. Draining too: it may be announced with GRACEFUL_SHUTDOWN on purpose.
  const GroupState state = machine_.state();
  const bool want_up = state == GroupState::up || state == GroupState::degraded;
  const bool want_down = state == GroupState::down;
  if ((want_up || want_down) && !route_pending_ && now >= next_probe_) {
    next_probe_ = now + kProbeInterval;
    SignalProbe probe = signal_->probe(route_group());
    if (probe.reachable && want_up && probe.announced != Announced::yes) {
      spdlog::warn("group {}: up but {} ({}): announcing again", name(), to_string(probe.announced), probe.detail);
      route(true);
    } else if (probe.reachable && want_down && (probe.announced == Announced::yes || probe.announced == Announced::partly)) {
      // Withdrawing is idempotent, so it is repeated; a VIP someone else put on the loopback is
      // theirs and stays (anycastd removes only what it added), so the warning says so, once.
      if (!stray_reported_)
        spdlog::warn("group {}: {} but {} ({}): withdrawing again (a VIP added by someone else stays until they "
                     "remove it)", name(), to_string(state), to_string(probe.announced), probe.detail);
      stray_reported_ = true;
      route(false);
    } else if (probe.reachable) {
      stray_reported_ = false;
    }
  }
}

Clock::time_point Group::next_wakeup() const {
  Clock::time_point next = next_check_;
  Clock::time_point deadline;
  if (machine_.next_deadline(&deadline)) next = std::min(next, deadline);
  if (route_pending_) next = std::min(next, next_route_retry_);
  return next;
}

GroupStatus Group::status() const {
  GroupStatus s;
  s.name = config_.name;
  s.vips = config_.addresses;
  s.services = config_.services;
  s.state = machine_.state();
  s.since = since_wall_;
  s.flaps = machine_.flaps();
  s.penalty = machine_.penalty(Clock::now());
  s.suppressed = machine_.suppressed();
  s.passes = machine_.passes();
  s.failures = machine_.failures();
  s.held_out = held_out_.why();
  s.checks = check_status_;
  s.signal = signal_->status();
  s.hooks = hooks_.status();
  s.config = config_;
  return s;
}

}  // namespace anycastd
