// SPDX-License-Identifier: Apache-2.0
#include "datapath/channel_client.h"

#include <string>

namespace anycastd {

void ChannelClient::attach(posix_io::UniqueFd socket) {
  std::lock_guard lock(mutex_);
  socket_ = std::move(socket);
  detached_.clear();
}

void ChannelClient::detach(const std::string& reason) {
  std::lock_guard lock(mutex_);
  socket_.reset();
  detached_ = reason;
}

int ChannelClient::release() {
  std::lock_guard lock(mutex_);
  detached_ = "handed over";
  return socket_.release();
}

channel::Message ChannelClient::request(channel::Type type, const void* payload, std::size_t length,
                                        std::chrono::milliseconds timeout, int fd) {
  std::lock_guard lock(mutex_);
  if (!socket_) throw ChannelError("the datapath is not running (" + detached_ + ")");
  std::uint32_t sequence = ++sequence_;
  if (std::string error = channel::send_message(socket_.get(), type, sequence, payload, length, fd); !error.empty())
    throw ChannelError(error);
  posix_io::Deadline deadline = posix_io::deadline_in(timeout);
  for (;;) {
    std::string error;
    std::optional<channel::Message> reply = channel::receive_message(socket_.get(), deadline, error);
    if (!reply) {
      if (error == "timed out")
        throw ChannelError("the datapath did not answer within " + std::to_string(timeout.count()) + " ms");
      throw ChannelError(error == "closed" ? "the datapath closed the channel" : error);
    }
    // A reply to an earlier request that timed out: late, and no longer anyone's.
    if (reply->sequence != sequence) continue;
    if (reply->type == channel::Type::error)
      throw ChannelRefused(std::string(reply->payload.begin(), reply->payload.end()));
    return std::move(*reply);
  }
}

}  // namespace anycastd
