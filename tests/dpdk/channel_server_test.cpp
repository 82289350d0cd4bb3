// SPDX-License-Identifier: Apache-2.0
// The datapath's end of the channel, over a real socket pair, with a worker on net_ring behind
// it: tables accepted and refused (the old set staying), stats, probes through the same core,
// captures started, read and stopped, unknown requests answered with an error; and the telemetry
// command on EAL's real socket.

#include <rte_malloc.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "channel_server.h"
#include "eal_env.h"
#include "ring_harness.h"
#include "table_sizing.h"
#include "telemetry.h"
#include "ntp_live.h"
#include "test_tables.h"
#include "vectors.h"

namespace anycastd::test {
namespace {

namespace ch = channel;
using namespace std::chrono_literals;

class ChannelServerTest : public testing::Test {
 protected:
  void SetUp() override {
    AC_REQUIRE_EAL();
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
    control_ = posix_io::UniqueFd(fds[0]);
    datapath_ = posix_io::UniqueFd(fds[1]);
    harness_ = std::make_unique<RingHarness>();
    server_ = std::make_unique<dpdk::ChannelServer>(datapath_.get(), harness_->store(),
                                                    std::vector<const dpdk::Worker*>{&harness_->worker()},
                                                    std::vector<std::uint16_t>{harness_->wire_port()});
  }

  // Sends a request, lets the server answer it, returns the reply.
  ch::Message ask(ch::Type type, const void* payload, std::size_t length, int fd = -1) {
    EXPECT_EQ(ch::send_message(control_.get(), type, ++sequence_, payload, length, fd), "");
    std::string note;
    EXPECT_EQ(server_->serve_one(1000ms, note), dpdk::ChannelServer::Result::answered) << note;
    last_note_ = note;
    std::optional<ch::Message> reply = next_reply();
    if (!reply) return {};
    EXPECT_EQ(reply->sequence, sequence_);
    return std::move(*reply);
  }

  // The next message that is not a heartbeat (one may come while a slow request is served).
  std::optional<ch::Message> next_reply() {
    for (;;) {
      std::string error;
      std::optional<ch::Message> m = ch::receive_message(control_.get(), posix_io::deadline_in(1000ms), error);
      EXPECT_TRUE(m) << error;
      if (!m || m->type != ch::Type::working) return m;
    }
  }

  ch::Message send_tables(const std::vector<std::uint8_t>& image) {
    posix_io::UniqueFd memfd = ch::memfd_with(image);
    return ask(ch::Type::tables, nullptr, 0, memfd.get());
  }

  // (reply header, frame)
  std::pair<ch::ProbeReply, Bytes> probe(const Bytes& frame) {
    ch::Message m = ask(ch::Type::probe, frame.data(), frame.size());
    EXPECT_EQ(m.type, ch::Type::probe_reply);
    ch::ProbeReply r{};
    if (m.payload.size() < sizeof r) return {r, {}};
    std::memcpy(&r, m.payload.data(), sizeof r);
    EXPECT_EQ(r.length, m.payload.size() - sizeof r);
    return {r, Bytes(m.payload.begin() + sizeof r, m.payload.end())};
  }

  static const Vector& row(ac_action action, const char* config) {
    for (const Vector& v : test_vectors())
      if (v.config == config && v.action == action && v.request.size() >= 60) return v;
    throw std::runtime_error("no such vector");
  }

