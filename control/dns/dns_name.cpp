// SPDX-License-Identifier: Apache-2.0
#include "dns/dns_name.h"

#include <cstdio>

namespace anycastd::dns {

WireName lower_name(std::string_view wire)
{
  WireName out(wire);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c + ('a' - 'A'));
  }
  return out;
}

std::size_t name_length(std::string_view wire)
{
  std::size_t pos = 0;
  while (pos < wire.size()) {
    auto len = static_cast<unsigned char>(wire[pos]);
    if (len == 0)
      return pos + 1 <= 255 ? pos + 1 : 0;
    if (len > 63)
      return 0;
    pos += 1 + len;
  }
  return 0;
}

std::string_view parent_name(std::string_view wire)
{
  if (wire.size() <= 1)
    return wire;
  return wire.substr(1 + static_cast<unsigned char>(wire[0]));
}

bool is_at_or_below(std::string_view name, std::string_view ancestor)
{
  // A suffix match must also start on a label boundary of `name`.
  for (std::string_view n = name;; n = parent_name(n)) {
    if (n.size() < ancestor.size())
      return false;
    if (n.size() == ancestor.size())
      return n == ancestor;
  }
}

std::size_t label_count(std::string_view wire)
{
  std::size_t n = 0;
  for (; wire.size() > 1; wire = parent_name(wire))
    n++;
  return n;
}

std::string name_to_text(std::string_view wire)
{
  if (wire.size() <= 1)
    return ".";
  std::string out;
  for (; wire.size() > 1; wire = parent_name(wire)) {
    auto len = static_cast<unsigned char>(wire[0]);
    for (std::size_t i = 1; i <= len && i < wire.size(); i++) {
      auto c = static_cast<unsigned char>(wire[i]);
      if (c == '.' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c <= 0x20 || c >= 0x7f) {
        char buf[5];
        std::snprintf(buf, sizeof buf, "\\%03u", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '.';
  }
  return out;
}

}  // namespace anycastd::dns
