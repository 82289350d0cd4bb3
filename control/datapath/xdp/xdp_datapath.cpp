// SPDX-License-Identifier: Apache-2.0
#include "datapath/xdp/xdp_datapath.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>

#include "datapath/xdp/xdp_dispatcher.h"

namespace anycastd {

// Where the program should be on the wire, as the datapath last arranged it: what the probe
// compares with what the kernel says. The datapath writes it, check threads read it.
class XdpPlacement {
 public:
  struct Uplink {
    std::string name;
    std::uint32_t prog_id = 0;  // the program that should be on it; 0: none known (dispatcher, not hooked)
  };

  void set(std::vector<Uplink> uplinks) {
    std::lock_guard lock(mutex_);
    uplinks_ = std::move(uplinks);
  }

  InPlace check(XdpAttach attach, const ChainMap* chain, std::uint32_t ours) const {
    if (chain) {
      std::uint32_t now = 0;
      try {
        now = chain->occupant();
      } catch (const std::runtime_error& e) {
        return {false, e.what()};
      }
      std::string slot = "slot " + std::to_string(chain->index()) + " of " + chain->path();
      if (now != ours)
        return {false, slot + " holds " + (now ? "prog id " + std::to_string(now) : std::string("nothing")) +
                           ", not ours (" + std::to_string(ours) + ")"};
      return {true, "prog id " + std::to_string(ours) + " in " + slot};
    }
    std::vector<Uplink> uplinks;
    {
      std::lock_guard lock(mutex_);
      uplinks = uplinks_;
    }
    // An interface that is gone takes nothing from the others; one that is there must carry ours.
    std::string on, gone;
    for (const Uplink& u : uplinks) {
      unsigned index = if_nametoindex(u.name.c_str());
      if (index == 0) {
        gone += (gone.empty() ? "" : ", ") + u.name;
        continue;
      }
      if (u.prog_id == 0) return {false, u.name + " is there but anycastd's program is not on it"};
      if (attach == XdpAttach::dispatcher) {
        if (std::string why = dispatcher_in_place(static_cast<int>(index), u.prog_id); !why.empty())
          return {false, u.name + ": " + why};
      } else {
        XdpAttached attached;
        try {
          attached = attached_xdp(Interface{u.name, static_cast<int>(index)});
        } catch (const std::runtime_error& e) {
          return {false, e.what()};
        }
        if (attached.mode == XDP_ATTACHED_NONE)
          return {false, "no XDP program on " + u.name + " (ours was prog id " + std::to_string(u.prog_id) + ")"};
        if (attached.prog_id != u.prog_id)
          return {false, "XDP program on " + u.name + " is prog id " + std::to_string(attached.prog_id) +
                             ", not ours (" + std::to_string(u.prog_id) + ")"};
      }
      on += (on.empty() ? "" : ", ") + u.name;
    }
    if (on.empty()) return {false, "every interface is gone (" + gone + ")"};
    return {true, "prog id " + std::to_string(ours) + " attached on " + on + (gone.empty() ? "" : "; gone: " + gone)};
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Uplink> uplinks_;
};

namespace {

// BPF_PROG_TEST_RUN on our loaded program: its maps are the live tables. Where it is on the
// wire is compared with the kernel's view, so someone detaching or replacing it is seen.
class XdpProbe final : public DatapathProbe {
 public:
  XdpProbe(std::shared_ptr<XdpProgram> program, std::shared_ptr<const XdpPlacement> placement, XdpAttach attach,
           const ChainMap* chain)
      : program_(std::move(program)), placement_(std::move(placement)), attach_(attach), chain_(chain) {}

  InPlace in_place() override { return placement_->check(attach_, chain_, program_->prog_id()); }

  ProbeRun run(const std::vector<std::uint8_t>& frame) override {
    ProbeRun r;
    std::vector<std::uint8_t> out(frame.size() + 256);
    bpf_test_run_opts run{};
    run.sz = sizeof run;
    run.data_in = frame.data();
    run.data_size_in = static_cast<__u32>(frame.size());
    run.data_out = out.data();
    run.data_size_out = static_cast<__u32>(out.size());
    run.repeat = 1;
    if (int err = bpf_prog_test_run_opts(program_->prog_fd(), &run); err < 0) {
      r.error = "BPF_PROG_TEST_RUN: " + std::string(std::strerror(-err));
      return r;
    }
    r.answered = run.retval == XDP_TX;
    if (!r.answered) r.verdict = "XDP verdict " + std::to_string(run.retval);
    out.resize(run.data_size_out);
    r.frame = std::move(out);
    return r;
  }

