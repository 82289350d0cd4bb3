// SPDX-License-Identifier: Apache-2.0
#include "health/check_worker.h"

#include <unistd.h>

#include <cstdint>

namespace anycastd {

CheckWorker::CheckWorker(std::vector<std::unique_ptr<Check>> checks, int wake_fd)
    : checks_(std::move(checks)), wake_fd_(wake_fd), thread_([this] { loop(); }) {}

CheckWorker::~CheckWorker() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

bool CheckWorker::request_round() {
  std::lock_guard lock(mutex_);
  if (requested_ || running_) return false;
  requested_ = true;
  cv_.notify_one();
  return true;
}

std::optional<std::vector<CheckResult>> CheckWorker::take_results() {
  std::lock_guard lock(mutex_);
  std::optional<std::vector<CheckResult>> out;
  out.swap(results_);
  return out;
}

std::vector<std::string> CheckWorker::names() const {
  std::vector<std::string> out;
  for (const auto& c : checks_) out.push_back(c->describe());
  return out;
}

void CheckWorker::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [this] { return requested_ || quit_; });
    if (quit_) return;
    requested_ = false;
    running_ = true;
    lock.unlock();
    std::vector<CheckResult> round;
    round.reserve(checks_.size());
    for (const auto& check : checks_) round.push_back(check->run());
    lock.lock();
    running_ = false;
    results_ = std::move(round);
    std::uint64_t one = 1;
    // An eventfd write only fails when the counter would overflow: the main loop is then
    // already due to read it.
    [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof one);
  }
}

}  // namespace anycastd
