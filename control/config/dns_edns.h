// SPDX-License-Identifier: Apache-2.0
#pragma once

// [services.dns] nsid and the cookie secret files (docs/dns.md, "NSID and cookies"): reading a
// secret file, and the settings every datapath answers NSID and COOKIE options with
// (abi.h struct ac_dns_edns), built here once for all of them.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "abi.h"

namespace anycastd {

using CookieSecret = std::array<std::uint8_t, AC_DNS_COOKIE_SECRET>;

// The secret in `file`: 32 hex digits, whitespace anywhere tolerated (a trailing newline, groups).
// Throws std::runtime_error naming the file and the problem (missing, unreadable, short, long,
// not hex). `warning` is set when others may read the file (it is a secret).
CookieSecret read_cookie_secret(const std::string& file, std::string& warning);

// The settings for [services.dns]: the NSID bytes (empty: none), the current secret and the
// previous one (accepted, not issued; only with a current one), the cookie clock's `now`.
ac_dns_edns dns_edns_settings(const std::string& nsid, const std::optional<CookieSecret>& current,
                              const std::optional<CookieSecret>& previous, std::uint32_t now);

// The cookie clock (RFC 9018 4.3): the wall clock's seconds since 1970, low 32 bits.
std::uint32_t cookie_clock_now();

}  // namespace anycastd
