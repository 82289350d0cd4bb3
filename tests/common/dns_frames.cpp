// SPDX-License-Identifier: Apache-2.0
#include "dns_frames.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "hex.h"

namespace anycastd::test {
namespace {

std::vector<DnsRow> load_rows(const std::string& path, const char* generator) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path + " (" + generator + ")");
  std::vector<DnsRow> rows;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string field; std::getline(ss, field, '\t');) f.push_back(field);
    if (f.size() != 6) throw std::runtime_error(path + ":" + std::to_string(number) + ": 6 fields");
    rows.push_back({f[0], f[1], f[2], f[3], from_hex(f[4]), f[5] == "-" ? Bytes{} : from_hex(f[5])});
  }
  if (rows.empty()) throw std::runtime_error("no rows in " + path);
  return rows;
}

}  // namespace

const std::vector<DnsRow>& dns_rows() {
  static const std::vector<DnsRow> r = load_rows(AC_DNS_FRAMES, "gen_dns_frames.py");
  return r;
}

const std::vector<DnsRow>& dns_edns_rows() {
  static const std::vector<DnsRow> r = load_rows(AC_DNS_EDNS_FRAMES, "gen_dns_edns_frames.py");
  return r;
}

const DnsRow& dns_row_named(const std::string& name) {
  for (const DnsRow& r : dns_rows())
    if (r.name == name) return r;
  throw std::runtime_error("no DNS test row " + name);
}

const dns::CompiledTable& dns_test_table() {
  // dnscore.zone and two signed zones (the DO rows): NSEC, NSEC3 with opt-out.
  static const dns::CompiledTable t = dns::compile_zones({{"example.net.", AC_DNS_ZONE},
                                                          {"nsec.test.", AC_DNS_DATA "/nsec.test.signed"},
                                                          {"nsec3.test.", AC_DNS_DATA "/nsec3.test.signed"}});
  return t;
}

const ac_dns_edns& dns_test_edns() {
  static const ac_dns_edns e = [] {
    ac_dns_edns c{};
    const std::string nsid = "edge-1.example";
    ac_dns_edns_set_nsid(&c, reinterpret_cast<const __u8*>(nsid.data()), static_cast<__u32>(nsid.size()));
    const Bytes current = from_hex("e5e973e5a6b2a43f48e7dc849e37bfcf");
    const Bytes previous = from_hex("000102030405060708090a0b0c0d0e0f");
    std::copy(current.begin(), current.end(), c.secret[0]);
    std::copy(previous.begin(), previous.end(), c.secret[1]);
    c.secrets = 2;
    c.now = 1559731985;
    return c;
  }();
  return e;
}

FastpathTables dns_tables() {
  FastpathTables t;
  const std::uint32_t dns = 1u << AC_SVC_DNS;
  t.vips = {{parse_prefix("192.0.2.10"), {AC_VIP_F_ANSWERING, dns, 0}},
            {parse_prefix("2001:db8::10"), {AC_VIP_F_ANSWERING, dns, 0}}};
  t.ports[53] = {AC_SVC_F_ENABLED, AC_SVC_DNS};
  return t;
}

}  // namespace anycastd::test
