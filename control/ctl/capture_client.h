// SPDX-License-Identifier: Apache-2.0
#pragma once

// anycastctl capture (docs/capture.md): asks the daemon for a capture and writes the frames it
// streams (ctl/capture_stream.h) into a pcap file, or stdout for `| tcpdump -r -`.

#include <chrono>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "ctl/protocol.h"

namespace anycastd::ctl {

class CaptureFailure : public std::runtime_error {
 public:
  enum class Kind {
    file,         // the output cannot be written
    refused,      // the daemon refused the capture (its reason is the message)
    unreachable,  // the daemon could not be reached, or broke the protocol
    cut,          // the stream ended without the daemon's summary
  };
  CaptureFailure(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// Runs the capture `options` asks for on the daemon at `socket` into `path` ("-": stdout) and
// returns the daemon's summary ("ended", "frames", "requests", "answers", "lost"). SIGINT and
// SIGTERM end it early, the file whole ("ended": "interrupted"): the daemon is asked to end it
// and still gives its summary. A file this call created is
// removed when the daemon refuses the capture. Throws CaptureFailure.
nlohmann::json capture_to_file(const std::string& socket, const CaptureOptions& options, const std::string& path,
                               std::chrono::milliseconds timeout);

}  // namespace anycastd::ctl
