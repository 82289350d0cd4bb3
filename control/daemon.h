// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "config.h"

namespace anycastd {

// Starts the fast path and the VIPs from `config`, serves until SIGTERM or SIGINT, then takes
// everything down in the order that keeps the route honest. Returns the process's exit status;
// every failure is logged with its reason.
int run_daemon(const Config& config);

}  // namespace anycastd
