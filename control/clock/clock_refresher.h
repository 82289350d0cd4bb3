// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reads the NTP service's clock source every second on a thread of its own (a chronyd that does
// not answer costs that thread its timeout, not the daemon's loop) and keeps the state the
// packet path should answer with. The daemon takes each new state and writes it to the datapath.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "abi.h"
#include "clock/clock_source.h"

namespace anycastd {

// The last reading and what the answers carry since it, for the status and the metrics.
struct ServedClock {
  std::string source;  // ClockSource::describe()
  bool reachable = false;
  bool synchronised = false;
  ac_ntp_state state{};
  std::chrono::system_clock::time_point read_at{};
};

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

  // The last reading, whether taken or not.
  ServedClock latest() const;

 private:
  void refresh();
  void loop();

  std::unique_ptr<ClockSource> source_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::optional<ac_ntp_state> fresh_;
  ServedClock latest_;
  std::string last_description_;
  std::thread thread_;
};

}  // namespace anycastd
