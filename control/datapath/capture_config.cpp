// SPDX-License-Identifier: Apache-2.0
#include "datapath/capture_config.h"

#include <cstring>

namespace anycastd {
namespace {

ac_capture_prefix prefix_words(const Prefix& p) {
  ac_capture_prefix out{};
  out.is_ip6 = p.family == 6;
  std::uint8_t mask[16]{};
  for (unsigned bit = 0; bit < p.len; ++bit) mask[bit / 8] |= static_cast<std::uint8_t>(0x80u >> (bit % 8));
  for (unsigned w = 0; w < (out.is_ip6 ? 4u : 1u); ++w) {
    std::uint8_t net[4];
    for (unsigned i = 0; i < 4; ++i) net[i] = p.addr[4 * w + i] & mask[4 * w + i];
    std::memcpy(&out.net[w], net, 4);  // as the frame's bytes read as a word
    std::memcpy(&out.mask[w], mask + 4 * w, 4);
  }
  return out;
}

}  // namespace

ac_capture_config capture_config(const CaptureFilter& filter) {
  ac_capture_config c{};
  c.flags = AC_CAPTURE_F_ON;
  if (filter.vip) {
    c.flags |= AC_CAPTURE_F_VIP;
    c.vip = prefix_words(*filter.vip);
  }
  if (filter.src) {
    c.flags |= AC_CAPTURE_F_SRC;
    c.src = prefix_words(*filter.src);
  }
  if (filter.port) {
    c.flags |= AC_CAPTURE_F_PORT;
    const std::uint8_t be[2] = {static_cast<std::uint8_t>(*filter.port >> 8), static_cast<std::uint8_t>(*filter.port)};
    std::memcpy(&c.port, be, 2);
  }
  return c;
}

}  // namespace anycastd
