// SPDX-License-Identifier: Apache-2.0
#pragma once

// A group's hooks ([[hook]], docs/hooks.md): on each state change of the group, every hook that
// runs for it is run (hook_process.h), one at a time, in file order, on a thread of the group's
// own, so a hook that hangs until its timeout never holds up the state machine, the other
// groups or the control socket.
//
// Changes that come while a run is under way wait in a queue of kMaxQueued; past that, the
// newest waiting change absorbs the next (old state of the first, new state of the last, and
// the count in ANYCASTD_CHANGES): a flapping group cannot pile up runs, and the hook still hears
// where the group ended up. A hook with `states` runs only for a change that entered one of them.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/time.h"
#include "config/config.h"

namespace anycastd {

inline constexpr std::size_t kMaxQueued = 4;
inline constexpr std::size_t kHookOutputKeep = 4096;  // bytes of a run's output kept for the status

struct HookChange {
  std::string old_state, new_state;
  std::chrono::system_clock::time_point at{};  // of the (last) change
  unsigned changes = 1;                        // more than 1: coalesced
  // Every state entered, new_state last: a coalesced change still runs a hook whose `states`
  // names one the group passed through (a `down` between `draining` and `ready` is not lost).
  std::vector<std::string> entered;
};

struct HookStatus {
  std::size_t index = 0;  // its [[hook]] in the file: hook[index]
  HookConfig config;
  std::uint64_t runs = 0, failures = 0, timeouts = 0;  // failures: anything but exit 0, timeouts included
  bool running = false;
  bool ran = false;        // the fields below are set
  HookChange last_change;  // what the last run was told
  std::chrono::system_clock::time_point last_at{};  // when it ended
  bool last_ok = false;
  std::string last_result;  // HookOutcome::describe
  std::string last_output;  // the first kHookOutputKeep bytes, bytes outside printable ASCII as '?'
  std::uint64_t last_output_dropped = 0;
};

struct GroupHooksStatus {
  std::vector<HookStatus> hooks;
  std::size_t queued = 0;       // changes waiting for a run
  std::uint64_t coalesced = 0;  // changes absorbed by a waiting one since start
  std::uint64_t dropped = 0;    // changes that came after finish()
};

class HookRunner {
 public:
  // `hooks`: every [[hook]] of the configuration; those for `group` are kept. `wake_fd` (an
  // eventfd, or -1) is written when the runs for a change are over: idle() may have changed.
  HookRunner(std::string group, const std::vector<HookConfig>& hooks, int wake_fd = -1);
  ~HookRunner();  // finish()
  HookRunner(const HookRunner&) = delete;
  HookRunner& operator=(const HookRunner&) = delete;

  // A reload: the hooks for the group from now on; a hook kept as it was keeps its counters.
  void set_hooks(const std::vector<HookConfig>& hooks);
  // The group went from `old_state` to `new_state` at `at`. Never waits for a run.
  void changed(std::string_view old_state, std::string_view new_state, std::chrono::system_clock::time_point at);
  // Before the daemon stops or execs a successor: the run under way and the changes waiting are
  // run out, each within its timeout, then the thread ends. Later changes are counted, not run.
  void finish();

  // Nothing running and nothing waiting: a group that is done with its hooks too can go
  // without its destructor waiting for a run (which would hold up the daemon's loop).
  bool idle() const;

  GroupHooksStatus status() const;

 private:
  void loop();
  std::vector<std::string> environment(const HookChange& change) const;

  const std::string group_;
  const int wake_fd_;
  std::vector<std::string> base_env_;  // the daemon's environment at start, ANYCASTD_* left out
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<HookStatus> hooks_;
  std::deque<HookChange> queue_;
  std::uint64_t coalesced_ = 0, dropped_ = 0;
  bool quit_ = false;
  bool busy_ = false;  // the runs for a change taken off the queue are under way
  std::thread thread_;  // started at the first change with a hook to run
};

}  // namespace anycastd
