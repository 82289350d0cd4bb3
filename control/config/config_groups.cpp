// SPDX-License-Identifier: Apache-2.0
// The groups of a configuration: [health], [route] and [[group]] (or the flat form's single
// group from [anycast]), each group resolved to what it runs with, and the checks that span
// several keys or several groups. docs/configuration.md describes every key.
#include <algorithm>
#include <stdexcept>
#include <sys/un.h>
#include <tuple>

#include "config/config_reader.h"

namespace anycastd::config_detail {
namespace {

constexpr std::int64_t kMinIntervalMs = 10;
constexpr std::int64_t kMaxIntervalMs = 3'600'000;
constexpr std::int64_t kMaxCount = 100;  // rise, fall
constexpr std::int64_t kMaxDrainMs = 600'000;
constexpr std::int64_t kMaxSignalTimeoutMs = 60'000;
constexpr std::int64_t kDefaultCheckTimeoutMs = 1000;
constexpr std::size_t kMaxGroupName = 64;
constexpr const char* kDefaultGroup = "default";

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

// bird_signal_problem and exabgp_signal_problem say what is wrong with a value in the signals'
// own terms; the key path in front of it already names the signal and the key, so they are not
// repeated.
std::string reason(std::string_view what, std::string_view key = {}) {
  for (std::string_view prefix :
       {"bird route signal: ", "exabgp route signal: ", "frr route signal: ", "gobgp route signal: "})
    if (what.substr(0, prefix.size()) == prefix) what.remove_prefix(prefix.size());
  if (!key.empty() && what.substr(0, key.size()) == key) {
    std::string_view rest = what.substr(key.size());
    if (rest.substr(0, 2) == ": ") return std::string(rest.substr(2));
    if (rest.substr(0, 1) == " ") return std::string(rest.substr(1));
  }
  return std::string(what);
}

// Where the settings that are checked across keys or groups came from (the last [route] or
// [group.route] that gave them); unset: the built-in default.
struct RouteOrigins {
  std::optional<Where> graceful_shutdown, bird, bird_protocol, bird_gshut, bird_degraded, exabgp, frr, frr_gshut,
      frr_degraded, gobgp;
  std::optional<Where> states[3];  // [route.up], [route.degraded], [route.draining]
};

struct Route {
  RouteConfig config;
  RouteOrigins from;
};

struct Check {
  CheckConfig config;
  Where where;  // "health.check[0]" or "group[1].check[0]", and its [[...]] line
};

struct Group {
  GroupConfig config;
  Where where;               // "group[1]" and its [[group]] line; the flat form: "anycast"
  bool flat = false;
  std::vector<Where> vip_where;
  std::vector<Check> checks;  // [[health.check]] then the group's own
  Route route;
  std::string route_path;                 // "group[1].route", or "route" in the flat form
  toml::source_region route_region;       // where a missing route key is reported
  // [group.route.bird] / [group.route.exabgp] / [group.route.frr] / [group.route.gobgp] given
  std::optional<Where> own_bird, own_exabgp, own_frr, own_gobgp;

