// SPDX-License-Identifier: Apache-2.0
#pragma once

// Restart in place (`anycastctl restart`): what one image of anycastd hands the next across
// execve, in the environment, as systemd's socket activation hands listeners over. The fast
// path, the aliases and the routes need nothing: they outlive the exec (the DPDK datapath has its
// own handover, datapath/dpdk). What does cross:
//   ANYCASTD_DRAINED      the groups drained by anycastctl (names, or "all", comma-separated):
//                         an operator's drain lasts until undrain, not until a restart
//   ANYCASTD_DAMPENING    the groups' dampening penalties ("NAME=PENALTY:SUPPRESSED,...", the
//                         penalty as it was at the exec): a flapping group stays damped
//   ANYCASTD_CONTROL_FD   the control socket's listening descriptor, and
//   ANYCASTD_METRICS_FD   the metrics listener's: clients connecting during the exec wait in
//                         their backlogs, none is refused
//   ANYCASTD_PREVIOUS_VERSION the version of the image that execs, for the next one to log
//                         "from A to B" (a restart after a package upgrade changes it)
// The next image is the binary at the path this one was started from (base/own_binary.h), so
// that after an upgrade the restart runs the new version.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/posix_io.h"

namespace anycastd {

// One group's dampening state across the exec.
struct HandedPenalty {
  double penalty = 0;
  bool suppressed = false;
};

struct Handover {
  std::set<std::string> drained;
  std::map<std::string, HandedPenalty> penalties;  // groups with a penalty above 0
  std::string previous_version;  // empty: not a restart in place
  posix_io::UniqueFd control, metrics;
};

// Takes what the previous image left (with `adopt`; else nothing) and clears the variables
// either way: they are for this image alone, not for exec checks or anycastd-dpdk. The
// descriptors are made close-on-exec at once; one that is not open is dropped with a warning
// (the server then listens anew).
Handover take_handover(bool adopt);

// Execs the binary anycastd was started from (own_binary()) with --adopt, handing `drained` and the two listeners (-1: none) to
// it. Returns only if the exec failed, with why. The environment is built here, not with
// setenv: exec checks may be starting on other threads at this very moment.
std::string exec_in_place(const std::vector<std::string>& argv, const std::set<std::string>& drained,
                          const std::map<std::string, HandedPenalty>& penalties, int control_listener,
                          int metrics_listener);

// The ANYCASTD_DAMPENING text and back (exposed for tests). A malformed entry is skipped with
// a warning: it costs that group its penalty, never the restart.
std::string penalties_text(const std::map<std::string, HandedPenalty>& penalties);
std::map<std::string, HandedPenalty> parse_penalties(std::string_view text);

}  // namespace anycastd
