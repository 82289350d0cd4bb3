// SPDX-License-Identifier: Apache-2.0
#pragma once

// The settings a running daemon uses, as JSON: each group's "config" and the daemon's "running"
// object in `anycastctl status --json` (docs/anycastctl.md). Durations are in milliseconds and
// named as the configuration file names them, so that a value read here compares with the file.

#include <nlohmann/json.hpp>

#include "status/status.h"

namespace anycastd::ctl {

nlohmann::json group_config_json(const GroupConfig& config);
nlohmann::json running_json(const RunningSettings& running);

}  // namespace anycastd::ctl
