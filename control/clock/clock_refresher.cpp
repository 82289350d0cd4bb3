// SPDX-License-Identifier: Apache-2.0
#include "clock/clock_refresher.h"

#include <spdlog/spdlog.h>

#include <ctime>

#include "clock/ntp_state.h"

namespace anycastd {

ClockRefresher::ClockRefresher(std::unique_ptr<ClockSource> source, std::chrono::milliseconds interval)
    : source_(std::move(source)), interval_(interval) {
  refresh();
  thread_ = std::thread([this] { loop(); });
}

ClockRefresher::~ClockRefresher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

ServedClock ClockRefresher::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

std::optional<ac_ntp_state> ClockRefresher::take() {
  std::lock_guard lock(mutex_);
  std::optional<ac_ntp_state> out = fresh_;
  fresh_.reset();
  return out;
}

void ClockRefresher::refresh() {
  ClockReading reading = source_->read();
  ac_ntp_state state = ntp_state_from(reading, static_cast<std::int64_t>(std::time(nullptr)));
  // Logged when the picture changes (synchronised or not, reachable or not), not every second.
  std::string summary = !reading.reachable ? "unreachable: " + reading.error
                        : reading.synchronised ? "synchronised"
                                               : "not synchronised";
  if (summary != last_description_) {
    if (reading.reachable && reading.synchronised)
      spdlog::info("NTP clock: {}: {}; answering stratum {}", source_->describe(), reading.describe(), state.stratum);
    else
      spdlog::warn("NTP clock: {}: {}; answering stratum 16, leap 3", source_->describe(), reading.describe());
    last_description_ = summary;
  }
  std::lock_guard lock(mutex_);
  fresh_ = state;
  latest_ = ServedClock{source_->describe(), reading.reachable, reading.reachable && reading.synchronised, state,
                        std::chrono::system_clock::now()};
}

void ClockRefresher::loop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (wake_.wait_for(lock, interval_, [this] { return stop_; })) break;
    lock.unlock();
    refresh();
    lock.lock();
  }
}

}  // namespace anycastd
