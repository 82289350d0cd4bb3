// SPDX-License-Identifier: Apache-2.0
#pragma once

// The exception path's device: a kernel interface carrying the port's MAC, so that the kernel
// answers ARP/ND and handles everything the fast path passes as if it owned the port.
//
// virtio-user over vhost-net is what DPDK recommends (doc.dpdk.org/guides-22.11/howto/
// virtio_user_as_exception_path.html: vhost-net kthreads do the copying, multi-queue, offloads);
// the TAP PMD works everywhere /dev/net/tun does. `auto` takes virtio-user when /dev/vhost-net
// exists.

#include <cstdint>
#include <string>

#include "options.h"

namespace anycastd::dpdk {

struct ExceptionDevice {
  ExceptionKind kind;  // tap or virtio_user, never automatic
  std::string name;    // the vdev name
  std::string devargs;
};

// queue_size: the virtio-user ring size (TAP sizes its rings at queue setup instead). index: the
// port's, so that each port's device has a vdev name of its own (net_tap0, net_tap1 ...).
ExceptionDevice exception_device(ExceptionKind requested, bool vhost_net_exists, const std::string& interface,
                                 const std::uint8_t (&mac)[6], std::uint16_t queues, std::uint16_t queue_size,
                                 unsigned index = 0);

bool vhost_net_exists();

}  // namespace anycastd::dpdk