  // "group[1] "web"" for messages about a value the group inherited from [route] or [health].
  std::string label() const { return where.path + " " + quote(config.name); }
};

// A value given at `w` and wrong for group `g`: when the value is inherited, the message says
// for which group.
[[noreturn]] void fail_for(const Reader& r, const Where& w, const Group& g, const std::string& what) {
  bool inherited = !g.flat && w.path.rfind(g.where.path + ".", 0) != 0;
  r.fail(w, inherited ? what + " (for " + g.label() + ")" : what);
}

const toml::array* array_of_tables(const Reader& r, const toml::table& parent, const std::string& path,
                                   std::string_view key) {
  const toml::node* node = parent.get(key);
  if (!node) return nullptr;
  std::string at = join(path, key);
  if (!node->is_array()) r.wrong_type(*node, at, "an array of tables ([[" + at + "]])");
  const toml::array& array = *node->as_array();
  for (std::size_t i = 0; i < array.size(); ++i)
    if (!array[i].is_table()) r.wrong_type(array[i], at + "[" + std::to_string(i) + "]", "a table");
  return &array;
}

// ---- [health] ------------------------------------------------------------------------------

std::vector<Check> read_checks(const Reader& r, const toml::table& parent, const std::string& path, Millis interval,
                               const std::vector<ServiceConfig>& services) {
  std::vector<Check> out;
  const toml::array* array = array_of_tables(r, parent, path, "check");
  if (!array) return out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::table& t = *(*array)[i].as_table();
    std::string at = join(path, "check") + "[" + std::to_string(i) + "]";
    r.reject_unknown(t, at);
    auto here = [&](std::string_view key) { return Where{join(at, key), t.get(key)->source()}; };

    Check check;
    check.where = {at, t.source()};
    auto kind = r.optional_string(t, at, "kind");
    if (!kind) r.fail(t.source(), join(at, "kind"), "missing (a required string: \"datapath\", \"tcp\", \"exec\" or \"clock\")");
    if (*kind == "datapath") check.config.kind = CheckKind::datapath;
    else if (*kind == "tcp") check.config.kind = CheckKind::tcp;
    else if (*kind == "exec") check.config.kind = CheckKind::exec;
    else if (*kind == "clock") check.config.kind = CheckKind::clock;
    else r.fail(here("kind"), "unknown check " + quote(*kind) + " (expected: datapath, tcp, exec, clock)");

    // A key meant for another kind is a misunderstanding, not something to ignore.
    for (auto [key, owner] : {std::pair{"port", CheckKind::tcp}, std::pair{"address", CheckKind::tcp},
                              std::pair{"command", CheckKind::exec}, std::pair{"max_error_ms", CheckKind::clock}})
      if (t.get(key) && check.config.kind != owner)
        r.fail(here(key), std::string("only for kind = ") +
                              (owner == CheckKind::tcp ? "\"tcp\"" : owner == CheckKind::exec ? "\"exec\"" : "\"clock\"") +
                              " (this check is " + quote(*kind) + ")");
    if (check.config.kind == CheckKind::clock) {
      if (auto v = r.optional_integer(t, at, "max_error_ms", 1, 16000)) check.config.max_error = Millis(*v);
      bool ntp = std::any_of(services.begin(), services.end(),
                             [](const ServiceConfig& s) { return s.id == AC_SVC_NTP; });
      if (!ntp)
        r.fail(Where{at, t.source()}, "kind = \"clock\" checks the NTP service's clock: it needs [services.ntp]");
    }

    if (check.config.kind == CheckKind::tcp) {
      auto port = r.optional_integer(t, at, "port", 1, 65535);
      if (!port) r.fail(t.source(), join(at, "port"), "missing (a required integer for kind = \"tcp\": 1 to 65535)");
      check.config.port = static_cast<std::uint16_t>(*port);
      if (auto address = r.optional_string(t, at, "address")) {
        Prefix p;
        try {
          p = parse_prefix(*address);
        } catch (const std::invalid_argument& e) {
          r.fail(here("address"), e.what());
        }
        if (!p.is_host()) r.fail(here("address"), p.str() + " is a prefix: a check connects to one address");
        for (const char* nowhere : {"0.0.0.0/32", "224.0.0.0/3", "::/128", "ff00::/8"})
          if (overlap(parse_prefix(nowhere), p))
            r.fail(here("address"), p.address() + " is not an address a connection can go to");
        check.config.address = p;
      }
    }
    if (check.config.kind == CheckKind::exec) {
      auto command = r.optional_string(t, at, "command");
      if (!command) r.fail(t.source(), join(at, "command"), "missing (a required string for kind = \"exec\")");
      if (command->find_first_not_of(" \t\n") == std::string::npos) r.fail(here("command"), "is empty");
      check.config.command = *command;
    }

    // A check must be over before the next round is due, or rounds pile up behind a hung one.
    std::int64_t timeout = std::min(kDefaultCheckTimeoutMs, static_cast<std::int64_t>(interval.count() / 2));
    if (auto given = r.optional_integer(t, at, "timeout_ms", 1, kMaxIntervalMs)) {
      timeout = *given;
      if (timeout >= interval.count())
        r.fail(here("timeout_ms"), std::to_string(timeout) + " is not less than health.interval_ms (" +
                                       std::to_string(interval.count()) +
                                       "): a check must be over before the next round is due");
    }
    check.config.timeout = Millis(timeout);
    if (auto soft = r.optional_bool(t, at, "soft")) check.config.soft = *soft;
    out.push_back(std::move(check));
  }
  return out;
}

std::pair<HealthConfig, std::vector<Check>> read_health(const Reader& r, const toml::table& root,
                                                     const std::vector<ServiceConfig>& services) {
  HealthConfig h;
  const toml::table* t = r.optional_table(root, "", "health");
  if (!t) return {h, {}};
  r.reject_unknown(*t, "health");

  if (auto v = r.optional_integer(*t, "health", "interval_ms", kMinIntervalMs, kMaxIntervalMs))
    h.timing.interval = Millis(*v);
  h.timing.fast_interval = std::min(h.timing.fast_interval, h.timing.interval);
  if (auto v = r.optional_integer(*t, "health", "fast_interval_ms", kMinIntervalMs, kMaxIntervalMs)) {
    if (*v > h.timing.interval.count())
      r.fail(t->get("fast_interval_ms")->source(), "health.fast_interval_ms",
             std::to_string(*v) + " is more than health.interval_ms (" + std::to_string(h.timing.interval.count()) +
                 "): it is the interval while a rise or fall is under way, meant to be shorter");
    h.timing.fast_interval = Millis(*v);
  }
  if (auto v = r.optional_integer(*t, "health", "rise", 1, kMaxCount)) h.timing.rise = static_cast<unsigned>(*v);
  if (auto v = r.optional_integer(*t, "health", "fall", 1, kMaxCount)) h.timing.fall = static_cast<unsigned>(*v);
  if (auto v = r.optional_integer(*t, "health", "hold_down_ms", 0, kMaxIntervalMs)) h.timing.hold_down = Millis(*v);
  if (auto file = r.optional_path(*t, "health", "disable_file", true)) h.disable_file = *file;
  if (const toml::table* d = r.optional_table(*t, "health", "dampening")) {
    r.reject_unknown(*d, "health.dampening");
    Dampening& damp = h.timing.dampening;
    constexpr std::int64_t kMaxPenalty = 1000000;
    if (auto v = r.optional_integer(*d, "health.dampening", "penalty", 0, kMaxPenalty)) damp.penalty = double(*v);
    if (auto v = r.optional_integer(*d, "health.dampening", "suppress", 1, kMaxPenalty)) damp.suppress = double(*v);
    if (auto v = r.optional_integer(*d, "health.dampening", "reuse", 1, kMaxPenalty)) damp.reuse = double(*v);
    if (auto v = r.optional_integer(*d, "health.dampening", "max_penalty", 1, kMaxPenalty)) damp.max_penalty = double(*v);
    if (auto v = r.optional_integer(*d, "health.dampening", "half_life_ms", 0, std::int64_t{24} * 3600 * 1000))
      damp.half_life = Millis(*v);
    if (Refusal problem = dampening_problem(damp)) r.fail(d->source(), "health.dampening", reason(problem.why(), "health.dampening"));
  }

  std::vector<Check> checks = read_checks(r, *t, "health", h.timing.interval, services);
  for (const Check& c : checks) h.checks.push_back(c.config);
  return {h, checks};
}

// ---- [route] -------------------------------------------------------------------------------

// "name" or ["name", ...]; each checked the way the bird signal will check it.
std::vector<std::string> bird_protocols(const Reader& r, const toml::table& t, const std::string& path,
                                        std::string_view key, bool may_be_empty) {
  const toml::node* node = t.get(key);
  std::string at = join(path, key);
  std::vector<std::string> names;
  std::vector<Where> where;
  if (node->is_string()) {
    names.push_back(node->as_string()->get());
    where.push_back({at, node->source()});
  } else if (node->is_array()) {
    names = r.strings(*node->as_array(), at, &where);
    if (names.empty() && !may_be_empty) r.fail(node->source(), at, "is empty: name at least one protocol");
  } else {
    r.wrong_type(*node, at, "a string or an array of strings");
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j)
      if (names[i] == names[j]) r.fail(where[i], quote(names[i]) + " is listed twice");
    BirdSignalConfig one;
    one.protocols = {names[i]};
    if (Refusal problem = bird_signal_problem(one)) r.fail(where[i], reason(problem.why()));
  }
  return names;
}

