// SPDX-License-Identifier: Apache-2.0
#pragma once

// DaemonStatus as JSON: the body of the control socket's `status` reply ({"ok":true,"status":
// <this>}) and what `anycastctl status --json` prints. docs/anycastctl.md lists the fields.
//
// Times are objects {"utc":"2025-11-25T22:10:03.120Z","unix":1764108603.12,"age_s":12.5} (age at
// the moment the snapshot was taken), or null for "never". Counters are keyed by abi.h's names.
// Readers should ignore fields they do not know: fields get added.

#include <string>

#include <nlohmann/json.hpp>

#include "status/status.h"

namespace anycastd::ctl {

nlohmann::json status_to_json(const DaemonStatus& status);

// "2025-11-25T22:10:03.120Z": UTC, milliseconds.
std::string iso8601_utc(WallClock::time_point t);

}  // namespace anycastd::ctl
