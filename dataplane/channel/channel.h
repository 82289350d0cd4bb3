// SPDX-License-Identifier: Apache-2.0
#pragma once

// The channel between anycastd (control) and a datapath process it supervises (anycastd-dpdk):
// one SOCK_SEQPACKET socket pair, one message per datagram, a request answered by exactly one
// reply carrying the request's sequence number. The datapath speaks first (hello, once its port
// and exception path are up); from then on control asks and the datapath answers.
//
// Everything here is plain fixed-width data: both ends are built from this tree, and the header's
// magic and version reject anything else (a stale binary left in place by an upgrade).
//
//   control -> datapath        datapath -> control
//   tables (+ memfd)           ok | error
//   stats                      stats_reply
//   probe (+ frame)            probe_reply (+ frame as the core left it)
//   ntp_state (ac_ntp_state)   ok | error
//   dns_edns (ac_dns_edns)     ok | error
//   dns_table (+ memfd)        ok | error
//   capture_start (config)     ok | error
//   capture_stop               capture_stopped
//   capture_read               capture_frames
//
// While it serves a request, the datapath also sends `working` messages with the request's
// sequence number every kWorkingInterval (its heartbeat, see Working): a request that takes long
// (a table set built on a loaded machine) is judged by whether the datapath still makes progress,
// not by how long its one reply takes. A reader skips `working` messages it does not wait for.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "abi.h"
#include "base/posix_io.h"
#include "tables/fastpath_tables.h"

