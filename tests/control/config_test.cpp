// SPDX-License-Identifier: Apache-2.0
// The configuration contract: what parses, what each mistake is called, what the fast path is told.
#include "config/config.h"

#include "config/config_keys.h"
#include "datapath/config_tables.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <string>
#include <vector>

namespace anycastd {
namespace {

#define BASE_DATAPATH_TEXT "[datapath]\ninterface = \"eth0\"\n"
#define BASE_ANYCAST_TEXT "[anycast]\naddresses = [\"192.0.2.10\"]\n"

// The contract exactly as the issue writes it.
constexpr const char* kContract = R"(
[datapath]
kind = "xdp"             # "xdp" | "dpdk"
interface = "eth0"       # the NIC the fast path attaches to
xdp_mode = "native"      # "native" | "generic" | "auto"

[anycast]
addresses = ["192.0.2.10", "2001:db8::10"]   # addresses or prefixes
loopback = "lo"

[services.echo]
port = 7
# allow = ["198.51.100.0/24"]   # optional source prefixes
)";

// The control plane's contract (issue 3), exactly as written, after the foundation's.
constexpr const char* kControlContract = R"(
[health]
interval_ms = 1000
fast_interval_ms = 200
rise = 3
fall = 2
disable_file = "/run/anycastd/disable"

[[health.check]]
kind = "tcp"            # "datapath" | "tcp" | "exec"
port = 8080

[route]
signal = "bird"         # "alias" | "bird" | "exabgp"
drain_ms = 2000

[route.bird]
socket = "/run/bird/bird.ctl"
protocol = "anycast_vips"
)";

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "anycastd.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(parsed)";
}

TEST(Config, ContractParses) {
  Config c = parse_config(kContract, "anycastd.toml");
  EXPECT_EQ(c.datapath.kind, DatapathKind::xdp);
  EXPECT_EQ(c.datapath.interfaces, std::vector<std::string>{"eth0"});
  EXPECT_EQ(c.datapath.xdp_mode, XdpMode::native);
  EXPECT_EQ(c.datapath.attach, XdpAttach::exclusive) << "the default: nothing else needed on the machine";
  EXPECT_EQ(c.datapath.vip_max_entries, AC_VIP_MAX_DEFAULT);
  EXPECT_EQ(c.datapath.allow_max_entries, AC_ALLOW_MAX_DEFAULT);
  ASSERT_EQ(c.anycast.addresses.size(), 2u);
  EXPECT_EQ(c.anycast.addresses[0], parse_prefix("192.0.2.10/32"));
  EXPECT_EQ(c.anycast.addresses[1], parse_prefix("2001:db8::10/128"));
  EXPECT_EQ(c.anycast.loopback, "lo");
  ASSERT_EQ(c.services.size(), 1u);
  EXPECT_EQ(c.services[0].id, AC_SVC_ECHO);
  EXPECT_EQ(c.services[0].name(), "echo");
  EXPECT_EQ(c.services[0].port, 7);
  EXPECT_TRUE(c.services[0].allow.empty());
  EXPECT_EQ(c.log.level, spdlog::level::info);
  EXPECT_EQ(c.log.stats_interval_s, 0u);
}

// The packaged default's marker (dist/anycastd.toml): parsed, and the start refusal names the
// file and the line to remove; absent or false, nothing is refused.
TEST(Config, ShippedDefaultMarker) {
  Config marked = parse_config("shipped_default = true\n" BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT, "/etc/anycastd/anycastd.toml");
  EXPECT_TRUE(marked.shipped_default);
  std::string refusal = shipped_default_refusal(marked, "/etc/anycastd/anycastd.toml");
  EXPECT_EQ(refusal.rfind("/etc/anycastd/anycastd.toml: shipped_default = true: ", 0), 0u) << refusal;
  EXPECT_NE(refusal.find("remove the line \"shipped_default = true\""), std::string::npos) << refusal;
  EXPECT_EQ(shipped_default_refusal(parse_config("shipped_default = false\n" BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT, "x"), "x"), "");
  EXPECT_EQ(shipped_default_refusal(parse_config(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT, "x"), "x"), "");
}

// The DPDK datapath's contract (issue 4), exactly as written.
constexpr const char* kDpdkContract = R"(
[datapath]
kind = "dpdk"

[datapath.dpdk]
eal_args = ["--no-huge", "-m", "1024", "--no-pci", "--file-prefix=ac", "--vdev=net_af_xdp0,iface=veth1"]
lcores = "0-1"              # anycastd passes it to EAL; eal_args carry no -l/--lcores
exception = "auto"          # "auto" | "virtio_user" | "tap"
exception_interface = "ac0"
profile = "auto"            # or a profile name

[anycast]
addresses = ["192.0.2.10", "2001:db8::10"]
)";

TEST(Config, DpdkContractParses) {
  Config c = parse_config(kDpdkContract, "anycastd.toml");
  EXPECT_EQ(c.datapath.kind, DatapathKind::dpdk);
  EXPECT_TRUE(c.datapath.interfaces.empty()) << "the port comes from eal_args";
  const DpdkConfig& d = c.datapath.dpdk;
  EXPECT_EQ(d.eal_args, (std::vector<std::string>{"--no-huge", "-m", "1024", "--no-pci", "--file-prefix=ac",
                                                  "--vdev=net_af_xdp0,iface=veth1"}));
  EXPECT_EQ(d.lcores, "0-1");
  EXPECT_EQ(d.exception, ExceptionKind::automatic);
  ASSERT_EQ(d.ports.size(), 1u) << "the flat keys: one port";
  EXPECT_EQ(d.ports[0].exception_interface, "ac0");
  EXPECT_EQ(d.profile, "auto");
  EXPECT_TRUE(d.ports[0].exception_addresses.empty());
  EXPECT_EQ(d.rx_descriptors, 0u) << "0: the profile's";
  EXPECT_FALSE(d.idle_sleep_us);
  EXPECT_EQ(d.start_timeout, Millis(30000));
}

TEST(Config, DpdkOptionalKeys) {
  Config c = parse_config(R"([datapath]
kind = "dpdk"
[datapath.dpdk]
eal_args = ["--no-huge"]
lcores = "0,1"
exception = "tap"
exception_addresses = ["192.0.2.1/24", "2001:db8::1/64"]
profile = "net_af_xdp"
rx_descriptors = 512
tx_descriptors = 1024
burst = 64
idle_sleep_us = 0
binary = "/usr/local/sbin/anycastd-dpdk"
start_timeout_ms = 5000
[anycast]
addresses = ["192.0.2.10"]
)",
                          "anycastd.toml");
  const DpdkConfig& d = c.datapath.dpdk;
  EXPECT_EQ(d.exception, ExceptionKind::tap);
  ASSERT_EQ(d.ports.size(), 1u);
  ASSERT_EQ(d.ports[0].exception_addresses.size(), 2u);
  EXPECT_EQ(d.ports[0].exception_addresses[0].str(), "192.0.2.1/24") << "an interface address keeps its host bits";
  EXPECT_EQ(d.ports[0].exception_addresses[1].str(), "2001:db8::1/64");
  EXPECT_EQ(d.profile, "net_af_xdp");
  EXPECT_EQ(d.rx_descriptors, 512u);
  EXPECT_EQ(d.tx_descriptors, 1024u);
  EXPECT_EQ(d.burst, 64u);
  EXPECT_EQ(d.idle_sleep_us, 0u);
  EXPECT_EQ(d.binary, "/usr/local/sbin/anycastd-dpdk");
  EXPECT_EQ(d.start_timeout, Millis(5000));
}

// Several uplinks: one [[datapath.dpdk.ports]] entry per port EAL probes, each with its own
// exception interface (default acN) and addresses, passed to the datapath in that order.
TEST(Config, DpdkSeveralPorts) {
  Config c = parse_config(R"([datapath]
kind = "dpdk"
[datapath.dpdk]
eal_args = ["--no-huge", "--vdev=net_af_xdp0,iface=up0", "--vdev=net_af_xdp1,iface=up1"]
lcores = "0-1,2@1"
[[datapath.dpdk.ports]]
exception_interface = "up0k"
exception_addresses = ["198.51.100.2/24"]
[[datapath.dpdk.ports]]
exception_addresses = ["203.0.113.2/24", "2001:db8:2::2/64"]
[anycast]
addresses = ["192.0.2.10"]
)",
                          "anycastd.toml");
  const DpdkConfig& d = c.datapath.dpdk;
  ASSERT_EQ(d.ports.size(), 2u);
  EXPECT_EQ(d.ports[0].exception_interface, "up0k");
  ASSERT_EQ(d.ports[0].exception_addresses.size(), 1u);
  EXPECT_EQ(d.ports[1].exception_interface, "ac1") << "default: ac and the port's index";
  ASSERT_EQ(d.ports[1].exception_addresses.size(), 2u);
  EXPECT_EQ(d.ports[1].exception_addresses[1].str(), "2001:db8:2::2/64");
  std::vector<std::string> args = dpdk_arguments(d, 3);
  std::vector<std::string> names;
  for (std::size_t i = 0; i + 1 < args.size() && args[i] != "--"; ++i)
    if (args[i] == "--exception-interface") names.push_back(args[i + 1]);
  EXPECT_EQ(names, (std::vector<std::string>{"up0k", "ac1"})) << "one --exception-interface per port, in order";
  EXPECT_EQ(args[args.size() - 2], "--lcores") << "--lcores takes lcores mapped onto CPUs";
  EXPECT_EQ(args.back(), "0-1,2@1");
}

TEST(Config, ControlPlaneContractParses) {
  Config c = parse_config(std::string(kContract) + kControlContract, "anycastd.toml");
  EXPECT_EQ(c.health.timing.interval, Millis(1000));
  EXPECT_EQ(c.health.timing.fast_interval, Millis(200));
  EXPECT_EQ(c.health.timing.rise, 3u);
  EXPECT_EQ(c.health.timing.fall, 2u);
  EXPECT_EQ(c.health.disable_file, "/run/anycastd/disable");
  ASSERT_EQ(c.health.checks.size(), 1u);
  EXPECT_EQ(c.health.checks[0].kind, CheckKind::tcp);
  EXPECT_EQ(c.health.checks[0].port, 8080);
  EXPECT_FALSE(c.health.checks[0].address) << "the group fills it in";
  EXPECT_EQ(c.route.signal, SignalKind::bird);
  EXPECT_EQ(c.route.drain, Millis(2000));
  EXPECT_EQ(c.route.bird.socket, "/run/bird/bird.ctl");
  EXPECT_EQ(c.route.bird.protocols, std::vector<std::string>{"anycast_vips"});

  // The flat form: one group, "default", with every VIP, service and check.
  ASSERT_EQ(c.groups.size(), 1u);
  const GroupConfig& g = c.groups[0];
  EXPECT_EQ(g.name, "default");
  EXPECT_EQ(g.addresses, c.anycast.addresses);
  EXPECT_EQ(g.services, 1u << AC_SVC_ECHO);
  ASSERT_EQ(g.checks.size(), 1u);
  EXPECT_EQ(g.checks[0].port, 8080);
  EXPECT_EQ(g.checks[0].address, parse_prefix("192.0.2.10")) << "the first single-address VIP";
  EXPECT_EQ(g.checks[0].timeout, Millis(500)) << "half the interval, at most 1000";
  EXPECT_EQ(g.route.signal, SignalKind::bird);
  EXPECT_EQ(g.route.bird.protocols, std::vector<std::string>{"anycast_vips"});
  EXPECT_EQ(g.timing.interval, Millis(1000));
  EXPECT_EQ(g.timing.drain, Millis(2000));
  EXPECT_EQ(g.disable_file, "");
}

TEST(Config, Defaults) {
  Config c = parse_config(R"(
[datapath]
interface = "veth0"
[anycast]
addresses = ["203.0.113.0/24"]
[services.echo]
)",
                          "x.toml");
  EXPECT_EQ(c.datapath.kind, DatapathKind::xdp);
  EXPECT_EQ(c.datapath.xdp_mode, XdpMode::native);
  EXPECT_EQ(c.anycast.loopback, "lo");
  ASSERT_EQ(c.services.size(), 1u);
  EXPECT_EQ(c.services[0].port, 7);  // the well-known port

  EXPECT_EQ(c.health.timing.interval, Millis(1000));
  EXPECT_EQ(c.health.timing.fast_interval, Millis(200));
  EXPECT_EQ(c.health.timing.rise, 3u);
  EXPECT_EQ(c.health.timing.fall, 2u);
  EXPECT_EQ(c.health.timing.hold_down, Millis(0));
  EXPECT_EQ(c.health.disable_file, "/run/anycastd/disable");
  EXPECT_TRUE(c.health.checks.empty());
  EXPECT_EQ(c.route.signal, SignalKind::alias);
  EXPECT_EQ(c.route.drain, Millis(2000));
  EXPECT_FALSE(c.route.graceful_shutdown);
  EXPECT_EQ(c.control.socket, "/run/anycastd/anycastd.sock");
  EXPECT_EQ(c.metrics.listen, "127.0.0.1:9187");
  EXPECT_EQ(c.metrics.vip_series, 256u);
  ASSERT_EQ(c.groups.size(), 1u);
  EXPECT_EQ(c.groups[0].name, "default");
  EXPECT_EQ(c.groups[0].addresses, std::vector<Prefix>{parse_prefix("203.0.113.0/24")});
  EXPECT_EQ(c.groups[0].services, 1u << AC_SVC_ECHO);
  EXPECT_TRUE(c.groups[0].checks.empty());
  EXPECT_EQ(c.groups[0].route.signal, SignalKind::alias);
  EXPECT_EQ(c.groups[0].timing.drain, Millis(2000));
}

