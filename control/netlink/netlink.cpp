// SPDX-License-Identifier: Apache-2.0
#include "netlink/netlink.h"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace anycastd {
namespace {

constexpr std::size_t kMessageSize = 512;  // one address or route request, with room to spare
// Up to this many VIPs a batch logs each one it adds or removes, as single ones are; past it, a
// line for the batch (65,536 lines say nothing one does not).
constexpr std::size_t kLoggedEach = 16;

int address_family(const Prefix& p) {
  return p.family == 4 ? AF_INET : AF_INET6;
}

bool same_address(const Prefix& a, const Prefix& b) {
  return a.family == b.family && std::memcmp(a.addr.data(), b.addr.data(), a.addr_bytes()) == 0;
}

std::string failure(std::string_view action, int rc, const std::string& kernel_message) {
  std::string text = std::string(action) + ": " + std::strerror(-rc);
  if (!kernel_message.empty()) text += " (kernel: " + kernel_message + ")";
  if (rc == -EPERM) text += "; anycastd needs CAP_NET_ADMIN";
  return text;
}

// Collects the attributes of one message that the snapshot needs, indexed by type.
struct Attributes {
  static constexpr int kMax = 32;
  const nlattr* by_type[kMax] = {};
};

int collect_attribute(const nlattr* attr, void* data) {
  int type = mnl_attr_get_type(attr);
  if (type < Attributes::kMax) static_cast<Attributes*>(data)->by_type[type] = attr;
  return MNL_CB_OK;
}

bool read_address(const nlattr* attr, int family, Prefix& into) {
  std::size_t size = family == AF_INET ? 4 : 16;
  if (!attr || mnl_attr_get_payload_len(attr) != size) return false;
  into.family = family == AF_INET ? 4 : 6;
  std::memcpy(into.addr.data(), mnl_attr_get_payload(attr), size);
  return true;
}

void snapshot_addresses(NetlinkSocket& netlink, const Interface& loopback, std::vector<LoopbackEntry>& out) {
  char buffer[kMessageSize];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer);
  nlh->nlmsg_type = RTM_GETADDR;
  auto* request = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  request->ifa_family = AF_UNSPEC;

  int rc = netlink.dump(nlh, [&](const nlmsghdr* m) {
    if (m->nlmsg_type != RTM_NEWADDR) return;
    auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(m));
    if (static_cast<int>(ifa->ifa_index) != loopback.index) return;
    if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return;
    Attributes attrs;
    mnl_attr_parse(m, sizeof(ifaddrmsg), collect_attribute, &attrs);
    LoopbackEntry entry;
    // IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on point-to-point links, and the
    // only one IPv6 sends for ordinary addresses.
    const nlattr* address = attrs.by_type[IFA_LOCAL] ? attrs.by_type[IFA_LOCAL] : attrs.by_type[IFA_ADDRESS];
    if (!read_address(address, ifa->ifa_family, entry.prefix)) return;
    entry.prefix.len = ifa->ifa_prefixlen;
    if (attrs.by_type[IFA_PROTO] && mnl_attr_get_payload_len(attrs.by_type[IFA_PROTO]) == 1)
      entry.protocol = mnl_attr_get_u8(attrs.by_type[IFA_PROTO]);
    out.push_back(entry);
  });
  if (rc < 0) throw std::runtime_error(failure("listing the addresses on " + loopback.name, rc, {}));
}

