// SPDX-License-Identifier: Apache-2.0
#pragma once

// The table sets the test vectors name in their config column (see gen_vectors.py, which holds
// the same addresses on the packet side). Built here in C++ so the native and the BPF tests
// feed the very same FastpathTables to their datapath.

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

#include "abi.h"
#include "base/prefix.h"
#include "tables/fastpath_tables.h"

namespace anycastd::test {

inline constexpr std::uint16_t kEchoPort = 7;
inline constexpr std::uint16_t kNtpPort = 123;
inline constexpr std::array<std::string_view, 8> kTableNames = {
    "default",  "echo_allow",       "global_off",   "ntp_unsynced",
    "ntp_leap", "ntp_leap_pending", "ntp_no_clock", "ntp_kod"};

// The NTP rate limit of "ntp_kod": a bucket that holds nothing, so every NTP request is over the
// limit on a fresh bucket, in every datapath, without the rows depending on each other or on
// time. (Control never writes burst 0; the core's arithmetic takes it.) The other sets have none.
inline ac_ratelimit_config kod_ratelimit() {
  ac_ratelimit_config c{};
  c.interval_ns = 3600ull * 1000000000ull;
  c.burst = 0;
  c.prefix4 = 32;
  c.prefix6 = 64;
  ac_ratelimit_config_masks(&c);
  return c;
}

// The fixed NTP clock of the native tests (gen_vectors.py: NTP_TAI_NS, NTP_STEP_NS): TAI
// nanoseconds of 2025-11-26 01:00:00.123456789 UTC with 37 s TAI-UTC, and the step per reading.
inline constexpr std::uint64_t kTestTaiNs = (1764118800ull + 37) * 1000000000ull + 123456789ull;
inline constexpr std::uint64_t kTestTaiStepNs = 1500;

// The NTP state each table set answers with (gen_vectors.py: NTP_STATES).
inline ac_ntp_state make_ntp_state(std::string_view name) {
  ac_ntp_state s{};
  s.flags = AC_NTP_F_VALID;
  s.leap = 0;
  s.stratum = 11;
  s.precision = -24;
  s.root_delay = 0x00000A3D;
  s.root_dispersion = 0x00001234;
  s.refid = 0xC0000201;
  s.reference_time = 0xEB1F2A3B12345678ull;
  s.tai_offset = 37;
  s.next_tai_offset = 37;
  s.switch_tai_ns = ~0ull;
  if (name == "ntp_unsynced") {
    s.leap = 3;
    s.stratum = 16;
    s.refid = 0;
    s.reference_time = 0;
    s.root_delay = 0;
    s.root_dispersion = 0xFFFF;
  } else if (name == "ntp_leap" || name == "ntp_leap_pending") {
    s.leap = 1;
    s.next_tai_offset = 38;
    s.switch_tai_ns = name == "ntp_leap" ? kTestTaiNs - 1000000000ull : kTestTaiNs + 1000000000ull;
  } else if (name == "ntp_no_clock") {
    s.flags = 0;
  }
  return s;
}

inline FastpathTables make_tables(std::string_view name) {
  constexpr std::uint32_t echo = 1u << AC_SVC_ECHO;
  constexpr std::uint32_t echo_ntp = echo | 1u << AC_SVC_NTP;
  // Each VIP counts into the per-VIP entry given here (kVipSeries below).
  auto vip = [](std::string_view prefix, std::uint32_t flags, std::uint32_t services, std::uint32_t series) {
    return VipEntry{parse_prefix(prefix), ac_vip_value{flags, services, 0, series}};
  };

  FastpathTables t;
  t.vips = {
      vip("192.0.2.10", AC_VIP_F_ANSWERING, echo_ntp, 0),
      vip("203.0.113.0/24", AC_VIP_F_ANSWERING, echo_ntp, 1),
      vip("2001:db8::10", AC_VIP_F_ANSWERING, echo_ntp, 2),
      vip("2001:db8:1::/48", AC_VIP_F_ANSWERING, echo_ntp, 3),
      vip("192.0.2.11", 0, echo, 4),                   // switched off by control
      vip("2001:db8::11", 0, echo, 5),
      vip("192.0.2.12", AC_VIP_F_ANSWERING, 0, 6),     // a VIP of a group with no UDP service
      vip("2001:db8::12", AC_VIP_F_ANSWERING, 0, 7),
      // More specific entries inside the answering prefixes: only longest-prefix match finds them.
      vip("203.0.113.99", 0, echo, 8),
      vip("2001:db8:1:ff::/64", 0, echo, 9),
  };
  t.ports[kEchoPort] = ac_port_value{AC_SVC_F_ENABLED, AC_SVC_ECHO};
  t.ports[kNtpPort] = ac_port_value{AC_SVC_F_ENABLED, AC_SVC_NTP};

  if (name == "ntp_kod") {
    t.ratelimit[AC_SVC_NTP] = kod_ratelimit();
    return t;
  }
  if (name == "default" || name.rfind("ntp_", 0) == 0) return t;
  if (name == "echo_allow") {
    t.ports[kEchoPort].flags |= AC_SVC_F_RESTRICTED;
    t.ports[kNtpPort].flags |= AC_SVC_F_RESTRICTED;
    t.allow = {{AC_SVC_ECHO, parse_prefix("198.51.100.0/24")}, {AC_SVC_ECHO, parse_prefix("2001:db8:c::/48")},
               {AC_SVC_NTP, parse_prefix("198.51.100.0/24")}};
    return t;
  }
  if (name == "global_off") {
    t.answering = false;
    return t;
  }
  throw std::invalid_argument("no test table set named \"" + std::string(name) + "\"");
}

// Whether a row answered by `service` under table set `config` is the rate limiter's answer
// (a kiss-o'-death for NTP): every limiter in these sets refuses its very first request.
inline bool limited_row(std::string_view config, int service) {
  return service >= 0 && service < AC_SVC__COUNT && make_tables(config).ratelimit[service].interval_ns != 0;
}

}  // namespace anycastd::test
