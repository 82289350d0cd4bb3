// SPDX-License-Identifier: Apache-2.0
// The route signals against real routing daemons, in throwaway network namespaces:
//
//   router namespace: BIRD 2 from examples/bird/router.conf, installing what it learns in its
//                     kernel table
//   edge namespace:   BIRD 2 from examples/bird/edge.conf, ExaBGP 4.2 from
//                     examples/exabgp/exabgp.conf, FRR 8.4 (zebra + bgpd) from
//                     examples/frr/frr.conf or GoBGP 3 from examples/gobgp/gobgpd.toml, told what
//                     to announce by the signal under test
//
// joined by a veth pair (198.51.100.1|2/24, 2001:db8:100::1|2/64; VIPs 192.0.2.10/32 and
// 2001:db8::10/128), all as in the examples, which are run as they are except for logging to
// stderr instead of syslog. The router's kernel table (`ip -n ROUTER route`) is the judge. The
// measured times are printed, never asserted. Needs root; skipped without it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "lab.h"
#include "route/bird_client.h"
#include "route/bird_signal.h"
#include "route/exabgp_signal.h"
#include "route/frr_signal.h"
#include "route/gobgp_signal.h"

#ifndef ROUTE_EXAMPLES_DIR
#error "ROUTE_EXAMPLES_DIR must name the examples/ directory"
#endif

using namespace anycastd;
using namespace route_lab;
using namespace std::chrono_literals;
using testing::HasSubstr;
using testing::Not;
using testing::ContainsRegex;

namespace {

using steady = std::chrono::steady_clock;

double ms_since(steady::time_point t) { return std::chrono::duration<double, std::milli>(steady::now() - t).count(); }

void measure(const std::string& what, double ms) {
  std::printf("[measure] %-52s %8.1f ms\n", what.c_str(), ms);
  std::fflush(stdout);
}

std::string example(const std::string& name) { return std::string(ROUTE_EXAMPLES_DIR) + "/" + name; }

const Prefix kVip4 = parse_prefix("192.0.2.10/32");
const Prefix kVip6 = parse_prefix("2001:db8::10/128");
const Prefix kVip4b = parse_prefix("192.0.2.11/32");

RouteGroup lab_group() { return {"lab", {kVip4, kVip6}}; }

// The attributes of the degraded and draining states in the lab, as anycastd's [route.degraded]
// and [route.draining] would give them (ExaBGP, GoBGP). BIRD's and FRR's configs in examples/
// set the same values in their per-state protocols and route-maps.
RouteAttributes lab_attributes(RouteState state) {
  RouteAttributes a;
  if (state == RouteState::degraded) {
    a.med = 500;
    a.prepend = 2;
    a.communities = {"65001:666"};
    a.large_communities = {"65001:1:2"};
  } else if (state == RouteState::draining) {
    a.med = 1000;
    a.prepend = 3;
    a.communities = {"65001:999"};
    a.large_communities = {"65001:1:3"};
    a = with_graceful_shutdown(a);
  }
  return a;
}
RouteAttributes no_attributes(RouteState) { return {}; }

// What the router's BIRD shows for each state (`show route all`, its lines joined with "; "),
// written from the values above, not from the signals' code: a marker to wait for, then every
// attribute. Over eBGP the edge's AS 65001 comes once plus once per prepend.
struct StateAtTheRouter {
  RouteState state;
  std::string marker;
  std::vector<std::string> expected;  // extended regular expressions
};
const std::vector<StateAtTheRouter> kStatesAtTheRouter = {
    {RouteState::degraded,
     "BGP.med: 500",
     {"BGP\\.med: 500(;|$)", "BGP\\.as_path: 65001 65001 65001(;|$)", "BGP\\.community:[^;]*\\(65001,666\\)", "BGP\\.large_community: \\(65001, ?1, ?2\\)(;|$)"}},
    {RouteState::draining,
     "BGP.med: 1000",
     {"BGP\\.med: 1000(;|$)", "BGP\\.as_path: 65001 65001 65001 65001(;|$)", "BGP\\.community:[^;]*\\(65535,0\\)",
      "BGP\\.community:[^;]*\\(65001,999\\)",
      "BGP\\.large_community: \\(65001, ?1, ?3\\)(;|$)", "BGP\\.local_pref: 0(;|$)"}},
};

// Local preference over iBGP, at the router: the degraded and draining values of the lab
// (examples/bird/edge.conf, examples/frr/frr.conf and ibgp_attributes() below set them), and
// BGP's default in up. Written from those values, not from the signals' code.
struct LocalPreferenceAtTheRouter {
  RouteState state;
  std::string pattern;  // extended regular expression
};
const std::vector<LocalPreferenceAtTheRouter> kLocalPreferenceAtTheRouter = {
    {RouteState::degraded, "BGP\\.local_pref: 50(;|$)"},
    {RouteState::draining, "BGP\\.local_pref: 10(;|$)"},
};
const std::string kDefaultLocalPreference = "BGP\\.local_pref: 100(;|$)";

// What anycastd passes over iBGP (ExaBGP, GoBGP): the lab's attributes and the local preference.
RouteAttributes ibgp_attributes(RouteState state) {
  RouteAttributes a = lab_attributes(state);
  if (state == RouteState::degraded) a.local_preference = 50;
  if (state == RouteState::draining) a.local_preference = 10;
  return a;
}

// The edge's BGP session to the router: eBGP as in the examples (router AS 65000, edge 65001),
// or iBGP, the router in the edge's AS 65001 (the examples with that one number changed).
enum class Session { ebgp, ibgp };

class Topology {
 public:
  explicit Topology(Session session = Session::ebgp) : session_(session) {
    must(router_.ip("link add rt0 type veth peer name ed0 netns " + edge_.name()));
    must(router_.ip("addr add 198.51.100.1/24 dev rt0"));
    must(router_.ip("addr add 2001:db8:100::1/64 dev rt0 nodad"));
    must(edge_.ip("addr add 198.51.100.2/24 dev ed0"));
    must(edge_.ip("addr add 2001:db8:100::2/64 dev ed0 nodad"));
    must(router_.ip("link set rt0 up"));
    must(edge_.ip("link set ed0 up"));
    std::string router_conf = example("bird/router.conf");
    if (session_ == Session::ibgp) {
      // iBGP is multihop to BIRD unless told otherwise: `direct` takes the next hops as they come.
      // The states' prepends put the router's own AS in the path, which it would drop as a loop
      // (seen here with BIRD 2.0.12): `allow local as 3` takes draining's three prepends from
      // every signal (ExaBGP's too: over iBGP anycastd writes no own AS in front). Without
      // RFC 8326's rule (local preference 0 for tagged routes), so that the local preference in
      // draining is the one the edge sent.
      router_conf = dir_ / "router-ibgp.conf";
      std::string text = replace_all(read_file(example("bird/router.conf")), "\tlocal as 65000;",
                                     "\tlocal as 65001;\n\tdirect;\n\tallow local as 3;");
      write_file(router_conf, replace_all(text, "\tif (65535, 0) ~ bgp_community then bgp_local_pref = 0;\n", ""));
    }
    router_bird_ = start_bird(router_, "router", router_conf);
  }

