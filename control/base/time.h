// SPDX-License-Identifier: Apache-2.0
#pragma once

// The control plane's clock: steady (monotonic), so that a step of the wall clock never moves a
// check, a drain or a deadline; durations in milliseconds as the configuration gives them.

#include <chrono>

namespace anycastd {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

}  // namespace anycastd