void snapshot_local_routes(NetlinkSocket& netlink, std::vector<LoopbackEntry>& out) {
  char buffer[kMessageSize];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer);
  nlh->nlmsg_type = RTM_GETROUTE;
  auto* request = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  request->rtm_family = AF_UNSPEC;

  int rc = netlink.dump(nlh, [&](const nlmsghdr* m) {
    if (m->nlmsg_type != RTM_NEWROUTE) return;
    auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(m));
    if (rtm->rtm_type != RTN_LOCAL) return;
    if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) return;
    Attributes attrs;
    mnl_attr_parse(m, sizeof(rtmsg), collect_attribute, &attrs);
    std::uint32_t table = attrs.by_type[RTA_TABLE] ? mnl_attr_get_u32(attrs.by_type[RTA_TABLE]) : rtm->rtm_table;
    if (table != RT_TABLE_LOCAL) return;
    // Any device: a local route for the same prefix through another one still collides.
    LoopbackEntry entry;
    entry.is_route = true;
    entry.prefix.family = rtm->rtm_family == AF_INET ? 4 : 6;
    if (attrs.by_type[RTA_DST] && !read_address(attrs.by_type[RTA_DST], rtm->rtm_family, entry.prefix)) return;
    entry.prefix.len = rtm->rtm_dst_len;
    entry.protocol = rtm->rtm_protocol;
    out.push_back(entry);
  });
  if (rc < 0) throw std::runtime_error(failure("listing the local routes", rc, {}));
}

}  // namespace

Interface find_interface(const std::string& name) {
  unsigned index = if_nametoindex(name.c_str());
  if (index == 0) {
    if (errno == ENODEV || errno == ENXIO) throw std::runtime_error("interface \"" + name + "\" not found");
    throw std::runtime_error("looking up interface \"" + name + "\": " + std::strerror(errno));
  }
  return Interface{name, static_cast<int>(index)};
}

LoopbackSnapshot LoopbackSnapshot::take(NetlinkSocket& netlink, const Interface& loopback) {
  LoopbackSnapshot s;
  snapshot_addresses(netlink, loopback, s.entries_);
  snapshot_local_routes(netlink, s.entries_);
  s.index();
  return s;
}

namespace {

// The order of the index: family, then address bytes, addresses before routes.
bool entry_before(const LoopbackEntry& a, const LoopbackEntry& b) {
  if (a.prefix.family != b.prefix.family) return a.prefix.family < b.prefix.family;
  if (int c = std::memcmp(a.prefix.addr.data(), b.prefix.addr.data(), a.prefix.addr_bytes())) return c < 0;
  return !a.is_route && b.is_route;
}

}  // namespace

void LoopbackSnapshot::index() {
  by_address_.resize(entries_.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) by_address_[i] = i;
  std::stable_sort(by_address_.begin(), by_address_.end(),
                   [&](std::size_t a, std::size_t b) { return entry_before(entries_[a], entries_[b]); });
}

const LoopbackEntry* LoopbackSnapshot::find(const Prefix& vip, HostVipForm form) const {
  // An address's entry as the key: sorts before every route to the same address.
  LoopbackEntry key;
  key.prefix = vip;
  auto first = std::lower_bound(by_address_.begin(), by_address_.end(), key,
                                [&](std::size_t i, const LoopbackEntry& k) { return entry_before(entries_[i], k); });
  const LoopbackEntry* route = nullptr;
  for (auto it = first; it != by_address_.end(); ++it) {
    const LoopbackEntry& e = entries_[*it];
    if (!same_address(e.prefix, vip)) break;
    if (!vip.is_host()) {
      if (e.is_route && e.prefix.len == vip.len) return &e;
    } else if (!e.is_route) {
      return &e;
    } else if (!route && e.prefix.is_host() &&
               (form == HostVipForm::local_route || e.protocol == kAnycastdProtocol)) {
      route = &e;
    }
  }
  return route;
}

std::vector<LoopbackEntry> LoopbackSnapshot::marked() const {
  std::vector<LoopbackEntry> out;
  for (const LoopbackEntry& e : entries_)
    if (e.protocol == kAnycastdProtocol) out.push_back(e);
  return out;
}

std::string_view to_string(Ownership ownership) {
  switch (ownership) {
    case Ownership::added: return "added";
    case Ownership::adopted: return "adopted";
    case Ownership::foreign: return "foreign, left alone";
  }
  return "?";
}

