// SPDX-License-Identifier: Apache-2.0
#include "health/group_machine.h"

namespace anycastd {

std::string_view to_string(GroupState s) {
  switch (s) {
    case GroupState::down: return "down";
    case GroupState::ready: return "ready";
    case GroupState::up: return "up";
    case GroupState::draining: return "draining";
  }
  return "?";
}

std::string_view to_string(GroupAction a) {
  switch (a) {
    case GroupAction::start_answering: return "start_answering";
    case GroupAction::announce: return "announce";
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
  passes_ = failures_ = 0;
  actions_.push_back(GroupAction::start_answering);
  enter(GroupState::ready, now);
}

void GroupMachine::adopt_up(Clock::time_point now) {
  if (state_ != GroupState::down || held_out_ || stopping_) return;
  passes_ = timing_.rise;
  failures_ = 0;
  enter(GroupState::up, now);
}

bool GroupMachine::may_announce(Clock::time_point now) const {
  return !withdrawn_once_ || now - last_withdraw_ >= timing_.hold_down;
}

void GroupMachine::begin_drain(Clock::time_point now) {
  actions_.push_back(GroupAction::withdraw);
  last_withdraw_ = now;
  withdrawn_once_ = true;
  ++flaps_;
  enter(GroupState::draining, now);
}

void GroupMachine::check_result(bool healthy, Clock::time_point now) {
  if (healthy) {
    failures_ = 0;
    ++passes_;
  } else {
    passes_ = 0;
    ++failures_;
  }
  switch (state_) {
    case GroupState::ready:
      if (passes_ >= timing_.rise && may_announce(now)) {
        actions_.push_back(GroupAction::announce);
        enter(GroupState::up, now);
      }
      break;
    case GroupState::up:
      if (failures_ >= timing_.fall) begin_drain(now);
      break;
    case GroupState::down:
    case GroupState::draining:
      break;
  }
}

void GroupMachine::set_held_out(bool held_out, Clock::time_point now) {
  if (held_out == held_out_) return;
  held_out_ = held_out;
  if (held_out) {
    if (state_ == GroupState::up)
      begin_drain(now);
    else if (state_ == GroupState::ready) {
      actions_.push_back(GroupAction::stop_answering);
      enter(GroupState::down, now);
    }
  } else {
    start(now);
  }
}

void GroupMachine::stop(Clock::time_point now) {
  stopping_ = true;
  if (state_ == GroupState::up)
    begin_drain(now);
  else if (state_ == GroupState::ready) {
    actions_.push_back(GroupAction::stop_answering);
    enter(GroupState::down, now);
  }
}

void GroupMachine::tick(Clock::time_point now) {
  if (state_ == GroupState::draining && now - since_ >= timing_.drain) {
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
  bool falling = state_ == GroupState::up && failures_ > 0;
  return rising || falling ? timing_.fast_interval : timing_.interval;
}

bool GroupMachine::next_deadline(Clock::time_point* when) const {
  if (state_ != GroupState::draining) return false;
  *when = since_ + timing_.drain;
  return true;
}

}  // namespace anycastd
