// SPDX-License-Identifier: Apache-2.0
#include "ctl/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace anycastd::ctl {

namespace {

using SteadyClock = std::chrono::steady_clock;

// A status of thousands of groups is a few MiB; past this the other end is not anycastd.
constexpr std::size_t kMaxReplyBytes = 64 * 1024 * 1024;

// The daemon's posix_io::UniqueFd lives in the daemon library, which anycastctl does not link
// (libbpf, libmnl, toml++); this is the same idea in the few lines the client needs.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int get() const { return fd_; }
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string errno_text(int err) { return std::strerror(err); }

// Waits for `events` until the deadline; false when it passed.
bool wait_for(int fd, short events, SteadyClock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 60'000)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let the following call report the error
  }
}

}  // namespace

Stream::~Stream() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

// Connects, sends the request and reads up to the reply's newline; `after` gets what came after.
std::string exchange_on(Socket& sock, const std::string& socket_path, std::string_view request,
                        std::chrono::milliseconds timeout, std::string* after);

}  // namespace

std::string exchange(const std::string& socket_path, std::string_view request, std::chrono::milliseconds timeout) {
  Socket sock(-1);
  return exchange_on(sock, socket_path, request, timeout, nullptr);
}

std::unique_ptr<Stream> open_stream(const std::string& socket_path, std::string_view request,
                                    std::chrono::milliseconds timeout) {
  Socket sock(-1);
  std::string rest;
  std::string reply = exchange_on(sock, socket_path, request, timeout, &rest);
  return std::make_unique<Stream>(sock.release(), std::move(reply), std::move(rest));
}

namespace {

std::string exchange_on(Socket& owner, const std::string& socket_path, std::string_view request,
                        std::chrono::milliseconds timeout, std::string* after) {
  const auto deadline = SteadyClock::now() + timeout;
  const std::string where = "anycastd on " + socket_path;

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path)
    throw ConnectError("cannot connect to " + where + ": the path must be 1 to " +
                           std::to_string(sizeof addr.sun_path - 1) + " bytes long",
                       ENAMETOOLONG);
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());

  owner.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  Socket& sock = owner;
  if (sock.get() < 0) throw ConnectError("cannot create a socket: " + errno_text(errno), errno);
  // A unix stream connect either completes or fails at once (a full backlog is EAGAIN only for
  // non-blocking sockets), so it can stay blocking; the reads below are bounded by poll.
  if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
    int err = errno;
    std::string hint;
    if (err == ENOENT || err == ECONNREFUSED) hint = " (is anycastd running?)";
    if (err == EACCES || err == EPERM) hint = " (the control socket is for root only)";
    throw ConnectError("cannot connect to " + where + ": " + errno_text(err) + hint, err);
  }

  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_for(sock.get(), POLLOUT, deadline))
      throw ConnectError("timed out sending the request to " + where, ETIMEDOUT);
    ssize_t n = ::send(sock.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      // The daemon may have answered (an error) and closed before reading everything; its reply
      // is still worth reading.
      if (errno == EPIPE || errno == ECONNRESET) break;
      throw ConnectError("cannot send the request to " + where + ": " + errno_text(errno), errno);
    }
    sent += static_cast<std::size_t>(n);
  }

  std::string reply;
  char buf[16384];
  for (;;) {
    if (auto nl = reply.find('\n'); nl != std::string::npos) {
      if (after) *after = reply.substr(nl + 1);
      reply.resize(nl);
      return reply;
    }
    if (!wait_for(sock.get(), POLLIN, deadline))
      throw ConnectError("no reply from " + where + " within " + std::to_string(timeout.count()) + " ms", ETIMEDOUT);
    ssize_t n = ::recv(sock.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ECONNRESET && !reply.empty()) break;
      throw ConnectError("cannot read the reply from " + where + ": " + errno_text(errno), errno);
    }
    if (n == 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
    if (reply.size() > kMaxReplyBytes)
      throw ConnectError(where + " sent more than " + std::to_string(kMaxReplyBytes) + " bytes without ending its reply", 0);
  }
  // The daemon closed without a newline: a complete JSON value is still a reply.
  if (reply.empty()) throw ConnectError(where + " closed the connection without a reply", 0);
  return reply;
}

}  // namespace

}  // namespace anycastd::ctl
