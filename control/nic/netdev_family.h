// SPDX-License-Identifier: Apache-2.0
#pragma once

// The kernel's netdev generic netlink family: resolving a family's id by name (the genl
// controller, CTRL_CMD_GETFAMILY) and asking it for a device's XDP features (NETDEV_CMD_DEV_GET).

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "netlink/netlink_socket.h"
#include "nic/reported.h"
#include "nic/xdp_features.h"

namespace anycastd::nic {

inline constexpr std::string_view kNetdevFamily = "netdev";

// The family id from a CTRL_CMD_GETFAMILY answer. Throws NetlinkFormatError.
std::uint16_t parse_family_reply(std::span<const std::uint8_t> message);
// The features from a NETDEV_CMD_DEV_GET answer about `ifindex`. Throws NetlinkFormatError (the
// answer is malformed, about another device, or has no features).
XdpFeatures parse_dev_get_reply(std::span<const std::uint8_t> message, int ifindex);

// `genl` is a NETLINK_GENERIC socket. Nullopt when the kernel has no such family; throws
// std::runtime_error on other failures.
std::optional<std::uint16_t> resolve_family(NetlinkSocket& genl, std::string_view name);

// What the kernel reports for `ifindex` (in the caller's network namespace); `family` is the
// netdev family's name, another only to test the path of a kernel without it. Never throws: a
// kernel before 6.3, a device gone or an answer that does not parse is a reason why not.
Reported<XdpFeatures> query_xdp_features(int ifindex, std::string_view family = kNetdevFamily);

}  // namespace anycastd::nic
