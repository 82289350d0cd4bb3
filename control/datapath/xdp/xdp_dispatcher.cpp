// SPDX-License-Identifier: Apache-2.0
#include "datapath/xdp/xdp_dispatcher.h"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <xdp/libxdp.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string_view>
#include <stdexcept>
#include <vector>

#include "anycast_xdp.skel.h"
#include "datapath/xdp/bpf_info.h"
#include "datapath/xdp/xdp_program.h"

namespace anycastd {
namespace {

std::string xdp_error(int err) {
  char text[256];
  libxdp_strerror(err, text, sizeof text);
  return text;
}

int libxdp_to_spdlog(enum libxdp_print_level level, const char* format, va_list args) {
  char line[1024];
  int n = std::vsnprintf(line, sizeof line, format, args);
  if (n < 0) return n;
  std::string_view text(line, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof line - 1));
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (level == LIBXDP_WARN)
    spdlog::warn("libxdp: {}", text);
  else if (level == LIBXDP_INFO)
    spdlog::info("libxdp: {}", text);
  else
    spdlog::trace("libxdp: {}", text);
  return n;
}

xdp_attach_mode attach_mode(XdpMode mode) {
  return mode == XdpMode::generic ? XDP_MODE_SKB : XDP_MODE_NATIVE;
}

// The dispatcher on `ifindex`, or nullptr with `why` set; the caller closes it.
xdp_multiprog* dispatcher_of(int ifindex, std::string& why) {
  xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
  if (long err = libxdp_get_error(mp)) {
    why = "libxdp cannot read the interface's programs: " + xdp_error(static_cast<int>(err));
    return nullptr;
  }
  if (xdp_multiprog__is_legacy(mp)) {
    why = "a program is attached alone, not through libxdp's dispatcher";
    xdp_multiprog__close(mp);
    return nullptr;
  }
  return mp;
}

}  // namespace

DispatcherSlot::DispatcherSlot(const Interface& interface, const XdpProgram& program, XdpMode mode,
                               std::uint32_t priority)
    : interface_(interface), mode_(mode == XdpMode::generic ? XdpMode::generic : XdpMode::native) {
  static std::once_flag logs;
  std::call_once(logs, [] { libxdp_set_print(libxdp_to_spdlog); });
  // A second object from the same ELF, its maps those of the loaded program.
  std::size_t size = 0;
  const void* elf = anycast_xdp::elf_bytes(&size);
  object_ = bpf_object__open_mem(elf, size, nullptr);
  if (!object_) throw std::runtime_error("opening anycastd's program for libxdp's dispatcher: " + std::string(std::strerror(errno)));
  try {
    bpf_map* map;
    bpf_object__for_each_map(map, object_) {
      // The chain's placeholder stays the copy's own: a prog array takes only programs like its
      // owner, and an extension is not like the XDP program that owns the loaded one's.
      if (bpf_map__is_internal(map) || std::strcmp(bpf_map__name(map), "ac_chain") == 0) continue;
      int fd = program.map_fd(bpf_map__name(map));
      if (fd < 0) continue;
      if (int err = bpf_map__reuse_fd(map, fd); err != 0)
        throw std::runtime_error("sharing map " + std::string(bpf_map__name(map)) + " with libxdp's copy: " +
                                 std::strerror(-err));
    }
    program_ = xdp_program__from_bpf_obj(object_, "xdp.frags");
    if (long err = libxdp_get_error(program_)) {
      program_ = nullptr;
      throw std::runtime_error("handing anycastd's program to libxdp: " + xdp_error(static_cast<int>(err)));
    }
    xdp_program__set_run_prio(program_, priority);

    const std::uint32_t earlier = anycastd_in_dispatcher(interface_.index);
    if (int err = xdp_program__attach(program_, interface_.index, attach_mode(mode_), 0); err != 0)
      throw std::runtime_error("attaching to libxdp's dispatcher on " + interface_.name + ": " + xdp_error(err) +
                               " (another program attached alone, not through the dispatcher, is never replaced)");
    std::string why;
    xdp_multiprog* mp = dispatcher_of(interface_.index, why);
    if (!mp) {
      // libxdp fell back to attaching the program alone: undo exactly that.
      if (int err = xdp_program__detach(program_, interface_.index, attach_mode(mode_), 0); err != 0)
        spdlog::error("{}: detaching the program libxdp attached alone: {}", interface_.name, xdp_error(err));
      throw std::runtime_error(
          "attach = \"dispatcher\" on " + interface_.name + ": libxdp could not install its multi-program dispatcher (" +
          why + ": the kernel refused its freplace programs, BPF_PROG_TYPE_EXT, which a kernel with BPF LSM or "
          "lockdown policies may do) and fell back to single-program mode; anycastd does not run that way beside "
          "other programs. Use attach = \"chain\" (tail calls through a prog array, docs/deployment.md)");
    }
    xdp_multiprog__close(mp);
    if (earlier) {
      xdp_program* old = xdp_program__from_id(earlier);
      if (!libxdp_get_error(old)) {
        if (int err = xdp_program__detach(old, interface_.index, attach_mode(mode_), 0); err != 0)
          spdlog::warn("{}: removing an earlier anycastd's program (id {}) from the dispatcher: {}", interface_.name,
                       earlier, xdp_error(err));
        else
          spdlog::warn("{}: replaced an earlier anycastd's program (id {}) in the dispatcher", interface_.name, earlier);
        xdp_program__close(old);
      }
    }
    spdlog::info("{}: anycastd's program (id {}) in libxdp's dispatcher, priority {}", interface_.name, prog_id(),
                 priority);
  } catch (...) {
    if (program_) xdp_program__close(program_);
    bpf_object__close(object_);
    throw;
  }
}

DispatcherSlot::~DispatcherSlot() {
  if (!gone_) {
    if (int err = xdp_program__detach(program_, interface_.index, attach_mode(mode_), 0); err != 0)
      spdlog::error("{}: leaving libxdp's dispatcher: {}", interface_.name, xdp_error(err));
    else
      spdlog::info("{}: anycastd's program left libxdp's dispatcher", interface_.name);
  }
  xdp_program__close(program_);
  bpf_object__close(object_);
}

std::uint32_t DispatcherSlot::prog_id() const { return xdp_program__id(program_); }

std::uint32_t anycastd_in_dispatcher(int ifindex) {
  std::string why;
  xdp_multiprog* mp = dispatcher_of(ifindex, why);
  if (!mp) return 0;
  std::uint32_t id = 0;
  for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p; p = xdp_multiprog__next_prog(p, mp))
    if (kOurProgramName == xdp_program__name(p)) id = xdp_program__id(p);
  xdp_multiprog__close(mp);
  return id;
}

std::string dispatcher_in_place(int ifindex, std::uint32_t prog_id) {
  std::string why;
  xdp_multiprog* mp = dispatcher_of(ifindex, why);
  if (!mp) return why;
  bool found = false;
  for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p; p = xdp_multiprog__next_prog(p, mp))
    found = found || xdp_program__id(p) == prog_id;
  xdp_multiprog__close(mp);
  return found ? "" : "anycastd's program (id " + std::to_string(prog_id) + ") is not in the dispatcher";
}

}  // namespace anycastd