void read_bird(const Reader& r, const toml::table& t, const std::string& path, Route& into) {
  r.reject_unknown(t, path);
  auto here = [&](std::string_view key) { return Where{join(path, key), t.get(key)->source()}; };
  BirdSignalConfig& bird = into.config.bird;
  into.from.bird = Where{path, t.source()};
  if (auto socket = r.optional_path(t, path, "socket", false)) {
    if (socket->size() >= sizeof(sockaddr_un::sun_path))
      r.fail(here("socket"), quote(*socket) + " is longer than a unix socket path may be (" +
                                 std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes)");
    bird.socket = *socket;
  }
  if (t.get("protocol")) {
    bird.protocols = bird_protocols(r, t, path, "protocol", false);
    into.from.bird_protocol = here("protocol");
  }
  // [] is allowed: a group's way of turning off the state protocols given in [route.bird].
  // draining_protocol is gshut_protocol's newer name (the draining state carries GRACEFUL_SHUTDOWN).
  if (t.get("gshut_protocol") && t.get("draining_protocol"))
    r.fail(here("draining_protocol"), "given with gshut_protocol, its old name: keep one");
  for (const char* key : {"gshut_protocol", "draining_protocol"})
    if (t.get(key)) {
      bird.gshut_protocols = bird_protocols(r, t, path, key, true);
      into.from.bird_gshut = here(key);
    }
  if (t.get("degraded_protocol")) {
    bird.degraded_protocols = bird_protocols(r, t, path, "degraded_protocol", true);
    into.from.bird_degraded = here("degraded_protocol");
  }
  if (auto v = r.optional_integer(t, path, "timeout_ms", 1, kMaxSignalTimeoutMs)) bird.timeout = Millis(*v);
}

// `next_hop4` / `next_hop6` and `communities`, which ExaBGP and GoBGP take alike; `check`
// validates one value in the signal's own terms.
template <typename SignalConfig, typename Problem>
void read_next_hops_and_communities(const Reader& r, const toml::table& t, const std::string& path,
                                    SignalConfig& x, Problem check) {
  auto here = [&](std::string_view key) { return Where{join(path, key), t.get(key)->source()}; };
  for (int family : {4, 6}) {
    std::string key = "next_hop" + std::to_string(family);
    auto next_hop = r.optional_string(t, path, key);
    if (!next_hop) continue;
    SignalConfig one;
    (family == 4 ? one.next_hop4 : one.next_hop6) = *next_hop;
    if (next_hop->empty()) r.fail(here(key), "is empty: this edge's IPv" + std::to_string(family) + " address");
    if (Refusal problem = check(one)) r.fail(here(key), reason(problem.why(), key));
    (family == 4 ? x.next_hop4 : x.next_hop6) = *next_hop;
  }
  if (const toml::array* communities = r.optional_array(t, path, "communities")) {
    std::vector<Where> where;
    std::vector<std::string> list = r.strings(*communities, join(path, "communities"), &where);
    for (std::size_t i = 0; i < list.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j)
        if (list[i] == list[j]) r.fail(where[i], quote(list[i]) + " is listed twice");
      SignalConfig one;
      one.communities = {list[i]};
      if (Refusal problem = check(one)) r.fail(where[i], reason(problem.why()));
    }
    x.communities = std::move(list);
  }
}

void read_exabgp(const Reader& r, const toml::table& t, const std::string& path, Route& into) {
  r.reject_unknown(t, path);
  ExabgpSignalConfig& x = into.config.exabgp;
  into.from.exabgp = Where{path, t.source()};
  if (auto pipe = r.optional_path(t, path, "pipe", false)) x.pipe = *pipe;
  read_next_hops_and_communities(r, t, path, x, exabgp_signal_problem);
  if (auto v = r.optional_integer(t, path, "timeout_ms", 1, kMaxSignalTimeoutMs)) x.timeout = Millis(*v);
  if (auto v = r.optional_integer(t, path, "local_as", 1, 4294967295)) x.local_as = static_cast<std::uint32_t>(*v);
}

