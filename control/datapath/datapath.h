// SPDX-License-Identifier: Apache-2.0
#pragma once

// What control needs from a fast path, whichever runs it: the XDP program in the kernel, or the
// DPDK datapath process anycastd supervises. The daemon and the groups see only this.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "abi.h"
#include "base/capture_filter.h"
#include "base/refusal.h"
#include "base/time.h"
#include "channel.h"
#include "tables/fastpath_tables.h"

namespace anycastd {

// One port of the DPDK datapath (an uplink) and its exception interface.
struct DpdkPortStatus {
  unsigned port = 0;  // the ethdev port id
  std::string driver, profile, exception_interface, mac;
  unsigned queues = 0;
  bool link_up = false;
  std::uint32_t link_speed_mbps = 0;
  std::vector<std::pair<std::string, std::uint64_t>> xstats;  // the port's extended statistics
};

// The DPDK datapath process, as its supervisor sees it. The flat port fields are the first
// port's (what a single-uplink server has); link_up is true while any port's link is up.
struct DpdkStatus {
  bool running = false;
  std::string down_reason;  // why it is not running
  long pid = 0;
  std::uint64_t restarts = 0;
  std::string driver, profile, exception, exception_interface, mac;
  unsigned queues = 0;
  bool link_up = false;
  std::uint32_t link_speed_mbps = 0;
  std::vector<channel::LcoreStats> lcores;
  std::vector<std::pair<std::string, std::uint64_t>> xstats;  // the first port's extended statistics
  std::vector<DpdkPortStatus> ports;
};

// XDP: one interface the program is on (exclusive, dispatcher), or one the operator's root
// program passed frames from (chain), with what the program did with them.
struct InterfaceStatus {
  std::string name;
  int ifindex = 0;              // 0 while gone
  std::string state;            // "attached" | "gone" | "failed" | "chained" (chain: seen through the root)
  std::string detail;           // why failed or gone
  std::string xdp_mode;         // "native" | "generic" (attached)
  std::uint32_t prog_id = 0;    // the program on the interface (a dispatcher's copy has its own)
  std::uint64_t answered = 0, passed = 0, dropped = 0;
  bool operator==(const InterfaceStatus&) const = default;
};

// What a datapath says of itself in a status snapshot (status/status.h copies it in).
struct DatapathStatus {
  std::string kind;       // "xdp" | "dpdk"
  std::string interface;  // xdp: the interfaces, comma-separated; dpdk: the exception interface
  std::string xdp_mode;   // xdp: "native" | "generic"
  std::uint32_t prog_id = 0;
  std::string attach;     // xdp: "exclusive" | "dispatcher" | "chain"
  std::vector<InterfaceStatus> interfaces;
  std::string chain_map;  // chain: the prog array and anycastd's slot in it
  std::uint32_t chain_index = 0;
  std::optional<DpdkStatus> dpdk;
};

struct ProbeRun {
  std::string error;                // the probe could not run at all ("" when it ran)
  bool answered = false;
  std::string verdict;              // when not answered: "pass (not_vip)"
  std::vector<std::uint8_t> frame;  // when answered: the reply as the fast path wrote it
};

struct InPlace {
  bool ok = false;
  std::string detail;  // "prog id 12 attached", "XDP program on eth1 is prog id 40, not ours (12)"
};

// The datapath health check's view: health-check threads call it, so implementations are
// thread-safe. Probes run on the fast path's live tables and never reach the wire.
class DatapathProbe {
 public:
  virtual ~DatapathProbe() = default;
  // Whether the fast path on the wire is ours and running.
  virtual InPlace in_place() = 0;
  virtual ProbeRun run(const std::vector<std::uint8_t>& frame) = 0;
};

// A frame the fast path copied out during a capture (abi.h struct ac_capture_meta).
struct CapturedFrame {
  std::uint64_t mono_ns = 0;  // CLOCK_MONOTONIC
  std::uint8_t kind = 0;      // enum ac_capture_kind
  std::uint8_t service = 0;   // enum ac_service
  std::span<const std::uint8_t> bytes;
};

// A capture running on the fast path (docs/capture.md): the program copies what the filter
// matches while this lives; destroying it switches the copy off.
class CaptureTap {
 public:
  virtual ~CaptureTap() = default;
  // Readable while copied frames wait.
  virtual int fd() const = 0;
  // Hands the frames waiting in one of the rings (the next, round robin) to `sink`: one call
  // takes at most a ring's worth. Returns how many.
  virtual std::size_t read_some(const std::function<void(const CapturedFrame&)>& sink) = 0;
  // Frames the filter matched that were lost to a full ring since the capture started.
  virtual std::uint64_t lost() const = 0;
  // Why the fast path stopped copying for this capture on its own ("" while it copies): the
  // datapath process went away or was restarted (DPDK). The capture then ends with this reason.
  virtual std::string ended() const = 0;
};

class Datapath {
 public:
  virtual ~Datapath() = default;