  const Netns& edge() const { return edge_; }
  const TempDir& dir() const { return dir_; }
  std::string router_socket() const { return dir_ / "router.ctl"; }
  std::string edge_socket() const { return dir_ / "edge.ctl"; }

  void start_edge_bird() {
    edge_daemon_ = start_bird(edge_, "edge",
                              for_session("bird/edge.conf", "\tneighbor 198.51.100.1 as 65000;",
                                          "\tneighbor 198.51.100.1 as 65001;\n\tdirect;"));
  }

  // ExaBGP finds its pipes only at start: they are made first, under a --root of our own and
  // with a name of our own, so nothing outside the temporary directory is touched.
  std::string start_edge_exabgp() {
    exabgp_pipename_ = unique_name("x");
    must("mkdir -p " + (dir_ / "run/exabgp"));
    std::string base = dir_ / ("run/exabgp/" + exabgp_pipename_);
    must("mkfifo -m 0600 " + base + ".in " + base + ".out");
    run_exabgp();
    return base;
  }
  // Stops the edge's daemon (SIGTERM, as a service manager would) and starts it again.
  void stop_edge() { edge_daemon_.reset(); }
  void restart_edge_bird() { start_edge_bird(); }
  void restart_edge_exabgp() { run_exabgp(); }

  // FRR's zebra and bgpd, started directly (no watchfrr) with everything in a directory of our
  // own: config, pid files, the zebra socket and the vty sockets vtysh talks to (--vty_socket).
  // They drop privileges to user frr, which must be able to make its sockets there. No TCP vty.
  // Returns the vty socket directory.
  std::string start_edge_frr() {
    std::string frr = dir_ / "frr";
    must("mkdir -p " + frr + " && chown frr:frr " + frr + " && chmod 0755 " + dir_.path());
    write_file(frr + "/frr.conf",
               replace_all(read_file(for_session("frr/frr.conf", "remote-as 65000", "remote-as 65001")),
                           "log syslog informational", "log stdout informational"));
    edge_zebra_ = std::make_unique<Child>(frr_argv("zebra", {"-f", "/dev/null"}), dir_ / "zebra.log");
    if (!wait_until([&] { return ::access((frr + "/zserv.api").c_str(), F_OK) == 0; }, 10s, 20ms))
      throw std::runtime_error("zebra did not come up:\n" + logs());
    restart_edge_frr();
    return frr;
  }
  // bgpd that opens its session before zebra told it the interfaces resets it ("nexthop_set
  // failed, resetting connection") and the router's BIRD then waits out its error wait time
  // (60 s): seen here under load. So once bgpd is zebra's client, the router's side of the
  // session is restarted, which also ends a wait that may have begun.
  void restart_edge_frr() {
    std::string frr = dir_ / "frr";
    edge_daemon_ = std::make_unique<Child>(frr_argv("bgpd", {"-f", frr + "/frr.conf"}), dir_ / "bgpd.log");
    bool ready = wait_until(
        [&] {
          auto r = run("vtysh --vty_socket " + frr + " -d zebra -c 'show zebra client summary' 2>&1");
          return r.status == 0 && r.output.find("bgp") != std::string::npos &&
                 run("vtysh --vty_socket " + frr + " -d bgpd -c 'show version' 2>&1").status == 0;
        },
        10s, 50ms);
    if (!ready) throw std::runtime_error("bgpd did not come up:\n" + logs());
    ask_router("restart \"edge1\"");
  }

  // gobgpd with its API on a unix socket in our directory (reachable from outside the edge's
  // namespace, as a path). Returns the API target.
  std::string start_edge_gobgp() {
    restart_edge_gobgp();
    return "unix://" + (dir_ / "gobgpd.sock");
  }
  void restart_edge_gobgp() {
    // gobgpd does not remove a socket left by a predecessor that was killed: its listen fails.
    ::unlink((dir_ / "gobgpd.sock").c_str());
    std::string conf = for_session("gobgp/gobgpd.toml", "peer-as = 65000", "peer-as = 65001");
    edge_daemon_ = std::make_unique<Child>(
        std::vector<std::string>{"ip", "netns", "exec", edge_.name(), "gobgpd", "-f", conf,
                                 "--api-hosts", "unix://" + (dir_ / "gobgpd.sock"), "--pprof-disable"},
        dir_ / "gobgpd.log");
    bool ready = wait_until(
        [&] { return run("gobgp --target unix://" + (dir_ / "gobgpd.sock") + " neighbor 2>&1").status == 0; }, 10s,
        50ms);
    if (!ready) throw std::runtime_error("gobgpd did not come up:\n" + logs());
  }

  // The edge's routing daemon (bgpd for FRR) killed with `sig`, as a crash would, and reaped.
  void kill_edge(int sig) {
    ::kill(-edge_daemon_->pid(), sig);
    edge_daemon_.reset();
  }
  pid_t edge_pid() const { return edge_daemon_->pid(); }

  bool router_has(const Prefix& p) const {
    auto out = run(router_.ip(std::string(p.family == 6 ? "-6 " : "-4 ") + "route show " + p.str())).output;
    return out.find(p.address()) != std::string::npos;
  }
  bool router_has_all(const std::vector<Prefix>& ps) const {
    for (const Prefix& p : ps)
      if (!router_has(p)) return false;
    return true;
  }
  bool router_has_none(const std::vector<Prefix>& ps) const {
    for (const Prefix& p : ps)
      if (router_has(p)) return false;
    return true;
  }

  // The router's BIRD, asked directly.
  BirdReply ask_router(const std::string& command) const {
    BirdSession s(router_socket(), posix_io::deadline_in(2s));
    return s.command(command);
  }
  bool session_up() const {
    auto rows = parse_bird_protocols(ask_router("show protocols \"edge1\"").rows(1002));
    return rows.size() == 1 && rows[0].state == "up";
  }
  bool bfd_up() const { return ask_router("show bfd sessions").text().find(" Up ") != std::string::npos; }
  std::string router_route(const Prefix& p) const { return ask_router("show route for " + p.str() + " all").text(); }

