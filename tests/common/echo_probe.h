// SPDX-License-Identifier: Apache-2.0
#pragma once

// A UDP echo request as a client sends it, for tests that ask the XDP program only "answered or
// passed": Ethernet + IPv4 or IPv6 (by the address's form) + UDP from `src`:40000 to `dst`:7 with
// a 4-byte payload. The checksums are computed here, independently of the packet core: the IPv4
// header's, and the UDP checksum over IPv6 (over IPv4 it is left 0, "none").

#include <arpa/inet.h>

#include <cstdint>
#include <string>
#include <vector>

namespace anycastd::test {

inline std::uint16_t fold_complement(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

inline std::string address_text(int family, const std::uint8_t* bytes) {
  char text[INET6_ADDRSTRLEN];
  inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes, text, sizeof text);
  return text;
}

inline std::vector<std::uint8_t> echo_probe(const std::string& src, const std::string& dst) {
  std::vector<std::uint8_t> f = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
  const std::uint8_t payload[] = {'e', 'c', 'h', 'o'};
  std::uint8_t udp[8] = {0x9c, 0x40, 0, 7, 0, 12, 0, 0};
  if (dst.find(':') == std::string::npos) {
    std::uint8_t ip[20] = {0x45, 0, 0, 32, 0, 1, 0x40, 0, 57, 17};
    inet_pton(AF_INET, src.c_str(), &ip[12]);
    inet_pton(AF_INET, dst.c_str(), &ip[16]);
    std::uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += (ip[i] << 8) | ip[i + 1];
    std::uint16_t check = fold_complement(sum);
    ip[10] = static_cast<std::uint8_t>(check >> 8);
    ip[11] = static_cast<std::uint8_t>(check);
    f.insert(f.end(), {0x08, 0x00});
    f.insert(f.end(), ip, ip + 20);
  } else {
    std::uint8_t ip[40] = {0x60, 0, 0, 0, 0, 12, 17, 57};
    inet_pton(AF_INET6, src.c_str(), &ip[8]);
    inet_pton(AF_INET6, dst.c_str(), &ip[24]);
    // The pseudo-header (addresses, length, protocol), the header and the payload.
    std::uint32_t sum = 12 + 17;
    for (int i = 8; i < 40; i += 2) sum += (ip[i] << 8) | ip[i + 1];
    for (int i = 0; i < 8; i += 2) sum += (udp[i] << 8) | udp[i + 1];
    for (int i = 0; i < 4; i += 2) sum += (payload[i] << 8) | payload[i + 1];
    std::uint16_t check = fold_complement(sum);
    if (check == 0) check = 0xffff;
    udp[6] = static_cast<std::uint8_t>(check >> 8);
    udp[7] = static_cast<std::uint8_t>(check);
    f.insert(f.end(), {0x86, 0xdd});
    f.insert(f.end(), ip, ip + 40);
  }
  f.insert(f.end(), udp, udp + 8);
  f.insert(f.end(), payload, payload + 4);
  return f;
}

}  // namespace anycastd::test
