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
#include "prefix.h"
#include "tables.h"

namespace anycastd::test {

inline constexpr std::uint16_t kEchoPort = 7;
inline constexpr std::array<std::string_view, 3> kTableNames = {"default", "echo_allow", "global_off"};

inline FastpathTables make_tables(std::string_view name) {
  constexpr std::uint32_t echo = 1u << AC_SVC_ECHO;
  auto vip = [](std::string_view prefix, std::uint32_t flags, std::uint32_t services) {
    return VipEntry{parse_prefix(prefix), ac_vip_value{flags, services, 0}};
  };

  FastpathTables t;
  t.vips = {
      vip("192.0.2.10", AC_VIP_F_ANSWERING, echo),
      vip("203.0.113.0/24", AC_VIP_F_ANSWERING, echo),
      vip("2001:db8::10", AC_VIP_F_ANSWERING, echo),
      vip("2001:db8:1::/48", AC_VIP_F_ANSWERING, echo),
      vip("192.0.2.11", 0, echo),                   // switched off by control
      vip("2001:db8::11", 0, echo),
      vip("192.0.2.12", AC_VIP_F_ANSWERING, 0),     // a VIP of a group with no UDP service
      vip("2001:db8::12", AC_VIP_F_ANSWERING, 0),
      // More specific entries inside the answering prefixes: only longest-prefix match finds them.
      vip("203.0.113.99", 0, echo),
      vip("2001:db8:1:ff::/64", 0, echo),
  };
  t.ports[kEchoPort] = ac_port_value{AC_SVC_F_ENABLED, AC_SVC_ECHO};

  if (name == "default") return t;
  if (name == "echo_allow") {
    t.ports[kEchoPort].flags |= AC_SVC_F_RESTRICTED;
    t.allow = {{AC_SVC_ECHO, parse_prefix("198.51.100.0/24")}, {AC_SVC_ECHO, parse_prefix("2001:db8:c::/48")}};
    return t;
  }
  if (name == "global_off") {
    t.answering = false;
    return t;
  }
  throw std::invalid_argument("no test table set named \"" + std::string(name) + "\"");
}

}  // namespace anycastd::test
