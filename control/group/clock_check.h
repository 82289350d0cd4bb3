// SPDX-License-Identifier: Apache-2.0
#pragma once

// The host clock is good enough to serve time: the NTP service's clock source is reachable,
// synchronised, and its error bound (chrony: root dispersion + root delay / 2; kernel: max
// error) is within max_error. A group serving NTP from a bad clock withdraws its route.

#include <chrono>
#include <memory>

#include "clock/clock_source.h"
#include "health/checks.h"

namespace anycastd {

class ClockCheck final : public Check {
 public:
  ClockCheck(std::unique_ptr<ClockSource> source, std::chrono::milliseconds max_error)
      : source_(std::move(source)), max_error_(max_error) {}
  CheckResult run() override;
  std::string describe() const override;

 private:
  std::unique_ptr<ClockSource> source_;
  std::chrono::milliseconds max_error_;
};

}  // namespace anycastd
