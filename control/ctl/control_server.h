// SPDX-License-Identifier: Apache-2.0
#pragma once

// anycastctl's way in: a unix stream socket, mode 0600, root (or the daemon's own user) only.
// One request per connection (ctl/protocol.h, docs/anycastctl.md). Served from the daemon's poll
// loop without blocking it (base/request_server.h):
//
//   ControlServer control(config.control.socket, [&](const ctl::Request& r) { return handle(r); });
//   pollfd fds[] = {..., {control.fd(), POLLIN, 0}};
//   ... if (fds[i].revents & POLLIN) control.on_readable();
//
// The handler runs on the thread that calls on_readable(), between the daemon's other work, so it
// may touch the daemon's state freely; it should only take decisions and return (a `check` or a
// `restart` is scheduled and carried out by the loop after on_readable() returns, not inside the
// handler). It must not destroy the ControlServer. By the time on_readable() returns, a reply
// shorter than the socket buffer (every reply but a huge status) is in the client's socket, so
// the daemon may exec itself for a restart right after.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/posix_io.h"
#include "base/request_server.h"
#include "ctl/protocol.h"

namespace anycastd::ctl {



struct ControlServerOptions {
  // For a client to send its request, and again to take the reply. anycastctl sends at once.
  std::chrono::milliseconds deadline{1000};
  std::size_t max_request = kMaxRequestBytes;
  std::size_t max_connections = 8;
};

// A handler's reply; a command that streams on after it (capture) names who takes the connection
// once the reply line is written (base/request_server.h Response).
struct Reply {
  nlohmann::json body;
  std::function<void(posix_io::UniqueFd)> handoff;

  Reply(nlohmann::json reply) : body(std::move(reply)) {}  // NOLINT: most commands only answer
  Reply(nlohmann::json reply, std::function<void(posix_io::UniqueFd)> then)
      : body(std::move(reply)), handoff(std::move(then)) {}
};

class ControlServer {
 public:
  // Returns the reply: ok_reply()/error_reply() plus whatever the command reports; "ok":true is
  // added to an object that has no "ok". May throw: RequestError or any std::exception becomes
  // {"ok":false,"error":what()}. A handoff is dropped from a reply that is not ok.
  using Handler = std::function<Reply(const Request&)>;

  // Creates the parent directory (mode 0700) if missing, removes a socket file left by a dead
  // daemon, binds and listens. Throws std::runtime_error naming the path: "another anycastd is
  // listening on PATH", "PATH exists and is not a socket", a path too long, a system call failing.
  // `inherited`: a listening socket the previous image handed over across a restart in place.
  // Taken as it is when it listens on `path`, so that no client is refused meanwhile; closed
  // (and its stale file removed) when the path changed, and `path` bound anew.
  ControlServer(std::string path, Handler handler, ControlServerOptions options = {},
                posix_io::UniqueFd inherited = {});
  // Closes the socket and every open connection, and removes the socket file if it is still ours.
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  int fd() const;
  // The listening socket, which a restart in place hands to the next image.
  int listener_fd() const;
  void on_readable();
  // Before a restart in place: stop accepting, answer the clients already accepted (until `until`).
  void finish(std::chrono::steady_clock::time_point until);

  const std::string& path() const { return path_; }

 private:
  posix_io::UniqueFd bind_listener();  // creates, binds (mode 0600) and listens on path_
  Response respond(std::string_view text, const Peer& peer);

  std::string path_;
  Handler handler_;
  ControlServerOptions options_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  std::unique_ptr<RequestServer> server_;
};

}  // namespace anycastd::ctl
