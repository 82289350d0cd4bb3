// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reads the NTP service's clock source every second on a thread of its own (a chronyd that does
// not answer costs that thread its timeout, not the daemon's loop) and keeps the state the
// packet path should answer with. The daemon takes each new state and writes it to the datapath.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "abi.h"
#include "clock/clock_source.h"

namespace anycastd {

class ClockRefresher {
 public:
  // Reads the source once before returning, so the first tables can carry a state.
  explicit ClockRefresher(std::unique_ptr<ClockSource> source,
                          std::chrono::milliseconds interval = std::chrono::milliseconds(1000));
  ~ClockRefresher();
  ClockRefresher(const ClockRefresher&) = delete;
  ClockRefresher& operator=(const ClockRefresher&) = delete;

  // The state read since the last take, if any.
  std::optional<ac_ntp_state> take();

 private:
  void refresh();
  void loop();

  std::unique_ptr<ClockSource> source_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::optional<ac_ntp_state> fresh_;
  std::string last_description_;
  std::thread thread_;
};

}  // namespace anycastd
