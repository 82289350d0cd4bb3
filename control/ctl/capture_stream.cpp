// SPDX-License-Identifier: Apache-2.0
#include "ctl/capture_stream.h"

namespace anycastd::ctl {
namespace {

constexpr char kFrame = 'F';
constexpr char kEnd = 'E';
constexpr std::size_t kFrameFixed = 8 + 4 + 1 + 1;
constexpr std::size_t kMaxSummary = 64 * 1024;

template <typename T>
void put_le(std::string& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

template <typename T>
T get_le(const char* p) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(static_cast<unsigned char>(p[i])) << (8 * i);
  return value;
}

std::string record(char type, const std::string& body) {
  std::string out;
  put_le<std::uint32_t>(out, static_cast<std::uint32_t>(body.size() + 1));
  out.push_back(type);
  return out + body;
}

}  // namespace

std::string encode_capture_frame(std::uint64_t realtime_ns, std::uint32_t wire_len, std::uint8_t kind,
                                 std::uint8_t service, std::span<const std::uint8_t> bytes) {
  std::string body;
  body.reserve(kFrameFixed + bytes.size());
  put_le(body, realtime_ns);
  put_le(body, wire_len);
  body.push_back(static_cast<char>(kind));
  body.push_back(static_cast<char>(service));
  body.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return record(kFrame, body);
}

std::string encode_capture_end(const nlohmann::json& summary) {
  return record(kEnd, summary.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::optional<CaptureRecord> CaptureStreamReader::next() {
  if (buffered() < 5) return std::nullopt;
  const char* p = buffer_.data() + at_;
  const std::uint32_t length = get_le<std::uint32_t>(p);
  const char type = p[4];
  if (type != kFrame && type != kEnd)
    throw CaptureStreamError("capture stream: unknown record type " + std::to_string(static_cast<unsigned char>(type)));
  const std::size_t limit = type == kFrame ? 1 + kFrameFixed + kCaptureMaxFrame : 1 + kMaxSummary;
  if (length < 1 + (type == kFrame ? kFrameFixed : 0) || length > limit)
    throw CaptureStreamError("capture stream: a record of " + std::to_string(length) + " bytes is out of bounds");
  if (buffered() < 4 + std::size_t{length}) return std::nullopt;

  const char* body = p + 5;
  const std::size_t body_len = length - 1;
  at_ += 4 + length;
  std::optional<CaptureRecord> out;
  if (type == kFrame) {
    CaptureFrameRecord frame;
    frame.realtime_ns = get_le<std::uint64_t>(body);
    frame.wire_len = get_le<std::uint32_t>(body + 8);
    frame.kind = static_cast<std::uint8_t>(body[12]);
    frame.service = static_cast<std::uint8_t>(body[13]);
    frame.bytes.assign(body + kFrameFixed, body + body_len);
    out = std::move(frame);
  } else {
    try {
      out = CaptureEndRecord{nlohmann::json::parse(std::string_view(body, body_len))};
    } catch (const nlohmann::json::exception& e) {
      throw CaptureStreamError(std::string("capture stream: the end record is not JSON: ") + e.what());
    }
  }
  // What was read is dropped once it is most of the buffer, so the buffer stays the size of a
  // record or two however long the capture runs.
  if (at_ > buffer_.size() / 2) {
    buffer_.erase(0, at_);
    at_ = 0;
  }
  return out;
}

std::string pcap_file_header() {
  std::string out;
  put_le<std::uint32_t>(out, 0xa1b23c4d);  // nanosecond resolution
  put_le<std::uint16_t>(out, 2);
  put_le<std::uint16_t>(out, 4);
  put_le<std::uint32_t>(out, 0);  // thiszone
  put_le<std::uint32_t>(out, 0);  // sigfigs
  put_le<std::uint32_t>(out, static_cast<std::uint32_t>(kCaptureMaxFrame));  // snaplen
  put_le<std::uint32_t>(out, 1);  // LINKTYPE_ETHERNET
  return out;
}

std::string pcap_record(std::uint64_t realtime_ns, std::uint32_t wire_len, std::span<const std::uint8_t> bytes) {
  std::string out;
  put_le<std::uint32_t>(out, static_cast<std::uint32_t>(realtime_ns / 1'000'000'000));
  put_le<std::uint32_t>(out, static_cast<std::uint32_t>(realtime_ns % 1'000'000'000));
  put_le<std::uint32_t>(out, static_cast<std::uint32_t>(bytes.size()));
  put_le<std::uint32_t>(out, wire_len);
  out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return out;
}

}  // namespace anycastd::ctl