  posix_io::UniqueFd control_, datapath_;
  std::unique_ptr<RingHarness> harness_;
  std::unique_ptr<dpdk::ChannelServer> server_;
  std::uint32_t sequence_ = 0;
  std::string last_note_;
  std::vector<std::uint8_t> payload_;  // the last capture_frames, which decoded frames point into
};

std::string text(const ch::Message& m) { return std::string(m.payload.begin(), m.payload.end()); }

TEST_F(ChannelServerTest, HelloGoesOutFirst) {
  ch::Hello hello{};
  ch::set_text(hello.port[0].driver, "net_ring");
  hello.ports = 1;
  hello.queues = 1;
  ASSERT_EQ(server_->send_hello(hello), "");
  std::string error;
  auto m = ch::receive_message(control_.get(), posix_io::deadline_in(1000ms), error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->type, ch::Type::hello);
  ASSERT_EQ(m->payload.size(), sizeof(ch::Hello));
}

TEST_F(ChannelServerTest, TablesAcceptedThenProbeAnswers) {
  const Vector& answer = row(AC_ACT_ANSWER, "default");
  // Before any tables every frame passes: nothing is a VIP.
  auto [before, frame_before] = probe(answer.request);
  EXPECT_EQ(before.action, AC_ACT_PASS);
  EXPECT_EQ(before.reason, AC_PASS_NOT_VIP);
  EXPECT_TRUE(frame_before == answer.request);

  EXPECT_EQ(send_tables(ch::encode_tables(make_tables("default"))).type, ch::Type::ok);
  auto [after, reply] = probe(answer.request);
  EXPECT_EQ(after.action, AC_ACT_ANSWER);
  EXPECT_EQ(after.service, AC_SVC_ECHO);
  EXPECT_TRUE(reply == answer.reply) << hex_diff(answer.reply, reply);
}

// The NTP state travels in a message of its own, apart from the table image: until it comes,
// NTP passes (ntp_no_clock); after it, the probe's NTP answer carries it.
TEST_F(ChannelServerTest, NtpStateMessage) {
  const Vector* ntp = nullptr;
  for (const Vector& v : test_vectors())
    if (v.name == "ntp_v4_client_v4") ntp = &v;
  ASSERT_NE(ntp, nullptr);
  ASSERT_EQ(send_tables(ch::encode_tables(make_tables("default"))).type, ch::Type::ok);
  auto [before, unchanged] = probe(ntp->request);
  EXPECT_EQ(before.action, AC_ACT_PASS);
  EXPECT_EQ(before.reason, AC_PASS_NTP_NO_CLOCK);
  EXPECT_TRUE(unchanged == ntp->request);

  const ac_ntp_state state = live_ntp_state("default");
  EXPECT_EQ(ask(ch::Type::ntp_state, &state, sizeof state).type, ch::Type::ok);
  const std::uint64_t clock_before = ntp_now();
  auto [after, reply] = probe(ntp->request);
  const std::uint64_t clock_after = ntp_now();
  EXPECT_EQ(after.action, AC_ACT_ANSWER);
  EXPECT_EQ(after.service, AC_SVC_NTP);
  EXPECT_EQ(ntp_live_mismatch(ntp->reply, reply, clock_before, clock_after), "");

  ch::Message m = ask(ch::Type::ntp_state, &state, sizeof state - 1);
  EXPECT_EQ(m.type, ch::Type::error);
  EXPECT_NE(text(m).find("ntp_state: 55 bytes, expected 56"), std::string::npos) << text(m);
}

// The NSID and cookie settings travel in a message of their own (dns_edns) into the table store
// the workers copy per burst; a payload of another size, or one claiming more NSID bytes or
// secrets than the core reads, is refused with an error naming it and the settings stay.
TEST_F(ChannelServerTest, DnsEdnsMessage) {
  ac_dns_edns edns{};
  const std::string nsid = "edge-7";
  ac_dns_edns_set_nsid(&edns, reinterpret_cast<const __u8*>(nsid.data()), static_cast<__u32>(nsid.size()));
  edns.secrets = 1;
  edns.secret[0][0] = 0x5a;
  edns.now = 1700000000;
  EXPECT_EQ(ask(ch::Type::dns_edns, &edns, sizeof edns).type, ch::Type::ok);
  ac_dns_edns stored = harness_->store().dns_edns();
  EXPECT_EQ(std::memcmp(&stored, &edns, sizeof edns), 0);

  ch::Message m = ask(ch::Type::dns_edns, &edns, sizeof edns - 1);
  EXPECT_EQ(m.type, ch::Type::error);
  EXPECT_NE(text(m).find("dns_edns: 103 bytes, expected 104"), std::string::npos) << text(m);

  ac_dns_edns bad = edns;
  bad.nsid_len = AC_DNS_NSID_MAX + 1;
  m = ask(ch::Type::dns_edns, &bad, sizeof bad);
  EXPECT_EQ(m.type, ch::Type::error);
  EXPECT_NE(text(m).find("NSID of 65 bytes (at most 64)"), std::string::npos) << text(m);
  bad = edns;
  bad.secrets = 3;
  m = ask(ch::Type::dns_edns, &bad, sizeof bad);
  EXPECT_EQ(m.type, ch::Type::error);
  EXPECT_NE(text(m).find("3 secrets (at most 2)"), std::string::npos) << text(m);
  stored = harness_->store().dns_edns();
  EXPECT_EQ(std::memcmp(&stored, &edns, sizeof edns), 0) << "a refused message changed the settings";
}

TEST_F(ChannelServerTest, BadTablesAreRefusedAndTheOldOnesStay) {
  const Vector& answer = row(AC_ACT_ANSWER, "default");
  ASSERT_EQ(send_tables(ch::encode_tables(make_tables("default"))).type, ch::Type::ok);

  std::vector<std::uint8_t> garbage(40, 0xab);
  ch::Message m = send_tables(garbage);
  EXPECT_EQ(m.type, ch::Type::error);
  EXPECT_NE(text(m).find("not a table image"), std::string::npos) << text(m);

  // A record the DPDK tables cannot hold: an IPv4 /40 (decode refuses it too, naming the record).
  FastpathTables bad = make_tables("default");
  bad.vips[1].prefix.len = 40;
  m = send_tables(ch::encode_tables(bad));
  EXPECT_EQ(m.type, ch::Type::error);
  EXPECT_NE(text(m).find("vip 1"), std::string::npos) << text(m);

  m = ask(ch::Type::tables, nullptr, 0);  // no memfd
  EXPECT_EQ(m.type, ch::Type::error);
  EXPECT_NE(text(m).find("memfd"), std::string::npos) << text(m);

  EXPECT_EQ(probe(answer.request).first.action, AC_ACT_ANSWER) << "the accepted set must still be live";
}

// DPDK memory is what -m or the hugepages give, and the running set keeps its share until a new
// one replaces it: a set that does not fit beside it is refused naming the memory it needs, the
// running set keeps answering, and once there is room the same set is taken.
TEST_F(ChannelServerTest, ASetThatDoesNotFitIsRefusedNamingTheMemoryItNeeds) {
  const Vector& answer = row(AC_ACT_ANSWER, "default");
  ASSERT_EQ(send_tables(ch::encode_tables(make_tables("default"))).type, ch::Type::ok);
  FastpathTables wide = make_tables("default");
  wide.allow.push_back({AC_SVC_ECHO, parse_prefix("198.51.100.0/24")});
  wide.allow.push_back({AC_SVC_ECHO, parse_prefix("2001:db8:ffff::/48")});
  char needs[64];
  std::snprintf(needs, sizeof needs, "needs %.1f MiB of DPDK memory",
                static_cast<double>(dpdk::table_set_bytes(dpdk::table_shape(wide))) / (1024.0 * 1024.0));

  struct Ballast {
    std::vector<void*> blocks;
    ~Ballast() { release(); }
    void release() {
      for (void* b : blocks) rte_free(b);
      blocks.clear();
    }
  } ballast;
  // All of the heap but less than one 64 MiB tbl24, in blocks as large as it has.
  for (;;) {
    std::size_t largest = 0;
    for (unsigned i = 0; i < rte_socket_count(); ++i) {
      rte_malloc_socket_stats stats{};
      if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &stats) == 0)
        largest = std::max(largest, stats.greatest_free_size);
    }
    if (largest < (std::size_t{48} << 20)) break;
    void* block = rte_malloc("ac_test_ballast", largest - (std::size_t{16} << 20), 0);
    ASSERT_NE(block, nullptr);
    ballast.blocks.push_back(block);
  }
  ch::Message m = send_tables(ch::encode_tables(wide));
  std::printf("%s\n", text(m).c_str());
  EXPECT_EQ(m.type, ch::Type::error);
  EXPECT_NE(text(m).find(needs), std::string::npos) << text(m) << "\nexpected: " << needs;
  EXPECT_NE(text(m).find("raise -m"), std::string::npos) << text(m);
  EXPECT_EQ(probe(answer.request).first.action, AC_ACT_ANSWER) << "the running set must still be live";

