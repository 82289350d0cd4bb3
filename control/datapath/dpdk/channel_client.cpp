// SPDX-License-Identifier: Apache-2.0
#include "datapath/dpdk/channel_client.h"

#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace anycastd {
namespace {

struct Beat {
  std::uint64_t server_cpu_ns = 0;
  std::vector<channel::WorkerBeat> workers;
};

std::optional<Beat> beat_of(const channel::Message& m) {
  channel::Working head;
  if (m.payload.size() < sizeof head) return std::nullopt;
  std::memcpy(&head, m.payload.data(), sizeof head);
  if (m.payload.size() != sizeof head + std::size_t{head.lcores} * sizeof(channel::WorkerBeat)) return std::nullopt;
  Beat b{head.server_cpu_ns, std::vector<channel::WorkerBeat>(head.lcores)};
  std::memcpy(b.workers.data(), m.payload.data() + sizeof head, b.workers.size() * sizeof(channel::WorkerBeat));
  return b;
}

// Refused with what stood still from one heartbeat to a later one, unless the serving thread ran
// and every worker polled. Both, because either can hold a table swap up: the swap waits for
// every worker.
Refusal standing_still(const Beat& from, const Beat& to) {
  std::string what;
  if (to.server_cpu_ns == from.server_cpu_ns) what = "the thread serving the request did not run";
  if (to.workers.size() == from.workers.size()) {
    std::string workers;
    for (std::size_t i = 0; i < to.workers.size(); ++i)
      if (to.workers[i].loops == from.workers[i].loops)
        workers += (workers.empty() ? "" : ", ") + std::to_string(to.workers[i].lcore);
    if (!workers.empty()) what += (what.empty() ? "" : "; ") + ("worker lcore " + workers + " did not poll");
  }
  return what.empty() ? Refusal::none() : Refusal::because(what);
}

}  // namespace

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

std::uint32_t ChannelClient::send(channel::Type type, const void* payload, std::size_t length, int fd) {
  if (!socket_) throw ChannelError("the datapath is not running (" + detached_ + ")");
  std::uint32_t sequence = ++sequence_;
  if (std::string error = channel::send_message(socket_.get(), type, sequence, payload, length, fd); !error.empty())
    throw ChannelError(error);
  return sequence;
}

channel::Message ChannelClient::receive(std::uint32_t sequence, Deadline deadline, const std::string& timed_out) {
  for (;;) {
    std::string error;
    std::optional<channel::Message> reply = channel::receive_message(socket_.get(), deadline, error);
    if (!reply) {
      if (error == "timed out") throw ChannelError(timed_out);
      throw ChannelError(error == "closed" ? "the datapath closed the channel" : error);
    }
    // A reply to an earlier request that timed out, or a heartbeat sent while it was served:
    // late, and no longer anyone's.
    if (reply->sequence != sequence) continue;
    if (reply->type == channel::Type::error)
      throw ChannelRefused(std::string(reply->payload.begin(), reply->payload.end()));
    return std::move(*reply);
  }
}

channel::Message ChannelClient::request(channel::Type type, const void* payload, std::size_t length,
                                        std::chrono::milliseconds timeout, int fd) {
  std::lock_guard lock(mutex_);
  std::uint32_t sequence = send(type, payload, length, fd);
  Deadline deadline = posix_io::deadline_in(timeout);
  const std::string timed_out = "the datapath did not answer within " + std::to_string(timeout.count()) + " ms";
  for (;;) {
    channel::Message m = receive(sequence, deadline, timed_out);
    if (m.type != channel::Type::working) return m;
  }
}

channel::Message ChannelClient::request_while_alive(channel::Type type, const void* payload, std::size_t length,
                                                    std::chrono::milliseconds stuck_after, int fd) {
  std::lock_guard lock(mutex_);
  std::uint32_t sequence = send(type, payload, length, fd);
  Deadline deadline = posix_io::deadline_in(stuck_after);
  std::optional<Beat> mark;  // the last heartbeat that showed progress
  std::string standing = "no heartbeat came";
  for (;;) {
    channel::Message m = receive(sequence, deadline,
                                 "the datapath made no progress for " + std::to_string(stuck_after.count()) + " ms (" +
                                     standing + ")");
    if (m.type != channel::Type::working) return m;
    std::optional<Beat> beat = beat_of(m);
    if (!beat) continue;  // not a heartbeat this build understands: no sign of progress either
    // The first one counts: the datapath took the request up.
    if (mark) {
      if (Refusal still = standing_still(*mark, *beat)) {
        standing = still.why();
        continue;
      }
    }
    mark = std::move(beat);
    deadline = posix_io::deadline_in(stuck_after);
    standing = "its heartbeat stopped";
  }
}

}  // namespace anycastd
