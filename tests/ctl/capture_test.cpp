// SPDX-License-Identifier: Apache-2.0
// anycastctl capture's parts without a daemon: the filter's grammar, the capture request on the
// socket, the stream's records and the pcap bytes (the expected bytes written out by hand from the
// pcap format, not from the writer), and the filter as the XDP program reads it.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "base/capture_filter.h"
#include "ctl/capture_stream.h"
#include "ctl/protocol.h"
#include "datapath/xdp/xdp_capture.h"

namespace anycastd {
namespace {

std::string error_of(std::string_view text) {
  try {
    parse_capture_filter(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(CaptureFilter, TermsInAnyOrderWithOrWithoutAnd) {
  CaptureFilter f = parse_capture_filter("port 53 and src 198.51.100.0/24 vip 192.0.2.1");
  ASSERT_TRUE(f.vip && f.src && f.port);
  EXPECT_EQ(f.vip->str(), "192.0.2.1/32");
  EXPECT_EQ(f.src->str(), "198.51.100.0/24");
  EXPECT_EQ(*f.port, 53);
  EXPECT_EQ(f.str(), "vip 192.0.2.1/32 and src 198.51.100.0/24 and port 53");
  EXPECT_EQ(parse_capture_filter("").str(), "all");
  EXPECT_EQ(parse_capture_filter("  client 2001:db8::/32 ").str(), "src 2001:db8::/32");
}

TEST(CaptureFilter, RefusesWhatCannotBeMeant) {
  EXPECT_NE(error_of("vipp 192.0.2.1").find("unknown word \"vipp\""), std::string::npos);
  EXPECT_NE(error_of("vip").find("vip needs a value"), std::string::npos);
  EXPECT_NE(error_of("vip and port 7").find("vip needs a value"), std::string::npos);
  EXPECT_NE(error_of("and port 7").find("\"and\" without a term"), std::string::npos);
  EXPECT_NE(error_of("port 7 and").find("\"and\" at the end"), std::string::npos);
  EXPECT_NE(error_of("port 0").find("port wants a number from 1 to 65535"), std::string::npos);
  EXPECT_NE(error_of("port 65536").find("port wants"), std::string::npos);
  EXPECT_NE(error_of("port 7x").find("port wants"), std::string::npos);
  EXPECT_NE(error_of("port 1 port 2").find("port given twice"), std::string::npos);
  EXPECT_NE(error_of("vip 192.0.2.300").find("capture filter: vip:"), std::string::npos);
  EXPECT_NE(error_of("vip 192.0.2.1/24").find("capture filter: vip:"), std::string::npos);  // host bits
  EXPECT_NE(error_of("vip 192.0.2.1 src 2001:db8::1").find("different address families"), std::string::npos);
}

TEST(CaptureRequest, FieldsOnlyForCaptureAndInBounds) {
  ctl::Request r = ctl::parse_request(R"({"command":"capture","filter":"port 7","count":10,"seconds":2.5})");
  EXPECT_EQ(r.command, ctl::Command::capture);
  EXPECT_EQ(r.capture.filter, "port 7");
  EXPECT_EQ(r.capture.count, 10u);
  EXPECT_DOUBLE_EQ(r.capture.seconds, 2.5);
  ctl::Request defaults = ctl::parse_request(R"({"command":"capture"})");
  EXPECT_EQ(defaults.capture.count, ctl::kCaptureCountDefault);

  for (const char* bad : {R"({"command":"capture","count":0})", R"({"command":"capture","count":-1})",
                          R"({"command":"capture","count":1.5})", R"({"command":"capture","count":1000001})",
                          R"({"command":"capture","seconds":0})", R"({"command":"capture","seconds":3601})",
                          R"({"command":"capture","seconds":"1"})", R"({"command":"capture","filter":7})",
                          R"({"command":"status","count":3})", R"({"command":"capture","group":"x"})"})
    EXPECT_THROW(ctl::parse_request(bad), ctl::RequestError) << bad;

  ctl::CaptureOptions o;
  o.filter = "vip 192.0.2.1";
  o.count = 4;
  o.seconds = 3;
  ctl::Request round = ctl::parse_request(ctl::capture_request_line(o));
  EXPECT_EQ(round.capture.filter, o.filter);
  EXPECT_EQ(round.capture.count, 4u);
}

TEST(CaptureStream, RecordsComeBackWholeAcrossAnySplit) {
  const std::vector<std::uint8_t> frame = {1, 2, 3, 4, 5};
  std::string stream = ctl::encode_capture_frame(1'700'000'000'123'456'789ull, 60, AC_CAPTURE_ANSWER, AC_SVC_ECHO, frame) +
                       ctl::encode_capture_end({{"ended", "count"}, {"frames", 1}});
  // Written out: length 1 + 14 + 5 = 20, type 'F', then the fields little-endian.
  EXPECT_EQ(stream.substr(0, 5), std::string("\x14\x00\x00\x00" "F", 5));
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    ctl::CaptureStreamReader reader;
    reader.feed(stream.data(), split);
    std::vector<ctl::CaptureRecord> got;
    while (auto r = reader.next()) got.push_back(*r);
    reader.feed(stream.data() + split, stream.size() - split);
    while (auto r = reader.next()) got.push_back(*r);
    ASSERT_EQ(got.size(), 2u) << "split at " << split;
    const auto& f = std::get<ctl::CaptureFrameRecord>(got[0]);
    EXPECT_EQ(f.realtime_ns, 1'700'000'000'123'456'789ull);
    EXPECT_EQ(f.wire_len, 60u);
    EXPECT_EQ(f.kind, AC_CAPTURE_ANSWER);
    EXPECT_EQ(f.bytes, frame);
    EXPECT_EQ(std::get<ctl::CaptureEndRecord>(got[1]).summary["ended"], "count");
  }
}

TEST(CaptureStream, BrokenStreamsAreErrorsNotCrashes) {
  for (const std::string& bad : {std::string("\x05\x00\x00\x00" "X....", 9), std::string("\x00\x00\x00\x00" "F", 5),
                                 std::string("\xff\xff\xff\x7f" "F", 5), std::string("\x03\x00\x00\x00" "E{x", 7)}) {
    ctl::CaptureStreamReader reader;
    reader.feed(bad.data(), bad.size());
    EXPECT_THROW(reader.next(), ctl::CaptureStreamError);
  }
}

TEST(Pcap, HeaderAndRecordAsTheFormatSays) {
  // Nanosecond magic a1b23c4d, version 2.4, zone 0, sigfigs 0, snaplen 16384, LINKTYPE_ETHERNET.
  const std::string header("\x4d\x3c\xb2\xa1\x02\x00\x04\x00" "\0\0\0\0" "\0\0\0\0" "\x00\x40\x00\x00" "\x01\x00\x00\x00", 24);
  EXPECT_EQ(ctl::pcap_file_header(), header);
  const std::vector<std::uint8_t> frame = {0xaa, 0xbb};
  // 2 s and 5 ns; caplen 2; wire length 2.
  const std::string record("\x02\0\0\0" "\x05\0\0\0" "\x02\0\0\0" "\x02\0\0\0" "\xaa\xbb", 18);
  EXPECT_EQ(ctl::pcap_record(2'000'000'005ull, 2, frame), record);
}

TEST(CaptureConfig, PrefixesAsTheFrameReadsThem) {
  CaptureFilter f = parse_capture_filter("vip 192.0.2.0/24 src 198.51.100.7 port 53");
  ac_capture_config c = capture_config(f);
  EXPECT_EQ(c.flags, AC_CAPTURE_F_ON | AC_CAPTURE_F_VIP | AC_CAPTURE_F_SRC | AC_CAPTURE_F_PORT);
  const std::uint8_t net[4] = {192, 0, 2, 0}, mask[4] = {255, 255, 255, 0}, src[4] = {198, 51, 100, 7};
  EXPECT_EQ(std::memcmp(&c.vip.net[0], net, 4), 0);
  EXPECT_EQ(std::memcmp(&c.vip.mask[0], mask, 4), 0);
  EXPECT_EQ(std::memcmp(&c.src.net[0], src, 4), 0);
  EXPECT_EQ(c.vip.is_ip6, 0u);
  const std::uint8_t port[2] = {0, 53};
  EXPECT_EQ(std::memcmp(&c.port, port, 2), 0);

  ac_capture_config six = capture_config(parse_capture_filter("vip 2001:db8:0:8000::/49"));
  EXPECT_EQ(six.vip.is_ip6, 1u);
  const std::uint8_t mask6[16] = {255, 255, 255, 255, 255, 255, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const std::uint8_t net6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(std::memcmp(six.vip.mask, mask6, 16), 0);
  EXPECT_EQ(std::memcmp(six.vip.net, net6, 16), 0);
  EXPECT_EQ(capture_config(CaptureFilter{}).flags, AC_CAPTURE_F_ON);
}

}  // namespace
}  // namespace anycastd
