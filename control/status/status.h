// SPDX-License-Identifier: Apache-2.0
#pragma once

// A snapshot of the running daemon, taken on the main loop and handed to whoever reports it:
// `anycastctl status` (through the control socket, as JSON) and the Prometheus metrics.

#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "abi.h"
#include "channel.h"
#include "config/config.h"
#include "datapath/datapath.h"
#include "health/group_machine.h"
#include "hooks/hook_runner.h"
#include "base/prefix.h"
#include "route/route_signal.h"

namespace anycastd {

using WallClock = std::chrono::system_clock;

struct CheckStatus {
  std::string name;  // "tcp 192.0.2.10:8080", "exec /usr/local/bin/probe", "datapath"
  bool ran = false;  // no result yet
  bool ok = false;
  std::string detail;
  std::chrono::microseconds latency{0};
  WallClock::time_point at{};
  std::uint64_t runs = 0;
  std::uint64_t failures = 0;
};

struct GroupStatus {
  std::string name;
  std::vector<Prefix> vips;
  std::uint32_t services = 0;  // bit per ac_service
  GroupState state = GroupState::down;
  WallClock::time_point since{};
  unsigned flaps = 0;
  double penalty = 0;       // dampening penalty now (0: none, or dampening off)
  bool suppressed = false;  // dampened: held withdrawn until the penalty decays under reuse
  unsigned passes = 0;    // consecutive, towards rise
  unsigned failures = 0;  // consecutive, towards fall
  std::string held_out;   // why it is held out ("drained by anycastctl", "maintenance file /run/...") or ""
  bool retiring = false;  // removed or changed by a reload: draining, then gone (or started anew)
  std::vector<CheckStatus> checks;
  SignalStatus signal;
  GroupHooksStatus hooks;
  GroupConfig config;  // what this group runs with: a reload that changes it starts the group anew
};

// The settings the daemon runs with, taken from its parts rather than from the file: what a
// reload changed shows here only once it took effect.
struct RunningSettings {
  spdlog::level::level_enum log_level = spdlog::level::info;  // the logger's
  std::uint32_t stats_interval_s = 0;
  std::string disable_file;                // [health]'s, looked at on every turn
  FastpathTables tables;                   // the last set the datapath took (ports, allow, rate limits)
  std::optional<NtpServiceClock> clock;    // what the NTP clock is read from
  std::string control_socket, metrics_listen;
};

// The DNS service's answer table (control/daemon/dns_table_loader.h): the zones in the table the fast
// path answers from, its size, and how the last compilation (start, reload) went.
struct DnsZoneStatus {
  std::string origin;  // "example.net."
  std::string file;
  std::uint32_t serial = 0;
  std::uint64_t records = 0;
};

// anycastd's own DNS server on the VIPs (control/dns_server), with slow_path = true.
struct DnsSlowPathStatus {
  std::uint16_t port = 0;
  std::uint64_t addresses = 0;  // VIPs (addresses and prefixes) it serves
  std::vector<std::pair<std::string, std::uint64_t>> counters;  // kDnsSlowCounterNames, in order
  std::uint64_t tcp_open = 0;   // connections open now
};

struct DnsStatus {
  std::vector<DnsZoneStatus> zones;  // of the table in use; empty before the first one
  std::uint64_t entries = 0;         // keys in its hash
  std::uint64_t bytes = 0;           // the image's size: what each datapath holds
  WallClock::time_point loaded{};    // when the table in use was compiled
  WallClock::time_point last_load{};  // the last attempt, good or bad
  bool last_load_ok = false;
  std::string last_load_error;  // "FILE:LINE: what", or what the fast path said when it refused
  std::uint64_t loads = 0, load_failures = 0;
  std::optional<DnsSlowPathStatus> slow_path;  // none with slow_path = false
  // NSID and cookies ([services.dns] nsid, cookie_secret_file, cookie_secret_previous_file): the
  // NSID text and the secrets' files, never the secrets.
  std::string nsid;
  std::string cookie_secret_file, cookie_secret_previous_file;
};

// The capture running now (anycastctl capture, docs/capture.md).
struct CaptureStatus {
  std::string filter;  // as the grammar writes it, "all" without one
  std::string client;  // who asked: "uid 0 pid 4242"
  std::uint64_t frames = 0;
};

// One per-VIP counter series (datapath/vip_series.h): a VIP with its own, or "other", the VIPs
// above [metrics] vip_series together.
struct VipCounterStatus {
  std::string vip;    // "192.0.2.1/32", or "other"
  std::string group;  // its group ("" for "other")
  std::uint64_t answered = 0, passed = 0, dropped = 0;
  bool operator==(const VipCounterStatus&) const = default;
};

// The series of `vips` (as written to the fast path, their .stats set) from the fast path's
// counters (`stats`, AC_VIP_STATS_ENTRIES of them; empty: the datapath keeps none, and so are
// the series), in the VIPs' order, "other" last when any VIP is above the cap; each VIP's group
// name is its value.group's entry of `group_names` (none past its end). `over_cap` is set to the
// number of VIPs in "other".
std::vector<VipCounterStatus> vip_counter_status(const std::vector<VipEntry>& vips,
                                                 const std::vector<ac_vip_stats>& stats,
                                                 const std::vector<std::string>& group_names, std::uint32_t& over_cap);

// The clock state the NTP answers carry (with [services.ntp]), from the last reading of the source.
struct NtpClockStatus {
  std::string source;         // "chrony /run/chrony/chronyd.sock", "kernel"
  bool reachable = false;     // the source answered the last reading
  bool synchronised = false;  // and said synchronised: the answers carry its stratum, not 16
  ac_ntp_state served{};      // what the answers carry
  WallClock::time_point read_at{};
};

struct DaemonStatus {
  // When the snapshot was taken, on both clocks: the reports give ages ("12 s ago") relative to
  // it, and place the route signals' steady_clock times on the wall clock through it. Left at
  // zero, the reports take the time they render at.
  WallClock::time_point taken{};
  std::chrono::steady_clock::time_point taken_steady{};
  std::string version;
  long pid = 0;
  std::string config_path;
  WallClock::time_point started{};
  std::string datapath;   // "xdp" | "dpdk"
  std::string interface;  // xdp: the NIC; dpdk: the exception interface
  std::string xdp_mode;   // "native" | "generic"
  std::uint32_t prog_id = 0;
  std::string attach;  // xdp: "exclusive" | "dispatcher" | "chain"
  std::vector<InterfaceStatus> interfaces;
  std::string chain_map;  // chain: the prog array and anycastd's slot in it
  std::uint32_t chain_index = 0;
  std::optional<DpdkStatus> dpdk;
  bool answering = false;  // the fast path's global switch
  std::vector<GroupStatus> groups;
  ac_stats counters{};
  std::vector<VipCounterStatus> vips;  // per-VIP series; empty where the datapath keeps none
  std::uint32_t vip_series = 0;        // [metrics] vip_series in force
  std::uint32_t vips_over_cap = 0;     // VIPs counted in "other"
  bool vip_counters = false;           // whether the datapath counts per VIP
  std::uint64_t reloads = 0;
  std::uint64_t reload_failures = 0;
  std::string last_reload_error;
  std::optional<DnsStatus> dns;  // with [services.dns]
  std::optional<NtpClockStatus> ntp;  // with [services.ntp]
  std::optional<CaptureStatus> capture;
  RunningSettings running;
};

}  // namespace anycastd
