// SPDX-License-Identifier: Apache-2.0
// anycastd-zone-check: reads, checks and compiles zone files exactly as anycastd does on (re)load,
// so an operator can try a file before `anycastctl reload`.

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/version.h"
#include "dns/zone_compiler.h"

namespace {

const char* const usage =
    "Usage: anycastd-zone-check ORIGIN FILE [ORIGIN FILE]...\n"
    "\n"
    "Reads each RFC 1035 master FILE as the zone ORIGIN (e.g. example.net), checks it (SOA at the\n"
    "apex, CNAME alone at its name, no data outside the zone, class IN, no CNAME loops, zones not\n"
    "inside each other) and compiles all of them into one DNS answer table, as anycastd does.\n"
    "Prints each zone's serial and counts and the table's size; on an error prints FILE:LINE: what\n"
    "is wrong and exits 1.\n"
    "\n"
    "  -h, --help     this text\n"
    "  -V, --version  the version\n";

}  // namespace

int main(int argc, char** argv)
{
  std::vector<anycastd::dns::ZoneSource> sources;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") {
      std::fputs(usage, stdout);
      return 0;
    }
    if (a == "-V" || a == "--version") {
      std::printf("anycastd-zone-check %s\n", std::string(anycastd::version()).c_str());
      return 0;
    }
    if (a.size() > 1 && a[0] == '-') {
      std::fprintf(stderr, "anycastd-zone-check: unknown option %s\n%s", a.c_str(), usage);
      return 2;
    }
  }
  if (args.empty() || args.size() % 2 != 0) {
    std::fprintf(stderr, "anycastd-zone-check: expected ORIGIN FILE pairs\n%s", usage);
    return 2;
  }
  for (std::size_t i = 0; i < args.size(); i += 2)
    sources.push_back({args[i], args[i + 1]});
  try {
    auto table = anycastd::dns::compile_zones(sources);
    for (const auto& z : table.zones)
      std::printf("%s: zone %s serial %u, %zu records, %zu names\n", z.file.c_str(), z.origin.c_str(), z.serial,
                  z.records, z.names);
    for (const auto& z : table.zones)
      for (const auto& w : z.warnings)
        std::fprintf(stderr, "anycastd-zone-check: warning: %s\n", w.c_str());
    std::printf("answer table: %zu entries, %zu answers (%zu for the slow path only), %zu bytes\n", table.entries,
                table.answers, table.slow_answers, table.memory());
    return 0;
  } catch (const anycastd::dns::ZoneError& e) {
    std::fprintf(stderr, "anycastd-zone-check: %s\n", e.what());
    return 1;
  }
}
