// SPDX-License-Identifier: Apache-2.0
#include "config/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <net/if.h>
#include <optional>
#include <sstream>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "base/listen_address.h"
#include "config/config_reader.h"
#include "options.h"
#include "uplinks.h"

namespace anycastd {
using namespace config_detail;
namespace {

// The port a service gets when its table does not name one.
constexpr std::uint16_t kWellKnownPort[] = {7 /* echo, RFC 862 */, 123 /* ntp, RFC 5905 */, 53 /* dns, RFC 1035 */};
static_assert(std::size(kWellKnownPort) == AC_SVC__COUNT, "a new service needs its well-known port here");

constexpr std::uint32_t kVipMaxEntriesLimit = 1u << 24;
// Rate limits: one request per 1000 s at the slowest, a million a second at the fastest; with a
// burst of 10000 at most, burst * interval stays far inside the core's 64-bit arithmetic.
constexpr double kRateMin = 0.001, kRateMax = 1e6;
constexpr std::uint32_t kBurstMax = 10000;
constexpr std::uint32_t kAllowMaxEntriesLimit = 1u << 20;
// A prog array's slots are u32 keys; the last one cannot chain on (chain_index + 1 must exist).
constexpr std::int64_t kChainIndexLimit = 0xfffffffe;
constexpr std::int64_t kDispatcherPriorityLimit = 0x7fffffff;
constexpr std::int64_t kDnsRrlRateMax = 1'000'000;
constexpr std::int64_t kDnsRrlSlipMax = 100;  // as Knot: 0 (never slip) to 100

bool valid_interface_name(const std::string& name) {
  return !name.empty() && name.size() < IFNAMSIZ && name.find_first_of("/: \t") == std::string::npos;
}

std::string plural(std::size_t n, const std::string& what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

DpdkConfig read_dpdk(const Reader& r, const toml::table& t) {
  constexpr std::string_view path = "datapath.dpdk";
  r.reject_unknown(t, path);
  DpdkConfig d;
  const toml::array* eal = r.optional_array(t, path, "eal_args");
  if (!eal) r.fail(t.source(), "datapath.dpdk.eal_args", "missing: the EAL arguments that give the port (--vdev=..., -a PCI)");
  d.eal_args = r.strings(*eal, "datapath.dpdk.eal_args");
  for (std::size_t i = 0; i < d.eal_args.size(); ++i) {
    const std::string& a = d.eal_args[i];
    if (a == "-l" || a == "-c" || a.rfind("--lcores", 0) == 0 || (a.size() > 2 && (a.rfind("-l", 0) == 0 || a.rfind("-c", 0) == 0) && a[2] != '-'))
      r.fail((*eal)[i].source(), "datapath.dpdk.eal_args[" + std::to_string(i) + "]",
             "\"" + a + "\": lcores come from datapath.dpdk.lcores, not from eal_args");
  }
  d.lcores = r.required_string(t, path, "lcores");
  if (d.lcores.empty() || d.lcores.find_first_not_of("0123456789,-@()") != std::string::npos)
    r.fail(t.get("lcores")->source(), "datapath.dpdk.lcores", "\"" + d.lcores + "\" is not an EAL lcore list (as in \"0-1\")");
  if (auto e = r.optional_string(t, path, "exception")) {
    if (*e == "auto") d.exception = ExceptionKind::automatic;
    else if (*e == "virtio_user") d.exception = ExceptionKind::virtio_user;
    else if (*e == "tap") d.exception = ExceptionKind::tap;
    else r.fail(t.get("exception")->source(), "datapath.dpdk.exception",
                "unknown exception path \"" + *e + "\" (expected: auto, virtio_user, tap)");
  }
  // The flat keys describe the one port of a single-uplink server; [[datapath.dpdk.ports]] one
  // entry per port, in the order EAL probes them (the datapath refuses a count that differs).
  auto read_port = [&](const toml::table& pt, const std::string& at, DpdkPort& port) {
    if (auto name = r.optional_string(pt, at, "exception_interface")) {
      if (!valid_interface_name(*name))
        r.fail(pt.get("exception_interface")->source(), at + ".exception_interface",
               "\"" + *name + "\" is not a valid interface name");
      port.exception_interface = *name;
    }
    if (const toml::array* a = r.optional_array(pt, at, "exception_addresses"))
      port.exception_addresses = r.prefixes(*a, at + ".exception_addresses", nullptr, parse_interface_address);
  };
  read_port(t, std::string(path), d.ports[0]);
  if (const toml::node* ports = t.get("ports")) {
    for (const char* flat : {"exception_interface", "exception_addresses"})
      if (const toml::node* n = t.get(flat))
        r.fail(n->source(), std::string("datapath.dpdk.") + flat,
               "not used with datapath.dpdk.ports: give it in each port's entry");
    const toml::array* list = ports->as_array();
    if (!list || list->empty() || !list->is_array_of_tables())
      r.fail(ports->source(), "datapath.dpdk.ports",
             "expected one [[datapath.dpdk.ports]] table per port (exception_interface, exception_addresses)");
    if (list->size() > dpdk::kMaxPorts)
      r.fail(ports->source(), "datapath.dpdk.ports",
             std::to_string(list->size()) + " ports; one datapath drives at most " + std::to_string(dpdk::kMaxPorts));
    d.ports.clear();
    for (std::size_t i = 0; i < list->size(); ++i) {
      const toml::table& pt = *(*list)[i].as_table();
      const std::string at = "datapath.dpdk.ports[" + std::to_string(i) + "]";
      r.reject_unknown(pt, at);
      DpdkPort port;
      port.exception_interface = "ac" + std::to_string(i);
      read_port(pt, at, port);
      for (const DpdkPort& other : d.ports)
        if (other.exception_interface == port.exception_interface)
          r.fail(pt.source(), at + ".exception_interface",
                 "\"" + port.exception_interface + "\" is another port's too: each port needs an interface of its own");
      d.ports.push_back(std::move(port));
    }
  }
  if (auto p = r.optional_string(t, path, "profile")) {
    if (p->empty() || p->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
      r.fail(t.get("profile")->source(), "datapath.dpdk.profile", "\"" + *p + "\" is not a profile name (auto, or a driver such as net_ice)");
    d.profile = *p;
  }
  if (auto n = r.optional_integer(t, path, "rx_descriptors", 64, 32768)) d.rx_descriptors = static_cast<std::uint32_t>(*n);
  if (auto n = r.optional_integer(t, path, "tx_descriptors", 64, 32768)) d.tx_descriptors = static_cast<std::uint32_t>(*n);
  if (auto n = r.optional_integer(t, path, "burst", 1, dpdk::kMaxBurst)) d.burst = static_cast<std::uint32_t>(*n);
  if (auto n = r.optional_integer(t, path, "idle_sleep_us", 0, dpdk::kMaxIdleSleepUs)) d.idle_sleep_us = static_cast<std::uint32_t>(*n);
  if (auto b = r.optional_path(t, path, "binary", false)) d.binary = *b;
  if (auto n = r.optional_integer(t, path, "start_timeout_ms", 1000, 600000)) d.start_timeout = Millis{*n};
  if (d.lcores.find_first_of(",-") == std::string::npos)
    r.fail(t.get("lcores")->source(), "datapath.dpdk.lcores",
           "\"" + d.lcores + "\" is one lcore; the datapath needs two at least (the first serves anycastd, each other one polls a queue)");
  // Workers split evenly over the ports (dataplane/dpdk/uplinks.h); a list EAL reads some other
  // way is left to EAL and the datapath, which name the problem at start.
  if (auto n = dpdk::lcore_count(d.lcores); n && !dpdk::workers_fit(*n, static_cast<unsigned>(d.ports.size())))
    r.fail(t.get("lcores")->source(), "datapath.dpdk.lcores",
           "\"" + d.lcores + "\" is " + plural(*n, "lcore") + ", " + plural(*n - 1, "worker") + " for " +
               plural(d.ports.size(), "port") + ": the first lcore serves anycastd and "
               "every port needs the same number of workers, one per queue; give 1 + a multiple of " +
               std::to_string(d.ports.size()) + " lcores");
  // The datapath's own rules (names it accepts in devargs, profiles, ranges) decide, not a copy of them.
  try {
    dpdk::parse_options(dpdk_arguments(d, 3));
  } catch (const std::invalid_argument& e) {
    r.fail(t.source(), "datapath.dpdk", std::string("anycastd-dpdk would refuse it: ") + e.what());
  }
  return d;
}

// [datapath] interface: one name, or a list of them (every uplink carries the same program).
std::vector<std::string> read_interfaces(const Reader& r, const toml::table& t) {
  const toml::node* node = t.get("interface");
  if (!node) r.fail(t.source(), "datapath.interface", "missing (an interface name, or a list of them)");
  std::vector<std::string> names;
  std::vector<Where> where;
  if (const toml::array* list = node->as_array()) {
    names = r.strings(*list, "datapath.interface", &where);
    if (names.empty()) r.fail(node->source(), "datapath.interface", "empty: name one interface at least");
  } else if (node->is_string()) {
    names.push_back(node->as_string()->get());
    where.push_back({"datapath.interface", node->source()});
  } else {
    r.wrong_type(*node, "datapath.interface", "a string or an array of strings");
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!valid_interface_name(names[i]))
      r.fail(where[i].region, where[i].path, "\"" + names[i] + "\" is not a valid interface name");
    for (std::size_t j = 0; j < i; ++j)
      if (names[j] == names[i]) r.fail(where[i].region, where[i].path, "\"" + names[i] + "\" is listed twice");
  }
  return names;
}

DatapathConfig read_datapath(const Reader& r, const toml::table& root) {
  const toml::table& t = r.required_table(root, "", "datapath");
  r.reject_unknown(t, "datapath");

  DatapathConfig d;
  if (auto kind = r.optional_string(t, "datapath", "kind")) {
    if (*kind == "dpdk") d.kind = DatapathKind::dpdk;
    else if (*kind != "xdp")
      r.fail(t.get("kind")->source(), "datapath.kind", "unknown datapath \"" + *kind + "\" (expected: xdp, dpdk)");
  }

  if (auto attach = r.optional_string(t, "datapath", "attach")) {
    if (*attach == "dispatcher") d.attach = XdpAttach::dispatcher;
    else if (*attach == "chain") d.attach = XdpAttach::chain;
    else if (*attach != "exclusive")
      r.fail(t.get("attach")->source(), "datapath.attach",
             "unknown attach mode \"" + *attach + "\" (expected: exclusive, dispatcher, chain)");
  }

  const toml::table* dpdk = r.optional_table(t, "datapath", "dpdk");
  if (d.kind == DatapathKind::dpdk) {
    if (!dpdk) r.fail(t.source(), "datapath.dpdk", "missing: kind = \"dpdk\" needs [datapath.dpdk] (eal_args, lcores)");
    d.dpdk = read_dpdk(r, *dpdk);
    for (const char* key : {"interface", "xdp_mode", "attach", "chain_map", "chain_index", "dispatcher_priority"})
      if (const toml::node* n = t.get(key))
        r.fail(n->source(), std::string("datapath.") + key,
               "not used with kind = \"dpdk\": the port is the one EAL probes from datapath.dpdk.eal_args");
  } else if (d.attach == XdpAttach::chain) {
    if (dpdk) r.fail(dpdk->source(), "datapath.dpdk", "only used with kind = \"dpdk\"");
    for (const char* key : {"interface", "xdp_mode", "dispatcher_priority"})
      if (const toml::node* n = t.get(key))
        r.fail(n->source(), std::string("datapath.") + key,
               "not used with attach = \"chain\": the operator's root program is what is attached, where and how");
    d.chain_map = r.optional_path(t, "datapath", "chain_map", false).value_or("");
    if (d.chain_map.empty())
      r.fail(t.source(), "datapath.chain_map", "missing: attach = \"chain\" needs the path of the pinned prog array");
    if (auto n = r.optional_integer(t, "datapath", "chain_index", 0, kChainIndexLimit))
      d.chain_index = static_cast<std::uint32_t>(*n);
    else
      r.fail(t.source(), "datapath.chain_index", "missing: attach = \"chain\" needs anycastd's slot in the prog array");
  } else {
    if (dpdk) r.fail(dpdk->source(), "datapath.dpdk", "only used with kind = \"dpdk\"");
    for (const char* key : {"chain_map", "chain_index"})
      if (const toml::node* n = t.get(key))
        r.fail(n->source(), std::string("datapath.") + key, "only used with attach = \"chain\"");
    if (d.attach != XdpAttach::dispatcher)
      if (const toml::node* n = t.get("dispatcher_priority"))
        r.fail(n->source(), "datapath.dispatcher_priority", "only used with attach = \"dispatcher\"");
    if (auto n = r.optional_integer(t, "datapath", "dispatcher_priority", 0, kDispatcherPriorityLimit))
      d.dispatcher_priority = static_cast<std::uint32_t>(*n);
    d.interfaces = read_interfaces(r, t);
  }

  if (auto mode = r.optional_string(t, "datapath", "xdp_mode")) {
    if (*mode == "native") d.xdp_mode = XdpMode::native;
    else if (*mode == "generic") d.xdp_mode = XdpMode::generic;
    else if (*mode == "auto") d.xdp_mode = XdpMode::automatic;
    else r.fail(t.get("xdp_mode")->source(), "datapath.xdp_mode",
                "unknown mode \"" + *mode + "\" (expected: native, generic, auto)");
  }

  if (auto n = r.optional_integer(t, "datapath", "vip_max_entries", AC_VIP_MAX_DEFAULT, kVipMaxEntriesLimit))
    d.vip_max_entries = static_cast<std::uint32_t>(*n);
  if (auto n = r.optional_integer(t, "datapath", "allow_max_entries", 1, kAllowMaxEntriesLimit))
    d.allow_max_entries = static_cast<std::uint32_t>(*n);
  return d;
}

// [anycast] holds what every group shares; its addresses (the flat form's one group) are read
// with the groups.
AnycastConfig read_anycast(const Reader& r, const toml::table& root) {
  AnycastConfig a;
  const toml::table* t = r.optional_table(root, "", "anycast");
  if (!t) return a;
  r.reject_unknown(*t, "anycast");
  if (auto loopback = r.optional_string(*t, "anycast", "loopback")) {
    if (!valid_interface_name(*loopback))
      r.fail(t->get("loopback")->source(), "anycast.loopback", "\"" + *loopback + "\" is not a valid interface name");
    a.loopback = *loopback;
  }
  if (auto form = r.optional_string(*t, "anycast", "host_vips")) {
    if (*form == "auto") a.host_vips = HostVips::automatic;
    else if (*form == "addresses") a.host_vips = HostVips::addresses;
    else if (*form == "local_routes") a.host_vips = HostVips::local_routes;
    else r.fail(t->get("host_vips")->source(), "anycast.host_vips",
                "unknown form \"" + *form + "\" (expected: auto, addresses, local_routes)");
  }
  return a;
}

// A zone's origin as a domain name in text: labels of 1 to 63 letters, digits, '-' or '_', at
// most 255 bytes in wire form; a final dot is optional, "." alone is the root. Returns the
// origin lowercased without the final dot, or "" with `problem` set.
std::string zone_origin(std::string text, std::string& problem) {
  if (text == ".") return text;
  if (!text.empty() && text.back() == '.') text.pop_back();
  if (text.empty()) {
    problem = "is empty (a domain name such as \"example.net\", or \".\" for the root)";
    return "";
  }
  std::size_t wire = 1, label = 0;
  for (char& c : text) {
    if (c == '.') {
      if (label == 0) break;
      wire += label + 1;
      label = 0;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      problem = "has a character a zone name does not take here ('" + std::string(1, c) +
                "'): letters, digits, '-' and '_' between dots";
      return "";
    }
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (++label > 63) {
      problem = "has a label longer than 63 bytes";
      return "";
    }
  }
  if (label == 0) {
    problem = "has an empty label (two dots in a row, or a leading dot)";
    return "";
  }
  wire += label + 1;
  if (wire > 255) {
    problem = "is longer than 255 bytes in wire form";
    return "";
  }
  return text;
}

// [services.dns] nsid: a string, or true for the host name; at most AC_DNS_NSID_MAX bytes.
std::string read_nsid(const Reader& r, const toml::table& s, const std::string& path) {
  const toml::node* node = s.get("nsid");
  if (!node) return "";
  const std::string at = path + ".nsid";
  std::string nsid;
  if (node->is_boolean()) {
    if (!node->as_boolean()->get()) return "";
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0)
      r.fail(node->source(), at, std::string("true: the host name cannot be read: ") + std::strerror(errno));
    nsid = host;
    if (nsid.size() > AC_DNS_NSID_MAX)
      r.fail(node->source(), at, "true: the host name \"" + nsid + "\" is " + std::to_string(nsid.size()) +
                                     " bytes, over the " + std::to_string(AC_DNS_NSID_MAX) +
                                     " an NSID may have here: give the text instead");
  } else if (node->is_string()) {
    nsid = node->as_string()->get();
    if (nsid.empty()) r.fail(node->source(), at, "empty (leave the key out, or false, for no NSID)");
    if (nsid.size() > AC_DNS_NSID_MAX)
      r.fail(node->source(), at, std::to_string(nsid.size()) + " bytes, over the most, " +
                                     std::to_string(AC_DNS_NSID_MAX));
  } else {
    r.wrong_type(*node, at, "a string, or true for the host name");
  }
  return nsid;
}

// [services.dns] cookie_secret_file and cookie_secret_previous_file, read now: a bad file is a
// configuration error (at --check, start and reload), and a running daemon keeps its secrets.
DnsEdnsConfig read_dns_edns(const Reader& r, const toml::table& s, const std::string& path) {
  DnsEdnsConfig e;
  e.nsid = read_nsid(r, s, path);
  auto secret = [&](const char* key, std::string& file, std::optional<CookieSecret>& out) {
    auto value = r.optional_path(s, path, key, true);
    if (!value || value->empty()) return;
    file = *value;
    std::string warning;
    try {
      out = read_cookie_secret(file, warning);
    } catch (const std::runtime_error& err) {
      r.fail(s.get(key)->source(), join(path, key), err.what());
    }
    if (!warning.empty()) spdlog::warn("{}.{}: {}", path, key, warning);
  };
  secret("cookie_secret_file", e.cookie_secret_file, e.cookie_secret);
  secret("cookie_secret_previous_file", e.cookie_secret_previous_file, e.cookie_secret_previous);
  if (e.cookie_secret_previous && !e.cookie_secret)
    r.fail(s.get("cookie_secret_previous_file")->source(), path + ".cookie_secret_previous_file",
           "needs cookie_secret_file too (the previous secret is accepted during a rollover, and a server cookie "
           "is always issued under the current one)");
  return e;
}

// [services.dns]: slow_path, [[services.dns.zone]] and [services.dns.rrl]. Whether a group
// carrying dns has zones is checked with the groups (check_dns_zones).
DnsServiceConfig read_dns(const Reader& r, const toml::table& s, const std::string& path) {
  DnsServiceConfig dns;
  if (auto b = r.optional_bool(s, path, "slow_path")) dns.slow_path = *b;
  dns.edns = read_dns_edns(r, s, path);

  const std::string zone_path = path + ".zone";
  if (const toml::node* node = s.get("zone")) {
    if (!node->is_array()) r.wrong_type(*node, zone_path, "an array of tables ([[" + zone_path + "]])");
    const toml::array& zones = *node->as_array();
    std::vector<toml::source_region> where;
    for (std::size_t i = 0; i < zones.size(); ++i) {
      std::string at = zone_path + "[" + std::to_string(i) + "]";
      if (!zones[i].is_table()) r.wrong_type(zones[i], at, "a table");
      const toml::table& z = *zones[i].as_table();
      r.reject_unknown(z, at);
      DnsZoneConfig zone;
      std::string problem;
      zone.origin = zone_origin(r.required_string(z, at, "origin"), problem);
      if (!problem.empty()) r.fail(z.get("origin")->source(), at + ".origin", problem);
      auto file = r.optional_path(z, at, "file", false);
      if (!file) r.fail(z.source(), at + ".file", "missing (a required string: the zone's master file, an absolute path)");
      zone.file = *file;
      // One table answers for all zones: a name must belong to one zone only. A child zone is
      // served by its parent's delegation, or from a list without the parent.
      auto below = [](const std::string& child, const std::string& parent) {
        return parent == "." || (child.size() > parent.size() && child.ends_with(parent) &&
                                 child[child.size() - parent.size() - 1] == '.');
      };
      for (std::size_t j = 0; j < dns.zones.size(); ++j) {
        const std::string& other = dns.zones[j].origin;
        std::string there = zone_path + "[" + std::to_string(j) + "] (line " + std::to_string(where[j].begin.line) + ")";
        if (other == zone.origin)
          r.fail(z.get("origin")->source(), at + ".origin", "\"" + zone.origin + "\" is already the origin of " + there);
        if (below(zone.origin, other) || below(other, zone.origin))
          r.fail(z.get("origin")->source(), at + ".origin",
                 "\"" + zone.origin + "\" and \"" + other + "\" of " + there +
                     " overlap: zones may not nest (serve the child through a delegation in its parent)");
      }
      where.push_back(z.source());
      dns.zones.push_back(std::move(zone));
    }
  }

  if (const toml::table* rrl = r.optional_table(s, path, "rrl")) {
    const std::string rrl_path = path + ".rrl";
    r.reject_unknown(*rrl, rrl_path);
    if (auto n = r.optional_integer(*rrl, rrl_path, "rate", 0, kDnsRrlRateMax)) dns.rrl.rate = static_cast<std::uint32_t>(*n);
    if (auto n = r.optional_integer(*rrl, rrl_path, "slip", 0, kDnsRrlSlipMax)) dns.rrl.slip = static_cast<std::uint32_t>(*n);
  }
  return dns;
}

// A group carrying dns answers from the zones: without one, every query would be refused.
void check_dns_zones(const Reader& r, const toml::table& root, const Config& config) {
  const ServiceConfig* dns = dns_service(config);
  if (!dns || !dns->dns.zones.empty()) return;
  for (const GroupConfig& g : config.groups)
    if (g.services & (1u << AC_SVC_DNS)) {
      const toml::node* table = root.get("services")->as_table()->get("dns");
      r.fail(table->source(), "services.dns.zone",
             "missing: group \"" + g.name + "\" carries dns, which needs at least one [[services.dns.zone]] (origin, file)");
    }
}

RateLimitConfig read_rate_limit(const Reader& r, const toml::table& service, const std::string& service_path) {
  RateLimitConfig l;
  const toml::table* t = r.optional_table(service, service_path, "rate_limit");
  if (!t) return l;
  const std::string path = service_path + ".rate_limit";
  r.reject_unknown(*t, path);
  auto rate = r.optional_number(*t, path, "rate", 0, kRateMax);
  if (!rate) r.fail(t->source(), path + ".rate", "missing: requests per second per source prefix (0 turns it off)");
  if (*rate != 0 && *rate < kRateMin) {
    std::ostringstream out;
    out << *rate << " is below the slowest rate (" << kRateMin << ", one request per 1000 s); 0 turns it off";
    r.fail(t->get("rate")->source(), path + ".rate", out.str());
  }
  l.rate = *rate;
  if (auto n = r.optional_integer(*t, path, "burst", 1, kBurstMax)) l.burst = static_cast<std::uint32_t>(*n);
  if (auto n = r.optional_integer(*t, path, "ipv4_prefix", 0, 32)) l.ipv4_prefix = static_cast<std::uint8_t>(*n);
  if (auto n = r.optional_integer(*t, path, "ipv6_prefix", 0, 128)) l.ipv6_prefix = static_cast<std::uint8_t>(*n);
  return l;
}

std::vector<ServiceConfig> read_services(const Reader& r, const toml::table& root, const DatapathConfig& datapath) {
  std::vector<ServiceConfig> services;
  const toml::table* t = r.optional_table(root, "", "services");
  if (!t) return services;

  std::array<std::string_view, AC_SVC__COUNT> names;
  for (int i = 0; i < AC_SVC__COUNT; ++i) names[i] = ac_service_names[i];

  for (auto&& [key, node] : *t) {
    std::string path = join("services", key.str());
    auto found = std::find(names.begin(), names.end(), key.str());
    if (found == names.end()) {
      std::string expected;
      for (auto name : names) expected += (expected.empty() ? "" : ", ") + std::string(name);
      r.fail(key.source(), path, "unknown service (expected: " + expected + ")");
    }
    if (!node.is_table()) r.wrong_type(node, path, "a table");
    const toml::table& s = *node.as_table();
    ServiceConfig service;
    service.id = static_cast<ac_service>(found - names.begin());
    r.reject_unknown(s, path);
    if (service.id == AC_SVC_NTP) {
      service.rate_limit = read_rate_limit(r, s, path);
      if (auto clock = r.optional_string(s, path, "clock")) {
        if (*clock == "chrony") service.clock.kind = ClockKind::chrony;
        else if (*clock == "kernel") service.clock.kind = ClockKind::kernel;
        else r.fail(s.get("clock")->source(), path + ".clock", "unknown clock \"" + *clock + "\" (expected: chrony, kernel)");
      }
      if (auto socket = r.optional_path(s, path, "chrony_socket", false)) {
        // Our own client socket goes next to it, with a suffix: leave room for that.
        if (socket->size() + 32 >= sizeof(sockaddr_un::sun_path))
          r.fail(s.get("chrony_socket")->source(), path + ".chrony_socket",
                 "\"" + *socket + "\" is too long for a unix socket path (at most " +
                     std::to_string(sizeof(sockaddr_un::sun_path) - 33) + " bytes here)");
        if (service.clock.kind != ClockKind::chrony)
          r.fail(s.get("chrony_socket")->source(), path + ".chrony_socket", "only used with clock = \"chrony\"");
        service.clock.chrony_socket = *socket;
      }
    } else if (service.id == AC_SVC_DNS) {
      service.dns = read_dns(r, s, path);
    }
    service.port = kWellKnownPort[service.id];
    if (auto port = r.optional_integer(s, path, "port", 1, 65535)) service.port = static_cast<std::uint16_t>(*port);

    for (const ServiceConfig& other : services)
      if (other.port == service.port)
        r.fail(s.get("port") ? s.get("port")->source() : s.source(), path + ".port",
               "port " + std::to_string(service.port) + " is already used by services." + std::string(other.name()));

    if (const toml::array* allow = r.optional_array(s, path, "allow")) {
      if (allow->empty())
        r.fail(allow->source(), path + ".allow", "is empty, which would answer no one: remove the key to answer every source");
      std::vector<Where> where;
      service.allow = r.prefixes(*allow, path + ".allow", &where);
      for (std::size_t i = 0; i < service.allow.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
          if (service.allow[i] == service.allow[j])
            r.fail(where[i], service.allow[i].str() + " is listed twice");
    }
    services.push_back(std::move(service));
  }
  std::sort(services.begin(), services.end(), [](const ServiceConfig& a, const ServiceConfig& b) { return a.id < b.id; });

  for (int family : {4, 6}) {
    std::uint64_t count = 0;
    for (const ServiceConfig& s : services)
      count += std::count_if(s.allow.begin(), s.allow.end(), [&](const Prefix& p) { return p.family == family; });
    if (count > datapath.allow_max_entries)
      r.fail(t->source(), "services",
             std::to_string(count) + " IPv" + std::to_string(family) + " allow prefixes exceed datapath.allow_max_entries (" +
                 std::to_string(datapath.allow_max_entries) + ")");
  }
  return services;
}

LogConfig read_log(const Reader& r, const toml::table& root) {
  LogConfig l;
  const toml::table* t = r.optional_table(root, "", "log");
  if (!t) return l;
  r.reject_unknown(*t, "log");
  if (auto level = r.optional_string(*t, "log", "level"))
    if (!parse_log_level(*level, l.level))
      r.fail(t->get("level")->source(), "log.level",
             "unknown level \"" + *level + "\" (expected: trace, debug, info, warn, error, critical, off)");
  if (auto interval = r.optional_integer(*t, "log", "stats_interval_s", 0, 86400))
    l.stats_interval_s = static_cast<std::uint32_t>(*interval);
  return l;
}

ControlConfig read_control(const Reader& r, const toml::table& root) {
  ControlConfig c;
  const toml::table* t = r.optional_table(root, "", "control");
  if (!t) return c;
  r.reject_unknown(*t, "control");
  if (auto socket = r.optional_path(*t, "control", "socket", false)) {
    // bind() takes the path in sockaddr_un.sun_path, NUL included.
    if (socket->size() >= sizeof(sockaddr_un::sun_path))
      r.fail(t->get("socket")->source(), "control.socket",
             "\"" + *socket + "\" is longer than a unix socket path may be (" +
                 std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes)");
    c.socket = *socket;
  }
  return c;
}

MetricsConfig read_metrics(const Reader& r, const toml::table& root) {
  MetricsConfig m;
  const toml::table* t = r.optional_table(root, "", "metrics");
  if (!t) return m;
  r.reject_unknown(*t, "metrics");
  if (auto listen = r.optional_string(*t, "metrics", "listen")) {
    const toml::source_region& where = t->get("listen")->source();
    if (!listen->empty()) {
      ListenAddress address;
      try {
        address = parse_listen_address(*listen);
      } catch (const std::invalid_argument& e) {
        // The key path names what it is; the metrics server's own prefix would repeat it.
        std::string_view what = e.what(), prefix = "metrics listen address ";
        if (what.substr(0, prefix.size()) == prefix) what.remove_prefix(prefix.size());
        r.fail(where, "metrics.listen", std::string(what) + " (\"\" turns metrics off)");
      }
      // Port 0 is for tests: a port that changes with every start cannot be scraped.
      if (address.port == 0) r.fail(where, "metrics.listen", "\"" + *listen + "\": the port must be 1 to 65535");
    }
    m.listen = *listen;
  }
  if (auto n = r.optional_integer(*t, "metrics", "vip_series", 0, AC_VIP_SERIES_MAX))
    m.vip_series = static_cast<std::uint32_t>(*n);
  return m;
}

}  // namespace

std::vector<std::string> dpdk_arguments(const DpdkConfig& config, int channel_fd) {
  std::vector<std::string> args = {"--channel-fd", std::to_string(channel_fd), "--exception",
                                   std::string(to_string(config.exception))};
  for (const DpdkPort& port : config.ports) args.insert(args.end(), {"--exception-interface", port.exception_interface});
  args.insert(args.end(), {"--profile", config.profile});
  auto option = [&](const char* flag, std::uint32_t value) {
    if (value) args.insert(args.end(), {flag, std::to_string(value)});
  };
  option("--rx-descriptors", config.rx_descriptors);
  option("--tx-descriptors", config.tx_descriptors);
  option("--burst", config.burst);
  if (config.idle_sleep_us) args.insert(args.end(), {"--idle-sleep-us", std::to_string(*config.idle_sleep_us)});
  args.push_back("--");
  args.insert(args.end(), config.eal_args.begin(), config.eal_args.end());
  // --lcores, not -l: it takes the plain lists -l takes ("0-2") and also lcores mapped onto
  // CPUs ("0-1,2@1"), which a machine with fewer CPUs than ports + 1 needs.
  args.insert(args.end(), {"--lcores", config.lcores});
  return args;
}

std::string_view to_string(ExceptionKind kind) {
  switch (kind) {
    case ExceptionKind::automatic: return "auto";
    case ExceptionKind::virtio_user: return "virtio_user";
    case ExceptionKind::tap: return "tap";
  }
  return "?";
}

bool parse_log_level(std::string_view name, spdlog::level::level_enum& level) {
  static constexpr std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug}, {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},   {"error", spdlog::level::err},   {"critical", spdlog::level::critical},
      {"off", spdlog::level::off},
  };
  for (const auto& [n, l] : kLevels)
    if (n == name) {
      level = l;
      return true;
    }
  return false;
}

