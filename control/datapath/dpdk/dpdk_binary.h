// SPDX-License-Identifier: Apache-2.0
#pragma once

// Which anycastd-dpdk the DPDK datapath runs, and whether it can: `anycastd --check` and the
// start ask before anything is attached, so that an edge with only the anycastd package
// installed is told which package is missing instead of seeing a failed exec.

#include <string>

#include "config/config.h"

namespace anycastd {

// datapath.dpdk.binary, or anycastd-dpdk beside this anycastd (the packages install both in
// /usr/sbin, the build puts both in one folder).
std::string dpdk_binary(const DpdkConfig& config);

// Why dpdk_binary(config) cannot be run (naming the anycastd-dpdk package when it is the default
// one that is absent), or "" when it can.
std::string dpdk_binary_problem(const DpdkConfig& config);

}  // namespace anycastd
