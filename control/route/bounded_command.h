// SPDX-License-Identifier: Apache-2.0
#pragma once

// Running a routing daemon's CLI (FRR's vtysh, GoBGP's gobgp) as a child, bounded: the route
// signals that talk through a CLI must never hang the group's driver on a wedged daemon. The
// child runs in a process group of its own; past the deadline the whole group is killed
// (SIGKILL), and so is whatever it left behind after it exited. Its stdout and stderr are kept
// apart, each up to a limit (the rest is read and dropped, so a chatty child never blocks on a
// full pipe). No shell: the argv is executed as given.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace anycastd {

struct CommandOutcome {
  enum class End { exited, signalled, timed_out, not_started };
  End end = End::not_started;
  int exit_code = -1;   // End::exited
  int signal = 0;       // End::signalled
  std::string out;      // stdout, at most the limit
  std::string err;      // stderr, at most the limit; for not_started: why
  bool truncated = false;

  bool ok() const { return end == End::exited && exit_code == 0; }
  // "exit 1", "killed by signal 9", "timed out after 2000 ms, process group killed",
  // "cannot run /usr/bin/vtysh: No such file or directory"
  std::string describe(std::chrono::milliseconds timeout) const;
};

// argv[0] must be an absolute path. stdin is /dev/null.
CommandOutcome run_bounded(const std::vector<std::string>& argv, std::chrono::steady_clock::time_point deadline,
                           std::size_t output_limit = 1 << 20);

// A command's output without its trailing newlines and spaces, to quote it in an error.
std::string trimmed(std::string text);

}  // namespace anycastd
