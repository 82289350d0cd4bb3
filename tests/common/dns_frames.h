// SPDX-License-Identifier: Apache-2.0
#pragma once

// The DNS test frames (tests/core/gen_dns_frames.py: dnspython and scapy) and the table they are
// answered from (tests/core/data/dnscore.zone, compiled by the zone compiler): the same rows
// drive the native core (core.dns.*) and the compiled XDP program (bpf.dns.*).

#include <string>
#include <vector>

#include "tables/fastpath_tables.h"
#include "vectors.h"
#include "dns/zone_compiler.h"

namespace anycastd::test {

struct DnsRow {
  std::string name;
  std::string action, reason, outcome;  // "answer" with an outcome, or "pass" with a reason
  Bytes request, reply;
};

const std::vector<DnsRow>& dns_rows();
// NSID and cookie rows (gen_dns_edns_frames.py), answered with dns_test_edns() below.
const std::vector<DnsRow>& dns_edns_rows();
const DnsRow& dns_row_named(const std::string& name);

// The compiled table of dnscore.zone, compiled once per process.
const dns::CompiledTable& dns_test_table();

// gen_vectors.py's VIPs (192.0.2.10, 2001:db8::10), carrying DNS on port 53.
FastpathTables dns_tables();

// The NSID, secrets and clock gen_dns_edns_frames.py computed its rows with.
const ac_dns_edns& dns_test_edns();

}  // namespace anycastd::test
