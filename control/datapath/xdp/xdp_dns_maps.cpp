// SPDX-License-Identifier: Apache-2.0
#include "datapath/xdp/xdp_dns_maps.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "abi.h"
#include "base/posix_io.h"

namespace anycastd {
namespace {

[[noreturn]] void fail(const std::string& what, int err) {
  throw std::runtime_error(what + ": " + std::strerror(err < 0 ? -err : err));
}

// The image is control's own compilation; these checks catch a build that does not match the
// ABI rather than hostile input.
const ac_dns_table& checked_header(const std::vector<std::uint8_t>& image) {
  if (image.size() < sizeof(ac_dns_table)) throw std::runtime_error("DNS table image shorter than its header");
  const auto& t = *reinterpret_cast<const ac_dns_table*>(image.data());
  if (t.magic != AC_DNS_TABLE_MAGIC || t.version != AC_DNS_TABLE_VERSION)
    throw std::runtime_error("DNS table image has the wrong magic or version for this build");
  auto fits = [&](std::uint64_t offset, std::uint64_t bytes) { return offset + bytes <= image.size(); };
  if (!fits(t.slots, std::uint64_t{t.slot_count} * sizeof(ac_dns_slot)) ||
      !fits(t.zones, std::uint64_t{t.zone_count} * sizeof(ac_dns_zone)) || !fits(t.arena, t.arena_size) ||
      t.arena_size % AC_DNS_CHUNK != 0)
    throw std::runtime_error("DNS table image's sections lie beyond its end");
  return t;
}

posix_io::UniqueFd create(bpf_map_type type, const char* name, std::uint32_t key_size, std::uint32_t value_size,
                          std::uint32_t max_entries, std::uint32_t flags) {
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
  int fd = bpf_map_create(type, name, key_size, value_size, std::max<std::uint32_t>(max_entries, 1), &opts);
  if (fd < 0) fail(std::string("creating DNS map ") + name + " for " + std::to_string(max_entries) + " entries", errno);
  return posix_io::UniqueFd(fd);
}

// In batches: a million entries one syscall each would take seconds.
void fill(int fd, const char* name, const void* keys, std::size_t key_size, const void* values, std::size_t value_size,
          std::size_t count) {
  constexpr std::size_t batch = 4096;
  const auto* k = static_cast<const std::uint8_t*>(keys);
  const auto* v = static_cast<const std::uint8_t*>(values);
  for (std::size_t done = 0; done < count; done += batch) {
    __u32 n = static_cast<__u32>(std::min(batch, count - done));
    if (bpf_map_update_batch(fd, k + done * key_size, v + done * value_size, &n, nullptr) != 0)
      fail(std::string("filling DNS map ") + name, errno);
  }
}

}  // namespace

XdpDnsTableMaps write_dns_maps(const XdpDnsMaps& maps, const std::vector<std::uint8_t>& image) {
  const ac_dns_table& t = checked_header(image);
  const std::uint8_t* base = image.data();

  std::vector<ac_dns_key> keys;
  std::vector<ac_dns_entry> entries;
  keys.reserve(t.entry_count);
  entries.reserve(t.entry_count);
  const auto* slots = reinterpret_cast<const ac_dns_slot*>(base + t.slots);
  for (std::uint32_t i = 0; i < t.slot_count; ++i) {
    if (slots[i].key.name_len == 0) continue;  // an empty slot
    ac_dns_key key{};  // the padding is part of the hashed key: zero, as the packet path's
    key.hash = slots[i].key.hash;
    key.qtype = slots[i].key.qtype;
    key.name_len = slots[i].key.name_len;
    keys.push_back(key);
    entries.push_back(slots[i].entry);
  }
  // The arena and the zones are arrays in the image already: their bytes are the maps' values.
  const std::uint32_t chunk_count = t.arena_size / AC_DNS_CHUNK;
  std::vector<std::uint32_t> ids(std::max(chunk_count, t.zone_count));
  for (std::uint32_t i = 0; i < ids.size(); ++i) ids[i] = i;

  // The flags and sizes of bpf/anycast_xdp.c's inner map templates: the kernel refuses a map
  // in an array-of-maps that differs from its template in any of them (but an array's size,
  // which BPF_F_INNER_MAP frees, and a hash's, which is never compared).
  posix_io::UniqueFd entries_map =
      create(BPF_MAP_TYPE_HASH, "ac_dns_entries", sizeof(ac_dns_key), sizeof(ac_dns_entry),
             static_cast<std::uint32_t>(keys.size()), 0);
  posix_io::UniqueFd arena_map = create(BPF_MAP_TYPE_ARRAY, "ac_dns_arena", sizeof(std::uint32_t),
                                        sizeof(ac_dns_chunk), chunk_count, BPF_F_INNER_MAP);
  posix_io::UniqueFd zones_map = create(BPF_MAP_TYPE_ARRAY, "ac_dns_zones", sizeof(std::uint32_t),
                                        sizeof(ac_dns_zone), t.zone_count, BPF_F_INNER_MAP);
  fill(entries_map.get(), "ac_dns_entries", keys.data(), sizeof(ac_dns_key), entries.data(), sizeof(ac_dns_entry),
       keys.size());
  fill(arena_map.get(), "ac_dns_arena", ids.data(), sizeof(std::uint32_t), base + t.arena, AC_DNS_CHUNK, chunk_count);
  fill(zones_map.get(), "ac_dns_zones", ids.data(), sizeof(std::uint32_t), base + t.zones, sizeof(ac_dns_zone),
       t.zone_count);

  std::uint32_t zero = 0;
  ac_dns_state state{};
  if (bpf_map_lookup_elem(maps.state, &zero, &state) != 0) fail("reading ac_dns", errno);
  std::uint32_t idle = state.loaded ? (state.active ^ 1u) & 1u : 0u;
  auto place = [&](int outer, const char* name, const posix_io::UniqueFd& inner) {
    int fd = inner.get();
    if (bpf_map_update_elem(outer, &idle, &fd, BPF_ANY) != 0)
      fail(std::string("placing the new table in ") + name + " slot " + std::to_string(idle), errno);
  };
  place(maps.entries, "ac_dns_entries", entries_map);
  place(maps.arena, "ac_dns_arena", arena_map);
  place(maps.zones, "ac_dns_zones", zones_map);

  // Two writes that each change what a query reads in one field: the seed of the idle slot,
  // then the switch to it (a query reads `active`, then that slot's seed).
  state.seed[idle] = t.seed;
  if (bpf_map_update_elem(maps.state, &zero, &state, BPF_ANY) != 0) fail("writing the new table's seed into ac_dns", errno);
  state.active = idle;
  state.loaded = 1;
  if (bpf_map_update_elem(maps.state, &zero, &state, BPF_ANY) != 0) fail("switching ac_dns to the new table", errno);
  // Wait until no query can still be reading the old slot, so that the next write may refill
  // it: the kernel follows an update of an array-of-maps with an RCU grace period
  // (synchronize_rcu), which outlasts every XDP run that began before it. Placing the new
  // entries map again changes nothing else.
  place(maps.entries, "ac_dns_entries", entries_map);
  return {static_cast<std::uint32_t>(keys.size()), chunk_count, t.zone_count};
}

}  // namespace anycastd
