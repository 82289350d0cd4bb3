// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace anycastd {

struct DaemonOptions {
  std::string config_path;
  // Taking over from a running instance (anycastctl restart execs anycastd with --adopt): the
  // attached program is replaced atomically and groups whose routes are out stay up untouched.
  bool adopt = false;
  // --log-level: overrides [log] level, at start and on every reload.
  std::optional<spdlog::level::level_enum> log_level;
  std::vector<std::string> argv;  // to exec the same command line again on restart
};

// Starts the fast path and the groups from `config`, serves until SIGTERM or SIGINT (SIGHUP
// reloads), then takes everything down in the order that keeps the route honest. Returns the
// process's exit status; every failure is logged with its reason.
int run_daemon(const Config& config, const DaemonOptions& options);

}  // namespace anycastd
