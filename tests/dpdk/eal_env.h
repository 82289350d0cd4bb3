// SPDX-License-Identifier: Apache-2.0
#pragma once

// EAL once per test process, as the datapath runs it here: no hugepages, no PCI, a file prefix
// of its own (so parallel runs and a running datapath never meet), one lcore. A failure to come
// up fails every test that needs it; nothing is skipped.

#include <string>

namespace anycastd::test {

// Initialises EAL on first use; "" when it is up, else why not.
const std::string& eal_error();
// The file prefix in use (telemetry lives under /var/run/dpdk/<prefix>/).
const std::string& eal_file_prefix();

#define AC_REQUIRE_EAL() ASSERT_EQ(::anycastd::test::eal_error(), "") << "EAL did not come up (run as root)"

}  // namespace anycastd::test