  std::string logs() const {
    std::string out;
    for (const char* name : {"router.log", "edge.log", "exabgp.log", "zebra.log", "bgpd.log", "gobgpd.log"}) {
      auto r = run("tail -n 30 " + (dir_ / name) + " 2>/dev/null");
      if (!r.output.empty()) out += std::string("--- ") + name + "\n" + r.output;
    }
    return out;
  }

 private:
  // The edge's example as the session needs it: as it is over eBGP; over iBGP a copy in our
  // directory with the router's AS (`from`) made the edge's (`to`).
  std::string for_session(const std::string& name, const std::string& from, const std::string& to) const {
    if (session_ == Session::ebgp) return example(name);
    std::string conf = dir_ / ("ibgp-" + name.substr(name.find('/') + 1));
    write_file(conf, replace_all(read_file(example(name)), from, to));
    return conf;
  }

  std::vector<std::string> frr_argv(const std::string& daemon, const std::vector<std::string>& extra) const {
    std::string frr = dir_ / "frr";
    std::vector<std::string> argv{"ip", "netns", "exec", edge_.name(), "/usr/lib/frr/" + daemon,
                                  "-u", "frr", "-g", "frr", "--vty_socket", frr, "-z", frr + "/zserv.api",
                                  "-i", frr + "/" + daemon + ".pid", "-P", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  void run_exabgp() {
    edge_daemon_ = std::make_unique<Child>(
        std::vector<std::string>{"ip", "netns", "exec", edge_.name(), "env", "exabgp.api.pipename=" + exabgp_pipename_,
                                 "exabgp.daemon.user=root", "exabgp.daemon.daemonize=false",
                                 "exabgp.log.destination=stdout", "exabgp", "--root", dir_.path(),
                                 for_session("exabgp/exabgp.conf", "peer-as 65000;", "peer-as 65001;")},
        dir_ / "exabgp.log");
  }

  std::unique_ptr<Child> start_bird(const Netns& ns, const std::string& role, const std::string& conf_template) {
    std::string conf = dir_ / (role + ".conf");
    write_file(conf, replace_all(read_file(conf_template), "log syslog all;", "log stderr all;"));
    std::string socket = dir_ / (role + ".ctl");
    auto child = std::make_unique<Child>(
        std::vector<std::string>{"ip", "netns", "exec", ns.name(), "bird", "-f", "-c", conf, "-s", socket, "-P",
                                 dir_ / (role + ".pid")},
        dir_ / (role + ".log"));
    bool ready = wait_until(
        [&] {
          try {
            BirdSession s(socket, posix_io::deadline_in(500ms));
            return true;
          } catch (const RouteSignalError&) {
            return false;
          }
        },
        10s, 20ms);
    if (!ready) throw std::runtime_error("BIRD (" + role + ") did not come up:\n" + logs());
    return child;
  }

  Session session_;
  TempDir dir_;
  Netns router_{unique_name("r")};
  Netns edge_{unique_name("e")};
  std::unique_ptr<Child> router_bird_;
  std::unique_ptr<Child> edge_zebra_;
  std::unique_ptr<Child> edge_daemon_;
  std::string exabgp_pipename_;
};

class RouteLab : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_FAIL() << "needs root for network namespaces";
    for (const char* tool : {"ip", "bird"})
      if (!have_program(tool)) GTEST_FAIL() << tool << " is not installed (scripts/deps.sh installs it)";
    static bool swept = false;
    if (!swept) sweep_stale_labs();
    swept = true;
    lab_ = std::make_unique<Topology>(session_);
  }
  void TearDown() override {
    if (HasFailure() && lab_) std::printf("%s", lab_->logs().c_str());
  }

  // Until the router's session to the edge is up: the time the signal tests start from.
  void wait_for_session() {
    auto t0 = steady::now();
    ASSERT_TRUE(wait_until([&] { return lab_->session_up(); }, 30s, 20ms)) << "BGP session never came up";
    measure("BGP session up after", ms_since(t0));
  }

  // Polls the router until every VIP is present (or absent); prints when each one got there.
  bool wait_routes(const std::vector<Prefix>& vips, bool present, steady::time_point t0, const std::string& label) {
    std::vector<double> at(vips.size(), -1);
    bool done = wait_until(
        [&] {
          bool all = true;
          for (std::size_t i = 0; i < vips.size(); ++i) {
            if (at[i] >= 0) continue;
            if (lab_->router_has(vips[i]) == present)
              at[i] = ms_since(t0);
            else
              all = false;
          }
          return all;
        },
        15s, 1ms);
    std::string each;
    for (std::size_t i = 0; i < vips.size(); ++i) each += " " + vips[i].str() + "@" + std::to_string(int(at[i]));
    std::printf("           %s%s\n", label.c_str(), each.c_str());
    return done;
  }

  // Announce, wait for the routes at the router, withdraw, wait for them to go; timed.
  void cycle(RouteSignal& signal, const RouteGroup& group, const std::string& label) {
    auto t0 = steady::now();
    signal.announce(group, RouteState::up, {});
    double call = ms_since(t0);
    ASSERT_TRUE(wait_routes(group.vips, true, t0, "announced (ms):")) << "routes never reached the router";
    measure(label + " announce -> routes at router", ms_since(t0));
    measure(label + "   (announce() call)", call);

    auto t1 = steady::now();
    signal.withdraw(group);
    call = ms_since(t1);
    ASSERT_TRUE(wait_routes(group.vips, false, t1, "withdrawn (ms):")) << "routes never left the router";
    measure(label + " withdraw -> routes gone", ms_since(t1));
    measure(label + "   (withdraw() call)", call);
  }

  // The whole RFC 8326 sequence: announced, tagged (the router lowers the preference), withdrawn.
  void graceful_sequence(RouteSignal& signal, const RouteGroup& group, const std::string& label) {
    ASSERT_TRUE(signal.carries(RouteState::draining));
    signal.announce(group, RouteState::up, {});
    ASSERT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));
    EXPECT_THAT(lab_->router_route(kVip4), Not(HasSubstr("(65535,0)")));

    auto t0 = steady::now();
    signal.announce(group, RouteState::draining, with_graceful_shutdown({}));
    bool tagged = wait_until(
        [&] {
          for (const Prefix& p : group.vips)
            if (lab_->router_route(p).find("(65535,0)") == std::string::npos) return false;
          return true;
        },
        15s, 2ms);
    ASSERT_TRUE(tagged) << lab_->router_route(kVip4);
    measure(label + " graceful_shutdown -> tagged at router", ms_since(t0));
    std::string route = lab_->router_route(kVip6);
    EXPECT_THAT(route, HasSubstr("BGP.local_pref: 0")) << "router.conf lowers tagged routes";
    EXPECT_TRUE(lab_->router_has_all(group.vips)) << "tagged routes are still routes";
    SignalProbe p = signal.probe(group);
    EXPECT_TRUE(p.graceful_shutdown) << p.detail;
    EXPECT_EQ(p.announced, Announced::yes) << p.detail;

