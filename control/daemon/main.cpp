// SPDX-License-Identifier: Apache-2.0
// anycastd: answers UDP to anycast addresses on the packet path and owns those addresses.
#include <getopt.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>

#include "base/own_binary.h"
#include "base/version.h"
#include "config/config.h"
#include "config/config_keys.h"
#include "daemon/daemon.h"
#include "daemon/dns_table_loader.h"
#include "datapath/dpdk/dpdk_binary.h"
#include "dns/zone.h"

namespace {

// EX_CONFIG of sysexits.h: the unit lists it in RestartPreventExitStatus=, so systemd does not
// start again and again from a file that will refuse every time.
constexpr int kExitNotConfigured = 78;

constexpr const char* kUsage =
    "usage: anycastd --config FILE [--check] [--log-level LEVEL] [--adopt]\n"
    "       anycastd --list-keys | --help | --version\n"
    "\n"
    "  -c, --config FILE      the configuration (TOML), see docs/configuration.md\n"
    "      --check            validate FILE, the zone files it names and that the datapath's\n"
    "                         binary is installed, print \"FILE: ok\" or the error, and exit\n"
    "                         (needs no root)\n"
    "  -l, --log-level LEVEL  trace, debug, info, warn, error, critical or off; overrides [log] level\n"
    "      --adopt            take over from a running instance (what `anycastctl restart` does):\n"
    "                         the fast path is swapped without a gap, announced groups stay up\n"
    "      --list-keys        every configuration key, and whether a reload (SIGHUP) changes it\n"
    "                         or it takes a restart\n"
    "  -h, --help             this text\n"
    "  -V, --version          the version\n"
    "\n"
    "Runs in the foreground and logs to stderr. SIGTERM or SIGINT: withdraw every group, answer\n"
    "for drain_ms, stop answering, detach, exit 0. SIGHUP: reload FILE and the zone files (a bad\n"
    "file is rejected and the running configuration and zones stay). Needs CAP_BPF and CAP_NET_ADMIN.\n";

void list_keys() {
  for (const anycastd::ConfigKey& key : anycastd::config_keys())
    if (key.change != anycastd::KeyChange::per_key)
      std::printf("%-42s %s\n", anycastd::key_name(key).c_str(), std::string(to_string(key.change)).c_str());
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "anycastd: %s\n%s", message.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  anycastd::own_binary();  // resolved now, before an upgrade can replace the file (own_binary.h)
  static const option kOptions[] = {
      {"config", required_argument, nullptr, 'c'}, {"check", no_argument, nullptr, 'k'},
      {"log-level", required_argument, nullptr, 'l'}, {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},      {"adopt", no_argument, nullptr, 'a'},
      {"list-keys", no_argument, nullptr, 'K'},    {nullptr, 0, nullptr, 0},
  };
  std::string config_path, log_level;
  bool check = false, adopt = false;
  opterr = 0;
  for (int c; (c = getopt_long(argc, argv, ":c:l:hV", kOptions, nullptr)) != -1;) {
    switch (c) {
      case 'c': config_path = optarg; break;
      case 'k': check = true; break;
      case 'a': adopt = true; break;
      case 'l': log_level = optarg; break;
      case 'h': std::fputs(kUsage, stdout); return 0;
      case 'K': list_keys(); return 0;
      case 'V': std::printf("anycastd %s\n", std::string(anycastd::version()).c_str()); return 0;
      case ':': return usage_error(std::string(argv[optind - 1]) + " needs a value");
      default: return usage_error(std::string("unknown option ") + argv[optind - 1]);
    }
  }
  if (optind < argc) return usage_error(std::string("unexpected argument ") + argv[optind]);
  if (config_path.empty()) return usage_error("--config FILE is required");

  spdlog::level::level_enum level = spdlog::level::info;
  if (!log_level.empty() && !anycastd::parse_log_level(log_level, level))
    return usage_error("unknown log level \"" + log_level + "\"");

  anycastd::Config config;
  try {
    config = anycastd::load_config(config_path);
  } catch (const anycastd::ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  if (check) {
    // The zones too: a file that does not compile would stop the start, or be refused by a reload.
    if (const anycastd::ServiceConfig* dns = anycastd::dns_service(config); dns && !dns->dns.zones.empty()) {
      try {
        anycastd::compile_dns(dns->dns.zones);
      } catch (const anycastd::dns::ZoneError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
      }
    }
    if (config.datapath.kind == anycastd::DatapathKind::dpdk)
      if (std::string problem = anycastd::dpdk_binary_problem(config.datapath.dpdk); !problem.empty()) {
        std::fprintf(stderr, "%s: %s\n", config_path.c_str(), problem.c_str());
        return 1;
      }
    // Valid as it stands, which the unit's ExecStartPre asks; the start itself is what refuses.
    if (config.shipped_default)
      std::fprintf(stderr,
                   "%s: note: shipped_default = true: anycastd will not start from this file until that line "
                   "is removed\n",
                   config_path.c_str());
    std::printf("%s: ok\n", config_path.c_str());
    return 0;
  }
  if (std::string refusal = anycastd::shipped_default_refusal(config, config_path); !refusal.empty()) {
    std::fprintf(stderr, "anycastd: %s\n", refusal.c_str());
    return kExitNotConfigured;
  }

  spdlog::set_default_logger(spdlog::stderr_color_mt("anycastd"));
  spdlog::set_level(log_level.empty() ? config.log.level : level);
  anycastd::DaemonOptions options;
  options.config_path = config_path;
  options.adopt = adopt;
  if (!log_level.empty()) options.log_level = level;
  options.argv.assign(argv, argv + argc);
  return anycastd::run_daemon(config, options);
}
