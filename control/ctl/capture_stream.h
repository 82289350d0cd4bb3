// SPDX-License-Identifier: Apache-2.0
#pragma once

// A capture on the control socket (docs/capture.md): after its reply line, the daemon streams
// records on the same connection, and anycastctl turns them into a pcap file. A record is a
// 4-byte little-endian length of what follows, a type byte, and:
//
//   'F' (a frame):  u64 realtime ns, u32 length on the wire, u8 kind (0 request, 1 answer),
//                   u8 service (abi.h enum ac_service), then the frame's bytes
//   'E' (the end):  one JSON object, the capture's summary ("frames", "lost", "ended")
//
// The end record is the last; a stream that stops without one was cut (the daemon died).

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace anycastd::ctl {

// A frame is at most a jumbo frame: anything longer is a broken stream, not a frame.
inline constexpr std::size_t kCaptureMaxFrame = 16384;

struct CaptureFrameRecord {
  std::uint64_t realtime_ns = 0;
  std::uint32_t wire_len = 0;
  std::uint8_t kind = 0;
  std::uint8_t service = 0;
  std::vector<std::uint8_t> bytes;
};

struct CaptureEndRecord {
  nlohmann::json summary;
};

using CaptureRecord = std::variant<CaptureFrameRecord, CaptureEndRecord>;

std::string encode_capture_frame(std::uint64_t realtime_ns, std::uint32_t wire_len, std::uint8_t kind,
                                 std::uint8_t service, std::span<const std::uint8_t> bytes);
std::string encode_capture_end(const nlohmann::json& summary);

class CaptureStreamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Cuts the stream into records as its bytes arrive.
class CaptureStreamReader {
 public:
  void feed(const char* data, std::size_t size) { buffer_.append(data, size); }
  // The next whole record, nullopt while more bytes are needed. Throws CaptureStreamError on a
  // record that cannot be one (an unknown type, a length out of bounds, a summary not JSON).
  std::optional<CaptureRecord> next();
  std::size_t buffered() const { return buffer_.size() - at_; }

 private:
  std::string buffer_;
  std::size_t at_ = 0;
};

// pcap (the classic format tcpdump -r reads), nanosecond timestamps, Ethernet frames.
std::string pcap_file_header();
std::string pcap_record(std::uint64_t realtime_ns, std::uint32_t wire_len, std::span<const std::uint8_t> bytes);

}  // namespace anycastd::ctl
