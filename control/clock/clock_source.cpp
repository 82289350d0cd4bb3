// SPDX-License-Identifier: Apache-2.0
#include "clock/clock_source.h"

#include <cstdio>

#include "clock/chrony_clock.h"
#include "clock/kernel_clock.h"

namespace anycastd {

std::string ClockReading::describe() const {
  if (!reachable) return "unreachable: " + error;
  if (!synchronised) return error.empty() ? "not synchronised" : error;
  char text[160];
  std::snprintf(text, sizeof text, "synchronised, stratum %u, leap %u, error bound %.3f ms (root delay %.3f ms, dispersion %.3f ms)",
                stratum, leap, error_bound * 1e3, root_delay * 1e3, root_dispersion * 1e3);
  return text;
}

std::unique_ptr<ClockSource> make_clock_source(const NtpServiceClock& config) {
  if (config.kind == ClockKind::kernel) return std::make_unique<KernelClock>();
  return std::make_unique<ChronyClock>(config.chrony_socket, config.timeout);
}

}  // namespace anycastd
