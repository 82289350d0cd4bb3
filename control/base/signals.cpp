// SPDX-License-Identifier: Apache-2.0
#include "base/signals.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace anycastd {

SignalFd::SignalFd(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  if (int err = pthread_sigmask(SIG_BLOCK, &set, &previous_); err != 0)
    throw std::runtime_error(std::string("blocking signals: ") + std::strerror(err));
  fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd_ < 0) {
    int err = errno;
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    throw std::runtime_error(std::string("signalfd: ") + std::strerror(err));
  }
}

SignalFd::~SignalFd() {
  close(fd_);
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

int SignalFd::take() {
  for (;;) {
    signalfd_siginfo info{};
    ssize_t got = read(fd_, &info, sizeof info);
    if (got == static_cast<ssize_t>(sizeof info)) return static_cast<int>(info.ssi_signo);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) return 0;
    throw std::runtime_error(std::string("reading signalfd: ") + std::strerror(errno));
  }
}

}  // namespace anycastd
