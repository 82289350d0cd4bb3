// SPDX-License-Identifier: Apache-2.0
#include "base/request_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

namespace anycastd {

namespace {

// Ids 0 and 1 mark the listener and the timer in the epoll set; connections count up from 2.
// Ids rather than descriptors, because a descriptor closed early in a batch of events can be
// reused by an accept later in the same batch.
constexpr std::uint64_t kListenerId = 0;
constexpr std::uint64_t kTimerId = 1;

// After the reply, how long a client may go on sending (or take to close) before we close.
constexpr std::chrono::milliseconds kLinger{250};
// ... and how much of it we read and throw away.
constexpr std::size_t kLingerBytes = 256 * 1024;
// At most this many accepts per call, so that a flood of connections cannot keep one call busy.
constexpr int kAcceptBatch = 32;
constexpr std::chrono::milliseconds kAcceptPause{100};

std::system_error sys_error(const std::string& what) { return {errno, std::generic_category(), what}; }

Peer describe_peer(int fd, const sockaddr_storage& addr) {
  Peer peer;
  if (addr.ss_family == AF_UNIX) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
      peer.has_credentials = true;
      peer.pid = cred.pid;
      peer.uid = cred.uid;
      peer.gid = cred.gid;
    }
  } else if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    peer.address = std::string(text) + ":" + std::to_string(ntohs(in.sin_port));
  } else if (addr.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    peer.address = "[" + std::string(text) + "]:" + std::to_string(ntohs(in6.sin6_port));
  }
  return peer;
}

}  // namespace

std::string_view to_string(RequestFailure f) {
  switch (f) {
    case RequestFailure::too_large: return "request too large";
    case RequestFailure::timed_out: return "timed out";
    case RequestFailure::incomplete: return "incomplete request";
    case RequestFailure::busy: return "too many connections";
  }
  return "?";
}

struct RequestServer::Connection {
  enum class Phase { reading, writing, lingering };

  posix_io::UniqueFd fd;
  Peer peer;
  Phase phase = Phase::reading;
  Clock::time_point deadline;
  std::string in;
  std::string out;
  std::size_t sent = 0;
  std::size_t discarded = 0;
  std::uint64_t id = 0;
  std::function<void(posix_io::UniqueFd)> handoff;
};

RequestServer::RequestServer(posix_io::UniqueFd listener, RequestProtocol protocol, ServerLimits limits,
                             std::string name)
    : listener_(std::move(listener)),
      protocol_(std::move(protocol)),
      limits_(limits),
      name_(std::move(name)),
      next_id_(kTimerId + 1) {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) throw sys_error(name_ + ": epoll_create1");
  timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_) throw sys_error(name_ + ": timerfd_create");
  if (!watch(kListenerId, listener_.get(), EPOLLIN, true) || !watch(kTimerId, timer_.get(), EPOLLIN, true))
    throw sys_error(name_ + ": epoll_ctl");
}

RequestServer::~RequestServer() = default;

bool RequestServer::watch(std::uint64_t id, int fd, std::uint32_t events, bool add) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = id;
  if (::epoll_ctl(epoll_.get(), add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) == 0) return true;
  spdlog::warn("{}: epoll_ctl: {}", name_, std::strerror(errno));
  return false;
}

void RequestServer::set_listener_watched(bool watched) {
  if (watched) {
    // Failing here leaves the listener out for good; the warning says so, and a restart mends it.
    watch(kListenerId, listener_.get(), EPOLLIN, true);
  } else {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listener_.get(), nullptr);
  }
}

void RequestServer::on_readable() { process(0); }

void RequestServer::finish(Clock::time_point until) {
  set_listener_watched(false);
  listener_paused_until_.reset();
  for (auto now = Clock::now(); !connections_.empty() && now < until; now = Clock::now())
    process(static_cast<int>(std::min<long long>(
        50, std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() + 1)));
}

