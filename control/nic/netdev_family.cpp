// SPDX-License-Identifier: Apache-2.0
#include "nic/netdev_family.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "nic/netlink_attributes.h"

namespace anycastd::nic {
namespace {

// include/uapi/linux/netdev.h (Linux 6.3+), absent from Debian 12's linux-libc-dev.
constexpr std::uint8_t kNetdevCmdDevGet = 1;
constexpr std::uint16_t kNetdevAttrIfindex = 1;
constexpr std::uint16_t kNetdevAttrXdpFeatures = 3;
constexpr std::uint16_t kNetdevAttrXdpZcMaxSegs = 4;
constexpr std::uint16_t kNetdevAttrXdpRxMetadataFeatures = 5;

std::span<const std::uint8_t> bytes_of(const nlmsghdr* nlh) {
  return {reinterpret_cast<const std::uint8_t*>(nlh), nlh->nlmsg_len};
}

// Sends a genl request and keeps its one answer; `error` gets the acknowledgement's (0 or -errno).
std::vector<std::uint8_t> ask(NetlinkSocket& genl, nlmsghdr* request, int* error) {
  std::vector<std::uint8_t> answer;
  *error = genl.query(request, [&](const nlmsghdr* reply) {
    std::span<const std::uint8_t> bytes = bytes_of(reply);
    answer.assign(bytes.begin(), bytes.end());
  });
  if (*error == 0 && answer.empty()) throw std::runtime_error("the kernel acknowledged without an answer");
  return answer;
}

nlmsghdr* put_genl_header(char* buffer, std::uint16_t family, std::uint8_t command, std::uint8_t version) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer);
  nlh->nlmsg_type = family;
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = command;
  genl->version = version;
  return nlh;
}

}  // namespace

std::uint16_t parse_family_reply(std::span<const std::uint8_t> message) {
  for (const Attribute& a : genl_attributes(message, CTRL_CMD_NEWFAMILY))
    if (a.type == CTRL_ATTR_FAMILY_ID) return a.u16();
  throw NetlinkFormatError("the family answer has no family id");
}

XdpFeatures parse_dev_get_reply(std::span<const std::uint8_t> message, int ifindex) {
  XdpFeatures features;
  std::optional<std::uint32_t> index;
  bool have_flags = false;
  for (const Attribute& a : genl_attributes(message, kNetdevCmdDevGet)) {
    switch (a.type) {
      case kNetdevAttrIfindex: index = a.u32(); break;
      case kNetdevAttrXdpFeatures:
        features.flags = a.u64();
        have_flags = true;
        break;
      case kNetdevAttrXdpZcMaxSegs: features.zc_max_segs = a.u32(); break;
      case kNetdevAttrXdpRxMetadataFeatures: features.rx_metadata = a.u64(); break;
      default: break;  // a newer kernel's attributes
    }
  }
  if (!index || *index != static_cast<std::uint32_t>(ifindex))
    throw NetlinkFormatError("the answer is about ifindex " + (index ? std::to_string(*index) : std::string("none")) +
                             ", not " + std::to_string(ifindex));
  if (!have_flags) throw NetlinkFormatError("the answer has no xdp-features");
  return features;
}

std::optional<std::uint16_t> resolve_family(NetlinkSocket& genl, std::string_view name) {
  alignas(nlmsghdr) char buffer[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = put_genl_header(buffer, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, std::string(name).c_str());
  int error = 0;
  std::vector<std::uint8_t> answer = ask(genl, nlh, &error);
  if (error == -ENOENT) return std::nullopt;
  if (error) throw std::runtime_error("resolving generic netlink family \"" + std::string(name) + "\": " +
                                      std::strerror(-error));
  return parse_family_reply(answer);
}

Reported<XdpFeatures> query_xdp_features(int ifindex, std::string_view family) {
  try {
    NetlinkSocket genl(NETLINK_GENERIC);
    std::optional<std::uint16_t> id = resolve_family(genl, family);
    if (!id)
      return Reported<XdpFeatures>::missing("not reported: the kernel has no \"" + std::string(family) +
                                            "\" generic netlink family (Linux 6.3 and later report XDP features)");
    alignas(nlmsghdr) char buffer[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = put_genl_header(buffer, *id, kNetdevCmdDevGet, 1);
    mnl_attr_put_u32(nlh, kNetdevAttrIfindex, static_cast<std::uint32_t>(ifindex));
    int error = 0;
    std::vector<std::uint8_t> answer = ask(genl, nlh, &error);
    if (error == -ENODEV) return Reported<XdpFeatures>::missing("not reported: the interface is gone");
    if (error) return Reported<XdpFeatures>::missing(std::string("not reported: ") + std::strerror(-error));
    return Reported<XdpFeatures>::of(parse_dev_get_reply(answer, ifindex));
  } catch (const std::exception& e) {
    return Reported<XdpFeatures>::missing(std::string("not reported: ") + e.what());
  }
}

}  // namespace anycastd::nic