  ballast.release();
  EXPECT_EQ(send_tables(ch::encode_tables(wide)).type, ch::Type::ok) << "with the memory back, the set fits";
}

// A table swap waits for every worker to pass a quiescent state. Here the worker is a registered
// reader that does not poll until the test lets it: while the swap waits, heartbeats come with
// the request's sequence, the worker's loops standing still and the serving thread's CPU time
// moving (it spins in the wait); once the worker polls, the swap ends with its reply.
TEST_F(ChannelServerTest, ASlowSwapSendsHeartbeats) {
  const Vector& answer = row(AC_ACT_ANSWER, "default");
  harness_->store().register_reader(harness_->worker().reader_id);
  posix_io::UniqueFd memfd = ch::memfd_with(ch::encode_tables(make_tables("default")));
  ASSERT_EQ(ch::send_message(control_.get(), ch::Type::tables, ++sequence_, nullptr, 0, memfd.get()), "");
  std::string note;
  std::thread serving([&] { server_->serve_one(1000ms, note); });

  std::vector<std::pair<ch::Working, ch::WorkerBeat>> beats;
  while (beats.size() < 3) {
    std::string error;
    std::optional<ch::Message> m = ch::receive_message(control_.get(), posix_io::deadline_in(10s), error);
    if (!m) {
      ADD_FAILURE() << "no heartbeat while the swap waits: " << error;
      break;
    }
    ASSERT_EQ(m->type, ch::Type::working) << "the swap cannot end before the worker polls";
    EXPECT_EQ(m->sequence, sequence_);
    ASSERT_EQ(m->payload.size(), sizeof(ch::Working) + sizeof(ch::WorkerBeat));
    std::pair<ch::Working, ch::WorkerBeat> beat;
    std::memcpy(&beat.first, m->payload.data(), sizeof beat.first);
    std::memcpy(&beat.second, m->payload.data() + sizeof beat.first, sizeof beat.second);
    EXPECT_EQ(beat.first.lcores, 1u);
    EXPECT_EQ(beat.second.lcore, harness_->worker().config.lcore);
    EXPECT_EQ(beat.second.loops, 0u) << "the worker has not polled";
    beats.push_back(beat);
  }
  if (beats.size() == 3) {  // else a failure was reported above
    EXPECT_GT(beats.back().first.server_cpu_ns, beats.front().first.server_cpu_ns) << "the swap spins for its worker";
  }

  dpdk::worker_poll(harness_->worker());
  harness_->store().quiescent(harness_->worker().reader_id);
  serving.join();
  harness_->store().unregister_reader(harness_->worker().reader_id);
  std::optional<ch::Message> reply = next_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->type, ch::Type::ok) << note;
  EXPECT_EQ(reply->sequence, sequence_);
  EXPECT_EQ(probe(answer.request).first.action, AC_ACT_ANSWER) << "the new set is live";
}