Config parse_config(std::string_view text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream out;
    out << source_name << ':' << e.source().begin.line << ": syntax error at column " << e.source().begin.column
        << ": " << e.description();
    throw ConfigError(out.str());
  }

  Reader r(source_name);
  r.reject_unknown(root, "");
  Config c;
  if (auto marker = r.optional_bool(root, "", "shipped_default")) c.shipped_default = *marker;
  c.datapath = read_datapath(r, root);
  c.anycast = read_anycast(r, root);
  c.services = read_services(r, root, c.datapath);
  read_groups(r, root, c);
  c.hooks = read_hooks(r, root, c);
  check_dns_zones(r, root, c);
  c.control = read_control(r, root);
  c.metrics = read_metrics(r, root);
  c.log = read_log(r, root);
  c.restart_values = r.take_restart_values();
  return c;
}

std::string shipped_default_refusal(const Config& config, const std::string& path) {
  if (!config.shipped_default) return "";
  return path + ": shipped_default = true: this is the configuration the package ships, with example "
         "addresses; edit it for this edge ([datapath] interface, [anycast] addresses, the groups and the "
         "route signal), remove the line \"shipped_default = true\", and start anycastd again";
}

Config load_config(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConfigError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
  return parse_config(text.str(), path);
}

std::string_view to_string(HostVips host_vips) {
  switch (host_vips) {
    case HostVips::automatic: return "auto";
    case HostVips::addresses: return "addresses";
    case HostVips::local_routes: return "local_routes";
  }
  return "?";
}

