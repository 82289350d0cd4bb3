// SPDX-License-Identifier: Apache-2.0
#pragma once

// "/anycastd/stats" on DPDK's telemetry socket (/var/run/dpdk/<file-prefix>/dpdk_telemetry.v2):
// the summed counters by name (stats.h). Port xstats are DPDK's own /ethdev/xstats.
// Telemetry cannot unregister a command, so the command stays and answers an empty dict once
// this object is gone.

#include <vector>

#include "worker.h"

namespace anycastd::dpdk {

class TelemetryStats {
 public:
  explicit TelemetryStats(std::vector<const Worker*> workers);  // throws if registration fails
  ~TelemetryStats();
  TelemetryStats(const TelemetryStats&) = delete;
  TelemetryStats& operator=(const TelemetryStats&) = delete;
};

}  // namespace anycastd::dpdk
