// SPDX-License-Identifier: Apache-2.0
#include "base/listen_address.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <stdexcept>

namespace anycastd {

std::string ListenAddress::str() const {
  return family == AF_INET6 ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

ListenAddress parse_listen_address(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return std::invalid_argument(fmt::format("metrics listen address \"{}\": {}", text, why));
  };
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) throw bad("no ']' after the IPv6 address");
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') throw bad("expected \"[ADDRESS]:PORT\"");
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) throw bad("expected \"ADDRESS:PORT\" (e.g. 127.0.0.1:9187)");
    host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos) throw bad("an IPv6 address needs brackets: \"[::1]:9187\"");
    port = text.substr(colon + 1);
  }

  ListenAddress out;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535)
    throw bad("the port must be a number from 0 to 65535");
  out.port = static_cast<std::uint16_t>(value);

  // Brackets for IPv6 and only for IPv6, as in URLs.
  out.host = std::string(host);
  out.family = text.front() == '[' ? AF_INET6 : AF_INET;
  unsigned char buf[sizeof(in6_addr)];
  if (::inet_pton(out.family, out.host.c_str(), buf) != 1) throw bad("not a numeric IPv4 or IPv6 address");
  return out;
}

}  // namespace anycastd
