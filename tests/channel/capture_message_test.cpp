// SPDX-License-Identifier: Apache-2.0
// Capture over the channel (docs/capture.md): the capture_frames payload laid out as channel.h
// says (checked against bytes written here), bounded by one message, damage refused; and control's
// DpdkCapture against a stand-in datapath: start, reads on its timer, stop when it goes, and the
// end it reports when the datapath restarted or went away.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <thread>
#include <vector>

#include "channel.h"
#include "datapath/dpdk/channel_client.h"
#include "datapath/dpdk/dpdk_capture.h"

namespace anycastd {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

void put(Bytes& out, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));  // little endian (x86)
}

TEST(CaptureFrames, LaidOutAsChannelHSays) {
  channel::CaptureFramesWriter w;
  const Bytes a = {1, 2, 3}, b = {0xaa, 0xbb};
  ASSERT_TRUE(w.add(ac_capture_meta{0x1122334455667788ull, 3, AC_CAPTURE_REQUEST, AC_SVC_DNS, 0}, a.data()));
  ASSERT_TRUE(w.add(ac_capture_meta{9, 2, AC_CAPTURE_ANSWER, AC_SVC_DNS, 0}, b.data()));
  const Bytes payload = w.finish(7, true, false);

  Bytes expected;
  put(expected, 7, 8);  // lost
  put(expected, 2, 4);  // frames
  expected.insert(expected.end(), {1, 0, 0, 0});  // on, more, pad
  put(expected, 0x1122334455667788ull, 8);
  put(expected, 3, 4);
  expected.insert(expected.end(), {AC_CAPTURE_REQUEST, AC_SVC_DNS, 0, 0, 1, 2, 3});
  put(expected, 9, 8);
  put(expected, 2, 4);
  expected.insert(expected.end(), {AC_CAPTURE_ANSWER, AC_SVC_DNS, 0, 0, 0xaa, 0xbb});
  EXPECT_EQ(payload, expected);

  const channel::CaptureFrames f = channel::decode_capture_frames(payload);
  EXPECT_EQ(f.head.lost, 7u);
  EXPECT_EQ(f.head.on, 1u);
  EXPECT_EQ(f.head.more, 0u);
  ASSERT_EQ(f.frames.size(), 2u);
  EXPECT_EQ(Bytes(f.frames[0].bytes, f.frames[0].bytes + f.frames[0].meta.len), a);
  EXPECT_EQ(f.frames[0].meta.mono_ns, 0x1122334455667788ull);
  EXPECT_EQ(f.frames[1].meta.kind, AC_CAPTURE_ANSWER);
  EXPECT_EQ(Bytes(f.frames[1].bytes, f.frames[1].bytes + f.frames[1].meta.len), b);
}

TEST(CaptureFrames, OneMessageAtMost) {
  channel::CaptureFramesWriter w;
  const Bytes frame(1514, 0x5a);
  const ac_capture_meta meta{1, 1514, AC_CAPTURE_REQUEST, AC_SVC_NTP, 0};
  std::size_t n = 0;
  while (w.add(meta, frame.data())) ++n;
  const Bytes payload = w.finish(0, true, true);
  // 16 (header) + 16 (head) + n * (16 + 1514) <= 256 KiB, and one more would not be.
  const std::size_t expected = (channel::kMaxMessage - 16 - 16) / (16 + 1514);
  EXPECT_EQ(n, expected);
  EXPECT_EQ(payload.size(), 16 + n * (16 + 1514));
  EXPECT_EQ(channel::decode_capture_frames(payload).frames.size(), n);
  EXPECT_EQ(channel::decode_capture_frames(payload).head.more, 1u);
}

TEST(CaptureFrames, DamageIsRefused) {
  channel::CaptureFramesWriter w;
  const Bytes a = {1, 2, 3, 4};
  w.add(ac_capture_meta{1, 4, AC_CAPTURE_REQUEST, 0, 0}, a.data());
  const Bytes good = w.finish(0, true, false);
  EXPECT_THROW(channel::decode_capture_frames(Bytes(good.begin(), good.begin() + 10)), std::runtime_error);
  EXPECT_THROW(channel::decode_capture_frames(Bytes(good.begin(), good.begin() + 20)), std::runtime_error) << "meta cut";
  EXPECT_THROW(channel::decode_capture_frames(Bytes(good.begin(), good.end() - 1)), std::runtime_error) << "frame cut";
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_THROW(channel::decode_capture_frames(trailing), std::runtime_error);
  Bytes claims_more = good;
  claims_more[8] = 2;  // two frames said, one there
  EXPECT_THROW(channel::decode_capture_frames(claims_more), std::runtime_error);
}

// A stand-in datapath answering the capture requests; `reads` are the capture_frames payloads
// it gives, in turn. Records what it was asked.
struct FakeDatapath {
  std::vector<channel::Type> asked;
  ac_capture_config started{};
  std::thread thread;

  FakeDatapath(int fd, std::vector<Bytes> reads)
      : thread([this, fd, reads = std::move(reads)] {
          std::size_t next = 0;
          for (;;) {
            std::string error;
            auto m = channel::receive_message(fd, posix_io::deadline_in(5s), error);
            if (!m) return;
            asked.push_back(m->type);
            if (m->type == channel::Type::capture_start) {
              std::memcpy(&started, m->payload.data(), std::min(sizeof started, m->payload.size()));
              channel::send_message(fd, channel::Type::ok, m->sequence, nullptr, 0);
            } else if (m->type == channel::Type::capture_read) {
              const Bytes& p = reads.at(std::min(next++, reads.size() - 1));
              channel::send_message(fd, channel::Type::capture_frames, m->sequence, p.data(), p.size());
            } else if (m->type == channel::Type::capture_stop) {
              const channel::CaptureStopped s{1, 0};
              channel::send_message(fd, channel::Type::capture_stopped, m->sequence, &s, sizeof s);
              return;
            }
          }
        }) {}
  ~FakeDatapath() {
    if (thread.joinable()) thread.join();
  }
};

