// SPDX-License-Identifier: Apache-2.0
#pragma once

// The path this process's binary was started from, as /proc/self/exe named it at the first call
// (anycastd makes that call first thing in main). Read later, /proc/self/exe may no longer lead
// to a file on disk: a package upgrade renames the new binary over the old one, and the link
// then reads "/usr/sbin/anycastd (deleted)" and still opens the old image. The path resolved at
// start names the new binary instead, which is what a restart in place must exec (and where
// anycastd-dpdk is looked for). Empty if /proc is not mounted.

#include <string>

namespace anycastd {

const std::string& own_binary();

}  // namespace anycastd
