// SPDX-License-Identifier: Apache-2.0
#pragma once

// Runs one group's checks off the main loop, one round at a time: an exec check that takes its
// whole timeout must not delay other groups, the control socket or a drain deadline.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "health/checks.h"

namespace anycastd {

class CheckWorker {
 public:
  // `wake_fd` (an eventfd shared by every worker) is written when a round finishes.
  CheckWorker(std::vector<std::unique_ptr<Check>> checks, int wake_fd);
  ~CheckWorker();  // waits for a round in flight (bounded by the checks' timeouts)
  CheckWorker(const CheckWorker&) = delete;
  CheckWorker& operator=(const CheckWorker&) = delete;

  // Starts a round unless one is running; returns whether it started one.
  bool request_round();
  // The results of the finished round, in check order, once.
  std::optional<std::vector<CheckResult>> take_results();
  std::vector<std::string> names() const;

 private:
  void loop();

  std::vector<std::unique_ptr<Check>> checks_;
  int wake_fd_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool requested_ = false;
  bool running_ = false;
  bool quit_ = false;
  std::optional<std::vector<CheckResult>> results_;
  std::thread thread_;
};

}  // namespace anycastd
