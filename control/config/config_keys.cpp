// SPDX-License-Identifier: Apache-2.0
#include "config/config_keys.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace anycastd {
namespace {

using enum KeyChange;

// What stays restart-only, and why: the datapath is attached (or started) once with these; the
// loopback is where every alias lives and is locked by name; the control socket and the metrics
// listener are handed across a restart in place, which rebinds them when they moved.
constexpr ConfigKey kKeys[] = {
    {"", "datapath", per_key},
    {"", "anycast", per_key},
    {"", "services", per_key},
    {"", "health", per_key},
    {"", "route", per_key},
    {"", "group", reload},
    {"", "hook", reload},
    {"", "control", per_key},
    {"", "metrics", per_key},
    {"", "log", per_key},
    {"", "shipped_default", restart},

    {"datapath", "kind", restart},
    {"datapath", "interface", reload},
    {"datapath", "xdp_mode", restart},
    {"datapath", "attach", restart},
    {"datapath", "chain_map", restart},
    {"datapath", "chain_index", restart},
    {"datapath", "dispatcher_priority", restart},
    {"datapath", "vip_max_entries", restart},
    {"datapath", "allow_max_entries", restart},
    {"datapath", "dpdk", restart},
    {"datapath.dpdk", "eal_args", restart},
    {"datapath.dpdk", "lcores", restart},
    {"datapath.dpdk", "exception", restart},
    {"datapath.dpdk", "exception_interface", restart},
    {"datapath.dpdk", "exception_addresses", restart},
    {"datapath.dpdk", "ports", restart},
    {"datapath.dpdk.ports[]", "exception_interface", restart},
    {"datapath.dpdk.ports[]", "exception_addresses", restart},
    {"datapath.dpdk", "profile", restart},
    {"datapath.dpdk", "rx_descriptors", restart},
    {"datapath.dpdk", "tx_descriptors", restart},
    {"datapath.dpdk", "burst", restart},
    {"datapath.dpdk", "idle_sleep_us", restart},
    {"datapath.dpdk", "binary", restart},
    {"datapath.dpdk", "start_timeout_ms", restart},

    {"anycast", "addresses", reload},
    {"anycast", "loopback", restart},
    {"anycast", "host_vips", restart},

    {"services", "echo", reload},
    {"services", "ntp", reload},
    {"services", "dns", reload},
    {"services.echo", "port", reload},
    {"services.echo", "allow", reload},
    {"services.ntp", "port", reload},
    {"services.ntp", "allow", reload},
    {"services.ntp", "clock", reload},
    {"services.ntp", "chrony_socket", reload},
    {"services.ntp", "rate_limit", reload},
    {"services.ntp.rate_limit", "rate", reload},
    {"services.ntp.rate_limit", "burst", reload},
    {"services.ntp.rate_limit", "ipv4_prefix", reload},
    {"services.ntp.rate_limit", "ipv6_prefix", reload},
    {"services.dns", "port", reload},
    {"services.dns", "allow", reload},
    {"services.dns", "slow_path", reload},
    {"services.dns", "nsid", reload},
    {"services.dns", "cookie_secret_file", reload},
    {"services.dns", "cookie_secret_previous_file", reload},
    {"services.dns", "zone", reload},
    {"services.dns", "rrl", reload},
    {"services.dns.zone[]", "origin", reload},
    {"services.dns.zone[]", "file", reload},
    {"services.dns.rrl", "rate", reload},
    {"services.dns.rrl", "slip", reload},

    {"health", "interval_ms", reload},
    {"health", "fast_interval_ms", reload},
    {"health", "rise", reload},
    {"health", "fall", reload},
    {"health", "hold_down_ms", reload},
    {"health", "disable_file", reload},
    {"health", "check", reload},
    {"health.check[]", "kind", reload},
    {"health.check[]", "port", reload},
    {"health.check[]", "address", reload},
    {"health.check[]", "command", reload},
    {"health.check[]", "timeout_ms", reload},
    {"health.check[]", "soft", reload},
    {"health.check[]", "max_error_ms", reload},
    {"health", "dampening", reload},
    {"health.dampening", "penalty", reload},
    {"health.dampening", "suppress", reload},
    {"health.dampening", "reuse", reload},
    {"health.dampening", "half_life_ms", reload},
    {"health.dampening", "max_penalty", reload},

    {"route", "signal", reload},
    {"route", "drain_ms", reload},
    {"route", "graceful_shutdown", reload},
    {"route", "soft_drain_ms", reload},
    {"route", "ibgp", reload},
    {"route", "up", reload},
    {"route", "degraded", reload},
    {"route", "draining", reload},
    {"route", "bird", reload},
    {"route", "exabgp", reload},
    {"route.bird", "socket", reload},
    {"route.bird", "protocol", reload},
    {"route.bird", "gshut_protocol", reload},
    {"route.bird", "draining_protocol", reload},
    {"route.bird", "degraded_protocol", reload},
    {"route.bird", "timeout_ms", reload},
    {"route.exabgp", "pipe", reload},
    {"route.exabgp", "next_hop4", reload},
    {"route.exabgp", "next_hop6", reload},
    {"route.exabgp", "communities", reload},
    {"route.exabgp", "timeout_ms", reload},
    {"route.exabgp", "local_as", reload},
    {"route.up", "med", reload},
    {"route.up", "prepend", reload},
    {"route.up", "communities", reload},
    {"route.up", "large_communities", reload},
    {"route.up", "local_preference", reload},
    {"route.degraded", "med", reload},
    {"route.degraded", "prepend", reload},
    {"route.degraded", "communities", reload},
    {"route.degraded", "large_communities", reload},
    {"route.degraded", "local_preference", reload},
    {"route.draining", "med", reload},
    {"route.draining", "prepend", reload},
    {"route.draining", "communities", reload},
    {"route.draining", "large_communities", reload},
    {"route.draining", "local_preference", reload},
    {"route", "frr", reload},
    {"route.frr", "vtysh", reload},
    {"route.frr", "pathspace", reload},
    {"route.frr", "vty_socket", reload},
    {"route.frr", "asn", reload},
    {"route.frr", "route_map", reload},
    {"route.frr", "gshut_route_map", reload},
    {"route.frr", "degraded_route_map", reload},
    {"route.frr", "timeout_ms", reload},
    {"route", "gobgp", reload},
    {"route.gobgp", "gobgp", reload},
    {"route.gobgp", "api", reload},
    {"route.gobgp", "next_hop4", reload},
    {"route.gobgp", "next_hop6", reload},
    {"route.gobgp", "communities", reload},
    {"route.gobgp", "timeout_ms", reload},

    {"group[]", "name", reload},
    {"group[]", "addresses", reload},
    {"group[]", "services", reload},
    {"group[]", "disable_file", reload},
    {"group[]", "check", reload},
    {"group[]", "route", reload},

    {"hook[]", "command", reload},
    {"hook[]", "timeout_ms", reload},
    {"hook[]", "groups", reload},
    {"hook[]", "states", reload},

    {"control", "socket", restart},
    {"metrics", "listen", restart},
    {"metrics", "vip_series", reload},
    {"log", "level", reload},
    {"log", "stats_interval_s", reload},
};

}  // namespace

std::string_view to_string(KeyChange change) {
  switch (change) {
    case reload: return "reload";
    case restart: return "restart";
    case per_key: return "per key";
  }
  return "?";
}

std::span<const ConfigKey> config_keys() { return kKeys; }

std::string key_scope(std::string_view path) {
  std::string scope;
  for (std::size_t i = 0; i < path.size(); ++i) {
    scope += path[i];
    if (path[i] != '[') continue;
    while (i + 1 < path.size() && std::isdigit(static_cast<unsigned char>(path[i + 1]))) ++i;
  }
  for (auto [group_own, shared] : {std::pair<std::string_view, std::string_view>{"group[].check[]", "health.check[]"},
                                   {"group[].route", "route"}}) {
    std::string_view rest = std::string_view(scope).substr(std::min(group_own.size(), scope.size()));
    if (scope.starts_with(group_own) && (rest.empty() || rest[0] == '.')) return std::string(shared) + std::string(rest);
  }
  return scope;
}

std::string key_name(const ConfigKey& key) {
  return key.table.empty() ? std::string(key.key) : std::string(key.table) + "." + std::string(key.key);
}

}  // namespace anycastd