    auto t1 = steady::now();
    signal.withdraw(group);
    ASSERT_TRUE(wait_until([&] { return lab_->router_has_none(group.vips); }, 15s, 1ms));
    measure(label + " withdraw (tagged) -> routes gone", ms_since(t1));

    // Back up: announced untagged again.
    signal.announce(group, RouteState::up, {});
    ASSERT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));
    EXPECT_TRUE(wait_until([&] { return lab_->router_route(kVip4).find("(65535,0)") == std::string::npos; }, 5s, 5ms));
    p = signal.probe(group);
    EXPECT_FALSE(p.graceful_shutdown) << p.detail;
    signal.withdraw(group);
  }

  // Each state's attributes arrive at the router for every VIP, moving between states never
  // withdraws the routes, and back in up the state's attributes are gone. `given`: what anycastd
  // passes for a state (ExaBGP, GoBGP); BIRD and FRR take them from their config instead, which
  // sets the same values (examples/bird/edge.conf, examples/frr/frr.conf). `own_community`: the
  // edge's community of every state ("(65001,100)"; BIRD's edge.conf has none), which stays.
  void attributes_arrive(RouteSignal& signal, const std::function<RouteAttributes(RouteState)>& given,
                         const std::string& own_community, const std::string& label) {
    RouteGroup group = lab_group();
    signal.announce(group, RouteState::up, {});
    ASSERT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms)) << lab_->logs();
    // Not a structured binding: the lambdas below capture the fields (clang refuses bindings there).
    for (const StateAtTheRouter& s : kStatesAtTheRouter) {
      RouteState state = s.state;
      const std::string& marker = s.marker;
      ASSERT_TRUE(signal.carries(state)) << to_string(state);
      auto t0 = steady::now();
      signal.announce(group, state, given(state));
      ASSERT_TRUE(wait_until(
          [&] {
            for (const Prefix& vip : group.vips)
              if (lab_->router_route(vip).find(marker) == std::string::npos) return false;
            return true;
          },
          15s, 2ms))
          << to_string(state) << ": " << lab_->router_route(kVip4);
      measure(label + " " + std::string(to_string(state)) + " -> attributes at router", ms_since(t0));
      for (const Prefix& vip : group.vips) {
        std::string route = lab_->router_route(vip);
        for (const std::string& pattern : s.expected)
          EXPECT_THAT(route, ContainsRegex(pattern)) << to_string(state) << ", " << vip.str() << ":\n" << route;
        if (!own_community.empty()) EXPECT_THAT(route, HasSubstr(own_community)) << route;
      }
      EXPECT_TRUE(lab_->router_has_all(group.vips));
      signal.announce(group, RouteState::up, {});
      ASSERT_TRUE(wait_until([&] { return lab_->router_route(kVip4).find(marker) == std::string::npos; }, 15s, 2ms))
          << "back to up: " << lab_->router_route(kVip4);
      std::string up = lab_->router_route(kVip4);
      EXPECT_THAT(up, HasSubstr("BGP.as_path: 65001;")) << "up prepends nothing: " << up;
      EXPECT_THAT(up, Not(HasSubstr("BGP.large_community"))) << up;
      if (!own_community.empty()) EXPECT_THAT(up, HasSubstr(own_community)) << up;
    }
    signal.withdraw(group);
    EXPECT_TRUE(wait_until([&] { return lab_->router_has_none(group.vips); }, 15s, 1ms));
  }

  // Over iBGP (the router in the edge's AS) each state's local preference arrives at the router
  // for every VIP, and back in up BGP's default. `given` as for attributes_arrive(). Where
  // anycastd passes it (ExaBGP, GoBGP), the config check takes it over iBGP only.
  void local_preference_arrives(RouteSignal& signal, const std::function<RouteAttributes(RouteState)>& given,
                                const std::string& label) {
    RouteGroup group = lab_group();
    auto every_vip = [&](const std::string& pattern) {
      for (const Prefix& vip : group.vips)
        if (!testing::Matches(ContainsRegex(pattern))(lab_->router_route(vip))) return false;
      return true;
    };
    auto routes = [&] { return lab_->router_route(kVip4) + lab_->router_route(kVip6); };
    signal.announce(group, RouteState::up, {});
    ASSERT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms)) << lab_->logs();
    ASSERT_TRUE(wait_until([&] { return every_vip(kDefaultLocalPreference); }, 15s, 2ms)) << "up:\n" << routes();
    // Not a structured binding: the lambdas below capture the fields (clang refuses bindings there).
    for (const LocalPreferenceAtTheRouter& s : kLocalPreferenceAtTheRouter) {
      RouteState state = s.state;
      const std::string& pattern = s.pattern;
      ASSERT_TRUE(signal.carries(state)) << to_string(state);
      RouteAttributes attributes = given(state);
      if (attributes.local_preference) {
        EXPECT_FALSE(route_attributes_problem(signal.kind(), state, attributes, true));
        EXPECT_TRUE(route_attributes_problem(signal.kind(), state, attributes, false)) << "refused over eBGP";
      }
      auto t0 = steady::now();
      signal.announce(group, state, attributes);
      ASSERT_TRUE(wait_until([&] { return every_vip(pattern); }, 15s, 2ms)) << to_string(state) << ":\n" << routes();
      measure(label + " " + std::string(to_string(state)) + " -> local preference at router", ms_since(t0));
      EXPECT_TRUE(lab_->router_has_all(group.vips));
      signal.announce(group, RouteState::up, {});
      ASSERT_TRUE(wait_until([&] { return every_vip(kDefaultLocalPreference); }, 15s, 2ms))
          << "back to up:\n" << routes();
    }
    signal.withdraw(group);
    EXPECT_TRUE(wait_until([&] { return lab_->router_has_none(group.vips); }, 15s, 1ms));
  }

  // A VIP that a reload took out of the group leaves the router on the next announcement.
  void vip_leaving_is_withdrawn(RouteSignal& signal) {
    RouteGroup group{"lab", {kVip4, kVip4b, kVip6}};
    signal.announce(group, RouteState::up, {});
    ASSERT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));
    group.vips = {kVip4, kVip6};
    signal.announce(group, RouteState::up, {});
    EXPECT_TRUE(wait_until([&] { return !lab_->router_has(kVip4b); }, 15s, 1ms));
    EXPECT_TRUE(lab_->router_has_all(group.vips));
    signal.withdraw(group);
    EXPECT_TRUE(wait_until([&] { return lab_->router_has_none({kVip4, kVip4b, kVip6}); }, 15s, 1ms));
  }

  Session session_ = Session::ebgp;
  std::unique_ptr<Topology> lab_;
};

