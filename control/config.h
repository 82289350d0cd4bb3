// SPDX-License-Identifier: Apache-2.0
#pragma once

// anycastd's configuration file (TOML): the structure, the parser that rejects anything it does
// not understand, and the translation into what the fast path is told. docs/configuration.md
// describes every key; keep the two in step.

#include <spdlog/common.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "abi.h"
#include "prefix.h"
#include "tables.h"
#include "xdp_attach.h"

namespace anycastd {

// "FILE:LINE: key.path: what is wrong" (the line where the file gives one).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class DatapathKind { xdp };

struct DatapathConfig {
  DatapathKind kind = DatapathKind::xdp;
  std::string interface;
  XdpMode xdp_mode = XdpMode::native;
  std::uint32_t vip_max_entries = AC_VIP_MAX_DEFAULT;
  std::uint32_t allow_max_entries = AC_ALLOW_MAX_DEFAULT;
};

struct AnycastConfig {
  std::vector<Prefix> addresses;  // host VIPs (/32, /128) and prefix VIPs, in file order
  std::string loopback = "lo";
};

struct ServiceConfig {
  ac_service id;
  std::uint16_t port;
  std::vector<Prefix> allow;  // empty: every source
  std::string_view name() const { return ac_service_names[id]; }
};

struct LogConfig {
  spdlog::level::level_enum level = spdlog::level::info;
  std::uint32_t stats_interval_s = 0;  // 0: counters are logged only at shutdown
};

struct Config {
  DatapathConfig datapath;
  AnycastConfig anycast;
  std::vector<ServiceConfig> services;  // ordered by service id
  LogConfig log;
};

// Both throw ConfigError. `source_name` is what error messages call the text (the file's path).
Config load_config(const std::string& path);
Config parse_config(std::string_view text, const std::string& source_name);

// Every VIP carries every configured service and answers; a service with an allow list is
// restricted to it.
FastpathTables build_tables(const Config& config);

// Parses a log level name as the config file and --log-level spell it; false if unknown.
bool parse_log_level(std::string_view name, spdlog::level::level_enum& level);

}  // namespace anycastd
