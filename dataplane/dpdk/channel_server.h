// SPDX-License-Identifier: Apache-2.0
#pragma once

// The datapath's end of dataplane/channel, served on the main lcore: tables (build, swap, ok or
// the reason it was refused, the old set staying), stats (per-lcore counters, each port's link
// and xstats), probe (a frame through the same core on the live tables). Anything else gets an
// error reply; nothing a peer sends can stop the datapath except closing the channel. DNS
// tables (a sealed memfd, mapped read-only) swap in the same way, the old one staying if refused.
// Captures (docs/capture.md): capture_start publishes the filter to the workers, capture_read
// drains their rings into one reply, capture_stop takes the filter back; at most one runs.
//
// While a request is served, a thread of its own sends `working` heartbeats (channel.h): the
// serving thread's CPU time and every worker's poll counter. Building a table set reserves tens
// of MiB and waits for every worker to pass a quiescent state; on a loaded machine that takes
// seconds, and control must be able to tell slow from stuck without a reply to judge by.

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "channel.h"
#include "table_store.h"
#include "worker.h"

namespace anycastd::dpdk {

class ChannelServer {
 public:
  ChannelServer(int fd, TableStore& tables, std::vector<const Worker*> workers, std::vector<std::uint16_t> ports);
  ~ChannelServer();
  ChannelServer(const ChannelServer&) = delete;
  ChannelServer& operator=(const ChannelServer&) = delete;

  std::string send_hello(const channel::Hello& hello);

  enum class Result { answered, idle, closed };
  // Waits up to `wait` for one request and answers it. `note` tells what went wrong when a
  // request was refused, the datagram was not a message, or the channel failed.
  Result serve_one(std::chrono::milliseconds wait, std::string& note);

 private:
  std::string reply_tables(const channel::Message& m, std::string& note);
  std::string reply_stats(const channel::Message& m);
  std::string reply_probe(const channel::Message& m);
  std::string reply_ntp_state(const channel::Message& m);
  std::string reply_dns_edns(const channel::Message& m);
  std::string reply_dns_table(const channel::Message& m, std::string& note);
  std::string reply_capture_start(const channel::Message& m);
  std::string reply_capture_stop(const channel::Message& m);
  std::string reply_capture_read(const channel::Message& m);
  std::uint64_t capture_lost() const;
  std::string reply_error(std::uint32_t sequence, const std::string& text);
  std::string answer(const channel::Message& m, std::string& note);
  void beat_loop();

  int fd_;
  TableStore& tables_;
  std::vector<const Worker*> workers_;
  std::vector<std::uint16_t> ports_;
  // The running capture's bookkeeping: each worker's ring lost count when it started, and the
  // ring the next read begins with (round robin, so one busy worker cannot starve the others).
  std::vector<std::uint64_t> capture_lost_base_;
  std::size_t capture_next_ = 0;

  // The request in progress, for the heartbeat thread.
  std::mutex mutex_;
  std::condition_variable cv_;
  bool serving_ = false;
  bool quit_ = false;
  std::uint32_t sequence_ = 0;
  pthread_t server_thread_{};
  std::thread beat_;  // last: it starts once everything it reads is in place
};

}  // namespace anycastd::dpdk
