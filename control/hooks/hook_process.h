// SPDX-License-Identifier: Apache-2.0
#pragma once

// One run of one hook: a process of its own, in a session (and so a process group) of its own,
// stdin from /dev/null, stdout and stderr into one pipe of which the first `keep` bytes are
// kept and the rest counted, every descriptor of the daemon's closed (nothing leaks into it,
// nothing of it survives an exec of the daemon), signals at their defaults and unblocked (the
// daemon blocks the ones it takes through a signalfd).
//
// Bounded: past `timeout` the whole process group gets SIGTERM, then, kKillGrace later, SIGKILL.
// When the hook's own process exits, whatever it left in its process group is killed too, so
// that no process of a hook outlives the run (the group is signalled while the leader is still
// a zombie, so its id cannot have been reused).

#include <cstdint>
#include <string>
#include <vector>

#include "base/time.h"

namespace anycastd {

inline constexpr Millis kKillGrace{500};

struct HookOutcome {
  enum class End { exited, signalled, timed_out, not_started };
  End end = End::not_started;
  int code = 0;              // exited: the exit status; signalled: the signal
  std::string output;        // the first `keep` bytes of stdout and stderr together, as written
  std::uint64_t dropped = 0;  // output bytes past those, counted and thrown away
  std::string error;         // not_started: why
  bool ok() const { return end == End::exited && code == 0; }
  // "exit 0", "exit 3", "killed by signal 9", "timed out after 500 ms: process group killed",
  // "not started: Permission denied".
  std::string describe(Millis timeout) const;
};

// `argv[0]` is an absolute path; `env` is the whole environment ("NAME=value").
HookOutcome run_hook(const std::vector<std::string>& argv, const std::vector<std::string>& env, Millis timeout,
                     std::size_t keep);

}  // namespace anycastd