// [route.up], [route.degraded], [route.draining]: a state's attributes, replacing the inherited
// ones as a whole (a group's table says everything about its state).
RouteAttributes read_attributes(const Reader& r, const toml::table& t, const std::string& path) {
  r.reject_unknown(t, path);
  RouteAttributes a;
  if (auto v = r.optional_integer(t, path, "med", 0, 4294967295)) a.med = static_cast<std::uint32_t>(*v);
  if (auto v = r.optional_integer(t, path, "prepend", 0, 32)) a.prepend = static_cast<unsigned>(*v);
  if (auto v = r.optional_integer(t, path, "local_preference", 0, 4294967295))
    a.local_preference = static_cast<std::uint32_t>(*v);
  if (const toml::array* c = r.optional_array(t, path, "communities")) a.communities = r.strings(*c, join(path, "communities"));
  if (const toml::array* c = r.optional_array(t, path, "large_communities"))
    a.large_communities = r.strings(*c, join(path, "large_communities"));
  return a;
}

void read_frr(const Reader& r, const toml::table& t, const std::string& path, Route& into) {
  r.reject_unknown(t, path);
  auto here = [&](std::string_view key) { return Where{join(path, key), t.get(key)->source()}; };
  FrrSignalConfig& f = into.config.frr;
  into.from.frr = Where{path, t.source()};
  if (auto v = r.optional_path(t, path, "vtysh", false)) f.vtysh = *v;
  if (auto v = r.optional_path(t, path, "vty_socket", true)) f.vty_socket = *v;
  // Each value checked alone, so that the message names the key it is about.
  auto check = [&](std::string_view key, auto set) {
    FrrSignalConfig one;
    one.asn = 1;
    set(one);
    if (Refusal problem = frr_signal_problem(one)) r.fail(here(key), reason(problem.why(), key));
    set(f);
  };
  if (auto v = r.optional_string(t, path, "pathspace")) check("pathspace", [&](FrrSignalConfig& c) { c.pathspace = *v; });
  if (auto v = r.optional_integer(t, path, "asn", 1, 4294967295LL)) f.asn = static_cast<std::uint32_t>(*v);
  if (auto v = r.optional_string(t, path, "route_map")) check("route_map", [&](FrrSignalConfig& c) { c.route_map = *v; });
  if (auto v = r.optional_string(t, path, "gshut_route_map")) {
    check("gshut_route_map", [&](FrrSignalConfig& c) { c.gshut_route_map = *v; });
    into.from.frr_gshut = here("gshut_route_map");
  }
  if (auto v = r.optional_string(t, path, "degraded_route_map")) {
    check("degraded_route_map", [&](FrrSignalConfig& c) { c.degraded_route_map = *v; });
    into.from.frr_degraded = here("degraded_route_map");
  }
  if (auto v = r.optional_integer(t, path, "timeout_ms", 1, kMaxSignalTimeoutMs)) f.timeout = Millis(*v);
}

void read_gobgp(const Reader& r, const toml::table& t, const std::string& path, Route& into) {
  r.reject_unknown(t, path);
  auto here = [&](std::string_view key) { return Where{join(path, key), t.get(key)->source()}; };
  GobgpSignalConfig& g = into.config.gobgp;
  into.from.gobgp = Where{path, t.source()};
  if (auto v = r.optional_path(t, path, "gobgp", false)) g.gobgp = *v;
  if (auto v = r.optional_string(t, path, "api")) {
    GobgpSignalConfig one;
    one.api = *v;
    if (Refusal problem = gobgp_signal_problem(one)) r.fail(here("api"), reason(problem.why(), "api"));
    g.api = *v;
  }
  read_next_hops_and_communities(r, t, path, g, gobgp_signal_problem);
  if (auto v = r.optional_integer(t, path, "timeout_ms", 1, kMaxSignalTimeoutMs)) g.timeout = Millis(*v);
}

// Applies the keys `t` gives over `into`: [route] over the defaults, [group.route] over [route].
void read_route(const Reader& r, const toml::table& t, const std::string& path, Route& into) {
  r.reject_unknown(t, path);
  auto here = [&](std::string_view key) { return Where{join(path, key), t.get(key)->source()}; };
  if (auto signal = r.optional_string(t, path, "signal")) {
    if (*signal == "alias") into.config.signal = SignalKind::alias;
    else if (*signal == "bird") into.config.signal = SignalKind::bird;
    else if (*signal == "exabgp") into.config.signal = SignalKind::exabgp;
    else if (*signal == "frr") into.config.signal = SignalKind::frr;
    else if (*signal == "gobgp") into.config.signal = SignalKind::gobgp;
    else r.fail(here("signal"), "unknown signal " + quote(*signal) + " (expected: alias, bird, exabgp, frr, gobgp)");
  }
  if (auto v = r.optional_integer(t, path, "drain_ms", 0, kMaxDrainMs)) into.config.drain = Millis(*v);
  if (auto v = r.optional_integer(t, path, "soft_drain_ms", 0, kMaxDrainMs)) into.config.soft_drain = Millis(*v);
  if (auto v = r.optional_bool(t, path, "ibgp")) into.config.ibgp = *v;
  for (RouteState state : {RouteState::up, RouteState::degraded, RouteState::draining}) {
    std::string key(to_string(state));
    if (const toml::table* a = r.optional_table(t, path, key)) {
      RouteStateAttributes& all = into.config.attributes;
      (state == RouteState::up ? all.up : state == RouteState::degraded ? all.degraded : all.draining) =
          read_attributes(r, *a, join(path, key));
      into.from.states[static_cast<int>(state)] = Where{join(path, key), a->source()};
    }
  }
  if (auto v = r.optional_bool(t, path, "graceful_shutdown")) {
    into.config.graceful_shutdown = *v;
    into.from.graceful_shutdown = here("graceful_shutdown");
  }
  if (const toml::table* bird = r.optional_table(t, path, "bird")) read_bird(r, *bird, join(path, "bird"), into);
  if (const toml::table* exabgp = r.optional_table(t, path, "exabgp"))
    read_exabgp(r, *exabgp, join(path, "exabgp"), into);
  if (const toml::table* frr = r.optional_table(t, path, "frr")) read_frr(r, *frr, join(path, "frr"), into);
  if (const toml::table* gobgp = r.optional_table(t, path, "gobgp")) read_gobgp(r, *gobgp, join(path, "gobgp"), into);
}