bool host_vips_as_routes(const Config& config) {
  if (config.anycast.host_vips != HostVips::automatic) return config.anycast.host_vips == HostVips::local_routes;
  std::size_t hosts = 0;
  for (const GroupConfig& g : config.groups)
    hosts += static_cast<std::size_t>(std::count_if(g.addresses.begin(), g.addresses.end(),
                                                    [](const Prefix& p) { return p.is_host(); }));
  return hosts > kHostVipAddressLimit;
}

Refusal restart_only_changes(const Config& before, const Config& after) {
  std::string changed;
  auto note = [&](const std::string& key) { changed += (changed.empty() ? "" : ", ") + key; };
  for (const auto& [key, value] : before.restart_values) {
    auto now = after.restart_values.find(key);
    if (now == after.restart_values.end() || now->second != value) note(key);
  }
  for (const auto& [key, value] : after.restart_values)
    if (!before.restart_values.count(key)) note(key);
  return changed.empty() ? Refusal::none() : Refusal::because(changed);
}

const ServiceConfig* dns_service(const Config& config) {
  for (const ServiceConfig& s : config.services)
    if (s.id == AC_SVC_DNS) return &s;
  return nullptr;
}

ac_ratelimit_config RateLimitConfig::abi() const {
  ac_ratelimit_config c{};
  if (!on()) return c;
  c.interval_ns = static_cast<std::uint64_t>(1e9 / rate + 0.5);
  if (c.interval_ns == 0) c.interval_ns = 1;
  c.burst = burst;
  c.prefix4 = ipv4_prefix;
  c.prefix6 = ipv6_prefix;
  ac_ratelimit_config_masks(&c);
  return c;
}

// [services.dns.rrl] as a limiter: buckets per /24 and /56 as Knot and BIND keep them, each
// holding one second's worth, so a resolver's burst after a quiet spell is not cut.
ac_ratelimit_config dns_rrl_limiter(const DnsRrlConfig& rrl) {
  RateLimitConfig l;
  l.rate = rrl.rate;
  l.burst = rrl.rate ? rrl.rate : 1;
  l.ipv4_prefix = 24;
  l.ipv6_prefix = 56;
  ac_ratelimit_config c = l.abi();
  c.slip = static_cast<std::uint16_t>(rrl.slip);
  return c;
}

}  // namespace anycastd
