// SPDX-License-Identifier: Apache-2.0
#pragma once

// One group at run time: its state machine, its checks (on a worker thread), its aliases and its
// route signal, and the order in which the machine's actions reach the kernel and the routers.
//
//   signal   start_answering        announce        withdraw              stop_answering
//   alias    fast path on           aliases added   aliases removed       fast path off
//   bird,    aliases added,         enable/         [GRACEFUL_SHUTDOWN    fast path off,
//   exabgp   fast path on           announce        tag] / withdraw       aliases removed
//
// With graceful_shutdown the routes stay announced, tagged, for the drain and are withdrawn as
// the drain ends. Degraded and a soft drain's start are announcements in that state
// (announce_degraded, announce_draining); a signal that cannot carry the state announces up
// instead of degraded and withdraws instead of draining announced. Every state change is
// logged in one place, the end of apply(). A route command that fails (routing daemon down) is retried every fast check
// interval until it goes through; status shows it meanwhile. While up, the signal is probed
// every few seconds: a routing daemon that restarted or was reconfigured (both forget what they
// were told) or an alias removed behind our back is re-announced.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/refusal.h"
#include "netlink/aliases.h"
#include "config/config.h"
#include "datapath/datapath.h"
#include "health/check_worker.h"
#include "health/group_machine.h"
#include "hooks/hook_runner.h"
#include "route/route_signal.h"
#include "status/status.h"

namespace anycastd {

// What a group needs from the daemon, shared by all groups.
struct GroupEnvironment {
  NetlinkSocket* netlink = nullptr;
  Interface loopback;
  std::shared_ptr<DatapathProbe> probe;  // for the datapath check
  int wake_fd = -1;                     // the check workers' eventfd
  const std::vector<ServiceConfig>* services = nullptr;
  HostVipForm host_vips = HostVipForm::address;
  // Asked between windows of netlink requests while aliases go on (AliasSet): the daemon serves
  // its signals and control socket there, and says stop when it is stopping.
  std::function<bool()> keep_going;
  const std::vector<HookConfig>* hooks = nullptr;  // every [[hook]]; the group runs those for it
};

class Group {
 public:
  Group(const GroupConfig& config, const GroupEnvironment& env);
  ~Group();

  const GroupConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }

  // Enter ready (or stay down while held out).
  void start(Clock::time_point now);
  // After `anycastctl restart`: if the route signal says the routes are out, carry on as up
  // without touching them; otherwise start normally. Returns whether it adopted.
  bool adopt(Clock::time_point now);
  void stop(Clock::time_point now);
  // Down, and its hooks have run for the changes that took it there.
  bool done() const { return machine_.done() && hooks_.idle(); }

  // Operator drain (anycastctl) and maintenance files, combined by the daemon into one reason.
  // `soft`: every reason is a soft one (drain --soft): the draining attributes first.
  void set_held_out(const Refusal& reason, Clock::time_point now, bool soft = false);
  // A predecessor's dampening penalty (anycastctl restart).
  void restore_penalty(double penalty, bool suppressed, Clock::time_point now) {
    machine_.restore_penalty(penalty, suppressed, now);
  }
  void check_now() { next_check_ = Clock::time_point{}; }
  // Before exec'ing a successor: waits for a round in flight, so no check's child process is
  // left for an image that does not know it (bounded by the checks' timeouts).
  void finish_checks() { worker_.reset(); }
  // Likewise for its hooks: the runs under way and waiting end (each within its timeout) before
  // the exec, so no hook process outlives the image that started it.
  void finish_hooks() { hooks_.finish(); }
  // A reload's [[hook]] list.
  void set_hooks(const std::vector<HookConfig>& hooks) { hooks_.set_hooks(hooks); }

  // Everything timed: check rounds, their results, drains, route retries. The daemon compares
  // answering() before and after and rewrites the fast path's tables when it changed.
  void poll(Clock::time_point now);
  Clock::time_point next_wakeup() const;

  // Whether the group's VIPs answer on the fast path now.
  bool answering() const { return answering_; }
  GroupStatus status() const;

 private:
  void apply();
  void route(bool announce);
  RouteGroup route_group() const { return {config_.name, config_.addresses}; }

  GroupConfig config_;
  GroupEnvironment env_;
  GroupMachine machine_;
  AliasSet aliases_;
  std::unique_ptr<RouteSignal> signal_;
  std::unique_ptr<CheckWorker> worker_;
  HookRunner hooks_;
  std::vector<CheckStatus> check_status_;
  Refusal held_out_ = Refusal::none();
  bool answering_ = false;
  bool graceful_ = false;       // routes tagged GRACEFUL_SHUTDOWN, the withdrawal still to come
  bool soft_held_out_ = false;
  RouteState route_state_ = RouteState::up;  // how route(true) announces
  std::optional<bool> route_pending_;  // announce (true) or withdraw (false) still to go through
  Clock::time_point next_check_{};
  Clock::time_point next_route_retry_{};
  Clock::time_point next_probe_{};
  bool stray_reported_ = false;  // warned that a withdrawn group's route is announced anyway
  GroupState reported_state_ = GroupState::down;  // the last state logged and timestamped
  WallClock::time_point since_wall_{};
};

}  // namespace anycastd
