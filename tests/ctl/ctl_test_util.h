// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the ctl tests share: a temporary directory, a thread standing in for the daemon's poll
// loop, raw socket clients that can misbehave on purpose, and running anycastctl.

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "base/posix_io.h"

namespace anycastd::ctl_test {

using posix_io::UniqueFd;
using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "anycastd-ctl-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The daemon's loop, reduced to one server: polls `fd` and calls `on_readable` until destroyed.
// Declare it after the server it drives, so that it stops first.
class ServeThread {
 public:
  ServeThread(int fd, std::function<void()> on_readable) : stop_(::eventfd(0, EFD_CLOEXEC)) {
    thread_ = std::thread([this, fd, on_readable = std::move(on_readable)] {
      for (;;) {
        pollfd fds[2] = {{fd, POLLIN, 0}, {stop_.get(), POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) continue;
        if (fds[1].revents) return;
        if (fds[0].revents & POLLIN) {
          on_readable();
          ++rounds_;
        }
      }
    });
  }
  ~ServeThread() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stop_.get(), &one, sizeof one);
    thread_.join();
  }
  ServeThread(const ServeThread&) = delete;
  ServeThread& operator=(const ServeThread&) = delete;

  unsigned rounds() const { return rounds_; }

 private:
  UniqueFd stop_;
  std::atomic<unsigned> rounds_{0};
  std::thread thread_;
};

inline UniqueFd connect_unix(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    throw std::runtime_error("connect " + path + ": " + std::strerror(errno));
  return fd;
}

inline UniqueFd connect_tcp(int family, const std::string& host, std::uint16_t port) {
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_storage addr{};
  socklen_t len;
  if (family == AF_INET) {
    auto& in = reinterpret_cast<sockaddr_in&>(addr);
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    ::inet_pton(AF_INET, host.c_str(), &in.sin_addr);
    len = sizeof in;
  } else {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(addr);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    ::inet_pton(AF_INET6, host.c_str(), &in6.sin6_addr);
    len = sizeof in6;
  }
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) < 0)
    throw std::runtime_error("connect " + host + ": " + std::strerror(errno));
  return fd;
}

inline void send_text(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
}

// Everything until the server closes (or resets after its reply), bounded by `timeout`.
inline std::string read_all(int fd, std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = posix_io::deadline_in(timeout);
  std::string out;
  char buf[8192];
  for (;;) {
    if (!posix_io::wait_fd(fd, POLLIN, deadline)) throw std::runtime_error("read_all: timed out, got: " + out);
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EINTR && errno != EAGAIN)) return out;
  }
}

inline std::string exchange_raw(int fd, const std::string& request) {
  send_text(fd, request);
  return read_all(fd);
}

inline std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

struct RunResult {
  int status = -1;  // exit status, or -1 if it did not exit normally
  std::string out;
  std::string err;
};

// Runs a program with `args`, collecting stdout and stderr, bounded by 20 s. `uid` other than -1:
// the child drops to that uid (and gid) before exec, through a shell-free fork.
inline RunResult run_program(const std::string& program, const std::vector<std::string>& args, int uid = -1) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) < 0 || ::pipe2(err_pipe, O_CLOEXEC) < 0) throw std::runtime_error("pipe2");
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]), err_r(err_pipe[0]), err_w(err_pipe[1]);

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    ::dup2(out_w.get(), 1);
    ::dup2(err_w.get(), 2);
    if (uid != -1 && (::setgroups(0, nullptr) < 0 || ::setgid(uid) < 0 || ::setuid(uid) < 0)) ::_exit(126);
    ::execv(program.c_str(), argv.data());
    static const char kFailed[] = "exec failed\n";  // only async-signal-safe calls after fork
    [[maybe_unused]] auto n = ::write(2, kFailed, sizeof kFailed - 1);
    ::_exit(127);
  }
  out_w.reset();
  err_w.reset();

  RunResult r;
  auto deadline = posix_io::deadline_in(20000ms);
  bool out_open = true, err_open = true;
  char buf[4096];
  while (out_open || err_open) {
    pollfd fds[2] = {{out_open ? out_r.get() : -1, POLLIN, 0}, {err_open ? err_r.get() : -1, POLLIN, 0}};
    int left = static_cast<int>(posix_io::remaining_ms(deadline));
    if (left == 0 || ::poll(fds, 2, left) == 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (!fds[i].revents) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  int ws = 0;
  ::waitpid(pid, &ws, 0);
  r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
  return r;
}

}  // namespace anycastd::ctl_test
