// SPDX-License-Identifier: Apache-2.0
#pragma once

// The daemon's groups across reloads, reconciled by name: the running ones, the ones a reload
// removed or changed (retiring: withdrawn, answered through their drain, then gone), and the
// settings a changed group starts with once its old self has drained. Whether a group changed is
// GroupConfig's defaulted ==, every field of it.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/time.h"
#include "config/config.h"
#include "group/group.h"

namespace anycastd {

class GroupSet {
 public:
  // Makes a group from its settings and starts it (held out first if it must be): the daemon's.
  using Start = std::function<std::unique_ptr<Group>(const GroupConfig&, Clock::time_point now)>;

  explicit GroupSet(Start start) : start_(std::move(start)) {}

  // At start-up: the groups of the file, made by the daemon (started, or adopted from the
  // previous image).
  void add(std::unique_ptr<Group> group) { active_.push_back(std::move(group)); }

  // A reload to `configs`: an unchanged group stays untouched; a removed one retires; a changed
  // one retires and its successor waits for it to drain; an added one starts now, or, when a
  // namesake is still retiring, once that one drained (so that the old one's withdrawal cannot
  // take down what the new one announced). A successor still waiting from an earlier reload
  // takes the newest settings, or goes with its group.
  void reconcile(const std::vector<GroupConfig>& configs, Clock::time_point now);

  // Whether a group runs with exactly these settings (a reload leaves it as it is).
  bool running(const GroupConfig& config) const;

  // Polls every group. Retiring groups that are done leave and their successors start (not
  // while stopping). True when a group left or started: the tables change shape.
  bool poll(Clock::time_point now, bool stopping);

  // Every group withdraws and drains; the waiting successors are dropped.
  void stop(Clock::time_point now);
  // Stopping, and every group down and gone.
  bool done() const;

  const std::vector<std::unique_ptr<Group>>& active() const { return active_; }
  const std::vector<std::unique_ptr<Group>>& retiring() const { return retiring_; }
  // The active groups, then the retiring ones: the order of the fast path's group indexes.
  template <typename F>
  void for_each(F&& f) const {
    for (const auto* list : {&active_, &retiring_})
      for (const auto& g : *list) f(*g);
  }
  // Down, gone: before the fast path goes at the end of a stop.
  void clear() {
    active_.clear();
    retiring_.clear();
  }

 private:
  Start start_;
  // Declared in this order so that destruction takes the retiring groups first.
  std::vector<std::unique_ptr<Group>> active_;
  std::vector<std::unique_ptr<Group>> retiring_;
  std::vector<GroupConfig> successors_;
};

}  // namespace anycastd
