// SPDX-License-Identifier: Apache-2.0
#pragma once

// The DNS service's answer table as the daemon serves it: compiled from the zone files
// (control/dns) at start and on every reload, replaced only by a compilation that succeeded
// and that the datapath took, and what status and metrics say about it. A bad zone file or a
// refusal keeps the table in use, and is recorded with its reason ("FILE:LINE: what").

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "status/status.h"

namespace anycastd {

using DnsImage = std::shared_ptr<const std::vector<std::uint8_t>>;

// A compiled table, not yet in use.
struct CompiledDns {
  DnsImage image;
  std::vector<DnsZoneStatus> zones;
  std::uint64_t entries = 0;
  WallClock::time_point at{};
};

// Reads and compiles `zones` into one table. Throws dns::ZoneError ("FILE:LINE: what").
CompiledDns compile_dns(const std::vector<DnsZoneConfig>& zones);

class DnsTableLoader {
 public:
  // compile_dns(), recording a failure (then rethrown) in the status.
  CompiledDns compile(const std::vector<DnsZoneConfig>& zones);
  // The datapath took `table`: it is the one in use from now on.
  void installed(CompiledDns table);
  // A compiled table the datapath refused: the one before stays in use.
  void failed(const std::string& why);

  const DnsImage& image() const { return current_.image; }  // nullptr before the first
  DnsStatus status() const { return status_; }

 private:
  CompiledDns current_;
  DnsStatus status_;
};

}  // namespace anycastd
