// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace anycastd::test {

using Bytes = std::vector<std::uint8_t>;

// Even-length hex, either case, no separators. Throws std::invalid_argument otherwise.
Bytes from_hex(std::string_view hex);

// A readable comparison for a failed frame check: both frames dumped 16 bytes a line, offsets in
// hex, each differing byte marked, plus the lengths when they differ. Empty when equal.
std::string hex_diff(std::span<const std::uint8_t> expected, std::span<const std::uint8_t> actual);

}  // namespace anycastd::test