Bytes frames_payload(std::uint64_t lost, bool on, std::vector<Bytes> frames) {
  channel::CaptureFramesWriter w;
  for (const Bytes& f : frames)
    w.add(ac_capture_meta{42, static_cast<std::uint32_t>(f.size()), AC_CAPTURE_REQUEST, AC_SVC_ECHO, 0}, f.data());
  return w.finish(lost, on, false);
}

struct Taken {
  std::vector<Bytes> frames;
  std::function<void(const CapturedFrame&)> sink() {
    return [this](const CapturedFrame& f) { frames.emplace_back(f.bytes.begin(), f.bytes.end()); };
  }
};

void wait_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 2000), 1) << "the tap's timer never fired";
}

TEST(DpdkCaptureTest, StartsReadsOnItsTimerAndStopsWhenItGoes) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  posix_io::UniqueFd datapath_end(sv[1]);
  auto client = std::make_shared<ChannelClient>();
  client->attach(posix_io::UniqueFd(sv[0]));
  FakeDatapath fake(datapath_end.get(), {frames_payload(3, true, {{1, 2}, {3, 4, 5}}), frames_payload(5, true, {})});
  {
    ac_capture_config config{};
    config.flags = AC_CAPTURE_F_ON | AC_CAPTURE_F_PORT;
    config.port = 0x0700;
    DpdkCapture tap(client, config);
    Taken taken;
    wait_readable(tap.fd());
    EXPECT_EQ(tap.read_some(taken.sink()), 2u);
    EXPECT_EQ(tap.read_some(taken.sink()), 0u) << "not due again before the timer fires, nothing more waiting";
    EXPECT_EQ(taken.frames, (std::vector<Bytes>{{1, 2}, {3, 4, 5}}));
    EXPECT_EQ(tap.lost(), 3u);
    wait_readable(tap.fd());
    EXPECT_EQ(tap.read_some(taken.sink()), 0u);
    EXPECT_EQ(tap.lost(), 5u);
    EXPECT_EQ(tap.ended(), "");
  }
  fake.thread.join();
  EXPECT_EQ(fake.asked, (std::vector<channel::Type>{channel::Type::capture_start, channel::Type::capture_read,
                                                     channel::Type::capture_read, channel::Type::capture_stop}));
  EXPECT_EQ(fake.started.flags, AC_CAPTURE_F_ON | AC_CAPTURE_F_PORT);
  EXPECT_EQ(fake.started.port, 0x0700);
}

TEST(DpdkCaptureTest, EndsWhenTheDatapathRestartedOrWent) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  posix_io::UniqueFd datapath_end(sv[1]);
  auto client = std::make_shared<ChannelClient>();
  client->attach(posix_io::UniqueFd(sv[0]));
  {
    std::thread fake([fd = datapath_end.get()] {
      std::string error;
      auto start = channel::receive_message(fd, posix_io::deadline_in(5s), error);
      channel::send_message(fd, channel::Type::ok, start->sequence, nullptr, 0);
      auto read = channel::receive_message(fd, posix_io::deadline_in(5s), error);
      const Bytes off = frames_payload(0, false, {});  // a new process: no capture running
      channel::send_message(fd, channel::Type::capture_frames, read->sequence, off.data(), off.size());
    });
    DpdkCapture tap(client, ac_capture_config{AC_CAPTURE_F_ON, 0, 0, {}, {}});
    Taken taken;
    wait_readable(tap.fd());
    EXPECT_EQ(tap.read_some(taken.sink()), 0u);
    EXPECT_EQ(tap.ended(), "datapath restarted");
    fake.join();
  }  // no capture_stop sent: nobody would answer it
  {
    std::thread fake([fd = datapath_end.get()] {
      std::string error;
      auto start = channel::receive_message(fd, posix_io::deadline_in(5s), error);
      channel::send_message(fd, channel::Type::ok, start->sequence, nullptr, 0);
    });
    DpdkCapture tap(client, ac_capture_config{AC_CAPTURE_F_ON, 0, 0, {}, {}});
    fake.join();
    client->detach("anycastd-dpdk was killed by SIGKILL");
    Taken taken;
    wait_readable(tap.fd());
    EXPECT_EQ(tap.read_some(taken.sink()), 0u);
    EXPECT_EQ(tap.ended(), "datapath: the datapath is not running (anycastd-dpdk was killed by SIGKILL)");
  }
}

TEST(DpdkCaptureTest, ARefusedStartSaysWhy) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  posix_io::UniqueFd datapath_end(sv[1]);
  auto client = std::make_shared<ChannelClient>();
  client->attach(posix_io::UniqueFd(sv[0]));
  std::thread fake([fd = datapath_end.get()] {
    std::string error;
    auto start = channel::receive_message(fd, posix_io::deadline_in(5s), error);
    const char why[] = "unknown request type 12";
    channel::send_message(fd, channel::Type::error, start->sequence, why, sizeof why - 1);
  });
  try {
    DpdkCapture tap(client, ac_capture_config{AC_CAPTURE_F_ON, 0, 0, {}, {}});
    ADD_FAILURE() << "started";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "the DPDK datapath cannot capture: unknown request type 12");
  }
  fake.join();
}

}  // namespace
}  // namespace anycastd