namespace anycastd::channel {

inline constexpr std::uint32_t kMagic = 0x61634450;  // "acDP"
// 5: several ports (Hello::port, per-port stats); ac_stats (in LcoreStats) grew by the pass
// reason multi_buffer. 6: the per-VIP counters in the stats reply (StatsReply::vips). 7: packet capture
// (capture_start, capture_stop, capture_read). 8: NSID and cookie settings (dns_edns).
inline constexpr std::uint16_t kVersion = 8;
// How often the datapath sends `working` while a request is in progress.
inline constexpr std::chrono::milliseconds kWorkingInterval{100};
// Large enough for a stats reply with a few hundred port xstats and any probe frame.
inline constexpr std::size_t kMaxMessage = 256 * 1024;

enum class Type : std::uint16_t {
  hello = 1,
  tables = 2,  // carries a memfd (SCM_RIGHTS) holding encode_tables() output; no payload
  stats = 3,
  probe = 4,   // payload: an Ethernet frame
  ok = 5,
  error = 6,   // payload: what went wrong, text
  stats_reply = 7,
  probe_reply = 8,
  ntp_state = 9,  // payload: one ac_ntp_state, about once a second
  dns_table = 10, // carries a sealed memfd holding a DNS answer table image (abi.h ac_dns_table); no payload
  working = 11,   // datapath -> control, with a request's sequence while it is served; payload: Working
  capture_start = 12,    // payload: one ac_capture_config (AC_CAPTURE_F_ON set); replaces any capture
  capture_stop = 13,     // no payload; answered even when none runs
  capture_read = 14,     // no payload: the frames the workers copied since the last read
  capture_stopped = 15,  // payload: CaptureStopped
  capture_frames = 16,   // payload: CaptureFramesHead, then its frames (see CaptureFramesWriter)
  dns_edns = 17,         // payload: one ac_dns_edns (NSID, cookie secrets, `now`), about once a second
};

struct Header {
  std::uint32_t magic;
  std::uint16_t version;
  std::uint16_t type;
  std::uint32_t sequence;
  std::uint32_t length;  // payload bytes after the header
};

// Ports one datapath drives: the hello has room for each (fixed size, so that a restart in place
// hands it over as it is).
inline constexpr std::size_t kMaxPorts = 8;

struct HelloPort {
  char driver[32];               // the port's driver, e.g. "net_af_xdp"
  char profile[32];              // the NIC profile in use on it
  char exception_interface[16];  // the kernel interface carrying this port's MAC
  std::uint8_t mac[6];
  std::uint16_t port_id;
  std::uint16_t queues;          // its RX/TX queue pairs, one per worker lcore
  std::uint16_t pad[3];
};

struct Hello {
  char exception[16];  // "tap" or "virtio_user"
  std::uint32_t pid;
  std::uint16_t ports;   // entries of `port` in use, in port id order
  std::uint16_t queues;  // worker lcores over all ports
  HelloPort port[kMaxPorts];
};

// The datapath's own counters, beside the packet core's ac_stats, per worker lcore.
struct DatapathCounters {
  std::uint64_t rx_packets;           // from the port
  std::uint64_t tx_answers;           // answers the port took
  std::uint64_t tx_answers_dropped;   // answers the port refused after retries (TX ring full)
  std::uint64_t to_kernel;            // passed frames the exception interface took
  std::uint64_t to_kernel_dropped;    // passed frames it refused
  std::uint64_t from_kernel;          // frames the kernel sent out through the exception interface
  std::uint64_t from_kernel_dropped;  // of those, refused by the port
  std::uint64_t idle_sleeps;          // back-off sleeps after empty polls
};

// Every DatapathCounters field with the name status, metrics and telemetry give it, and the
// sentence that explains it: one table, so the reports cannot drift apart.
struct DatapathCounterField {
  const char* name;
  const char* help;
  std::uint64_t DatapathCounters::*field;
};
inline constexpr DatapathCounterField kDatapathCounterFields[] = {
    {"rx_packets", "Frames received from the port.", &DatapathCounters::rx_packets},
    {"tx_answers", "Answers the port took.", &DatapathCounters::tx_answers},
    {"tx_answers_dropped", "Answers the port refused after retries (TX ring full).",
     &DatapathCounters::tx_answers_dropped},
    {"to_kernel", "Passed frames the exception interface took.", &DatapathCounters::to_kernel},
    {"to_kernel_dropped", "Passed frames the exception interface refused.", &DatapathCounters::to_kernel_dropped},
    {"from_kernel", "Frames the kernel sent out through the exception interface.", &DatapathCounters::from_kernel},
    {"from_kernel_dropped", "Frames from the kernel the port refused.", &DatapathCounters::from_kernel_dropped},
    {"idle_sleeps", "Back-off sleeps after empty polls.", &DatapathCounters::idle_sleeps},
};
static_assert(sizeof kDatapathCounterFields / sizeof kDatapathCounterFields[0] ==
                  sizeof(DatapathCounters) / sizeof(std::uint64_t),
              "a DatapathCounters field without its entry");

struct LcoreStats {
  std::uint32_t lcore;
  std::uint16_t port;   // the ethdev port id it polls
  std::uint16_t queue;
  std::uint64_t loops;  // heartbeat: polling iterations so far
  ac_stats core;
  DatapathCounters datapath;
};

// The heartbeat a `working` message carries, followed by `lcores` WorkerBeat. Facts, not a
// verdict: control decides what counts as stuck (ChannelClient::request_while_alive).
struct Working {
  std::uint64_t server_cpu_ns;  // CPU time of the thread serving the request (the main lcore)
  std::uint32_t lcores;
  std::uint32_t pad;
};
struct WorkerBeat {
  std::uint32_t lcore;
  std::uint32_t pad;
  std::uint64_t loops;  // LcoreStats::loops
};

struct Xstat {
  char name[64];
  std::uint16_t port;  // whose statistic
  std::uint16_t pad[3];
  std::uint64_t value;
};

struct PortLink {
  std::uint16_t port;
  std::uint16_t pad;
  std::uint32_t link_up;
  std::uint32_t link_speed_mbps;
};

// One per-VIP counter entry (abi.h ac_vip_stats) summed over the workers; only entries that
// counted something are sent.
struct VipStats {
  std::uint32_t entry;  // ac_vip_value.stats
  std::uint32_t pad;
  ac_vip_stats stats;
};

// Followed by `lcores` LcoreStats, `ports` PortLink, `xstats` Xstat (the ports' extended
// statistics), then `vips` VipStats.
struct StatsReply {
  std::uint32_t lcores;
  std::uint32_t ports;
  std::uint32_t xstats;
  std::uint32_t vips;
};

// Followed by the frame as the packet core left it (the reply, for an answer).
struct ProbeReply {
  std::uint8_t action;  // enum ac_action
  std::uint8_t reason;  // enum ac_pass_reason
  std::uint8_t service;
  std::uint8_t pad;
  std::uint32_t length;
};

// Whether a capture was running when capture_stop came: a predecessor that died in the middle of
// one (and handed the process over) left it on.
struct CaptureStopped {
  std::uint32_t was_on;
  std::uint32_t pad;
};

// A capture_frames reply: this head, then `frames` times an ac_capture_meta followed by its
// meta.len bytes of frame. `on` is 0 when no capture runs (the datapath was restarted, or it was
// stopped): the frames then are none, and a reader's capture is over.
struct CaptureFramesHead {
  std::uint64_t lost;  // frames the filter wanted that found a worker's ring full, since capture_start
  std::uint32_t frames;
  std::uint8_t on;
  std::uint8_t more;   // frames still wait: the reply was full
  std::uint16_t pad;
};

// Builds a capture_frames payload no larger than one message.
class CaptureFramesWriter {
 public:
  CaptureFramesWriter();
  // Appends a frame; false, appending nothing, when it does not fit.
  bool add(const ac_capture_meta& meta, const std::uint8_t* frame);
  // The payload with its head filled in; the writer is spent.
  std::vector<std::uint8_t> finish(std::uint64_t lost, bool on, bool more);

