// SPDX-License-Identifier: Apache-2.0
#pragma once

// The life of one group of VIPs: down -> ready -> up -> draining -> down.
//
//   down      not answering, not announced
//   ready     answering (and, for a routing-daemon signal, the aliases are up), not announced;
//             health checks count towards `rise`
//   up        announced
//   draining  withdrawn, still answering for drain_ms so that packets already on their way, and
//             routers still converging, get answers
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

enum class GroupState { down, ready, up, draining };
std::string_view to_string(GroupState s);

enum class GroupAction {
  start_answering,  // enter ready: datapath answers the VIPs (daemon signals: aliases added)
  announce,         // route signal: announce all VIPs of the group in one transaction
  withdraw,         // route signal: withdraw them in one transaction
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
  // One round of the group's checks, already ANDed.
  void check_result(bool healthy, Clock::time_point now);
  // Operator drain / maintenance file present (true) or gone (false). Held out, a group withdraws
  // and drains whatever its health; let back in, it rises through `rise` passing rounds again.
  void set_held_out(bool held_out, Clock::time_point now);
  // Stopping: withdraw, drain, stop answering; done() when it is down.
  void stop(Clock::time_point now);
  // Timers: the end of a drain.
  void tick(Clock::time_point now);

  // Actions produced since the last call, in the order they must be carried out.
  std::vector<GroupAction> take_actions();

  GroupState state() const { return state_; }
  Clock::time_point since() const { return since_; }
  unsigned flaps() const { return flaps_; }
  unsigned passes() const { return passes_; }
  unsigned failures() const { return failures_; }
  bool stopping() const { return stopping_; }
  bool done() const { return stopping_ && state_ == GroupState::down; }
  // When the next check round is due: faster while a rise or fall is in progress.
  Millis check_interval() const;
  // When tick() next has work, if ever.
  bool next_deadline(Clock::time_point* when) const;

 private:
  void enter(GroupState s, Clock::time_point now);
  void begin_drain(Clock::time_point now);
  bool may_announce(Clock::time_point now) const;

  GroupTiming timing_;
  GroupState state_ = GroupState::down;
  Clock::time_point since_{};
  Clock::time_point last_withdraw_{};
  bool withdrawn_once_ = false;
  bool held_out_ = false;
  bool stopping_ = false;
  unsigned passes_ = 0;
  unsigned failures_ = 0;
  unsigned flaps_ = 0;
  std::vector<GroupAction> actions_;
};

}  // namespace anycastd
