// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the configuration parser on any text. It must return a Config or throw
// ConfigError; any other exception escapes to std::terminate and any memory or UB error stops
// the sanitizers, both reported by libFuzzer as a crash. An accepted config must also translate
// into fast-path tables, the next thing the daemon does with it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "datapath/config_tables.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    anycastd::Config config = anycastd::parse_config(text, "fuzz.toml");
    anycastd::FastpathTables tables = anycastd::build_tables(config);
    (void)tables;
  } catch (const anycastd::ConfigError&) {
  }
  return 0;
}
