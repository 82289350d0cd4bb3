// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "abi.h"
#include "tables/fastpath_tables.h"
#include "datapath/xdp/xdp_capture.h"
#include "datapath/xdp/xdp_dns_maps.h"
#include "datapath/xdp/xdp_vip_sets.h"

struct anycast_xdp;  // the libbpf skeleton, generated from bpf/anycast_xdp.c
struct bpf_program;  // one of its entry points (libbpf)

namespace anycastd {

struct XdpLoadOptions {
  std::uint32_t vip_max_entries = AC_VIP_MAX_DEFAULT;    // per family (ac_vip4_hash, ac_vip6_hash)
  std::uint32_t allow_max_entries = AC_ALLOW_MAX_DEFAULT;  // per family (ac_allow4, ac_allow6)
  // Taking over from a running program (restart in place): share its maps, so the tables and
  // the counters carry on and the switch-over leaves no moment with empty tables. Used only
  // when every map matches in type and size (the same build, or one that kept the ABI);
  // otherwise fresh maps, with a warning. 0: fresh maps.
  std::uint32_t reuse_maps_of_prog_id = 0;
  // Chain mode: the operator's prog array (its fd; -1 alone) and the slot to go on to.
  int chain_map_fd = -1;
  std::uint32_t chain_next = 0;
  // Load the frags-aware entry point (SEC("xdp.frags"), BPF_F_XDP_HAS_FRAGS); false: the plain
  // one (SEC("?xdp")), for an exclusive attachment in generic mode, where the kernel copies a
  // frags-aware program's frames into page-pool buffers with under 64 bytes of tailroom and a
  // plain program's into the frame's own head, widened by pskb_expand_head, with hundreds
  // (docs/dns.md, "Frame growth").
  bool frags = true;
};

// What the program did on one interface (abi.h ac_iface_stats), summed over the CPUs.
struct XdpInterfaceStats {
  std::uint32_t ifindex = 0;
  ac_iface_stats stats{};
};

// The loaded (not attached) XDP program and its maps, owned through the libbpf skeleton.
// Attaching is XdpAttachment's job, so tests and benchmarks can drive the program with
// BPF_PROG_TEST_RUN without touching an interface.
class XdpProgram {
 public:
  // Throws std::runtime_error with libbpf's errno text (the verifier log goes to spdlog).
  explicit XdpProgram(const XdpLoadOptions& options = {});
  ~XdpProgram();
  XdpProgram(const XdpProgram&) = delete;
  XdpProgram& operator=(const XdpProgram&) = delete;

  // Makes the maps hold exactly `tables`: adds, updates and deletes stale entries, and writes
  // the answering switch. Ordered so that a packet arriving mid-update never sees more than
  // either the old or the new configuration allows. Throws std::runtime_error naming the map
  // and entry on failure (a full map, a wrong family).
  void write_tables(const FastpathTables& tables);

  // The global switch in ac_control: off, every VIP passes to the kernel.
  void set_answering(bool on);

  // The single entry of ac_ntp: the NTP server's clock state. The kernel copies the value in
  // place, so a packet on another CPU may read a mix of the old and the new state; fields that
  // change together (the TAI offsets and the leap switch) change only around a leap second, and
  // a mix there at worst dates one answer by the leap's second in a window of nanoseconds.
  void write_ntp_state(const ac_ntp_state& state);

  // The single entry of dns_edns: the NSID and the cookie secrets and clock. As with ac_ntp, a
  // packet on another CPU may read a mix; `now` alone changes every second (a mix dates one
  // cookie a second apart), and the secrets change only on a reload.
  void write_dns_edns(const ac_dns_edns& edns);

  // The DNS answer table image (control/dns) into the DNS maps, replacing the table queries
  // read in one step (xdp_dns_maps.h). Throws std::runtime_error; the old table stays then.
  XdpDnsTableMaps write_dns_table(const std::vector<std::uint8_t>& image);

  // Counters summed over all possible CPUs.
  ac_stats read_stats() const;
  // Per interface that saw frames, by ingress ifindex (below AC_IFACE_MAX; control's probes,
  // BPF_PROG_TEST_RUN, are not counted here).
  std::vector<XdpInterfaceStats> read_interface_stats() const;
  // Zeroes an interface's counters (it is gone, or no longer ours).
  void forget_interface(std::uint32_t ifindex);
  // The per-VIP counters (ac_vip_stats), all AC_VIP_STATS_ENTRIES entries, summed over the CPUs.
  std::vector<ac_vip_stats> read_vip_stats() const;
  // The VIP set packets match now, with each VIP's counter entry: with reused maps, the
  // predecessor's (restart in place); else the last write_tables' (or none).
  std::vector<VipEntry> held_vips() const;

  // The capture's maps (datapath/xdp/xdp_capture.h).
  XdpCaptureMaps capture_maps() const;

  int prog_fd() const;
  std::uint32_t prog_id() const;
  // The fd of the map named `name`, -1 if there is none (a copy of the program shares them).
  int map_fd(const char* name) const;
  const XdpLoadOptions& options() const { return options_; }
  // Whether the maps are the predecessor's (reuse_maps_of_prog_id took).
  bool reused_maps() const { return reused_maps_; }

 private:
  struct SkeletonDeleter {
    void operator()(anycast_xdp* skeleton) const;
  };
  std::unique_ptr<anycast_xdp, SkeletonDeleter> skeleton_;
  bpf_program* program_ = nullptr;  // the entry point loaded: frags-aware or not (options_.frags)
  XdpLoadOptions options_;
  // ac_ports is an array: it cannot be iterated for "present" entries, so remember what we set.
  std::set<std::uint16_t> ports_written_;
  bool reused_maps_ = false;
  ac_control control_{};  // what ac_control holds: control is its only writer
  std::optional<XdpVipSets> vip_sets_;  // once the maps exist

  bool reuse_maps(std::uint32_t prog_id);
  void write_control(const char* what);
};

// Routes libbpf's own messages (verifier log, map creation failures) to spdlog. Idempotent;
// XdpProgram calls it, anything else that uses libbpf first may too.
void route_libbpf_logs_to_spdlog();

}  // namespace anycastd