void RequestServer::process(int wait_ms) {
  epoll_event events[32];
  int n = ::epoll_wait(epoll_.get(), events, 32, wait_ms);
  if (n < 0 && errno != EINTR) spdlog::warn("{}: epoll_wait: {}", name_, std::strerror(errno));
  auto now = Clock::now();
  for (int i = 0; i < n; ++i) {
    std::uint64_t id = events[i].data.u64;
    if (id == kListenerId) {
      accept_some(now);
    } else if (id == kTimerId) {
      std::uint64_t expirations;
      while (::read(timer_.get(), &expirations, sizeof expirations) < 0 && errno == EINTR) {
      }
    } else {
      serve(id, events[i].events, now);
    }
  }
  // Deadlines are checked on every call, not only when the timer fires: cheap, and it keeps
  // them honest even if the timer's event falls outside this batch.
  expire(Clock::now());
  for (auto id : closing_) connections_.erase(id);
  closing_.clear();
  rearm_timer();
}

void RequestServer::accept_some(Clock::time_point now) {
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    posix_io::UniqueFd fd(::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len,
                                    SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;
      spdlog::warn("{}: accept: {}; not accepting for {} ms", name_, std::strerror(err), kAcceptPause.count());
      set_listener_watched(false);
      listener_paused_until_ = now + kAcceptPause;
      return;
    }
    Peer peer = describe_peer(fd.get(), addr);
    if (connections_.size() - closing_.size() >= limits_.max_connections) {
      // Best effort, no waiting: the reply is short and the socket buffer empty.
      std::string reply = protocol_.fail(RequestFailure::busy, peer);
      [[maybe_unused]] auto ignored = ::send(fd.get(), reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      spdlog::warn("{}: {} already open, turned away {}", name_, limits_.max_connections, peer.describe());
      continue;
    }
    auto c = std::make_unique<Connection>();
    c->id = next_id_++;
    c->fd = std::move(fd);
    c->peer = std::move(peer);
    c->deadline = now + limits_.deadline;
    if (!watch(c->id, c->fd.get(), EPOLLIN | EPOLLRDHUP, true)) continue;
    Connection& added = *c;
    connections_.emplace(added.id, std::move(c));
    // anycastctl sends as soon as it is connected: the request is often there already, and
    // answering it now saves the daemon's loop a round.
    read_request(added, now);
  }
}

void RequestServer::serve(std::uint64_t id, std::uint32_t events, Clock::time_point now) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  if (std::find(closing_.begin(), closing_.end(), id) != closing_.end()) return;
  switch (c.phase) {
    case Connection::Phase::reading:
      if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) read_request(c, now);
      break;
    case Connection::Phase::writing:
      if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) write_reply(c, now);
      break;
    case Connection::Phase::lingering:
      linger(c);
      break;
  }
}

void RequestServer::read_request(Connection& c, Clock::time_point now) {
  char buf[16384];
  for (;;) {
    // One byte past the limit is enough to know it was passed.
    std::size_t room = limits_.max_request + 1 - std::min(c.in.size(), limits_.max_request);
    ssize_t n = ::recv(c.fd.get(), buf, std::min(sizeof buf, room), MSG_DONTWAIT);
    if (n > 0) {
      c.in.append(buf, static_cast<std::size_t>(n));
      if (auto end = protocol_.find_end(c.in); end && *end <= limits_.max_request) {
        std::optional<Response> reply;
        try {
          reply.emplace(protocol_.respond(std::string_view(c.in).substr(0, *end), c.peer));
        } catch (const std::exception& e) {
          spdlog::error("{}: request from {}: {}", name_, c.peer.describe(), e.what());
          close(c.id);
          return;
        }
        start_reply(c, std::move(*reply), Clock::now());
        return;
      }
      if (c.in.size() > limits_.max_request) {
        spdlog::warn("{}: {} sent more than {} bytes without ending its request", name_, c.peer.describe(),
                     limits_.max_request);
        start_reply(c, protocol_.fail(RequestFailure::too_large, c.peer), now);
        return;
      }
      continue;
    }
    if (n == 0) {
      if (c.in.empty()) {
        close(c.id);  // connected and went away: nothing to answer
      } else if (protocol_.eof_ends_request) {
        std::optional<Response> reply;
        try {
          reply.emplace(protocol_.respond(c.in, c.peer));
        } catch (const std::exception& e) {
          spdlog::error("{}: request from {}: {}", name_, c.peer.describe(), e.what());
          close(c.id);
          return;
        }
        start_reply(c, std::move(*reply), Clock::now());
      } else {
        start_reply(c, protocol_.fail(RequestFailure::incomplete, c.peer), now);
      }
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) close(c.id);
    return;
  }
}