// ---- [[group]] -----------------------------------------------------------------------------

bool valid_group_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxGroupName) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

std::uint32_t all_services(const std::vector<ServiceConfig>& services) {
  std::uint32_t bits = 0;
  for (const ServiceConfig& s : services) bits |= 1u << s.id;
  return bits;
}

std::uint32_t read_group_services(const Reader& r, const toml::table& t, const std::string& path,
                                  const std::vector<ServiceConfig>& configured) {
  const toml::array* list = r.optional_array(t, path, "services");
  if (!list) return all_services(configured);
  std::vector<Where> where;
  std::vector<std::string> names = r.strings(*list, join(path, "services"), &where);
  std::uint32_t bits = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    int id = -1;
    std::string expected;
    for (int s = 0; s < AC_SVC__COUNT; ++s) {
      if (names[i] == ac_service_names[s]) id = s;
      expected += (expected.empty() ? "" : ", ") + std::string(ac_service_names[s]);
    }
    if (id < 0) r.fail(where[i], "unknown service " + quote(names[i]) + " (expected: " + expected + ")");
    if (bits & (1u << id)) r.fail(where[i], quote(names[i]) + " is listed twice");
    bool present =
        std::any_of(configured.begin(), configured.end(), [&](const ServiceConfig& s) { return s.id == id; });
    if (!present)
      r.fail(where[i], quote(names[i]) + " is not configured: add a [services." + names[i] +
                           "] table, or leave it out of this list");
    bits |= 1u << id;
  }
  return bits;
}

Group read_group(const Reader& r, const toml::table& t, std::size_t index, const Config& config,
                 const std::vector<Check>& health_checks, const Route& global_route) {
  Group g;
  std::string path = "group[" + std::to_string(index) + "]";
  g.where = {path, t.source()};
  r.reject_unknown(t, path);

  g.config.name = r.required_string(t, path, "name");
  if (!valid_group_name(g.config.name))
    r.fail(t.get("name")->source(), join(path, "name"),
           quote(g.config.name) + " is not a group name (1 to " + std::to_string(kMaxGroupName) +
               " letters, digits, _ . -)");
  if (g.config.name == "all")
    r.fail(t.get("name")->source(), join(path, "name"), "\"all\" is reserved: `anycastctl drain all` means every group");

  const toml::array* addresses = r.optional_array(t, path, "addresses");
  if (!addresses) r.fail(t.source(), join(path, "addresses"), "missing (a required array of addresses or prefixes)");
  if (addresses->empty()) r.fail(addresses->source(), join(path, "addresses"), "is empty: at least one VIP is needed");
  g.config.addresses = r.prefixes(*addresses, join(path, "addresses"), &g.vip_where);

  g.config.services = read_group_services(r, t, path, config.services);
  if (auto file = r.optional_path(t, path, "disable_file", true)) g.config.disable_file = *file;

  g.checks = health_checks;
  for (Check& c : read_checks(r, t, path, config.health.timing.interval, config.services)) g.checks.push_back(std::move(c));

  g.route = global_route;
  g.route_path = join(path, "route");
  g.route_region = t.source();
  if (const toml::table* route = r.optional_table(t, path, "route")) {
    g.route_region = route->source();
    read_route(r, *route, g.route_path, g.route);
    if (const toml::node* bird = route->get("bird")) g.own_bird = Where{join(g.route_path, "bird"), bird->source()};
    if (const toml::node* exabgp = route->get("exabgp"))
      g.own_exabgp = Where{join(g.route_path, "exabgp"), exabgp->source()};
    if (const toml::node* frr = route->get("frr")) g.own_frr = Where{join(g.route_path, "frr"), frr->source()};
    if (const toml::node* gobgp = route->get("gobgp"))
      g.own_gobgp = Where{join(g.route_path, "gobgp"), gobgp->source()};
  }
  return g;
}

Group flat_group(const Reader& r, const toml::table& root, const Config& config,
                 const std::vector<Check>& health_checks, const Route& global_route) {
  const toml::table* t = r.optional_table(root, "", "anycast");
  if (!t) r.fail(root.source(), "anycast", "missing (a required table, unless [[group]] tables give the addresses)");
  const toml::array* addresses = r.optional_array(*t, "anycast", "addresses");
  if (!addresses)
    r.fail(t->source(), "anycast.addresses",
           "missing (a required array of addresses or prefixes, unless [[group]] tables give them)");
  if (addresses->empty()) r.fail(addresses->source(), "anycast.addresses", "is empty: at least one VIP is needed");

  Group g;
  g.flat = true;
  g.where = {"anycast", t->source()};
  g.config.name = kDefaultGroup;
  g.config.addresses = r.prefixes(*addresses, "anycast.addresses", &g.vip_where);
  g.config.services = all_services(config.services);
  g.checks = health_checks;
  g.route = global_route;
  g.route_path = "route";
  const toml::table* route = r.optional_table(root, "", "route");
  g.route_region = route ? route->source() : root.source();
  return g;
}

