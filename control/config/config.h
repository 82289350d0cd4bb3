// SPDX-License-Identifier: Apache-2.0
#pragma once

// anycastd's configuration file (TOML): the structure, the parser that rejects anything it does
// not understand, and the translation into what the fast path is told. docs/configuration.md
// describes every key; keep the two in step.

#include <spdlog/common.h>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "abi.h"
#include "config/dns_edns.h"
#include "base/prefix.h"
#include "base/refusal.h"
#include "config/settings.h"

namespace anycastd {

// "FILE:LINE: key.path: what is wrong" (the line where the file gives one).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class DatapathKind { xdp, dpdk };

// Where the DPDK datapath hands what it passes to the kernel: virtio-user over vhost-net (what
// DPDK recommends) or the TAP PMD; automatic takes virtio-user where /dev/vhost-net exists.
enum class ExceptionKind { automatic, virtio_user, tap };
std::string_view to_string(ExceptionKind kind);

// [datapath.dpdk]: the anycastd-dpdk process anycastd starts and supervises.
// One uplink of the DPDK datapath, in the order EAL probes the ports (port ids 0, 1, ...): the
// kernel interface its exception path creates, carrying the port's MAC, and the server's own
// addresses on that link. Each uplink's interface is its own, so the kernel's replies (ARP, ND,
// TCP) route out of the link they belong to.
struct DpdkPort {
  std::string exception_interface = "ac0";
  std::vector<Prefix> exception_addresses;  // the server's own addresses, set on the exception interface
  bool operator==(const DpdkPort&) const = default;
};

struct DpdkConfig {
  std::vector<std::string> eal_args;  // the port comes from these (--vdev, -a ...); no -l/--lcores
  std::string lcores;                 // EAL's -l: the first is the main lcore, each other one polls a queue
  ExceptionKind exception = ExceptionKind::automatic;
  // One per port EAL probes ([[datapath.dpdk.ports]]; or the one port of the flat keys
  // exception_interface / exception_addresses). Never empty.
  std::vector<DpdkPort> ports{DpdkPort{}};
  std::string profile = "auto";             // a NIC profile name, or auto: by the port's driver
  // Overrides of single profile values; 0: the profile's.
  std::uint32_t rx_descriptors = 0, tx_descriptors = 0, burst = 0;
  std::optional<std::uint32_t> idle_sleep_us;  // 0: busy polling
  std::string binary;                          // default: anycastd-dpdk beside anycastd
  Millis start_timeout{30000};                 // EAL init, port start and exception path, to hello
  bool operator==(const DpdkConfig&) const = default;
};

// anycastd-dpdk's arguments for this configuration (without the program itself): what anycastd
// starts it with, and what --check parses to validate [datapath.dpdk] with the datapath's own rules.
std::vector<std::string> dpdk_arguments(const DpdkConfig& config, int channel_fd);

struct DatapathConfig {
  DatapathKind kind = DatapathKind::xdp;
  // xdp: the interfaces the program is attached to (exclusive, dispatcher); none with chain
  std::vector<std::string> interfaces;
  DpdkConfig dpdk;
  XdpMode xdp_mode = XdpMode::native;
  XdpAttach attach = XdpAttach::exclusive;
  std::string chain_map;          // chain: the pinned BPF_MAP_TYPE_PROG_ARRAY
  std::uint32_t chain_index = 0;  // chain: anycastd's slot in it; passes go on to chain_index + 1
  // dispatcher: the run priority in libxdp's dispatcher (lower runs first; libxdp's default 50)
  std::uint32_t dispatcher_priority = 50;
  std::uint32_t vip_max_entries = AC_VIP_MAX_DEFAULT;
  std::uint32_t allow_max_entries = AC_ALLOW_MAX_DEFAULT;
  bool operator==(const DatapathConfig&) const = default;
};

// [anycast] host_vips: how host VIPs are made local (netlink.h, HostVipForm, says what each
// costs and who sees it).
enum class HostVips {
  automatic,     // addresses up to kHostVipAddressLimit host VIPs in the configuration, routes above
  addresses,     // addresses on the loopback, however many
  local_routes,  // host-length local routes in table local, however few
};
std::string_view to_string(HostVips host_vips);
// Where "auto" changes to routes: 1,024 addresses still go on in well under a second, and
// the kernel's per-address cost has not grown much yet.
inline constexpr std::size_t kHostVipAddressLimit = 1024;

struct AnycastConfig {
  std::vector<Prefix> addresses;  // host VIPs (/32, /128) and prefix VIPs, in file order
  std::string loopback = "lo";
  HostVips host_vips = HostVips::automatic;
  bool operator==(const AnycastConfig&) const = default;
};

// [[services.dns.zone]]: one zone, compiled from its master file at start and on every reload.
struct DnsZoneConfig {
  std::string origin;  // lowercase, no final dot ("example.net"); "." is the root
  std::string file;    // absolute path
  bool operator==(const DnsZoneConfig&) const = default;
};

// [services.dns.rrl]: response rate limiting on the fast path, a token bucket per source prefix
// (/24, /56; dataplane/core/ratelimit.h): over the limit a query is dropped, every slip-th is
// answered with TC=1 and no records.
struct DnsRrlConfig {
  std::uint32_t rate = 200;  // responses per second per source prefix; 0: off
  std::uint32_t slip = 2;    // over the limit, every slip-th reply goes out truncated (TC=1); 0: none
  bool operator==(const DnsRrlConfig&) const = default;
};

// [services.dns] nsid, cookie_secret_file, cookie_secret_previous_file (docs/dns.md, "NSID and
// cookies"). The secrets are read with the configuration (--check, start, reload), so a changed
// file is a changed configuration at the next reload.
struct DnsEdnsConfig {
  std::string nsid;  // the bytes sent (at most AC_DNS_NSID_MAX); empty: no NSID
  std::string cookie_secret_file;           // "": cookies off
  std::string cookie_secret_previous_file;  // "": no rollover in progress
  std::optional<CookieSecret> cookie_secret;
  std::optional<CookieSecret> cookie_secret_previous;  // accepted, never issued
  bool operator==(const DnsEdnsConfig&) const = default;
};

struct DnsServiceConfig {
  bool slow_path = true;  // anycastd's own UDP + TCP server on the VIPs through the kernel
  DnsEdnsConfig edns;
  std::vector<DnsZoneConfig> zones;
  DnsRrlConfig rrl;
  bool operator==(const DnsServiceConfig&) const = default;
};

// [services.NAME.rate_limit]: a token bucket per source prefix (dataplane/core/ratelimit.h).
// rate 0 (or no table): off.
struct RateLimitConfig {
  double rate = 0;             // requests per second per source prefix
  std::uint32_t burst = 8;     // requests a quiet source may send at once
  std::uint8_t ipv4_prefix = 32;
  std::uint8_t ipv6_prefix = 64;
  bool on() const { return rate > 0; }
  ac_ratelimit_config abi() const;  // interval_ns 0 when off
  bool operator==(const RateLimitConfig&) const = default;
};

struct ServiceConfig {
  ac_service id;
  std::uint16_t port;
  std::vector<Prefix> allow;  // empty: every source
  NtpServiceClock clock;      // ntp only: where the time's quality comes from
  DnsServiceConfig dns;       // dns only: zones, slow path, rate limiting
  RateLimitConfig rate_limit; // ntp only (RATE kiss-o'-death); off by default
  std::string_view name() const { return ac_service_names[id]; }
  bool operator==(const ServiceConfig&) const = default;
};

enum class CheckKind { datapath, tcp, exec, clock };

struct CheckConfig {
  CheckKind kind = CheckKind::tcp;
  std::uint16_t port = 0;         // tcp: required
  std::optional<Prefix> address;  // tcp: a host address; default the group's first host VIP
  std::string command;            // exec: run by /bin/sh -c, exit 0 = healthy
  Millis max_error{50};           // clock: the largest error bound that passes
  Millis timeout{1000};           // every kind: a check that takes longer has failed
  bool soft = false;              // a failure degrades the group (still announced), never withdraws it
  bool operator==(const CheckConfig&) const = default;
};

// [health]: the timing of every group's state machine, the checks every group runs, and the
// maintenance file (present: every group withdraws; removed: they rise again).
struct HealthConfig {
  GroupTiming timing;  // interval_ms, fast_interval_ms, rise, fall, hold_down_ms (drain comes from [route])
  std::string disable_file = "/run/anycastd/disable";
  std::vector<CheckConfig> checks;  // [[health.check]]
  bool operator==(const HealthConfig&) const = default;
};

// [route] with [route.bird] / [route.exabgp] / [route.frr] / [route.gobgp]; a group's [group.route] overrides any key of it.
struct RouteConfig {
  SignalKind signal = SignalKind::alias;
  Millis drain{2000};
  // RFC 8326: before withdrawing, keep the routes announced with GRACEFUL_SHUTDOWN for drain_ms.
  bool graceful_shutdown = false;
  // [route.up], [route.degraded], [route.draining]: the BGP attributes of each state, for the
  // signals that take them from here (route_attributes_problem refuses the rest).
  RouteStateAttributes attributes;
  bool ibgp = false;  // the peers are iBGP: local_preference may be sent
  // A soft drain (anycastctl drain --soft, the soft maintenance file): the draining attributes
  // this long before the withdrawal. 0: a soft drain is a drain.
  Millis soft_drain{0};
  BirdSignalConfig bird;      // socket, protocol(s), gshut protocol(s)
  ExabgpSignalConfig exabgp;  // pipe, next hops, communities
  FrrSignalConfig frr;        // vtysh, instance, ASN, route-maps
  GobgpSignalConfig gobgp;    // gobgpd's API, next hops, communities
  bool operator==(const RouteConfig&) const = default;
};

// One group: VIPs, the services they carry, their checks and their route signal. The flat form
// ([anycast] + [health] + [route]) is one group named "default" with every service. A reload
// keeps a running group only when its new settings compare equal, every field of them (the
// comparison is the compiler's, so a field added later cannot be forgotten in it).
struct GroupConfig {
  std::string name;
  std::vector<Prefix> addresses;
  std::uint32_t services = 0;        // bit (1 << ac_service) per service carried; default all
  std::vector<CheckConfig> checks;   // [[health.check]] then [[group.check]]; every tcp address set
  RouteConfig route;                 // [route] with the group's overrides applied
  GroupTiming timing;                // [health] timing with the group's route.drain_ms
  std::string disable_file;          // optional: a maintenance file for this group alone
  bool operator==(const GroupConfig&) const = default;
};

// [[hook]]: a command run on each state change of the groups it names (control/hooks,
// docs/hooks.md). The argv is executed as written, no shell.
struct HookConfig {
  std::vector<std::string> command;  // command[0]: an absolute path to an executable file
  Millis timeout{5000};              // past it the hook's process group is killed
  std::vector<std::string> groups;   // the groups it runs for; empty: every group
  std::vector<std::string> states;   // the new states it runs on (kHookStateNames); empty: every change
  bool operator==(const HookConfig&) const = default;
};

// The states a hook's `states` may name: health/group_machine.h's to_string(GroupState), which
// config may not include (docs/layering.md); a test (control.HooksTest) keeps the two in step.
inline constexpr std::string_view kHookStateNames[] = {"down", "ready", "up", "degraded", "draining"};

// [control]: anycastctl's unix socket (mode 0600).
struct ControlConfig {
  std::string socket = "/run/anycastd/anycastd.sock";
  bool operator==(const ControlConfig&) const = default;
};

// [metrics]: Prometheus text on an HTTP listener; "" turns it off.
struct MetricsConfig {
  std::string listen = "127.0.0.1:9187";  // checked with parse_listen_address (base/listen_address.h), port 0 refused
  // Per-VIP counter series: the first this many VIPs (configuration order) have their own, the
  // rest share one ("other"); 0 to AC_VIP_SERIES_MAX.
  std::uint32_t vip_series = 256;
  bool operator==(const MetricsConfig&) const = default;
};

struct LogConfig {
  spdlog::level::level_enum level = spdlog::level::info;
  std::uint32_t stats_interval_s = 0;  // 0: counters are logged only at shutdown
  bool operator==(const LogConfig&) const = default;
};

struct Config {
  // shipped_default = true: the file is the packaged default (dist/anycastd.toml), not yet
  // edited for this edge. It checks, but nothing starts from it (shipped_default_refusal).
  bool shipped_default = false;
  DatapathConfig datapath;
  AnycastConfig anycast;                // addresses: every group's VIPs together, in file order
  std::vector<ServiceConfig> services;  // ordered by service id
  HealthConfig health;
  RouteConfig route;                    // the defaults groups start from
  std::vector<GroupConfig> groups;      // at least one; the flat form makes "default"
  std::vector<HookConfig> hooks;        // [[hook]], in file order
  ControlConfig control;
  MetricsConfig metrics;
  LogConfig log;
  // The restart-only keys (config_keys.h) the file gives, as toml text by key path
  // ("datapath.xdp_mode" -> "\"generic\""): what a reload compares to name the one that changed.
  std::map<std::string, std::string> restart_values;
  bool operator==(const Config&) const = default;
};

// Refuses a reload from `before` to `after` naming the restart-only keys whose values differ
// (given in one file and not the other counts), comma-separated.
Refusal restart_only_changes(const Config& before, const Config& after);

// [services.dns], when configured (nullptr otherwise).
// Whether host VIPs go on as local routes: [anycast] host_vips, and for auto the count of host
// VIPs in every group together.
bool host_vips_as_routes(const Config& config);

const ServiceConfig* dns_service(const Config& config);

// The fast path's limiter for [services.dns.rrl] (off when rate is 0).
ac_ratelimit_config dns_rrl_limiter(const DnsRrlConfig& rrl);

// Both throw ConfigError. `source_name` is what error messages call the text (the file's path).
Config load_config(const std::string& path);
// Why anycastd must not start from `config` read from `path`: it is the packaged default that
// the unit would otherwise start at the next boot, announcing and answering for the example's
// addresses. "" when it may start.
std::string shipped_default_refusal(const Config& config, const std::string& path);

Config parse_config(std::string_view text, const std::string& source_name);

// Parses a log level name as the config file and --log-level spell it; false if unknown.
bool parse_log_level(std::string_view name, spdlog::level::level_enum& level);

}  // namespace anycastd
