// SPDX-License-Identifier: Apache-2.0
#include "datapath/dpdk/dpdk_capture.h"

#include <spdlog/spdlog.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace anycastd {

DpdkCapture::DpdkCapture(std::shared_ptr<ChannelClient> channel, const ac_capture_config& config)
    : channel_(std::move(channel)), timer_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
  if (!timer_) throw std::runtime_error("capture: timerfd_create: " + posix_io::errno_text(errno));
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(kReadInterval).count();
  const itimerspec every{{0, ns}, {0, ns}};
  static_assert(kReadInterval < std::chrono::seconds(1));
  if (timerfd_settime(timer_.get(), 0, &every, nullptr) != 0)
    throw std::runtime_error("capture: timerfd_settime: " + posix_io::errno_text(errno));
  try {
    channel_->request(channel::Type::capture_start, &config, sizeof config, kReadTimeout);
  } catch (const ChannelError& e) {
    throw std::runtime_error(std::string("the DPDK datapath cannot capture: ") + e.what());
  }
}

DpdkCapture::~DpdkCapture() {
  if (!ended_.empty()) return;  // nothing of it runs in the datapath any more
  try {
    switch_dpdk_capture_off(*channel_, kStopStuckAfter);
  } catch (const ChannelError& e) {
    // A datapath that does not answer is supervision's business; a new process starts with no
    // capture, and so does an adopting image (switch_dpdk_capture_off on adoption).
    spdlog::warn("DPDK datapath: switching the capture off: {}", e.what());
  }
}

std::size_t DpdkCapture::read_some(const std::function<void(const CapturedFrame&)>& sink) {
  std::uint64_t fired = 0;
  const bool due = ::read(timer_.get(), &fired, sizeof fired) == sizeof fired;
  if (!ended_.empty() || (!due && !more_)) return 0;
  channel::CaptureFrames frames;
  channel::Message reply;
  try {
    reply = channel_->request(channel::Type::capture_read, nullptr, 0, kReadTimeout);
    if (reply.type != channel::Type::capture_frames)
      throw ChannelError("the datapath answered capture_read with message type " +
                         std::to_string(static_cast<unsigned>(reply.type)));
    frames = channel::decode_capture_frames(reply.payload);
  } catch (const std::runtime_error& e) {  // ChannelError, or a reply that does not decode
    // "datapath: the datapath is not running (anycastd-dpdk was killed by SIGKILL)", or how the
    // channel failed when the read came before supervision saw the exit.
    ended_ = std::string("datapath: ") + e.what();
    return 0;
  }
  if (!frames.head.on) {
    ended_ = "datapath restarted";  // its new process has no capture running
    return 0;
  }
  lost_ = frames.head.lost;
  more_ = frames.head.more != 0;
  for (const channel::CaptureFrame& f : frames.frames) {
    CapturedFrame frame;
    frame.mono_ns = f.meta.mono_ns;
    frame.kind = f.meta.kind;
    frame.service = f.meta.service;
    frame.bytes = {f.bytes, f.meta.len};
    sink(frame);
  }
  return frames.frames.size();
}

bool switch_dpdk_capture_off(ChannelClient& channel, Millis stuck_after) {
  channel::Message reply = channel.request_while_alive(channel::Type::capture_stop, nullptr, 0, stuck_after);
  channel::CaptureStopped stopped;
  if (reply.type != channel::Type::capture_stopped || reply.payload.size() != sizeof stopped)
    throw ChannelError("the datapath answered capture_stop with something else");
  std::memcpy(&stopped, reply.payload.data(), sizeof stopped);
  return stopped.was_on != 0;
}

}  // namespace anycastd
