// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace anycastd {

// An IPv4 or IPv6 address with a prefix length; a plain address is a /32 or /128.
struct Prefix {
  int family = 0;  // 4 or 6
  std::array<std::uint8_t, 16> addr{};  // network byte order; IPv4 uses the first 4 bytes
  std::uint8_t len = 0;

  std::size_t addr_bytes() const { return family == 4 ? 4 : 16; }
  std::uint8_t max_len() const { return family == 4 ? 32 : 128; }
  bool is_host() const { return len == max_len(); }
  bool contains(const std::uint8_t* address) const;  // address has addr_bytes() bytes
  std::string address() const;  // without the length
  std::string str() const;      // with it: "192.0.2.0/24"

  bool operator==(const Prefix&) const = default;
  auto operator<=>(const Prefix&) const = default;
};

// "192.0.2.10", "203.0.113.0/24", "2001:db8::/48". Throws std::invalid_argument with a message
// that quotes the text and says what is wrong (host bits set, length out of range, not an address).
Prefix parse_prefix(std::string_view text);

// An interface's own address with its subnet's length, host bits kept: "192.0.2.1/24". The
// length is required: it decides the connected route the kernel adds.
Prefix parse_interface_address(std::string_view text);

}  // namespace anycastd
