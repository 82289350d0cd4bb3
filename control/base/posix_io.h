// SPDX-License-Identifier: Apache-2.0
#pragma once

// The few pieces of POSIX I/O control shares: an owned descriptor, waiting on one with
// a deadline, and writing to a pipe whose reader may vanish. Everything here works against a
// deadline rather than a per-call timeout, so that a whole exchange with a routing daemon
// (connect, greeting, several commands) is bounded by one figure.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/refusal.h"

namespace anycastd::posix_io {

using Deadline = std::chrono::steady_clock::time_point;

inline Deadline deadline_in(std::chrono::milliseconds timeout) {
  return std::chrono::steady_clock::now() + timeout;
}

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// poll() for `events` until the deadline, retrying on EINTR. Returns the revents (0: deadline
// passed). Throws std::system_error if poll itself fails.
short wait_fd(int fd, short events, Deadline deadline);

// Writes all of `data` to a non-blocking descriptor before the deadline, or refuses with what
// went wrong ("timed out after writing N of M bytes", strerror). SIGPIPE is held off for the
// duration, so a reader that disappears is an EPIPE here and not the death of the daemon.
// Sockets should still be written with MSG_NOSIGNAL where they can (send_all).
Refusal write_all(int fd, std::string_view data, Deadline deadline);
Refusal send_all(int fd, std::string_view data, Deadline deadline);

// Milliseconds left, at least 0, for messages and poll().
long long remaining_ms(Deadline deadline);

// strerror's text; libbpf's negative error numbers read the same.
std::string errno_text(int err);

// Arms a timerfd (CLOCK_MONOTONIC) to fire at `at`, or disarms it; refused with what failed.
Refusal arm_timer(int timerfd, std::optional<Deadline> at);

}  // namespace anycastd::posix_io