// Every VIP of every group together: none reserved, no two overlapping, within the maps.
void check_vips(const Reader& r, const std::vector<Group>& groups, const DatapathConfig& datapath,
                const Where& all) {
  std::vector<std::pair<Prefix, const Where*>> vips;
  for (const Group& g : groups)
    for (std::size_t i = 0; i < g.config.addresses.size(); ++i)
      vips.push_back({g.config.addresses[i], &g.vip_where[i]});

  for (const auto& [vip, where] : vips)
    for (const Reserved& reserved : kReserved) {
      Prefix range = parse_prefix(reserved.prefix);
      if (overlap(range, vip))
        r.fail(*where, vip.str() + " overlaps " + range.str() + " (" + reserved.what +
                           "), which cannot be an anycast address");
    }

  // Sorted, any overlap shows between neighbours: whatever lies between a prefix and one it
  // contains starts inside it too.
  std::vector<std::size_t> order(vips.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t x, std::size_t y) { return std::tie(vips[x].first, x) < std::tie(vips[y].first, y); });
  for (std::size_t k = 1; k < order.size(); ++k) {
    std::size_t first = std::min(order[k - 1], order[k]), second = std::max(order[k - 1], order[k]);
    const Prefix &p = vips[first].first, &q = vips[second].first;
    if (!overlap(p, q)) continue;
    std::string what = p == q ? "duplicates " : "overlaps ";
    r.fail(*vips[second].second, q.str() + " " + what + p.str() + " (" + vips[first].second->path + ", line " +
                                     std::to_string(vips[first].second->region.begin.line) + ")");
  }

  for (int family : {4, 6}) {
    auto count = std::count_if(vips.begin(), vips.end(), [&](const auto& v) { return v.first.family == family; });
    if (static_cast<std::uint64_t>(count) > datapath.vip_max_entries)
      r.fail(all, std::to_string(count) + " IPv" + std::to_string(family) + " VIPs exceed datapath.vip_max_entries (" +
                      std::to_string(datapath.vip_max_entries) + ")");
  }
}

// A tcp check without an address connects to the group's first single-address VIP.
void resolve_checks(const Reader& r, Group& g) {
  auto host = std::find_if(g.config.addresses.begin(), g.config.addresses.end(),
                           [](const Prefix& p) { return p.is_host(); });
  for (Check& c : g.checks) {
    if (c.config.kind == CheckKind::tcp && !c.config.address) {
      if (host == g.config.addresses.end()) {
        std::string whose = g.flat ? "anycast.addresses has"
                            : c.where.path.rfind(g.where.path + ".", 0) == 0 ? "the group has"
                                                                              : g.label() + " has";
        r.fail(c.where.region, join(c.where.path, "address"),
               "missing: " + whose +
                   " only prefix VIPs, so the check needs an address to connect to (one inside a prefix VIP "
                   "works: the whole prefix is local)");
      }
      c.config.address = *host;
    }
    g.config.checks.push_back(c.config);
  }
}

std::string first_of_family(const std::vector<Prefix>& vips, int family) {
  std::size_t n = 0;
  std::string first;
  for (const Prefix& p : vips)
    if (p.family == family && n++ == 0) first = p.str();
  return n > 1 ? first + " and " + std::to_string(n - 1) + " more" : first;
}

bool bird_names_clash(const std::string& a, const std::string& b) {
  return a == b || bird_pattern_match(a, b) || bird_pattern_match(b, a);
}

// What one group's route needs, across keys and across [route] and [group.route].
// Whether the group ever announces the draining state: before a withdrawal (graceful_shutdown)
// or at the start of a soft drain (soft_drain_ms).
bool uses_draining(const RouteConfig& route) { return route.graceful_shutdown || route.soft_drain.count() > 0; }

std::string unused_draining(const Group& g) {
  return std::string("set, but graceful_shutdown is false and soft_drain_ms is 0: set ") +
         (g.flat ? "[route]" : "[group.route]") + " graceful_shutdown = true or soft_drain_ms to use it, or remove it";
}

