// SPDX-License-Identifier: Apache-2.0
#include "hooks/hook_runner.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "hooks/hook_process.h"

extern char** environ;

namespace anycastd {
namespace {

bool runs_for(const HookConfig& hook, const std::string& group) {
  return hook.groups.empty() || std::find(hook.groups.begin(), hook.groups.end(), group) != hook.groups.end();
}

// `states`: the hook's filter on the states a change entered (every one of a coalesced change).
bool runs_on(const HookConfig& hook, const HookChange& change) {
  return hook.states.empty() || std::any_of(change.entered.begin(), change.entered.end(), [&](const std::string& s) {
           return std::find(hook.states.begin(), hook.states.end(), s) != hook.states.end();
         });
}

// RFC 3339, UTC, to the millisecond: what a script can hand to `date -d` or log as it is.
std::string rfc3339(std::chrono::system_clock::time_point at) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms % 1000));
  return text;
}

// The status travels as JSON, which wants UTF-8: a hook may write anything.
std::string printable(std::string text) {
  for (char& c : text)
    if (c != '\n' && c != '\t' && (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e))
      c = '?';
  return text;
}

std::string command_line(const HookConfig& hook) {
  std::string out;
  for (const std::string& a : hook.command) out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

HookRunner::HookRunner(std::string group, const std::vector<HookConfig>& hooks, int wake_fd)
    : group_(std::move(group)), wake_fd_(wake_fd) {
  for (char** e = environ; e && *e; ++e)
    if (std::string_view(*e).substr(0, 9) != "ANYCASTD_") base_env_.emplace_back(*e);
  set_hooks(hooks);
}

HookRunner::~HookRunner() { finish(); }

void HookRunner::set_hooks(const std::vector<HookConfig>& hooks) {
  std::lock_guard lock(mutex_);
  std::vector<HookStatus> next;
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    if (!runs_for(hooks[i], group_)) continue;
    auto same = std::find_if(hooks_.begin(), hooks_.end(), [&](const HookStatus& h) { return h.config == hooks[i]; });
    HookStatus s = same != hooks_.end() ? *same : HookStatus{};
    s.index = i;
    s.config = hooks[i];
    next.push_back(std::move(s));
  }
  hooks_ = std::move(next);
}

void HookRunner::changed(std::string_view old_state, std::string_view new_state,
                         std::chrono::system_clock::time_point at) {
  std::lock_guard lock(mutex_);
  if (hooks_.empty()) return;
  if (quit_) {
    ++dropped_;
    spdlog::warn("group {}: hooks finished (stopping or restarting): {} -> {} not run", group_, old_state, new_state);
    return;
  }
  if (queue_.size() >= kMaxQueued) {
    HookChange& last = queue_.back();
    last.new_state = new_state;
    last.at = at;
    ++last.changes;
    last.entered.emplace_back(new_state);
    ++coalesced_;
  } else {
    queue_.push_back(HookChange{std::string(old_state), std::string(new_state), at, 1, {std::string(new_state)}});
  }
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  cv_.notify_one();
}

void HookRunner::finish() {
  {
    std::lock_guard lock(mutex_);
    if (quit_) return;
    quit_ = true;
    if (!queue_.empty() || std::any_of(hooks_.begin(), hooks_.end(), [](const HookStatus& h) { return h.running; }))
      spdlog::info("group {}: waiting for its hooks ({} change(s) still to run), each within its timeout", group_,
                   queue_.size());
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> HookRunner::environment(const HookChange& change) const {
  std::vector<std::string> env = base_env_;
  env.push_back("ANYCASTD_GROUP=" + group_);
  env.push_back("ANYCASTD_OLD_STATE=" + change.old_state);
  env.push_back("ANYCASTD_NEW_STATE=" + change.new_state);
  env.push_back("ANYCASTD_TIME=" + rfc3339(change.at));
  env.push_back("ANYCASTD_CHANGES=" + std::to_string(change.changes));
  return env;
}

void HookRunner::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (busy_) {
      busy_ = false;
      if (wake_fd_ >= 0) {
        std::uint64_t one = 1;
        [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof one);
      }
    }
    cv_.wait(lock, [this] { return quit_ || !queue_.empty(); });
    if (queue_.empty()) return;  // quit_, and nothing left to run
    HookChange change = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    const std::vector<std::string> env = environment(change);
    // By position: a reload between two runs may change the list under us.
    for (std::size_t i = 0; i < hooks_.size(); ++i) {
      HookConfig hook = hooks_[i].config;
      if (!runs_on(hook, change)) continue;
      hooks_[i].running = true;
      lock.unlock();
      HookOutcome outcome = run_hook(hook.command, env, hook.timeout, kHookOutputKeep);
      lock.lock();
      auto it = std::find_if(hooks_.begin(), hooks_.end(), [&](const HookStatus& h) { return h.config == hook; });
      if (it == hooks_.end()) continue;  // removed by a reload while it ran
      HookStatus& s = *it;
      s.running = false;
      ++s.runs;
      if (!outcome.ok()) ++s.failures;
      if (outcome.end == HookOutcome::End::timed_out) ++s.timeouts;
      s.ran = true;
      s.last_change = change;
      s.last_at = std::chrono::system_clock::now();
      s.last_ok = outcome.ok();
      s.last_result = outcome.describe(hook.timeout);
      s.last_output = printable(std::move(outcome.output));
      s.last_output_dropped = outcome.dropped;
      if (outcome.ok())
        spdlog::info("group {}: hook {} ({} -> {}): {}", group_, command_line(hook), change.old_state,
                     change.new_state, s.last_result);
      else
        spdlog::warn("group {}: hook {} ({} -> {}) failed: {}", group_, command_line(hook), change.old_state,
                     change.new_state, s.last_result);
    }
  }
}

bool HookRunner::idle() const {
  std::lock_guard lock(mutex_);
  return queue_.empty() && !busy_;
}

GroupHooksStatus HookRunner::status() const {
  std::lock_guard lock(mutex_);
  return GroupHooksStatus{hooks_, queue_.size(), coalesced_, dropped_};
}

}  // namespace anycastd