LoopbackAddress::LoopbackAddress(NetlinkSocket& netlink, const Interface& loopback, const Prefix& vip,
                                 const LoopbackSnapshot* existing, HostVipForm form)
    : netlink_(&netlink), loopback_(loopback), vip_(vip),
      route_(!vip.is_host() || form == HostVipForm::local_route) {
  const char* what = is_route() ? "local route" : "address";
  LoopbackSnapshot fresh;
  if (!existing) {
    fresh = LoopbackSnapshot::take(netlink, loopback_);
    existing = &fresh;
  }
  // Looked up before adding, not only on EEXIST: the kernel would accept our 192.0.2.10/32 next
  // to an operator's 192.0.2.10/24, and removing ours later would withdraw nothing.
  const LoopbackEntry* found = existing->find(vip_, form);
  for (int attempt = 0; !found && attempt < 2; ++attempt) {
    std::string kernel_message;
    int rc = add(&kernel_message);
    if (rc == 0) {
      ownership_ = Ownership::added;
      spdlog::info("added {} {} on {}", what, vip_.str(), loopback_.name);
      return;
    }
    if (rc != -EEXIST)
      throw std::runtime_error(failure("adding " + std::string(what) + " " + vip_.str() + " on " + loopback_.name, rc,
                                       kernel_message));
    // Someone added it since the snapshot: look again, and add again if it went away meanwhile.
    fresh = LoopbackSnapshot::take(netlink, loopback_);
    found = fresh.find(vip_, form);
  }
  if (!found)
    throw std::runtime_error("adding " + std::string(what) + " " + vip_.str() + " on " + loopback_.name +
                             ": it exists and vanishes again; something else is changing " + loopback_.name);
  take_over(*found);
}

void LoopbackAddress::take_over(const LoopbackEntry& found) {
  // What is there decides the form: a marked route left by an instance that used routes is
  // adopted as a route, and removed as one.
  route_ = found.is_route;
  const char* what = is_route() ? "local route" : "address";
  if (found.protocol == kAnycastdProtocol && found.prefix.len == vip_.len) {
    ownership_ = Ownership::adopted;
    spdlog::info("adopted {} {} on {}: left with anycastd's marker by an earlier instance (a restart in place, or a crash)", what,
                 vip_.str(), loopback_.name);
  } else {
    ownership_ = Ownership::foreign;
    std::string as = found.prefix == vip_ ? "" : " as " + found.prefix.str();
    spdlog::warn("{} {} is already on {}{} without anycastd's marker (protocol {}): someone else's; leaving it "
                 "alone, and it stays when anycastd stops, so it cannot signal a withdrawal",
                 what, vip_.str(), loopback_.name, as, found.protocol);
  }
}

std::vector<LoopbackAddress> LoopbackAddress::add_all(NetlinkSocket& netlink, const Interface& loopback,
                                                      const std::vector<Prefix>& vips, const LoopbackSnapshot& existing,
                                                      HostVipForm form, const std::function<bool()>& keep_going) {
  std::vector<LoopbackAddress> out;  // destroyed on a throw: removes what it added, one by one
  std::vector<std::size_t> to_add;
  out.reserve(vips.size());
  for (const Prefix& vip : vips) {
    bool route = !vip.is_host() || form == HostVipForm::local_route;
    out.push_back(LoopbackAddress(netlink, loopback, vip, route, Ownership::foreign));
    if (const LoopbackEntry* found = existing.find(vip, form))
      out.back().take_over(*found);
    else
      to_add.push_back(out.size() - 1);
  }
  if (to_add.size() > kLoggedEach)
    spdlog::info("adding {} VIPs on {} ({}), {} at a time", to_add.size(), loopback.name,
                 form == HostVipForm::local_route ? "host VIPs as local routes" : "host VIPs as addresses",
                 NetlinkSocket::kWindow);
  NetlinkBatch batch;
  for (std::size_t i : to_add) {
    out[i].put_add(batch.start());
    batch.commit();
  }
  std::vector<std::string> messages;
  std::vector<int> answers = netlink.request_all(batch, &messages, keep_going);

  std::size_t added = 0, stopped = 0;
  std::vector<std::size_t> raced;  // EEXIST: someone added it since the snapshot
  std::string error;
  for (std::size_t k = 0; k < to_add.size(); ++k) {
    LoopbackAddress& a = out[to_add[k]];
    if (answers[k] == 0) {
      a.ownership_ = Ownership::added;
      ++added;
    } else if (answers[k] == -EEXIST) {
      raced.push_back(to_add[k]);
    } else if (answers[k] == -ECANCELED) {
      ++stopped;
    } else if (error.empty()) {
      error = failure(std::string("adding ") + (a.is_route() ? "local route " : "address ") + a.vip_.str() + " on " +
                          loopback.name, answers[k], messages[k]);
    }
  }
  auto undo = [&](const std::string& why) {
    remove_all(out);
    throw std::runtime_error(why);
  };
  if (!error.empty()) undo(error);
  if (stopped) undo("stopped after adding " + std::to_string(added) + " of " + std::to_string(to_add.size()) + " VIPs");
  if (!raced.empty()) {
    // Rare (something else changes the loopback meanwhile): settled one by one, as the
    // constructor does.
    LoopbackSnapshot now = LoopbackSnapshot::take(netlink, loopback);
    for (std::size_t i : raced) {
      try {
        LoopbackAddress one(netlink, loopback, out[i].vip_, &now, form);
        std::swap(out[i].route_, one.route_);
        std::swap(out[i].ownership_, one.ownership_);
      } catch (const std::runtime_error& e) {
        undo(e.what());
      }
    }
  }
  if (added && to_add.size() <= kLoggedEach) {
    for (std::size_t i : to_add)
      if (out[i].ownership_ == Ownership::added)
        spdlog::info("added {} {} on {}", out[i].route_ ? "local route" : "address", out[i].vip_.str(), loopback.name);
  } else if (added) {
    spdlog::info("added {} VIPs on {} ({} as addresses, {} as local routes)", added, loopback.name,
                 std::count_if(to_add.begin(), to_add.end(), [&](std::size_t i) { return out[i].ownership_ == Ownership::added && !out[i].route_; }),
                 std::count_if(to_add.begin(), to_add.end(), [&](std::size_t i) { return out[i].ownership_ == Ownership::added && out[i].route_; }));
  }
  return out;
}

