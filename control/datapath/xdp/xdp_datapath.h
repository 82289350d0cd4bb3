// SPDX-License-Identifier: Apache-2.0
#pragma once

// The XDP fast path: our program loaded, fed and attached to the NIC by netlink.

#include <memory>
#include <optional>

#include "config/config.h"
#include "datapath/datapath.h"
#include "base/instance_lock.h"
#include "netlink/netlink.h"
#include "datapath/xdp/xdp_attach.h"
#include "datapath/xdp/xdp_program.h"

namespace anycastd {

class XdpDatapath final : public Datapath {
 public:
  // Loads the program (not attached yet). `adopt`: take over the maps of the program attached
  // now (restart in place), so tables and counters carry on.
  XdpDatapath(const DatapathConfig& config, bool adopt);
  // Stops answering, then detaches.
  ~XdpDatapath() override;

  void activate() override;
  void write_tables(const FastpathTables& tables) override { program_->write_tables(tables); }
  void write_ntp_state(const ac_ntp_state& state) override { program_->write_ntp_state(state); }
  void write_dns_table(std::shared_ptr<const std::vector<std::uint8_t>> image) override;
  ac_stats read_stats() override { return program_->read_stats(); }
  std::shared_ptr<DatapathProbe> probe() override { return probe_; }
  std::string summary() override;
  DatapathStatus describe() override;

 private:
  DatapathConfig config_;
  Interface nic_;
  std::optional<InstanceLock> lock_;
  std::shared_ptr<XdpProgram> program_;  // shared with the probe, which check threads may hold
  std::optional<XdpAttachment> attachment_;
  std::shared_ptr<DatapathProbe> probe_;
};

}  // namespace anycastd
