// SPDX-License-Identifier: Apache-2.0
#pragma once

// The service manager's notify protocol (sd_notify(3)), spoken directly: one datagram per state
// change to the unix socket named by $NOTIFY_SOCKET. Written here rather than linking libsystemd
// because it is a dozen lines and works the same under any manager that implements it.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace anycastd {

class ServiceNotifier {
 public:
  // Reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID from the environment once.
  ServiceNotifier();

  bool enabled() const { return !socket_path_.empty(); }
  // How often to send WATCHDOG=1: half the manager's timeout, as sd_watchdog_enabled(3) advises.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

  // Sends "READY=1", "STOPPING=1", "WATCHDOG=1", "STATUS=...", "RELOADING=1" ... as given.
  // Returns false with errno set when the datagram could not be sent; never throws.
  bool send(std::string_view state) const;

 private:
  std::string socket_path_;  // '@' first for the abstract namespace
  std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace anycastd