void LoopbackAddress::remove_all(std::vector<LoopbackAddress>& all) noexcept {
  std::vector<LoopbackAddress*> owned;
  NetlinkBatch batch;
  for (LoopbackAddress& a : all)
    if (a.ownership_ != Ownership::foreign) {
      owned.push_back(&a);
      a.put_remove(batch.start());
      batch.commit();
    }
  if (owned.empty()) return;
  std::vector<std::string> messages;
  std::vector<int> answers = owned.front()->netlink_->request_all(batch, &messages);
  std::size_t removed = 0;
  for (std::size_t k = 0; k < owned.size(); ++k) {
    if (answers[k] == 0 && owned.size() <= kLoggedEach)
      spdlog::info("removed {} {} from {}", owned[k]->is_route() ? "local route" : "address", owned[k]->vip_.str(),
                   owned[k]->loopback_.name);
    if (answers[k] == 0)
      ++removed;
    else
      owned[k]->log_removal(answers[k], messages[k]);
    owned[k]->ownership_ = Ownership::foreign;
  }
  if (removed && owned.size() > kLoggedEach) spdlog::info("removed {} VIPs from {}", removed, owned.front()->loopback_.name);
}

LoopbackAddress::LoopbackAddress(LoopbackAddress&& other) noexcept
    : netlink_(other.netlink_), loopback_(std::move(other.loopback_)), vip_(other.vip_), route_(other.route_),
      ownership_(other.ownership_) {
  other.ownership_ = Ownership::foreign;  // the moved-from object must not remove it
}

LoopbackAddress::~LoopbackAddress() {
  if (ownership_ != Ownership::foreign) remove();
}

std::string LoopbackAddress::describe() const {
  return vip_.str() + (is_route() ? " (local route, " : " (") + std::string(to_string(ownership_)) + ")";
}

int LoopbackAddress::add(std::string* kernel_message) {
  char buffer[kMessageSize] = {};
  auto* nlh = reinterpret_cast<nlmsghdr*>(buffer);
  put_add(nlh);
  return netlink_->request(nlh, kernel_message);
}

