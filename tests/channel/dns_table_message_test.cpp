// SPDX-License-Identifier: Apache-2.0
// The DNS answer table on the channel: the image's header checks (what keeps a datapath that
// trusts the header inside the mapping) and the dns_table message carrying it in a sealed memfd.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "channel.h"
#include "dns_test_image.h"

namespace anycastd {
namespace {

using namespace std::chrono_literals;

std::string problem(const std::vector<std::uint8_t>& image) {
  return channel::dns_table_problem(image.data(), image.size());
}

TEST(DnsTableImage, AcceptsAWellFormedImage) { EXPECT_EQ(problem(test::dns_test_image(7)), ""); }

TEST(DnsTableImage, RejectsDamageNamingIt) {
  const std::vector<std::uint8_t> good = test::dns_test_image(7);
  auto damaged = [&](auto change) {
    std::vector<std::uint8_t> image = good;
    change(test::dns_test_header(image), image);
    return problem(image);
  };
  using H = ac_dns_table;
  using V = std::vector<std::uint8_t>;
  EXPECT_NE(problem({1, 2, 3}).find("3 bytes is shorter than its header"), std::string::npos);
  EXPECT_NE(damaged([](H& h, V&) { h.magic = 0x31534e45; }).find("not a DNS table image"), std::string::npos);
  EXPECT_NE(damaged([](H& h, V&) { h.version = 1; }).find("version 1, this build reads 4"), std::string::npos);
  EXPECT_NE(damaged([](H& h, V&) { h.slot_count = 3; }).find("slot_count 3 is not a power of two"), std::string::npos);
  EXPECT_NE(damaged([](H& h, V&) { h.slot_count = 0; }).find("slot_count 0"), std::string::npos);
  EXPECT_NE(damaged([](H& h, V&) { h.entry_count = 3; }).find("3 entries in 4 slots"), std::string::npos);
  EXPECT_NE(damaged([](H& h, V&) { h.slot_count = 1u << 20; h.entry_count = 1; })
                .find("the slots (33554432 bytes at 64) lie outside its 8192 bytes"),
            std::string::npos);
  EXPECT_NE(damaged([](H& h, V&) { h.slots = 8; }).find("the slots (128 bytes at 8)"), std::string::npos)
      << "inside the header";
  EXPECT_NE(damaged([](H& h, V&) { h.zones = 8190; }).find("the zones are misaligned"), std::string::npos);
  EXPECT_NE(damaged([](H& h, V&) { h.zones = 8188; }).find("the zones (24 bytes at 8188)"), std::string::npos);
  EXPECT_NE(damaged([](H& h, V&) { h.zone_count = 2000; }).find("the zones (48000 bytes at 192)"), std::string::npos);
  EXPECT_NE(damaged([](H& h, V&) { h.arena = 100; }).find("not laid out in whole chunks"), std::string::npos);
  EXPECT_NE(damaged([](H& h, V&) { h.arena_size = 2 * AC_DNS_CHUNK; }).find("the arena (8192 bytes at 4096)"),
            std::string::npos);
  EXPECT_NE(damaged([](H&, V& image) { image.resize(image.size() - 1); }).find("the arena"), std::string::npos)
      << "cut short";
}

TEST(DnsTableMessage, CarriesTheImageInASealedMemfd) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  posix_io::UniqueFd control(sv[0]), datapath(sv[1]);
  const std::vector<std::uint8_t> image = test::dns_test_image(2024010101);
  posix_io::UniqueFd memfd = channel::memfd_with(image, "anycastd-dns");
  ASSERT_EQ(channel::send_message(control.get(), channel::Type::dns_table, 9, nullptr, 0, memfd.get()), "");
  std::string error;
  auto m = channel::receive_message(datapath.get(), posix_io::deadline_in(1s), error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->type, channel::Type::dns_table);
  EXPECT_EQ(static_cast<unsigned>(m->type), 10u) << "the wire value is part of the protocol";
  EXPECT_EQ(m->sequence, 9u);
  EXPECT_TRUE(m->payload.empty());
  ASSERT_TRUE(m->fd);
  EXPECT_EQ(channel::read_memfd(m->fd.get()), image);
  EXPECT_LT(write(m->fd.get(), "x", 1), 0) << "sealed against writes on the receiving side too";
  EXPECT_GE(channel::kVersion, 3) << "dns_table came with channel version 3";
}

}  // namespace
}  // namespace anycastd
