// SPDX-License-Identifier: Apache-2.0
#include "telemetry.h"

#include <rte_telemetry.h>

#include <cerrno>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "stats.h"

namespace anycastd::dpdk {
namespace {

// The telemetry thread calls in at any time; the source goes away under the same lock.
std::mutex source_mutex;
std::optional<std::vector<const Worker*>> source;
bool registered = false;

int stats_command(const char*, const char*, rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  std::lock_guard lock(source_mutex);
  if (!source) return 0;
  // A name telemetry refuses would vanish silently: fail the command instead.
  for (const auto& [name, value] : named_counters(sum_counters(*source)))
    if (rte_tel_data_add_dict_u64(d, name.c_str(), value) != 0) return -EINVAL;
  return 0;
}

}  // namespace

TelemetryStats::TelemetryStats(std::vector<const Worker*> workers) {
  std::lock_guard lock(source_mutex);
  if (!registered) {
    int rc = rte_telemetry_register_cmd("/anycastd/stats", stats_command,
                                        "anycastd datapath counters summed over the workers. Takes no parameters");
    if (rc != 0) throw std::runtime_error("registering /anycastd/stats with telemetry: error " + std::to_string(rc));
    registered = true;
  }
  source = std::move(workers);
}

TelemetryStats::~TelemetryStats() {
  std::lock_guard lock(source_mutex);
  source.reset();
}

}  // namespace anycastd::dpdk
