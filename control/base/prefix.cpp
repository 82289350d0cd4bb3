// SPDX-License-Identifier: Apache-2.0
#include "base/prefix.h"

#include <arpa/inet.h>

#include <charconv>
#include <stdexcept>

namespace anycastd {

bool Prefix::contains(const std::uint8_t* address) const {
  unsigned full = len / 8, rest = len % 8;
  for (unsigned i = 0; i < full; ++i)
    if (address[i] != addr[i]) return false;
  if (rest == 0) return true;
  std::uint8_t mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (address[full] & mask) == addr[full];
}

std::string Prefix::address() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family == 4 ? AF_INET : AF_INET6, addr.data(), buf, sizeof buf);
  return buf;
}

std::string Prefix::str() const { return address() + "/" + std::to_string(len); }

namespace {

Prefix parse_with_length(std::string_view text) {
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument("\"" + std::string(text) + "\": " + why);
  };
  auto slash = text.find('/');
  std::string address(text.substr(0, slash));
  Prefix p;
  if (inet_pton(AF_INET, address.c_str(), p.addr.data()) == 1)
    p.family = 4;
  else if (inet_pton(AF_INET6, address.c_str(), p.addr.data()) == 1)
    p.family = 6;
  else
    fail("not an IPv4 or IPv6 address or prefix");

  p.len = p.max_len();
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    unsigned len = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || len > p.max_len())
      fail("prefix length must be a number from 0 to " + std::to_string(p.max_len()));
    p.len = static_cast<std::uint8_t>(len);
  }
  return p;
}

}  // namespace

Prefix parse_prefix(std::string_view text) {
  Prefix p = parse_with_length(text);
  Prefix network = p;
  for (unsigned bit = p.len; bit < p.max_len(); ++bit)
    network.addr[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  if (network != p)
    throw std::invalid_argument("\"" + std::string(text) + "\": host bits are set; the prefix is " + network.str());
  return p;
}

Prefix parse_interface_address(std::string_view text) {
  if (text.find('/') == std::string_view::npos)
    throw std::invalid_argument("\"" + std::string(text) + "\": give the subnet's length too, as in 192.0.2.1/24");
  return parse_with_length(text);
}

}  // namespace anycastd
