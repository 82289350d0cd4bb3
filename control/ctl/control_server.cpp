// SPDX-License-Identifier: Apache-2.0
#include "ctl/control_server.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "base/request_server.h"
#include "base/posix_io.h"

namespace anycastd::ctl {

namespace {

using posix_io::UniqueFd;

std::runtime_error failure(const std::string& path, const std::string& what, int err) {
  return std::runtime_error(fmt::format("control socket {}: {}: {}", path, what, std::strerror(err)));
}

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// mkdir -p with 0700 for what it creates; directories already there keep their mode (the
// operator's choice). The socket's own mode is what guards it.
void make_parents(const std::string& path, const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw std::runtime_error(fmt::format("control socket {}: {} is not a directory", path, dir));
    return;
  }
  if (errno != ENOENT) throw failure(path, "cannot look at " + dir, errno);
  if (auto up = parent_of(dir); up != dir) make_parents(path, up);
  if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) throw failure(path, "cannot create " + dir, errno);
}

sockaddr_un address_of(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    throw std::runtime_error(fmt::format("control socket {}: the path must be 1 to {} bytes long, not {}", path,
                                         sizeof addr.sun_path - 1, path.size()));
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// Serialises the check-remove-bind sequence between daemons starting at the same moment: without
// it, one could remove the socket the other has just bound, and run unreachable. Held only for
// that sequence; afterwards the listening socket itself tells later daemons it is taken.
class DirectoryLock {
 public:
  DirectoryLock(const std::string& path, const std::string& dir)
      : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (!fd_) throw failure(path, "cannot open " + dir, errno);
    // Another daemon holds it for a few system calls at most; waiting longer means something else
    // holds it, and going on unserialised is better than not starting.
    for (int i = 0; i < 200; ++i) {
      if (::flock(fd_.get(), LOCK_EX | LOCK_NB) == 0) return;
      if (errno != EWOULDBLOCK && errno != EINTR) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    spdlog::warn("control socket {}: {} stayed locked for 2 s; going on without the lock", path, dir);
  }

 private:
  UniqueFd fd_;  // closing it releases the lock
};

// A socket file at `path`: taken by a live listener (throws), or left by a dead one (removed).
void clear_stale_socket(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) < 0) {
    if (errno == ENOENT) return;
    throw failure(path, "cannot look at it", errno);
  }
  if (!S_ISSOCK(st.st_mode))
    throw std::runtime_error(fmt::format("control socket {}: the path exists and is not a socket; not touching it", path));

  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!probe) throw failure(path, "socket", errno);
  int rc = ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  // EAGAIN: a listener whose backlog is full, busy but alive.
  if (rc == 0 || errno == EAGAIN) throw std::runtime_error(fmt::format("another anycastd is listening on {}", path));
  if (errno != ECONNREFUSED) throw failure(path, "cannot tell whether another anycastd listens on it", errno);
  if (::unlink(path.c_str()) < 0 && errno != ENOENT) throw failure(path, "cannot remove the stale socket", errno);
  spdlog::info("control socket {}: removed a stale socket left by an earlier anycastd", path);
}

// The path a listening unix stream socket is bound to; "" for anything else.
std::string listening_path(int fd) {
  int listening = 0;
  socklen_t len = sizeof listening;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening) return "";
  sockaddr_un addr{};
  len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0 || addr.sun_family != AF_UNIX) return "";
  return std::string(addr.sun_path, strnlen(addr.sun_path, sizeof addr.sun_path));
}

bool permitted(const Peer& peer) { return peer.has_credentials && (peer.uid == 0 || peer.uid == ::geteuid()); }

}  // namespace

UniqueFd ControlServer::bind_listener() {
  const sockaddr_un addr = address_of(path_);
  const std::string dir = parent_of(path_);
  make_parents(path_, dir);
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listener) throw failure(path_, "socket", errno);
  // bind() creates the file with the socket inode's mode less the umask: set the mode first, so
  // that there is no moment in which the file exists with a looser one.
  if (::fchmod(listener.get(), 0600) < 0) throw failure(path_, "fchmod", errno);

  {
    DirectoryLock lock(path_, dir);
    clear_stale_socket(path_, addr);
    if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
      if (errno == EADDRINUSE) throw std::runtime_error(fmt::format("another anycastd is listening on {}", path_));
      throw failure(path_, "bind", errno);
    }
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0) {
      dev_ = st.st_dev;
      ino_ = st.st_ino;
    }
    // Only narrows: a umask cannot widen the mode set above, but one that took the owner's bits
    // away would leave root's own tool locked out.
    if (::chmod(path_.c_str(), 0600) < 0 || ::listen(listener.get(), 16) < 0) {
      int err = errno;
      ::unlink(path_.c_str());
      throw failure(path_, "chmod/listen", err);
    }
  }
  return listener;
}

