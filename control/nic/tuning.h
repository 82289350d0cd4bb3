// SPDX-License-Identifier: Apache-2.0
#pragma once

// What to tune on an interface, from a per-driver table (kDrivers in tuning.cpp, the one place
// that knows drivers) and the interface's own figures: queues (`ethtool -L`), ring sizes
// (`ethtool -G`), IRQ affinity, the XDP mode, and the driver's own caveats. docs/tuning.md is
// the long form, with the upstream documents each entry comes from.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nic/ethtool.h"
#include "nic/irqs.h"
#include "nic/reported.h"

namespace anycastd::nic {

struct DriverTuning {
  std::string_view driver;       // as ethtool -i names it; "" for the default entry
  bool native_xdp = false;       // the driver has native (driver-mode) XDP
  std::uint32_t ring_target = 0;  // the ring size to grow to (capped at the driver's max); 0: leave
  // The share of the maximum channels left for receive queues while XDP runs (ena gives the
  // other half to XDP_TX queues): 1 all, 2 half.
  std::uint32_t xdp_channel_divisor = 1;
  std::vector<std::string_view> notes;
  std::string_view doc;  // the upstream documentation
};

// The entry for `driver`, or the default one.
const DriverTuning& driver_tuning(std::string_view driver);

struct TuningInput {
  std::string interface;
  std::string driver;    // "" when not reported
  std::string xdp_mode;  // "native" | "generic" | "" (not attached)
  Reported<Channels> channels;
  Reported<Rings> rings;
  Reported<std::vector<Irq>> irqs;
  unsigned cpus = 1;  // online CPUs
};

// One line per matter, each a finding and, where one helps, the command: "combined queues 1 of
// max 8 (4 CPUs): `ethtool -L eth0 combined 4`".
std::vector<std::string> tuning_advice(const TuningInput& in);

}  // namespace anycastd::nic