void check_route(const Reader& r, const Group& g) {
  const RouteConfig& route = g.config.route;
  const RouteOrigins& from = g.route.from;
  auto missing = [&](std::string_view key) { return Where{join(g.route_path, key), g.route_region}; };
  std::string elsewhere_bird = g.flat ? "" : ", here or in [route.bird]";
  std::string elsewhere_exabgp = g.flat ? "" : ", here or in [route.exabgp]";
  std::string signal = quote(to_string(route.signal));

  if (route.signal != SignalKind::bird && g.own_bird)
    r.fail(*g.own_bird, "given, but this group's signal is " + signal + " (set signal = \"bird\" to use it)");
  if (route.signal != SignalKind::exabgp && g.own_exabgp)
    r.fail(*g.own_exabgp, "given, but this group's signal is " + signal + " (set signal = \"exabgp\" to use it)");
  if (route.signal != SignalKind::frr && g.own_frr)
    r.fail(*g.own_frr, "given, but this group's signal is " + signal + " (set signal = \"frr\" to use it)");
  if (route.signal != SignalKind::gobgp && g.own_gobgp)
    r.fail(*g.own_gobgp, "given, but this group's signal is " + signal + " (set signal = \"gobgp\" to use it)");

  for (RouteState state : {RouteState::up, RouteState::degraded, RouteState::draining})
    if (Refusal problem = route_attributes_problem(route.signal, state, route.attributes.of(state), route.ibgp))
      r.fail(from.states[static_cast<int>(state)].value_or(missing(to_string(state))), reason(problem.why()));
  if (route.signal == SignalKind::exabgp && route.exabgp.local_as == 0)
    for (RouteState state : {RouteState::up, RouteState::degraded, RouteState::draining})
      if (route.attributes.of(state).prepend)
        r.fail(from.states[static_cast<int>(state)].value_or(missing(to_string(state))),
               "prepend needs exabgp.local_as: the AS repeated in the AS path" + elsewhere_exabgp);

  switch (route.signal) {
    case SignalKind::alias:
      if (route.graceful_shutdown)
        fail_for(r, *from.graceful_shutdown, g,
                 "the alias signal cannot tag routes: graceful shutdown (RFC 8326) needs signal = \"bird\", "
                 "\"exabgp\", \"frr\" or \"gobgp\"");
      break;

    case SignalKind::bird: {
      const BirdSignalConfig& bird = route.bird;
      if (bird.protocols.empty())
        r.fail(missing("bird.protocol"),
               "missing: signal = \"bird\" needs the BIRD static protocol(s) that carry the group's routes" +
                   elsewhere_bird);
      if (route.graceful_shutdown && bird.gshut_protocols.empty())
        r.fail(missing("bird.gshut_protocol"),
               "missing: graceful_shutdown = true with signal = \"bird\" needs the protocol(s) announcing the "
               "routes tagged GRACEFUL_SHUTDOWN" +
                   elsewhere_bird);
      // Given in the group's own scope and unused (neither graceful shutdown nor a soft drain
      // announces the draining state); inherited ones are checked across all groups.
      if (!uses_draining(route) && !bird.gshut_protocols.empty() && from.bird_gshut &&
          (g.flat || from.bird_gshut->path.rfind(g.where.path + ".", 0) == 0))
        r.fail(*from.bird_gshut, unused_draining(g));
      // A pattern among the plain protocols that matches a tagged one would switch both at once.
      for (const std::string& gshut : bird.gshut_protocols)
        for (const std::string& plain : bird.protocols)
          if (bird_names_clash(gshut, plain))
            fail_for(r, *from.bird_gshut, g,
                     quote(gshut) + (gshut == plain ? " is also" : " matches " + quote(plain)) +
                         " in bird.protocol: the tagged routes need protocols of their own");
      if (Refusal problem = bird_signal_problem(bird)) r.fail(missing("bird"), reason(problem.why()));
      break;
    }

    case SignalKind::exabgp: {
      const ExabgpSignalConfig& x = route.exabgp;
      for (int family : {4, 6}) {
        const std::string& next_hop = family == 4 ? x.next_hop4 : x.next_hop6;
        std::string vips = first_of_family(g.config.addresses, family);
        if (next_hop.empty() && !vips.empty())
          r.fail(missing("exabgp.next_hop" + std::to_string(family)),
                 "missing: the group has IPv" + std::to_string(family) + " VIPs (" + vips +
                     ") and ExaBGP needs this edge's IPv" + std::to_string(family) +
                     " address as their next hop (`next-hop self` sends 0.0.0.0 for IPv6 over an IPv4 session)" +
                     elsewhere_exabgp);
      }
      if (Refusal problem = exabgp_signal_problem(x)) r.fail(missing("exabgp"), reason(problem.why()));
      break;
    }

    case SignalKind::frr: {
      const FrrSignalConfig& f = route.frr;
      std::string elsewhere = g.flat ? "" : ", here or in [route.frr]";
      if (f.asn == 0)
        r.fail(missing("frr.asn"), "missing: signal = \"frr\" needs the AS of bgpd's `router bgp ASN`" + elsewhere);
      if (route.graceful_shutdown && f.gshut_route_map.empty())
        r.fail(missing("frr.gshut_route_map"),
               "missing: graceful_shutdown = true with signal = \"frr\" needs the route-map that tags the routes "
               "GRACEFUL_SHUTDOWN" +
                   elsewhere);
      if (!uses_draining(route) && !f.gshut_route_map.empty() && from.frr_gshut &&
          (g.flat || from.frr_gshut->path.rfind(g.where.path + ".", 0) == 0))
        r.fail(*from.frr_gshut, unused_draining(g));
      if (!f.gshut_route_map.empty() && f.gshut_route_map == f.route_map)
        fail_for(r, *from.frr_gshut, g, "is also route_map: the tagged routes need a route-map of their own");
      // The same route-map would announce degraded as up, or tag it GRACEFUL_SHUTDOWN.
      for (auto [other, name] : {std::pair{&f.route_map, "route_map"}, std::pair{&f.gshut_route_map, "gshut_route_map"}})
        if (!f.degraded_route_map.empty() && f.degraded_route_map == *other)
          fail_for(r, *from.frr_degraded, g,
                   std::string("is also ") + name + ": the degraded routes need a route-map of their own");
      if (Refusal problem = frr_signal_problem(f)) r.fail(missing("frr"), reason(problem.why()));
      break;
    }

    case SignalKind::gobgp: {
      const GobgpSignalConfig& x = route.gobgp;
      std::string elsewhere = g.flat ? "" : ", here or in [route.gobgp]";
      for (int family : {4, 6}) {
        const std::string& next_hop = family == 4 ? x.next_hop4 : x.next_hop6;
        std::string vips = first_of_family(g.config.addresses, family);
        if (next_hop.empty() && !vips.empty())
          r.fail(missing("gobgp.next_hop" + std::to_string(family)),
                 "missing: the group has IPv" + std::to_string(family) + " VIPs (" + vips +
                     ") and GoBGP needs this edge's IPv" + std::to_string(family) + " address as their next hop" +
                     elsewhere);
      }
      if (Refusal problem = gobgp_signal_problem(x)) r.fail(missing("gobgp"), reason(problem.why()));
      break;
    }
  }
}

