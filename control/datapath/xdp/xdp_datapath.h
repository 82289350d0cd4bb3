// SPDX-License-Identifier: Apache-2.0
#pragma once

// The XDP fast path: our program loaded and fed, and put on the wire in the mode [datapath]
// attach says (docs/deployment.md): attached by netlink to each interface listed (exclusive), in
// libxdp's dispatcher on each (dispatcher), or in a slot of the operator's prog array (chain).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/instance_lock.h"
#include "config/config.h"
#include "datapath/datapath.h"
#include "datapath/xdp/xdp_attach.h"
#include "datapath/xdp/xdp_chain.h"
#include "datapath/xdp/xdp_program.h"
#include "netlink/link_events.h"

namespace anycastd {

class XdpPlacement;

class XdpDatapath final : public Datapath {
 public:
  // Loads the program (not attached yet). `adopt`: take over the maps of the program in place
  // now (restart in place), so tables and counters carry on. Throws std::runtime_error: an
  // interface missing or locked by another anycastd, the chain's map or slot refused.
  XdpDatapath(const DatapathConfig& config, bool adopt);
  // Stops answering, then takes the program off the wire.
  ~XdpDatapath() override;

  void activate() override;
  void set_interfaces(const std::vector<std::string>& names) override;
  void write_tables(const FastpathTables& tables) override { program_->write_tables(tables); }
  void write_ntp_state(const ac_ntp_state& state) override { program_->write_ntp_state(state); }
  void write_dns_edns(const ac_dns_edns& edns) override { program_->write_dns_edns(edns); }
  void write_dns_table(std::shared_ptr<const std::vector<std::uint8_t>> image) override;
  ac_stats read_stats() override { return program_->read_stats(); }
  std::unique_ptr<CaptureTap> start_capture(const CaptureFilter& filter) override;
  std::vector<ac_vip_stats> read_vip_stats() override { return program_->read_vip_stats(); }
  std::vector<VipEntry> held_vips() override {
    return program_->reused_maps() ? program_->held_vips() : std::vector<VipEntry>{};
  }
  std::shared_ptr<DatapathProbe> probe() override { return probe_; }
  std::string summary() override;
  DatapathStatus describe() override;
  // Link notifications: an interface deleted is let go, one back under its name attached again.
  std::vector<int> poll_fds() const override;
  void poll(Clock::time_point) override;

 private:
  // One listed interface: locked while listed, holding the program while it exists.
  struct Uplink {
    std::string name;
    std::unique_ptr<InstanceLock> lock;
    int ifindex = 0;  // where the hook is; 0 without one
    std::unique_ptr<XdpHook> hook;
    std::string problem;  // why there is no hook: gone, or the attach that failed
  };

  Uplink lock_uplink(const std::string& name, bool may_be_gone) const;
  void hook(Uplink& uplink);
  void follow_links();
  void publish();  // tells the probe what to check

  DatapathConfig config_;
  std::shared_ptr<XdpProgram> program_;  // shared with the probe, which check threads may hold
  std::vector<Uplink> uplinks_;          // exclusive, dispatcher
  std::optional<ChainMap> chain_map_;    // chain
  std::unique_ptr<InstanceLock> chain_lock_;
  std::optional<ChainSlot> chain_slot_;
  std::optional<LinkEvents> links_;
  std::shared_ptr<XdpPlacement> placement_;
  std::shared_ptr<DatapathProbe> probe_;
  bool active_ = false;
  bool adopting_ = false;  // a restart in place: an uplink gone meanwhile is no reason to fail
};

}  // namespace anycastd
