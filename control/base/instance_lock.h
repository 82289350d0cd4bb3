// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace anycastd {

// One anycastd per fast-path interface and per loopback in a network namespace. The locks are
// what make it safe to treat an attached anycast_xdp program, or marked VIPs on the loopback, as
// leftovers of a dead instance: while a live one holds them, no second one gets that far.
class InstanceLock {
 public:
  // Locks <directory>/net<netns inode>-<role>-<interface>.lock (the directory is created).
  // `role` is "xdp" or "loopback". Throws std::runtime_error naming the holder's pid when another
  // instance has it.
  InstanceLock(const std::string& role, const std::string& interface,
               const std::string& directory = "/run/anycastd");
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace anycastd
