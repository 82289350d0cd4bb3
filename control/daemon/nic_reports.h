// SPDX-License-Identifier: Apache-2.0
#pragma once

// The NIC report of the running datapath (anycastctl nic, and the status JSON's "nic"): XDP,
// every configured interface with the mode the program runs in there; DPDK, every port as DPDK
// sees it and the exception interfaces as the kernel does.

#include <vector>

#include "nic/nic_report.h"
#include "status/status.h"

namespace anycastd {

std::vector<nic::NicReport> nic_reports(const DaemonStatus& status);

}  // namespace anycastd
