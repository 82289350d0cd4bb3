// SPDX-License-Identifier: Apache-2.0
#pragma once

// VIPs on the loopback, over rtnetlink. The kernel accepts a packet to a VIP only if the VIP is
// local: a host VIP (/32, /128) becomes an address on the loopback, a prefix VIP a `local` route
// in table local through the loopback (the kernel then owns every address in it). Whatever
// anycastd adds carries kAnycastdProtocol, so a restart after a crash can tell its own leftovers
// from what an operator put there.

#include <cstdint>
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

  // The address (any prefix length) or the local route (exactly this prefix) that a VIP would
  // collide with, or nullptr.
  const LoopbackEntry* find(const Prefix& vip) const;
  // Entries carrying kAnycastdProtocol.
  std::vector<LoopbackEntry> marked() const;
  const std::vector<LoopbackEntry>& entries() const { return entries_; }

 private:
  std::vector<LoopbackEntry> entries_;
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
                  const LoopbackSnapshot* existing = nullptr);
  ~LoopbackAddress();
  LoopbackAddress(LoopbackAddress&& other) noexcept;
  LoopbackAddress& operator=(LoopbackAddress&&) = delete;
  LoopbackAddress(const LoopbackAddress&) = delete;
  LoopbackAddress& operator=(const LoopbackAddress&) = delete;

  const Prefix& vip() const { return vip_; }
  Ownership ownership() const { return ownership_; }
  bool is_route() const { return !vip_.is_host(); }
  std::string describe() const;  // "192.0.2.10/32 (added)", "203.0.113.0/24 (local route, adopted)"

 private:
  int add(std::string* kernel_message);
  void remove() noexcept;

  NetlinkSocket* netlink_;
  Interface loopback_;
  Prefix vip_;
  Ownership ownership_ = Ownership::foreign;
};

}  // namespace anycastd
