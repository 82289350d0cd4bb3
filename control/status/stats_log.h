// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "abi.h"

namespace anycastd {

// The nonzero counters, one line per kind, named as abi.h names them:
//   "actions: answer=12 pass=3"
//   "passed: not_udp=2 port_unknown=1"
//   "answered: echo=12 (560 bytes)"
// or the single line "no packets seen".
std::vector<std::string> describe_stats(const ac_stats& stats);

// Logs describe_stats at info level, each line prefixed by `heading`.
void log_stats(const ac_stats& stats, std::string_view heading);

}  // namespace anycastd