TEST_F(ChannelServerTest, StatsCarryLcoresAndXstats) {
  ASSERT_EQ(send_tables(ch::encode_tables(make_tables("default"))).type, ch::Type::ok);
  const Vector& answer = row(AC_ACT_ANSWER, "default");
  const Vector& pass = row(AC_ACT_PASS, "default");
  ASSERT_TRUE(harness_->from_wire(answer.request));
  ASSERT_TRUE(harness_->from_wire(pass.request));
  dpdk::worker_poll(harness_->worker());

  ch::Message m = ask(ch::Type::stats, nullptr, 0);
  ASSERT_EQ(m.type, ch::Type::stats_reply);
  ch::StatsReply head{};
  ASSERT_GE(m.payload.size(), sizeof head);
  std::memcpy(&head, m.payload.data(), sizeof head);
  ASSERT_EQ(head.lcores, 1u);
  ASSERT_EQ(head.ports, 1u);
  ASSERT_EQ(m.payload.size(), sizeof head + sizeof(ch::LcoreStats) + sizeof(ch::PortLink) +
                                  head.xstats * sizeof(ch::Xstat) + head.vips * sizeof(ch::VipStats));
  ch::LcoreStats l{};
  std::memcpy(&l, m.payload.data() + sizeof head, sizeof l);
  EXPECT_EQ(l.port, harness_->wire_port());
  ch::PortLink link{};
  std::memcpy(&link, m.payload.data() + sizeof head + sizeof l, sizeof link);
  EXPECT_EQ(link.port, harness_->wire_port());
  EXPECT_EQ(l.core.action[AC_ACT_ANSWER], 1u);
  EXPECT_EQ(l.core.pass[pass.reason], 1u);
  EXPECT_EQ(l.datapath.rx_packets, 2u);
  EXPECT_EQ(l.loops, 1u);
  bool found = false;
  for (std::uint32_t i = 0; i < head.xstats; ++i) {
    ch::Xstat x{};
    std::memcpy(&x, m.payload.data() + sizeof head + sizeof l + sizeof link + i * sizeof x, sizeof x);
    EXPECT_EQ(x.port, harness_->wire_port());
    if (ch::text_of(x.name) == "rx_good_packets") {
      found = true;
      EXPECT_EQ(x.value, 2u);
    }
  }
  EXPECT_TRUE(found) << "the port's xstats carry rx_good_packets";
  // The per-VIP counters, only entries that counted: the answer's VIP has one answer.
  std::uint64_t answers = 0;
  for (std::uint32_t i = 0; i < head.vips; ++i) {
    ch::VipStats v{};
    std::memcpy(&v, m.payload.data() + m.payload.size() - (head.vips - i) * sizeof v, sizeof v);
    EXPECT_LT(v.entry, AC_VIP_STATS_ENTRIES);
    EXPECT_NE(v.stats.action[AC_ACT_ANSWER] + v.stats.action[AC_ACT_PASS] + v.stats.action[AC_ACT_DROP], 0u)
        << "entry " << v.entry << " counted nothing, yet is sent";
    answers += v.stats.action[AC_ACT_ANSWER];
  }
  EXPECT_GE(head.vips, 1u);
  EXPECT_EQ(answers, 1u);
  harness_->to_wire();
  harness_->to_kernel();
}

