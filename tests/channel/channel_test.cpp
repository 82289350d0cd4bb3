// SPDX-License-Identifier: Apache-2.0
// The control <-> datapath channel: the table image round-trips and rejects damage, messages
// carry their payload and descriptor, and control's client matches replies to requests.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "channel.h"
#include "datapath/dpdk/channel_client.h"
#include "test_tables.h"

namespace anycastd {
namespace {

using namespace std::chrono_literals;

struct Pair {
  posix_io::UniqueFd control, datapath;
  Pair() {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    control = posix_io::UniqueFd(sv[0]);
    datapath = posix_io::UniqueFd(sv[1]);
  }
};

bool same_tables(const FastpathTables& a, const FastpathTables& b) {
  if (a.answering != b.answering || a.vips.size() != b.vips.size() || a.allow.size() != b.allow.size()) return false;
  for (std::size_t i = 0; i < a.vips.size(); ++i)
    if (a.vips[i].prefix != b.vips[i].prefix || std::memcmp(&a.vips[i].value, &b.vips[i].value, sizeof(ac_vip_value)))
      return false;
  for (std::size_t i = 0; i < a.allow.size(); ++i)
    if (a.allow[i].service != b.allow[i].service || a.allow[i].source != b.allow[i].source) return false;
  if (std::memcmp(a.ratelimit.data(), b.ratelimit.data(), sizeof a.ratelimit)) return false;
  if (a.ports.size() != b.ports.size()) return false;
  for (const auto& [port, value] : a.ports) {
    auto it = b.ports.find(port);
    if (it == b.ports.end() || std::memcmp(&it->second, &value, sizeof value)) return false;
  }
  return true;
}

TEST(TableImage, RoundTripsEveryTestTableSet) {
  for (std::string_view name : test::kTableNames) {
    FastpathTables t = test::make_tables(name);
    std::vector<std::uint8_t> image = channel::encode_tables(t);
    EXPECT_TRUE(same_tables(channel::decode_tables(image.data(), image.size()), t)) << name;
  }
}

TEST(TableImage, RejectsDamage) {
  std::vector<std::uint8_t> image = channel::encode_tables(test::make_tables("echo_allow"));
  auto error_of = [](std::vector<std::uint8_t> bytes) {
    try {
      channel::decode_tables(bytes.data(), bytes.size());
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("(decoded)");
  };
  EXPECT_NE(error_of({1, 2, 3}).find("truncated"), std::string::npos);
  auto bad_magic = image;
  bad_magic[0] ^= 0xff;
  EXPECT_NE(error_of(bad_magic).find("not a table image"), std::string::npos);
  auto short_by_one = image;
  short_by_one.pop_back();
  EXPECT_NE(error_of(short_by_one).find("its counts say"), std::string::npos);
  auto bad_family = image;
  // The first VIP record's family, after the seven-word header and the services' rate limiters.
  bad_family[28 + AC_SVC__COUNT * sizeof(ac_ratelimit_config)] = 5;
  EXPECT_NE(error_of(bad_family).find("vip 0: family 5"), std::string::npos) << error_of(bad_family);
  // A fresh per-VIP counter entry must be one a VIP can have (the last word of the image).
  FastpathTables fresh = test::make_tables("default");
  fresh.vip_stats_fresh = {3};
  auto bad_fresh = channel::encode_tables(fresh);
  const std::uint32_t other = AC_VIP_STATS_OTHER;
  std::memcpy(bad_fresh.data() + bad_fresh.size() - 4, &other, 4);
  EXPECT_NE(error_of(bad_fresh).find("fresh VIP counter entry 2048"), std::string::npos) << error_of(bad_fresh);
}

TEST(TableImage, CarriesTheFreshVipCounterEntries) {
  FastpathTables t = test::make_tables("default");
  t.vip_stats_fresh = {0, 7, 1500};
  std::vector<std::uint8_t> image = channel::encode_tables(t);
  FastpathTables back = channel::decode_tables(image.data(), image.size());
  EXPECT_TRUE(same_tables(back, t));
  EXPECT_EQ(back.vip_stats_fresh, (std::vector<std::uint32_t>{0, 7, 1500}));
}

TEST(TableImage, TravelsInASealedMemfd) {
  std::vector<std::uint8_t> image = channel::encode_tables(test::make_tables("default"));
  posix_io::UniqueFd fd = channel::memfd_with(image);
  EXPECT_EQ(channel::read_memfd(fd.get()), image);
  EXPECT_LT(write(fd.get(), "x", 1), 0) << "sealed against writes";
}

TEST(Messages, CarryPayloadAndDescriptor) {
  Pair p;
  posix_io::UniqueFd memfd = channel::memfd_with({1, 2, 3});
  const char text[] = "hello";
  ASSERT_EQ(channel::send_message(p.control.get(), channel::Type::tables, 7, text, sizeof text, memfd.get()), "");
  std::string error;
  auto m = channel::receive_message(p.datapath.get(), posix_io::deadline_in(1s), error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->type, channel::Type::tables);
  EXPECT_EQ(m->sequence, 7u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(m->payload.data())), "hello");
  ASSERT_TRUE(m->fd);
  EXPECT_EQ(channel::read_memfd(m->fd.get()), (std::vector<std::uint8_t>{1, 2, 3}));
}

TEST(Messages, RejectsForeignDatagramsAndReportsClose) {
  Pair p;
  std::string error;
  ASSERT_EQ(send(p.control.get(), "junk", 4, 0), 4);
  EXPECT_FALSE(channel::receive_message(p.datapath.get(), posix_io::deadline_in(1s), error));
  EXPECT_NE(error.find("4 bytes is no channel message"), std::string::npos) << error;

  channel::Header other{channel::kMagic, channel::kVersion + 1, 1, 1, 0};
  ASSERT_EQ(send(p.control.get(), &other, sizeof other, 0), static_cast<ssize_t>(sizeof other));
  EXPECT_FALSE(channel::receive_message(p.datapath.get(), posix_io::deadline_in(1s), error));
  EXPECT_NE(error.find("does not match anycastd"), std::string::npos) << error;

  EXPECT_FALSE(channel::receive_message(p.datapath.get(), posix_io::deadline_in(50ms), error));
  EXPECT_EQ(error, "timed out");
  p.control.reset();
  EXPECT_FALSE(channel::receive_message(p.datapath.get(), posix_io::deadline_in(1s), error));
  EXPECT_EQ(error, "closed");
}

TEST(ChannelClientTest, MatchesRepliesAndSkipsLateOnes) {
  Pair p;
  ChannelClient client;
  client.attach(std::move(p.control));
  std::thread datapath([fd = p.datapath.get()] {
    std::string error;
    auto first = channel::receive_message(fd, posix_io::deadline_in(5s), error);
    // A late reply to a request nobody waits for any more, then the real one.
    channel::send_message(fd, channel::Type::ok, first->sequence - 1, nullptr, 0);
    channel::send_message(fd, channel::Type::stats_reply, first->sequence, "x", 1);
    auto second = channel::receive_message(fd, posix_io::deadline_in(5s), error);
    const char refusal[] = "vip table full";
    channel::send_message(fd, channel::Type::error, second->sequence, refusal, sizeof refusal - 1);
  });
  channel::Message reply = client.request(channel::Type::stats, nullptr, 0, 5s);
  EXPECT_EQ(reply.type, channel::Type::stats_reply);
  EXPECT_EQ(reply.payload, std::vector<std::uint8_t>{'x'});
  EXPECT_THROW(
      {
        try {
          client.request(channel::Type::stats, nullptr, 0, 5s);
        } catch (const ChannelRefused& e) {
          EXPECT_STREQ(e.what(), "vip table full");
          throw;
        }
      },
      ChannelRefused);
  datapath.join();
  EXPECT_THROW(client.request(channel::Type::stats, nullptr, 0, 100ms), ChannelError) << "nobody answers: times out";
  client.detach("killed");
  try {
    client.request(channel::Type::stats, nullptr, 0, 5s);
    ADD_FAILURE() << "a detached client must refuse at once";
  } catch (const ChannelError& e) {
    EXPECT_NE(std::string(e.what()).find("not running (killed)"), std::string::npos) << e.what();
  }
}

// A stand-in datapath that serves one request slowly: `beats` heartbeats, then `reply` (none if
// Type::hello), each heartbeat from `beat(i)`.
struct SlowDatapath {
  std::thread thread;
  template <typename Beat>
  SlowDatapath(int fd, int beats, channel::Type reply, Beat beat)
      : thread([=] {
          std::string error;
          auto request = channel::receive_message(fd, posix_io::deadline_in(5s), error);
          if (!request) return;
          for (int i = 0; i < beats; ++i) {
            std::vector<std::uint8_t> payload = beat(i);
            if (!channel::send_message(fd, channel::Type::working, request->sequence, payload.data(), payload.size())
                     .empty())
              return;  // the client gave up and closed the channel
            std::this_thread::sleep_for(10ms);
          }
          if (reply != channel::Type::hello) channel::send_message(fd, reply, request->sequence, nullptr, 0);
        }) {}
  ~SlowDatapath() { thread.join(); }
};

// A heartbeat: the serving thread's CPU time, then each worker (lcore 1, 2, ...) and its loops.
std::vector<std::uint8_t> heartbeat(std::uint64_t cpu, std::vector<std::uint64_t> loops) {
  channel::Working head{cpu, static_cast<std::uint32_t>(loops.size()), 0};
  std::vector<std::uint8_t> out(sizeof head + loops.size() * sizeof(channel::WorkerBeat));
  std::memcpy(out.data(), &head, sizeof head);
  for (std::size_t i = 0; i < loops.size(); ++i) {
    channel::WorkerBeat w{static_cast<std::uint32_t>(i + 1), 0, loops[i]};
    std::memcpy(out.data() + sizeof head + i * sizeof w, &w, sizeof w);
  }
  return out;
}

std::string stuck_error(ChannelClient& client) {
  try {
    client.request_while_alive(channel::Type::tables, nullptr, 0, 100ms);
  } catch (const ChannelRefused& e) {
    return std::string("refused: ") + e.what();
  } catch (const ChannelError& e) {
    return e.what();
  }
  return "(answered)";
}

// A request judged by the heartbeat: answered however long it takes while the serving thread runs
// and every worker polls (here 60 beats 10 ms apart against a 100 ms limit)...
TEST(ChannelClientTest, WaitsForASlowRequestWhileTheHeartbeatMoves) {
  Pair p;
  ChannelClient client;
  client.attach(std::move(p.control));
  {
    SlowDatapath datapath(p.datapath.get(), 60, channel::Type::ok, [](int i) {
      return heartbeat(1000u * static_cast<unsigned>(i), {7u + static_cast<unsigned>(i), 9u + static_cast<unsigned>(i)});
    });
    EXPECT_EQ(stuck_error(client), "(answered)");
  }
  // ... and a short request takes its reply past heartbeats too.
  SlowDatapath datapath(p.datapath.get(), 3, channel::Type::stats_reply, [](int i) {
    return heartbeat(static_cast<unsigned>(i), {static_cast<unsigned>(i)});
  });
  EXPECT_EQ(client.request(channel::Type::stats, nullptr, 0, 5s).type, channel::Type::stats_reply);
}

// ... and given up, naming what stood still, when a worker stops polling (a table swap waits for
// every worker), when the serving thread stops running, or when no heartbeat comes at all.
TEST(ChannelClientTest, GivesUpWhenTheHeartbeatStandsStill) {
  struct Case {
    const char* expected;
    std::vector<std::uint8_t> (*beat)(int);
  };
  const Case cases[] = {
      {"no progress for 100 ms (worker lcore 2 did not poll)",
       [](int i) { return heartbeat(static_cast<unsigned>(i), {static_cast<unsigned>(i), 5}); }},
      {"no progress for 100 ms (the thread serving the request did not run)",
       [](int i) { return heartbeat(42, {static_cast<unsigned>(i), static_cast<unsigned>(i)}); }},
  };
  for (const Case& c : cases) {
    Pair p;
    ChannelClient client;
    client.attach(std::move(p.control));
    std::string error;
    {
      SlowDatapath datapath(p.datapath.get(), 1000, channel::Type::ok, c.beat);
      error = stuck_error(client);
      client.detach("stuck");  // ends the stand-in's beats
    }
    EXPECT_NE(error.find(c.expected), std::string::npos) << error;
  }
  Pair p;
  ChannelClient client;
  client.attach(std::move(p.control));
  SlowDatapath silent(p.datapath.get(), 0, channel::Type::hello, [](int) { return std::vector<std::uint8_t>{}; });
  std::string error = stuck_error(client);
  EXPECT_NE(error.find("no progress for 100 ms (no heartbeat came)"), std::string::npos) << error;
}

}  // namespace
}  // namespace anycastd