class BirdLab : public RouteLab {
 protected:
  void SetUp() override {
    RouteLab::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    lab_->start_edge_bird();
    wait_for_session();
  }
  BirdSignalConfig config() const {
    return {lab_->edge_socket(),
            {"anycast_vips4", "anycast_vips6"},
            {"anycast_vips4_gshut", "anycast_vips6_gshut"},
            2000ms,
            {"anycast_vips4_degraded", "anycast_vips6_degraded"}};
  }
};

class ExabgpLab : public RouteLab {
 protected:
  void SetUp() override {
    RouteLab::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!have_program("exabgp")) GTEST_FAIL() << "exabgp is not installed (scripts/deps.sh installs it)";
    base_ = lab_->start_edge_exabgp();
    wait_for_session();
  }
  ExabgpSignalConfig config() const {
    ExabgpSignalConfig c;
    c.pipe = base_;
    c.next_hop4 = "198.51.100.2";
    c.next_hop6 = "2001:db8:100::2";
    c.communities = {"65001:100"};
    c.timeout = 3000ms;
    return c;
  }
  std::string base_;
};

class FrrLab : public RouteLab {
 protected:
  void SetUp() override {
    RouteLab::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* tool : {"vtysh", "/usr/lib/frr/bgpd"})
      if (!have_program(tool)) GTEST_FAIL() << tool << " is not installed (scripts/deps.sh installs frr)";
    vty_ = lab_->start_edge_frr();
    wait_for_session();
  }
  FrrSignalConfig config() const {
    FrrSignalConfig c;
    c.vty_socket = vty_;
    c.asn = 65001;
    c.route_map = "anycast";
    c.gshut_route_map = "anycast-gshut";
    c.degraded_route_map = "anycast-degraded";
    c.timeout = 3000ms;
    return c;
  }
  std::string vty_;
};

class GobgpLab : public RouteLab {
 protected:
  void SetUp() override {
    RouteLab::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* tool : {"gobgp", "gobgpd"})
      if (!have_program(tool)) GTEST_FAIL() << tool << " is not installed (scripts/deps.sh installs gobgpd)";
    api_ = lab_->start_edge_gobgp();
    wait_for_session();
  }
  GobgpSignalConfig config() const {
    GobgpSignalConfig c;
    c.api = api_;
    c.next_hop4 = "198.51.100.2";
    c.next_hop6 = "2001:db8:100::2";
    c.communities = {"65001:100"};
    c.timeout = 3000ms;
    return c;
  }
  std::string api_;
};

// The same edges, iBGP to a router in their own AS (Topology's iBGP variants of the examples).
template <class Lab>
class Ibgp : public Lab {
 protected:
  Ibgp() { this->session_ = Session::ibgp; }
};
using BirdIbgpLab = Ibgp<BirdLab>;
using ExabgpIbgpLab = Ibgp<ExabgpLab>;
using FrrIbgpLab = Ibgp<FrrLab>;
using GobgpIbgpLab = Ibgp<GobgpLab>;

}  // namespace

TEST_F(BirdLab, AnnounceAndWithdrawReachTheRouter) {
  auto t0 = steady::now();
  ASSERT_TRUE(wait_until([&] { return lab_->bfd_up(); }, 15s, 20ms)) << "BFD session never came up";
  measure("bird: BFD session up after (from BGP up)", ms_since(t0));

  BirdSignal signal(config());
  RouteGroup group = lab_group();
  SignalProbe before = signal.probe(group);
  EXPECT_TRUE(before.reachable) << before.detail;
  EXPECT_EQ(before.announced, Announced::no) << before.detail;
  EXPECT_THAT(before.detail, HasSubstr("BGP sessions established 1/1"));
  EXPECT_TRUE(before.problems.empty()) << testing::PrintToString(before.problems);

  for (int i = 1; i <= 3; ++i) {
    cycle(signal, group, "bird #" + std::to_string(i) + ":");
    if (HasFatalFailure()) return;
  }
  signal.announce(group, RouteState::up, {});
  SignalProbe up = signal.probe(group);
  EXPECT_EQ(up.announced, Announced::yes) << up.detail;
  std::printf("  probe: %s\n  status: %s\n", up.detail.c_str(), signal.status().summary().c_str());
  SignalStatus st = signal.status();
  EXPECT_TRUE(st.reachable);
  EXPECT_TRUE(st.last_ok);
  EXPECT_EQ(st.failures, 0u);
  EXPECT_THAT(st.last_detail, HasSubstr("anycast_vips4: enabled"));
}

// The attributes are in edge.conf's per-state protocols, which the signal switches on.
TEST_F(BirdLab, AttributesOfEachStateArriveAtTheRouter) {
  BirdSignal signal(config());
  attributes_arrive(signal, no_attributes, "", "bird:");
}

TEST_F(BirdLab, GracefulShutdownTagsBeforeTheWithdrawal) {
  BirdSignal signal(config());
  graceful_sequence(signal, lab_group(), "bird:");
}

TEST_F(BirdLab, UnknownProtocolCarriesBirdsReply) {
  BirdSignal signal({lab_->edge_socket(), {"anycast_vips4", "no_such_protocol"}, {}, 2000ms, {}});
  try {
    signal.announce(lab_group(), RouteState::up, {});
    FAIL() << "no error";
  } catch (const RouteSignalRefused& e) {
    std::printf("  error: %s\n", e.what());
    EXPECT_THAT(e.what(), HasSubstr(lab_->edge_socket()));
    EXPECT_THAT(e.what(), HasSubstr("enable \"no_such_protocol\""));
    EXPECT_THAT(e.what(), HasSubstr("No protocols match"));
  }
  EXPECT_TRUE(signal.status().reachable);
  EXPECT_FALSE(signal.status().last_ok);

  SignalProbe p = signal.probe(lab_group());
  EXPECT_TRUE(p.reachable);
  EXPECT_EQ(p.announced, Announced::unknown);
  EXPECT_THAT(testing::PrintToString(p.problems), HasSubstr("no protocol in BIRD matches \\\"no_such_protocol\\\""));
  // anycast_vips4 was enabled before the refusal; withdraw() still sends every command, so it
  // takes that down although it fails for the protocol that does not exist.
  ASSERT_TRUE(wait_until([&] { return lab_->router_has(kVip4); }, 10s, 2ms));
  EXPECT_THROW(signal.withdraw(lab_group()), RouteSignalRefused);
  EXPECT_TRUE(wait_until([&] { return !lab_->router_has(kVip4); }, 10s, 2ms));
}

