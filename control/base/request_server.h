// SPDX-License-Identifier: Apache-2.0
#pragma once

// One request per connection over a listening socket, served from the daemon's own poll loop
// without ever blocking it: the engine under ControlServer (unix socket, a line of JSON) and
// MetricsServer (TCP, HTTP GET).
//
// Why not "accept, read with a 1 s deadline, reply": the daemon's loop also runs the health
// checks and ends drains, and a client that connects and sends nothing would hold all of that up
// for the whole deadline. Here every socket is non-blocking and sits in an epoll set of the
// server's own, with a timerfd for the deadlines; fd() is that epoll descriptor, readable
// whenever a connection, the listener or the timer has something. on_readable() does what can be
// done at once and returns; only the protocol's respond() (the daemon's handler) takes real time.
//
// A connection: reading (until the protocol sees a whole request, the size limit, or the
// deadline) -> writing the reply (with a fresh deadline) -> shut down for writing and drained for
// a moment before close, so that a client still sending does not get a reset that would destroy
// the reply in flight -> closed. Or, with a handoff, once the reply is written: handed over.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/peer.h"
#include "base/posix_io.h"

namespace anycastd {

enum class RequestFailure {
  too_large,   // more than max_request bytes without the end of a request
  timed_out,   // no whole request within the deadline
  incomplete,  // the client closed its side in the middle of a request
  busy,        // max_connections already open
};
std::string_view to_string(RequestFailure f);

struct ServerLimits {
  std::chrono::milliseconds deadline{1000};  // to receive a whole request; again to send the reply
  std::size_t max_request = 64 * 1024;
  std::size_t max_connections = 16;
};

// What respond() sends back. A command that goes on talking on its connection (a capture's
// stream) gives a handoff: once the reply is wholly in the client's socket, the connection leaves
// the server and the handoff takes it; if the client goes before that, the handoff gets an
// empty descriptor, so that whatever it reserved is let go.
struct Response {
  std::string text;
  std::function<void(posix_io::UniqueFd)> handoff;

  Response(std::string reply) : text(std::move(reply)) {}  // NOLINT: a plain reply is the common case
  Response(std::string reply, std::function<void(posix_io::UniqueFd)> then)
      : text(std::move(reply)), handoff(std::move(then)) {}
};

struct RequestProtocol {
  // How many bytes at the start of `received` make up the request, once all of it is there;
  // nullopt while more is needed.
  std::function<std::optional<std::size_t>(std::string_view received)> find_end;
  // Whether a client's shutdown of its sending side completes a non-empty request (a control
  // line without its newline), or leaves it incomplete (HTTP).
  bool eof_ends_request = false;
  // The reply to a whole request. Runs on the caller of on_readable(). An exception is logged and
  // the connection closed without a reply.
  std::function<Response(std::string_view request, const Peer& peer)> respond;
  // The reply when there will be no whole request.
  std::function<std::string(RequestFailure why, const Peer& peer)> fail;
};

class RequestServer {
 public:
  // Takes a bound, listening, non-blocking socket. `name` is for the log ("control socket
  // /run/anycastd/anycastd.sock"). Throws std::system_error if epoll or the timer cannot be made.
  RequestServer(posix_io::UniqueFd listener, RequestProtocol protocol, ServerLimits limits, std::string name);
  ~RequestServer();
  RequestServer(const RequestServer&) = delete;
  RequestServer& operator=(const RequestServer&) = delete;

  // Poll this for POLLIN; then call on_readable(). Calling it when nothing is ready is harmless.
  int fd() const { return epoll_.get(); }
  int listener_fd() const { return listener_.get(); }
  void on_readable();
  // Stops accepting (new clients wait in the listener's backlog) and serves the connections
  // already accepted until each has its reply or `until` passes: before the listener is handed
  // to another process, so that none of them is reset.
  void finish(std::chrono::steady_clock::time_point until);

  std::size_t open_connections() const { return connections_.size(); }

 private:
  struct Connection;
  using Clock = std::chrono::steady_clock;

  void process(int wait_ms);  // what epoll has ready within wait_ms, then deadlines
  void accept_some(Clock::time_point now);
  void serve(std::uint64_t id, std::uint32_t events, Clock::time_point now);
  void read_request(Connection& c, Clock::time_point now);
  void start_reply(Connection& c, Response reply, Clock::time_point now);
  void write_reply(Connection& c, Clock::time_point now);
  void linger(Connection& c);
  void expire(Clock::time_point now);
  void close(std::uint64_t id);
  bool watch(std::uint64_t id, int fd, std::uint32_t events, bool add);
  void rearm_timer();
  void set_listener_watched(bool watched);

  posix_io::UniqueFd listener_;
  posix_io::UniqueFd epoll_;
  posix_io::UniqueFd timer_;
  RequestProtocol protocol_;
  ServerLimits limits_;
  std::string name_;
  std::uint64_t next_id_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::vector<std::uint64_t> closing_;  // closed once the current batch of events is done
  // Out of descriptors (EMFILE): the listener stays readable, so it leaves the epoll set for a
  // moment rather than spinning the daemon's loop.
  std::optional<Clock::time_point> listener_paused_until_;
};

}  // namespace anycastd
