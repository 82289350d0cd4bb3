// SPDX-License-Identifier: Apache-2.0
#include "netlink/link_events.h"

#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace anycastd {

LinkEvents::LinkEvents() {
  socket_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (!socket_) throw std::runtime_error(std::string("opening a netlink socket for link events: ") + std::strerror(errno));
  if (mnl_socket_bind(socket_, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
    int err = errno;
    mnl_socket_close(socket_);
    throw std::runtime_error(std::string("subscribing to link events: ") + std::strerror(err));
  }
}

LinkEvents::~LinkEvents() { mnl_socket_close(socket_); }

int LinkEvents::fd() const { return mnl_socket_get_fd(socket_); }

bool LinkEvents::drain() {
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  bool any = false;
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
    if (n > 0) {
      any = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOBUFS) {  // notifications lost: the caller looks at everything anyway
      any = true;
      continue;
    }
    return any;  // EAGAIN: nothing more now
  }
}

}  // namespace anycastd
