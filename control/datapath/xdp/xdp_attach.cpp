// SPDX-License-Identifier: Apache-2.0
#include "datapath/xdp/xdp_attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include "base/posix_io.h"
#include "datapath/xdp/bpf_info.h"

namespace anycastd {
namespace {

std::uint32_t mode_flag(XdpMode mode) {
  return mode == XdpMode::generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

std::string_view attach_mode_name(std::uint8_t attach_mode) {
  switch (attach_mode) {
    case XDP_ATTACHED_DRV: return "native";
    case XDP_ATTACHED_SKB: return "generic";
    case XDP_ATTACHED_HW: return "offloaded";
    case XDP_ATTACHED_MULTI: return "several modes";
    default: return "none";
  }
}

// An owned fd of the program with `id`, -1 if it is gone.
int program_fd(std::uint32_t id) {
  return bpf_prog_get_fd_by_id(id);
}

}  // namespace

XdpAttached attached_xdp(const Interface& interface) {
  bpf_xdp_query_opts query{};
  query.sz = sizeof query;
  if (int err = bpf_xdp_query(interface.index, 0, &query); err != 0)
    throw std::runtime_error("querying XDP on " + interface.name + ": " + std::strerror(-err));
  // prog_id is set for one mode only; with several (MULTI), the driver's is the one that answers.
  std::uint32_t id = query.prog_id ? query.prog_id : (query.drv_prog_id ? query.drv_prog_id : query.skb_prog_id);
  return {query.attach_mode, id};
}

XdpAttachment::XdpAttachment(const Interface& interface, int prog_fd, XdpMode mode) : interface_(interface) {
  prog_fd_ = fcntl(prog_fd, F_DUPFD_CLOEXEC, 3);
  if (prog_fd_ < 0) throw std::runtime_error(std::string("duplicating the XDP program's fd: ") + std::strerror(errno));
  try {
    prog_id_ = program_id(prog_fd_);

    const XdpAttached attached = attached_xdp(interface_);

    int old_fd = -1;
    std::optional<posix_io::UniqueFd> old;
    XdpMode old_mode = XdpMode::native;
    if (attached.mode != XDP_ATTACHED_NONE) {
      const std::uint32_t id = attached.prog_id;
      old.emplace(program_fd(id));
      std::string name = old->get() >= 0 ? program_name(old->get()) : "";
      bool predecessor = name == kOurProgramName &&
                         (attached.mode == XDP_ATTACHED_DRV || attached.mode == XDP_ATTACHED_SKB);
      if (!predecessor)
        throw std::runtime_error(interface_.name + " already has an XDP program attached (id " + std::to_string(id) +
                                 ", name \"" + name + "\", " + std::string(attach_mode_name(attached.mode)) +
                                 "); anycastd never replaces another program: detach it first (ip link set dev " +
                                 interface_.name + " xdp off) if it is not needed");
      replaced_prog_id_ = id;
      old_fd = old->get();
      old_mode = attached.mode == XDP_ATTACHED_SKB ? XdpMode::generic : XdpMode::native;

      // Atomic replacement works only within a mode; a change of mode takes a detach first.
      if (mode != XdpMode::automatic && mode != old_mode) {
        spdlog::warn("{}: detaching the XDP program (id {}) of an earlier anycastd in {} mode, to attach in {} mode",
                     interface_.name, id, to_string(old_mode), to_string(mode));
        bpf_xdp_attach_opts opts{};
        opts.sz = sizeof opts;
        opts.old_prog_fd = old_fd;
        if (int err = bpf_xdp_detach(interface_.index, mode_flag(old_mode), &opts); err != 0)
          throw std::runtime_error("detaching the earlier anycastd's XDP program from " + interface_.name + ": " +
                                   std::strerror(-err));
        old_fd = -1;
      } else {
        mode = old_mode;
        spdlog::warn("{}: replacing the XDP program (id {}) left by an earlier anycastd; answering continues "
                     "without a gap",
                     interface_.name, id);
      }
    }

    int error = 0;
    XdpMode tried = mode;
    if (mode == XdpMode::automatic) {
      tried = XdpMode::native;
      if (!try_attach(tried, old_fd, error) && error != -EBUSY && error != -EEXIST && error != -EPERM) {
        spdlog::warn("!!! {}: native XDP failed ({}); FALLING BACK TO GENERIC XDP: answers still come from the "
                     "fast path, but only after the kernel has built an skb for each packet, several times slower. "
                     "Set xdp_mode = \"native\" to make this an error, or \"generic\" to choose it.",
                     interface_.name, std::strerror(-error));
        tried = XdpMode::generic;
        try_attach(tried, old_fd, error);
      }
    } else {
      try_attach(tried, old_fd, error);
    }
    mode = tried;
    mode_ = tried;

    if (error != 0) {
      std::string text = "attaching XDP in " + std::string(to_string(mode)) + " mode to " + interface_.name + ": " +
                         std::strerror(-error);
      if (error == -EBUSY || error == -EEXIST) {
        std::uint32_t id = 0;
        bpf_xdp_query_id(interface_.index, 0, &id);
        text += " (another XDP program, id " + std::to_string(id) + ", was attached meanwhile)";
      } else if (error == -EOPNOTSUPP && mode == XdpMode::native) {
        text += " (the driver has no native XDP: use xdp_mode = \"generic\" or \"auto\")";
      } else if (error == -EPERM) {
        text += " (anycastd needs CAP_BPF and CAP_NET_ADMIN)";
      }
      throw std::runtime_error(text);
    }
  } catch (...) {
    close(prog_fd_);
    throw;
  }
}

bool XdpAttachment::try_attach(XdpMode mode, int old_prog_fd, int& error) {
  bpf_xdp_attach_opts opts{};
  opts.sz = sizeof opts;
  std::uint32_t flags = mode_flag(mode);
  if (old_prog_fd >= 0)
    opts.old_prog_fd = old_prog_fd;  // libbpf adds XDP_FLAGS_REPLACE: swap only if that one is still there
  else
    flags |= XDP_FLAGS_UPDATE_IF_NOEXIST;  // never silently replace a program attached meanwhile
  error = bpf_xdp_attach(interface_.index, prog_fd_, flags, &opts);
  return error == 0;
}

XdpAttachment::~XdpAttachment() {
  if (gone_) {
    close(prog_fd_);
    return;
  }
  std::uint32_t attached = 0;
  std::uint32_t flag = mode_flag(mode_);
  if (int err = bpf_xdp_query_id(interface_.index, static_cast<int>(flag), &attached); err != 0) {
    spdlog::warn("{}: cannot query XDP ({}); the program may stay attached", interface_.name, std::strerror(-err));
  } else if (attached != prog_id_) {
    spdlog::warn("{}: the XDP program attached is no longer ours (id {}, ours {}): left as it is", interface_.name,
                 attached, prog_id_);
  } else {
    bpf_xdp_attach_opts opts{};
    opts.sz = sizeof opts;
    opts.old_prog_fd = prog_fd_;  // the kernel detaches only if it is still this one
    if (int err = bpf_xdp_detach(interface_.index, flag, &opts); err != 0)
      spdlog::error("{}: detaching the XDP program (id {}): {}", interface_.name, prog_id_, std::strerror(-err));
    else
      spdlog::info("{}: XDP program (id {}) detached", interface_.name, prog_id_);
  }
  close(prog_fd_);
}

}  // namespace anycastd
