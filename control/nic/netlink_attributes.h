// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading generic netlink answers from bytes: the message and genl headers, then the attributes
// (struct nlattr, 4-byte aligned). Every length is checked against the bytes there are, so a
// short or hostile message is an error naming what is wrong, never a read past the end.

#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

namespace anycastd::nic {

class NetlinkFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Attribute {
  std::uint16_t type = 0;  // without the nested and byte-order flags
  std::span<const std::uint8_t> payload;

  std::uint16_t u16() const;  // throw NetlinkFormatError when the payload has another size
  std::uint32_t u32() const;
  std::uint64_t u64() const;
};

// The attributes after the netlink and genl headers of `message` (one whole message, nlmsghdr
// first), whose genl command must be `command`. Throws NetlinkFormatError.
std::vector<Attribute> genl_attributes(std::span<const std::uint8_t> message, std::uint8_t command);

// Attributes laid back to back in `bytes`. Throws NetlinkFormatError.
std::vector<Attribute> parse_attributes(std::span<const std::uint8_t> bytes);

}  // namespace anycastd::nic
