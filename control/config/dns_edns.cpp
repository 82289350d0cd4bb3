// SPDX-License-Identifier: Apache-2.0
#include "config/dns_edns.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace anycastd {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A secret file is small; anything past this is not a secret file.
constexpr std::size_t kMaxSecretFile = 4096;

}  // namespace

CookieSecret read_cookie_secret(const std::string& file, std::string& warning) {
  auto fail = [&](const std::string& what) { return std::runtime_error("cookie secret file " + file + ": " + what); };
  struct stat st{};
  if (::stat(file.c_str(), &st) != 0) throw fail(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw fail("not a regular file");
  if (st.st_size > static_cast<off_t>(kMaxSecretFile))
    throw fail("too large for a secret (expected 32 hex digits, 16 bytes)");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw fail(std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw fail("cannot be read");

  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (hex_digit(c) < 0)
      throw fail("byte " + std::to_string(i + 1) + " is not a hex digit (expected 32 hex digits, 16 bytes)");
    digits += c;
  }
  if (digits.size() != 2 * AC_DNS_COOKIE_SECRET)
    throw fail(std::to_string(digits.size()) + " hex digits, expected 32 (16 bytes; e.g. `openssl rand -hex 16`)");
  CookieSecret secret{};
  for (std::size_t i = 0; i < secret.size(); ++i)
    secret[i] = static_cast<std::uint8_t>(hex_digit(digits[2 * i]) << 4 | hex_digit(digits[2 * i + 1]));
  warning.clear();
  if (st.st_mode & (S_IRGRP | S_IROTH))
    warning = "cookie secret file " + file + " is readable by its group or others (mode " +
              std::to_string((st.st_mode >> 6) & 7) + std::to_string((st.st_mode >> 3) & 7) +
              std::to_string(st.st_mode & 7) + "); it is a secret: chmod 600";
  return secret;
}

ac_dns_edns dns_edns_settings(const std::string& nsid, const std::optional<CookieSecret>& current,
                              const std::optional<CookieSecret>& previous, std::uint32_t now) {
  ac_dns_edns e{};
  e.now = now;
  ac_dns_edns_set_nsid(&e, reinterpret_cast<const __u8*>(nsid.data()), static_cast<__u32>(nsid.size()));
  if (current) {
    std::memcpy(e.secret[0], current->data(), AC_DNS_COOKIE_SECRET);
    e.secrets = 1;
    if (previous) {
      std::memcpy(e.secret[1], previous->data(), AC_DNS_COOKIE_SECRET);
      e.secrets = 2;
    }
  }
  return e;
}

std::uint32_t cookie_clock_now() { return static_cast<std::uint32_t>(std::time(nullptr)); }

}  // namespace anycastd
