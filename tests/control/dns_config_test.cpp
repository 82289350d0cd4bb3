// SPDX-License-Identifier: Apache-2.0
// [services.dns] (issue 8): zones, the slow path switch and the rate-limiting keys, and what each
// mistake is called.
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "datapath/config_tables.h"
#include "config/config.h"

namespace anycastd {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "anycastd.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(parsed)";
}

// The contract exactly as the issue writes it, on the foundation's minimal file.
constexpr const char* kDnsContract = R"([datapath]
interface = "eth0"
[anycast]
addresses = ["192.0.2.53"]

[services.dns]
port = 53
slow_path = true          # anycastd's own UDP+TCP server on the VIPs via the kernel

[[services.dns.zone]]
origin = "example.net"
file = "/etc/anycastd/example.net.zone"

[services.dns.rrl]
rate = 200                # responses per second per source prefix; 0 turns it off
slip = 2
)";

TEST(DnsConfig, ContractParses) {
  Config c = parse_config(kDnsContract, "anycastd.toml");
  const ServiceConfig* dns = dns_service(c);
  ASSERT_NE(dns, nullptr);
  EXPECT_EQ(dns->id, AC_SVC_DNS);
  EXPECT_EQ(dns->port, 53);
  EXPECT_TRUE(dns->dns.slow_path);
  ASSERT_EQ(dns->dns.zones.size(), 1u);
  EXPECT_EQ(dns->dns.zones[0].origin, "example.net");
  EXPECT_EQ(dns->dns.zones[0].file, "/etc/anycastd/example.net.zone");
  EXPECT_EQ(dns->dns.rrl.rate, 200u);
  EXPECT_EQ(dns->dns.rrl.slip, 2u);
  ASSERT_EQ(c.groups.size(), 1u);
  EXPECT_EQ(c.groups[0].services, 1u << AC_SVC_DNS);
  FastpathTables t = build_tables(c);
  ASSERT_EQ(t.ports.count(53), 1u);
  EXPECT_EQ(t.ports[53].service, static_cast<std::uint32_t>(AC_SVC_DNS));
}

TEST(DnsConfig, DefaultsAndEveryKey) {
  Config c = parse_config(R"([datapath]
interface = "eth0"
[anycast]
addresses = ["192.0.2.53"]
[services.dns]
[[services.dns.zone]]
origin = "Example.NET."
file = "/z/a"
[[services.dns.zone]]
origin = "example.net.example"
file = "/z/c"
[[services.dns.zone]]
origin = "_srv.b-2.example"
file = "/z/b"
)",
                          "x.toml");
  const ServiceConfig* dns = dns_service(c);
  ASSERT_NE(dns, nullptr);
  EXPECT_EQ(dns->port, 53) << "the well-known port";
  EXPECT_TRUE(dns->dns.slow_path);
  EXPECT_EQ(dns->dns.rrl.rate, 200u) << "on by default";
  EXPECT_EQ(dns->dns.rrl.slip, 2u);
  ASSERT_EQ(dns->dns.zones.size(), 3u);
  EXPECT_EQ(dns->dns.zones[0].origin, "example.net") << "lowercased, final dot dropped";
  EXPECT_EQ(dns->dns.zones[1].origin, "example.net.example") << "a suffix in text, not below it";
  EXPECT_EQ(dns->dns.zones[2].origin, "_srv.b-2.example");

  Config off = parse_config(R"([datapath]
interface = "eth0"
[anycast]
addresses = ["192.0.2.53"]
[services.dns]
port = 5353
slow_path = false
zone = [{ origin = "example.org", file = "/z/o" }]
rrl = { rate = 0, slip = 0 }
)",
                            "x.toml");
  dns = dns_service(off);
  ASSERT_NE(dns, nullptr);
  EXPECT_EQ(dns->port, 5353);
  EXPECT_FALSE(dns->dns.slow_path);
  EXPECT_EQ(dns->dns.rrl.rate, 0u);
  EXPECT_EQ(dns->dns.rrl.slip, 0u);
  ASSERT_EQ(dns->dns.zones.size(), 1u);

  Config root = parse_config("[datapath]\ninterface = \"eth0\"\n[anycast]\naddresses = [\"192.0.2.53\"]\n"
                             "[services.dns]\nzone = [{ origin = \".\", file = \"/z/root\" }]\n",
                             "x.toml");
  ASSERT_NE(dns_service(root), nullptr);
  EXPECT_EQ(dns_service(root)->dns.zones[0].origin, ".");
}

