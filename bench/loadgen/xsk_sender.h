// SPDX-License-Identifier: Apache-2.0
#pragma once

// The AF_XDP sending engine: one send-only XSK socket on one queue of an interface, with a UMEM
// and a TX ring of its own, owned here (RAII). It writes frames with lg_write_frame, the code
// the live-frame engine runs in BPF, so both engines send the same bytes. No program is loaded
// for the socket (XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD): the interface keeps the receiver.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <xdp/xsk.h>

#include "loadgen_abi.h"
#include "templates.h"

namespace anycastd::loadgen {

// The TX queues `dev` has (0 when it cannot be read): a sending thread binds one each.
std::uint32_t tx_queues(const std::string& dev);

struct XskRun {
  std::uint64_t sent = 0;   // frames the kernel took from the TX ring and completed
  std::uint64_t stuck = 0;  // put on the TX ring and never completed by the deadline
  std::string stall;        // why the run ended early or left frames stuck; empty when it did neither
};

class XskSender {
 public:
  // Binds to `queue` of `dev` (zero-copy where the driver has it, else copy mode). Throws
  // std::runtime_error naming the cause: no such interface or queue, the interface down, the
  // queue already bound by another AF_XDP socket, a UMEM the kernel will not register (locked
  // memory), frames longer than a UMEM chunk.
  XskSender(const std::string& dev, std::uint32_t queue, std::size_t frame_len);
  ~XskSender();
  XskSender(const XskSender&) = delete;
  XskSender& operator=(const XskSender&) = delete;

  bool zero_copy() const { return zero_copy_; }

  // Sends frames first, first + 1, ... of the template's plan (at most `count`, 0: no limit; paced to one
  // per interval_ns when non-zero) until `deadline`, in batches of up to `batch`. Never blocks
  // past the deadline: frames the kernel has not completed by then are reported as stuck.
  XskRun run(const Template& t, std::uint64_t first, std::uint64_t count, std::uint64_t interval_ns,
             std::chrono::steady_clock::time_point deadline, std::uint32_t batch);

 private:
  void reclaim(XskRun& r);
  // Asks the kernel to send what the ring holds; false (with `why`) when the socket can no
  // longer send (its interface went away or down).
  bool kick(std::string& why);

  std::string dev_;
  std::uint32_t queue_;
  std::size_t frame_len_;
  std::size_t chunk_;
  void* area_ = nullptr;
  std::size_t area_len_ = 0;
  xsk_umem* umem_ = nullptr;
  xsk_socket* xsk_ = nullptr;
  xsk_ring_prod fill_{};  // required by the UMEM; never filled: the socket does not receive
  xsk_ring_cons comp_{};
  xsk_ring_prod tx_{};
  std::vector<std::uint64_t> free_;  // UMEM chunks not on the TX ring
  bool zero_copy_ = false;
};

}  // namespace anycastd::loadgen
