// SPDX-License-Identifier: Apache-2.0
#pragma once

// The client half of the control socket: connect, send one request line, read the one reply line.
// Used by anycastctl and by the tests.

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace anycastd::ctl {

// The daemon could not be reached, or did not answer in time or in the protocol. what() names
// the socket path and, where a system call failed, its errno text; err() is that errno (0 when
// the daemon was reached but misbehaved).
class ConnectError : public std::runtime_error {
 public:
  ConnectError(const std::string& message, int err) : std::runtime_error(message), err_(err) {}
  int err() const { return err_; }

 private:
  int err_;
};

// Sends `request` (a line, newline included) to the daemon listening on `socket_path` and returns
// its reply line without the newline. The whole exchange is bounded by `timeout`. Throws
// ConnectError.
std::string exchange(const std::string& socket_path, std::string_view request, std::chrono::milliseconds timeout);

// The same for a command whose reply line is followed by a stream (capture): the connection
// stays open for the caller to read on.
class Stream {
 public:
  Stream(int fd, std::string reply, std::string rest) : fd_(fd), reply_(std::move(reply)), rest_(std::move(rest)) {}
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  int fd() const { return fd_; }
  const std::string& reply() const { return reply_; }  // without its newline
  std::string take_rest() { return std::move(rest_); }  // what came after the reply line

 private:
  int fd_;
  std::string reply_, rest_;
};
std::unique_ptr<Stream> open_stream(const std::string& socket_path, std::string_view request,
                                    std::chrono::milliseconds timeout);

}  // namespace anycastd::ctl
