// SPDX-License-Identifier: Apache-2.0
// The DNS answer table in the DPDK datapath: delivered over a real channel socket pair in a
// sealed memfd, mapped read-only and swapped into the TableStore (the old table staying when a
// new one is refused), read through the env hooks the packet core calls (dns_image.h over the
// mapping); and the frame resize hook on real mbufs of the port's pool, whose tailroom is what
// lets a DNS reply grow in place (docs/dns.md).

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

#include "channel_server.h"
#include "dns_test_image.h"
#include "eal_env.h"
#include "env.h"
#include "ring_harness.h"

namespace anycastd::test {
namespace {

namespace ch = channel;
using namespace std::chrono_literals;

class DpdkDnsTableTest : public testing::Test {
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

  ch::Message send_dns(int fd) {
    EXPECT_EQ(ch::send_message(control_.get(), ch::Type::dns_table, ++sequence_, nullptr, 0, fd), "");
    std::string note;
    EXPECT_EQ(server_->serve_one(1000ms, note), dpdk::ChannelServer::Result::answered) << note;
    std::string error;
    std::optional<ch::Message> reply;
    do reply = ch::receive_message(control_.get(), posix_io::deadline_in(1000ms), error);
    while (reply && reply->type == ch::Type::working);  // heartbeats of a slow swap
    EXPECT_TRUE(reply) << error;
    if (!reply) return {};
    EXPECT_EQ(reply->sequence, sequence_);
    return std::move(*reply);
  }

  // The env a worker builds for its burst, over what the store holds now.
  ac_env burst_env() {
    const dpdk::DnsTable* dns = harness_->store().dns();
    return ac_env{harness_->store().current(), 0, harness_->store().ntp(), dns ? dns->image() : nullptr,
                  nullptr, nullptr, nullptr};
  }

  // The serial the datapath answers with now (0 without a table).
  std::uint32_t serial() {
    ac_env env = burst_env();
    __u32 table = 0;
    if (!ac_env_dns_loaded(&env, &table)) return 0;
    const ac_dns_zone* zone = ac_env_dns_zone(&env, 0);
    return zone ? zone->serial : 0;
  }

  posix_io::UniqueFd control_, datapath_;
  std::unique_ptr<RingHarness> harness_;
  std::unique_ptr<dpdk::ChannelServer> server_;
  std::uint32_t sequence_ = 0;
};

std::string text(const ch::Message& m) { return std::string(m.payload.begin(), m.payload.end()); }

TEST_F(DpdkDnsTableTest, DeliveredSwappedAndReadThroughTheEnvHooks) {
  ac_env none = burst_env();
  __u32 table = 0;
  EXPECT_EQ(ac_env_dns_loaded(&none, &table), 0) << "no table until control sends one";

  const std::uint64_t seed = 0x0123456789abcdefull;
  posix_io::UniqueFd first = ch::memfd_with(dns_test_image(2024010101, seed), "anycastd-dns");
  ASSERT_EQ(send_dns(first.get()).type, ch::Type::ok);
  ac_env env = burst_env();
  ASSERT_EQ(ac_env_dns_loaded(&env, &table), 1);
  EXPECT_EQ(ac_env_dns_seed(&env), seed);
  ac_dns_key key = dns_test_key(seed);
  const ac_dns_entry* entry = ac_env_dns_entry(&env, &key);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->zone, 0);
  const ac_dns_answer* answer = ac_env_dns_answer(&env, entry->answer);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->ancount, 1);
  EXPECT_EQ(answer->size, sizeof kDnsTestRecords);
  const auto* records = reinterpret_cast<const std::uint8_t*>(answer) + sizeof(ac_dns_answer) + sizeof(ac_dns_cut);
  EXPECT_EQ(std::memcmp(records, kDnsTestRecords, sizeof kDnsTestRecords), 0);
  ac_dns_key aaaa = dns_test_key(seed, 28);
  EXPECT_EQ(ac_env_dns_entry(&env, &aaaa), nullptr);
  EXPECT_EQ(ac_env_dns_zone(&env, 1), nullptr);
  EXPECT_EQ(serial(), 2024010101u);

  // The datapath holds its own mapping: the sender's memfd may go.
  first.reset();
  posix_io::UniqueFd second = ch::memfd_with(dns_test_image(2024010102), "anycastd-dns");
  ASSERT_EQ(send_dns(second.get()).type, ch::Type::ok);
  EXPECT_EQ(serial(), 2024010102u);
}

