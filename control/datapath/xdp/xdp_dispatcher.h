// SPDX-License-Identifier: Apache-2.0
#pragma once

// Dispatcher mode (docs/deployment.md): anycastd's program in a slot of libxdp's multi-program
// dispatcher on one interface, beside whatever programs the other slots hold (xdp-tools load
// theirs the same way). libxdp loads a copy of anycastd's program as an freplace extension of
// the dispatcher, sharing the maps of the loaded one (XdpProgram), so tables, counters and the
// probe are the same. Where the kernel refuses freplace programs, libxdp attaches the copy alone
// ("legacy mode") and reports success: that is detected, undone and refused, pointing to chain.

#include <cstdint>
#include <string>

#include "config/settings.h"
#include "datapath/xdp/xdp_attach.h"
#include "netlink/netlink.h"

struct bpf_object;
struct xdp_program;

namespace anycastd {

class XdpProgram;

class DispatcherSlot final : public XdpHook {
 public:
  // Throws std::runtime_error naming the interface; nothing of anycastd's stays attached then,
  // and the programs already in the dispatcher are untouched. An earlier anycastd's program in
  // the dispatcher (after kill -9) is replaced: the new one goes in first, then the old one out.
  DispatcherSlot(const Interface& interface, const XdpProgram& program, XdpMode mode, std::uint32_t priority);
  ~DispatcherSlot() override;
  DispatcherSlot(const DispatcherSlot&) = delete;
  DispatcherSlot& operator=(const DispatcherSlot&) = delete;

  std::uint32_t prog_id() const override;  // the copy in the dispatcher
  XdpMode mode() const override { return mode_; }
  void interface_gone() override { gone_ = true; }

 private:
  Interface interface_;
  XdpMode mode_;
  bpf_object* object_ = nullptr;
  xdp_program* program_ = nullptr;
  bool gone_ = false;
};

// The id of an earlier anycastd's program in the dispatcher on `ifindex`, 0 if there is none.
std::uint32_t anycastd_in_dispatcher(int ifindex);

// Whether program `prog_id` runs in a real dispatcher on `ifindex` ("" if so, else why not).
std::string dispatcher_in_place(int ifindex, std::uint32_t prog_id);

}  // namespace anycastd
