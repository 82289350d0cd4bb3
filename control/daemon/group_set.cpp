// SPDX-License-Identifier: Apache-2.0
#include "daemon/group_set.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace anycastd {
namespace {

auto config_named(const std::string& name) {
  return [&name](const GroupConfig& c) { return c.name == name; };
}
auto group_named(const std::string& name) {
  return [&name](const std::unique_ptr<Group>& g) { return g->name() == name; };
}

}  // namespace

void GroupSet::reconcile(const std::vector<GroupConfig>& configs, Clock::time_point now) {
  std::vector<GroupConfig> waiting;
  for (const GroupConfig& s : successors_)
    if (auto it = std::find_if(configs.begin(), configs.end(), config_named(s.name)); it != configs.end())
      waiting.push_back(*it);
  successors_ = std::move(waiting);

  std::vector<std::unique_ptr<Group>> kept;
  for (auto& g : active_) {
    auto it = std::find_if(configs.begin(), configs.end(), config_named(g->name()));
    if (it != configs.end() && g->config() == *it) {
      kept.push_back(std::move(g));
      continue;
    }
    spdlog::info("reload: group {} {}", g->name(),
                 it == configs.end() ? "removed: draining it" : "changed: draining it, then starting it anew");
    if (it != configs.end()) successors_.push_back(*it);
    g->stop(now);
    retiring_.push_back(std::move(g));
  }
  active_ = std::move(kept);

  for (const GroupConfig& c : configs) {
    if (std::any_of(active_.begin(), active_.end(), group_named(c.name)) ||
        std::any_of(successors_.begin(), successors_.end(), config_named(c.name)))
      continue;
    if (std::any_of(retiring_.begin(), retiring_.end(), group_named(c.name))) {
      successors_.push_back(c);
      continue;
    }
    spdlog::info("reload: group {} added", c.name);
    active_.push_back(start_(c, now));
  }
}

bool GroupSet::running(const GroupConfig& config) const {
  return std::any_of(active_.begin(), active_.end(), [&](const auto& g) { return g->config() == config; });
}

bool GroupSet::poll(Clock::time_point now, bool stopping) {
  for_each([&](Group& g) { g.poll(now); });
  bool changed = false;
  for (auto it = retiring_.begin(); it != retiring_.end();) {
    if (!(*it)->done()) {
      ++it;
      continue;
    }
    std::string name = (*it)->name();
    it = retiring_.erase(it);
    changed = true;
    auto successor = std::find_if(successors_.begin(), successors_.end(), config_named(name));
    if (successor != successors_.end() && !stopping) {
      GroupConfig config = std::move(*successor);
      successors_.erase(successor);
      active_.push_back(start_(config, now));
    }
  }
  return changed;
}

void GroupSet::stop(Clock::time_point now) {
  for_each([&](Group& g) { g.stop(now); });
  successors_.clear();
}

bool GroupSet::done() const {
  return retiring_.empty() && std::all_of(active_.begin(), active_.end(), [](const auto& g) { return g->done(); });
}

}  // namespace anycastd
