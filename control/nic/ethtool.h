// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the driver tells ethtool (the SIOCETHTOOL ioctl, as `ethtool -i`, `-l` and `-g` ask):
// driver and firmware, channels (queues), ring sizes; and the MTU. Each figure on its own: a
// driver without an operation (EOPNOTSUPP) leaves that figure "not reported", nothing else.

#include <cstdint>
#include <string>

#include "base/posix_io.h"
#include "nic/reported.h"

namespace anycastd::nic {

struct DriverInfo {
  std::string driver, version, firmware, bus;
};

// Current and maximum of each kind of channel; a driver uses rx/tx or combined, or both.
struct Channels {
  std::uint32_t rx = 0, tx = 0, other = 0, combined = 0;
  std::uint32_t max_rx = 0, max_tx = 0, max_other = 0, max_combined = 0;
};

struct Rings {
  std::uint32_t rx = 0, tx = 0, max_rx = 0, max_tx = 0;
};

// Queries about one interface in the caller's network namespace.
class Ethtool {
 public:
  explicit Ethtool(std::string interface);  // throws std::runtime_error when no socket opens

  Reported<DriverInfo> driver_info() const;
  Reported<Channels> channels() const;
  Reported<Rings> rings() const;
  Reported<std::uint32_t> mtu() const;

 private:
  // 0 or the errno of the SIOCETHTOOL request that fills `command` (an ethtool_* struct).
  int ask(void* command) const;

  std::string interface_;
  posix_io::UniqueFd socket_;
};

// "not reported by the driver" for EOPNOTSUPP, "the interface is gone" for ENODEV, else the
// errno's text.
std::string why_not_reported(int error);

}  // namespace anycastd::nic