 private:
  std::vector<std::uint8_t> payload_;
  std::uint32_t frames_ = 0;
};

struct CaptureFrame {
  ac_capture_meta meta;
  const std::uint8_t* bytes;  // meta.len of them, inside the payload decoded
};
struct CaptureFrames {
  CaptureFramesHead head;
  std::vector<CaptureFrame> frames;
};
// Reads a capture_frames payload; throws std::runtime_error naming what does not add up.
CaptureFrames decode_capture_frames(const std::vector<std::uint8_t>& payload);

struct Message {
  Type type{};
  std::uint32_t sequence = 0;
  std::vector<std::uint8_t> payload;
  posix_io::UniqueFd fd;  // tables: the memfd
};

// Sends one message; `fd` >= 0 travels with it (SCM_RIGHTS). Returns "" or what went wrong.
std::string send_message(int socket, Type type, std::uint32_t sequence, const void* payload, std::size_t length,
                         int fd = -1);

// Receives one message before the deadline. nullopt with `error` set on a timeout, a closed peer
// ("closed"), or a datagram that is not a valid message of this version (named in `error`).
std::optional<Message> receive_message(int socket, posix_io::Deadline deadline, std::string& error);

// The table set as a flat image (what a memfd carries), and back. decode throws
// std::runtime_error naming the first thing that is wrong (magic, size, a record's family).
std::vector<std::uint8_t> encode_tables(const FastpathTables& tables);
FastpathTables decode_tables(const std::uint8_t* data, std::size_t size);

// What is wrong with a DNS answer table image of `size` bytes ("" when nothing): its header
// (magic, version), and every region it names (slots, zones, arena) inside the image and laid
// out as abi.h says, so a reader that trusts the header never reads past the end. The answer
// objects themselves are the compiler's word (control checked them before sending).
std::string dns_table_problem(const void* image, std::size_t size);

// A sealed memfd holding `bytes`, and the whole contents of one. `name` shows in /proc/PID/fd.
posix_io::UniqueFd memfd_with(const std::vector<std::uint8_t>& bytes, const char* name = "anycastd-tables");
std::vector<std::uint8_t> read_memfd(int fd);

// Fixed-size text fields (Hello's names): copy truncating and NUL-terminated, and read back.
template <std::size_t N>
void set_text(char (&field)[N], const std::string& text) {
  std::size_t n = text.size() < N - 1 ? text.size() : N - 1;
  text.copy(field, n);
  field[n] = '\0';
  for (std::size_t i = n + 1; i < N; ++i) field[i] = '\0';
}
template <std::size_t N>
std::string text_of(const char (&field)[N]) {
  std::size_t n = 0;
  while (n < N && field[n]) ++n;
  return std::string(field, n);
}

}  // namespace anycastd::channel
