// SPDX-License-Identifier: Apache-2.0
#pragma once

// A TCP listening address as the configuration spells it ([metrics] listen): checked by the
// parser, bound by the metrics server.

#include <cstdint>
#include <string>
#include <string_view>

namespace anycastd {

struct ListenAddress {
  int family = 0;  // AF_INET or AF_INET6
  std::string host;  // "127.0.0.1", "::1"
  std::uint16_t port = 0;

  std::string str() const;  // "127.0.0.1:9187", "[::1]:9187"
};

// "127.0.0.1:9187", "[::1]:9187", "0.0.0.0:9187", "[::]:9187". Numeric addresses only, so that
// starting never waits on a resolver. Port 0 asks for an ephemeral port (tests). Throws
// std::invalid_argument quoting the text and saying what is wrong; config validation can call it.
ListenAddress parse_listen_address(std::string_view text);

}  // namespace anycastd