TEST_F(ChannelServerTest, UnknownAndMisdirectedRequestsGetAnError) {
  ch::Message m = ask(static_cast<ch::Type>(99), "x", 1);
  EXPECT_EQ(m.type, ch::Type::error);
  EXPECT_NE(text(m).find("unknown request type 99"), std::string::npos) << text(m);
  m = ask(ch::Type::ok, nullptr, 0);  // a reply type sent as a request
  EXPECT_EQ(m.type, ch::Type::error);
  // Still serving.
  EXPECT_EQ(ask(ch::Type::stats, nullptr, 0).type, ch::Type::stats_reply);
}

// Captures (docs/capture.md): stop says whether one ran (what an adopting anycastd asks), start
// switches the workers' copy on, read hands over the worker's frames byte for byte with the
// count it lost since the start, and after stop a read says no capture runs.
TEST_F(ChannelServerTest, CaptureStartReadStop) {
  auto stopped = [this] {
    ch::Message m = ask(ch::Type::capture_stop, nullptr, 0);
    EXPECT_EQ(m.type, ch::Type::capture_stopped);
    ch::CaptureStopped s{};
    EXPECT_EQ(m.payload.size(), sizeof s);
    std::memcpy(&s, m.payload.data(), std::min(sizeof s, m.payload.size()));
    return s.was_on;
  };
  auto read = [this] {
    ch::Message m = ask(ch::Type::capture_read, nullptr, 0);
    EXPECT_EQ(m.type, ch::Type::capture_frames);
    payload_ = m.payload;
    return ch::decode_capture_frames(payload_);
  };
  EXPECT_EQ(stopped(), 0u);
  EXPECT_EQ(read().head.on, 0u);
  ASSERT_EQ(send_tables(ch::encode_tables(make_tables("default"))).type, ch::Type::ok);
  const Vector& answer = row(AC_ACT_ANSWER, "default");

  // A frame copied before the capture starts is not the capture's: the ring is emptied.
  ac_capture_config on{};
  on.flags = AC_CAPTURE_F_ON;
  EXPECT_EQ(ask(ch::Type::capture_start, &on, sizeof on).type, ch::Type::ok);
  ASSERT_TRUE(harness_->from_wire(answer.request));
  dpdk::worker_poll(harness_->worker());
  EXPECT_EQ(ask(ch::Type::capture_start, &on, sizeof on).type, ch::Type::ok);
  EXPECT_EQ(read().frames.size(), 0u);

  for (unsigned i = 0; i < dpdk::kCaptureSlots; ++i) {  // 2 frames each: half of them lost
    ASSERT_TRUE(harness_->from_wire(answer.request));
    dpdk::worker_poll(harness_->worker());
    harness_->to_wire();
  }
  ch::CaptureFrames got = read();
  EXPECT_EQ(got.head.on, 1u);
  EXPECT_EQ(got.head.lost, dpdk::kCaptureSlots);
  ASSERT_EQ(got.frames.size(), dpdk::kCaptureSlots) << "one reply holds a whole ring of small frames";
  EXPECT_EQ(got.frames[0].meta.kind, AC_CAPTURE_REQUEST);
  EXPECT_TRUE(Bytes(got.frames[0].bytes, got.frames[0].bytes + got.frames[0].meta.len) == answer.request);
  EXPECT_EQ(got.frames[1].meta.kind, AC_CAPTURE_ANSWER);
  EXPECT_TRUE(Bytes(got.frames[1].bytes, got.frames[1].bytes + got.frames[1].meta.len) == answer.reply);
  EXPECT_EQ(read().frames.size(), 0u) << "read once";

  EXPECT_EQ(stopped(), 1u);
  ASSERT_TRUE(harness_->from_wire(answer.request));
  dpdk::worker_poll(harness_->worker());
  EXPECT_EQ(harness_->worker().capture->front(), nullptr) << "stopped: nothing copied";
  EXPECT_EQ(read().head.on, 0u);

  // A new capture counts its own losses only.
  EXPECT_EQ(ask(ch::Type::capture_start, &on, sizeof on).type, ch::Type::ok);
  EXPECT_EQ(read().head.lost, 0u);
  EXPECT_EQ(ask(ch::Type::capture_start, "x", 1).type, ch::Type::error);
  ac_capture_config off{};
  EXPECT_EQ(ask(ch::Type::capture_start, &off, sizeof off).type, ch::Type::error);
  harness_->to_wire();
}