TEST(Config, ShortIntervalsShortenTheDefaults) {
  Config c = parse_config(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT "[health]\ninterval_ms = 100\n"
                          "[[health.check]]\nkind = \"datapath\"\n",
                          "x.toml");
  EXPECT_EQ(c.health.timing.fast_interval, Millis(100)) << "never above the interval";
  EXPECT_EQ(c.health.checks[0].timeout, Millis(50)) << "half the interval";
}

TEST(Config, EveryControlPlaneKey) {
  Config c = parse_config(R"(
[datapath]
interface = "eth0"
[anycast]
addresses = ["203.0.113.0/24", "192.0.2.10", "2001:db8::10"]
[services.echo]
[health]
interval_ms = 2000
fast_interval_ms = 250
rise = 5
fall = 4
hold_down_ms = 30000
disable_file = ""
[[health.check]]
kind = "datapath"
timeout_ms = 100
[[health.check]]
kind = "tcp"
port = 53
address = "203.0.113.53"
timeout_ms = 1999
[[health.check]]
kind = "exec"
command = "/usr/local/bin/healthy --quick"
[route]
signal = "exabgp"
drain_ms = 0
graceful_shutdown = true
[route.exabgp]
pipe = "/run/exabgp/edge"
next_hop4 = "198.51.100.2"
next_hop6 = "2001:db8:100::2"
communities = ["65001:100", "no-export"]
timeout_ms = 750
[control]
socket = "/run/anycastd/ctl.sock"
[metrics]
listen = "[::1]:9100"
)",
                          "x.toml");
  EXPECT_EQ(c.health.timing.interval, Millis(2000));
  EXPECT_EQ(c.health.timing.fast_interval, Millis(250));
  EXPECT_EQ(c.health.timing.rise, 5u);
  EXPECT_EQ(c.health.timing.fall, 4u);
  EXPECT_EQ(c.health.timing.hold_down, Millis(30000));
  EXPECT_EQ(c.health.disable_file, "") << "\"\" turns the maintenance file off";
  ASSERT_EQ(c.health.checks.size(), 3u);
  EXPECT_EQ(c.health.checks[0].kind, CheckKind::datapath);
  EXPECT_EQ(c.health.checks[0].timeout, Millis(100));
  EXPECT_EQ(c.health.checks[1].address, parse_prefix("203.0.113.53"));
  EXPECT_EQ(c.health.checks[1].timeout, Millis(1999));
  EXPECT_EQ(c.health.checks[2].kind, CheckKind::exec);
  EXPECT_EQ(c.health.checks[2].command, "/usr/local/bin/healthy --quick");
  EXPECT_EQ(c.health.checks[2].timeout, Millis(1000));
  EXPECT_EQ(c.route.signal, SignalKind::exabgp);
  EXPECT_EQ(c.route.drain, Millis(0));
  EXPECT_TRUE(c.route.graceful_shutdown);
  EXPECT_EQ(c.route.exabgp.pipe, "/run/exabgp/edge");
  EXPECT_EQ(c.route.exabgp.next_hop4, "198.51.100.2");
  EXPECT_EQ(c.route.exabgp.next_hop6, "2001:db8:100::2");
  EXPECT_EQ(c.route.exabgp.communities, (std::vector<std::string>{"65001:100", "no-export"}));
  EXPECT_EQ(c.route.exabgp.timeout, Millis(750));
  EXPECT_EQ(c.control.socket, "/run/anycastd/ctl.sock");
  EXPECT_EQ(c.metrics.listen, "[::1]:9100");
  EXPECT_EQ(parse_config(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT "[metrics]\nlisten = \"\"\n", "x").metrics.listen, "")
      << "\"\" turns metrics off";
  EXPECT_EQ(
      parse_config(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT "[metrics]\nlisten = \"0.0.0.0:80\"\n", "x").metrics.listen,
      "0.0.0.0:80");
  EXPECT_EQ(parse_config(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT "[metrics]\nvip_series = 0\n", "x").metrics.vip_series, 0u)
      << "0: every VIP in \"other\"";
  EXPECT_EQ(parse_config(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT "[metrics]\nvip_series = 1024\n", "x").metrics.vip_series,
            1024u);
  ASSERT_EQ(c.groups.size(), 1u);
  EXPECT_EQ(c.groups[0].checks.size(), 3u);
  EXPECT_EQ(c.groups[0].timing.drain, Millis(0));
  EXPECT_EQ(c.groups[0].timing.hold_down, Millis(30000));
}

// A reload keeps a running group only when its settings compare equal. Each row changes one key
// a group is built from; the group parsed from the changed file must differ from the one parsed
// before, or a SIGHUP would answer "reloaded" and keep the old value (as it once did for
// max_error_ms and the signals' timeout_ms). (health.disable_file is no group's: the daemon reads
// it from the running configuration, which a reload replaces whole.)
// A group's own tables read the keys of the shared ones; array indexes do not matter.
TEST(ConfigKeys, ScopeOfATablePath) {
  EXPECT_EQ(key_scope(""), "");
  EXPECT_EQ(key_scope("datapath.dpdk"), "datapath.dpdk");
  EXPECT_EQ(key_scope("services.dns.zone[12]"), "services.dns.zone[]");
  EXPECT_EQ(key_scope("group[3]"), "group[]");
  EXPECT_EQ(key_scope("group[0].check[1]"), "health.check[]");
  EXPECT_EQ(key_scope("group[10].route"), "route");
  EXPECT_EQ(key_scope("group[10].route.exabgp"), "route.exabgp");
  EXPECT_EQ(key_scope("group[1].routes"), "group[].routes");  // not a group's route table
}

// [services] takes exactly the services abi.h names.
TEST(ConfigKeys, ServicesAreTheAbisServices) {
  std::vector<std::string> listed, abi;
  for (const ConfigKey& k : config_keys())
    if (k.table == "services") listed.emplace_back(k.key);
  for (int s = 0; s < AC_SVC__COUNT; ++s) abi.emplace_back(ac_service_names[s]);
  EXPECT_EQ(listed, abi);
}

// Two parses of one file compare equal, and any value changed makes them differ: what a reload
// compares is every field (defaulted operator==).
TEST(ConfigKeys, ParsedConfigsCompareEveryField) {
  const std::string text = BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT "[services.ntp.rate_limit]\nrate = 10\n";
  EXPECT_EQ(parse_config(text, "a.toml"), parse_config(text, "b.toml"));
  EXPECT_NE(parse_config(text, "a.toml"),
            parse_config(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT "[services.ntp.rate_limit]\nrate = 10.5\n", "a.toml"));
  EXPECT_NE(parse_config(text, "a.toml"),
            parse_config(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT "[services.ntp.rate_limit]\nrate = 10\n[log]\nstats_interval_s = 5\n",
                         "a.toml"));
}

// A reload names each restart-only key whose value changed (spelling aside), and no other.
TEST(ConfigKeys, RestartOnlyChangesAreNamed) {
  const std::string base = "[datapath]\ninterface = \"eth0\"\nxdp_mode = \"native\"\n" BASE_ANYCAST_TEXT
                           "[control]\nsocket = \"/run/a.sock\"\n[log]\nlevel = \"info\"\n";
  Config a = parse_config(base, "a.toml");
  EXPECT_FALSE(restart_only_changes(a, a));
  // Another spelling of the same values, and a reloadable key changed: nothing to refuse.
  Config same = parse_config("datapath = { interface = 'eth0', xdp_mode = 'native' }\n" BASE_ANYCAST_TEXT
                             "[control]\nsocket = '/run/a.sock'\n[log]\nlevel = \"debug\"\n",
                             "b.toml");
  EXPECT_FALSE(restart_only_changes(a, same));
  Config moved = parse_config("[datapath]\ninterface = \"eth1\"\nxdp_mode = \"generic\"\n" BASE_ANYCAST_TEXT
                              "[control]\nsocket = \"/run/b.sock\"\n",
                              "c.toml");
  EXPECT_EQ(restart_only_changes(a, moved).why(), "control.socket, datapath.xdp_mode");
  // The interfaces are the reload's to change (attached and detached while running).
  Config more = parse_config("[datapath]\ninterface = [\"eth0\", \"eth1\"]\nxdp_mode = \"native\"\n" BASE_ANYCAST_TEXT
                             "[control]\nsocket = \"/run/a.sock\"\n",
                             "e.toml");
  EXPECT_FALSE(restart_only_changes(a, more));
  // A key given in one file only counts as changed, whichever way round.
  Config fewer = parse_config("[datapath]\ninterface = \"eth0\"\n" BASE_ANYCAST_TEXT "[control]\nsocket = \"/run/a.sock\"\n",
                              "d.toml");
  EXPECT_EQ(restart_only_changes(a, fewer).why(), "datapath.xdp_mode");
  EXPECT_EQ(restart_only_changes(fewer, a).why(), "datapath.xdp_mode");
}

TEST(Config, InterfacesAndAttachModes) {
  Config list = parse_config("[datapath]\ninterface = [\"eth0\", \"eth1\"]\n" BASE_ANYCAST_TEXT, "a.toml");
  EXPECT_EQ(list.datapath.interfaces, (std::vector<std::string>{"eth0", "eth1"}));
  Config chain = parse_config("[datapath]\nattach = \"chain\"\nchain_map = \"/sys/fs/bpf/edge/chain\"\nchain_index = 1\n"
                              BASE_ANYCAST_TEXT, "b.toml");
  EXPECT_EQ(chain.datapath.attach, XdpAttach::chain);
  EXPECT_EQ(chain.datapath.chain_map, "/sys/fs/bpf/edge/chain");
  EXPECT_EQ(chain.datapath.chain_index, 1u);
  EXPECT_TRUE(chain.datapath.interfaces.empty());
  Config dispatcher = parse_config("[datapath]\ninterface = \"eth0\"\nattach = \"dispatcher\"\ndispatcher_priority = 10\n"
                                   BASE_ANYCAST_TEXT, "c.toml");
  EXPECT_EQ(dispatcher.datapath.attach, XdpAttach::dispatcher);
  EXPECT_EQ(dispatcher.datapath.dispatcher_priority, 10u);
  EXPECT_EQ(parse_config(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT, "d.toml").datapath.dispatcher_priority, 50u)
      << "libxdp's own default";
}

TEST(Config, EveryGroupKeyChangesTheGroup) {
  const std::string bird = R"(
[datapath]
interface = "eth0"
[anycast]
addresses = ["192.0.2.10", "192.0.2.11"]
[services.echo]
[services.ntp]
[health]
interval_ms = 1000
fast_interval_ms = 200
rise = 3
fall = 2
hold_down_ms = 0
disable_file = "/run/anycastd/disable"
[[health.check]]
kind = "clock"
max_error_ms = 50
timeout_ms = 400
[[health.check]]
kind = "tcp"
port = 8080
address = "192.0.2.10"
[[health.check]]
kind = "exec"
command = "true"
[route]
signal = "bird"
drain_ms = 2000
graceful_shutdown = true
[route.bird]
socket = "/run/bird/bird.ctl"
protocol = "vips"
gshut_protocol = "vips_gshut"
timeout_ms = 2000
)";
  const std::string exabgp = R"(
