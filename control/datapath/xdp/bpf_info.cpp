// SPDX-License-Identifier: Apache-2.0
#include "datapath/xdp/bpf_info.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace anycastd {

std::string program_name(int prog_fd) {
  bpf_prog_info info{};
  std::uint32_t size = sizeof info;
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &size) != 0) return {};
  return std::string(info.name, strnlen(info.name, sizeof info.name));
}

std::uint32_t program_id(int prog_fd) {
  bpf_prog_info info{};
  std::uint32_t size = sizeof info;
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &size) != 0)
    throw std::runtime_error(std::string("reading the XDP program's id: ") + std::strerror(errno));
  return info.id;
}

// The kernel says how many first, then fills that many, so a program with more maps than a guess
// is read whole. A program cannot gain maps once loaded.
bool program_map_ids(int prog_fd, std::vector<std::uint32_t>& ids) {
  bpf_prog_info info{};
  std::uint32_t size = sizeof info;
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &size) != 0) return false;
  ids.assign(info.nr_map_ids, 0);
  info = bpf_prog_info{};
  info.nr_map_ids = static_cast<std::uint32_t>(ids.size());
  info.map_ids = reinterpret_cast<std::uintptr_t>(ids.data());
  size = sizeof info;
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &size) != 0) return false;
  ids.resize(std::min<std::size_t>(ids.size(), info.nr_map_ids));
  return true;
}

}  // namespace anycastd
