// SPDX-License-Identifier: Apache-2.0
#include "clock/ntp_state.h"

#include <cmath>

namespace anycastd {

std::uint32_t ntp_short(double seconds) {
  if (!(seconds > 0)) return 0;
  double units = std::ceil(seconds * 65536.0);  // rounded up: an error bound must not shrink
  return units >= 4294967295.0 ? 0xFFFFFFFFu : static_cast<std::uint32_t>(units);
}

ac_ntp_state ntp_state_from(const ClockReading& r, std::int64_t now_unix_s) {
  ac_ntp_state s{};
  s.flags = AC_NTP_F_VALID;
  s.precision = r.precision;
  s.tai_offset = r.tai_offset;
  s.next_tai_offset = r.tai_offset;
  s.switch_tai_ns = ~0ull;
  if (!r.reachable || !r.synchronised) {
    s.leap = 3;
    s.stratum = 16;
    s.root_dispersion = ntp_short(r.error_bound);
    return s;
  }
  s.leap = r.leap;
  s.stratum = static_cast<std::uint8_t>(r.stratum >= 15 ? 16 : r.stratum + 1);
  s.root_delay = ntp_short(r.root_delay);
  s.root_dispersion = ntp_short(r.root_dispersion);
  s.refid = r.refid;
  s.reference_time = r.reference_time;
  if (r.leap == 1 || r.leap == 2) {
    // The leap happens at the end of this UTC day. Inserted: 23:59:60 begins at TAI
    // midnight + offset, from where UTC repeats 23:59:59 (as the kernel steps it). Deleted:
    // 23:59:59 is skipped, from TAI (midnight - 1) + offset on.
    std::int64_t midnight = (now_unix_s / 86400 + 1) * 86400;
    std::int64_t at = r.leap == 1 ? midnight + r.tai_offset : midnight - 1 + r.tai_offset;
    s.switch_tai_ns = static_cast<std::uint64_t>(at) * 1000000000ull;
    s.next_tai_offset = r.leap == 1 ? r.tai_offset + 1 : r.tai_offset - 1;
  }
  return s;
}

}  // namespace anycastd
