// SPDX-License-Identifier: Apache-2.0
#include "exception.h"

#include <unistd.h>

#include "port.h"

namespace anycastd::dpdk {

bool vhost_net_exists() { return access("/dev/vhost-net", R_OK | W_OK) == 0; }

ExceptionDevice exception_device(ExceptionKind requested, bool vhost_net, const std::string& interface,
                                 const std::uint8_t (&mac)[6], std::uint16_t queues, std::uint16_t queue_size,
                                 unsigned index) {
  ExceptionKind kind = requested;
  if (kind == ExceptionKind::automatic) kind = vhost_net ? ExceptionKind::virtio_user : ExceptionKind::tap;
  const std::string mac_arg = "mac=" + mac_text(mac);
  if (kind == ExceptionKind::virtio_user) {
    // Devargs as in DPDK 22.11's "Virtio_user as Exception Path" and the virtio guide's
    // virtio-user devargs: path (vhost-kernel backend), queues, queue_size, iface (the tap the
    // backend creates), mac. Untested here: this machine has no /dev/vhost-net.
    return {kind, "virtio_user" + std::to_string(index),
            "path=/dev/vhost-net,queues=" + std::to_string(queues) + ",queue_size=" + std::to_string(queue_size) +
                ",iface=" + interface + "," + mac_arg};
  }
  // TAP: one kernel queue per ethdev queue pair, created as the device is configured.
  return {kind, "net_tap" + std::to_string(index), "iface=" + interface + "," + mac_arg};
}

}  // namespace anycastd::dpdk
