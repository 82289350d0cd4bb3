// SPDX-License-Identifier: Apache-2.0
#pragma once

// VIPs on the loopback, over rtnetlink. The kernel accepts a packet to a VIP only if the VIP is
// local: a prefix VIP becomes a `local` route in table local through the loopback (the kernel then
// owns every address in it), a host VIP (/32, /128) an address on the loopback or, in the form
// HostVipForm::local_route, a host-length `local` route like a prefix VIP's. Whatever
// anycastd adds carries kAnycastdProtocol, so a restart after a crash can tell its own leftovers
// from what an operator put there.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "netlink/netlink_socket.h"
#include "base/prefix.h"

namespace anycastd {

// IFA_PROTO of our addresses and rtm_protocol of our routes: 0xac ("anycast"). Addresses use
// 0-3 for the kernel's own (linux/if_addr.h); iproute2's /etc/iproute2/rt_protos names route
// protocols up to 192 and leaves 172 unnamed. `ip addr show proto 0xac` and
// `ip route show table local proto 0xac` list exactly what anycastd added.
inline constexpr std::uint8_t kAnycastdProtocol = 0xac;

// How a host VIP is made local. Both accept packets to the VIP and answer ICMP from it; they
// differ in what else sees them and in what they cost:
//  - address: on the loopback's address list, where `ip addr`, BIRD's `protocol direct` and
//    bind() without IP(V6)_FREEBIND see it. The kernel's per-device address list costs more per
//    address as it grows: 65,536 IPv6 addresses take over 10 minutes to add.
//  - local_route: a host-length `local` route in table local through the loopback, the form
//    of a prefix VIP: its cost does not grow with the table. IPv4 binds as to an address; IPv6
//    needs IPV6_FREEBIND (or net.ipv6.ip_nonlocal_bind), and routing daemons do not see it.
enum class HostVipForm { address, local_route };

struct Interface {
  std::string name;
  int index = 0;
};

// Throws std::runtime_error("interface \"NAME\" not found") when there is no such interface.
Interface find_interface(const std::string& name);

// What is on the loopback now: its addresses and the local routes in table local.
struct LoopbackEntry {
  Prefix prefix;             // an address keeps its host bits: 192.0.2.10/24 stays so
  std::uint8_t protocol = 0;  // IFA_PROTO or rtm_protocol
  bool is_route = false;
};

class LoopbackSnapshot {
 public:
  // One dump of each; throws std::runtime_error.
  static LoopbackSnapshot take(NetlinkSocket& netlink, const Interface& loopback);

  // What a VIP would collide with, or nullptr. A prefix VIP: the local route of exactly that
  // prefix. A host VIP: an address on the loopback with its address (any prefix length), else a
  // host-length local route to it: any in the form local_route (the kernel refuses a second),
  // only a marked one in the form address (ours, from an instance that used routes: adopted).
  // Indexed: a lookup is a binary search, not a scan (65,536 VIPs against 65,536 entries).
  const LoopbackEntry* find(const Prefix& vip, HostVipForm form = HostVipForm::address) const;
  // Entries carrying kAnycastdProtocol.
  std::vector<LoopbackEntry> marked() const;
  const std::vector<LoopbackEntry>& entries() const { return entries_; }

 private:
  void index();

  std::vector<LoopbackEntry> entries_;
  std::vector<std::size_t> by_address_;  // entries_ sorted by family and address, addresses first
};

enum class Ownership {
  added,    // anycastd put it there now
  adopted,  // it was there with our marker: a restart in place, or an anycastd that crashed
  foreign,  // it was there without our marker: an operator's, never removed
};
std::string_view to_string(Ownership ownership);

// One VIP made local on the loopback for as long as the object lives. Removed on destruction
// if anycastd owns it (added or adopted); a foreign one is left alone.
class LoopbackAddress {
 public:
  // `netlink` must outlive the object. `existing` is what is on the loopback now (one snapshot
  // for many VIPs saves a dump per VIP); without it, the constructor takes its own.
  // Throws std::runtime_error naming the VIP, the interface and the reason.
  LoopbackAddress(NetlinkSocket& netlink, const Interface& loopback, const Prefix& vip,
                  const LoopbackSnapshot* existing = nullptr, HostVipForm form = HostVipForm::address);

  // Many VIPs at once, pipelined (NetlinkSocket::request_all): what a set of 65,536 needs, where
  // one round trip per VIP would cost seconds. All or none: on failure, or when `keep_going`
  // says stop between windows, what this call added is removed again and std::runtime_error
  // says why (for a stop: "stopped after N of M"). A VIP already there is adopted or left
  // alone, as by the constructor.
  static std::vector<LoopbackAddress> add_all(NetlinkSocket& netlink, const Interface& loopback,
                                              const std::vector<Prefix>& vips, const LoopbackSnapshot& existing,
                                              HostVipForm form, const std::function<bool()>& keep_going = {});
  // Removes every one anycastd owns, pipelined, and leaves them all foreign (their destruction
  // does nothing more). Logs what it could not remove.
  static void remove_all(std::vector<LoopbackAddress>& all) noexcept;
  ~LoopbackAddress();
  LoopbackAddress(LoopbackAddress&& other) noexcept;
  LoopbackAddress& operator=(LoopbackAddress&&) = delete;
  LoopbackAddress(const LoopbackAddress&) = delete;
  LoopbackAddress& operator=(const LoopbackAddress&) = delete;

  const Prefix& vip() const { return vip_; }
  Ownership ownership() const { return ownership_; }
  bool is_route() const { return route_; }
  std::string describe() const;  // "192.0.2.10/32 (added)", "203.0.113.0/24 (local route, adopted)"

 private:
  LoopbackAddress(NetlinkSocket& netlink, const Interface& loopback, const Prefix& vip, bool route,
                  Ownership ownership)
      : netlink_(&netlink), loopback_(loopback), vip_(vip), route_(route), ownership_(ownership) {}
  // Takes what is found for the VIP: adopted when it is ours in full, foreign otherwise.
  void take_over(const LoopbackEntry& found);
  void put_add(nlmsghdr* nlh) const;
  void put_remove(nlmsghdr* nlh) const;
  int add(std::string* kernel_message);
  void remove() noexcept;
  // The answer to put_remove's request, logged.
  void log_removal(int rc, const std::string& kernel_message) const;

  NetlinkSocket* netlink_;
  Interface loopback_;
  Prefix vip_;
  bool route_;  // a local route (a prefix VIP, or a host VIP in that form), not an address
  Ownership ownership_ = Ownership::foreign;
};

}  // namespace anycastd
