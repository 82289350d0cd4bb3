// SPDX-License-Identifier: Apache-2.0
#pragma once

// The version every binary reports (--version, anycastctl status). It is kept as data in an ELF
// section of its own, .anycastd_version, a fixed-size NUL-padded field, rather than folded into
// the code as a literal: the package upgrade test (tests/dist/test_upgrade.sh) makes a second
// build of the package from the same build by rewriting that section with objcopy
// --update-section, so that "the new version runs after the upgrade" can be told apart without
// compiling the project twice.

#include <cstddef>
#include <string_view>

namespace anycastd {

inline constexpr std::size_t kVersionField = 32;  // the section's size, NUL padding included

std::string_view version();

}  // namespace anycastd
