// SPDX-License-Identifier: Apache-2.0
#pragma once

// Frame templates for the load generator: the headers of one request per service with the
// per-frame fields (addresses, ports, checksums) left zero, and the plan (lg_gen_config) that
// tells lg_gen.c how to fill them. A service is a payload function and a port; adding NTP or DNS
// is a new entry in services() with the function that builds its request payload.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "loadgen_abi.h"

namespace anycastd::loadgen {

struct Vlan {
  std::uint16_t tpid;  // 0x8100 (802.1Q) or 0x88A8 (802.1ad)
  std::uint16_t vid;   // 0 .. 4095
};

struct Service {
  std::string name;
  std::uint16_t port;  // default destination port
  // The request payload for a frame of `payload_len` bytes of payload; throws
  // std::invalid_argument for a length the service cannot take.
  std::function<std::vector<std::uint8_t>(std::size_t payload_len)> payload;
  std::size_t fixed_payload = 0;  // the only payload length the service takes; 0: any
  std::uint8_t check = LG_CHECK_NONE;  // what the receiver checks in an answer (enum lg_check)
};

// The services the generator knows, by name.
const std::vector<Service>& services();
const Service& service(const std::string& name);  // throws std::invalid_argument naming the choices

// Echo (RFC 862): any payload comes back; this one is 'a'..'z' repeated, so a reply is easy to read.
std::vector<std::uint8_t> echo_payload(std::size_t len);

// NTP (RFC 5905): a client request as chronyd sends one, version 4, mode 3, 48 bytes, with a
// fixed transmit time that a server's answer carries back as its origin time.
inline constexpr std::size_t kNtpLen = 48;
inline constexpr std::uint64_t kNtpTransmit = 0xEB1F2A3B80000000ull;  // 2025-01-01 + 0.5 s, any will do
std::vector<std::uint8_t> ntp_payload(std::size_t len);

// --- DNS ---
// A DNS query for www.example.net. A (the lab zone, tests/lab/dns/example.net.zone), ID
// kDnsQueryId, RD clear (as a resolver asks an authoritative server), with an EDNS0 OPT record
// (UDP size 1232); a longer payload is filled by an EDNS padding option (RFC 7830). Throws
// std::invalid_argument for a length below kDnsQueryLen or that padding cannot reach (+1..+3).
inline constexpr std::uint16_t kDnsQueryId = 0x4c47;  // "LG"
inline constexpr std::size_t kDnsQueryLen = 44;
std::vector<std::uint8_t> dns_payload(std::size_t len);
// --- end DNS ---

// The receiver's configuration for answers to `service` on `port`, from generator ports
// [sport, sport + sport_count), of UDP length udp_len (0: any).
lg_recv_config recv_config(const Service& service, std::uint16_t port, std::uint32_t sport, std::uint32_t sport_count,
                           std::uint32_t udp_len);

struct FrameSpec {
  int family = 4;
  std::vector<Vlan> tags;  // outermost first, at most 2
  std::array<std::uint8_t, 6> src_mac{0x02, 0, 0, 0, 0, 1};
  std::array<std::uint8_t, 6> dst_mac{0x02, 0, 0, 0, 0, 2};
  std::string src = "203.0.113.1";  // first source; its last 16 bits advance per frame
  std::uint32_t src_count = 1;
  std::uint16_t sport = 10000;      // first source port
  std::uint32_t sport_count = 1;
  std::vector<std::string> vips = {"192.0.2.10"};
  std::uint16_t dport = 7;
  std::size_t frame_len = 64;  // whole frame without the FCS
  std::uint8_t ttl = 64;
};

struct Template {
  std::vector<std::uint8_t> frame;  // per-frame fields zero
  lg_gen_config config{};
  std::vector<lg_vip> vips;
  std::uint16_t udp_len = 0;
};

// Headers and overhead before the payload, for checking a requested size.
std::size_t header_len(int family, std::size_t tags);

// Builds the template; throws std::invalid_argument with the reason for a spec it cannot build
// (size below the headers or above 9000, an address of the wrong family, counts that overflow).
Template build_template(const FrameSpec& spec, const std::vector<std::uint8_t>& payload);

// `count` consecutive addresses from `first` (throws std::invalid_argument for a bad address or count).
std::vector<std::string> expand_vips(int family, const std::string& first, std::uint32_t count);

std::array<std::uint8_t, 6> parse_mac(const std::string& text);  // throws std::invalid_argument

}  // namespace anycastd::loadgen
