// SPDX-License-Identifier: Apache-2.0
#pragma once

// The XDP features the kernel reports for a device (NETDEV_A_DEV_XDP_FEATURES of the netdev
// generic netlink family, Linux 6.3 and later), by the names the kernel's own tools print
// (Documentation/netlink/specs/netdev.yaml, `ynl --spec netdev.yaml --do dev-get`).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace anycastd::nic {

// Bit flags of include/uapi/linux/netdev.h (enum netdev_xdp_act, enum netdev_xdp_rx_metadata).
// Debian 12's linux-libc-dev (6.1) predates that header, so the values are written here.
inline constexpr std::uint64_t kXdpBasic = 1U << 0;
inline constexpr std::uint64_t kXdpRedirect = 1U << 1;
inline constexpr std::uint64_t kXdpNdoXmit = 1U << 2;
inline constexpr std::uint64_t kXdpXskZerocopy = 1U << 3;
inline constexpr std::uint64_t kXdpHwOffload = 1U << 4;
inline constexpr std::uint64_t kXdpRxSg = 1U << 5;
inline constexpr std::uint64_t kXdpNdoXmitSg = 1U << 6;

struct XdpFeatures {
  std::uint64_t flags = 0;                       // kXdp* bits
  std::optional<std::uint32_t> zc_max_segs;      // NETDEV_A_DEV_XDP_ZC_MAX_SEGS (6.6+)
  std::optional<std::uint64_t> rx_metadata;      // NETDEV_A_DEV_XDP_RX_METADATA_FEATURES (6.8+)
};

// "basic", "redirect", "ndo-xmit", "xsk-zerocopy", "hw-offload", "rx-sg", "ndo-xmit-sg"; a bit
// this list does not know (a newer kernel's) as "bit N".
std::vector<std::string> xdp_feature_names(std::uint64_t flags);
// "timestamp", "hash", "vlan-tag"; unknown bits as "bit N".
std::vector<std::string> rx_metadata_names(std::uint64_t flags);

}  // namespace anycastd::nic