TEST(DnsConfig, NoDnsServiceNoDns) {
  Config c = parse_config("[datapath]\ninterface = \"eth0\"\n[anycast]\naddresses = [\"192.0.2.1\"]\n[services.echo]\n",
                          "x.toml");
  EXPECT_EQ(dns_service(c), nullptr);
}

// A group that leaves dns out may run with [services.dns] and no zone (zones come later).
TEST(DnsConfig, ZonesOnlyNeededWhereCarried) {
  Config c = parse_config(R"([datapath]
interface = "eth0"
[services.echo]
[services.dns]
[[group]]
name = "echo"
addresses = ["192.0.2.7"]
services = ["echo"]
)",
                          "x.toml");
  ASSERT_NE(dns_service(c), nullptr);
  EXPECT_TRUE(dns_service(c)->dns.zones.empty());
}

struct Bad {
  const char* what;
  const char* text;
  const char* error;
};

// Lines: 1 [datapath]  2 interface  3 [anycast]  4 addresses  5 [services.dns]  6 ...
#define BASE "[datapath]\ninterface = \"eth0\"\n[anycast]\naddresses = [\"192.0.2.53\"]\n[services.dns]\n"
#define ZONE "[[services.dns.zone]]\norigin = \"example.net\"\nfile = \"/z/example.net\"\n"

