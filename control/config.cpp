// SPDX-License-Identifier: Apache-2.0
#include "config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <net/if.h>
#include <optional>
#include <sstream>
#include <tuple>

namespace anycastd {
namespace {

// The port a service gets when its table does not name one.
constexpr std::uint16_t kWellKnownPort[] = {7 /* echo, RFC 862 */};
static_assert(std::size(kWellKnownPort) == AC_SVC__COUNT, "a new service needs its well-known port here");

constexpr std::uint32_t kVipMaxEntriesLimit = 1u << 24;
constexpr std::uint32_t kAllowMaxEntriesLimit = 1u << 20;

// Addresses that can never be anycast VIPs: the kernel or the packet core treats them specially.
struct Reserved {
  const char* prefix;
  const char* what;
};
constexpr Reserved kReserved[] = {
    {"0.0.0.0/8", "\"this network\""},  {"127.0.0.0/8", "loopback"},
    {"169.254.0.0/16", "link-local"},   {"224.0.0.0/4", "multicast"},
    {"240.0.0.0/4", "reserved and broadcast"},
    {"::/128", "unspecified"},          {"::1/128", "loopback"},
    {"::ffff:0:0/96", "IPv4-mapped"},   {"fe80::/10", "link-local"},
    {"ff00::/8", "multicast"},
};

bool overlap(const Prefix& a, const Prefix& b) {
  if (a.family != b.family) return false;
  return a.len <= b.len ? a.contains(b.addr.data()) : b.contains(a.addr.data());
}

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::string join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

std::string quoted_list(std::initializer_list<std::string_view> names) {
  std::string out;
  for (auto name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

// Reads one document; every complaint names the file, the line and the key path.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const toml::source_region& where, std::string_view path, std::string_view what) const {
    std::ostringstream out;
    out << source_;
    if (where.begin.line != 0) out << ':' << where.begin.line;
    out << ": " << path << ": " << what;
    throw ConfigError(out.str());
  }

  // toml++ accepts any key; a typo must not silently become a default, so the caller lists
  // every key it understands.
  void reject_unknown(const toml::table& table, std::string_view path,
                      std::initializer_list<std::string_view> known) const {
    for (auto&& [key, value] : table) {
      if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
      fail(key.source().begin.line ? key.source() : value.source(), join(path, key.str()),
           "unknown key (expected: " + quoted_list(known) + ")");
    }
  }

  const toml::table& required_table(const toml::table& parent, std::string_view path,
                                    std::string_view key) const {
    const toml::table* table = optional_table(parent, path, key);
    if (!table) fail(parent.source(), join(path, key), "missing (a required table)");
    return *table;
  }

  const toml::table* optional_table(const toml::table& parent, std::string_view path,
                                    std::string_view key) const {
    const toml::node* node = parent.get(key);
    if (!node) return nullptr;
    if (!node->is_table()) wrong_type(*node, join(path, key), "a table");
    return node->as_table();
  }

  std::optional<std::string> optional_string(const toml::table& parent, std::string_view path,
                                             std::string_view key) const {
    const toml::node* node = parent.get(key);
    if (!node) return std::nullopt;
    return string_of(*node, join(path, key));
  }

  std::string required_string(const toml::table& parent, std::string_view path, std::string_view key) const {
    auto value = optional_string(parent, path, key);
    if (!value) fail(parent.source(), join(path, key), "missing (a required string)");
    return *value;
  }

  std::string string_of(const toml::node& node, const std::string& path) const {
    if (!node.is_string()) wrong_type(node, path, "a string");
    return node.as_string()->get();
  }

  std::optional<std::int64_t> optional_integer(const toml::table& parent, std::string_view path,
                                               std::string_view key, std::int64_t min, std::int64_t max) const {
    const toml::node* node = parent.get(key);
    if (!node) return std::nullopt;
    if (!node->is_integer()) wrong_type(*node, join(path, key), "an integer");
    std::int64_t value = node->as_integer()->get();
    if (value < min || value > max)
      fail(node->source(), join(path, key),
           std::to_string(value) + " is out of range (" + std::to_string(min) + " to " + std::to_string(max) + ")");
    return value;
  }

  const toml::array* optional_array(const toml::table& parent, std::string_view path, std::string_view key) const {
    const toml::node* node = parent.get(key);
    if (!node) return nullptr;
    if (!node->is_array()) wrong_type(*node, join(path, key), "an array");
    return node->as_array();
  }

  // A list of addresses or prefixes; `where` gets each element's line for later messages.
  std::vector<Prefix> prefixes(const toml::array& array, const std::string& path,
                               std::vector<toml::source_region>* where = nullptr) const {
    std::vector<Prefix> out;
    for (std::size_t i = 0; i < array.size(); ++i) {
      const toml::node& element = array[i];
      std::string element_path = path + "[" + std::to_string(i) + "]";
      std::string text = string_of(element, element_path);
      try {
        out.push_back(parse_prefix(text));
      } catch (const std::invalid_argument& e) {
        fail(element.source(), element_path, e.what());
      }
      if (where) where->push_back(element.source());
    }
    return out;
  }

  [[noreturn]] void wrong_type(const toml::node& node, std::string_view path, std::string_view expected) const {
    fail(node.source(), path, "expected " + std::string(expected) + ", got " + std::string(type_name(node.type())));
  }

 private:
  std::string source_;
};

DatapathConfig read_datapath(const Reader& r, const toml::table& root) {
  const toml::table& t = r.required_table(root, "", "datapath");
  r.reject_unknown(t, "datapath", {"kind", "interface", "xdp_mode", "vip_max_entries", "allow_max_entries"});

  DatapathConfig d;
  if (auto kind = r.optional_string(t, "datapath", "kind")) {
    if (*kind == "dpdk")
      r.fail(t.get("kind")->source(), "datapath.kind", "\"dpdk\" is not supported yet (only \"xdp\")");
    if (*kind != "xdp")
      r.fail(t.get("kind")->source(), "datapath.kind", "unknown datapath \"" + *kind + "\" (expected: xdp)");
  }

  d.interface = r.required_string(t, "datapath", "interface");
  if (d.interface.empty() || d.interface.size() >= IFNAMSIZ ||
      d.interface.find_first_of("/: \t") != std::string::npos)
    r.fail(t.get("interface")->source(), "datapath.interface",
           "\"" + d.interface + "\" is not a valid interface name");

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

AnycastConfig read_anycast(const Reader& r, const toml::table& root, const DatapathConfig& datapath) {
  const toml::table& t = r.required_table(root, "", "anycast");
  r.reject_unknown(t, "anycast", {"addresses", "loopback"});

  AnycastConfig a;
  const toml::array* addresses = r.optional_array(t, "anycast", "addresses");
  if (!addresses) r.fail(t.source(), "anycast.addresses", "missing (a required array of addresses or prefixes)");
  if (addresses->empty()) r.fail(addresses->source(), "anycast.addresses", "is empty: at least one VIP is needed");

  std::vector<toml::source_region> where;
  a.addresses = r.prefixes(*addresses, "anycast.addresses", &where);
  auto path_of = [](std::size_t i) { return "anycast.addresses[" + std::to_string(i) + "]"; };

  for (std::size_t i = 0; i < a.addresses.size(); ++i)
    for (const Reserved& reserved : kReserved) {
      Prefix range = parse_prefix(reserved.prefix);
      if (overlap(range, a.addresses[i]))
        r.fail(where[i], path_of(i),
               a.addresses[i].str() + " overlaps " + range.str() + " (" + reserved.what +
                   "), which cannot be an anycast address");
    }

  // Sorted, any overlap shows between neighbours: whatever lies between a prefix and one it
  // contains starts inside it too.
  std::vector<std::size_t> order(a.addresses.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return std::tie(a.addresses[x], x) < std::tie(a.addresses[y], y);
  });
  for (std::size_t k = 1; k < order.size(); ++k) {
    std::size_t first = std::min(order[k - 1], order[k]), second = std::max(order[k - 1], order[k]);
    const Prefix &p = a.addresses[first], &q = a.addresses[second];
    if (!overlap(p, q)) continue;
    std::string what = p == q ? "duplicates " : "overlaps ";
    r.fail(where[second], path_of(second),
           q.str() + " " + what + p.str() + " (" + path_of(first) + ", line " +
               std::to_string(where[first].begin.line) + ")");
  }

  for (int family : {4, 6}) {
    auto count = std::count_if(a.addresses.begin(), a.addresses.end(), [&](const Prefix& p) { return p.family == family; });
    if (static_cast<std::uint64_t>(count) > datapath.vip_max_entries)
      r.fail(addresses->source(), "anycast.addresses",
             std::to_string(count) + " IPv" + std::to_string(family) + " VIPs exceed datapath.vip_max_entries (" +
                 std::to_string(datapath.vip_max_entries) + ")");
  }

  if (auto loopback = r.optional_string(t, "anycast", "loopback")) {
    if (loopback->empty() || loopback->size() >= IFNAMSIZ || loopback->find_first_of("/: \t") != std::string::npos)
      r.fail(t.get("loopback")->source(), "anycast.loopback", "\"" + *loopback + "\" is not a valid interface name");
    a.loopback = *loopback;
  }
  return a;
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
    r.reject_unknown(s, path, {"port", "allow"});

    ServiceConfig service;
    service.id = static_cast<ac_service>(found - names.begin());
    service.port = kWellKnownPort[service.id];
    if (auto port = r.optional_integer(s, path, "port", 1, 65535)) service.port = static_cast<std::uint16_t>(*port);

    for (const ServiceConfig& other : services)
      if (other.port == service.port)
        r.fail(s.get("port") ? s.get("port")->source() : s.source(), path + ".port",
               "port " + std::to_string(service.port) + " is already used by services." + std::string(other.name()));

    if (const toml::array* allow = r.optional_array(s, path, "allow")) {
      if (allow->empty())
        r.fail(allow->source(), path + ".allow", "is empty, which would answer no one: remove the key to answer every source");
      std::vector<toml::source_region> where;
      service.allow = r.prefixes(*allow, path + ".allow", &where);
      for (std::size_t i = 0; i < service.allow.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
          if (service.allow[i] == service.allow[j])
            r.fail(where[i], path + ".allow[" + std::to_string(i) + "]", service.allow[i].str() + " is listed twice");
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
  r.reject_unknown(*t, "log", {"level", "stats_interval_s"});
  if (auto level = r.optional_string(*t, "log", "level"))
    if (!parse_log_level(*level, l.level))
      r.fail(t->get("level")->source(), "log.level",
             "unknown level \"" + *level + "\" (expected: trace, debug, info, warn, error, critical, off)");
  if (auto interval = r.optional_integer(*t, "log", "stats_interval_s", 0, 86400))
    l.stats_interval_s = static_cast<std::uint32_t>(*interval);
  return l;
}

}  // namespace

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
  r.reject_unknown(root, "", {"datapath", "anycast", "services", "log"});
  Config c;
  c.datapath = read_datapath(r, root);
  c.anycast = read_anycast(r, root, c.datapath);
  c.services = read_services(r, root, c.datapath);
  c.log = read_log(r, root);
  return c;
}

Config load_config(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConfigError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
  return parse_config(text.str(), path);
}

FastpathTables build_tables(const Config& config) {
  FastpathTables t;
  std::uint32_t carried = 0;
  for (const ServiceConfig& s : config.services) {
    carried |= 1u << s.id;
    ac_port_value port{};
    port.flags = AC_SVC_F_ENABLED | (s.allow.empty() ? 0u : AC_SVC_F_RESTRICTED);
    port.service = s.id;
    t.ports[s.port] = port;
    for (const Prefix& source : s.allow) t.allow.push_back({static_cast<std::uint32_t>(s.id), source});
  }
  for (const Prefix& vip : config.anycast.addresses) {
    ac_vip_value value{};
    value.flags = AC_VIP_F_ANSWERING;
    value.services = carried;
    value.group = 0;
    t.vips.push_back({vip, value});
  }
  t.answering = true;
  return t;
}

}  // namespace anycastd
