// SPDX-License-Identifier: Apache-2.0
#pragma once

// The DPDK datapath's exception interface (a TAP or virtio-user device the datapath creates
// with the port's MAC) is the server's own interface towards the network: it gets the server's
// addresses, and the kernel answers ARP and ND on it. It lives and dies with the datapath
// process, so its addresses are set again each time the datapath starts.

#include <cstdint>
#include <string>
#include <vector>

#include "netlink/netlink_socket.h"
#include "base/prefix.h"

namespace anycastd {

// Gives the interface the port's MAC (the TAP PMD sets it from its devargs; virtio-user's vhost
// backend may not), brings it up and adds the addresses (interface addresses, host bits kept;
// present ones are replaced). Throws std::runtime_error naming the interface and address.
void configure_exception_interface(NetlinkSocket& netlink, const std::string& name, const std::uint8_t (&mac)[6],
                                   const std::vector<Prefix>& addresses);

}  // namespace anycastd
