// SPDX-License-Identifier: Apache-2.0
#include "base/posix_io.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace anycastd::posix_io {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

long long remaining_ms(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? left.count() : 0;
}

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

Refusal arm_timer(int timerfd, std::optional<Deadline> at) {
  itimerspec spec{};
  if (at) {
    // steady_clock is CLOCK_MONOTONIC on Linux: its time points are the timer's absolute times.
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(at->time_since_epoch()).count();
    if (ns <= 0) ns = 1;  // zero would disarm
    spec.it_value.tv_sec = ns / 1'000'000'000;
    spec.it_value.tv_nsec = ns % 1'000'000'000;
  }
  if (::timerfd_settime(timerfd, TFD_TIMER_ABSTIME, &spec, nullptr) < 0)
    return Refusal::because("timerfd_settime: " + errno_text(errno));
  return Refusal::none();
}

short wait_fd(int fd, short events, Deadline deadline) {
  for (;;) {
    // Rounded up so that a deadline a fraction of a millisecond away still gets one real wait
    // instead of a busy loop of zero-timeout polls.
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return 0;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    if (n > 0) return p.revents;
    if (n < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
  }
}

namespace {

// Blocks SIGPIPE in this thread while alive and swallows one raised meanwhile, so that writing
// to a pipe whose reader has gone reports EPIPE instead of killing the process. (The daemon may
// or may not ignore SIGPIPE globally; this does not depend on it.)
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    already_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_);
  }
  ~SigpipeGuard() {
    if (!already_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        timespec zero{0, 0};
        while (sigtimedwait(&pipe_set_, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_set_{};
  sigset_t old_{};
  bool already_pending_ = false;
};

template <typename Write>
Refusal write_loop(int fd, std::string_view data, Deadline deadline, Write write) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return Refusal::because(errno_text(errno));
    short ev = wait_fd(fd, POLLOUT, deadline);
    if (ev == 0) return Refusal::because(fmt::format("timed out after writing {} of {} bytes", done, data.size()));
    if (ev & (POLLERR | POLLNVAL)) return Refusal::because("the descriptor failed");
  }
  return Refusal::none();
}

}  // namespace

Refusal write_all(int fd, std::string_view data, Deadline deadline) {
  SigpipeGuard guard;
  return write_loop(fd, data, deadline, [](int f, const char* p, std::size_t n) { return ::write(f, p, n); });
}

Refusal send_all(int fd, std::string_view data, Deadline deadline) {
  return write_loop(fd, data, deadline,
                    [](int f, const char* p, std::size_t n) { return ::send(f, p, n, MSG_NOSIGNAL); });
}

}  // namespace anycastd::posix_io
