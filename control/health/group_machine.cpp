// SPDX-License-Identifier: Apache-2.0
#include "health/group_machine.h"

#include <algorithm>
#include <cmath>

namespace anycastd {

std::string_view to_string(GroupState s) {
  switch (s) {
    case GroupState::down: return "down";
    case GroupState::ready: return "ready";
    case GroupState::up: return "up";
    case GroupState::degraded: return "degraded";
    case GroupState::draining: return "draining";
  }
  return "?";
}

std::string_view to_string(GroupAction a) {
  switch (a) {
    case GroupAction::start_answering: return "start_answering";
    case GroupAction::announce: return "announce";
    case GroupAction::announce_degraded: return "announce_degraded";
    case GroupAction::announce_draining: return "announce_draining";
    case GroupAction::withdraw: return "withdraw";
    case GroupAction::stop_answering: return "stop_answering";
  }
  return "?";
}

void GroupMachine::enter(GroupState s, Clock::time_point now) {
  state_ = s;
  since_ = now;
}

void GroupMachine::start(Clock::time_point now) {
  if (state_ != GroupState::down || held_out_ || stopping_) return;
  passes_ = failures_ = soft_passes_ = soft_failures_ = 0;
  actions_.push_back(GroupAction::start_answering);
  enter(GroupState::ready, now);
}

void GroupMachine::adopt_up(Clock::time_point now) {
  if (state_ != GroupState::down || held_out_ || stopping_) return;
  passes_ = timing_.rise;
  failures_ = 0;
  enter(GroupState::up, now);
}

double GroupMachine::penalty(Clock::time_point now) const {
  if (penalty_ <= 0) return 0;
  double halves = std::chrono::duration<double>(now - penalty_at_) / std::chrono::duration<double>(timing_.dampening.half_life);
  return penalty_ * std::exp2(-std::max(halves, 0.0));
}

void GroupMachine::restore_penalty(double penalty, bool suppressed, Clock::time_point now) {
  penalty_ = std::clamp(penalty, 0.0, timing_.dampening.max_penalty);
  penalty_at_ = now;
  suppressed_ = suppressed && timing_.dampening.on() && penalty_ >= timing_.dampening.reuse;
}

bool GroupMachine::may_announce(Clock::time_point now) {
  // Reuse is looked at when the group would announce: a suppressed group waits in ready, its
  // checks running, and goes up at the first round after the penalty fell under reuse.
  if (suppressed_ && penalty(now) < timing_.dampening.reuse) suppressed_ = false;
  if (suppressed_) return false;
  return !withdrawn_once_ || now - last_withdraw_ >= timing_.hold_down;
}

void GroupMachine::begin_drain(Clock::time_point now, bool flap) {
  soft_draining_ = false;
  actions_.push_back(GroupAction::withdraw);
  last_withdraw_ = now;
  withdrawn_once_ = true;
  ++flaps_;
  if (flap && timing_.dampening.on()) {
    penalty_ = std::min(penalty(now) + timing_.dampening.penalty, timing_.dampening.max_penalty);
    penalty_at_ = now;
    if (penalty_ >= timing_.dampening.suppress) suppressed_ = true;
  }
  enter(GroupState::draining, now);
  drain_from_ = now;
}

void GroupMachine::begin_soft_drain(Clock::time_point now) {
  if (timing_.soft_drain.count() <= 0) return begin_drain(now, false);
  actions_.push_back(GroupAction::announce_draining);
  soft_draining_ = true;
  enter(GroupState::draining, now);
  drain_from_ = now;
}

void GroupMachine::route_change_sent(Clock::time_point now) {
  if (state_ == GroupState::draining) drain_from_ = now;
}

// Up or degraded, by how the soft checks have gone lately.
void GroupMachine::announce_for_health(Clock::time_point now) {
  bool degraded = soft_failures_ >= timing_.fall;
  actions_.push_back(degraded ? GroupAction::announce_degraded : GroupAction::announce);
  enter(degraded ? GroupState::degraded : GroupState::up, now);
}

void GroupMachine::check_result(bool healthy, Clock::time_point now, bool soft_healthy) {
  if (healthy) {
    failures_ = 0;
    ++passes_;
    if (soft_healthy) {
      soft_failures_ = 0;
      ++soft_passes_;
    } else {
      soft_passes_ = 0;
      ++soft_failures_;
    }
  } else {
    passes_ = 0;
    ++failures_;
  }
  switch (state_) {
    case GroupState::ready:
      if (passes_ >= timing_.rise && may_announce(now)) announce_for_health(now);
      break;
    case GroupState::up:
      if (failures_ >= timing_.fall) {
        begin_drain(now, true);
      } else if (soft_failures_ >= timing_.fall) {
        actions_.push_back(GroupAction::announce_degraded);
        enter(GroupState::degraded, now);
      }
      break;
    case GroupState::degraded:
      if (failures_ >= timing_.fall) {
        begin_drain(now, true);
      } else if (soft_passes_ >= timing_.rise) {
        actions_.push_back(GroupAction::announce);
        enter(GroupState::up, now);
      }
      break;
    case GroupState::draining:
      // Still announced in a soft drain: a hard failure withdraws at once.
      if (soft_draining_ && failures_ >= timing_.fall) begin_drain(now, true);
      break;
    case GroupState::down:
      break;
  }
}

void GroupMachine::set_held_out(bool held_out, Clock::time_point now, bool soft) {
  if (held_out == held_out_) {
    // Soft drain turned hard while its routes are still out: withdraw now.
    if (held_out && !soft && soft_draining_) begin_drain(now, false);
    return;
  }
  held_out_ = held_out;
  if (held_out) {
    if (announced())
      soft ? begin_soft_drain(now) : begin_drain(now, false);
    else if (state_ == GroupState::ready) {
      actions_.push_back(GroupAction::stop_answering);
      enter(GroupState::down, now);
    }
  } else if (soft_draining_) {
    // Let back in before the withdrawal: the routes are still out, announce them as before.
    soft_draining_ = false;
    announce_for_health(now);
  } else {
    start(now);
  }
}

void GroupMachine::stop(Clock::time_point now) {
  stopping_ = true;
  if (announced() || soft_draining_)
    begin_drain(now, false);
  else if (state_ == GroupState::ready) {
    actions_.push_back(GroupAction::stop_answering);
    enter(GroupState::down, now);
  }
}

void GroupMachine::tick(Clock::time_point now) {
  if (state_ != GroupState::draining) return;
  if (soft_draining_) {
    if (now - drain_from_ >= timing_.soft_drain) begin_drain(now, false);
    return;
  }
  if (now - drain_from_ >= timing_.drain) {
    actions_.push_back(GroupAction::stop_answering);
    enter(GroupState::down, now);
    start(now);  // back to ready unless held out or stopping
  }
}

std::vector<GroupAction> GroupMachine::take_actions() {
  std::vector<GroupAction> out;
  out.swap(actions_);
  return out;
}

Millis GroupMachine::check_interval() const {
  bool rising = state_ == GroupState::ready && passes_ > 0;
  bool falling = announced() && failures_ > 0;
  return rising || falling ? timing_.fast_interval : timing_.interval;
}

bool GroupMachine::next_deadline(Clock::time_point* when) const {
  if (state_ != GroupState::draining) return false;
  *when = drain_from_ + (soft_draining_ ? timing_.soft_drain : timing_.drain);
  return true;
}

}  // namespace anycastd
