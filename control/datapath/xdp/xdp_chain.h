// SPDX-License-Identifier: Apache-2.0
#pragma once

// Chain mode (docs/deployment.md): the operator's root program is attached and tail-calls the
// slots of a prog array it pinned; anycastd puts its program in one slot and calls the next one
// with what it does not answer. Nothing of anycastd's is attached to an interface then, and the
// slot, like a netlink attachment, outlives the process: after `kill -9` the program stays in
// the array and keeps answering, and the next anycastd replaces it in one step.

#include <cstdint>
#include <string>

#include "base/posix_io.h"

namespace anycastd {

// The operator's pinned prog array, opened and checked. Throws std::runtime_error naming the
// path: missing ("does not exist"), not a prog array, or `index` out of range.
class ChainMap {
 public:
  ChainMap(const std::string& path, std::uint32_t index);

  int fd() const { return fd_.get(); }
  std::uint32_t id() const { return id_; }
  std::uint32_t index() const { return index_; }
  std::uint32_t slots() const { return slots_; }
  const std::string& path() const { return path_; }

  // The id of the program in our slot, 0 if it is empty. Throws std::runtime_error.
  std::uint32_t occupant() const;
  // Whether program `id` is anycastd's: named anycast_xdp and tail-calling through this array.
  bool is_ours(std::uint32_t prog_id) const;

 private:
  std::string path_;
  std::uint32_t index_;
  posix_io::UniqueFd fd_;
  std::uint32_t id_ = 0;
  std::uint32_t slots_ = 0;
};

// Our program in the slot, while this lives; the slot is emptied on destruction if it still
// holds our program (a successor that took it over keeps it).
class ChainSlot {
 public:
  // Refuses a slot holding another program ("holds another program"); one holding an earlier
  // anycastd's is replaced in one step, so answering goes on without a gap.
  ChainSlot(const ChainMap& map, int prog_fd, std::uint32_t prog_id);
  ~ChainSlot();
  ChainSlot(const ChainSlot&) = delete;
  ChainSlot& operator=(const ChainSlot&) = delete;

  std::uint32_t replaced_prog_id() const { return replaced_prog_id_; }

 private:
  const ChainMap& map_;
  std::uint32_t prog_id_;
  std::uint32_t replaced_prog_id_ = 0;
};

// "slot 1 of /sys/fs/bpf/edge/chain holds another program (id 42, name \"ddos\")...", or "" when
// the slot is empty or anycastd's. For the constructor of the datapath, before loading.
std::string chain_slot_refusal(const ChainMap& map);

}  // namespace anycastd
