// SPDX-License-Identifier: Apache-2.0
#pragma once

// The anycastctl commands as the control socket hands them to the daemon: status, drain,
// undrain, check, reload, restart and capture. What each means and says back lives here; what it acts on
// is the daemon's, reached through CommandTarget. The reply texts are the protocol's
// (docs/anycastctl.md); anycastctl and the labs read them.

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/refusal.h"
#include "ctl/control_server.h"
#include "ctl/protocol.h"
#include "status/status.h"

namespace anycastd {

class CommandTarget {
 public:
  virtual ~CommandTarget() = default;

  virtual DaemonStatus snapshot() const = 0;
  // The groups running now, by name; retiring ones take no commands.
  virtual std::vector<std::string> group_names() const = 0;
  virtual void check_now(const std::string& group) = 0;
  // The operator's drains (group names, or "all"): the daemon holds those groups out, and
  // hands the set to its next image on a restart.
  virtual std::set<std::string>& drained() = 0;
  // SIGTERM came: reload and restart are refused from then on.
  virtual bool stopping() const = 0;
  virtual const std::string& config_path() const = 0;
  // Refused with why the reload was rejected.
  virtual Refusal reload() = 0;
  // Execs in place once the loop has sent the replies; the file was checked before.
  virtual void request_restart() = 0;
  // Starts the capture the request asks for (one at a time): its reply hands the connection to
  // the capture's stream. Throws ctl::RequestError (or std::runtime_error) with why it cannot.
  virtual ctl::Reply capture(const ctl::Request& request) = 0;
};

// The reply to `request`; throws ctl::RequestError with the operator's message when it is refused.
ctl::Reply handle_command(CommandTarget& daemon, const ctl::Request& request);

}  // namespace anycastd
