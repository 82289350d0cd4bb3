// SPDX-License-Identifier: Apache-2.0
#include "nic/xdp_features.h"

#include <array>
#include <span>
#include <string_view>

namespace anycastd::nic {
namespace {

std::vector<std::string> names(std::uint64_t flags, std::span<const std::string_view> known) {
  std::vector<std::string> out;
  for (unsigned bit = 0; bit < 64; ++bit) {
    if (!(flags & (std::uint64_t{1} << bit))) continue;
    out.push_back(bit < known.size() ? std::string(known[bit]) : "bit " + std::to_string(bit));
  }
  return out;
}

// Bit N's name at index N.
constexpr std::array<std::string_view, 7> kXdpActNames = {"basic",      "redirect", "ndo-xmit",   "xsk-zerocopy",
                                                          "hw-offload", "rx-sg",    "ndo-xmit-sg"};
constexpr std::array<std::string_view, 3> kRxMetadataNames = {"timestamp", "hash", "vlan-tag"};

}  // namespace

std::vector<std::string> xdp_feature_names(std::uint64_t flags) { return names(flags, kXdpActNames); }
std::vector<std::string> rx_metadata_names(std::uint64_t flags) { return names(flags, kRxMetadataNames); }

}  // namespace anycastd::nic