  // Start answering on the wire, once the first tables are written (XDP: attach the program).
  virtual void activate() = 0;
  // A reload's interface list (XDP, [datapath] interface): new ones are attached, all or none
  // (throws std::runtime_error naming the one that failed, and nothing changed then), then the
  // ones no longer listed detached. A list that only drops interfaces never fails, which is how
  // the daemon takes back what a failed reload added. Only a datapath with interfaces is asked.
  virtual void set_interfaces(const std::vector<std::string>& names) = 0;
  // Makes the fast path hold exactly `tables`. Throws std::runtime_error naming what the fast
  // path refused (a full table); a datapath that is down takes them when it is back.
  virtual void write_tables(const FastpathTables& tables) = 0;
  // The NTP server's clock state (control/clock), about once a second. Cheap: no table rebuild.
  // A datapath that is down takes the next one when it is back.
  virtual void write_ntp_state(const ac_ntp_state& state) = 0;
  // The DNS answer table image (abi.h struct ac_dns_table, compiled from the zones by
  // control/dns) replaces the one the fast path answers from in one step: a query reads the old
  // table or the new one, whole. Throws std::runtime_error naming what the fast path refused; it
  // keeps the table it had. A datapath that is down takes the table when it is back.
  virtual void write_dns_table(std::shared_ptr<const std::vector<std::uint8_t>> image) = 0;
  // The NSID and cookie settings (config/dns_edns.h), at start, on reloads and every second for
  // the cookie clock's `now`. Cheap. A datapath that is down takes the last one when it is back.
  virtual void write_dns_edns(const ac_dns_edns& edns) = 0;
  virtual ac_stats read_stats() = 0;
  // The per-VIP counters, AC_VIP_STATS_ENTRIES of them by ac_vip_value.stats; empty from a
  // datapath that keeps none.
  virtual std::vector<ac_vip_stats> read_vip_stats() { return {}; }
  // The VIP set the fast path holds, with each VIP's counter entry, before this daemon wrote any
  // (restart in place: the predecessor's, so counts stay with their VIPs); empty when fresh.
  virtual std::vector<VipEntry> held_vips() { return {}; }
  virtual std::shared_ptr<DatapathProbe> probe() = 0;
  // The datapath's part of a status snapshot.
  virtual DatapathStatus describe() = 0;
  // What the start-up line says of it: "interface eth0 (xdp native, prog id 42)".
  virtual std::string summary() = 0;

  // Starts copying out what the fast path answers and `filter` matches. Throws std::runtime_error
  // with the operator's message when it cannot (the datapath has no capture, the ring cannot be
  // made).
  virtual std::unique_ptr<CaptureTap> start_capture(const CaptureFilter& filter) = 0;

  // Supervision, for a datapath that can die under us: descriptors the daemon polls, the work
  // to do when one is ready or next_wakeup() comes, and why the fast path is gone (refused while
  // it does not answer). Groups are held out while it is gone, so their routes are withdrawn.
  virtual std::vector<int> poll_fds() const { return {}; }
  virtual void poll(Clock::time_point) {}
  virtual Clock::time_point next_wakeup() const { return Clock::time_point::max(); }
  virtual Refusal down_reason() const { return Refusal::none(); }
  // Just before the daemon execs its successor (anycastctl restart): leave what it must adopt.
  virtual void prepare_exec() {}
};

}  // namespace anycastd