ControlServer::ControlServer(std::string path, Handler handler, ControlServerOptions options, UniqueFd inherited)
    : path_(std::move(path)), handler_(std::move(handler)), options_(options) {
  address_of(path_);  // the path's length, checked whichever way the socket comes
  UniqueFd listener;
  const std::string was = inherited ? listening_path(inherited.get()) : "";
  const bool handed_over = inherited && was == path_;
  if (handed_over) {
    // Served by the previous image until its exec, queued in the backlog since: nobody refused.
    listener = std::move(inherited);
    if (::fcntl(listener.get(), F_SETFL, O_NONBLOCK) < 0) throw failure(path_, "fcntl", errno);
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0) {
      dev_ = st.st_dev;
      ino_ = st.st_ino;
    }
  } else {
    if (inherited) {
      spdlog::info("control socket: the restart handed over {}, the configuration says {}: binding that instead",
                   was.empty() ? "a descriptor that is no listening unix socket" : was, path_);
      inherited.reset();
      if (!was.empty()) {
        DirectoryLock lock(was, parent_of(was));
        clear_stale_socket(was, address_of(was));
      }
    }
    listener = bind_listener();
  }

  RequestProtocol protocol;
  protocol.find_end = [](std::string_view received) -> std::optional<std::size_t> {
    if (auto nl = received.find('\n'); nl != std::string_view::npos) return nl + 1;
    return std::nullopt;
  };
  protocol.eof_ends_request = true;
  protocol.respond = [this](std::string_view text, const Peer& peer) { return respond(text, peer); };
  protocol.fail = [this](RequestFailure why, const Peer&) {
    switch (why) {
      case RequestFailure::too_large:
        return reply_line(error_reply(
            fmt::format("request too large: more than {} bytes without a newline", options_.max_request)));
      case RequestFailure::timed_out:
        return reply_line(error_reply(fmt::format("no whole request line within {} ms", options_.deadline.count())));
      case RequestFailure::incomplete: return reply_line(error_reply("incomplete request"));
      case RequestFailure::busy:
        return reply_line(error_reply(
            fmt::format("busy: {} control connections already open; try again", options_.max_connections)));
    }
    return reply_line(error_reply("request failed"));
  };

  ServerLimits limits;
  limits.deadline = options_.deadline;
  limits.max_request = options_.max_request;
  limits.max_connections = options_.max_connections;
  try {
    server_ = std::make_unique<RequestServer>(std::move(listener), std::move(protocol), limits,
                                              "control socket " + path_);
  } catch (...) {
    ::unlink(path_.c_str());
    throw;
  }
  spdlog::info("control socket {}: listening{}", path_, handed_over ? " (handed over by the previous image)" : "");
}

ControlServer::~ControlServer() {
  server_.reset();
  // Only our own file: if it was replaced meanwhile (removed by hand, a new daemon started after
  // that), the new one is not ours to remove.
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) ::unlink(path_.c_str());
}

int ControlServer::fd() const { return server_->fd(); }

int ControlServer::listener_fd() const { return server_->listener_fd(); }

void ControlServer::finish(std::chrono::steady_clock::time_point until) { server_->finish(until); }

void ControlServer::on_readable() { server_->on_readable(); }

Response ControlServer::respond(std::string_view text, const Peer& peer) {
  if (!permitted(peer)) {
    spdlog::warn("control socket {}: refused {}: only root may use it", path_, peer.describe());
    return reply_line(error_reply(fmt::format("permission denied: uid {} may not use the control socket (root only)",
                                              peer.has_credentials ? std::to_string(peer.uid) : "unknown")));
  }

  Request request;
  try {
    request = parse_request(text);
  } catch (const RequestError& e) {
    spdlog::warn("control socket {}: bad request from {}: {}", path_, peer.describe(), e.what());
    return reply_line(error_reply(e.what()));
  }
  request.peer = peer;

  std::string what(to_string(request.command));
  if (!request.group.empty()) what += " " + request.group;

  nlohmann::json reply;
  std::function<void(UniqueFd)> handoff;
  try {
    Reply answer = handler_(request);
    reply = std::move(answer.body);
    handoff = std::move(answer.handoff);
  } catch (const std::exception& e) {
    reply = error_reply(e.what());
  }
  if (!reply.is_object()) {
    spdlog::error("control socket {}: {}: the handler's reply is not a JSON object", path_, what);
    reply = error_reply("internal error: the daemon's reply to " + what + " is not a JSON object");
  } else if (!reply.contains("ok")) {
    reply["ok"] = true;
  }

  // Every change an operator makes is in the log with who made it; reports (status, nic) are not.
  bool ok = reply["ok"] == true;
  bool report = request.command == Command::status || request.command == Command::nic;
  auto level = report && ok ? spdlog::level::debug : spdlog::level::info;
  std::string outcome = "ok";
  if (!ok) outcome = reply.contains("error") && reply["error"].is_string() ? reply["error"].get<std::string>() : "failed";
  spdlog::log(level, "control socket: {} from {}: {}", what, peer.describe(), outcome);
  if (!ok && handoff) {
    handoff(UniqueFd{});
    handoff = nullptr;
  }
  return Response(reply_line(reply), std::move(handoff));
}

}  // namespace anycastd::ctl
