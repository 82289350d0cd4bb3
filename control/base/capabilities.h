// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "base/refusal.h"

namespace anycastd {

// The effective capabilities anycastd lacks to load and attach XDP and to change addresses and
// routes: "CAP_BPF" (CAP_SYS_ADMIN does as well) and "CAP_NET_ADMIN". Empty when all is there.
std::vector<std::string> missing_capabilities();

// Refused with "anycastd needs CAP_BPF and CAP_NET_ADMIN (run as root or grant them): missing
// CAP_NET_ADMIN" when one is missing.
Refusal capability_problem();

}  // namespace anycastd
