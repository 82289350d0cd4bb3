// SPDX-License-Identifier: Apache-2.0
#pragma once

// The DPDK side of a capture (docs/capture.md): anycastd-dpdk's workers copy what the filter
// wants into rings of their own, and this tap asks for what waits over the channel
// (capture_read), on a timer: the channel is a request and its reply, with nothing to poll for.
// The datapath starts copying when the tap is made and stops when it goes.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "abi.h"
#include "base/posix_io.h"
#include "base/time.h"
#include "datapath/datapath.h"
#include "datapath/dpdk/channel_client.h"

namespace anycastd {

class DpdkCapture final : public CaptureTap {
 public:
  // How often the rings are read: a worker's ring holds 256 frames, so this bounds what one
  // worker copies between reads without loss (about 10,000 frames a second).
  static constexpr Millis kReadInterval{25};
  // A read is a small request on the main lcore: due at once, and the daemon's loop waits for it.
  static constexpr Millis kReadTimeout{1000};
  // Stopping waits for every worker to let the filter go (switch_dpdk_capture_off).
  static constexpr Millis kStopStuckAfter{5000};

  // Starts the capture in the datapath. Throws std::runtime_error with what the datapath said.
  DpdkCapture(std::shared_ptr<ChannelClient> channel, const ac_capture_config& config);
  // Stops it (capture_stop), unless the channel is gone, and the process with it.
  ~DpdkCapture() override;
  DpdkCapture(const DpdkCapture&) = delete;
  DpdkCapture& operator=(const DpdkCapture&) = delete;

  int fd() const override { return timer_.get(); }
  // One capture_read: when the timer fired, or when the last reply was full.
  std::size_t read_some(const std::function<void(const CapturedFrame&)>& sink) override;
  std::uint64_t lost() const override { return lost_; }
  std::string ended() const override { return ended_; }

 private:
  std::shared_ptr<ChannelClient> channel_;
  posix_io::UniqueFd timer_;  // a timerfd every kReadInterval
  bool more_ = false;         // the last reply said more frames wait
  std::uint64_t lost_ = 0;
  std::string ended_;
};

// Switches a capture off: at the tap's end, and in a datapath just adopted, where the previous
// image may have left one running (it died before its tap went). Returns whether one was on.
// Patient as a table write is (ChannelClient::request_while_alive): taking the filter back waits
// for every worker, and on a loaded machine a deadline would leave the copy on for nobody.
// Throws ChannelError once the datapath stands still for `stuck_after`.
bool switch_dpdk_capture_off(ChannelClient& channel, Millis stuck_after);

}  // namespace anycastd
