// SPDX-License-Identifier: Apache-2.0
#pragma once

// Which answered requests a capture copies out (docs/capture.md): a VIP, a client prefix and a
// port, each optional, all of them required to match. Parsed by anycastctl (to refuse a bad
// filter before anything starts) and again by the daemon (the socket is the boundary).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/prefix.h"

namespace anycastd {

struct CaptureFilter {
  std::optional<Prefix> vip;          // the request's destination
  std::optional<Prefix> src;          // the request's source: the client
  std::optional<std::uint16_t> port;  // the request's source or destination port

  // The filter as the grammar writes it ("vip 192.0.2.1/32 and port 7"); "all" when empty.
  std::string str() const;
  bool operator==(const CaptureFilter&) const = default;
};

// "vip PREFIX", "src PREFIX" (or "client PREFIX"), "port N", joined by "and" or plain spaces; an
// empty text captures every answer. Throws std::invalid_argument naming the problem: an unknown
// word, a term without its value, a bad prefix or port, a term given twice, a VIP and a client of
// different families (nothing could match).
CaptureFilter parse_capture_filter(std::string_view text);

}  // namespace anycastd
