// SPDX-License-Identifier: Apache-2.0
#include "datapath/dpdk/exception_interface.h"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "netlink/netlink.h"

namespace anycastd {

void configure_exception_interface(NetlinkSocket& netlink, const std::string& name, const std::uint8_t (&mac)[6],
                                   const std::vector<Prefix>& addresses) {
  Interface itf = find_interface(name);
  auto fail = [&](const std::string& what, int err, const std::string& kernel) {
    throw std::runtime_error("exception interface " + name + ": " + what + ": " + std::strerror(-err) +
                             (kernel.empty() ? "" : " (" + kernel + ")"));
  };

  char buffer[512];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer);
  nlh->nlmsg_type = RTM_NEWLINK;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = itf.index;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  mnl_attr_put(nlh, IFLA_ADDRESS, sizeof mac, mac);
  std::string kernel;
  if (int err = netlink.request(nlh, &kernel); err < 0) fail("setting its MAC and bringing it up", err, kernel);

  for (const Prefix& a : addresses) {
    nlh = mnl_nlmsg_put_header(buffer);
    nlh->nlmsg_type = RTM_NEWADDR;
    nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = static_cast<std::uint8_t>(a.family == 4 ? AF_INET : AF_INET6);
    ifa->ifa_prefixlen = a.len;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = static_cast<std::uint32_t>(itf.index);
    mnl_attr_put(nlh, IFA_LOCAL, a.addr_bytes(), a.addr.data());
    mnl_attr_put(nlh, IFA_ADDRESS, a.addr_bytes(), a.addr.data());
    mnl_attr_put_u8(nlh, IFA_PROTO, kAnycastdProtocol);
    // The interface is new each time the datapath starts: the address must work at once, not
    // after duplicate address detection.
    if (a.family == 6) mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
    kernel.clear();
    if (int err = netlink.request(nlh, &kernel); err < 0) fail("adding " + a.str(), err, kernel);
  }
}

}  // namespace anycastd