TEST_F(BirdLab, ProbeSeesReconfigureAndMismatchedVips) {
  BirdSignal signal(config());
  RouteGroup group = lab_group();
  signal.announce(group, RouteState::up, {});
  ASSERT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));

  // An operator's `birdc configure` applies `disabled;` again: the group is withdrawn behind
  // anycastd's back. The probe is how the daemon notices; announcing again repairs it.
  {
    BirdSession s(lab_->edge_socket(), posix_io::deadline_in(2s));
    BirdReply r = s.command("configure");
    EXPECT_FALSE(r.error()) << r.text();
  }
  ASSERT_TRUE(wait_until([&] { return lab_->router_has_none(group.vips); }, 15s, 2ms))
      << "BIRD kept the protocols enabled across configure: docs/route-signals.md is wrong";
  SignalProbe after = signal.probe(group);
  EXPECT_EQ(after.announced, Announced::no) << after.detail;
  signal.announce(group, RouteState::up, {});
  EXPECT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));

  RouteGroup more = group;
  more.vips.push_back(kVip4b);
  SignalProbe p = signal.probe(more);
  EXPECT_THAT(testing::PrintToString(p.problems), HasSubstr("VIP 192.0.2.11/32 of group lab is in none of BIRD's protocols"));

  RouteGroup fewer{"lab", {kVip4}};
  p = signal.probe(fewer);
  EXPECT_THAT(testing::PrintToString(p.problems),
              HasSubstr("anycast_vips6 has a route for 2001:db8::10/128, which group lab does not answer for"));
  signal.withdraw(group);
}

TEST_F(ExabgpLab, AnnounceAndWithdrawReachTheRouter) {
  ExabgpSignal signal(config());
  RouteGroup group = lab_group();
  SignalProbe before;
  // ExaBGP's pipe helper starts a moment after the session may already be up.
  ASSERT_TRUE(wait_until([&] { return (before = signal.probe(group)).reachable; }, 15s, 50ms)) << before.detail;
  EXPECT_EQ(before.announced, Announced::no) << before.detail;
  EXPECT_THAT(before.detail, HasSubstr("neighbors established 1/1"));
  EXPECT_THAT(before.detail, HasSubstr("exabgp 4.2"));

  for (int i = 1; i <= 3; ++i) {
    cycle(signal, group, "exabgp #" + std::to_string(i) + ":");
    if (HasFatalFailure()) return;
  }
  signal.announce(group, RouteState::up, {});
  ASSERT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));
  EXPECT_THAT(lab_->router_route(kVip4), HasSubstr("(65001,100)")) << "the configured community";
  EXPECT_THAT(lab_->router_route(kVip6), HasSubstr("2001:db8:100::2")) << "the IPv6 next hop";
  SignalProbe up = signal.probe(group);
  EXPECT_EQ(up.announced, Announced::yes) << up.detail;
  std::printf("  probe: %s\n  status: %s\n", up.detail.c_str(), signal.status().summary().c_str());
  signal.withdraw(group);
}

TEST_F(ExabgpLab, GracefulShutdownTagsBeforeTheWithdrawal) {
  ExabgpSignal signal(config());
  ASSERT_TRUE(wait_until([&] { return signal.probe(lab_group()).reachable; }, 15s, 50ms));
  graceful_sequence(signal, lab_group(), "exabgp:");
}

// Each attribute of each state arrives at the router (eBGP: no local preference, which the
// config check refuses without ibgp; the *IbgpLab tests have it), for each of the four signals.
TEST_F(ExabgpLab, AttributesOfEachStateArriveAtTheRouter) {
  ExabgpSignalConfig c = config();
  c.local_as = 65001;  // examples/exabgp/exabgp.conf's local-as
  ExabgpSignal signal(c);
  ASSERT_TRUE(wait_until([&] { return signal.probe(lab_group()).reachable; }, 15s, 50ms));
  attributes_arrive(signal, lab_attributes, "(65001,100)", "exabgp:");
}

TEST_F(ExabgpLab, VipLeavingTheGroupIsWithdrawnOnReannounce) {
  ExabgpSignal signal(config());
  ASSERT_TRUE(wait_until([&] { return signal.probe(lab_group()).reachable; }, 15s, 50ms));
  vip_leaving_is_withdrawn(signal);
}

// A routing daemon that restarts comes back without the group: BIRD from `disabled;`, ExaBGP
// from a config with no routes. The probe is how anycastd finds out; announcing again repairs it.
TEST_F(BirdLab, RestartedBirdComesBackWithdrawn) {
  BirdSignal signal(config());
  RouteGroup group = lab_group();
  signal.announce(group, RouteState::up, {});
  ASSERT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));

  auto t0 = steady::now();
  lab_->stop_edge();
  ASSERT_TRUE(wait_until([&] { return lab_->router_has_none(group.vips); }, 15s, 1ms));
  measure("bird: edge BIRD stopped (SIGTERM) -> routes gone", ms_since(t0));
  SignalProbe down = signal.probe(group);
  EXPECT_FALSE(down.reachable);
  std::printf("  probe with BIRD down: %s\n", down.detail.c_str());

  lab_->restart_edge_bird();
  wait_for_session();
  SignalProbe back = signal.probe(group);
  EXPECT_TRUE(back.reachable) << back.detail;
  EXPECT_EQ(back.announced, Announced::no) << back.detail;
  EXPECT_TRUE(lab_->router_has_none(group.vips));
  signal.announce(group, RouteState::up, {});
  EXPECT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));
}

TEST_F(ExabgpLab, RestartedExabgpComesBackWithdrawn) {
  ExabgpSignal signal(config());
  RouteGroup group = lab_group();
  ASSERT_TRUE(wait_until([&] { return signal.probe(group).reachable; }, 15s, 50ms));
  signal.announce(group, RouteState::up, {});
  ASSERT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));

  auto t0 = steady::now();
  lab_->stop_edge();
  ASSERT_TRUE(wait_until([&] { return lab_->router_has_none(group.vips); }, 15s, 1ms));
  measure("exabgp: edge ExaBGP stopped (SIGTERM) -> routes gone", ms_since(t0));
  try {
    signal.announce(group, RouteState::up, {});
    ADD_FAILURE() << "announce with ExaBGP stopped did not fail";
  } catch (const RouteSignalError& e) {
    std::printf("  error with ExaBGP down: %s\n", e.what());
    EXPECT_THAT(e.what(), HasSubstr("nobody reads"));
  }

  lab_->restart_edge_exabgp();
  wait_for_session();
  SignalProbe back;
  ASSERT_TRUE(wait_until([&] { return (back = signal.probe(group)).reachable; }, 15s, 50ms)) << back.detail;
  EXPECT_EQ(back.announced, Announced::no) << back.detail;
  EXPECT_TRUE(lab_->router_has_none(group.vips));
  signal.announce(group, RouteState::up, {});
  EXPECT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));
}

