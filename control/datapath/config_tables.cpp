// SPDX-License-Identifier: Apache-2.0
#include "datapath/config_tables.h"

namespace anycastd {

FastpathTables build_tables(const Config& config) {
  FastpathTables t;
  for (const ServiceConfig& s : config.services) {
    t.ratelimit[s.id] = s.id == AC_SVC_DNS ? dns_rrl_limiter(s.dns.rrl) : s.rate_limit.abi();
    ac_port_value port{};
    port.flags = AC_SVC_F_ENABLED | (s.allow.empty() ? 0u : AC_SVC_F_RESTRICTED);
    port.service = s.id;
    t.ports[s.port] = port;
    for (const Prefix& source : s.allow) t.allow.push_back({static_cast<std::uint32_t>(s.id), source});
  }
  for (std::size_t g = 0; g < config.groups.size(); ++g)
    for (const Prefix& vip : config.groups[g].addresses) {
      ac_vip_value value{};
      value.flags = AC_VIP_F_ANSWERING;
      value.services = config.groups[g].services;
      value.group = static_cast<std::uint32_t>(g);
      t.vips.push_back({vip, value});
    }
  t.answering = true;
  return t;
}

}  // namespace anycastd
