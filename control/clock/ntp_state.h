// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the packet path answers with, from a clock reading: stratum one more than the source's,
// the source's leap, root delay, dispersion and reference, and the TAI offset with the switch
// point of a pending leap second, so the packet path steps its UTC at the leap itself.

#include <cstdint>

#include "abi.h"
#include "clock/clock_source.h"

namespace anycastd {

// `now_unix_s`: the current UTC time (seconds since 1970), to find the end of the UTC day at
// which a pending leap second happens. An unsynchronised or unreachable source answers
// stratum 16 with leap 3 (clients ignore such a server).
ac_ntp_state ntp_state_from(const ClockReading& reading, std::int64_t now_unix_s);

// Seconds (double) to NTP short format (16.16), saturating.
std::uint32_t ntp_short(double seconds);

}  // namespace anycastd
