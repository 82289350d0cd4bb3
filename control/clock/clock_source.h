// SPDX-License-Identifier: Apache-2.0
#pragma once

// Where the NTP server's time comes from, as control sees it: the sync state of the host clock,
// read from chronyd (its command socket) or from the kernel (adjtimex, read only). The packet
// path reads the clock itself; control only tells it how good that clock is and the TAI offset.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "config/settings.h"

namespace anycastd {



struct ClockReading {
  bool reachable = false;     // the source answered
  bool synchronised = false;  // and says its clock is synchronised
  std::string error;          // why not reachable, or what the source said
  std::uint8_t leap = 3;      // 0 none, 1 insert at the end of the UTC day, 2 delete, 3 unsynchronised
  std::uint8_t stratum = 16;  // the source's own stratum (we answer one more)
  std::uint32_t refid = 0;    // the source's reference ID, first byte high
  std::uint64_t reference_time = 0;  // NTP timestamp of the source's last update
  double root_delay = 0;       // seconds
  double root_dispersion = 0;  // seconds
  double error_bound = 16;     // seconds: root dispersion + root delay / 2, or the kernel's max error
  std::int8_t precision = -20;  // log2 seconds
  std::int32_t tai_offset = 0;  // TAI - UTC from the kernel, seconds

  std::string describe() const;
};

class ClockSource {
 public:
  virtual ~ClockSource() = default;
  // Never throws: an unreachable source is a reading with reachable = false.
  virtual ClockReading read() = 0;
  virtual std::string describe() const = 0;
};

std::unique_ptr<ClockSource> make_clock_source(const NtpServiceClock& config);

}  // namespace anycastd
