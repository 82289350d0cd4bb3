// SPDX-License-Identifier: Apache-2.0
#pragma once

// Counters summed over the workers, under the names every datapath uses: the packet core's
// (abi.h's name tables, as "action/answer", "pass/not_vip", "answered/echo",
// "answered_bytes/echo", "rate_limited/ntp") and the datapath's own ("datapath/rx_packets" ...), plus "loops".
// Telemetry takes only letters, digits, "_" and "/" in names, hence the slash.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "worker.h"

namespace anycastd::dpdk {

LcoreCounters sum_counters(const std::vector<const Worker*>& workers);
std::vector<std::pair<std::string, std::uint64_t>> named_counters(const LcoreCounters& c);

}  // namespace anycastd::dpdk
