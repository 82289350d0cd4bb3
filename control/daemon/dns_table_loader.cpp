// SPDX-License-Identifier: Apache-2.0
#include "daemon/dns_table_loader.h"

#include <utility>

#include <spdlog/spdlog.h>

#include "dns/zone_compiler.h"

namespace anycastd {

CompiledDns compile_dns(const std::vector<DnsZoneConfig>& zones) {
  std::vector<dns::ZoneSource> sources;
  for (const DnsZoneConfig& z : zones) sources.push_back({z.origin, z.file});
  dns::CompiledTable table = dns::compile_zones(sources);
  CompiledDns out;
  out.at = WallClock::now();
  out.entries = table.entries;
  for (const dns::ZoneStats& z : table.zones) {
    out.zones.push_back({z.origin, z.file, z.serial, z.records});
    // A signer's mistakes: the zone is still served, as knotd serves it (docs/dns.md).
    for (const std::string& w : z.warnings) spdlog::warn("dns: zone {}: {}", z.origin, w);
  }
  out.image = std::make_shared<const std::vector<std::uint8_t>>(std::move(table.image));
  return out;
}

CompiledDns DnsTableLoader::compile(const std::vector<DnsZoneConfig>& zones) {
  try {
    return compile_dns(zones);
  } catch (const dns::ZoneError& e) {
    failed(e.what());
    throw;
  }
}

void DnsTableLoader::installed(CompiledDns table) {
  current_ = std::move(table);
  status_.zones = current_.zones;
  status_.entries = current_.entries;
  status_.bytes = current_.image ? current_.image->size() : 0;
  status_.loaded = current_.at;
  status_.last_load = current_.at;
  status_.last_load_ok = true;
  status_.last_load_error.clear();
  ++status_.loads;
}

void DnsTableLoader::failed(const std::string& why) {
  status_.last_load = WallClock::now();
  status_.last_load_ok = false;
  status_.last_load_error = why;
  ++status_.loads;
  ++status_.load_failures;
}

}  // namespace anycastd
