// SPDX-License-Identifier: Apache-2.0
// Zones compiled for the daemon (start, reload): real master files read by the real compiler. A
// reload whose zone is bad keeps the table in use, and the status keeps saying its serial.
#include "daemon/dns_table_loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "dns/zone.h"

namespace anycastd {
namespace {

class DnsTableLoaderTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ac_dns_loader_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    zone_ = {"example.net", dir_ + "/example.net.zone"};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write_zone(std::uint32_t serial, const std::string& extra = "") {
    std::ofstream f(zone_.file);
    f << "$ORIGIN example.net.\n$TTL 3600\n"
      << "@ IN SOA ns1 hostmaster " << serial << " 7200 3600 1209600 300\n"
      << "@ IN NS ns1\nns1 IN A 192.0.2.53\nwww IN A 192.0.2.80\n"
      << extra;
  }

  std::string dir_;
  DnsZoneConfig zone_;
};

TEST_F(DnsTableLoaderTest, BadZoneKeepsTheTableInUse) {
  DnsTableLoader loader;
  EXPECT_EQ(loader.image(), nullptr);
  EXPECT_EQ(loader.status().loads, 0u);

  write_zone(2025112501);
  CompiledDns first = loader.compile({zone_});
  ASSERT_NE(first.image, nullptr);
  EXPECT_FALSE(first.image->empty());
  loader.installed(first);
  DnsStatus s = loader.status();
  ASSERT_EQ(s.zones.size(), 1u);
  EXPECT_EQ(s.zones[0].origin, "example.net.");
  EXPECT_EQ(s.zones[0].file, zone_.file);
  EXPECT_EQ(s.zones[0].serial, 2025112501u);
  EXPECT_EQ(s.zones[0].records, 4u);
  EXPECT_GT(s.entries, 0u);
  EXPECT_EQ(s.bytes, first.image->size());
  EXPECT_TRUE(s.last_load_ok);
  EXPECT_EQ(loader.image(), first.image);

  // A CNAME beside other data at www, on line 7.
  write_zone(2025112502, "www IN CNAME ns1\n");
  std::string error;
  try {
    loader.compile({zone_});
  } catch (const dns::ZoneError& e) {
    error = e.what();
  }
  EXPECT_EQ(error.rfind(zone_.file + ":7: ", 0), 0u) << error;
  s = loader.status();
  EXPECT_EQ(loader.image(), first.image) << "the table in use stays";
  ASSERT_EQ(s.zones.size(), 1u);
  EXPECT_EQ(s.zones[0].serial, 2025112501u) << "status still shows the serial in use";
  EXPECT_FALSE(s.last_load_ok);
  EXPECT_EQ(s.last_load_error, error);
  EXPECT_EQ(s.loads, 2u);
  EXPECT_EQ(s.load_failures, 1u);
  EXPECT_EQ(s.loaded, first.at);

  // A table the datapath refuses is no table in use either.
  write_zone(2025112503);
  CompiledDns third = loader.compile({zone_});
  loader.failed("the DPDK datapath refused the DNS table: test");
  EXPECT_EQ(loader.image(), first.image);
  EXPECT_EQ(loader.status().zones[0].serial, 2025112501u);
  EXPECT_EQ(loader.status().load_failures, 2u);

  loader.installed(third);
  EXPECT_EQ(loader.status().zones[0].serial, 2025112503u);
  EXPECT_TRUE(loader.status().last_load_ok);
  EXPECT_EQ(loader.status().last_load_error, "");
  EXPECT_EQ(loader.image(), third.image);
}

TEST_F(DnsTableLoaderTest, MissingFileIsNamed) {
  DnsTableLoader loader;
  std::string error;
  try {
    loader.compile({{"example.net", dir_ + "/absent.zone"}});
  } catch (const dns::ZoneError& e) {
    error = e.what();
  }
  EXPECT_EQ(error.rfind(dir_ + "/absent.zone", 0), 0u) << error;
  EXPECT_FALSE(loader.status().last_load_ok);
  EXPECT_EQ(loader.status().load_failures, 1u);
}

}  // namespace
}  // namespace anycastd
