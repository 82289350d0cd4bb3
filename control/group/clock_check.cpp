// SPDX-License-Identifier: Apache-2.0
#include "group/clock_check.h"

#include <cstdio>

namespace anycastd {

CheckResult ClockCheck::run() {
  auto start = std::chrono::steady_clock::now();
  ClockReading r = source_->read();
  CheckResult result;
  result.latency = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  result.detail = r.describe();
  if (!r.reachable || !r.synchronised) return result;
  double max = static_cast<double>(max_error_.count()) / 1e3;
  if (r.error_bound > max) {
    char text[96];
    std::snprintf(text, sizeof text, "; over max_error_ms %lld", static_cast<long long>(max_error_.count()));
    result.detail += text;
    return result;
  }
  result.ok = true;
  return result;
}

std::string ClockCheck::describe() const {
  return "clock " + source_->describe() + " max error " + std::to_string(max_error_.count()) + " ms";
}

}  // namespace anycastd