 private:
  std::shared_ptr<XdpProgram> program_;
  std::shared_ptr<const XdpPlacement> placement_;
  XdpAttach attach_;
  const ChainMap* chain_;  // the datapath's, which outlives the probe's use: checks stop first
};

// The program an earlier anycastd left where this one goes, whose maps a restart in place takes.
std::uint32_t predecessor(const DatapathConfig& config, const std::optional<ChainMap>& chain) {
  if (chain) {
    std::uint32_t id = chain->occupant();
    return id && chain->is_ours(id) ? id : 0;
  }
  for (const std::string& name : config.interfaces) {
    if (if_nametoindex(name.c_str()) == 0) continue;  // gone while the predecessor ran
    Interface nic = find_interface(name);
    std::uint32_t id = config.attach == XdpAttach::dispatcher ? anycastd_in_dispatcher(nic.index)
                                                              : attached_xdp(nic).prog_id;
    if (id) return id;
  }
  return 0;
}

}  // namespace

XdpDatapath::XdpDatapath(const DatapathConfig& config, bool adopt)
    : config_(config), placement_(std::make_shared<XdpPlacement>()) {
  XdpLoadOptions load;
  load.vip_max_entries = config.vip_max_entries;
  load.allow_max_entries = config.allow_max_entries;
  // Generic XDP grows a frame only into the room the kernel's copy leaves, which is hundreds of
  // bytes for a program without the frags flag and under 64 for one with it (docs/dns.md, "Frame
  // growth"): signed DNS answers need the room. A dispatcher or a chain decides the flag with
  // the programs beside anycastd's, which are frags-aware; native and automatic mode may meet a
  // frame larger than a page (a veth whose peer has MTU 9000).
  load.frags = !(config.xdp_mode == XdpMode::generic && config.attach == XdpAttach::exclusive);
  if (config.attach == XdpAttach::chain) {
    chain_map_.emplace(config.chain_map, config.chain_index);
    chain_lock_ = std::make_unique<InstanceLock>(
        "chain", "map" + std::to_string(chain_map_->id()) + "-slot" + std::to_string(config.chain_index));
    if (std::string refusal = chain_slot_refusal(*chain_map_); !refusal.empty()) throw std::runtime_error(refusal);
    load.chain_map_fd = chain_map_->fd();
    load.chain_next = config.chain_index + 1;
  } else {
    for (const std::string& name : config.interfaces) uplinks_.push_back(lock_uplink(name, adopt));
  }
  adopting_ = adopt;
  if (adopt) {
    try {
      load.reuse_maps_of_prog_id = predecessor(config, chain_map_);
    } catch (const std::runtime_error& e) {
      spdlog::warn("{}: loading with fresh maps", e.what());
    }
  }
  program_ = std::make_shared<XdpProgram>(load);
  probe_ = std::make_shared<XdpProbe>(program_, placement_, config.attach, chain_map_ ? &*chain_map_ : nullptr);
  publish();
}

XdpDatapath::~XdpDatapath() {
  if (active_) program_->set_answering(false);
  chain_slot_.reset();
  uplinks_.clear();
}

XdpDatapath::Uplink XdpDatapath::lock_uplink(const std::string& name, bool may_be_gone) const {
  Uplink u;
  u.name = name;
  // A listed interface must exist at start and when a reload adds it; a restart in place takes
  // over a running one, which may have lost an uplink meanwhile and goes on without it.
  if (may_be_gone && if_nametoindex(name.c_str()) == 0)
    u.problem = "gone: not there when anycastd restarted in place";
  else
    find_interface(name);
  u.lock = std::make_unique<InstanceLock>("xdp", name);
  return u;
}

void XdpDatapath::hook(Uplink& u) {
  Interface nic = find_interface(u.name);
  if (config_.attach == XdpAttach::dispatcher)
    u.hook = std::make_unique<DispatcherSlot>(nic, *program_, config_.xdp_mode, config_.dispatcher_priority);
  else
    u.hook = std::make_unique<XdpAttachment>(nic, program_->prog_fd(), config_.xdp_mode);
  u.ifindex = nic.index;
  u.problem.clear();
}

void XdpDatapath::activate() {
  if (chain_map_) {
    chain_slot_.emplace(*chain_map_, program_->prog_fd(), program_->prog_id());
    active_ = true;
    return;
  }
  links_.emplace();  // before attaching: a link deleted meanwhile is then seen
  try {
    for (Uplink& u : uplinks_)
      if (!adopting_ || if_nametoindex(u.name.c_str()) != 0) hook(u);
  } catch (...) {
    for (Uplink& u : uplinks_) u.hook.reset();  // all or nothing
    throw;
  }
  active_ = true;
  publish();
}

void XdpDatapath::set_interfaces(const std::vector<std::string>& names) {
  std::vector<Uplink> next;
  std::set<std::string> added;
  for (const std::string& name : names) {
    auto kept = std::find_if(uplinks_.begin(), uplinks_.end(), [&](const Uplink& u) { return u.name == name; });
    if (kept != uplinks_.end()) continue;
    next.push_back(lock_uplink(name, false));  // throws before anything changed
    added.insert(name);
  }
  // The new ones first, all or none: `next` lets go of those done when one fails.
  if (active_)
    for (Uplink& u : next) hook(u);
  for (const std::string& name : names) {
    if (added.count(name)) continue;
    auto kept = std::find_if(uplinks_.begin(), uplinks_.end(), [&](const Uplink& u) { return u.name == name; });
    next.push_back(std::move(*kept));
    uplinks_.erase(kept);
  }
  std::vector<std::uint32_t> dropped;
  for (const Uplink& u : uplinks_) {
    spdlog::info("{}: no longer listed in [datapath] interface: the program leaves it", u.name);
    if (u.ifindex) dropped.push_back(static_cast<std::uint32_t>(u.ifindex));
  }
  for (const std::string& name : added) spdlog::info("{}: listed in [datapath] interface: the program is on it", name);
  // Configured order, so status lists them as the file does.
  std::vector<Uplink> ordered;
  for (const std::string& name : names)
    for (Uplink& u : next)
      if (u.name == name) ordered.push_back(std::move(u));
  uplinks_ = std::move(ordered);  // the ones no longer listed are detached here
  for (std::uint32_t ifindex : dropped) program_->forget_interface(ifindex);  // detached: nothing counts there now
  publish();
}

std::unique_ptr<CaptureTap> XdpDatapath::start_capture(const CaptureFilter& filter) {
  return std::make_unique<XdpCapture>(program_->capture_maps(), filter);
}

std::vector<int> XdpDatapath::poll_fds() const {
  if (!links_) return {};
  return {links_->fd()};
}

void XdpDatapath::poll(Clock::time_point) {
  if (links_ && links_->drain()) follow_links();
}

void XdpDatapath::follow_links() {
  for (Uplink& u : uplinks_) {
    int index = static_cast<int>(if_nametoindex(u.name.c_str()));
    if (u.hook && index != u.ifindex) {
      // Deleted (and maybe made again under the same name), or renamed: either way the name no
      // longer leads to it. A renamed one still exists and gets the program off it.
      char old_name[IF_NAMESIZE] = {};
      const bool deleted = !if_indextoname(static_cast<unsigned>(u.ifindex), old_name);
      spdlog::error("{}: the interface is gone ({}) while anycastd's program was on it; the other interfaces keep "
                    "answering, and it is attached again when an interface of this name comes back",
                    u.name, deleted ? "link deleted" : std::string("renamed to ") + old_name);
      if (deleted) u.hook->interface_gone();
      u.hook.reset();
      program_->forget_interface(static_cast<std::uint32_t>(u.ifindex));
      u.ifindex = 0;
      u.problem = "gone: link deleted";
    }
    if (u.hook) continue;
    if (index == 0) {
      if (u.problem.rfind("gone", 0) != 0) u.problem = "gone: link deleted";
      continue;
    }
    try {
      hook(u);
      spdlog::warn("{}: the interface is back: anycastd's program is attached again", u.name);
    } catch (const std::runtime_error& e) {
      if (u.problem != e.what()) spdlog::error("{}: the interface is back, but attaching failed: {}", u.name, e.what());
      u.problem = e.what();
    }
  }
  publish();
}

void XdpDatapath::publish() {
  std::vector<XdpPlacement::Uplink> view;
  // Attached alone, the program on the interface is the loaded one, hooked or not yet; in a
  // dispatcher it is libxdp's copy, known once it is there.
  for (const Uplink& u : uplinks_)
    view.push_back({u.name, config_.attach != XdpAttach::dispatcher ? program_->prog_id()
                            : u.hook                                 ? u.hook->prog_id()
                                                                     : 0});
  placement_->set(std::move(view));
}

void XdpDatapath::write_dns_table(std::shared_ptr<const std::vector<std::uint8_t>> image) {
  XdpDnsTableMaps sizes = program_->write_dns_table(*image);
  spdlog::info("XDP DNS maps: {} entries, {} arena chunks of {} bytes, {} zones", sizes.entries, sizes.chunks,
               AC_DNS_CHUNK, sizes.zones);
}

std::string XdpDatapath::summary() {
  if (chain_map_)
    return fmt::format("slot {} of {} (xdp chain, prog id {}{})", chain_map_->index(), chain_map_->path(),
                       program_->prog_id(),
                       chain_slot_ && chain_slot_->replaced_prog_id()
                           ? ", replaced prog id " + std::to_string(chain_slot_->replaced_prog_id())
                           : "");
  std::string text;
  for (const Uplink& u : uplinks_) {
    text += text.empty() ? "interface " : ", ";
    text += u.name;
    if (!u.hook) continue;
    text += fmt::format(" (xdp {} {}, prog id {}", to_string(config_.attach), to_string(u.hook->mode()), u.hook->prog_id());
    if (auto* a = dynamic_cast<const XdpAttachment*>(u.hook.get()); a && a->replaced_prog_id())
      text += ", replaced prog id " + std::to_string(a->replaced_prog_id());
    text += ")";
  }
  return active_ ? text : text + " (xdp, not attached)";
}

DatapathStatus XdpDatapath::describe() {
  DatapathStatus status;
  status.kind = "xdp";
  status.attach = std::string(to_string(config_.attach));
  status.prog_id = program_->prog_id();
  std::vector<XdpInterfaceStats> counters = program_->read_interface_stats();
  auto fill = [](InterfaceStatus& s, const ac_iface_stats& c) {
    s.answered = c.action[AC_ACT_ANSWER];
    s.passed = c.action[AC_ACT_PASS];
    s.dropped = c.action[AC_ACT_DROP];
  };
  if (chain_map_) {
    status.chain_map = chain_map_->path();
    status.chain_index = chain_map_->index();
    // What the root passed on, per interface; an interface deleted since leaves with its counters.
    for (const XdpInterfaceStats& c : counters) {
      char name[IF_NAMESIZE] = {};
      if (!if_indextoname(c.ifindex, name)) {
        program_->forget_interface(c.ifindex);
        continue;
      }
      InterfaceStatus s;
      s.name = name;
      s.ifindex = static_cast<int>(c.ifindex);
      s.state = "chained";
      s.prog_id = status.prog_id;
      fill(s, c.stats);
      status.interfaces.push_back(std::move(s));
    }
    return status;
  }
  for (const Uplink& u : uplinks_) {
    InterfaceStatus s;
    s.name = u.name;
    s.ifindex = u.ifindex;
    if (u.hook) {
      s.state = "attached";
      s.xdp_mode = std::string(to_string(u.hook->mode()));
      s.prog_id = u.hook->prog_id();
      if (status.xdp_mode.empty()) status.xdp_mode = s.xdp_mode;
      for (const XdpInterfaceStats& c : counters)
        if (c.ifindex == static_cast<std::uint32_t>(u.ifindex)) fill(s, c.stats);
      if (u.ifindex >= static_cast<int>(AC_IFACE_MAX))
        s.detail = fmt::format("ifindex {} is beyond the per-interface counters (below {}): counted in the totals only",
                               u.ifindex, AC_IFACE_MAX);
    } else {
      s.state = !active_ ? "not attached" : u.problem.rfind("gone", 0) == 0 ? "gone" : "failed";
      s.detail = u.problem;
    }
    status.interface += (status.interface.empty() ? "" : ",") + u.name;
    status.interfaces.push_back(std::move(s));
  }
  return status;
}

}  // namespace anycastd