TEST_F(DpdkDnsTableTest, RefusedTablesLeaveTheOldOne) {
  posix_io::UniqueFd good = ch::memfd_with(dns_test_image(7), "anycastd-dns");
  ASSERT_EQ(send_dns(good.get()).type, ch::Type::ok);

  ch::Message none = send_dns(-1);
  EXPECT_EQ(none.type, ch::Type::error);
  EXPECT_NE(text(none).find("DNS table refused, the previous one stays: no DNS table image attached"),
            std::string::npos)
      << text(none);

  // An unsealed memfd could be rewritten or truncated under the workers.
  std::vector<std::uint8_t> image = dns_test_image(8);
  posix_io::UniqueFd unsealed(memfd_create("unsealed", MFD_CLOEXEC));
  ASSERT_EQ(write(unsealed.get(), image.data(), image.size()), static_cast<ssize_t>(image.size()));
  ch::Message open = send_dns(unsealed.get());
  EXPECT_EQ(open.type, ch::Type::error);
  EXPECT_NE(text(open).find("not sealed against writing and shrinking"), std::string::npos) << text(open);

  std::vector<std::uint8_t> damaged = dns_test_image(9);
  dns_test_header(damaged).slot_count = 6;
  posix_io::UniqueFd bad = ch::memfd_with(damaged, "anycastd-dns");
  ch::Message refused = send_dns(bad.get());
  EXPECT_EQ(refused.type, ch::Type::error);
  EXPECT_NE(text(refused).find("slot_count 6 is not a power of two"), std::string::npos) << text(refused);

  EXPECT_EQ(serial(), 7u) << "every refusal kept the table in use";
}

// A reply frame is at most Ethernet + two VLAN tags + IPv6 + UDP + our EDNS UDP size.
constexpr std::uint32_t kLargestDnsReplyFrame = 14 + 8 + 40 + 8 + AC_DNS_UDP_SIZE;

TEST_F(DpdkDnsTableTest, ResizeGrowsAndTrimsTheMbufWithinItsTailroom) {
  // The port's pool (dpdk::Mempool, as port.cpp makes it for the wire).
  rte_mempool* pool = harness_->pool();
  const std::uint32_t room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
  EXPECT_GE(room, kLargestDnsReplyFrame) << "every DNS reply fits one mbuf of the port's pool";

  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  ASSERT_NE(m, nullptr);
  const std::uint16_t query = 82;  // an IPv4 query with EDNS for a short name
  ASSERT_NE(rte_pktmbuf_append(m, query), nullptr);
  const std::uint16_t tailroom = rte_pktmbuf_tailroom(m);
  EXPECT_EQ(tailroom, room - query);

  ac_env env{harness_->store().current(), 0, {}, nullptr, m, nullptr, nullptr};
  std::uint8_t* data = rte_pktmbuf_mtod(m, std::uint8_t*);
  std::uint8_t* end = data + query;
  ASSERT_EQ(ac_env_resize(&env, tailroom, &data, &end), 0);
  EXPECT_EQ(end - data, query + tailroom);
  EXPECT_EQ(m->data_len, query + tailroom);
  EXPECT_EQ(m->pkt_len, static_cast<std::uint32_t>(query + tailroom));
  EXPECT_EQ(data, rte_pktmbuf_mtod(m, std::uint8_t*)) << "the frame's start stays";
  EXPECT_EQ(ac_env_resize(&env, 1, &data, &end), -1) << "no tailroom left";
  EXPECT_EQ(m->data_len, query + tailroom) << "a failed resize changes nothing";

  ASSERT_EQ(ac_env_resize(&env, -tailroom - 30, &data, &end), 0);
  EXPECT_EQ(m->data_len, query - 30);
  EXPECT_EQ(end - data, query - 30);
  EXPECT_EQ(ac_env_resize(&env, -(query - 30) - 1, &data, &end), -1) << "cannot trim below nothing";
  rte_pktmbuf_free(m);

  // The probe's plain buffer: up to its room, and its end follows.
  std::uint8_t buffer[100] = {};
  ac_env probe{harness_->store().current(), 0, {}, nullptr, nullptr, buffer + 60, buffer + sizeof buffer};
  data = buffer;
  end = buffer + 60;
  EXPECT_EQ(ac_env_resize(&probe, 41, &data, &end), -1);
  ASSERT_EQ(ac_env_resize(&probe, 40, &data, &end), 0);
  EXPECT_EQ(probe.frame_end, buffer + 100);
  ASSERT_EQ(ac_env_resize(&probe, -70, &data, &end), 0);
  EXPECT_EQ(end, buffer + 30);
  EXPECT_EQ(probe.frame_end, buffer + 30);
}

}  // namespace
}  // namespace anycastd::test
