// SPDX-License-Identifier: Apache-2.0
#pragma once

// chronyd's tracking report over its command socket: the request `chronyc tracking` sends
// (protocol version 6, REQ_TRACKING), one datagram each way on a unix socket. chronyd answers a
// unix-socket client at the address it sends from, so each query binds a socket of its own next
// to chronyd's. The TAI offset still comes from the kernel.

#include "clock/clock_source.h"

namespace anycastd {

// The tracking report, as chronyd sends it.
struct ChronyTracking {
  std::uint32_t refid = 0;
  std::uint16_t stratum = 0;
  std::uint16_t leap_status = 3;  // 0 normal, 1 insert, 2 delete, 3 not synchronised
  std::uint64_t ref_time_ns = 0;  // Unix epoch, nanoseconds
  double root_delay = 0, root_dispersion = 0;
};

// One REQ_TRACKING exchange; throws std::runtime_error naming what went wrong.
ChronyTracking query_chrony_tracking(const std::string& socket_path, std::chrono::milliseconds timeout);

// chronyd's 32-bit float (7-bit exponent, 25-bit coefficient), as it goes on the wire.
double chrony_float(std::uint32_t network_order);

class ChronyClock final : public ClockSource {
 public:
  ChronyClock(std::string socket_path, std::chrono::milliseconds timeout)
      : socket_(std::move(socket_path)), timeout_(timeout) {}
  ClockReading read() override;
  std::string describe() const override { return "chronyd at " + socket_; }

 private:
  std::string socket_;
  std::chrono::milliseconds timeout_;
};

}  // namespace anycastd
