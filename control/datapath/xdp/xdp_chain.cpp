// SPDX-License-Identifier: Apache-2.0
#include "datapath/xdp/xdp_chain.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <vector>

#include "datapath/xdp/bpf_info.h"

namespace anycastd {
namespace {

using posix_io::errno_text;

std::string slot_text(const ChainMap& map) {
  return "slot " + std::to_string(map.index()) + " of " + map.path();
}

}  // namespace

ChainMap::ChainMap(const std::string& path, std::uint32_t index) : path_(path), index_(index) {
  fd_ = posix_io::UniqueFd(bpf_obj_get(path.c_str()));
  if (!fd_) {
    int err = errno;
    if (err == ENOENT)
      throw std::runtime_error("datapath.chain_map " + path + " does not exist: the operator's root program pins its "
                               "prog array there (a bpffs must be mounted on its directory) before anycastd starts");
    throw std::runtime_error("datapath.chain_map " + path + ": " + errno_text(err));
  }
  bpf_map_info info{};
  std::uint32_t size = sizeof info;
  if (bpf_obj_get_info_by_fd(fd_.get(), &info, &size) != 0)
    throw std::runtime_error("datapath.chain_map " + path + " is not a prog array (not a map at all: " +
                             errno_text(errno) + ")");
  if (info.type != BPF_MAP_TYPE_PROG_ARRAY) {
    const char* type = libbpf_bpf_map_type_str(static_cast<bpf_map_type>(info.type));
    throw std::runtime_error("datapath.chain_map " + path + " is not a prog array (it is a " +
                             std::string(type ? type : "map of unknown type") + " map)");
  }
  id_ = info.id;
  slots_ = info.max_entries;
  if (index >= slots_)
    throw std::runtime_error("datapath.chain_index " + std::to_string(index) + " is out of range: " + path + " has " +
                             std::to_string(slots_) + " slots (0 to " + std::to_string(slots_ - 1) + ")");
}

std::uint32_t ChainMap::occupant() const {
  std::uint32_t id = 0;
  // From user space a prog array's value reads as the program's id.
  if (bpf_map_lookup_elem(fd_.get(), &index_, &id) != 0) {
    if (errno == ENOENT) return 0;
    throw std::runtime_error("reading " + slot_text(*this) + ": " + errno_text(errno));
  }
  return id;
}

bool ChainMap::is_ours(std::uint32_t prog_id) const {
  posix_io::UniqueFd prog(bpf_prog_get_fd_by_id(prog_id));
  if (!prog || program_name(prog.get()) != kOurProgramName) return false;
  std::vector<std::uint32_t> maps;
  return program_map_ids(prog.get(), maps) && std::find(maps.begin(), maps.end(), id_) != maps.end();
}

std::string chain_slot_refusal(const ChainMap& map) {
  std::uint32_t id = map.occupant();
  if (id == 0 || map.is_ours(id)) return {};
  posix_io::UniqueFd prog(bpf_prog_get_fd_by_id(id));
  std::string name = prog ? program_name(prog.get()) : "";
  return slot_text(map) + " holds another program (id " + std::to_string(id) + ", name \"" + name +
         "\"); anycastd never replaces another program: choose a free slot (datapath.chain_index) or empty this one";
}

ChainSlot::ChainSlot(const ChainMap& map, int prog_fd, std::uint32_t prog_id) : map_(map), prog_id_(prog_id) {
  // Checked again at the last moment: the loading took a while, and the slot is the operator's.
  if (std::string refusal = chain_slot_refusal(map); !refusal.empty()) throw std::runtime_error(refusal);
  replaced_prog_id_ = map.occupant();
  std::uint32_t index = map.index();
  if (bpf_map_update_elem(map.fd(), &index, &prog_fd, BPF_ANY) != 0) {
    int err = errno;
    std::string text = "putting the program into " + slot_text(map) + ": " + errno_text(err);
    if (err == EINVAL)
      text += " (a prog array takes only programs like the first it was given: XDP, and xdp.frags as anycastd's is; "
              "load the root and the other chained programs from SEC(\"xdp.frags\"))";
    throw std::runtime_error(text);
  }
  if (replaced_prog_id_)
    spdlog::warn("{}: replaced the program (id {}) left there by an earlier anycastd; answering continues without a gap",
                 slot_text(map), replaced_prog_id_);
  spdlog::info("{}: anycastd's program (id {}) in place; what it passes goes on to slot {}", slot_text(map), prog_id,
               map.index() + 1);
}

ChainSlot::~ChainSlot() {
  std::uint32_t index = map_.index();
  std::uint32_t now = 0;
  try {
    now = map_.occupant();
  } catch (const std::runtime_error& e) {
    spdlog::warn("{}; the slot may keep anycastd's program", e.what());
    return;
  }
  if (now != prog_id_) {
    spdlog::warn("{}: holds program {} now, not ours ({}): left as it is", slot_text(map_), now, prog_id_);
    return;
  }
  // Between the read and the delete another writer could change the slot; the operator's own
  // tooling does not write anycastd's slot, and a successor anycastd waits for our lock.
  if (bpf_map_delete_elem(map_.fd(), &index) != 0 && errno != ENOENT)
    spdlog::error("{}: emptying it: {}", slot_text(map_), errno_text(errno));
  else
    spdlog::info("{}: emptied (program {} out)", slot_text(map_), prog_id_);
}

}  // namespace anycastd
