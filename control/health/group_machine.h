// SPDX-License-Identifier: Apache-2.0
#pragma once

// The life of one group of VIPs: down -> ready -> up (<-> degraded) -> draining -> down.
//
//   down      not answering, not announced
//   ready     answering (and, for a routing-daemon signal, the aliases are up), not announced;
//             health checks count towards `rise`
//   up        announced (the up attributes)
//   degraded  announced with the degraded attributes: the hard checks pass, the checks marked
//             soft have failed `fall` rounds in a row; `rise` rounds with them passing go back up
//   draining  withdrawn, still answering for drain_ms so that packets already on their way, and
//             routers still converging, get answers. A soft drain first keeps the routes
//             announced with the draining attributes for soft_drain_ms (soft_draining()), then
//             withdraws and drains as above.
//
// The names are stable: status, metrics and the state-change hooks show them.
//
// Dampening (timing.dampening): a withdrawal for failing health adds a penalty that decays
// with a half-life; past suppress the group stays in ready, not announced, until the penalty
// has decayed under reuse. Operator drains and stops are not flaps and add nothing.
//
// Pure logic with time passed in, so tests can drive any sequence; the group's driver turns the
// actions into datapath and route-signal calls in the order given.

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "config/settings.h"

namespace anycastd {

enum class GroupState { down, ready, up, degraded, draining };
std::string_view to_string(GroupState s);

enum class GroupAction {
  start_answering,  // enter ready: datapath answers the VIPs (daemon signals: aliases added)
  announce,           // route signal: announce all VIPs of the group in one transaction (up)
  announce_degraded,  // the same, with the degraded attributes
  announce_draining,  // the same, with the draining attributes (a soft drain begins)
  withdraw,           // route signal: withdraw them in one transaction
  stop_answering,   // drain over: datapath stops answering (daemon signals: aliases removed)
};
std::string_view to_string(GroupAction a);


class GroupMachine {
 public:
  explicit GroupMachine(GroupTiming timing) : timing_(timing) {}

  // The group may serve: enters ready unless held out (operator drain, maintenance file, stop).
  void start(Clock::time_point now);
  // Taking over from a predecessor that had the group announced (anycastctl restart): up, with
  // the rise already counted, and no action, since the routes and answers are already out.
  void adopt_up(Clock::time_point now);
  // One round of the group's checks, already ANDed: `healthy` the hard ones, `soft_healthy`
  // the ones marked soft.
  void check_result(bool healthy, Clock::time_point now, bool soft_healthy = true);
  // Operator drain / maintenance file present (true) or gone (false). Held out, a group withdraws
  // and drains whatever its health; let back in, it rises through `rise` passing rounds again.
  // `soft` (anycastctl drain --soft, the soft maintenance file) with soft_drain_ms set: the
  // draining attributes first, the withdrawal soft_drain_ms later; let back in before that, it
  // is announced again at once.
  void set_held_out(bool held_out, Clock::time_point now, bool soft = false);
  // Stopping: withdraw, drain, stop answering; done() when it is down.
  void stop(Clock::time_point now);
  // Timers: the end of a soft drain's announced phase, the end of a drain.
  void tick(Clock::time_point now);
  // The route change that starts a drain (the withdrawal, the graceful-shutdown tag, a soft
  // drain's draining attributes) has been handed to the speaker. The drain counts from here: a
  // routing daemon that takes seconds to take it (vtysh) must not eat the drain, in which the
  // routers still send traffic that needs answers.
  void route_change_sent(Clock::time_point now);
  // A predecessor's dampening penalty (anycastctl restart), as it was at `now`.
  void restore_penalty(double penalty, bool suppressed, Clock::time_point now);

  // Actions produced since the last call, in the order they must be carried out.
  std::vector<GroupAction> take_actions();

  GroupState state() const { return state_; }
  Clock::time_point since() const { return since_; }
  unsigned flaps() const { return flaps_; }
  unsigned passes() const { return passes_; }
  unsigned failures() const { return failures_; }
  bool stopping() const { return stopping_; }
  // Draining, the routes still announced with the draining attributes (a soft drain's start).
  bool soft_draining() const { return soft_draining_; }
  // The dampening penalty decayed to `now`, and whether it keeps the group from announcing.
  double penalty(Clock::time_point now) const;
  bool suppressed() const { return suppressed_; }
  bool done() const { return stopping_ && state_ == GroupState::down; }
  // When the next check round is due: faster while a rise or fall is in progress.
  Millis check_interval() const;
  // When tick() next has work, if ever.
  bool next_deadline(Clock::time_point* when) const;

 private:
  void enter(GroupState s, Clock::time_point now);
  // `flap`: a withdrawal for failing health, penalised by dampening.
  void begin_drain(Clock::time_point now, bool flap);
  void begin_soft_drain(Clock::time_point now);
  void announce_for_health(Clock::time_point now);
  bool may_announce(Clock::time_point now);
  bool announced() const { return state_ == GroupState::up || state_ == GroupState::degraded; }

  GroupTiming timing_;
  GroupState state_ = GroupState::down;
  Clock::time_point since_{};
  Clock::time_point drain_from_{};  // the start of the drain's (or soft drain's) time
  Clock::time_point last_withdraw_{};
  bool withdrawn_once_ = false;
  bool held_out_ = false;
  bool stopping_ = false;
  bool soft_draining_ = false;
  bool suppressed_ = false;
  double penalty_ = 0;                // as it was at penalty_at_
  Clock::time_point penalty_at_{};
  unsigned passes_ = 0;
  unsigned failures_ = 0;
  unsigned soft_passes_ = 0;    // rounds in a row with the soft checks passing (hard ones too)
  unsigned soft_failures_ = 0;  // rounds in a row with the soft checks failing, the hard ones passing
  unsigned flaps_ = 0;
  std::vector<GroupAction> actions_;
};

}  // namespace anycastd
