// SPDX-License-Identifier: Apache-2.0
#pragma once

// The DPDK fast path: the anycastd-dpdk process, started and supervised by anycastd.
//
// Why a child process and not DPDK inside anycastd: an EAL abort, a PMD crash or a hung poll
// loop takes the datapath down, not the process that withdraws the routes; anycastd sees the
// death at once (a pidfd), holds every group out (routes withdrawn) and starts a new datapath
// with back-off. The datapath also must not outlive its supervisor: it stops when the channel
// closes, so a killed anycastd never leaves a port answering with nothing checking it.
//
// Tables, DNS answer tables, counters, probes and captures travel over the channel (dataplane/channel). Restart in place
// (anycastctl restart) hands the running process and its channel to the new image, so the port
// keeps answering across it.

#include <sys/types.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"
#include "datapath/dpdk/channel_client.h"
#include "datapath/datapath.h"
#include "base/instance_lock.h"
#include "netlink/netlink_socket.h"
#include "base/posix_io.h"

namespace anycastd {

class DpdkDatapath final : public Datapath {
 public:
  // Starts anycastd-dpdk and waits for its hello (config.start_timeout), or, with `adopt`,
  // takes over the process a predecessor image handed over. Throws std::runtime_error when the
  // process cannot start or says nothing in time (its own messages are on stderr before).
  DpdkDatapath(const DatapathConfig& config, NetlinkSocket& netlink, bool adopt);
  // Closes the channel and waits for the process to stop (SIGKILL after a grace period).
  ~DpdkDatapath() override;

  void activate() override {}
  // The configuration refuses [datapath] interface with kind = "dpdk": its ports come from eal_args.
  void set_interfaces(const std::vector<std::string>&) override {
    throw std::logic_error("the DPDK datapath takes no [datapath] interface");
  }
  void write_tables(const FastpathTables& tables) override;
  void write_ntp_state(const ac_ntp_state& state) override;
  // NSID and cookie secrets with `now` (abi.h ac_dns_edns), at start, on reloads and every second:
  // the workers copy the last one per burst (channel message dns_edns). Kept and sent again to a
  // restarted datapath, as the NTP state.
  void write_dns_edns(const ac_dns_edns& edns) override;
  void write_dns_table(std::shared_ptr<const std::vector<std::uint8_t>> image) override;
  ac_stats read_stats() override;
  std::unique_ptr<CaptureTap> start_capture(const CaptureFilter& filter) override;
  std::vector<ac_vip_stats> read_vip_stats() override;
  std::shared_ptr<DatapathProbe> probe() override { return probe_; }
  std::string summary() override;
  DatapathStatus describe() override;

  std::vector<int> poll_fds() const override;
  void poll(Clock::time_point now) override;
  Clock::time_point next_wakeup() const override;
  Refusal down_reason() const override {
    return state_ == State::running ? Refusal::none() : Refusal::because(down_reason_);
  }
  void prepare_exec() override;

  // The variable through which a restart in place hands the process over.
  static constexpr const char* kHandoverEnv = "ANYCASTD_DPDK_HANDOVER";
  // A restart in place whose file no longer says kind = "dpdk": stops the process handed over.
  static void discard_handover();

 private:
  enum class State { starting, running, down };

  void spawn();
  void on_hello(const channel::Message& hello);
  // Each port's exception interface: the port's MAC, up, its configured addresses.
  void configure_exception_interfaces();
  void on_exit(const std::string& how, Clock::time_point now);
  bool adopt_handover();
  std::vector<std::string> command() const;

  DpdkConfig config_;
  NetlinkSocket* netlink_;
  std::optional<InstanceLock> lock_;
  std::shared_ptr<ChannelClient> channel_ = std::make_shared<ChannelClient>();
  std::shared_ptr<DatapathProbe> probe_;
  State state_ = State::down;
  pid_t pid_ = -1;
  posix_io::UniqueFd pidfd_;
  posix_io::UniqueFd hello_socket_;  // while starting: the channel, until its hello arrives
  channel::Hello hello_{};
  std::string down_reason_ = "not started";
  Clock::time_point started_at_{}, restart_at_{}, hello_deadline_{};
  Millis backoff_{1000};
  std::uint64_t restarts_ = 0;
  std::optional<FastpathTables> tables_;  // what the datapath must hold: sent again after a restart
  std::optional<ac_ntp_state> ntp_;       // likewise
  std::optional<ac_dns_edns> edns_;       // likewise
  std::shared_ptr<const std::vector<std::uint8_t>> dns_;  // likewise: the DNS table image
  ac_stats carried_{};                    // counters of earlier processes, as last read
  ac_stats last_{};                       // the current process's, as last read
  // The per-VIP counters likewise (AC_VIP_STATS_ENTRIES each). A restart in place takes over the
  // process without its VIP set (held_vips() is empty): every VIP's entry is fresh then, zeroed.
  std::vector<ac_vip_stats> carried_vips_ = std::vector<ac_vip_stats>(AC_VIP_STATS_ENTRIES);
  std::vector<ac_vip_stats> last_vips_ = std::vector<ac_vip_stats>(AC_VIP_STATS_ENTRIES);
};

}  // namespace anycastd