void RequestServer::start_reply(Connection& c, Response reply, Clock::time_point now) {
  c.phase = Connection::Phase::writing;
  c.out = std::move(reply.text);
  c.handoff = std::move(reply.handoff);
  c.sent = 0;
  c.in.clear();
  c.in.shrink_to_fit();
  c.deadline = now + limits_.deadline;
  if (!watch(c.id, c.fd.get(), EPOLLOUT, false)) {
    close(c.id);
    return;
  }
  write_reply(c, now);
}

void RequestServer::write_reply(Connection& c, Clock::time_point now) {
  while (c.sent < c.out.size()) {
    ssize_t n = ::send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // EPOLLOUT brings us back
    close(c.id);  // EPIPE, ECONNRESET: the client is gone
    return;
  }
  if (c.handoff) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
    auto handoff = std::move(c.handoff);
    c.handoff = nullptr;
    handoff(std::move(c.fd));
    closing_.push_back(c.id);
    return;
  }
  // Everything is in the kernel's hands. Tell the client there is no more, and read what it may
  // still send until it closes, so that our close does not reset the connection under the reply.
  ::shutdown(c.fd.get(), SHUT_WR);
  c.phase = Connection::Phase::lingering;
  c.out.clear();
  c.out.shrink_to_fit();
  c.deadline = now + std::min<std::chrono::milliseconds>(kLinger, limits_.deadline);
  if (!watch(c.id, c.fd.get(), EPOLLIN | EPOLLRDHUP, false)) {
    close(c.id);
    return;
  }
  linger(c);
}

void RequestServer::linger(Connection& c) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      c.discarded += static_cast<std::size_t>(n);
      if (c.discarded > kLingerBytes) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    break;  // EOF or error: done
  }
  close(c.id);
}

void RequestServer::expire(Clock::time_point now) {
  if (listener_paused_until_ && *listener_paused_until_ <= now) {
    listener_paused_until_.reset();
    set_listener_watched(true);
  }
  for (auto& [id, c] : connections_) {
    if (c->deadline > now) continue;
    if (std::find(closing_.begin(), closing_.end(), id) != closing_.end()) continue;
    if (c->phase == Connection::Phase::reading) {
      spdlog::debug("{}: no whole request from {} within {} ms", name_, c->peer.describe(), limits_.deadline.count());
      start_reply(*c, protocol_.fail(RequestFailure::timed_out, c->peer), now);
    } else {
      if (c->phase == Connection::Phase::writing)
        spdlog::debug("{}: {} did not take its reply within {} ms", name_, c->peer.describe(), limits_.deadline.count());
      close(id);
    }
  }
}

void RequestServer::close(std::uint64_t id) {
  // Taken out of the epoll set now (so that it reports nothing more), destroyed after the batch
  // (so that references into it stay valid until then).
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  if (std::find(closing_.begin(), closing_.end(), id) != closing_.end()) return;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second->fd.get(), nullptr);
  closing_.push_back(id);
  if (auto handoff = std::move(it->second->handoff)) {
    it->second->handoff = nullptr;
    handoff(posix_io::UniqueFd{});  // the client went before its reply was written
  }
}

void RequestServer::rearm_timer() {
  std::optional<Clock::time_point> next = listener_paused_until_;
  for (const auto& [id, c] : connections_)
    if (!next || c->deadline < *next) next = c->deadline;

  if (Refusal error = posix_io::arm_timer(timer_.get(), next)) spdlog::warn("{}: {}", name_, error.why());
}

}  // namespace anycastd
