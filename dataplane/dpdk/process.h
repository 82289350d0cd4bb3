// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "options.h"

namespace anycastd::dpdk {

// Sets up EAL, the port, the exception path and the workers, says hello on the channel and
// serves it until SIGTERM/SIGINT or until the peer closes it; then tears everything down.
// Returns the exit code: 0 after a clean stop, 1 when setup failed (the reason on stderr).
int run_datapath(const Options& options);

}  // namespace anycastd::dpdk
