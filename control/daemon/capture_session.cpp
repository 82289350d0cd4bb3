// SPDX-License-Identifier: Apache-2.0
#include "daemon/capture_session.h"

#include <sys/socket.h>
#include <time.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>

#include "abi.h"
#include "ctl/capture_stream.h"

namespace anycastd {
namespace {

// Frames are taken from the rings only while less than this waits for the client.
constexpr std::size_t kBacklog = 1 << 20;
// After the end, for the end record to reach the client.
constexpr Millis kFlush{2000};

std::int64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

CaptureSession::CaptureSession(posix_io::UniqueFd client, std::shared_ptr<CaptureTap> tap,
                               const ctl::CaptureOptions& options, std::string filter, std::string client_name,
                               Clock::time_point now)
    : client_(std::move(client)),
      tap_(std::move(tap)),
      count_(options.count),
      started_(now),
      deadline_(now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.seconds))),
      filter_(std::move(filter)),
      client_name_(std::move(client_name)),
      realtime_minus_mono_ns_(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC)) {
  spdlog::info("capture started for {}: filter {}, up to {} frames or {:.3g} s", client_name_, filter_, count_,
               options.seconds);
}

CaptureSession::~CaptureSession() {
  if (tap_) spdlog::info("capture for {} dropped with the daemon", client_name_);
}

std::vector<pollfd> CaptureSession::poll_fds() const {
  std::vector<pollfd> fds;
  if (!client_) return fds;
  const bool backlog = sent_ < out_.size();
  fds.push_back({client_.get(), static_cast<short>((client_closed_ ? 0 : POLLIN) | (backlog ? POLLOUT : 0)), 0});
  if (tap_ && out_.size() - sent_ < kBacklog) fds.push_back({tap_->fd(), POLLIN, 0});
  return fds;
}

Clock::time_point CaptureSession::next_wakeup() const {
  if (!client_) return Clock::time_point::max();
  return flush_until_ ? *flush_until_ : deadline_;
}

void CaptureSession::client_gone() {
  if (tap_) {
    tap_.reset();  // the copy off before anything else
    spdlog::info("capture for {} ended: the client went away after {} frames", client_name_, frames());
  }
  client_.reset();
}

void CaptureSession::poll(Clock::time_point now) {
  if (!client_) return;
  // The client sends nothing after its request: the end of its side asks for the end (anycastctl
  // interrupted), and the end record is tried; a client that is gone fails that write.
  char scratch[256];
  while (!client_closed_) {
    ssize_t n = ::recv(client_.get(), scratch, sizeof scratch, MSG_DONTWAIT);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0) {
      client_gone();
      return;
    }
    client_closed_ = true;
    end("client ended", now);
  }
  if (tap_) {
    take_frames(now);
    if (tap_ && now >= deadline_) end("time", now);
  }
  flush();
  if (client_ && flush_until_ && (sent_ == out_.size() || now >= *flush_until_)) client_.reset();
}

void CaptureSession::take_frames(Clock::time_point now) {
  const auto sink = [this](const CapturedFrame& frame) {
    if (frames() >= count_) return;  // read in the same batch as the last one wanted
    const auto realtime = static_cast<std::uint64_t>(static_cast<std::int64_t>(frame.mono_ns) + realtime_minus_mono_ns_);
    out_ += ctl::encode_capture_frame(realtime, static_cast<std::uint32_t>(frame.bytes.size()), frame.kind,
                                      frame.service, frame.bytes);
    ++(frame.kind == AC_CAPTURE_REQUEST ? requests_ : answers_);
  };
  while (tap_ && out_.size() - sent_ < kBacklog && frames() < count_)
    if (tap_->read_some(sink) == 0) break;
  if (frames() >= count_)
    end("count", now);
  else if (std::string why = tap_->ended(); !why.empty())
    end(why, now);
}

void CaptureSession::end(const std::string& why, Clock::time_point now) {
  if (!tap_) return;
  const std::uint64_t lost = tap_->lost();
  tap_.reset();
  const double seconds = std::chrono::duration<double>(now - started_).count();
  nlohmann::json summary{{"ended", why},     {"frames", frames()}, {"requests", requests_}, {"answers", answers_},
                         {"lost", lost},     {"filter", filter_},  {"seconds", seconds}};
  out_ += ctl::encode_capture_end(summary);
  flush_until_ = now + kFlush;
  spdlog::info("capture for {} ended ({}): {} frames, {} lost", client_name_, why, frames(), lost);
}

void CaptureSession::flush() {
  while (client_ && sent_ < out_.size()) {
    ssize_t n = ::send(client_.get(), out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    client_gone();
    return;
  }
  // Keep the buffer the size of what waits, not of all that was ever sent.
  if (sent_ > kBacklog || sent_ == out_.size()) {
    out_.erase(0, sent_);
    sent_ = 0;
  }
}

void CaptureSession::finish_now(const std::string& why, Clock::time_point until) {
  end(why, Clock::now());
  while (client_ && sent_ < out_.size() && Clock::now() < until) {
    pollfd fd{client_.get(), POLLOUT, 0};
    const auto left = std::chrono::duration_cast<Millis>(until - Clock::now()).count();
    ::poll(&fd, 1, static_cast<int>(std::max<long long>(left, 1)));
    flush();
  }
  client_.reset();
}

}  // namespace anycastd