void LoopbackAddress::put_add(nlmsghdr* into) const {
  nlmsghdr* nlh = mnl_nlmsg_put_header(into);
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;  // EEXIST tells us to look whose it is
  std::size_t bytes = vip_.addr_bytes();

  if (!is_route()) {
    nlh->nlmsg_type = RTM_NEWADDR;
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = static_cast<std::uint8_t>(address_family(vip_));
    ifa->ifa_prefixlen = vip_.len;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;  // a source for replies, and visible to a routing daemon
    ifa->ifa_index = static_cast<std::uint32_t>(loopback_.index);
    mnl_attr_put(nlh, IFA_LOCAL, bytes, vip_.addr.data());
    mnl_attr_put(nlh, IFA_ADDRESS, bytes, vip_.addr.data());
    mnl_attr_put_u8(nlh, IFA_PROTO, kAnycastdProtocol);
    if (vip_.family == 6) mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);  // usable at once
  } else {
    nlh->nlmsg_type = RTM_NEWROUTE;
    auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
    rtm->rtm_family = static_cast<std::uint8_t>(address_family(vip_));
    rtm->rtm_dst_len = vip_.len;
    rtm->rtm_table = RT_TABLE_LOCAL;
    rtm->rtm_protocol = kAnycastdProtocol;
    rtm->rtm_scope = RT_SCOPE_HOST;
    rtm->rtm_type = RTN_LOCAL;
    mnl_attr_put(nlh, RTA_DST, bytes, vip_.addr.data());
    mnl_attr_put_u32(nlh, RTA_OIF, static_cast<std::uint32_t>(loopback_.index));
    mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_LOCAL);
  }
}

void LoopbackAddress::remove() noexcept {
  char buffer[kMessageSize] = {};
  auto* nlh = reinterpret_cast<nlmsghdr*>(buffer);
  put_remove(nlh);
  std::string kernel_message;
  int rc = netlink_->request(nlh, &kernel_message);
  if (rc == 0)
    spdlog::info("removed {} {} from {}", is_route() ? "local route" : "address", vip_.str(), loopback_.name);
  else
    log_removal(rc, kernel_message);
}

void LoopbackAddress::put_remove(nlmsghdr* into) const {
  nlmsghdr* nlh = mnl_nlmsg_put_header(into);
  std::size_t bytes = vip_.addr_bytes();

  if (!is_route()) {
    // The kernel does not match IFA_PROTO on delete; nobody else can have re-added this exact
    // address while ours was there, so it is still ours.
    nlh->nlmsg_type = RTM_DELADDR;
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = static_cast<std::uint8_t>(address_family(vip_));
    ifa->ifa_prefixlen = vip_.len;
    ifa->ifa_index = static_cast<std::uint32_t>(loopback_.index);
    mnl_attr_put(nlh, IFA_LOCAL, bytes, vip_.addr.data());
  } else {
    // The kernel matches rtm_protocol on delete: a route someone replaced is not touched.
    nlh->nlmsg_type = RTM_DELROUTE;
    auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
    rtm->rtm_family = static_cast<std::uint8_t>(address_family(vip_));
    rtm->rtm_dst_len = vip_.len;
    rtm->rtm_table = RT_TABLE_LOCAL;
    rtm->rtm_protocol = kAnycastdProtocol;
    rtm->rtm_scope = RT_SCOPE_NOWHERE;  // any scope
    rtm->rtm_type = RTN_LOCAL;
    mnl_attr_put(nlh, RTA_DST, bytes, vip_.addr.data());
    mnl_attr_put_u32(nlh, RTA_OIF, static_cast<std::uint32_t>(loopback_.index));
    mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_LOCAL);
  }
}

void LoopbackAddress::log_removal(int rc, const std::string& kernel_message) const {
  const char* what = is_route() ? "local route" : "address";
  if (rc == -EADDRNOTAVAIL || rc == -ENOENT || rc == -ESRCH || rc == -ENODEV)
    spdlog::warn("{} {} on {} is gone{}: nothing removed", what, vip_.str(), loopback_.name,
                 is_route() ? ", or was replaced by someone else's" : "");
  else
    spdlog::error("{}", failure("removing " + std::string(what) + " " + vip_.str() + " from " + loopback_.name, rc,
                               kernel_message));
}

}  // namespace anycastd
