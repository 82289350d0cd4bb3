// SPDX-License-Identifier: Apache-2.0
#include "clock/kernel_clock.h"

#include <sys/timex.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>

namespace anycastd {

KernelTime read_kernel_time() {
  KernelTime k;
  timex tx{};
  tx.modes = 0;  // read only: nothing is set
  int state = adjtimex(&tx);
  if (state < 0) {
    k.error = std::string("adjtimex: ") + std::strerror(errno);
    return k;
  }
  k.synchronised = state != TIME_ERROR && !(tx.status & STA_UNSYNC);
  k.leap = tx.status & STA_INS ? 1 : tx.status & STA_DEL ? 2 : 0;
  k.max_error = static_cast<double>(tx.maxerror) / 1e6;  // microseconds
  // tx.precision is in microseconds (nanoseconds with STA_NANO); the log2 of it in seconds.
  double precision = static_cast<double>(tx.precision) / (tx.status & STA_NANO ? 1e9 : 1e6);
  k.precision = precision > 0 ? static_cast<std::int8_t>(std::floor(std::log2(precision))) : -20;
  k.tai_offset = tx.tai;
  return k;
}

ClockReading KernelClock::read() {
  KernelTime k = read_kernel_time();
  ClockReading r;
  r.tai_offset = k.tai_offset;
  if (!k.error.empty()) {
    r.error = k.error;
    return r;
  }
  r.reachable = true;
  r.synchronised = k.synchronised;
  r.precision = k.precision;
  r.error_bound = k.max_error;
  if (!k.synchronised) {
    r.error = "the kernel clock is not synchronised (STA_UNSYNC)";
    return r;
  }
  // The kernel knows how far off it may be, not whom it follows: answer as a stratum-2 server's
  // client (stratum 3) with the max error as the root dispersion; reference time = now.
  r.leap = static_cast<std::uint8_t>(k.leap);
  r.stratum = 2;
  r.refid = 0x4B45524Eu;  // "KERN": not an address, says where the numbers come from
  r.root_dispersion = k.max_error;
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  r.reference_time = (static_cast<std::uint64_t>(now.tv_sec) + 2208988800ull) << 32 |
                     (static_cast<std::uint64_t>(now.tv_nsec) << 32) / 1000000000ull;
  return r;
}

}  // namespace anycastd
