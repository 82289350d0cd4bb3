// SPDX-License-Identifier: Apache-2.0
#pragma once

// The kernel's view of its clock through adjtimex with modes = 0: a read that changes nothing
// (anycastd never steers the clock; chronyd or ntpd does).

#include "clock/clock_source.h"

namespace anycastd {

struct KernelTime {
  bool synchronised = false;  // not TIME_ERROR and STA_UNSYNC clear
  int leap = 0;               // 1: STA_INS pending, 2: STA_DEL pending
  double max_error = 16;      // seconds (the kernel's maxerror)
  std::int8_t precision = -20;
  std::int32_t tai_offset = 0;
  std::string error;          // adjtimex failed
};

KernelTime read_kernel_time();

class KernelClock final : public ClockSource {
 public:
  ClockReading read() override;
  std::string describe() const override { return "kernel clock (adjtimex)"; }
};

}  // namespace anycastd
