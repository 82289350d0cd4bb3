// SPDX-License-Identifier: Apache-2.0
#pragma once

// Control's end of the datapath channel: one request at a time, each with its reply, shared by
// the main loop (tables, stats) and the health-check threads (probes). Detached while the
// datapath process is down, so callers get an immediate error instead of waiting on a corpse.

#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>

#include "channel.h"
#include "base/posix_io.h"

namespace anycastd {

class ChannelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The datapath answered with an error: it refused the request (a table that does not fit).
class ChannelRefused : public ChannelError {
 public:
  using ChannelError::ChannelError;
};

class ChannelClient {
 public:
  void attach(posix_io::UniqueFd socket);
  // Closes the socket: the datapath, if it still runs, stops when it sees its supervisor gone.
  void detach(const std::string& reason);
  // Gives the socket up without closing it (handing it to a successor image across exec).
  int release();

  // Sends a request and waits for the reply with its sequence number. An `error` reply throws
  // ChannelRefused with its text; a timeout or a closed channel throws ChannelError.
  channel::Message request(channel::Type type, const void* payload, std::size_t length, std::chrono::milliseconds timeout,
                           int fd = -1);

  // The same, for requests whose work grows with the machine's load (a table set): no deadline
  // of its own. It waits as long as the datapath's `working` heartbeats show progress, meaning
  // that the thread serving the request ran and that every worker polled; it throws ChannelError,
  // naming what stood still, once `stuck_after` passes without that.
  channel::Message request_while_alive(channel::Type type, const void* payload, std::size_t length,
                                       std::chrono::milliseconds stuck_after, int fd = -1);

 private:
  using Deadline = posix_io::Deadline;
  std::uint32_t send(channel::Type type, const void* payload, std::size_t length, int fd);
  // The next message for `sequence` (`working` ones included), or ChannelError.
  channel::Message receive(std::uint32_t sequence, Deadline deadline, const std::string& timed_out);

  std::mutex mutex_;
  posix_io::UniqueFd socket_;
  std::uint32_t sequence_ = 0;
  std::string detached_ = "not started";
};

}  // namespace anycastd
