// SPDX-License-Identifier: Apache-2.0
// The worker's side of a capture (docs/capture.md) over net_ring: with a capture published, an
// answered request the filter wants is copied as it came, then its answer as it left (both
// byte for byte the vector's); nothing is copied while none runs, for frames the filter does not
// want, or for passed frames; a full ring counts what it cannot take and the answers still go out.

#include <cstring>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "capture_ring.h"
#include "eal_env.h"
#include "ring_harness.h"
#include "test_tables.h"
#include "vectors.h"

namespace anycastd::test {
namespace {

const Vector& row(ac_action action) {
  for (const Vector& v : test_vectors())
    if (v.config == "default" && v.action == action && v.request.size() >= 60 &&
        (action != AC_ACT_ANSWER || v.service == AC_SVC_ECHO))
      return v;
  throw std::runtime_error("no such vector");
}

std::unique_ptr<ac_capture_config> capture(std::uint32_t flags = 0, std::uint16_t port_be = 0) {
  auto c = std::make_unique<ac_capture_config>();
  c->flags = AC_CAPTURE_F_ON | flags;
  c->port = port_be;
  return c;
}

struct Copied {
  ac_capture_meta meta;
  Bytes frame;
};

std::vector<Copied> drain(dpdk::CaptureRing& ring) {
  std::vector<Copied> out;
  while (const dpdk::CaptureSlot* s = ring.front()) {
    out.push_back({s->meta, Bytes(s->frame, s->frame + s->meta.len)});
    ring.pop();
  }
  return out;
}

// The request's UDP destination port, in network byte order, as the filter holds it.
std::uint16_t dest_port_be(const Bytes& ip4_request) {
  std::uint16_t port;
  std::memcpy(&port, ip4_request.data() + 14 + 20 + 2, 2);
  return port;
}

TEST(DpdkCapture, AnsweredRequestThenItsAnswer) {
  AC_REQUIRE_EAL();
  RingHarness h;
  h.load(make_tables("default"));
  const Vector& echo = row(AC_ACT_ANSWER);
  ASSERT_EQ(echo.request[12], 0x08);  // IPv4: the port below is read at a fixed offset
  h.store().publish_capture(capture(AC_CAPTURE_F_PORT, dest_port_be(echo.request)));

  ASSERT_TRUE(h.from_wire(echo.request));
  ASSERT_EQ(dpdk::worker_poll(h.worker()), 1u);
  const std::vector<Bytes> sent = h.to_wire();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(sent[0] == echo.reply) << hex_diff(echo.reply, sent[0]);

  const std::vector<Copied> copied = drain(*h.worker().capture);
  ASSERT_EQ(copied.size(), 2u);
  EXPECT_EQ(copied[0].meta.kind, AC_CAPTURE_REQUEST);
  EXPECT_EQ(copied[0].meta.service, AC_SVC_ECHO);
  EXPECT_EQ(copied[0].meta.len, echo.request.size());
  EXPECT_TRUE(copied[0].frame == echo.request) << hex_diff(echo.request, copied[0].frame);
  EXPECT_EQ(copied[1].meta.kind, AC_CAPTURE_ANSWER);
  EXPECT_TRUE(copied[1].frame == echo.reply) << hex_diff(echo.reply, copied[1].frame);
  EXPECT_LE(copied[0].meta.mono_ns, copied[1].meta.mono_ns);
  EXPECT_GT(copied[0].meta.mono_ns, 0u);
  EXPECT_EQ(h.worker().capture->lost(), 0u);
}

TEST(DpdkCapture, NothingWhenOffUnwantedOrPassed) {
  AC_REQUIRE_EAL();
  RingHarness h;
  h.load(make_tables("default"));
  const Vector& echo = row(AC_ACT_ANSWER);
  const Vector& passed = row(AC_ACT_PASS);

  ASSERT_TRUE(h.from_wire(echo.request));  // no capture published
  dpdk::worker_poll(h.worker());
  h.store().publish_capture(capture(AC_CAPTURE_F_PORT, static_cast<std::uint16_t>(dest_port_be(echo.request) ^ 0x0100)));
  ASSERT_TRUE(h.from_wire(echo.request));  // a port it does not use
  dpdk::worker_poll(h.worker());
  h.store().publish_capture(capture());
  ASSERT_TRUE(h.from_wire(passed.request));  // wanted by everything, but passed
  dpdk::worker_poll(h.worker());
  h.store().publish_capture(nullptr);
  ASSERT_TRUE(h.from_wire(echo.request));  // off again
  dpdk::worker_poll(h.worker());

  EXPECT_EQ(h.to_wire().size(), 3u);
  EXPECT_EQ(h.to_kernel().size(), 1u);
  EXPECT_EQ(h.worker().capture->front(), nullptr);
  EXPECT_EQ(h.worker().capture->lost(), 0u) << "unwanted frames are not lost frames";
}

TEST(DpdkCapture, AFullRingCountsWhatItLosesAndNeverHoldsAnAnswer) {
  AC_REQUIRE_EAL();
  RingHarness h;
  h.load(make_tables("default"));
  const Vector& echo = row(AC_ACT_ANSWER);
  h.store().publish_capture(capture());
  constexpr unsigned kRequests = 200;  // 400 frames for 256 slots
  unsigned answered = 0;
  for (unsigned i = 0; i < kRequests; ++i) {
    ASSERT_TRUE(h.from_wire(echo.request));
    dpdk::worker_poll(h.worker());
    answered += static_cast<unsigned>(h.to_wire().size());
  }
  EXPECT_EQ(answered, kRequests);
  EXPECT_EQ(h.worker().capture->lost(), 2 * kRequests - dpdk::kCaptureSlots);
  const std::vector<Copied> copied = drain(*h.worker().capture);
  ASSERT_EQ(copied.size(), dpdk::kCaptureSlots);
  for (std::size_t i = 0; i < copied.size(); ++i)
    EXPECT_EQ(copied[i].meta.kind, i % 2 ? AC_CAPTURE_ANSWER : AC_CAPTURE_REQUEST) << i;
  // Room again: copying resumes where it stopped, the count stays.
  ASSERT_TRUE(h.from_wire(echo.request));
  dpdk::worker_poll(h.worker());
  EXPECT_EQ(drain(*h.worker().capture).size(), 2u);
  EXPECT_EQ(h.worker().capture->lost(), 2 * kRequests - dpdk::kCaptureSlots);
}

}  // namespace
}  // namespace anycastd::test