[datapath]
interface = "eth0"
[anycast]
addresses = ["192.0.2.10"]
[services.echo]
[route]
signal = "exabgp"
[route.exabgp]
pipe = "/run/exabgp/exabgp"
next_hop4 = "198.51.100.2"
communities = ["65001:100"]
timeout_ms = 2000
)";
  struct Row {
    const char* key;
    const std::string* base;
    const char* from;
    const char* to;
  };
  const Row rows[] = {
      {"anycast.addresses", &bird, "\"192.0.2.11\"]", "\"192.0.2.12\"]"},
      {"services (a service added)", &exabgp, "[services.echo]\n", "[services.echo]\n[services.ntp]\n"},
      {"health.interval_ms", &bird, "interval_ms = 1000", "interval_ms = 900"},
      {"health.fast_interval_ms", &bird, "fast_interval_ms = 200", "fast_interval_ms = 100"},
      {"health.rise", &bird, "rise = 3", "rise = 4"},
      {"health.fall", &bird, "fall = 2", "fall = 3"},
      {"health.hold_down_ms", &bird, "hold_down_ms = 0", "hold_down_ms = 5000"},
      {"health.check.max_error_ms", &bird, "max_error_ms = 50", "max_error_ms = 20"},
      {"health.check.timeout_ms", &bird, "timeout_ms = 400", "timeout_ms = 300"},
      {"health.check.port", &bird, "port = 8080", "port = 8081"},
      {"health.check.address", &bird, "address = \"192.0.2.10\"", "address = \"192.0.2.11\""},
      {"health.check.command", &bird, "command = \"true\"", "command = \"/bin/true\""},
      {"route.drain_ms", &bird, "drain_ms = 2000", "drain_ms = 1000"},
      {"route.graceful_shutdown", &exabgp, "signal = \"exabgp\"", "signal = \"exabgp\"\ngraceful_shutdown = true"},
      {"route.bird.gshut_protocol", &bird, "gshut_protocol = \"vips_gshut\"", "gshut_protocol = \"vips_gshut2\""},
      {"route.bird.socket", &bird, "/run/bird/bird.ctl", "/run/bird/other.ctl"},
      {"route.bird.protocol", &bird, "protocol = \"vips\"", "protocol = \"vips2\""},
      {"route.bird.timeout_ms", &bird, "gshut_protocol = \"vips_gshut\"\ntimeout_ms = 2000", "gshut_protocol = \"vips_gshut\"\ntimeout_ms = 3000"},
      {"route.exabgp.pipe", &exabgp, "/run/exabgp/exabgp", "/run/exabgp/other"},
      {"route.exabgp.next_hop4", &exabgp, "198.51.100.2", "198.51.100.3"},
      {"route.exabgp.communities", &exabgp, "65001:100", "65001:200"},
      {"route.exabgp.timeout_ms", &exabgp, "timeout_ms = 2000", "timeout_ms = 1500"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.key);
    std::string changed = *row.base;
    const std::size_t at = changed.find(row.from);
    ASSERT_NE(at, std::string::npos) << "the row's text is not in its base";
    changed.replace(at, std::strlen(row.from), row.to);
    const Config before = parse_config(*row.base, "before.toml");
    const Config after = parse_config(changed, "after.toml");
    ASSERT_EQ(before.groups.size(), 1u);
    ASSERT_EQ(after.groups.size(), 1u);
    EXPECT_EQ(before.groups[0], parse_config(*row.base, "again.toml").groups[0]) << "the same file, the same group";
    EXPECT_NE(before.groups[0], after.groups[0]) << "changing " << row.key << " must change the group";
  }
}

TEST(Config, BirdProtocolLists) {
  Config c = parse_config(R"(
[datapath]
interface = "eth0"
[anycast]
addresses = ["192.0.2.10", "2001:db8::10"]
[route]
signal = "bird"
graceful_shutdown = true
[route.bird]
socket = "/run/bird/edge.ctl"
protocol = ["anycast_vips4", "anycast_vips6"]
gshut_protocol = ["anycast_vips4_gshut", "anycast_vips6_gshut"]
timeout_ms = 300
)",
                          "x.toml");
  const RouteConfig& r = c.groups[0].route;
  EXPECT_EQ(r.bird.socket, "/run/bird/edge.ctl");
  EXPECT_EQ(r.bird.protocols, (std::vector<std::string>{"anycast_vips4", "anycast_vips6"}));
  EXPECT_EQ(r.bird.gshut_protocols, (std::vector<std::string>{"anycast_vips4_gshut", "anycast_vips6_gshut"}));
  EXPECT_EQ(r.bird.timeout, Millis(300));
  EXPECT_TRUE(r.graceful_shutdown);
  EXPECT_EQ(c.services.size(), 0u);
  EXPECT_EQ(c.groups[0].services, 0u) << "no services configured, none carried";
}

// Two groups: what each inherits from [health] and [route] and what it overrides.
constexpr const char* kGroups = R"(
[datapath]
interface = "eth0"
[anycast]
loopback = "dummy0"
[services.echo]
[health]
interval_ms = 1000
hold_down_ms = 3000
[[health.check]]
kind = "exec"
command = "true"
[route]
signal = "bird"
drain_ms = 1500
graceful_shutdown = true
[route.bird]
socket = "/run/bird/bird.ctl"
gshut_protocol = ["gshut4", "gshut6"]
timeout_ms = 400

[[group]]
name = "ntp"
addresses = ["203.0.113.0/24", "192.0.2.123", "2001:db8::123"]
[[group.check]]
kind = "tcp"
port = 123
[group.route.bird]
protocol = ["ntp4", "ntp6"]

[[group]]
name = "dns.v2"
addresses = ["192.0.2.53"]
services = []
disable_file = "/run/anycastd/disable-dns"
[[group.check]]
kind = "datapath"
[group.route]
drain_ms = 5000
graceful_shutdown = false
[group.route.bird]
protocol = "dns4"
gshut_protocol = []

[[group]]
name = "exa"
addresses = ["2001:db8::1:0/112"]
services = ["echo"]
[group.route]
signal = "exabgp"
[group.route.exabgp]
next_hop6 = "2001:db8:100::2"
)";

TEST(Config, Groups) {
  Config c = parse_config(kGroups, "x.toml");
  EXPECT_EQ(c.anycast.loopback, "dummy0");
  EXPECT_EQ(c.anycast.addresses,
            (std::vector<Prefix>{parse_prefix("203.0.113.0/24"), parse_prefix("192.0.2.123"),
                                 parse_prefix("2001:db8::123"), parse_prefix("192.0.2.53"),
                                 parse_prefix("2001:db8::1:0/112")}))
      << "every group's VIPs, in file order";
  EXPECT_EQ(c.route.signal, SignalKind::bird) << "[route] as written, before any group's overrides";
  EXPECT_TRUE(c.route.bird.protocols.empty());
  ASSERT_EQ(c.groups.size(), 3u);

  const GroupConfig& ntp = c.groups[0];
  EXPECT_EQ(ntp.name, "ntp");
  EXPECT_EQ(ntp.services, 1u << AC_SVC_ECHO) << "default: every configured service";
  ASSERT_EQ(ntp.checks.size(), 2u) << "[[health.check]] first, then the group's own";
  EXPECT_EQ(ntp.checks[0].kind, CheckKind::exec);
  EXPECT_EQ(ntp.checks[1].kind, CheckKind::tcp);
  EXPECT_EQ(ntp.checks[1].address, parse_prefix("192.0.2.123")) << "the first single-address VIP, not the /24";
  EXPECT_EQ(ntp.route.signal, SignalKind::bird);
  EXPECT_TRUE(ntp.route.graceful_shutdown);
  EXPECT_EQ(ntp.route.bird.socket, "/run/bird/bird.ctl");
  EXPECT_EQ(ntp.route.bird.protocols, (std::vector<std::string>{"ntp4", "ntp6"}));
  EXPECT_EQ(ntp.route.bird.gshut_protocols, (std::vector<std::string>{"gshut4", "gshut6"}));
  EXPECT_EQ(ntp.route.bird.timeout, Millis(400));
  EXPECT_EQ(ntp.timing.drain, Millis(1500));
  EXPECT_EQ(ntp.timing.hold_down, Millis(3000));
  EXPECT_EQ(ntp.disable_file, "");

  const GroupConfig& dns = c.groups[1];
  EXPECT_EQ(dns.name, "dns.v2");
  EXPECT_EQ(dns.services, 0u);
  EXPECT_EQ(dns.disable_file, "/run/anycastd/disable-dns");
  ASSERT_EQ(dns.checks.size(), 2u);
  EXPECT_EQ(dns.checks[1].kind, CheckKind::datapath);
  EXPECT_EQ(dns.route.bird.protocols, std::vector<std::string>{"dns4"});
  EXPECT_TRUE(dns.route.bird.gshut_protocols.empty()) << "[] turns the inherited ones off";
  EXPECT_FALSE(dns.route.graceful_shutdown);
  EXPECT_EQ(dns.route.drain, Millis(5000));
  EXPECT_EQ(dns.timing.drain, Millis(5000));
  EXPECT_EQ(dns.timing.interval, Millis(1000));

  const GroupConfig& exa = c.groups[2];
  EXPECT_EQ(exa.route.signal, SignalKind::exabgp);
  EXPECT_TRUE(exa.route.graceful_shutdown) << "inherited from [route]";
  EXPECT_EQ(exa.route.exabgp.next_hop6, "2001:db8:100::2");
  EXPECT_TRUE(exa.route.exabgp.next_hop4.empty()) << "no IPv4 VIPs, none needed";
  EXPECT_EQ(exa.route.exabgp.pipe, "/run/exabgp/exabgp");
  EXPECT_EQ(exa.route.bird.timeout, Millis(400)) << "inherited, unused";
}

TEST(Config, EveryDocumentedKey) {
  Config c = parse_config(R"(
[datapath]
kind = "xdp"
interface = "eth1"
xdp_mode = "auto"
vip_max_entries = 131072
allow_max_entries = 64
[anycast]
addresses = ["192.0.2.10", "203.0.113.0/24", "2001:db8:1::/48"]
loopback = "dummy0"
[services.echo]
port = 7007
allow = ["198.51.100.0/24", "2001:db8:ffff::/48"]
[log]
level = "debug"
stats_interval_s = 60
)",
                          "x.toml");
  EXPECT_EQ(c.datapath.xdp_mode, XdpMode::automatic);
  EXPECT_EQ(c.datapath.vip_max_entries, 131072u);
  EXPECT_EQ(c.datapath.allow_max_entries, 64u);
  EXPECT_EQ(c.anycast.loopback, "dummy0");
  EXPECT_EQ(c.services[0].port, 7007);
  ASSERT_EQ(c.services[0].allow.size(), 2u);
  EXPECT_EQ(c.services[0].allow[1], parse_prefix("2001:db8:ffff::/48"));
  EXPECT_EQ(c.log.level, spdlog::level::debug);
  EXPECT_EQ(c.log.stats_interval_s, 60u);
}

TEST(Config, ModesAndLevels) {
  for (auto [text, mode] : {std::pair{"native", XdpMode::native}, std::pair{"generic", XdpMode::generic},
                            std::pair{"auto", XdpMode::automatic}}) {
    std::string doc = std::string("[datapath]\ninterface=\"e\"\nxdp_mode=\"") + text +
                      "\"\n[anycast]\naddresses=[\"192.0.2.1\"]\n";
    EXPECT_EQ(parse_config(doc, "x").datapath.xdp_mode, mode) << text;
    EXPECT_EQ(to_string(mode), std::string(text));
  }
  spdlog::level::level_enum level;
  EXPECT_TRUE(parse_log_level("warn", level));
  EXPECT_EQ(level, spdlog::level::warn);
  EXPECT_TRUE(parse_log_level("off", level));
  EXPECT_FALSE(parse_log_level("verbose", level));
}

// Each mistake, and the exact words (file, line, key path) it must be reported with.
struct Bad {
  const char* what;
  const char* text;
  const char* error;
};

// Lines: 1 [datapath]  2 interface  3 [anycast]  4 addresses  5 [services.echo]  6 port
#define BASE_DATAPATH "[datapath]\ninterface = \"eth0\"\n"
#define BASE_ANYCAST "[anycast]\naddresses = [\"192.0.2.10\"]\n"
// After BASE_DATAPATH: 3 [[group]]  4 name  5 addresses
// After BASE_DATAPATH BASE_ANYCAST: 5 [services.ntp]  6 clock  7 [services.ntp.rate_limit]
#define NTP_RL "[services.ntp]\nclock = \"kernel\"\n[services.ntp.rate_limit]\n"
#define GROUP_A "[[group]]\nname = \"a\"\naddresses = [\"192.0.2.10\"]\n"
#define LONG_NAME                                                                                        \
  "a-socket-name-that-goes-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-" \
  "and-on.sock"

