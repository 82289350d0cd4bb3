// SPDX-License-Identifier: Apache-2.0
#include "templates.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace anycastd::loadgen {
namespace {

// Sum of 16-bit words as a plain __u16 load reads them (see loadgen_abi.h).
std::uint32_t sum_words(const std::uint8_t* p, std::size_t n) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) {
    std::uint16_t w;
    std::memcpy(&w, p + i, 2);
    sum += w;
  }
  if (n % 2) {
    std::uint8_t last[2] = {p[n - 1], 0};
    std::uint16_t w;
    std::memcpy(&w, last, 2);
    sum += w;
  }
  return sum;
}

std::array<std::uint8_t, 16> parse_addr(int family, const std::string& text) {
  std::array<std::uint8_t, 16> a{};
  if (inet_pton(family == 4 ? AF_INET : AF_INET6, text.c_str(), a.data()) != 1)
    throw std::invalid_argument("'" + text + "' is not an IPv" + std::to_string(family) + " address");
  return a;
}

void put16(std::vector<std::uint8_t>& f, std::uint16_t host) {
  f.push_back(static_cast<std::uint8_t>(host >> 8));
  f.push_back(static_cast<std::uint8_t>(host));
}

}  // namespace

std::vector<std::uint8_t> echo_payload(std::size_t len) {
  std::vector<std::uint8_t> p(len);
  for (std::size_t i = 0; i < len; ++i) p[i] = static_cast<std::uint8_t>('a' + i % 26);
  return p;
}

std::vector<std::uint8_t> ntp_payload(std::size_t len) {
  if (len != kNtpLen)
    throw std::invalid_argument("an NTP request is " + std::to_string(kNtpLen) + " bytes of payload, not " +
                                std::to_string(len));
  std::vector<std::uint8_t> p(kNtpLen, 0);
  p[0] = 0 << 6 | 4 << 3 | 3;  // no leap warning, version 4, mode 3 (client)
  p[2] = 6;                     // poll 64 s
  p[3] = 0xEC;                  // precision -20
  for (int i = 0; i < 8; ++i) p[40 + i] = static_cast<std::uint8_t>(kNtpTransmit >> (56 - 8 * i));
  return p;
}

// --- DNS ---
std::vector<std::uint8_t> dns_payload(std::size_t len) {
  if (len < kDnsQueryLen || (len > kDnsQueryLen && len < kDnsQueryLen + 4))
    throw std::invalid_argument("a DNS query takes " + std::to_string(kDnsQueryLen) + " bytes of payload, or " +
                                std::to_string(kDnsQueryLen + 4) + " and more (padded), not " + std::to_string(len));
  std::vector<std::uint8_t> p;
  put16(p, kDnsQueryId);
  put16(p, 0);  // a query, opcode QUERY, RD clear
  put16(p, 1);  // one question
  put16(p, 0);
  put16(p, 0);
  put16(p, 1);  // one additional record: the OPT
  static const std::uint8_t qname[] = {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0};
  p.insert(p.end(), qname, qname + sizeof qname);
  put16(p, 1);  // A
  put16(p, 1);  // IN
  const std::size_t pad = len > kDnsQueryLen ? len - kDnsQueryLen - 4 : 0;
  p.push_back(0);  // OPT: root owner
  put16(p, 41);
  put16(p, 1232);  // our UDP payload size
  put16(p, 0);     // extended rcode, version 0
  put16(p, 0);     // flags
  put16(p, static_cast<std::uint16_t>(len > kDnsQueryLen ? pad + 4 : 0));
  if (len > kDnsQueryLen) {
    put16(p, 12);  // PADDING
    put16(p, static_cast<std::uint16_t>(pad));
    p.insert(p.end(), pad, 0);
  }
  return p;
}
// --- end DNS ---

const std::vector<Service>& services() {
  static const std::vector<Service> list = {
      {"echo", 7, echo_payload, 0, LG_CHECK_NONE},
      {"ntp", 123, ntp_payload, kNtpLen, LG_CHECK_NTP},
      {"dns", 53, dns_payload, 0, LG_CHECK_DNS},  // --- DNS ---
  };
  return list;
}

lg_recv_config recv_config(const Service& service, std::uint16_t port, std::uint32_t sport, std::uint32_t sport_count,
                           std::uint32_t udp_len) {
  lg_recv_config rc{};
  rc.service_port[0] = port;
  rc.check[0] = service.check;
  rc.dport_base = sport;
  rc.dport_count = sport_count;
  rc.udp_len = udp_len;
  const std::uint32_t hi = htonl(static_cast<std::uint32_t>(kNtpTransmit >> 32));
  const std::uint32_t lo = htonl(static_cast<std::uint32_t>(kNtpTransmit));
  rc.ntp_origin[0] = hi;
  rc.ntp_origin[1] = lo;
  // --- DNS: the answer's length is the server's; its header is checked instead ---
  if (service.check == LG_CHECK_DNS) rc.udp_len = 0;
  rc.dns_id = kDnsQueryId;
  return rc;
}

const Service& service(const std::string& name) {
  std::string names;
  for (const Service& s : services()) {
    if (s.name == name) return s;
    names += (names.empty() ? "" : ", ") + s.name;
  }
  throw std::invalid_argument("unknown service '" + name + "' (known: " + names + ")");
}

std::size_t header_len(int family, std::size_t tags) {
  return 14 + 4 * tags + (family == 4 ? 20 : 40) + 8;
}

