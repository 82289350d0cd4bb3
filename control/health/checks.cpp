// SPDX-License-Identifier: Apache-2.0
#include "health/checks.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/posix_io.h"

namespace anycastd {
namespace {

using Micros = std::chrono::microseconds;
using SteadyClock = std::chrono::steady_clock;

Micros since(SteadyClock::time_point start) {
  return std::chrono::duration_cast<Micros>(SteadyClock::now() - start);
}

int remaining_ms(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

CheckResult TcpCheck::run() {
  auto start = SteadyClock::now();
  CheckResult r;
  sockaddr_storage ss{};
  socklen_t len;
  if (address_.family == 4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port_));
    std::memcpy(&sin->sin_addr, address_.addr.data(), 4);
    len = sizeof *sin;
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(port_));
    std::memcpy(&sin6->sin6_addr, address_.addr.data(), 16);
    len = sizeof *sin6;
  }
  posix_io::UniqueFd fd(socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    r.detail = std::string("socket: ") + std::strerror(errno);
    return r;
  }
  int rc = connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len);
  if (rc < 0 && errno == EINPROGRESS) {
    pollfd p{fd.get(), POLLOUT, 0};
    rc = poll(&p, 1, static_cast<int>(timeout_.count()));
    if (rc == 0) {
      r.detail = "connect timed out after " + std::to_string(timeout_.count()) + " ms";
      r.latency = since(start);
      return r;
    }
    int err = 0;
    socklen_t errlen = sizeof err;
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &errlen);
    rc = err ? -1 : 0;
    errno = err;
  }
  r.latency = since(start);
  if (rc < 0) {
    r.detail = std::string("connect: ") + std::strerror(errno);
    return r;
  }
  r.ok = true;
  r.detail = "connected";
  return r;
}

std::string TcpCheck::describe() const {
  std::string a = address_.address();
  return "tcp " + (address_.family == 6 ? "[" + a + "]" : a) + ":" + std::to_string(port_);
}

CheckResult ExecCheck::run() {
  auto start = SteadyClock::now();
  auto deadline = start + timeout_;
  CheckResult r;
  pid_t pid = fork();
  if (pid < 0) {
    r.detail = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  if (pid == 0) {
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, STDIN_FILENO);
      dup2(devnull, STDOUT_FILENO);
    }
    execl("/bin/sh", "sh", "-c", command_.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);  // also here: whichever of parent and child runs first sets it

  // A pidfd lets the wait honour the deadline without SIGCHLD plumbing.
  posix_io::UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  int status = 0;
  bool exited = false;
  if (pidfd.get() >= 0) {
    pollfd p{pidfd.get(), POLLIN, 0};
    exited = poll(&p, 1, remaining_ms(deadline)) > 0;
  }
  if (!exited) {
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
    r.latency = since(start);
    r.detail = "timed out after " + std::to_string(timeout_.count()) + " ms, killed";
    return r;
  }
  waitpid(pid, &status, 0);
  kill(-pid, SIGKILL);  // children the command left in the background
  r.latency = since(start);
  if (WIFEXITED(status)) {
    r.ok = WEXITSTATUS(status) == 0;
    r.detail = "exit " + std::to_string(WEXITSTATUS(status));
  } else {
    r.detail = "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return r;
}

std::string ExecCheck::describe() const { return "exec " + command_; }

}  // namespace anycastd
