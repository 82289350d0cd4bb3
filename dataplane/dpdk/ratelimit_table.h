// SPDX-License-Identifier: Apache-2.0
#pragma once

// One worker's rate-limit buckets (dataplane/core/ratelimit.h): a fixed-size table owned by one
// lcore, so the hot path takes no lock and shares no cache line. The limits are therefore per
// lcore, that is per queue: a source whose packets the NIC spreads over several queues gets the
// limit once per queue it lands on (Knot DNS's RRL and others work the same way). RSS hashes a
// flow's addresses and ports, so one client's requests stay on one queue.
//
// Set-associative: a key hashes to a set of kWays slots; a full set gives the slot of its least
// recently refilled bucket to the new key (that source's history is forgotten: it starts again
// with a full bucket, as it would after an LRU eviction in the XDP map).

#include <cstdint>
#include <cstring>
#include <memory>

#include "abi.h"

namespace anycastd::dpdk {

class RateLimitTable {
 public:
  static constexpr std::uint32_t kWays = 8;

  // `buckets` is rounded up to a multiple of kWays and a power-of-two number of sets. Allocates;
  // built before the worker starts, never on the hot path.
  explicit RateLimitTable(std::uint32_t buckets = AC_RATELIMIT_BUCKETS_DEFAULT);

  ac_ratelimit_bucket* find(const ac_ratelimit_key& key) {
    Slot* set = set_of(key);
    for (std::uint32_t i = 0; i < kWays; ++i)
      if (set[i].used && std::memcmp(&set[i].key, &key, sizeof key) == 0) return &set[i].bucket;
    return nullptr;
  }

  void add(const ac_ratelimit_key& key, const ac_ratelimit_bucket& bucket) {
    Slot* set = set_of(key);
    Slot* victim = &set[0];
    for (std::uint32_t i = 0; i < kWays; ++i) {
      if (!set[i].used) {
        victim = &set[i];
        break;
      }
      if (set[i].bucket.last_ns < victim->bucket.last_ns) victim = &set[i];
    }
    victim->used = 1;
    victim->key = key;
    victim->bucket = bucket;
  }

  std::uint32_t capacity() const { return (mask_ + 1) * kWays; }

 private:
  struct Slot {
    ac_ratelimit_key key;
    ac_ratelimit_bucket bucket;
    std::uint64_t used;
  };

  Slot* set_of(const ac_ratelimit_key& key) const {
    // A multiply-xorshift over the key's three 64-bit words: cheap, and spreads prefixes that
    // differ only in a few bits of one byte.
    std::uint64_t w[3];
    std::memcpy(w, &key, sizeof w);
    std::uint64_t h = (w[0] * 0x9E3779B97F4A7C15ull) ^ (w[1] * 0xC2B2AE3D27D4EB4Full) ^ (w[2] * 0x165667B19E3779F9ull);
    h ^= h >> 29;
    return &slots_[(h & mask_) * kWays];
  }

  static_assert(sizeof(ac_ratelimit_key) == 3 * sizeof(std::uint64_t));
  std::uint64_t mask_;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace anycastd::dpdk
