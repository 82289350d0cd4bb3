// SPDX-License-Identifier: Apache-2.0
// The netdev family's answers as the kernel lays them out, written byte by byte (little-endian,
// this machine's order), and what the parser makes of them, whole and broken.
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "nic/netdev_family.h"
#include "nic/netlink_attributes.h"
#include "nic/xdp_features.h"

namespace anycastd::nic {
namespace {

using Bytes = std::vector<std::uint8_t>;

void append(Bytes& b, std::initializer_list<int> bytes) {
  for (int v : bytes) b.push_back(static_cast<std::uint8_t>(v));
}

// nlmsghdr (16 bytes) + genlmsghdr (4) + `attributes`; the length field counts them all.
Bytes message(std::uint8_t command, const Bytes& attributes, std::uint16_t type = 0x20) {
  std::uint32_t len = 20 + static_cast<std::uint32_t>(attributes.size());
  Bytes b;
  append(b, {int(len & 0xff), int(len >> 8 & 0xff), 0, 0});  // nlmsg_len
  append(b, {type & 0xff, type >> 8, 0, 0});                  // nlmsg_type, nlmsg_flags
  append(b, {1, 0, 0, 0, 0, 0, 0, 0});                        // nlmsg_seq, nlmsg_pid
  append(b, {command, 1, 0, 0});                              // cmd, version, reserved
  b.insert(b.end(), attributes.begin(), attributes.end());
  return b;
}

// NETDEV_A_DEV_IFINDEX 7; NETDEV_A_DEV_PAD (empty, as nla_put_u64_64bit puts it);
// NETDEV_A_DEV_XDP_FEATURES 0x23 (basic, redirect, rx-sg); NETDEV_A_DEV_XDP_ZC_MAX_SEGS 1.
Bytes dev_attributes() {
  Bytes a;
  append(a, {8, 0, 1, 0, 7, 0, 0, 0});
  append(a, {4, 0, 2, 0});
  append(a, {12, 0, 3, 0, 0x23, 0, 0, 0, 0, 0, 0, 0});
  append(a, {8, 0, 4, 0, 1, 0, 0, 0});
  return a;
}

TEST(NetdevReply, ReadsFeaturesOfTheDevice) {
  XdpFeatures f = parse_dev_get_reply(message(1, dev_attributes()), 7);
  EXPECT_EQ(f.flags, 0x23u);
  ASSERT_TRUE(f.zc_max_segs.has_value());
  EXPECT_EQ(*f.zc_max_segs, 1u);
  EXPECT_FALSE(f.rx_metadata.has_value());
  EXPECT_EQ(xdp_feature_names(f.flags), (std::vector<std::string>{"basic", "redirect", "rx-sg"}));
}

TEST(NetdevReply, ReadsRxMetadataAndSkipsUnknownAttributes) {
  Bytes a = dev_attributes();
  append(a, {12, 0, 5, 0, 3, 0, 0, 0, 0, 0, 0, 0});  // rx metadata: timestamp, hash
  append(a, {5, 0, 99, 0, 0xee, 0, 0, 0});           // a newer kernel's attribute, padded
  XdpFeatures f = parse_dev_get_reply(message(1, a), 7);
  ASSERT_TRUE(f.rx_metadata.has_value());
  EXPECT_EQ(rx_metadata_names(*f.rx_metadata), (std::vector<std::string>{"timestamp", "hash"}));
}

TEST(NetdevReply, ZeroFeaturesIsAnAnswer) {
  Bytes a;
  append(a, {8, 0, 1, 0, 3, 0, 0, 0});
  append(a, {12, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  XdpFeatures f = parse_dev_get_reply(message(1, a), 3);
  EXPECT_EQ(f.flags, 0u);
  EXPECT_TRUE(xdp_feature_names(f.flags).empty());
}

void expect_format_error(const Bytes& bytes, int ifindex, const std::string& says) {
  try {
    parse_dev_get_reply(bytes, ifindex);
    ADD_FAILURE() << "parsed, expected an error saying " << says;
  } catch (const NetlinkFormatError& e) {
    EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
  }
}

TEST(NetdevReply, TruncatedMessagesAreErrors) {
  Bytes whole = message(1, dev_attributes());
  // Cut inside the last attribute: its length claims more than there is.
  Bytes cut(whole.begin(), whole.end() - 2);
  cut[0] = static_cast<std::uint8_t>(cut.size());
  expect_format_error(cut, 7, "attribute 4 at byte 24 claims 8 bytes, 6 left");
  // Cut inside an attribute header.
  Bytes header_cut(whole.begin(), whole.begin() + 20 + 8 + 4 + 2);
  header_cut[0] = static_cast<std::uint8_t>(header_cut.size());
  expect_format_error(header_cut, 7, "truncated attribute header at byte 12");
  // The message claims more bytes than were read.
  Bytes short_read(whole.begin(), whole.end() - 4);
  expect_format_error(short_read, 7, "message length 52 out of range (48 bytes)");
  // Shorter than its headers.
  expect_format_error(Bytes(whole.begin(), whole.begin() + 10), 7, "shorter than its headers");
}

TEST(NetdevReply, MalformedAttributesAreErrors) {
  Bytes a;
  append(a, {2, 0, 1, 0});  // a length below the attribute header's
  expect_format_error(message(1, a), 7, "claims 2 bytes");
  Bytes small;
  append(small, {8, 0, 1, 0, 7, 0, 0, 0});
  append(small, {8, 0, 3, 0, 0x23, 0, 0, 0});  // xdp-features of 4 bytes, not 8
  expect_format_error(message(1, small), 7, "attribute 3 has 4 bytes, expected 8");
}

TEST(NetdevReply, AnswersThatDoNotFitTheQuestionAreErrors) {
  expect_format_error(message(1, dev_attributes()), 8, "about ifindex 7, not 8");
  expect_format_error(message(2, dev_attributes()), 7, "answer to command 2, expected 1");
  Bytes no_features;
  append(no_features, {8, 0, 1, 0, 7, 0, 0, 0});
  expect_format_error(message(1, no_features), 7, "no xdp-features");
}

TEST(FamilyReply, ReadsTheId) {
  Bytes a;
  append(a, {11, 0, 2, 0, 'n', 'e', 't', 'd', 'e', 'v', 0, 0});  // CTRL_ATTR_FAMILY_NAME, padded
  append(a, {6, 0, 1, 0, 0x1d, 0x00, 0, 0});                      // CTRL_ATTR_FAMILY_ID 29, padded
  EXPECT_EQ(parse_family_reply(message(1, a, 0x10)), 29);
}

TEST(FamilyReply, WithoutAnIdIsAnError) {
  Bytes a;
  append(a, {11, 0, 2, 0, 'n', 'e', 't', 'd', 'e', 'v', 0, 0});
  EXPECT_THROW(parse_family_reply(message(1, a, 0x10)), NetlinkFormatError);
}

TEST(XdpFeatureNames, EveryKnownBitInOrderAndUnknownOnesByNumber) {
  EXPECT_EQ(xdp_feature_names(0x7f), (std::vector<std::string>{"basic", "redirect", "ndo-xmit", "xsk-zerocopy",
                                                               "hw-offload", "rx-sg", "ndo-xmit-sg"}));
  EXPECT_EQ(xdp_feature_names(0x81), (std::vector<std::string>{"basic", "bit 7"}));
  EXPECT_EQ(rx_metadata_names(0x4), (std::vector<std::string>{"vlan-tag"}));
}

// The live kernel, through the same path as a real query: a family that does not exist is what
// a kernel before 6.3 answers for "netdev".
TEST(LiveKernel, AMissingFamilyIsNotReported) {
  Reported<XdpFeatures> r = query_xdp_features(1, "acnic-nofamily");
  EXPECT_FALSE(r.value.has_value());
  EXPECT_EQ(r.why_not,
            "not reported: the kernel has no \"acnic-nofamily\" generic netlink family (Linux 6.3 and later "
            "report XDP features)");
}

TEST(LiveKernel, AnInterfaceThatIsNotThereIsNotReported) {
  Reported<XdpFeatures> r = query_xdp_features(0x7ffffff0);
  EXPECT_FALSE(r.value.has_value());
  EXPECT_EQ(r.why_not, "not reported: the interface is gone");
}

}  // namespace
}  // namespace anycastd::nic
