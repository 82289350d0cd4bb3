// SPDX-License-Identifier: Apache-2.0
#include "datapath/xdp/xdp_vip_sets.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <set>
#include <stdexcept>
#include <string>

#include "abi.h"

namespace anycastd {
namespace {

[[noreturn]] void fail(const std::string& what, int err) {
  throw std::runtime_error(what + ": " + std::strerror(err < 0 ? -err : err));
}

// The mask of a prefix length as the address's bytes (network byte order).
template <std::size_t N>
std::array<std::uint8_t, N> mask_bytes(unsigned len) {
  std::array<std::uint8_t, N> mask{};
  for (std::size_t i = 0; i < N; ++i) {
    unsigned bits = len > 8 * i ? std::min(8u, len - 8 * static_cast<unsigned>(i)) : 0;
    mask[i] = static_cast<std::uint8_t>(0xFF00u >> bits);
  }
  return mask;
}

// One family's set, in the forms the program reads (ac_vip4_set/ac_vip6_set and the hash).
template <typename Set, typename Key>
struct FamilySet {
  Set set{};
  std::vector<Key> keys;
  std::vector<ac_vip_value> values;
  std::vector<const VipEntry*> entries;  // for error messages, in keys' order
};

template <typename Set, typename Key, std::size_t Bytes>
FamilySet<Set, Key> build(const std::vector<VipEntry>& vips, int family) {
  FamilySet<Set, Key> out;
  std::vector<const VipEntry*> mine;
  for (const VipEntry& v : vips)
    if (v.prefix.family == family) mine.push_back(&v);
  // Longest first: the scan's first match, and the hash's first hit, is the longest match.
  std::stable_sort(mine.begin(), mine.end(), [](const VipEntry* a, const VipEntry* b) { return a->prefix.len > b->prefix.len; });

  if (mine.size() <= AC_VIP_SCAN_MAX) {
    out.set.count = static_cast<std::uint32_t>(mine.size());
    for (std::size_t i = 0; i < mine.size(); ++i) {
      auto mask = mask_bytes<Bytes>(mine[i]->prefix.len);
      std::memcpy(&out.set.scan[i].addr, mine[i]->prefix.addr.data(), Bytes);
      std::memcpy(&out.set.scan[i].mask, mask.data(), Bytes);
      out.set.scan[i].value = mine[i]->value;
    }
    return out;
  }
  out.set.count = AC_VIP_SET_HASHED;
  std::set<unsigned, std::greater<>> lengths;
  // A prefix listed again keeps its first value, as the scan does: a hash filled in order would
  // keep the last.
  std::set<std::pair<unsigned, std::array<std::uint8_t, 16>>> seen;
  for (const VipEntry* v : mine) {
    if (!seen.insert({v->prefix.len, v->prefix.addr}).second) continue;
    Key key{};
    key.prefixlen = v->prefix.len;
    std::memcpy(key.addr, v->prefix.addr.data(), Bytes);
    out.keys.push_back(key);
    out.values.push_back(v->value);
    out.entries.push_back(v);
    lengths.insert(v->prefix.len);
  }
  for (unsigned len : lengths) out.set.lengths[out.set.nlengths++] = static_cast<std::uint8_t>(len);
  return out;
}

// Fills a fresh hash in batches (65,536 VIPs one syscall each would take a while), naming the
// VIP the kernel refused (out of memory).
template <typename Key>
void fill(int fd, const char* map, const std::vector<Key>& keys, const std::vector<ac_vip_value>& values,
          const std::vector<const VipEntry*>& entries) {
  constexpr std::size_t kBatch = 4096;
  for (std::size_t done = 0; done < keys.size(); done += kBatch) {
    __u32 n = static_cast<__u32>(std::min(kBatch, keys.size() - done));
    if (bpf_map_update_batch(fd, &keys[done], &values[done], &n, nullptr) != 0) {
      int err = errno;
      std::size_t at = std::min(done + n, keys.size() - 1);
      fail("writing VIP " + entries[at]->prefix.str() + " into " + map, err);
    }
  }
}

template <typename Set, typename Key, std::size_t Bytes>
posix_io::UniqueFd stage_family(const std::vector<VipEntry>& vips, int family, int sets, int outer,
                                std::uint32_t max_entries, std::uint32_t slot) {
  const char* hash_name = family == 4 ? "ac_vip4_hash" : "ac_vip6_hash";
  FamilySet<Set, Key> f = build<Set, Key, Bytes>(vips, family);
  posix_io::UniqueFd hash;
  if (f.set.count == AC_VIP_SET_HASHED) {
    const std::size_t count = f.keys.size();
    if (count > max_entries)
      throw std::runtime_error("writing VIP " + f.entries[max_entries]->prefix.str() + " into " + hash_name + ": " +
                               std::to_string(count) + " IPv" + std::to_string(family) +
                               " VIPs, more than datapath.vip_max_entries (" + std::to_string(max_entries) + ")");
    // Sized to the set, so that its buckets take memory for what it holds; with the template's
    // type, sizes and flags (bpf/maps.h): the kernel refuses an inner map that differs in any.
    LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
    hash = posix_io::UniqueFd(bpf_map_create(BPF_MAP_TYPE_HASH, hash_name, sizeof(Key), sizeof(ac_vip_value),
                                             static_cast<std::uint32_t>(count), &opts));
    if (!hash) fail(std::string("creating ") + hash_name + " for " + std::to_string(count) + " VIPs", errno);
    fill(hash.get(), hash_name, f.keys, f.values, f.entries);
    int fd = hash.get();
    if (bpf_map_update_elem(outer, &slot, &fd, BPF_ANY) != 0)
      fail(std::string("placing the new VIP hash in ") + hash_name + " slot " + std::to_string(slot), errno);
  }
  if (bpf_map_update_elem(sets, &slot, &f.set, BPF_ANY) != 0)
    fail(std::string("writing the IPv") + std::to_string(family) + " VIP set into slot " + std::to_string(slot), errno);
  return hash;
}

// One family's set in `slot` as VipEntry (addresses and values; longest first).
template <typename Set, typename Key, std::size_t Bytes>
void read_family(int family, int sets, int outer, std::uint32_t slot, std::vector<VipEntry>& out) {
  Set set{};
  if (bpf_map_lookup_elem(sets, &slot, &set) != 0)
    fail("reading the IPv" + std::to_string(family) + " VIP set of slot " + std::to_string(slot), errno);
  auto add = [&](const std::uint8_t* addr, unsigned len, const ac_vip_value& value) {
    VipEntry v{};
    v.prefix.family = family;
    v.prefix.len = static_cast<std::uint8_t>(len);
    std::memcpy(v.prefix.addr.data(), addr, Bytes);
    v.value = value;
    out.push_back(v);
  };
  if (set.count != AC_VIP_SET_HASHED) {
    for (std::uint32_t i = 0; i < set.count && i < AC_VIP_SCAN_MAX; ++i) {
      std::uint8_t mask[Bytes];
      std::memcpy(mask, &set.scan[i].mask, Bytes);
      unsigned len = 0;
      for (std::uint8_t b : mask) len += static_cast<unsigned>(__builtin_popcount(b));
      add(reinterpret_cast<const std::uint8_t*>(&set.scan[i].addr), len, set.scan[i].value);
    }
    return;
  }
  std::uint32_t id = 0;
  if (bpf_map_lookup_elem(outer, &slot, &id) != 0) fail("reading the VIP hash of slot " + std::to_string(slot), errno);
  posix_io::UniqueFd hash(bpf_map_get_fd_by_id(id));
  if (!hash) fail("opening VIP hash map id " + std::to_string(id), errno);
  Key key{}, next{};
  const Key* previous = nullptr;
  while (bpf_map_get_next_key(hash.get(), previous, &next) == 0) {
    ac_vip_value value{};
    if (bpf_map_lookup_elem(hash.get(), &next, &value) == 0) add(next.addr, next.prefixlen, value);
    key = next;
    previous = &key;
  }
}

}  // namespace

std::vector<VipEntry> XdpVipSets::read(std::uint32_t slot) const {
  std::vector<VipEntry> out;
  read_family<ac_vip4_set, ac_vip4_key, 4>(4, maps_.sets4, maps_.hash4, slot, out);
  read_family<ac_vip6_set, ac_vip6_key, 16>(6, maps_.sets6, maps_.hash6, slot, out);
  return out;
}

XdpVipSets::XdpVipSets(const XdpVipMaps& maps, std::uint32_t max_entries) : maps_(maps), max_entries_(max_entries) {}

void XdpVipSets::stage(const std::vector<VipEntry>& vips, std::uint32_t slot) {
  staged4_ = stage_family<ac_vip4_set, ac_vip4_key, 4>(vips, 4, maps_.sets4, maps_.hash4, max_entries_, slot);
  staged6_ = stage_family<ac_vip6_set, ac_vip6_key, 16>(vips, 6, maps_.sets6, maps_.hash6, max_entries_, slot);
}

void XdpVipSets::settle(std::uint32_t active) {
  // The barrier: the kernel follows a write to an array-of-maps with an RCU grace period, which
  // outlasts every XDP run that began before it, so every packet that read the old vip_slot is
  // done when it returns. The write changes nothing a packet sees: the active slot's hash again,
  // or, where the active set is scanned and reads no hash, an empty one.
  posix_io::UniqueFd empty;
  int outer = staged4_ ? maps_.hash4 : maps_.hash6;
  int fd = staged4_ ? staged4_.get() : staged6_.get();
  if (!staged4_ && !staged6_) {
    LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
    empty = posix_io::UniqueFd(bpf_map_create(BPF_MAP_TYPE_HASH, "ac_vip4_hash", sizeof(ac_vip4_key),
                                              sizeof(ac_vip_value), 1, &opts));
    if (!empty) fail("creating an empty ac_vip4_hash", errno);
    outer = maps_.hash4;
    fd = empty.get();
  }
  if (bpf_map_update_elem(outer, &active, &fd, BPF_ANY) != 0)
    fail("waiting for packets to leave the old VIP set", errno);

  // Nothing reads the old slot now: free its hashes (a scanned set has none to free).
  std::uint32_t old = active ^ 1u;
  for (int map : {maps_.hash4, maps_.hash6})
    if (bpf_map_delete_elem(map, &old) != 0 && errno != ENOENT) fail("freeing the old VIP set's hash", errno);
}

}  // namespace anycastd