std::vector<std::string> expand_vips(int family, const std::string& first, std::uint32_t count) {
  if (count < 1 || count > LG_MAX_VIPS)
    throw std::invalid_argument("VIP count must be 1 .. " + std::to_string(LG_MAX_VIPS));
  auto a = parse_addr(family, first);
  std::vector<std::string> out;
  char text[INET6_ADDRSTRLEN];
  for (std::uint32_t i = 0; i < count; ++i) {
    if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, a.data(), text, sizeof text))
      throw std::invalid_argument("cannot print an address");
    out.emplace_back(text);
    // add one, carrying through the address (big-endian)
    for (int k = (family == 4 ? 3 : 15); k >= 0; --k)
      if (++a[static_cast<std::size_t>(k)] != 0) break;
  }
  return out;
}

std::array<std::uint8_t, 6> parse_mac(const std::string& text) {
  std::array<std::uint8_t, 6> m{};
  unsigned v[6];
  char tail;
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
    throw std::invalid_argument("'" + text + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
  for (int i = 0; i < 6; ++i) {
    if (v[i] > 255) throw std::invalid_argument("'" + text + "' is not a MAC address");
    m[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v[i]);
  }
  return m;
}

Template build_template(const FrameSpec& s, const std::vector<std::uint8_t>& payload) {
  if (s.family != 4 && s.family != 6) throw std::invalid_argument("family must be 4 or 6");
  if (s.tags.size() > 2) throw std::invalid_argument("at most 2 VLAN tags");
  for (const Vlan& t : s.tags)
    if (t.vid > 4095 || (t.tpid != 0x8100 && t.tpid != 0x88A8))
      throw std::invalid_argument("VLAN tag: TPID 0x8100 or 0x88a8, VID 0 .. 4095");
  const std::size_t hdr = header_len(s.family, s.tags.size());
  if (s.frame_len != hdr + payload.size())
    throw std::invalid_argument("payload does not fill the frame");
  if (s.frame_len > 9000) throw std::invalid_argument("frame longer than 9000 bytes");
  if (s.vips.empty() || s.vips.size() > LG_MAX_VIPS)
    throw std::invalid_argument("need 1 .. " + std::to_string(LG_MAX_VIPS) + " VIPs");

  const auto src = parse_addr(s.family, s.src);
  const std::size_t alen = s.family == 4 ? 4 : 16;
  const std::uint32_t low = static_cast<std::uint32_t>(src[alen - 2]) << 8 | src[alen - 1];
  if (s.src_count < 1 || low + s.src_count > 65536)
    throw std::invalid_argument("source count must be at least 1 and keep within the source's last 16 bits");
  if (s.sport_count < 1 || s.sport + s.sport_count > 65536)
    throw std::invalid_argument("source port count must be at least 1 and keep ports below 65536");

  Template t;
  auto& f = t.frame;
  f.insert(f.end(), s.dst_mac.begin(), s.dst_mac.end());
  f.insert(f.end(), s.src_mac.begin(), s.src_mac.end());
  for (const Vlan& tag : s.tags) {
    put16(f, tag.tpid);
    put16(f, tag.vid);
  }
  put16(f, s.family == 4 ? 0x0800 : 0x86DD);
  const std::size_t ip_at = f.size();
  t.udp_len = static_cast<std::uint16_t>(8 + payload.size());
  if (s.family == 4) {
    const std::uint16_t total = static_cast<std::uint16_t>(20 + t.udp_len);
    const std::uint8_t ip[20] = {0x45, 0, static_cast<std::uint8_t>(total >> 8), static_cast<std::uint8_t>(total),
                                 0, 0, 0x40, 0, s.ttl, 17};  // DF, no id: never fragmented
    f.insert(f.end(), ip, ip + 20);
  } else {
    const std::uint8_t ip[40] = {0x60, 0, 0, 0, static_cast<std::uint8_t>(t.udp_len >> 8),
                                 static_cast<std::uint8_t>(t.udp_len), 17, s.ttl};
    f.insert(f.end(), ip, ip + 40);
  }
  const std::size_t udp_at = f.size();
  f.insert(f.end(), 4, 0);  // ports
  put16(f, t.udp_len);
  f.insert(f.end(), 2, 0);  // checksum
  f.insert(f.end(), payload.begin(), payload.end());

  lg_gen_config& c = t.config;
  c.family = static_cast<__u32>(s.family);
  c.l3_off = static_cast<__u32>(ip_at);
  c.ip_base = s.family == 4 ? sum_words(&f[ip_at], 20) : 0;
  const std::uint8_t pseudo[4] = {0, 17, static_cast<std::uint8_t>(t.udp_len >> 8),
                                  static_cast<std::uint8_t>(t.udp_len)};
  c.udp_base = sum_words(pseudo, 4) + sum_words(&f[udp_at], t.udp_len);
  std::memcpy(c.src_addr, src.data(), 16);
  c.src_fixed_sum = sum_words(src.data(), alen - 2);
  c.src_low_base = low;
  c.src_count = s.src_count;
  c.sport_base = s.sport;
  c.sport_count = s.sport_count;
  c.vip_count = static_cast<__u32>(s.vips.size());
  c.dport = s.dport;
  c.head_len = static_cast<__u32>(std::min<std::size_t>(f.size(), LG_HEAD_MAX));
  std::memcpy(c.head, f.data(), c.head_len);
  for (const std::string& v : s.vips) {
    lg_vip e{};
    auto a = parse_addr(s.family, v);
    std::memcpy(e.addr, a.data(), 16);
    e.sum = sum_words(a.data(), alen);
    t.vips.push_back(e);
  }
  return t;
}

}  // namespace anycastd::loadgen
