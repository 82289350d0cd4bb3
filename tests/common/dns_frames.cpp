// SPDX-License-Identifier: Apache-2.0
#include "dns_frames.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "hex.h"

namespace anycastd::test {
namespace {

std::vector<DnsRow> load_rows() {
  std::ifstream in(AC_DNS_FRAMES);
  if (!in) throw std::runtime_error("cannot open " + std::string(AC_DNS_FRAMES) + " (gen_dns_frames.py)");
  std::vector<DnsRow> rows;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string field; std::getline(ss, field, '\t');) f.push_back(field);
    if (f.size() != 6) throw std::runtime_error(std::string(AC_DNS_FRAMES) + ":" + std::to_string(number) + ": 6 fields");
    rows.push_back({f[0], f[1], f[2], f[3], from_hex(f[4]), f[5] == "-" ? Bytes{} : from_hex(f[5])});
  }
  if (rows.empty()) throw std::runtime_error(std::string("no rows in ") + AC_DNS_FRAMES);
  return rows;
}

}  // namespace

const std::vector<DnsRow>& dns_rows() {
  static const std::vector<DnsRow> r = load_rows();
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

FastpathTables dns_tables() {
  FastpathTables t;
  const std::uint32_t dns = 1u << AC_SVC_DNS;
  t.vips = {{parse_prefix("192.0.2.10"), {AC_VIP_F_ANSWERING, dns, 0}},
            {parse_prefix("2001:db8::10"), {AC_VIP_F_ANSWERING, dns, 0}}};
  t.ports[53] = {AC_SVC_F_ENABLED, AC_SVC_DNS};
  return t;
}

}  // namespace anycastd::test
