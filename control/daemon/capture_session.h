// SPDX-License-Identifier: Apache-2.0
#pragma once

// The capture running now (one at a time, docs/capture.md): the client's connection, handed over
// by the control socket after the reply, and the datapath's tap. Driven by the daemon's loop and
// never blocking it: frames are taken from the rings only while the client keeps up, so a slow
// client fills the rings and the program counts what it loses, instead of the daemon buffering.
//
// It ends at the count, at the deadline, when the client ends its side or goes, or when the
// daemon stops or restarts; the tap goes first (the copy switched off), then the end record says
// why.

#include <poll.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/posix_io.h"
#include "base/time.h"
#include "ctl/protocol.h"
#include "datapath/datapath.h"

namespace anycastd {

class CaptureSession {
 public:
  CaptureSession(posix_io::UniqueFd client, std::shared_ptr<CaptureTap> tap, const ctl::CaptureOptions& options,
                 std::string filter, std::string client_name, Clock::time_point now);
  ~CaptureSession();
  CaptureSession(const CaptureSession&) = delete;
  CaptureSession& operator=(const CaptureSession&) = delete;

  // What the loop adds to its poll set.
  std::vector<pollfd> poll_fds() const;
  // Moves what it can; ends the capture when one of its bounds is reached.
  void poll(Clock::time_point now);
  Clock::time_point next_wakeup() const;
  // Ends it now with `why` ("daemon stopping"); the end record goes out in the next polls.
  void end(const std::string& why, Clock::time_point now);
  // For an exec that cannot wait for the loop: ends it and writes the end record, blocking
  // until `until` at most.
  void finish_now(const std::string& why, Clock::time_point until);
  // The end record is out (or the client is gone): the session can go.
  bool done() const { return !client_; }

  const std::string& filter() const { return filter_; }
  const std::string& client_name() const { return client_name_; }
  std::uint64_t frames() const { return requests_ + answers_; }

 private:
  void take_frames(Clock::time_point now);
  void flush();
  void client_gone();

  posix_io::UniqueFd client_;
  std::shared_ptr<CaptureTap> tap_;  // its only owner; null once ended
  std::uint64_t count_;
  Clock::time_point started_, deadline_;
  std::optional<Clock::time_point> flush_until_;  // ended: the end record's deadline
  std::string filter_, client_name_;
  std::int64_t realtime_minus_mono_ns_ = 0;
  std::string out_;
  std::size_t sent_ = 0;
  std::uint64_t requests_ = 0, answers_ = 0;
  bool client_closed_ = false;  // its side ended: no more reads, the end record still goes
};

}  // namespace anycastd
