// SPDX-License-Identifier: Apache-2.0
#pragma once

// A device's interrupts and the CPUs each may run on: the MSI/MSI-X vectors sysfs lists for the
// device behind the interface (/sys/class/net/IF/device/msi_irqs) and each one's
// /proc/irq/N/smp_affinity_list. A virtual device (veth, bridge) has no device behind it.

#include <filesystem>
#include <string>
#include <vector>

#include "nic/reported.h"

namespace anycastd::nic {

struct Irq {
  unsigned number = 0;
  std::string cpus;  // smp_affinity_list as the kernel writes it: "0-3", "2", "" when unreadable
};

// In irq number order. Missing, with why: "none: a virtual device (no device behind it)", or
// "not reported: no MSI interrupts listed" (legacy INTx). `sys` and `proc` are the mount points.
Reported<std::vector<Irq>> device_irqs(const std::string& interface, const std::filesystem::path& sys = "/sys",
                                       const std::filesystem::path& proc = "/proc");

}  // namespace anycastd::nic
