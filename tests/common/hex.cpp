// SPDX-License-Identifier: Apache-2.0
#include "hex.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace anycastd::test {

namespace {

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One dump line of `data` from `offset`; bytes that differ from `other` (or have no counterpart)
// are bracketed so the eye finds them without counting columns.
std::string dump_line(std::span<const std::uint8_t> data, std::span<const std::uint8_t> other,
                      std::size_t offset) {
  std::string line;
  char buf[8];
  for (std::size_t i = offset; i < std::min(offset + 16, data.size()); ++i) {
    bool differs = i >= other.size() || data[i] != other[i];
    std::snprintf(buf, sizeof buf, differs ? "[%02x]" : " %02x ", data[i]);
    line += buf;
  }
  return line;
}

}  // namespace

Bytes from_hex(std::string_view hex) {
  if (hex.size() % 2) throw std::invalid_argument("hex string of odd length " + std::to_string(hex.size()));
  Bytes out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      throw std::invalid_argument("not a hex digit at offset " + std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string hex_diff(std::span<const std::uint8_t> expected, std::span<const std::uint8_t> actual) {
  if (std::ranges::equal(expected, actual)) return {};
  std::string out;
  if (expected.size() != actual.size())
    out += "length: expected " + std::to_string(expected.size()) + ", actual " +
           std::to_string(actual.size()) + "\n";
  char label[32];
  for (std::size_t offset = 0; offset < std::max(expected.size(), actual.size()); offset += 16) {
    std::size_t line_end = std::min(offset + 16, std::max(expected.size(), actual.size()));
    bool same = line_end <= std::min(expected.size(), actual.size()) &&
                std::equal(expected.begin() + offset, expected.begin() + line_end, actual.begin() + offset);
    if (same) continue;  // only the lines with a difference, or the diff of a 1514-byte frame drowns
    std::snprintf(label, sizeof label, "%04zx expected:", offset);
    out += label + dump_line(expected, actual, offset) + "\n";
    std::snprintf(label, sizeof label, "%04zx actual:  ", offset);
    out += label + dump_line(actual, expected, offset) + "\n";
  }
  return out;
}

}  // namespace anycastd::test