const Bad kBad[] = {
    {"unknown dns key", BASE "zones = []\n",
     "anycastd.toml:6: services.dns.zones: unknown key (expected: port, allow, slow_path, nsid, cookie_secret_file, cookie_secret_previous_file, zone, rrl)"},
    {"slow_path not a boolean", BASE "slow_path = \"yes\"\n" ZONE,
     "anycastd.toml:6: services.dns.slow_path: expected a boolean, got a string"},
    {"no zone in the flat form", BASE, "anycastd.toml:5: services.dns.zone: missing: group \"default\" carries dns, "
                                       "which needs at least one [[services.dns.zone]] (origin, file)"},
    {"no zone for a group listing dns",
     "[datapath]\ninterface = \"eth0\"\n[services.dns]\n[[group]]\nname = \"ns\"\naddresses = [\"192.0.2.53\"]\n"
     "services = [\"dns\"]\n",
     "anycastd.toml:3: services.dns.zone: missing: group \"ns\" carries dns"},
    {"dns in a group without [services.dns]",
     "[datapath]\ninterface = \"eth0\"\n[services.echo]\n[[group]]\nname = \"ns\"\naddresses = [\"192.0.2.53\"]\n"
     "services = [\"dns\"]\n",
     "anycastd.toml:7: group[0].services[0]: \"dns\" is not configured: add a [services.dns] table"},
    {"zone not an array of tables", BASE "zone = \"example.net\"\n",
     "anycastd.toml:6: services.dns.zone: expected an array of tables ([[services.dns.zone]]), got a string"},
    {"zone element not a table", BASE "zone = [\"example.net\"]\n",
     "anycastd.toml:6: services.dns.zone[0]: expected a table, got a string"},
    {"unknown zone key", BASE ZONE "serial = 1\n",
     "anycastd.toml:9: services.dns.zone[0].serial: unknown key (expected: origin, file)"},
    {"zone without origin", BASE "[[services.dns.zone]]\nfile = \"/z/a\"\n",
     "anycastd.toml:6: services.dns.zone[0].origin: missing (a required string)"},
    {"zone without file", BASE "[[services.dns.zone]]\norigin = \"example.net\"\n",
     "anycastd.toml:6: services.dns.zone[0].file: missing (a required string: the zone's master file, an absolute "
     "path)"},
    {"zone file relative", BASE "[[services.dns.zone]]\norigin = \"example.net\"\nfile = \"example.net.zone\"\n",
     "anycastd.toml:8: services.dns.zone[0].file: \"example.net.zone\" is not an absolute path"},
    {"origin empty", BASE "[[services.dns.zone]]\norigin = \"\"\nfile = \"/z\"\n",
     "anycastd.toml:7: services.dns.zone[0].origin: is empty"},
    {"origin with a space", BASE "[[services.dns.zone]]\norigin = \"exa mple.net\"\nfile = \"/z\"\n",
     "anycastd.toml:7: services.dns.zone[0].origin: has a character a zone name does not take here (' ')"},
    {"origin with an empty label", BASE "[[services.dns.zone]]\norigin = \"example..net\"\nfile = \"/z\"\n",
     "anycastd.toml:7: services.dns.zone[0].origin: has an empty label"},
    {"origin with a long label", BASE "[[services.dns.zone]]\norigin = \""
                                      "a123456789012345678901234567890123456789012345678901234567890123"
                                      ".net\"\nfile = \"/z\"\n",
     "anycastd.toml:7: services.dns.zone[0].origin: has a label longer than 63 bytes"},
    {"origin too long", BASE "[[services.dns.zone]]\norigin = \""
                             "a23456789012345678901234567890123456789012345678901234567890.b23456789012345678901234567890"
                             "123456789012345678901234567890.c234567890123456789012345678901234567890123456789012345678"
                             "90.d23456789012345678901234567890123456789012345678901234567890.e2345678901234\"\n"
                             "file = \"/z\"\n",
     "anycastd.toml:7: services.dns.zone[0].origin: is longer than 255 bytes in wire form"},
    {"origin twice", BASE ZONE "[[services.dns.zone]]\norigin = \"EXAMPLE.net.\"\nfile = \"/z/other\"\n",
     "anycastd.toml:10: services.dns.zone[1].origin: \"example.net\" is already the origin of services.dns.zone[0] "
     "(line 6)"},
    {"zone below another", BASE ZONE "[[services.dns.zone]]\norigin = \"sub.Example.net\"\nfile = \"/z/sub\"\n",
     "anycastd.toml:10: services.dns.zone[1].origin: \"sub.example.net\" and \"example.net\" of services.dns.zone[0] "
     "(line 6) overlap: zones may not nest"},
    {"zone above another", BASE ZONE "[[services.dns.zone]]\norigin = \"net\"\nfile = \"/z/net\"\n",
     "anycastd.toml:10: services.dns.zone[1].origin: \"net\" and \"example.net\" of services.dns.zone[0]"},
    {"root and another zone", BASE ZONE "[[services.dns.zone]]\norigin = \".\"\nfile = \"/z/root\"\n",
     "anycastd.toml:10: services.dns.zone[1].origin: \".\" and \"example.net\""},
    {"unknown rrl key", BASE ZONE "[services.dns.rrl]\nrate = 10\nwindow = 5\n",
     "anycastd.toml:11: services.dns.rrl.window: unknown key (expected: rate, slip)"},
    {"rrl rate negative", BASE ZONE "[services.dns.rrl]\nrate = -1\n",
     "anycastd.toml:10: services.dns.rrl.rate: -1 is out of range (0 to 1000000)"},
    {"rrl rate a float", BASE ZONE "[services.dns.rrl]\nrate = 2.5\n",
     "anycastd.toml:10: services.dns.rrl.rate: expected an integer, got a floating-point number"},
    {"rrl slip too big", BASE ZONE "[services.dns.rrl]\nslip = 101\n",
     "anycastd.toml:10: services.dns.rrl.slip: 101 is out of range (0 to 100)"},
    {"rrl not a table", BASE "rrl = 200\n" ZONE,
     "anycastd.toml:6: services.dns.rrl: expected a table, got an integer"},
    {"dns port shared with echo", BASE ZONE "[services.echo]\nport = 53\n",
     "services.echo.port: port 53 is already used by services.dns"},
};

class BadDnsConfig : public testing::TestWithParam<Bad> {};

TEST_P(BadDnsConfig, NamesTheKey) {
  std::string error = error_of(GetParam().text);
  EXPECT_NE(error.find(GetParam().error), std::string::npos)
      << "input:\n" << GetParam().text << "\nexpected to contain: " << GetParam().error << "\ngot: " << error;
}

INSTANTIATE_TEST_SUITE_P(Table, BadDnsConfig, testing::ValuesIn(kBad), [](const testing::TestParamInfo<Bad>& info) {
  std::string name;
  for (const char* p = info.param.what; *p; ++p) name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
  return name;
});

}  // namespace
}  // namespace anycastd
