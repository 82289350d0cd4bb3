// SPDX-License-Identifier: Apache-2.0
#pragma once

// A capture filter as both fast paths read it (abi.h struct ac_capture_config; the match is
// dataplane/core/capture_match.h): the XDP program from its map, anycastd-dpdk from capture_start.

#include "abi.h"
#include "base/capture_filter.h"

namespace anycastd {

// The filter as the fast path reads it, with the switch on.
ac_capture_config capture_config(const CaptureFilter& filter);

}  // namespace anycastd
