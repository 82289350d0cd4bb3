// SPDX-License-Identifier: Apache-2.0
#pragma once

// A small DNS answer table image laid out by hand from abi.h, for the tests of what carries and
// holds images (the channel, the DPDK table store, the env hooks): independent of the zone
// compiler, whose own tests cover what it emits. One zone, "example.net" with a serial of the
// test's choice, and one answer: example.net A 192.0.2.1, TTL 3600.

#include <cstdint>
#include <cstring>
#include <vector>

#include "abi.h"
#include "dns_hash.h"
#include "dns_image.h"

namespace anycastd::test {

inline constexpr std::uint8_t kDnsTestName[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0};
inline constexpr std::uint8_t kDnsTestRecords[] = {0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4, 192, 0, 2, 1};
// Their ones'-complement sum, by hand: 0xC00C + 1 + 1 + 0x0E10 + 4 + 0xC000 + 0x0201, folded.
inline constexpr std::uint16_t kDnsTestRecordsSum = 0x9024;

// Where things sit: header, 4 slots at 64, the zone after them, the arena in the second page.
struct DnsTestLayout {
  static constexpr std::uint32_t kSlots = 64, kSlotCount = 4, kZones = kSlots + kSlotCount * sizeof(ac_dns_slot),
                                 kArena = AC_DNS_CHUNK, kSize = 2 * AC_DNS_CHUNK;
};

inline ac_dns_key dns_test_key(std::uint64_t seed, std::uint16_t qtype = 1) {
  ac_dns_key key{};
  key.hash = ac_dns_hash_name(seed, kDnsTestName, sizeof kDnsTestName);
  key.qtype = qtype;
  key.name_len = sizeof kDnsTestName;
  return key;
}

inline std::vector<std::uint8_t> dns_test_image(std::uint32_t serial, std::uint64_t seed = 0x5eed5eed5eed5eedull) {
  using L = DnsTestLayout;
  std::vector<std::uint8_t> image(L::kSize);
  ac_dns_table t{};
  t.magic = AC_DNS_TABLE_MAGIC;
  t.version = AC_DNS_TABLE_VERSION;
  t.seed = seed;
  t.slot_count = L::kSlotCount;
  t.entry_count = 1;
  t.zone_count = 1;
  t.arena_size = AC_DNS_CHUNK;
  t.slots = L::kSlots;
  t.zones = L::kZones;
  t.arena = L::kArena;
  std::memcpy(image.data(), &t, sizeof t);

  ac_dns_slot slot{};
  slot.key = dns_test_key(seed);
  slot.entry.answer = 0;
  slot.entry.zone = 0;
  std::uint32_t at = L::kSlots + ac_dns_slot_index(&slot.key, L::kSlotCount) * sizeof slot;
  std::memcpy(image.data() + at, &slot, sizeof slot);

  ac_dns_zone zone{0, serial};
  std::memcpy(image.data() + L::kZones, &zone, sizeof zone);

  ac_dns_answer answer{};
  answer.size = sizeof kDnsTestRecords;
  answer.ancount = 1;
  answer.flags = AC_DNS_A_AA;
  answer.base_qname_len = sizeof kDnsTestName;
  answer.ncuts = 1;
  answer.outcome = AC_DNS_OUT_NOERROR;
  answer.sum = kDnsTestRecordsSum;
  ac_dns_cut cut{sizeof kDnsTestRecords, 1, 0, 0, kDnsTestRecordsSum};
  std::uint8_t* object = image.data() + L::kArena;
  std::memcpy(object, &answer, sizeof answer);
  std::memcpy(object + sizeof answer, &cut, sizeof cut);
  std::memcpy(object + sizeof answer + sizeof cut, kDnsTestRecords, sizeof kDnsTestRecords);
  return image;
}

// The header of an image, to damage it in a test.
inline ac_dns_table& dns_test_header(std::vector<std::uint8_t>& image) {
  return *reinterpret_cast<ac_dns_table*>(image.data());
}

}  // namespace anycastd::test