// ---- FRR ---------------------------------------------------------------------------------------

TEST_F(FrrLab, AnnounceAndWithdrawReachTheRouter) {
  FrrSignal signal(config());
  RouteGroup group = lab_group();
  SignalProbe before = signal.probe(group);
  ASSERT_TRUE(before.reachable) << before.detail;
  EXPECT_EQ(before.announced, Announced::no) << before.detail;
  EXPECT_THAT(before.detail, HasSubstr("peers established 1/1"));
  EXPECT_TRUE(before.problems.empty()) << before.problems.front();

  for (int i = 1; i <= 3; ++i) {
    cycle(signal, group, "frr #" + std::to_string(i) + ":");
    if (HasFatalFailure()) return;
  }
  signal.announce(group, RouteState::up, {});
  ASSERT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));
  EXPECT_THAT(lab_->router_route(kVip4), HasSubstr("(65001,100)")) << "route-map anycast's community";
  EXPECT_THAT(lab_->router_route(kVip6), HasSubstr("2001:db8:100::2")) << "route-map anycast's IPv6 next hop";
  // Announcing again changes nothing and succeeds.
  signal.announce(group, RouteState::up, {});
  SignalProbe up = signal.probe(group);
  EXPECT_EQ(up.announced, Announced::yes) << up.detail;
  std::printf("  probe: %s\n  status: %s\n", up.detail.c_str(), signal.status().summary().c_str());
  signal.withdraw(group);
  // Withdrawing what is withdrawn succeeds too (vtysh refuses `no network` for a missing one).
  signal.withdraw(group);
  EXPECT_EQ(signal.status().failures, 0u) << signal.status().summary();
}

// The attributes are in frr.conf's route-maps, which the `network` statements are re-pointed at.
TEST_F(FrrLab, AttributesOfEachStateArriveAtTheRouter) {
  FrrSignal signal(config());
  attributes_arrive(signal, no_attributes, "(65001,100)", "frr:");
}

TEST_F(FrrLab, GracefulShutdownTagsBeforeTheWithdrawal) {
  FrrSignal signal(config());
  graceful_sequence(signal, lab_group(), "frr:");
}

TEST_F(FrrLab, VipLeavingTheGroupIsWithdrawnOnReannounce) {
  FrrSignal signal(config());
  vip_leaving_is_withdrawn(signal);
}

// vtysh failing: bgpd refuses (another AS), and a route-map that does not exist, which bgpd
// accepts silently and the probe reports.
TEST_F(FrrLab, RefusalsCarryVtyshsWords) {
  FrrSignalConfig c = config();
  c.asn = 65099;
  FrrSignal wrong_as(c);
  try {
    wrong_as.announce(lab_group(), RouteState::up, {});
    ADD_FAILURE() << "announce under the wrong AS did not fail";
  } catch (const RouteSignalRefused& e) {
    std::printf("  error: %s\n", e.what());
    EXPECT_THAT(e.what(), HasSubstr("AS is 65001"));
    EXPECT_THAT(e.what(), HasSubstr("exit 1"));
  }
  SignalStatus st = wrong_as.status();
  EXPECT_TRUE(st.reachable);
  EXPECT_FALSE(st.last_ok);
  EXPECT_EQ(st.failures, 1u);
  SignalProbe p = wrong_as.probe(lab_group());
  EXPECT_THAT(testing::PrintToString(p.problems), HasSubstr("bgpd runs AS 65001"));

  c = config();
  c.route_map = "no-such-map";
  FrrSignal missing_map(c);
  p = missing_map.probe(lab_group());
  EXPECT_THAT(testing::PrintToString(p.problems), HasSubstr("route-map no-such-map does not exist"));
}

// vtysh hanging: bgpd stopped (SIGSTOP) answers nothing; the call gives up at its timeout,
// kills vtysh's process group, and counts the failure. Continued, bgpd takes the next call.
TEST_F(FrrLab, HangingVtyshIsBoundedByTheTimeout) {
  FrrSignalConfig c = config();
  c.timeout = 500ms;
  FrrSignal signal(c);
  ASSERT_EQ(::kill(lab_->edge_pid(), SIGSTOP), 0);
  auto t0 = steady::now();
  EXPECT_THROW(signal.announce(lab_group(), RouteState::up, {}), RouteSignalError);
  measure("frr: announce against a stopped bgpd gave up after", ms_since(t0));
  SignalStatus st = signal.status();
  EXPECT_FALSE(st.reachable);
  EXPECT_EQ(st.failures, 1u);
  EXPECT_THAT(st.last_detail, HasSubstr("timed out after 500 ms, process group killed"));
  SignalProbe p = signal.probe(lab_group());
  EXPECT_FALSE(p.reachable);
  EXPECT_EQ(run("pgrep -x vtysh").status, 1) << "a vtysh was left running";
  ASSERT_EQ(::kill(lab_->edge_pid(), SIGCONT), 0);
  signal.announce(lab_group(), RouteState::up, {});
  EXPECT_TRUE(wait_until([&] { return lab_->router_has_all(lab_group().vips); }, 15s, 1ms));
  EXPECT_EQ(signal.status().consecutive_failures, 0u);
}

// bgpd killed (kill -9) under an announced group. bgpd offers graceful restart (RFC 4724) and
// dies without a NOTIFICATION, so the router keeps the routes, stale, for the restart time: a
// crashed bgpd does not cut an edge that still answers. The signal reports bgpd gone; the
// restarted bgpd (frr.conf has no `network`) comes back withdrawn, its End-of-RIB makes the
// router drop the stale routes, the probe sees it and announcing again repairs it.
TEST_F(FrrLab, KilledBgpdComesBackWithdrawn) {
  FrrSignal signal(config());
  RouteGroup group = lab_group();
  signal.announce(group, RouteState::up, {});
  ASSERT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));

  auto t0 = steady::now();
  lab_->kill_edge(SIGKILL);
  EXPECT_TRUE(wait_until([&] { return !lab_->session_up(); }, 15s, 5ms)) << "the router saw the session go";
  EXPECT_TRUE(lab_->router_has_all(group.vips)) << "graceful restart keeps the routes";
  try {
    signal.announce(group, RouteState::up, {});
    ADD_FAILURE() << "announce with bgpd down did not fail";
  } catch (const RouteSignalRefused& e) {
    ADD_FAILURE() << "bgpd down reported as a refusal: " << e.what();
  } catch (const RouteSignalError& e) {
    std::printf("  error with bgpd down: %s\n", e.what());
    EXPECT_THAT(e.what(), HasSubstr("failed to connect"));
  }
  EXPECT_FALSE(signal.status().reachable);
  EXPECT_FALSE(signal.probe(group).reachable);

  lab_->restart_edge_frr();
  wait_for_session();
  ASSERT_TRUE(wait_until([&] { return lab_->router_has_none(group.vips); }, 15s, 1ms));
  measure("frr: bgpd killed (SIGKILL), restarted -> stale routes gone", ms_since(t0));
  SignalProbe back = signal.probe(group);
  EXPECT_TRUE(back.reachable) << back.detail;
  EXPECT_EQ(back.announced, Announced::no) << back.detail;
  signal.announce(group, RouteState::up, {});
  EXPECT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));
}