TEST_F(ChannelServerTest, ClosedPeerEndsServing) {
  control_.reset();
  std::string note;
  EXPECT_EQ(server_->serve_one(1000ms, note), dpdk::ChannelServer::Result::closed);
}

// Telemetry: EAL's own socket, our command, the same names as the XDP counters.
std::string telemetry_query(const std::string& command) {
  std::string path = "/var/run/dpdk/" + eal_file_prefix() + "/dpdk_telemetry.v2";
  posix_io::UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return "connect " + path + ": " + std::strerror(errno);
  char buffer[16384];
  if (recv(fd.get(), buffer, sizeof buffer, 0) <= 0) return "no greeting";
  if (send(fd.get(), command.data(), command.size(), 0) < 0) return "send failed";
  ssize_t n = recv(fd.get(), buffer, sizeof buffer, 0);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "no reply";
}

TEST_F(ChannelServerTest, TelemetryServesSummedCounters) {
  ASSERT_EQ(send_tables(ch::encode_tables(make_tables("default"))).type, ch::Type::ok);
  dpdk::TelemetryStats telemetry({&harness_->worker()});
  const Vector& answer = row(AC_ACT_ANSWER, "default");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(harness_->from_wire(answer.request));
  dpdk::worker_poll(harness_->worker());
  std::string json = telemetry_query("/anycastd/stats");
  json.erase(std::remove(json.begin(), json.end(), ' '), json.end());
  EXPECT_NE(json.find("\"action/answer\":3"), std::string::npos) << json;
  EXPECT_NE(json.find("\"pass/not_vip\":0"), std::string::npos) << json;
  EXPECT_NE(json.find("\"datapath/tx_answers\":3"), std::string::npos) << json;
  EXPECT_NE(json.find("\"loops\":1"), std::string::npos) << json;
  harness_->to_wire();
}

}  // namespace
}  // namespace anycastd::test