const Bad kBad[] = {
    // unknown keys at every level
    {"unknown top-level table", BASE_DATAPATH BASE_ANYCAST "[servces.echo]\nport = 7\n",
     "anycastd.toml:5: servces: unknown key (expected: datapath, anycast, services, health, route, group, hook, control, "
     "metrics, log, shipped_default)"},
    {"unknown top-level key", "verbose = true\n" BASE_DATAPATH BASE_ANYCAST,
     "anycastd.toml:1: verbose: unknown key"},
    {"unknown datapath key", BASE_DATAPATH "mode = \"native\"\n" BASE_ANYCAST,
     "anycastd.toml:3: datapath.mode: unknown key (expected: kind, interface, xdp_mode, attach, chain_map, "
     "chain_index, dispatcher_priority, vip_max_entries, allow_max_entries, dpdk)"},
    {"unknown anycast key", BASE_DATAPATH BASE_ANYCAST "loopbak = \"lo\"\n",
     "anycastd.toml:5: anycast.loopbak: unknown key (expected: addresses, loopback, host_vips)"},
    {"unknown service key", BASE_DATAPATH BASE_ANYCAST "[services.echo]\nprot = 7\n",
     "anycastd.toml:6: services.echo.prot: unknown key (expected: port, allow)"},
    {"unknown service", BASE_DATAPATH BASE_ANYCAST "[services.ehco]\nport = 7\n",
     "anycastd.toml:5: services.ehco: unknown service (expected: echo, ntp, dns)"},
    // [services.ntp.rate_limit]: after BASE_DATAPATH BASE_ANYCAST NTP_RL, line 8 is the first key
    {"rate limit unknown key", BASE_DATAPATH BASE_ANYCAST NTP_RL "rate = 1\nburts = 4\n",
     "anycastd.toml:9: services.ntp.rate_limit.burts: unknown key (expected: rate, burst, ipv4_prefix, ipv6_prefix)"},
    {"rate limit without rate", BASE_DATAPATH BASE_ANYCAST NTP_RL "burst = 4\n",
     "anycastd.toml:7: services.ntp.rate_limit.rate: missing: requests per second per source prefix (0 turns it off)"},
    {"rate limit negative rate", BASE_DATAPATH BASE_ANYCAST NTP_RL "rate = -1\n",
     "anycastd.toml:8: services.ntp.rate_limit.rate: -1 is out of range (0 to 1e+06)"},
    {"rate limit rate too slow", BASE_DATAPATH BASE_ANYCAST NTP_RL "rate = 0.0001\n",
     "anycastd.toml:8: services.ntp.rate_limit.rate: 0.0001 is below the slowest rate (0.001, one request per 1000 "
     "s); 0 turns it off"},
    {"rate limit rate a string", BASE_DATAPATH BASE_ANYCAST NTP_RL "rate = \"8/s\"\n",
     "anycastd.toml:8: services.ntp.rate_limit.rate: expected a number, got a string"},
    {"rate limit burst zero", BASE_DATAPATH BASE_ANYCAST NTP_RL "rate = 1\nburst = 0\n",
     "anycastd.toml:9: services.ntp.rate_limit.burst: 0 is out of range (1 to 10000)"},
    {"rate limit ipv4 prefix 33", BASE_DATAPATH BASE_ANYCAST NTP_RL "rate = 1\nipv4_prefix = 33\n",
     "anycastd.toml:9: services.ntp.rate_limit.ipv4_prefix: 33 is out of range (0 to 32)"},
    {"rate limit ipv6 prefix 129", BASE_DATAPATH BASE_ANYCAST NTP_RL "rate = 1\nipv6_prefix = 129\n",
     "anycastd.toml:9: services.ntp.rate_limit.ipv6_prefix: 129 is out of range (0 to 128)"},
    {"rate limit not a table", BASE_DATAPATH BASE_ANYCAST "[services.ntp]\nclock = \"kernel\"\nrate_limit = 5\n",
     "anycastd.toml:7: services.ntp.rate_limit: expected a table, got an integer"},
    {"rate limit on echo", BASE_DATAPATH BASE_ANYCAST "[services.echo]\n[services.echo.rate_limit]\nrate = 1\n",
     "services.echo.rate_limit: unknown key (expected: port, allow)"},
    {"unknown log key", BASE_DATAPATH BASE_ANYCAST "[log]\nlevel = \"info\"\ninterval = 5\n",
     "anycastd.toml:7: log.interval: unknown key (expected: level, stats_interval_s)"},
    {"unknown key in an inline table", "datapath = { interface = \"eth0\", kindd = \"xdp\" }\n" BASE_ANYCAST,
     "anycastd.toml:1: datapath.kindd: unknown key"},
    // missing
    {"no datapath", BASE_ANYCAST, "datapath: missing (a required table)"},
    {"no anycast", BASE_DATAPATH, "anycast: missing (a required table, unless [[group]] tables give the addresses)"},
    {"no interface", "[datapath]\nkind = \"xdp\"\n" BASE_ANYCAST,
     "anycastd.toml:1: datapath.interface: missing (an interface name, or a list of them)"},
    {"no addresses", BASE_DATAPATH "[anycast]\nloopback = \"lo\"\n",
     "anycastd.toml:3: anycast.addresses: missing"},
    {"empty addresses", BASE_DATAPATH "[anycast]\naddresses = []\n",
     "anycastd.toml:4: anycast.addresses: is empty"},
    // types
    {"interface not a string", "[datapath]\ninterface = 3\n" BASE_ANYCAST,
     "anycastd.toml:2: datapath.interface: expected a string or an array of strings, got an integer"},
    {"empty interface list", "[datapath]\ninterface = []\n" BASE_ANYCAST,
     "anycastd.toml:2: datapath.interface: empty: name one interface at least"},
    {"interface listed twice", "[datapath]\ninterface = [\"eth0\", \"eth1\", \"eth0\"]\n" BASE_ANYCAST,
     "anycastd.toml:2: datapath.interface[2]: \"eth0\" is listed twice"},
    {"bad name in the interface list", "[datapath]\ninterface = [\"eth0\", \"a/b\"]\n" BASE_ANYCAST,
     "anycastd.toml:2: datapath.interface[1]: \"a/b\" is not a valid interface name"},
    {"interface list element not a string", "[datapath]\ninterface = [\"eth0\", 1]\n" BASE_ANYCAST,
     "anycastd.toml:2: datapath.interface[1]: expected a string, got an integer"},
    {"unknown attach mode", BASE_DATAPATH "attach = \"shared\"\n" BASE_ANYCAST,
     "anycastd.toml:3: datapath.attach: unknown attach mode \"shared\" (expected: exclusive, dispatcher, chain)"},
    {"chain without its map", "[datapath]\nattach = \"chain\"\nchain_index = 1\n" BASE_ANYCAST,
     "anycastd.toml:1: datapath.chain_map: missing: attach = \"chain\" needs the path of the pinned prog array"},
    {"chain without its index", "[datapath]\nattach = \"chain\"\nchain_map = \"/sys/fs/bpf/edge/chain\"\n" BASE_ANYCAST,
     "anycastd.toml:1: datapath.chain_index: missing: attach = \"chain\" needs anycastd's slot in the prog array"},
    {"chain map relative", "[datapath]\nattach = \"chain\"\nchain_map = \"chain\"\nchain_index = 1\n" BASE_ANYCAST,
     "anycastd.toml:3: datapath.chain_map: \"chain\" is not an absolute path"},
    {"chain index negative", "[datapath]\nattach = \"chain\"\nchain_map = \"/b/chain\"\nchain_index = -1\n" BASE_ANYCAST,
     "anycastd.toml:4: datapath.chain_index: -1 is out of range (0 to 4294967294)"},
    {"chain with an interface", "[datapath]\nattach = \"chain\"\ninterface = \"eth0\"\nchain_map = \"/b/c\"\nchain_index = 1\n" BASE_ANYCAST,
     "anycastd.toml:3: datapath.interface: not used with attach = \"chain\": the operator's root program is what is "
     "attached, where and how"},
    {"chain_index without chain", BASE_DATAPATH "chain_index = 1\n" BASE_ANYCAST,
     "anycastd.toml:3: datapath.chain_index: only used with attach = \"chain\""},
    {"dispatcher_priority without dispatcher", BASE_DATAPATH "dispatcher_priority = 10\n" BASE_ANYCAST,
     "anycastd.toml:3: datapath.dispatcher_priority: only used with attach = \"dispatcher\""},
    {"addresses not an array", BASE_DATAPATH "[anycast]\naddresses = \"192.0.2.10\"\n",
     "anycastd.toml:4: anycast.addresses: expected an array, got a string"},
    {"address not a string", BASE_DATAPATH "[anycast]\naddresses = [\"192.0.2.10\", 5]\n",
     "anycastd.toml:4: anycast.addresses[1]: expected a string, got an integer"},
    {"port not an integer", BASE_DATAPATH BASE_ANYCAST "[services.echo]\nport = \"7\"\n",
     "anycastd.toml:6: services.echo.port: expected an integer, got a string"},
    {"port a float", BASE_DATAPATH BASE_ANYCAST "[services.echo]\nport = 7.0\n",
     "anycastd.toml:6: services.echo.port: expected an integer, got a floating-point number"},
    {"service not a table", BASE_DATAPATH BASE_ANYCAST "[services]\necho = 7\n",
     "anycastd.toml:6: services.echo: expected a table, got an integer"},
    {"services an array of tables", BASE_DATAPATH BASE_ANYCAST "[[services]]\nport = 7\n",
     "anycastd.toml:5: services: expected a table, got an array"},
    {"datapath not a table", "datapath = \"xdp\"\n" BASE_ANYCAST,
     "anycastd.toml:1: datapath: expected a table, got a string"},
    {"allow not an array", BASE_DATAPATH BASE_ANYCAST "[services.echo]\nallow = \"198.51.100.0/24\"\n",
     "anycastd.toml:6: services.echo.allow: expected an array, got a string"},
    // values
    {"dpdk without its table", "[datapath]\nkind = \"dpdk\"\n" BASE_ANYCAST,
     "anycastd.toml:1: datapath.dpdk: missing: kind = \"dpdk\" needs [datapath.dpdk]"},
    {"dpdk with an interface", "[datapath]\nkind = \"dpdk\"\ninterface = \"eth0\"\n[datapath.dpdk]\neal_args = []\nlcores = \"0-1\"\n" BASE_ANYCAST,
     "anycastd.toml:3: datapath.interface: not used with kind = \"dpdk\""},
    {"dpdk without eal_args", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\nlcores = \"0-1\"\n" BASE_ANYCAST,
     "anycastd.toml:3: datapath.dpdk.eal_args: missing"},
    {"dpdk without lcores", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = []\n" BASE_ANYCAST,
     "datapath.dpdk.lcores"},
    {"dpdk lcores in eal_args", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = [\"--no-huge\", \"-l\", \"0-1\"]\nlcores = \"0-1\"\n" BASE_ANYCAST,
     "anycastd.toml:4: datapath.dpdk.eal_args[1]: \"-l\": lcores come from datapath.dpdk.lcores"},
    {"dpdk --lcores in eal_args", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = [\"--lcores=0-1\"]\nlcores = \"0-1\"\n" BASE_ANYCAST,
     "datapath.dpdk.eal_args[0]: \"--lcores=0-1\": lcores come from datapath.dpdk.lcores"},
    {"dpdk bad lcores", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = []\nlcores = \"all\"\n" BASE_ANYCAST,
     "anycastd.toml:5: datapath.dpdk.lcores: \"all\" is not an EAL lcore list"},
    {"dpdk unknown exception", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = []\nlcores = \"0-1\"\nexception = \"kni\"\n" BASE_ANYCAST,
     "anycastd.toml:6: datapath.dpdk.exception: unknown exception path \"kni\" (expected: auto, virtio_user, tap)"},
    {"dpdk exception address without length", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = []\nlcores = \"0-1\"\nexception_addresses = [\"192.0.2.1\"]\n" BASE_ANYCAST,
     "datapath.dpdk.exception_addresses[0]: \"192.0.2.1\": give the subnet's length too"},
    {"dpdk unknown key", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = []\nlcores = \"0-1\"\nqueues = 4\n" BASE_ANYCAST,
     "anycastd.toml:6: datapath.dpdk.queues: unknown key"},
    {"dpdk one lcore", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = []\nlcores = \"3\"\n" BASE_ANYCAST,
     "anycastd.toml:5: datapath.dpdk.lcores: \"3\" is one lcore; the datapath needs two at least"},
    {"dpdk burst out of range", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = []\nlcores = \"0-1\"\nburst = 300\n" BASE_ANYCAST,
     "anycastd.toml:6: datapath.dpdk.burst: 300 is out of range (1 to 256)"},
    {"dpdk unknown profile", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = []\nlcores = \"0-1\"\nprofile = \"net_e1000\"\n" BASE_ANYCAST,
     "anycastd.toml:3: datapath.dpdk: anycastd-dpdk would refuse it: --profile: no profile named \"net_e1000\""},
    {"dpdk ports beside the flat exception keys", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = []\nlcores = \"0-2\"\nexception_interface = \"ac0\"\n[[datapath.dpdk.ports]]\n[[datapath.dpdk.ports]]\n" BASE_ANYCAST,
     "datapath.dpdk.exception_interface: not used with datapath.dpdk.ports: give it in each port's entry"},
    {"dpdk two ports one worker", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = []\nlcores = \"0-1\"\n[[datapath.dpdk.ports]]\n[[datapath.dpdk.ports]]\n" BASE_ANYCAST,
     "datapath.dpdk.lcores: \"0-1\" is 2 lcores, 1 worker for 2 ports: the first lcore serves anycastd"},
    {"dpdk two ports three workers", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = []\nlcores = \"0-1,2-3@1\"\n[[datapath.dpdk.ports]]\n[[datapath.dpdk.ports]]\n" BASE_ANYCAST,
     "give 1 + a multiple of 2 lcores"},
    {"dpdk ports not tables", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = []\nlcores = \"0-2\"\nports = [\"ac0\", \"ac1\"]\n" BASE_ANYCAST,
     "datapath.dpdk.ports: expected one [[datapath.dpdk.ports]] table per port"},
    {"dpdk two ports one interface", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = []\nlcores = \"0-2\"\n[[datapath.dpdk.ports]]\nexception_interface = \"up\"\n[[datapath.dpdk.ports]]\nexception_interface = \"up\"\n" BASE_ANYCAST,
     "datapath.dpdk.ports[1].exception_interface: \"up\" is another port's too"},
    {"dpdk port unknown key", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = []\nlcores = \"0-1\"\n[[datapath.dpdk.ports]]\niface = \"up\"\n" BASE_ANYCAST,
     "datapath.dpdk.ports[0].iface: unknown key (expected: exception_interface, exception_addresses)"},
    {"dpdk interface name with a devargs separator", "[datapath]\nkind = \"dpdk\"\n[datapath.dpdk]\neal_args = []\nlcores = \"0-1\"\nexception_interface = \"ac,0\"\n" BASE_ANYCAST,
     "anycastd.toml:3: datapath.dpdk: anycastd-dpdk would refuse it: --exception-interface"},
    {"dpdk table with xdp", BASE_DATAPATH "[datapath.dpdk]\nlcores = \"0\"\n" BASE_ANYCAST,
     "anycastd.toml:3: datapath.dpdk: only used with kind = \"dpdk\""},
    {"unknown kind", "[datapath]\nkind = \"afxdp\"\ninterface = \"eth0\"\n" BASE_ANYCAST,
     "anycastd.toml:2: datapath.kind: unknown datapath \"afxdp\" (expected: xdp, dpdk)"},
    {"unknown xdp_mode", BASE_DATAPATH "xdp_mode = \"skb\"\n" BASE_ANYCAST,
     "anycastd.toml:3: datapath.xdp_mode: unknown mode \"skb\" (expected: native, generic, auto)"},
    {"bad interface name", "[datapath]\ninterface = \"a-name-far-too-long-for-linux\"\n" BASE_ANYCAST,
     "anycastd.toml:2: datapath.interface: \"a-name-far-too-long-for-linux\" is not a valid interface name"},
    {"empty interface name", "[datapath]\ninterface = \"\"\n" BASE_ANYCAST,
     "anycastd.toml:2: datapath.interface: \"\" is not a valid interface name"},
    {"bad loopback name", BASE_DATAPATH BASE_ANYCAST "loopback = \"lo/0\"\n",
     "anycastd.toml:5: anycast.loopback: \"lo/0\" is not a valid interface name"},
    {"vip_max_entries too small", BASE_DATAPATH "vip_max_entries = 10\n" BASE_ANYCAST,
     "anycastd.toml:3: datapath.vip_max_entries: 10 is out of range (65536 to 16777216)"},
    {"allow_max_entries zero", BASE_DATAPATH "allow_max_entries = 0\n" BASE_ANYCAST,
     "anycastd.toml:3: datapath.allow_max_entries: 0 is out of range (1 to 1048576)"},
    {"port zero", BASE_DATAPATH BASE_ANYCAST "[services.echo]\nport = 0\n",
     "anycastd.toml:6: services.echo.port: 0 is out of range (1 to 65535)"},
    {"port too big", BASE_DATAPATH BASE_ANYCAST "[services.echo]\nport = 65536\n",
     "anycastd.toml:6: services.echo.port: 65536 is out of range (1 to 65535)"},
    {"negative port", BASE_DATAPATH BASE_ANYCAST "[services.echo]\nport = -7\n",
     "anycastd.toml:6: services.echo.port: -7 is out of range (1 to 65535)"},
    {"not an address", BASE_DATAPATH "[anycast]\naddresses = [\"192.0.2.300\"]\n",
     "anycastd.toml:4: anycast.addresses[0]: \"192.0.2.300\": not an IPv4 or IPv6 address or prefix"},
    {"host bits set", BASE_DATAPATH "[anycast]\naddresses = [\"192.0.2.10\",\n  \"203.0.113.1/24\"]\n",
     "anycastd.toml:5: anycast.addresses[1]: \"203.0.113.1/24\": host bits are set; the prefix is 203.0.113.0/24"},
    {"prefix length out of range", BASE_DATAPATH "[anycast]\naddresses = [\"2001:db8::/129\"]\n",
     "anycast.addresses[0]: \"2001:db8::/129\": prefix length must be a number from 0 to 128"},
    {"duplicate VIP", BASE_DATAPATH "[anycast]\naddresses = [\n  \"192.0.2.10\",\n  \"192.0.2.10/32\",\n]\n",
     "anycastd.toml:6: anycast.addresses[1]: 192.0.2.10/32 duplicates 192.0.2.10/32 (anycast.addresses[0], line 5)"},
    {"overlapping VIPs", BASE_DATAPATH
     "[anycast]\naddresses = [\n  \"203.0.113.7\",\n  \"2001:db8::10\",\n  \"203.0.113.0/24\",\n]\n",
     "anycastd.toml:7: anycast.addresses[2]: 203.0.113.0/24 overlaps 203.0.113.7/32 (anycast.addresses[0], line 5)"},
    {"overlapping IPv6 VIPs", BASE_DATAPATH "[anycast]\naddresses = [\"2001:db8::/32\", \"2001:db8:1::/48\"]\n",
     "anycast.addresses[1]: 2001:db8:1::/48 overlaps 2001:db8::/32 (anycast.addresses[0], line 4)"},
    {"loopback VIP", BASE_DATAPATH "[anycast]\naddresses = [\"127.0.0.2\"]\n",
     "anycast.addresses[0]: 127.0.0.2/32 overlaps 127.0.0.0/8 (loopback)"},
    {"multicast VIP", BASE_DATAPATH "[anycast]\naddresses = [\"ff02::1\"]\n",
     "anycast.addresses[0]: ff02::1/128 overlaps ff00::/8 (multicast)"},
    {"everything as a VIP", BASE_DATAPATH "[anycast]\naddresses = [\"0.0.0.0/0\"]\n",
     "anycast.addresses[0]: 0.0.0.0/0 overlaps 0.0.0.0/8"},
    {"empty allow", BASE_DATAPATH BASE_ANYCAST "[services.echo]\nallow = []\n",
     "anycastd.toml:6: services.echo.allow: is empty, which would answer no one"},
    {"bad allow prefix", BASE_DATAPATH BASE_ANYCAST "[services.echo]\nallow = [\"198.51.100.0/33\"]\n",
     "anycastd.toml:6: services.echo.allow[0]: \"198.51.100.0/33\": prefix length must be a number from 0 to 32"},
    {"duplicate allow", BASE_DATAPATH BASE_ANYCAST "[services.echo]\nallow = [\"198.51.100.0/24\", \"198.51.100.0/24\"]\n",
     "anycastd.toml:6: services.echo.allow[1]: 198.51.100.0/24 is listed twice"},
    {"unknown log level", BASE_DATAPATH BASE_ANYCAST "[log]\nlevel = \"verbose\"\n",
     "anycastd.toml:6: log.level: unknown level \"verbose\""},
    {"stats interval negative", BASE_DATAPATH BASE_ANYCAST "[log]\nstats_interval_s = -1\n",
     "anycastd.toml:6: log.stats_interval_s: -1 is out of range (0 to 86400)"},
    {"vip_series above the hard maximum", BASE_DATAPATH BASE_ANYCAST "[metrics]\nvip_series = 1025\n",
     "anycastd.toml:6: metrics.vip_series: 1025 is out of range (0 to 1024)"},
    {"vip_series not an integer", BASE_DATAPATH BASE_ANYCAST "[metrics]\nvip_series = \"all\"\n",
     "metrics.vip_series"},
    // [health]
    {"unknown health key", BASE_DATAPATH BASE_ANYCAST "[health]\ninterval = 5\n",
     "anycastd.toml:6: health.interval: unknown key (expected: interval_ms, fast_interval_ms, rise, fall, "
     "hold_down_ms, disable_file, check, dampening)"},
    {"interval too short", BASE_DATAPATH BASE_ANYCAST "[health]\ninterval_ms = 5\n",
     "anycastd.toml:6: health.interval_ms: 5 is out of range (10 to 3600000)"},
    {"fast interval above interval", BASE_DATAPATH BASE_ANYCAST "[health]\ninterval_ms = 500\nfast_interval_ms = 600\n",
     "anycastd.toml:7: health.fast_interval_ms: 600 is more than health.interval_ms (500)"},
    {"fast interval above the default interval", BASE_DATAPATH BASE_ANYCAST "[health]\nfast_interval_ms = 1500\n",
     "anycastd.toml:6: health.fast_interval_ms: 1500 is more than health.interval_ms (1000)"},
    {"rise zero", BASE_DATAPATH BASE_ANYCAST "[health]\nrise = 0\n",
     "anycastd.toml:6: health.rise: 0 is out of range (1 to 100)"},
    {"fall zero", BASE_DATAPATH BASE_ANYCAST "[health]\nfall = 0\n",
     "anycastd.toml:6: health.fall: 0 is out of range (1 to 100)"},
    {"negative hold-down", BASE_DATAPATH BASE_ANYCAST "[health]\nhold_down_ms = -1\n",
     "anycastd.toml:6: health.hold_down_ms: -1 is out of range (0 to 3600000)"},
    {"relative disable file", BASE_DATAPATH BASE_ANYCAST "[health]\ndisable_file = \"disable\"\n",
     "anycastd.toml:6: health.disable_file: \"disable\" is not an absolute path (\"\" turns it off)"},
    {"check as a table", BASE_DATAPATH BASE_ANYCAST "[health.check]\nkind = \"tcp\"\n",
     "anycastd.toml:5: health.check: expected an array of tables ([[health.check]]), got a table"},
    {"check without kind", BASE_DATAPATH BASE_ANYCAST "[[health.check]]\nport = 80\n",
     "anycastd.toml:5: health.check[0].kind: missing (a required string: \"datapath\", \"tcp\", \"exec\" or \"clock\")"},
    {"unknown check kind", BASE_DATAPATH BASE_ANYCAST "[[health.check]]\nkind = \"http\"\n",
     "anycastd.toml:6: health.check[0].kind: unknown check \"http\" (expected: datapath, tcp, exec, clock)"},
    {"unknown check key", BASE_DATAPATH BASE_ANYCAST "[[health.check]]\nkind = \"tcp\"\nport = 80\ntimeout = 5\n",
     "anycastd.toml:8: health.check[0].timeout: unknown key (expected: kind, port, address, command, timeout_ms, soft, max_error_ms)"},
    {"tcp check without port", BASE_DATAPATH BASE_ANYCAST "[[health.check]]\nkind = \"tcp\"\n",
     "anycastd.toml:5: health.check[0].port: missing (a required integer for kind = \"tcp\": 1 to 65535)"},
    {"tcp check port zero", BASE_DATAPATH BASE_ANYCAST "[[health.check]]\nkind = \"tcp\"\nport = 0\n",
     "anycastd.toml:7: health.check[0].port: 0 is out of range (1 to 65535)"},
    {"tcp check with a command", BASE_DATAPATH BASE_ANYCAST
     "[[health.check]]\nkind = \"tcp\"\nport = 80\ncommand = \"true\"\n",
     "anycastd.toml:8: health.check[0].command: only for kind = \"exec\" (this check is \"tcp\")"},
    {"tcp check on a prefix", BASE_DATAPATH BASE_ANYCAST
     "[[health.check]]\nkind = \"tcp\"\nport = 80\naddress = \"192.0.2.0/24\"\n",
     "anycastd.toml:8: health.check[0].address: 192.0.2.0/24 is a prefix: a check connects to one address"},
    {"tcp check on no address", BASE_DATAPATH BASE_ANYCAST
     "[[health.check]]\nkind = \"tcp\"\nport = 80\naddress = \"192.0.2\"\n",
     "anycastd.toml:8: health.check[0].address: \"192.0.2\": not an IPv4 or IPv6 address or prefix"},
    {"tcp check on the unspecified address", BASE_DATAPATH BASE_ANYCAST
     "[[health.check]]\nkind = \"tcp\"\nport = 80\naddress = \"::\"\n",
     "anycastd.toml:8: health.check[0].address: :: is not an address a connection can go to"},
    {"tcp check on multicast", BASE_DATAPATH BASE_ANYCAST
     "[[health.check]]\nkind = \"tcp\"\nport = 80\naddress = \"239.1.1.1\"\n",
     "anycastd.toml:8: health.check[0].address: 239.1.1.1 is not an address a connection can go to"},
    {"tcp check with only prefix VIPs", BASE_DATAPATH "[anycast]\naddresses = [\"203.0.113.0/24\"]\n"
     "[[health.check]]\nkind = \"tcp\"\nport = 80\n",
     "anycastd.toml:5: health.check[0].address: missing: anycast.addresses has only prefix VIPs, so the check needs "
     "an address to connect to"},
    {"exec check with a port", BASE_DATAPATH BASE_ANYCAST
     "[[health.check]]\nkind = \"exec\"\ncommand = \"true\"\nport = 1\n",
     "anycastd.toml:8: health.check[0].port: only for kind = \"tcp\" (this check is \"exec\")"},
    {"exec check without command", BASE_DATAPATH BASE_ANYCAST "[[health.check]]\nkind = \"exec\"\n",
     "anycastd.toml:5: health.check[0].command: missing (a required string for kind = \"exec\")"},
    {"exec check empty command", BASE_DATAPATH BASE_ANYCAST "[[health.check]]\nkind = \"exec\"\ncommand = \"  \"\n",
     "anycastd.toml:7: health.check[0].command: is empty"},
    {"check timeout not below interval", BASE_DATAPATH BASE_ANYCAST
     "[health]\ninterval_ms = 500\n[[health.check]]\nkind = \"datapath\"\n[[health.check]]\nkind = \"datapath\"\n"
     "timeout_ms = 500\n",
     "anycastd.toml:11: health.check[1].timeout_ms: 500 is not less than health.interval_ms (500): a check must be "
     "over before the next round is due"},
    // [route]
    {"unknown route key", BASE_DATAPATH BASE_ANYCAST "[route]\nsignall = \"bird\"\n",
     "anycastd.toml:6: route.signall: unknown key (expected: signal, drain_ms, graceful_shutdown, soft_drain_ms, ibgp, up, "
     "degraded, draining, bird, exabgp, frr, gobgp)"},
    {"unknown signal", BASE_DATAPATH BASE_ANYCAST "[route]\nsignal = \"bgp\"\n",
     "anycastd.toml:6: route.signal: unknown signal \"bgp\" (expected: alias, bird, exabgp, frr, gobgp)"},
    {"drain too long", BASE_DATAPATH BASE_ANYCAST "[route]\ndrain_ms = 600001\n",
     "anycastd.toml:6: route.drain_ms: 600001 is out of range (0 to 600000)"},
    {"graceful shutdown not a boolean", BASE_DATAPATH BASE_ANYCAST "[route]\ngraceful_shutdown = \"yes\"\n",
     "anycastd.toml:6: route.graceful_shutdown: expected a boolean, got a string"},
    {"graceful shutdown with the alias signal", BASE_DATAPATH BASE_ANYCAST "[route]\ngraceful_shutdown = true\n",
     "anycastd.toml:6: route.graceful_shutdown: the alias signal cannot tag routes: graceful shutdown (RFC 8326) "
     "needs signal = \"bird\", \"exabgp\", \"frr\" or \"gobgp\""},
    {"bird without protocol", BASE_DATAPATH BASE_ANYCAST "[route]\nsignal = \"bird\"\n",
     "anycastd.toml:5: route.bird.protocol: missing: signal = \"bird\" needs the BIRD static protocol(s) that carry "
     "the group's routes"},
    {"dampening reuse above suppress", BASE_DATAPATH BASE_ANYCAST "[health.dampening]\npenalty = 1000\nreuse = 3000\n",
     "anycastd.toml:5: health.dampening: reuse (3000) must be below suppress (2000): a suppressed group would never "
     "be let back"},
    {"dampening zero half-life", BASE_DATAPATH BASE_ANYCAST "[health.dampening]\npenalty = 1000\nhalf_life_ms = 0\n",
     "anycastd.toml:5: health.dampening: half_life_ms must be positive"},
    {"local preference over ebgp", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"exabgp\"\n[route.exabgp]\nnext_hop4 = \"198.51.100.2\"\n[route.degraded]\nlocal_preference = 50\n",
     "anycastd.toml:9: route.degraded: degraded (exabgp signal): local_preference is sent to iBGP peers only "
     "(RFC 4271 5.1.5): set ibgp = true in [route] if the peers are iBGP, or remove it"},
    {"attributes for the alias signal", BASE_DATAPATH BASE_ANYCAST "[route.up]\nmed = 10\n",
     "anycastd.toml:5: route.up: up (alias signal): cannot carry med"},
    {"attributes for the bird signal", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"bird\"\n[route.bird]\nprotocol = \"p\"\n[route.degraded]\nmed = 10\n",
     "anycastd.toml:9: route.degraded: degraded (bird signal): BIRD takes the attributes from the static "
     "protocols announcing this state ([route.bird] degraded_protocol), set them in their import filter in BIRD's "
     "config"},
    {"bad large community", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"exabgp\"\n[route.exabgp]\nnext_hop4 = \"198.51.100.2\"\n[route.draining]\n"
     "large_communities = [\"1:2\"]\n",
     "anycastd.toml:9: route.draining: draining (exabgp signal): large community \"1:2\" is not GA:LD1:LD2 "
     "(0-4294967295 each, RFC 8092)"},
    {"prepend without local_as", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"exabgp\"\n[route.exabgp]\nnext_hop4 = \"198.51.100.2\"\n[route.degraded]\nprepend = 2\n",
     "anycastd.toml:9: route.degraded: prepend needs exabgp.local_as: the AS repeated in the AS path"},
    {"unknown bird key", BASE_DATAPATH BASE_ANYCAST "[route]\nsignal = \"bird\"\n[route.bird]\nprotocols = [\"a\"]\n",
     "anycastd.toml:8: route.bird.protocols: unknown key (expected: socket, protocol, gshut_protocol, draining_protocol, "
     "degraded_protocol, timeout_ms)"},
    {"bird protocol with a space", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"bird\"\n[route.bird]\nprotocol = \"anycast vips\"\n",
     "anycastd.toml:8: route.bird.protocol: \"anycast vips\" is not a BIRD protocol name or pattern"},
    {"bird protocol list element", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"bird\"\n[route.bird]\nprotocol = [\"anycast_vips4\",\n  \"anycast;vips6\"]\n",
     "anycastd.toml:9: route.bird.protocol[1]: \"anycast;vips6\" is not a BIRD protocol name or pattern"},
    {"bird protocol list empty", BASE_DATAPATH BASE_ANYCAST "[route]\nsignal = \"bird\"\n[route.bird]\nprotocol = []\n",
     "anycastd.toml:8: route.bird.protocol: is empty: name at least one protocol"},
    {"bird protocol twice", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"bird\"\n[route.bird]\nprotocol = [\"p4\", \"p4\"]\n",
     "anycastd.toml:8: route.bird.protocol[1]: \"p4\" is listed twice"},
    {"bird protocol a number", BASE_DATAPATH BASE_ANYCAST "[route]\nsignal = \"bird\"\n[route.bird]\nprotocol = 4\n",
     "anycastd.toml:8: route.bird.protocol: expected a string or an array of strings, got an integer"},
    {"bird socket relative", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"bird\"\n[route.bird]\nprotocol = \"p\"\nsocket = \"bird.ctl\"\n",
     "anycastd.toml:9: route.bird.socket: \"bird.ctl\" is not an absolute path"},
    {"bird timeout zero", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"bird\"\n[route.bird]\nprotocol = \"p\"\ntimeout_ms = 0\n",
     "anycastd.toml:9: route.bird.timeout_ms: 0 is out of range (1 to 60000)"},
    {"bird settings with the alias signal", BASE_DATAPATH BASE_ANYCAST "[route.bird]\nprotocol = \"p\"\n",
     "anycastd.toml:5: route.bird: given, but route.signal is \"alias\" (set signal = \"bird\" to use it)"},
    {"graceful shutdown without gshut protocols", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"bird\"\ngraceful_shutdown = true\n[route.bird]\nprotocol = \"p\"\n",
     "anycastd.toml:5: route.bird.gshut_protocol: missing: graceful_shutdown = true with signal = \"bird\" needs "
     "the protocol(s) announcing the routes tagged GRACEFUL_SHUTDOWN"},
    {"gshut protocols without graceful shutdown", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"bird\"\n[route.bird]\nprotocol = \"p\"\ngshut_protocol = \"p_gshut\"\n",
     "anycastd.toml:9: route.bird.gshut_protocol: set, but graceful_shutdown is false and soft_drain_ms is 0: set "
     "[route] graceful_shutdown = true or soft_drain_ms to use it, or remove it"},
    {"gshut protocol matched by a protocol pattern", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"bird\"\ngraceful_shutdown = true\n[route.bird]\nprotocol = \"anycast_vips*\"\n"
     "gshut_protocol = \"anycast_vips4_gshut\"\n",
     "anycastd.toml:10: route.bird.gshut_protocol: \"anycast_vips4_gshut\" matches \"anycast_vips*\" in "
     "bird.protocol: the tagged routes need protocols of their own"},
    {"exabgp without next hop", BASE_DATAPATH BASE_ANYCAST "[route]\nsignal = \"exabgp\"\n",
     "anycastd.toml:5: route.exabgp.next_hop4: missing: the group has IPv4 VIPs (192.0.2.10/32) and ExaBGP needs "
     "this edge's IPv4 address as their next hop"},
    {"exabgp without IPv6 next hop", BASE_DATAPATH
     "[anycast]\naddresses = [\"192.0.2.10\", \"2001:db8::10\", \"2001:db8::11\"]\n"
     "[route]\nsignal = \"exabgp\"\n[route.exabgp]\nnext_hop4 = \"198.51.100.2\"\n",
     "anycastd.toml:5: route.exabgp.next_hop6: missing: the group has IPv6 VIPs (2001:db8::10/128 and 1 more)"},
    {"exabgp next hop of the wrong family", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"exabgp\"\n[route.exabgp]\nnext_hop4 = \"2001:db8::2\"\n",
     "anycastd.toml:8: route.exabgp.next_hop4: \"2001:db8::2\" is not an IPv4 address"},
    {"exabgp next hop not an address", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"exabgp\"\n[route.exabgp]\nnext_hop4 = \"edge1\"\n",
     "anycastd.toml:8: route.exabgp.next_hop4: \"edge1\": not an IPv4 or IPv6 address or prefix"},
    {"exabgp next hop empty", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"exabgp\"\n[route.exabgp]\nnext_hop4 = \"\"\n",
     "anycastd.toml:8: route.exabgp.next_hop4: is empty: this edge's IPv4 address"},
    {"exabgp bad community", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"exabgp\"\n[route.exabgp]\nnext_hop4 = \"198.51.100.2\"\ncommunities = [\"65001:1\", "
     "\"65536:1\"]\n",
     "anycastd.toml:9: route.exabgp.communities[1]: community \"65536:1\" is not ASN:VALUE (0-65535 each)"},
    {"exabgp community twice", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"exabgp\"\n[route.exabgp]\nnext_hop4 = \"198.51.100.2\"\ncommunities = [\"no-export\", "
     "\"no-export\"]\n",
     "anycastd.toml:9: route.exabgp.communities[1]: \"no-export\" is listed twice"},
    {"frr without asn", BASE_DATAPATH BASE_ANYCAST "[route]\nsignal = \"frr\"\n",
     "anycastd.toml:5: route.frr.asn: missing: signal = \"frr\" needs the AS of bgpd's `router bgp ASN`"},
    {"frr vtysh relative", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"frr\"\n[route.frr]\nasn = 65001\nvtysh = \"vtysh\"\n",
     "anycastd.toml:9: route.frr.vtysh: \"vtysh\" is not an absolute path"},
    {"frr graceful shutdown without its route-map", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"frr\"\ngraceful_shutdown = true\n[route.frr]\nasn = 65001\n",
     "anycastd.toml:5: route.frr.gshut_route_map: missing: graceful_shutdown = true with signal = \"frr\" needs the "
     "route-map that tags the routes GRACEFUL_SHUTDOWN"},
    {"frr gshut route-map is the plain one", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"frr\"\ngraceful_shutdown = true\n[route.frr]\nasn = 65001\nroute_map = \"a\"\n"
     "gshut_route_map = \"a\"\n",
     "anycastd.toml:11: route.frr.gshut_route_map: is also route_map: the tagged routes need a route-map of their own"},
    {"frr degraded route-map is the plain one", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"frr\"\n[route.frr]\nasn = 65001\nroute_map = \"a\"\ndegraded_route_map = \"a\"\n",
     "anycastd.toml:10: route.frr.degraded_route_map: is also route_map: the degraded routes need a route-map of "
     "their own"},
    {"frr degraded route-map not a name", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"frr\"\n[route.frr]\nasn = 65001\ndegraded_route_map = \"a b\"\n",
     "anycastd.toml:9: route.frr.degraded_route_map: \"a b\" is not a route-map name"},
    {"frr gshut route-map without graceful shutdown or soft drain", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"frr\"\n[route.frr]\nasn = 65001\ngshut_route_map = \"g\"\n",
     "anycastd.toml:9: route.frr.gshut_route_map: set, but graceful_shutdown is false and soft_drain_ms is 0"},
    {"frr route-map not a name", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"frr\"\n[route.frr]\nasn = 65001\nroute_map = \"any cast\"\n",
     "anycastd.toml:9: route.frr.route_map: \"any cast\" is not a route-map name"},
    {"frr pathspace not a name", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"frr\"\n[route.frr]\nasn = 65001\npathspace = \"../edge\"\n",
     "anycastd.toml:9: route.frr.pathspace: \"../edge\" is not a name (letters, digits, _ and -)"},
    {"frr settings with the bird signal", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"bird\"\n[route.bird]\nprotocol = \"p\"\n[route.frr]\nasn = 65001\n",
     "anycastd.toml:9: route.frr: given, but route.signal is \"bird\" (set signal = \"frr\" to use it)"},
    {"gobgp without next hop", BASE_DATAPATH BASE_ANYCAST "[route]\nsignal = \"gobgp\"\n",
     "anycastd.toml:5: route.gobgp.next_hop4: missing: the group has IPv4 VIPs (192.0.2.10/32) and GoBGP needs "
     "this edge's IPv4 address as their next hop"},
    {"gobgp api without port", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"gobgp\"\n[route.gobgp]\nnext_hop4 = \"198.51.100.2\"\napi = \"localhost\"\n",
     "anycastd.toml:9: route.gobgp.api: \"localhost\" has no port"},
    {"gobgp api relative unix socket", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"gobgp\"\n[route.gobgp]\nnext_hop4 = \"198.51.100.2\"\napi = \"unix://gobgpd.sock\"\n",
     "anycastd.toml:9: route.gobgp.api: \"unix://gobgpd.sock\" is not an absolute unix socket path"},
    {"gobgp bad community", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"gobgp\"\n[route.gobgp]\nnext_hop4 = \"198.51.100.2\"\ncommunities = [\"65001:70000\"]\n",
     "anycastd.toml:9: route.gobgp.communities[0]: community \"65001:70000\" is not ASN:VALUE"},
    {"exabgp pipe relative", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"exabgp\"\n[route.exabgp]\nnext_hop4 = \"198.51.100.2\"\npipe = \"exabgp\"\n",
     "anycastd.toml:9: route.exabgp.pipe: \"exabgp\" is not an absolute path"},
    {"unknown exabgp key", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"exabgp\"\n[route.exabgp]\nnext_hop = \"198.51.100.2\"\n",
     "anycastd.toml:8: route.exabgp.next_hop: unknown key (expected: pipe, next_hop4, next_hop6, communities, "
     "timeout_ms, local_as)"},
    {"exabgp settings with the bird signal", BASE_DATAPATH BASE_ANYCAST
     "[route]\nsignal = \"bird\"\n[route.bird]\nprotocol = \"p\"\n[route.exabgp]\nnext_hop4 = \"198.51.100.2\"\n",
     "anycastd.toml:9: route.exabgp: given, but route.signal is \"bird\" (set signal = \"exabgp\" to use it)"},
    // [[group]]
    {"anycast addresses and groups", BASE_DATAPATH BASE_ANYCAST GROUP_A,
     "anycastd.toml:4: anycast.addresses: not allowed together with [[group]] (line 5): each group lists its own "
     "addresses; move these into a group, or remove the [[group]] tables for the single-group form"},
    {"group as a table", BASE_DATAPATH "[group]\nname = \"a\"\n",
     "anycastd.toml:3: group: expected an array of tables ([[group]]), got a table"},
    {"no groups", "group = []\n" BASE_DATAPATH, "anycastd.toml:1: group: is empty: at least one group is needed"},
    {"unknown group key", BASE_DATAPATH GROUP_A "adresses = []\n",
     "anycastd.toml:6: group[0].adresses: unknown key (expected: name, addresses, services, disable_file, check, "
     "route)"},
    {"group without name", BASE_DATAPATH "[[group]]\naddresses = [\"192.0.2.10\"]\n",
     "anycastd.toml:3: group[0].name: missing (a required string)"},
    {"bad group name", BASE_DATAPATH "[[group]]\nname = \"dns servers\"\naddresses = [\"192.0.2.10\"]\n",
     "anycastd.toml:4: group[0].name: \"dns servers\" is not a group name (1 to 64 letters, digits, _ . -)"},
    {"group named all", BASE_DATAPATH "[[group]]\nname = \"all\"\naddresses = [\"192.0.2.10\"]\n",
     "anycastd.toml:4: group[0].name: \"all\" is reserved: `anycastctl drain all` means every group"},
    {"duplicate group name", BASE_DATAPATH GROUP_A "[[group]]\nname = \"a\"\naddresses = [\"192.0.2.20\"]\n",
     "anycastd.toml:7: group[1].name: \"a\" is already the name of group[0] (line 3)"},
    {"group without addresses", BASE_DATAPATH "[[group]]\nname = \"a\"\n",
     "anycastd.toml:3: group[0].addresses: missing (a required array of addresses or prefixes)"},
    {"group with no addresses", BASE_DATAPATH "[[group]]\nname = \"a\"\naddresses = []\n",
     "anycastd.toml:5: group[0].addresses: is empty: at least one VIP is needed"},
    {"VIP in two groups", BASE_DATAPATH GROUP_A
     "[[group]]\nname = \"b\"\naddresses = [\"2001:db8::10\", \"192.0.2.10\"]\n",
     "anycastd.toml:8: group[1].addresses[1]: 192.0.2.10/32 duplicates 192.0.2.10/32 (group[0].addresses[0], line 5)"},
    {"VIPs overlapping across groups", BASE_DATAPATH GROUP_A
     "[[group]]\nname = \"b\"\naddresses = [\"192.0.2.0/24\"]\n",
     "anycastd.toml:8: group[1].addresses[0]: 192.0.2.0/24 overlaps 192.0.2.10/32 (group[0].addresses[0], line 5)"},
    {"reserved VIP in a group", BASE_DATAPATH "[[group]]\nname = \"a\"\naddresses = [\"fe80::1\"]\n",
     "anycastd.toml:5: group[0].addresses[0]: fe80::1/128 overlaps fe80::/10 (link-local)"},
    {"unknown service in a group", BASE_DATAPATH "[services.echo]\n" GROUP_A "services = [\"smtp\"]\n",
     "anycastd.toml:7: group[0].services[0]: unknown service \"smtp\" (expected: echo, ntp, dns)"},
    {"unconfigured service in a group", BASE_DATAPATH GROUP_A "services = [\"echo\"]\n",
     "anycastd.toml:6: group[0].services[0]: \"echo\" is not configured: add a [services.echo] table, or leave it "
     "out of this list"},
    {"service twice in a group", BASE_DATAPATH "[services.echo]\n" GROUP_A "services = [\"echo\", \"echo\"]\n",
     "anycastd.toml:7: group[0].services[1]: \"echo\" is listed twice"},
    {"group disable file relative", BASE_DATAPATH GROUP_A "disable_file = \"off\"\n",
     "anycastd.toml:6: group[0].disable_file: \"off\" is not an absolute path"},
    {"group check port", BASE_DATAPATH GROUP_A
     "[[group.check]]\nkind = \"datapath\"\n[[group.check]]\nkind = \"exec\"\ncommand = \"true\"\n"
     "[[group.check]]\nkind = \"tcp\"\nport = 65536\n",
     "anycastd.toml:13: group[0].check[2].port: 65536 is out of range (1 to 65535)"},
    {"group tcp check with only prefix VIPs", BASE_DATAPATH
     "[[group]]\nname = \"a\"\naddresses = [\"203.0.113.0/24\"]\n[[group.check]]\nkind = \"tcp\"\nport = 80\n",
     "anycastd.toml:6: group[0].check[0].address: missing: the group has only prefix VIPs"},
    {"global tcp check and a group with only prefix VIPs", BASE_DATAPATH
     "[[health.check]]\nkind = \"tcp\"\nport = 80\n" GROUP_A
     "[[group]]\nname = \"b\"\naddresses = [\"203.0.113.0/24\"]\n",
     "anycastd.toml:3: health.check[0].address: missing: group[1] \"b\" has only prefix VIPs"},
    {"unknown group route key", BASE_DATAPATH GROUP_A "[group.route]\nsignal = \"bird\"\ndrain = 5\n",
     "anycastd.toml:8: group[0].route.drain: unknown key (expected: signal, drain_ms, graceful_shutdown, soft_drain_ms, "
     "ibgp, up, degraded, draining, bird, exabgp, frr, gobgp)"},
    {"group bird protocol", BASE_DATAPATH GROUP_A
     "[[group]]\nname = \"b\"\naddresses = [\"192.0.2.20\"]\n[group.route]\nsignal = \"bird\"\n[group.route.bird]\n"
     "protocol = \"b vips\"\n",
     "anycastd.toml:12: group[1].route.bird.protocol: \"b vips\" is not a BIRD protocol name or pattern"},
    {"group bird without protocol", BASE_DATAPATH GROUP_A
     "[[group]]\nname = \"b\"\naddresses = [\"192.0.2.20\"]\n[group.route]\nsignal = \"bird\"\n",
     "anycastd.toml:9: group[1].route.bird.protocol: missing: signal = \"bird\" needs the BIRD static protocol(s) "
     "that carry the group's routes, here or in [route.bird]"},
    {"group bird settings with the alias signal", BASE_DATAPATH GROUP_A "[group.route.bird]\nprotocol = \"p\"\n",
     "anycastd.toml:6: group[0].route.bird: given, but this group's signal is \"alias\" (set signal = \"bird\" to "
     "use it)"},
    {"groups sharing a bird protocol", BASE_DATAPATH
     "[route]\nsignal = \"bird\"\n[route.bird]\nprotocol = \"anycast_vips\"\n" GROUP_A
     "[[group]]\nname = \"b\"\naddresses = [\"192.0.2.20\"]\n",
     "anycastd.toml:6: route.bird.protocol: group[1] \"b\" and group[0] \"a\" would both switch \"anycast_vips\" on "
     "BIRD /run/bird/bird.ctl: each group needs protocols of its own"},
    {"group bird pattern matching another group's", BASE_DATAPATH "[route]\nsignal = \"bird\"\n" GROUP_A
     "[group.route.bird]\nprotocol = \"anycast_*\"\n[[group]]\nname = \"b\"\naddresses = [\"192.0.2.20\"]\n"
     "[group.route.bird]\nprotocol = [\"anycast_b4\"]\n",
     "anycastd.toml:14: group[1].route.bird.protocol: group[1] \"b\" and group[0] \"a\" would both switch "
     "\"anycast_b4\" and \"anycast_*\""},
    {"group exabgp without IPv6 next hop", BASE_DATAPATH
     "[route]\nsignal = \"exabgp\"\n[route.exabgp]\nnext_hop4 = \"198.51.100.2\"\n"
     "[[group]]\nname = \"a\"\naddresses = [\"192.0.2.10\"]\n[[group]]\nname = \"b\"\naddresses = [\"2001:db8::10\"]\n",
     "anycastd.toml:10: group[1].route.exabgp.next_hop6: missing: the group has IPv6 VIPs (2001:db8::10/128) and "
     "ExaBGP needs this edge's IPv6 address as their next hop (`next-hop self` sends 0.0.0.0 for IPv6 over an IPv4 "
     "session), here or in [route.exabgp]"},
    {"graceful shutdown inherited by an alias group", BASE_DATAPATH
     "[route]\nsignal = \"exabgp\"\ngraceful_shutdown = true\n[route.exabgp]\nnext_hop4 = \"198.51.100.2\"\n" GROUP_A
     "[group.route]\nsignal = \"alias\"\n",
     "anycastd.toml:5: route.graceful_shutdown: the alias signal cannot tag routes: graceful shutdown (RFC 8326) "
     "needs signal = \"bird\", \"exabgp\", \"frr\" or \"gobgp\" (for group[0] \"a\")"},
    {"exabgp settings no group uses", BASE_DATAPATH "[route.exabgp]\nnext_hop4 = \"198.51.100.2\"\n" GROUP_A,
     "anycastd.toml:3: route.exabgp: given, but no group uses signal = \"exabgp\""},
    {"gshut protocols no group uses", BASE_DATAPATH
     "[route.bird]\ngshut_protocol = \"g\"\n" GROUP_A "[group.route]\nsignal = \"bird\"\n[group.route.bird]\n"
     "protocol = \"p\"\n",
     "anycastd.toml:4: route.bird.gshut_protocol: set, but no group using the bird signal has graceful_shutdown = "
     "true"},
    // [control], [metrics]
    {"unknown control key", BASE_DATAPATH BASE_ANYCAST "[control]\npath = \"/run/a.sock\"\n",
     "anycastd.toml:6: control.path: unknown key (expected: socket)"},
    {"control socket relative", BASE_DATAPATH BASE_ANYCAST "[control]\nsocket = \"anycastd.sock\"\n",
     "anycastd.toml:6: control.socket: \"anycastd.sock\" is not an absolute path"},
    {"control socket too long", BASE_DATAPATH BASE_ANYCAST "[control]\nsocket = \"/run/" LONG_NAME "\"\n",
     "anycastd.toml:6: control.socket: \"/run/" LONG_NAME "\" is longer than a unix socket path may be (107 bytes)"},
    {"unknown metrics key", BASE_DATAPATH BASE_ANYCAST "[metrics]\nport = 9187\n",
     "anycastd.toml:6: metrics.port: unknown key (expected: listen, vip_series)"},
    {"metrics listen a host name", BASE_DATAPATH BASE_ANYCAST "[metrics]\nlisten = \"localhost:9187\"\n",
     "anycastd.toml:6: metrics.listen: \"localhost:9187\": not a numeric IPv4 or IPv6 address (\"\" turns metrics "
     "off)"},
    {"metrics listen without port", BASE_DATAPATH BASE_ANYCAST "[metrics]\nlisten = \"127.0.0.1\"\n",
     "anycastd.toml:6: metrics.listen: \"127.0.0.1\": expected \"ADDRESS:PORT\""},
    {"metrics listen IPv6 unbracketed", BASE_DATAPATH BASE_ANYCAST "[metrics]\nlisten = \"::1:9187\"\n",
     "anycastd.toml:6: metrics.listen: \"::1:9187\": an IPv6 address needs brackets"},
    {"metrics listen port too big", BASE_DATAPATH BASE_ANYCAST "[metrics]\nlisten = \"127.0.0.1:65536\"\n",
     "anycastd.toml:6: metrics.listen: \"127.0.0.1:65536\": the port must be a number"},
    {"metrics listen port zero", BASE_DATAPATH BASE_ANYCAST "[metrics]\nlisten = \"[::1]:0\"\n",
     "anycastd.toml:6: metrics.listen: \"[::1]:0\": the port must be 1 to 65535"},
    // syntax
    {"syntax error", BASE_DATAPATH "[anycast\naddresses = []\n", "anycastd.toml:3: syntax error at column"},
    {"duplicate key", "[datapath]\ninterface = \"eth0\"\ninterface = \"eth1\"\n" BASE_ANYCAST,
     "anycastd.toml:3: syntax error"},
};

class BadConfig : public testing::TestWithParam<Bad> {};

TEST_P(BadConfig, NamesTheKey) {
  std::string error = error_of(GetParam().text);
  EXPECT_NE(error.find(GetParam().error), std::string::npos)
      << "input:\n" << GetParam().text << "\nexpected to contain: " << GetParam().error << "\ngot: " << error;
}

INSTANTIATE_TEST_SUITE_P(Table, BadConfig, testing::ValuesIn(kBad), [](const testing::TestParamInfo<Bad>& info) {
  std::string name;
  for (const char* p = info.param.what; *p; ++p) name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
  return name;
});

TEST(Config, TooManyVipsForTheMap) {
  std::string doc = BASE_DATAPATH "allow_max_entries = 2\n" BASE_ANYCAST
                                  "[services.echo]\nallow = [\"198.51.100.0/24\", \"198.51.100.1/32\", \"192.0.2.0/24\"]\n";
  EXPECT_NE(error_of(doc).find("services: 3 IPv4 allow prefixes exceed datapath.allow_max_entries (2)"),
            std::string::npos)
      << error_of(doc);
}

TEST(Config, MissingFileNamesIt) {
  try {
    load_config("/nonexistent/anycastd.toml");
    FAIL() << "loaded a missing file";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/anycastd.toml: cannot open: No such file or directory");
  }
}

TEST(Config, ExampleFileParses) {
  Config c = load_config(ANYCASTD_EXAMPLE_CONFIG);
  EXPECT_FALSE(c.anycast.addresses.empty());
  ASSERT_EQ(c.services.size(), 1u);
  EXPECT_FALSE(c.services[0].allow.empty()) << "the example limits echo to the routers that probe it";
  EXPECT_EQ(c.groups.at(0).route.signal, SignalKind::alias);
}

// One example per signal, and one with groups, each in step with the routing daemon's snippets
// in examples/bird and examples/exabgp.
// The draining state's protocols (route-map) serve a soft drain too: without graceful_shutdown
// they are accepted when soft_drain_ms announces them.
TEST(Config, DrainingProtocolsServeASoftDrain) {
  Config bird = parse_config(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT
                             "[route]\nsignal = \"bird\"\nsoft_drain_ms = 5000\n[route.bird]\nprotocol = \"p\"\n"
                             "draining_protocol = \"p_draining\"\n",
                             "anycastd.toml");
  EXPECT_FALSE(bird.groups.at(0).route.graceful_shutdown);
  EXPECT_EQ(bird.groups[0].route.bird.gshut_protocols, (std::vector<std::string>{"p_draining"}));
  Config frr = parse_config(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT
                            "[route]\nsignal = \"frr\"\nsoft_drain_ms = 5000\n[route.frr]\nasn = 65001\n"
                            "gshut_route_map = \"g\"\ndegraded_route_map = \"d\"\n",
                            "anycastd.toml");
  EXPECT_EQ(frr.groups.at(0).route.frr.gshut_route_map, "g");
  EXPECT_EQ(frr.groups[0].route.frr.degraded_route_map, "d");
}

TEST(Config, SignalExamplesParse) {
  std::string dir = ANYCASTD_EXAMPLES_DIR;
  Config bird = load_config(dir + "/anycastd-bird.toml");
  EXPECT_EQ(bird.groups.at(0).route.signal, SignalKind::bird);
  EXPECT_EQ(bird.groups[0].route.bird.protocols, (std::vector<std::string>{"anycast_vips4", "anycast_vips6"}));
  EXPECT_TRUE(bird.groups[0].route.graceful_shutdown);

  Config exabgp = load_config(dir + "/anycastd-exabgp.toml");
  EXPECT_EQ(exabgp.groups.at(0).route.signal, SignalKind::exabgp);
  EXPECT_EQ(exabgp.groups[0].route.exabgp.pipe, "/run/exabgp/exabgp");

  Config frr = load_config(dir + "/anycastd-frr.toml");
  EXPECT_EQ(frr.groups.at(0).route.signal, SignalKind::frr);
  EXPECT_EQ(frr.groups[0].route.frr.asn, 65001u);
  EXPECT_EQ(frr.groups[0].route.frr.route_map, "anycast");
  EXPECT_EQ(frr.groups[0].route.frr.gshut_route_map, "anycast-gshut");
  EXPECT_EQ(frr.groups[0].route.frr.degraded_route_map, "anycast-degraded");

  Config gobgp = load_config(dir + "/anycastd-gobgp.toml");
  EXPECT_EQ(gobgp.groups.at(0).route.signal, SignalKind::gobgp);
  EXPECT_EQ(gobgp.groups[0].route.gobgp.api, "unix:///run/gobgpd/gobgpd.sock");

  Config groups = load_config(dir + "/anycastd-groups.toml");
  ASSERT_EQ(groups.groups.size(), 2u);
  EXPECT_NE(groups.groups[0].route.bird.protocols, groups.groups[1].route.bird.protocols);
  EXPECT_NE(groups.groups[0].services, groups.groups[1].services);
}

TEST(Tables, FromConfig) {
  Config c = parse_config(R"(
[datapath]
interface = "eth0"
[anycast]
addresses = ["192.0.2.10", "203.0.113.0/24", "2001:db8::10"]
[services.echo]
port = 7
allow = ["198.51.100.0/24", "2001:db8:ffff::/48"]
)",
                          "x.toml");
  FastpathTables t = build_tables(c);
  EXPECT_TRUE(t.answering);
  ASSERT_EQ(t.vips.size(), 3u);
  for (const VipEntry& v : t.vips) {
    EXPECT_EQ(v.value.flags, AC_VIP_F_ANSWERING);
    EXPECT_EQ(v.value.services, 1u << AC_SVC_ECHO);
    EXPECT_EQ(v.value.group, 0u);
  }
  EXPECT_EQ(t.vips[1].prefix, parse_prefix("203.0.113.0/24"));
  ASSERT_EQ(t.ports.size(), 1u);
  ASSERT_TRUE(t.ports.count(7));
  EXPECT_EQ(t.ports.at(7).flags, AC_SVC_F_ENABLED | AC_SVC_F_RESTRICTED);
  EXPECT_EQ(t.ports.at(7).service, static_cast<std::uint32_t>(AC_SVC_ECHO));
  ASSERT_EQ(t.allow.size(), 2u);
  EXPECT_EQ(t.allow[0].service, static_cast<std::uint32_t>(AC_SVC_ECHO));
  EXPECT_EQ(t.allow[0].source, parse_prefix("198.51.100.0/24"));
  EXPECT_EQ(t.allow[1].source, parse_prefix("2001:db8:ffff::/48"));

  ac_allow4_key key = allow4_key(t.allow[0]);
  EXPECT_EQ(key.prefixlen, 32u + 24u);
  EXPECT_EQ(ntohl(key.service), static_cast<std::uint32_t>(AC_SVC_ECHO));
}

TEST(Config, NtpRateLimitKeysAndDefaults) {
  Config off = parse_config(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT "[services.ntp]\nclock = \"kernel\"\n", "x.toml");
  ASSERT_EQ(off.services.size(), 1u);
  EXPECT_FALSE(off.services[0].rate_limit.on()) << "off by default";
  EXPECT_EQ(build_tables(off).ratelimit[AC_SVC_NTP].interval_ns, 0u);

  Config zero = parse_config(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT NTP_RL "rate = 0\nburst = 3\n", "x.toml");
  EXPECT_EQ(build_tables(zero).ratelimit[AC_SVC_NTP].interval_ns, 0u) << "rate 0 is off";

  Config defaults = parse_config(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT NTP_RL "rate = 2\n", "x.toml");
  ac_ratelimit_config d = build_tables(defaults).ratelimit[AC_SVC_NTP];
  EXPECT_EQ(d.interval_ns, 500000000u);
  EXPECT_EQ(d.burst, 8u);
  EXPECT_EQ(d.prefix4, 32u);
  EXPECT_EQ(d.prefix6, 64u);
  EXPECT_EQ(d.slip, 0u);

  Config all = parse_config(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT NTP_RL
                            "rate = 0.125\nburst = 4\nipv4_prefix = 24\nipv6_prefix = 56\n",
                            "x.toml");
  FastpathTables t = build_tables(all);
  ac_ratelimit_config c = t.ratelimit[AC_SVC_NTP];
  EXPECT_EQ(c.interval_ns, 8000000000u) << "0.125 per second: one every 8 s";
  EXPECT_EQ(c.burst, 4u);
  EXPECT_EQ(c.prefix4, 24u);
  EXPECT_EQ(c.prefix6, 56u);
  EXPECT_EQ(t.ratelimit[AC_SVC_ECHO].interval_ns, 0u);
}

TEST(Tables, PerGroup) {
  Config c = parse_config(kGroups, "x.toml");
  FastpathTables t = build_tables(c);
  ASSERT_EQ(t.vips.size(), 5u);
  const std::uint32_t expected_group[] = {0, 0, 0, 1, 2};
  const std::uint32_t expected_services[] = {1u << AC_SVC_ECHO, 1u << AC_SVC_ECHO, 1u << AC_SVC_ECHO, 0,
                                             1u << AC_SVC_ECHO};
  for (std::size_t i = 0; i < t.vips.size(); ++i) {
    EXPECT_EQ(t.vips[i].prefix, c.anycast.addresses[i]);
    EXPECT_EQ(t.vips[i].value.flags, AC_VIP_F_ANSWERING);
    EXPECT_EQ(t.vips[i].value.group, expected_group[i]) << i;
    EXPECT_EQ(t.vips[i].value.services, expected_services[i]) << i;
  }
  EXPECT_EQ(t.ports.size(), 1u) << "ports are shared: a VIP without the service passes its packets";
}

TEST(Tables, UnrestrictedAndNoServices) {
  Config c = parse_config(BASE_DATAPATH BASE_ANYCAST "[services.echo]\n", "x.toml");
  FastpathTables t = build_tables(c);
  EXPECT_EQ(t.ports.at(7).flags, AC_SVC_F_ENABLED);
  EXPECT_TRUE(t.allow.empty());

  // No services at all: the VIPs are the kernel's alone, the fast path passes everything.
  FastpathTables none = build_tables(parse_config(BASE_DATAPATH BASE_ANYCAST, "x.toml"));
  ASSERT_EQ(none.vips.size(), 1u);
  EXPECT_EQ(none.vips[0].value.services, 0u);
  EXPECT_TRUE(none.ports.empty());
}

TEST(Config, HostVipsForm) {
  auto with = [](const std::string& form, const std::string& addresses) {
    return parse_config(BASE_DATAPATH_TEXT "[anycast]\naddresses = [" + addresses + "]\n" +
                            (form.empty() ? "" : "host_vips = \"" + form + "\"\n"),
                        "anycastd.toml");
  };
  Config c = with("", "\"192.0.2.10\"");
  EXPECT_EQ(c.anycast.host_vips, HostVips::automatic);
  EXPECT_FALSE(host_vips_as_routes(c));
  EXPECT_TRUE(host_vips_as_routes(with("local_routes", "\"192.0.2.10\"")));
  EXPECT_EQ(with("addresses", "\"192.0.2.10\"").anycast.host_vips, HostVips::addresses);
  // auto: addresses up to kHostVipAddressLimit host VIPs, routes above; prefixes do not count.
  std::string list;
  for (std::size_t i = 0; i < kHostVipAddressLimit; ++i)
    list += (list.empty() ? "" : ", ") + std::string("\"2001:db8:1::") + std::to_string(i + 1) + "\"";
  list += ", \"203.0.113.0/24\"";
  EXPECT_FALSE(host_vips_as_routes(with("auto", list)));
  EXPECT_TRUE(host_vips_as_routes(with("auto", list + ", \"192.0.2.10\"")));
  EXPECT_FALSE(host_vips_as_routes(with("addresses", list + ", \"192.0.2.10\"")));

  std::string error = error_of(BASE_DATAPATH_TEXT BASE_ANYCAST_TEXT "host_vips = \"routes\"\n");
  EXPECT_NE(error.find("anycastd.toml:5"), std::string::npos) << error;
  EXPECT_NE(error.find("anycast.host_vips: unknown form \"routes\" (expected: auto, addresses, local_routes)"),
            std::string::npos)
      << error;
  // Restart-only: a reload would leave what is on the loopback in the other form.
  Config a = with("auto", "\"192.0.2.10\""), b = with("local_routes", "\"192.0.2.10\"");
  EXPECT_EQ(restart_only_changes(a, b).why(), "anycast.host_vips");
}

}  // namespace
}  // namespace anycastd
