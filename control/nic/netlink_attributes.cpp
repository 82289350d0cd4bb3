// SPDX-License-Identifier: Apache-2.0
#include "nic/netlink_attributes.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace anycastd::nic {
namespace {

template <class T>
T read_exact(const Attribute& a) {
  if (a.payload.size() != sizeof(T))
    throw NetlinkFormatError("attribute " + std::to_string(a.type) + " has " + std::to_string(a.payload.size()) +
                             " bytes, expected " + std::to_string(sizeof(T)));
  T v;
  std::memcpy(&v, a.payload.data(), sizeof v);
  return v;
}

}  // namespace

std::uint16_t Attribute::u16() const { return read_exact<std::uint16_t>(*this); }
std::uint32_t Attribute::u32() const { return read_exact<std::uint32_t>(*this); }
std::uint64_t Attribute::u64() const { return read_exact<std::uint64_t>(*this); }

std::vector<Attribute> parse_attributes(std::span<const std::uint8_t> bytes) {
  std::vector<Attribute> out;
  std::size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < sizeof(nlattr))
      throw NetlinkFormatError("truncated attribute header at byte " + std::to_string(at));
    nlattr header;
    std::memcpy(&header, bytes.data() + at, sizeof header);
    if (header.nla_len < sizeof(nlattr) || header.nla_len > bytes.size() - at)
      throw NetlinkFormatError("attribute " + std::to_string(header.nla_type & NLA_TYPE_MASK) + " at byte " +
                               std::to_string(at) + " claims " + std::to_string(header.nla_len) + " bytes, " +
                               std::to_string(bytes.size() - at) + " left");
    out.push_back({static_cast<std::uint16_t>(header.nla_type & NLA_TYPE_MASK),
                   bytes.subspan(at + sizeof(nlattr), header.nla_len - sizeof(nlattr))});
    // The last attribute may end without its padding.
    at += std::min<std::size_t>(NLA_ALIGN(header.nla_len), bytes.size() - at);
  }
  return out;
}

std::vector<Attribute> genl_attributes(std::span<const std::uint8_t> message, std::uint8_t command) {
  constexpr std::size_t kHeaders = NLMSG_HDRLEN + GENL_HDRLEN;
  if (message.size() < kHeaders)
    throw NetlinkFormatError("message of " + std::to_string(message.size()) + " bytes, shorter than its headers");
  nlmsghdr header;
  std::memcpy(&header, message.data(), sizeof header);
  if (header.nlmsg_len < kHeaders || header.nlmsg_len > message.size())
    throw NetlinkFormatError("message length " + std::to_string(header.nlmsg_len) + " out of range (" +
                             std::to_string(message.size()) + " bytes)");
  genlmsghdr genl;
  std::memcpy(&genl, message.data() + NLMSG_HDRLEN, sizeof genl);
  if (genl.cmd != command)
    throw NetlinkFormatError("answer to command " + std::to_string(genl.cmd) + ", expected " + std::to_string(command));
  return parse_attributes(message.subspan(kHeaders, header.nlmsg_len - kHeaders));
}

}  // namespace anycastd::nic
