// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <signal.h>

#include <initializer_list>

namespace anycastd {

// Blocks the given signals and receives them through a signalfd, so a signal is an ordinary
// event in the main loop and never interrupts a half-done kernel update. The previous mask is
// restored on destruction.
class SignalFd {
 public:
  explicit SignalFd(std::initializer_list<int> signals);  // throws std::runtime_error
  ~SignalFd();
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;

  // For the daemon's poll loop; take() then reads what arrived.
  int fd() const { return fd_; }
  // A pending signal's number, or 0 when none is pending (never blocks).
  int take();

 private:
  sigset_t previous_;
  int fd_ = -1;
};

}  // namespace anycastd
