// SPDX-License-Identifier: Apache-2.0
// The configuration contract: what parses, what each mistake is called, what the fast path is told.
#include "config.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace anycastd {
namespace {

// The contract exactly as the issue writes it.
constexpr const char* kContract = R"(
[datapath]
kind = "xdp"             # "xdp" now; "dpdk" comes with the DPDK issue
interface = "eth0"       # the NIC the fast path attaches to
xdp_mode = "native"      # "native" | "generic" | "auto"

[anycast]
addresses = ["192.0.2.10", "2001:db8::10"]   # addresses or prefixes
loopback = "lo"

[services.echo]
port = 7
# allow = ["198.51.100.0/24"]   # optional source prefixes
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
  EXPECT_EQ(c.datapath.interface, "eth0");
  EXPECT_EQ(c.datapath.xdp_mode, XdpMode::native);
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

const Bad kBad[] = {
    // unknown keys at every level
    {"unknown top-level table", BASE_DATAPATH BASE_ANYCAST "[servces.echo]\nport = 7\n",
     "anycastd.toml:5: servces: unknown key (expected: datapath, anycast, services, log)"},
    {"unknown top-level key", "verbose = true\n" BASE_DATAPATH BASE_ANYCAST,
     "anycastd.toml:1: verbose: unknown key"},
    {"unknown datapath key", BASE_DATAPATH "mode = \"native\"\n" BASE_ANYCAST,
     "anycastd.toml:3: datapath.mode: unknown key (expected: kind, interface, xdp_mode, vip_max_entries, "
     "allow_max_entries)"},
    {"unknown anycast key", BASE_DATAPATH BASE_ANYCAST "loopbak = \"lo\"\n",
     "anycastd.toml:5: anycast.loopbak: unknown key (expected: addresses, loopback)"},
    {"unknown service key", BASE_DATAPATH BASE_ANYCAST "[services.echo]\nprot = 7\n",
     "anycastd.toml:6: services.echo.prot: unknown key (expected: port, allow)"},
    {"unknown service", BASE_DATAPATH BASE_ANYCAST "[services.ehco]\nport = 7\n",
     "anycastd.toml:5: services.ehco: unknown service (expected: echo)"},
    {"unknown log key", BASE_DATAPATH BASE_ANYCAST "[log]\nlevel = \"info\"\ninterval = 5\n",
     "anycastd.toml:7: log.interval: unknown key (expected: level, stats_interval_s)"},
    {"unknown key in an inline table", "datapath = { interface = \"eth0\", kindd = \"xdp\" }\n" BASE_ANYCAST,
     "anycastd.toml:1: datapath.kindd: unknown key"},
    // missing
    {"no datapath", BASE_ANYCAST, "datapath: missing (a required table)"},
    {"no anycast", BASE_DATAPATH, "anycast: missing (a required table)"},
    {"no interface", "[datapath]\nkind = \"xdp\"\n" BASE_ANYCAST,
     "anycastd.toml:1: datapath.interface: missing (a required string)"},
    {"no addresses", BASE_DATAPATH "[anycast]\nloopback = \"lo\"\n",
     "anycastd.toml:3: anycast.addresses: missing"},
    {"empty addresses", BASE_DATAPATH "[anycast]\naddresses = []\n",
     "anycastd.toml:4: anycast.addresses: is empty"},
    // types
    {"interface not a string", "[datapath]\ninterface = 3\n" BASE_ANYCAST,
     "anycastd.toml:2: datapath.interface: expected a string, got an integer"},
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
    {"dpdk", "[datapath]\nkind = \"dpdk\"\ninterface = \"eth0\"\n" BASE_ANYCAST,
     "anycastd.toml:2: datapath.kind: \"dpdk\" is not supported yet"},
    {"unknown kind", "[datapath]\nkind = \"afxdp\"\ninterface = \"eth0\"\n" BASE_ANYCAST,
     "anycastd.toml:2: datapath.kind: unknown datapath \"afxdp\" (expected: xdp)"},
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

}  // namespace
}  // namespace anycastd
