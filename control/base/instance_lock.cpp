// SPDX-License-Identifier: Apache-2.0
#include "base/instance_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace anycastd {

InstanceLock::InstanceLock(const std::string& role, const std::string& interface, const std::string& directory) {
  // /run is shared by every network namespace (ip netns exec does not remount it); the
  // namespace's inode tells apart eth0 here from eth0 there.
  struct stat netns {};
  if (stat("/proc/self/ns/net", &netns) != 0)
    throw std::runtime_error(std::string("reading /proc/self/ns/net: ") + std::strerror(errno));
  if (mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST)
    throw std::runtime_error("creating " + directory + ": " + std::strerror(errno));
  path_ = directory + "/net" + std::to_string(netns.st_ino) + "-" + role + "-" + interface + ".lock";

  // The holder unlinks the file when it stops; a lock won on a file that is no longer at `path_`
  // is worthless, so check and start over.
  for (;;) {
    fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("opening " + path_ + ": " + std::strerror(errno));
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      char pid[32] = {};
      ssize_t n = pread(fd_, pid, sizeof pid - 1, 0);
      close(fd_);
      if (err == EWOULDBLOCK) {
        std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "unknown";
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
        throw std::runtime_error("another anycastd (pid " + holder + ") already uses " + interface + " as its " +
                                 role + " interface in this network namespace (lock " + path_ + ")");
      }
      throw std::runtime_error("locking " + path_ + ": " + std::strerror(err));
    }
    struct stat held {}, named {};
    if (fstat(fd_, &held) == 0 && stat(path_.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
        held.st_dev == named.st_dev)
      break;
    close(fd_);
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The pid is only for the message above; the lock itself holds.
  }
}

InstanceLock::~InstanceLock() {
  // Unlinked while still locked: a newcomer that opened the old file notices and retries.
  unlink(path_.c_str());
  close(fd_);
}

}  // namespace anycastd
