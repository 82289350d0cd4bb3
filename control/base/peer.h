// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <string>

namespace anycastd {

// Who is on the other end of a connection, as the kernel tells it (SO_PEERCRED for unix sockets,
// the address for TCP). For the log and the permission check, never for the reply.
struct Peer {
  bool has_credentials = false;
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string address;  // TCP: "127.0.0.1:40112", "[::1]:40112"; unix: ""
  std::string describe() const;  // "pid 4242 uid 0", "127.0.0.1:40112"
};

}  // namespace anycastd