// Groups on one BIRD must not share a protocol: enabling one group's would announce the other's
// VIPs, and disabling it withdraw them.
void check_bird_clashes(const Reader& r, const std::vector<Group>& groups) {
  auto names = [](const Group& g) {
    std::vector<std::pair<std::string, const std::optional<Where>*>> out;
    for (const std::string& p : g.config.route.bird.protocols) out.push_back({p, &g.route.from.bird_protocol});
    if (g.config.route.graceful_shutdown)
      for (const std::string& p : g.config.route.bird.gshut_protocols) out.push_back({p, &g.route.from.bird_gshut});
    return out;
  };
  for (std::size_t j = 0; j < groups.size(); ++j) {
    if (groups[j].config.route.signal != SignalKind::bird) continue;
    for (std::size_t i = 0; i < j; ++i) {
      if (groups[i].config.route.signal != SignalKind::bird ||
          groups[i].config.route.bird.socket != groups[j].config.route.bird.socket)
        continue;
      for (const auto& [mine, where] : names(groups[j]))
        for (const auto& other : names(groups[i]))
          if (const std::string& theirs = other.first; bird_names_clash(mine, theirs)) {
            std::string same = mine == theirs ? quote(mine) : quote(mine) + " and " + quote(theirs);
            r.fail(**where, groups[j].label() + " and " + groups[i].label() + " would both switch " + same +
                                " on BIRD " + groups[j].config.route.bird.socket +
                                ": each group needs protocols of its own, or one group's announcement would "
                                "announce the other's VIPs");
          }
    }
  }
}

// [route.bird] / [route.exabgp] and the graceful-shutdown protocols given for every group but
// used by none: most likely a forgotten `signal`, which would otherwise silently mean alias.
void check_unused(const Reader& r, const Route& global, const std::vector<Group>& groups, bool flat) {
  auto any = [&](auto predicate) { return std::any_of(groups.begin(), groups.end(), predicate); };
  // A routing daemon's table that no group's signal reads.
  for (auto [kind, where] : {std::pair{SignalKind::bird, &global.from.bird}, std::pair{SignalKind::exabgp, &global.from.exabgp},
                             std::pair{SignalKind::frr, &global.from.frr}, std::pair{SignalKind::gobgp, &global.from.gobgp}}) {
    if (!*where || any([kind = kind](const Group& g) { return g.config.route.signal == kind; })) continue;
    std::string name = quote(to_string(kind));
    r.fail(**where, flat ? "given, but route.signal is " + quote(to_string(groups[0].config.route.signal)) +
                               " (set signal = " + name + " to use it)"
                         : "given, but no group uses signal = " + name);
  }
  if (global.from.bird_gshut && !global.config.bird.gshut_protocols.empty() &&
      !any([](const Group& g) {
        return g.config.route.signal == SignalKind::bird && uses_draining(g.config.route) &&
               !g.config.route.bird.gshut_protocols.empty();
      }))
    r.fail(*global.from.bird_gshut,
           "set, but no group using the bird signal has graceful_shutdown = true or soft_drain_ms: set one in "
           "[route] to use these protocols, or remove them");
}

}  // namespace

void read_groups(const Reader& r, const toml::table& root, Config& config) {
  auto [health, health_checks] = read_health(r, root, config.services);
  config.health = std::move(health);

  Route global;
  if (const toml::table* route = r.optional_table(root, "", "route")) read_route(r, *route, "route", global);

  std::vector<Group> groups;
  Where all;
  bool flat = !root.get("group");
  if (flat) {
    groups.push_back(flat_group(r, root, config, health_checks, global));
    const toml::node* addresses = root.get("anycast")->as_table()->get("addresses");
    all = {"anycast.addresses", addresses->source()};
  } else {
    const toml::table* anycast = root.get("anycast") ? root.get("anycast")->as_table() : nullptr;
    if (const toml::node* addresses = anycast ? anycast->get("addresses") : nullptr)
      r.fail(addresses->source(), "anycast.addresses",
             "not allowed together with [[group]] (line " + std::to_string(root.get("group")->source().begin.line) +
                 "): each group lists its own addresses; move these into a group, or remove the [[group]] tables "
                 "for the single-group form");
    const toml::array* array = array_of_tables(r, root, "", "group");
    if (array->empty()) r.fail(array->source(), "group", "is empty: at least one group is needed");
    all = {"group", array->source()};
    for (std::size_t i = 0; i < array->size(); ++i) {
      Group g = read_group(r, *(*array)[i].as_table(), i, config, health_checks, global);
      for (const Group& other : groups)
        if (other.config.name == g.config.name)
          r.fail(Where{join(g.where.path, "name"), (*array)[i].as_table()->get("name")->source()},
                 quote(g.config.name) + " is already the name of " + other.where.path + " (line " +
                     std::to_string(other.where.region.begin.line) + ")");
      groups.push_back(std::move(g));
    }
  }

  check_vips(r, groups, config.datapath, all);
  for (Group& g : groups) {
    g.config.route = g.route.config;
    g.config.timing = config.health.timing;
    g.config.timing.drain = g.config.route.drain;
    g.config.timing.soft_drain = g.config.route.soft_drain;
    resolve_checks(r, g);
    check_route(r, g);
  }
  check_bird_clashes(r, groups);
  check_unused(r, global, groups, flat);

  config.route = global.config;
  config.anycast.addresses.clear();
  for (Group& g : groups) {
    config.anycast.addresses.insert(config.anycast.addresses.end(), g.config.addresses.begin(),
                                    g.config.addresses.end());
    config.groups.push_back(std::move(g.config));
  }
}

}  // namespace anycastd::config_detail
