// SPDX-License-Identifier: Apache-2.0
#pragma once

// NTP replies made with a real clock (the BPF program's, the DPDK datapath's): every byte must be
// the vector's (written with a fixed clock) except the receive and transmit timestamps, which
// must lie between readings of the same clock taken before and after, and the UDP checksum,
// which must then be right for the bytes as they are. Written apart from the core's code.

#include <sys/timex.h>
#include <time.h>

#include <cstdint>
#include <string>

#include "hex.h"
#include "test_tables.h"

namespace anycastd::test {

inline std::int32_t kernel_tai_offset() {
  timex tx{};
  tx.modes = 0;  // read only
  adjtimex(&tx);
  return tx.tai;
}

// The state a live run answers with: the table set's, with the kernel's TAI offset and no leap.
inline ac_ntp_state live_ntp_state(std::string_view config) {
  ac_ntp_state s = make_ntp_state(config);
  s.tai_offset = s.next_tai_offset = kernel_tai_offset();
  s.switch_tai_ns = ~0ull;
  return s;
}

// Now, as an NTP timestamp from CLOCK_TAI less the kernel's TAI offset.
inline std::uint64_t ntp_now() {
  timespec ts;
  clock_gettime(CLOCK_TAI, &ts);
  std::uint64_t secs = static_cast<std::uint64_t>(ts.tv_sec - kernel_tai_offset()) + 2208988800ull;
  return secs << 32 | (static_cast<std::uint64_t>(ts.tv_nsec) << 32) / 1000000000ull;
}

inline std::uint64_t be64_at(const Bytes& b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = v << 8 | b[at + i];
  return v;
}

// The UDP checksum of a frame (Ethernet, tags, IPv4 or IPv6, UDP) verifies, or is 0 in IPv4.
inline bool udp_checksum_ok(const Bytes& f) {
  std::size_t at = 12;
  std::uint16_t type = static_cast<std::uint16_t>(f[at] << 8 | f[at + 1]);
  while (type == 0x8100 || type == 0x88A8) {
    at += 4;
    type = static_cast<std::uint16_t>(f[at] << 8 | f[at + 1]);
  }
  at += 2;
  std::uint32_t sum = 0;
  auto add = [&](std::size_t from, std::size_t n) {
    for (std::size_t i = 0; i < n; i += 2) sum += static_cast<std::uint32_t>(f[from + i] << 8 | (i + 1 < n ? f[from + i + 1] : 0));
  };
  std::size_t udp;
  if (type == 0x0800) {
    add(at + 12, 8);
    sum += 17;
    udp = at + 20;
  } else {
    add(at + 8, 32);
    sum += 17;
    udp = at + 40;
  }
  std::size_t len = static_cast<std::size_t>(f[udp + 4] << 8 | f[udp + 5]);
  if (type == 0x0800 && f[udp + 6] == 0 && f[udp + 7] == 0) return true;
  sum += static_cast<std::uint32_t>(len);
  add(udp, len);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return sum == 0xFFFF;
}

// "" when `actual` is the live version of `expected`, else what is wrong.
inline std::string ntp_live_mismatch(const Bytes& expected, const Bytes& actual, std::uint64_t before,
                                     std::uint64_t after) {
  if (actual.size() != expected.size()) return "length " + std::to_string(actual.size()) + ", expected " + std::to_string(expected.size());
  const std::size_t n = actual.size(), receive = n - 16, transmit = n - 8, check = n - 48 - 2;
  Bytes masked_expected = expected, masked_actual = actual;
  for (std::size_t i : {check, check + 1}) masked_expected[i] = masked_actual[i] = 0;
  for (std::size_t i = receive; i < n; ++i) masked_expected[i] = masked_actual[i] = 0;
  std::string out;
  if (masked_expected != masked_actual) out += "bytes other than the timestamps differ:\n" + hex_diff(masked_expected, masked_actual);
  std::uint64_t rx = be64_at(actual, receive), tx = be64_at(actual, transmit);
  if (rx < before || rx > after) out += "receive timestamp outside the clock readings around the run\n";
  if (tx < rx || tx > after) out += "transmit timestamp before receive or after the run\n";
  if (!udp_checksum_ok(actual)) out += "UDP checksum wrong\n";
  return out;
}

}  // namespace anycastd::test
