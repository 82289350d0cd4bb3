// SPDX-License-Identifier: Apache-2.0
#pragma once

// `anycastctl status` for people: the status JSON (ctl/status_json.h) as tables. Works from the
// JSON alone, so that anycastctl needs none of the daemon's code, and tolerates missing or extra
// fields (a daemon older or newer than the client).

#include <string>

#include <nlohmann/json.hpp>

namespace anycastd::ctl {

// `status` is the "status" member of the daemon's reply.
std::string format_status(const nlohmann::json& status);

// "0.4s", "12s", "3m 4s", "2h 10m", "3d 4h"
std::string format_age(double seconds);

}  // namespace anycastd::ctl
