// SPDX-License-Identifier: Apache-2.0
#include "group/datapath_check.h"

#include <chrono>
#include <cstring>
#include <string>

#include "csum.h"
#include "headers.h"

namespace anycastd {
namespace {

constexpr std::uint16_t kProbeSourcePort = 40007;
constexpr char kProbePayload[] = "anycastd datapath probe";

// Sources for probes that never leave the machine: RFC 5737 / RFC 3849 documentation addresses.
const Prefix kProbeSource4 = parse_prefix("192.0.2.1");
const Prefix kProbeSource6 = parse_prefix("2001:db8::1");

std::uint32_t sum_bytes(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
  return sum;
}

// The probe must come from a source the fast path answers: inside echo's allow list if it has one.
Prefix probe_source(const DatapathProbeTarget& t, int family) {
  for (const Prefix& allowed : t.echo_allow)
    if (allowed.family == family) {
      Prefix host = allowed;
      host.len = host.max_len();
      return host;
    }
  return family == 4 ? kProbeSource4 : kProbeSource6;
}

Refusal first_difference(const std::vector<std::uint8_t>& reply, const std::vector<std::uint8_t>& expected) {
  if (reply.size() != expected.size())
    return Refusal::because("reply is " + std::to_string(reply.size()) + " bytes, expected " +
                            std::to_string(expected.size()));
  for (std::size_t i = 0; i < reply.size(); ++i)
    if (reply[i] != expected[i])
      return Refusal::because("reply differs from the expected echo at byte " + std::to_string(i));
  return Refusal::none();
}

}  // namespace

std::vector<std::uint8_t> build_probe_frame(const Prefix& source, const Prefix& destination, std::uint16_t source_port,
                                            std::uint16_t destination_port, bool to_us) {
  const Prefix& vip = destination;
  bool v6 = vip.family == 6;
  std::size_t ip_len = v6 ? sizeof(ac_ipv6hdr) : sizeof(ac_iphdr);
  std::size_t udp_len = sizeof(ac_udphdr) + sizeof kProbePayload;
  std::vector<std::uint8_t> frame(sizeof(ac_ethhdr) + ip_len + udp_len);

  ac_ethhdr eth{};
  const std::uint8_t ours[6] = {0x02, 0, 0, 0, 0, 0x01}, theirs[6] = {0x02, 0, 0, 0, 0, 0x02};
  std::memcpy(eth.dst, to_us ? ours : theirs, 6);
  std::memcpy(eth.src, to_us ? theirs : ours, 6);
  eth.proto = ac_htons(v6 ? AC_ETH_P_IPV6 : AC_ETH_P_IP);
  std::memcpy(frame.data(), &eth, sizeof eth);

  std::uint8_t* l3 = frame.data() + sizeof eth;
  std::uint8_t* l4 = l3 + ip_len;
  ac_udphdr udp{};
  udp.source = ac_htons(source_port);
  udp.dest = ac_htons(destination_port);
  udp.len = ac_htons(static_cast<std::uint16_t>(udp_len));
  std::memcpy(l4 + sizeof udp, kProbePayload, sizeof kProbePayload);

  // Pseudo-header: addresses, protocol, UDP length (RFC 768, RFC 8200 8.1).
  std::uint32_t sum = sum_bytes(source.addr.data(), source.addr_bytes());
  sum = sum_bytes(vip.addr.data(), vip.addr_bytes(), sum);
  sum += AC_IPPROTO_UDP + static_cast<std::uint32_t>(udp_len);
  if (v6) {
    ac_ipv6hdr ip{};
    ip.version_class_flow = ac_htonl(6u << 28);
    ip.payload_len = ac_htons(static_cast<std::uint16_t>(udp_len));
    ip.nexthdr = AC_IPPROTO_UDP;
    ip.hop_limit = 64;
    std::memcpy(ip.saddr, source.addr.data(), 16);
    std::memcpy(ip.daddr, vip.addr.data(), 16);
    std::memcpy(l3, &ip, sizeof ip);
  } else {
    ac_iphdr ip{};
    ip.version_ihl = 0x45;
    ip.tot_len = ac_htons(static_cast<std::uint16_t>(ip_len + udp_len));
    ip.ttl = 64;
    ip.protocol = AC_IPPROTO_UDP;
    std::memcpy(&ip.saddr, source.addr.data(), 4);
    std::memcpy(&ip.daddr, vip.addr.data(), 4);
    ip.check = ac_csum_fold(ac_ip4_sum(&ip));  // over the header with its checksum field zero
    std::memcpy(l3, &ip, sizeof ip);
  }
  std::memcpy(l4, &udp, sizeof udp);
  sum = sum_bytes(l4, udp_len, sum);
  std::uint16_t check = ac_htons(ac_csum_fold(sum));
  if (check == 0) check = 0xFFFF;  // zero means "no checksum", and is invalid over IPv6
  std::memcpy(l4 + offsetof(ac_udphdr, check), &check, sizeof check);
  return frame;
}

CheckResult DatapathCheck::run() {
  auto start = std::chrono::steady_clock::now();
  CheckResult r;
  auto done = [&](bool ok, std::string detail) {
    r.ok = ok;
    r.detail = std::move(detail);
    r.latency = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    return r;
  };

  InPlace in_place = target_.probe->in_place();
  if (!in_place.ok) return done(false, in_place.detail);
  if (target_.echo_port == 0) return done(true, in_place.detail);

  for (const Prefix& vip : target_.vips) {
    Prefix dst = vip;
    dst.len = dst.max_len();  // a prefix VIP is probed at its first address
    Prefix src = probe_source(target_, vip.family);
    std::vector<std::uint8_t> request = build_probe_frame(src, dst, kProbeSourcePort, target_.echo_port, true);
    std::vector<std::uint8_t> expected = build_probe_frame(dst, src, target_.echo_port, kProbeSourcePort, false);
    ProbeRun run = target_.probe->run(request);
    if (!run.error.empty()) return done(false, "echo probe to " + dst.address() + ": " + run.error);
    if (!run.answered)
      return done(false, "echo probe to " + dst.address() + " was not answered (" + run.verdict + ")");
    if (Refusal diff = first_difference(run.frame, expected))
      return done(false, "echo probe to " + dst.address() + ": " + diff.why());
  }
  return done(true, in_place.detail + ", " + std::to_string(target_.vips.size()) + " VIPs answer");
}

}  // namespace anycastd
