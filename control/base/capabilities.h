// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

namespace anycastd {

// The effective capabilities anycastd lacks to load and attach XDP and to change addresses and
// routes: "CAP_BPF" (CAP_SYS_ADMIN does as well) and "CAP_NET_ADMIN". Empty when all is there.
std::vector<std::string> missing_capabilities();

// "anycastd needs CAP_BPF and CAP_NET_ADMIN (run as root or grant them): missing CAP_NET_ADMIN",
// or an empty string.
std::string capability_problem();

}  // namespace anycastd
