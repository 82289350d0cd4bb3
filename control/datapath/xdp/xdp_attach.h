// SPDX-License-Identifier: Apache-2.0
#pragma once

// Attaching the fast path to an interface, deliberately through netlink (bpf_xdp_attach) and not
// through a bpf_link: a netlink attachment belongs to the interface, not to the process, so
// after `kill -9` the program stays and keeps answering while the VIP stays on the loopback, and
// the next anycastd replaces it in one atomic step. A bpf_link would vanish with the process and
// leave the VIP announced with nothing answering on the fast path.

#include <cstdint>
#include <string_view>

#include "config/settings.h"
#include "netlink/netlink.h"

namespace anycastd {


// The XDP program an interface carries, as netlink reports it: `mode` is XDP_ATTACHED_NONE,
// _DRV, _SKB, _HW or _MULTI (linux/if_link.h); `prog_id` 0 with none.
struct XdpAttached {
  std::uint8_t mode = 0;
  std::uint32_t prog_id = 0;
};
// Throws std::runtime_error naming the interface when the query fails.
XdpAttached attached_xdp(const Interface& interface);

// One interface's hold on anycastd's program, however it got there: attached alone
// (XdpAttachment) or into libxdp's dispatcher (DispatcherSlot). Letting go detaches.
class XdpHook {
 public:
  virtual ~XdpHook() = default;
  virtual XdpMode mode() const = 0;          // in effect: native or generic
  virtual std::uint32_t prog_id() const = 0;  // the program on the interface
  // The interface is gone (link deleted): nothing to detach from any more.
  virtual void interface_gone() = 0;
};

class XdpAttachment final : public XdpHook {
 public:
  // Attaches `prog_fd` (duplicated: the caller's fd may close first). Never replaces someone
  // else's program: throws std::runtime_error naming the interface and the attached program.
  // A program named like ours (anycast_xdp), left by an anycastd that did not stop cleanly, is
  // replaced atomically so answering continues without a gap.
  XdpAttachment(const Interface& interface, int prog_fd, XdpMode mode);
  // Detaches, if the program attached is still ours.
  ~XdpAttachment() override;
  XdpAttachment(const XdpAttachment&) = delete;
  XdpAttachment& operator=(const XdpAttachment&) = delete;

  XdpMode mode() const override { return mode_; }
  std::uint32_t prog_id() const override { return prog_id_; }
  void interface_gone() override { gone_ = true; }
  std::uint32_t replaced_prog_id() const { return replaced_prog_id_; }  // 0: nothing was there

 private:
  bool try_attach(XdpMode mode, int old_prog_fd, int& error);

  Interface interface_;
  int prog_fd_ = -1;
  std::uint32_t prog_id_ = 0;
  std::uint32_t replaced_prog_id_ = 0;
  XdpMode mode_ = XdpMode::native;
  bool gone_ = false;
};

}  // namespace anycastd