// ---- GoBGP -------------------------------------------------------------------------------------

TEST_F(GobgpLab, AnnounceAndWithdrawReachTheRouter) {
  GobgpSignal signal(config());
  RouteGroup group = lab_group();
  SignalProbe before = signal.probe(group);
  ASSERT_TRUE(before.reachable) << before.detail;
  EXPECT_EQ(before.announced, Announced::no) << before.detail;
  EXPECT_THAT(before.detail, HasSubstr("neighbors established 1/1"));

  for (int i = 1; i <= 3; ++i) {
    cycle(signal, group, "gobgp #" + std::to_string(i) + ":");
    if (HasFatalFailure()) return;
  }
  signal.announce(group, RouteState::up, {});
  ASSERT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));
  EXPECT_THAT(lab_->router_route(kVip4), HasSubstr("(65001,100)")) << "the configured community";
  EXPECT_THAT(lab_->router_route(kVip6), HasSubstr("2001:db8:100::2")) << "the IPv6 next hop";
  SignalProbe up = signal.probe(group);
  EXPECT_EQ(up.announced, Announced::yes) << up.detail;
  std::printf("  probe: %s\n  status: %s\n", up.detail.c_str(), signal.status().summary().c_str());
  signal.withdraw(group);
  signal.withdraw(group);
  EXPECT_EQ(signal.status().failures, 0u) << signal.status().summary();
}

TEST_F(GobgpLab, AttributesOfEachStateArriveAtTheRouter) {
  GobgpSignal signal(config());
  attributes_arrive(signal, lab_attributes, "(65001,100)", "gobgp:");
}

TEST_F(GobgpLab, GracefulShutdownTagsBeforeTheWithdrawal) {
  GobgpSignal signal(config());
  graceful_sequence(signal, lab_group(), "gobgp:");
}

TEST_F(GobgpLab, VipLeavingTheGroupIsWithdrawnOnReannounce) {
  GobgpSignal signal(config());
  vip_leaving_is_withdrawn(signal);
}

TEST_F(GobgpLab, HangingGobgpIsBoundedByTheTimeout) {
  GobgpSignalConfig c = config();
  c.timeout = 500ms;
  GobgpSignal signal(c);
  ASSERT_EQ(::kill(lab_->edge_pid(), SIGSTOP), 0);
  auto t0 = steady::now();
  EXPECT_THROW(signal.announce(lab_group(), RouteState::up, {}), RouteSignalError);
  measure("gobgp: announce against a stopped gobgpd gave up after", ms_since(t0));
  SignalStatus st = signal.status();
  EXPECT_FALSE(st.reachable);
  EXPECT_EQ(st.failures, 1u);
  EXPECT_THAT(st.last_detail, HasSubstr("timed out after 500 ms, process group killed"));
  EXPECT_EQ(run("pgrep -x gobgp").status, 1) << "a gobgp was left running";
  ASSERT_EQ(::kill(lab_->edge_pid(), SIGCONT), 0);
  signal.announce(lab_group(), RouteState::up, {});
  EXPECT_TRUE(wait_until([&] { return lab_->router_has_all(lab_group().vips); }, 15s, 1ms));
}

TEST_F(GobgpLab, KilledGobgpdComesBackWithdrawn) {
  GobgpSignal signal(config());
  RouteGroup group = lab_group();
  signal.announce(group, RouteState::up, {});
  ASSERT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));

  auto t0 = steady::now();
  lab_->kill_edge(SIGKILL);
  ASSERT_TRUE(wait_until([&] { return lab_->router_has_none(group.vips); }, 15s, 1ms));
  measure("gobgp: edge gobgpd killed (SIGKILL) -> routes gone", ms_since(t0));
  try {
    signal.announce(group, RouteState::up, {});
    ADD_FAILURE() << "announce with gobgpd down did not fail";
  } catch (const RouteSignalRefused& e) {
    ADD_FAILURE() << "gobgpd down reported as a refusal: " << e.what();
  } catch (const RouteSignalError& e) {
    std::printf("  error with gobgpd down: %s\n", e.what());
  }
  EXPECT_FALSE(signal.status().reachable);

  lab_->restart_edge_gobgp();
  wait_for_session();
  SignalProbe back = signal.probe(group);
  EXPECT_TRUE(back.reachable) << back.detail;
  EXPECT_EQ(back.announced, Announced::no) << back.detail;
  signal.announce(group, RouteState::up, {});
  EXPECT_TRUE(wait_until([&] { return lab_->router_has_all(group.vips); }, 15s, 1ms));
}

// ---- Local preference over iBGP, each signal ----------------------------------------------------
// The router in the edge's AS; BIRD and FRR send what their per-state protocols and route-maps
// set, ExaBGP and GoBGP what anycastd passes (refused at the config check over eBGP, RFC 4271
// 5.1.5; route_unit_test's RouteAttributes.WhatEachSignalRefuses).

TEST_F(BirdIbgpLab, LocalPreferenceArrivesOverIbgp) {
  BirdSignal signal(config());
  local_preference_arrives(signal, no_attributes, "bird ibgp:");
}

TEST_F(ExabgpIbgpLab, LocalPreferenceArrivesOverIbgp) {
  ExabgpSignalConfig c = config();
  c.local_as = 65001;  // examples/exabgp/exabgp.conf's local-as
  c.ibgp = true;       // as the group's [route] ibgp sets it
  ExabgpSignal signal(c);
  ASSERT_TRUE(wait_until([&] { return signal.probe(lab_group()).reachable; }, 15s, 50ms));
  local_preference_arrives(signal, ibgp_attributes, "exabgp ibgp:");
}

TEST_F(FrrIbgpLab, LocalPreferenceArrivesOverIbgp) {
  FrrSignal signal(config());
  local_preference_arrives(signal, no_attributes, "frr ibgp:");
}

TEST_F(GobgpIbgpLab, LocalPreferenceArrivesOverIbgp) {
  GobgpSignal signal(config());
  local_preference_arrives(signal, ibgp_attributes, "gobgp ibgp:");
}
