// SPDX-License-Identifier: Apache-2.0
#include "base/peer.h"

namespace anycastd {

std::string Peer::describe() const {
  if (!address.empty()) return address;
  if (has_credentials) return "pid " + std::to_string(pid) + " uid " + std::to_string(uid);
  return "unknown peer";
}

}  // namespace anycastd
