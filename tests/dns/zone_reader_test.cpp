// SPDX-License-Identifier: Apache-2.0
// Zone files the reader and compiler must refuse, each with FILE:LINE naming the problem, and the
// master-file features they must accept.

#include <gtest/gtest.h>

#include "dns/zone_compiler.h"
#include "dns/zone_reader.h"
#include "zone_test_util.h"

namespace anycastd::test {
namespace {

const std::string soa = "@ 3600 IN SOA ns.example.net. admin.example.net. 1 7200 900 1209600 300\n";

// The error compiling `text` as example.net, "" if it compiles.
std::string error_of(const TempDir& dir, const std::string& text, const std::string& origin = "example.net")
{
  std::string file = dir.write("zone", text);
  try {
    dns::compile_zones({{origin, file}});
  } catch (const dns::ZoneError& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_ZONE_ERROR(text, line, what)                           \
  do {                                                                \
    TempDir dir;                                                      \
    std::string err = error_of(dir, text);                            \
    std::string where = (dir.path() / "zone").string() + ":" + line + ": "; \
    EXPECT_NE(err.find(where), std::string::npos) << err;             \
    EXPECT_NE(err.find(what), std::string::npos) << err;              \
  } while (0)

TEST(ZoneReader, MissingSoa)
{
  EXPECT_ZONE_ERROR("$ORIGIN example.net.\n$TTL 60\nwww A 192.0.2.1\n", "3", "no SOA record at the zone apex");
}

TEST(ZoneReader, SecondSoa)
{
  EXPECT_ZONE_ERROR(soa + "@ SOA ns2.example.net. admin.example.net. 2 7200 900 1209600 300\n", "2",
                    "a second SOA");
}

TEST(ZoneReader, SoaBelowTheApex)
{
  EXPECT_ZONE_ERROR(soa + "sub SOA ns.example.net. admin.example.net. 1 7200 900 1209600 300\n", "2",
                    "not at the zone apex");
}

TEST(ZoneReader, CnameBesideOtherData)
{
  EXPECT_ZONE_ERROR(soa + "www A 192.0.2.1\nwww CNAME other\n", "3", "a CNAME must be alone");
  EXPECT_ZONE_ERROR(soa + "www CNAME other\nwww TXT \"x\"\n", "3", "a CNAME must be alone");
  EXPECT_ZONE_ERROR(soa + "@ CNAME other\n", "2", "a CNAME must be alone");
  EXPECT_ZONE_ERROR(soa + "www CNAME a\nwww CNAME b\n", "3", "a second CNAME");
}

TEST(ZoneReader, DataOutsideTheZone)
{
  EXPECT_ZONE_ERROR(soa + "www.example.org. A 192.0.2.1\n", "2", "outside the zone");
  EXPECT_ZONE_ERROR(soa + "$ORIGIN net.\nother A 192.0.2.1\n", "3", "outside the zone");
  // A suffix that is not on a label boundary is not inside.
  EXPECT_ZONE_ERROR(soa + "badexample.net. A 192.0.2.1\n", "2", "outside the zone");
}

TEST(ZoneReader, ClassOtherThanIn)
{
  // Knot's scanner knows no class but IN and refuses the others itself.
  EXPECT_ZONE_ERROR(soa + "www CH A 192.0.2.1\n", "2", "");
  EXPECT_ZONE_ERROR(soa + "www CLASS3 A 192.0.2.1\n", "2", "");
}

TEST(ZoneReader, SyntaxErrors)
{
  EXPECT_ZONE_ERROR(soa + "www A 192.0.2.999\n", "2", "");
  EXPECT_ZONE_ERROR(soa + "\n\nwww A 192.0.2.1\nmx MX ten mail\n", "5", "");
  EXPECT_ZONE_ERROR(soa + "www TXT \"unclosed\n", "2", "");
  EXPECT_ZONE_ERROR(soa + "www NOSUCHTYPE 1\n", "2", "");
}

TEST(ZoneCompiler, CnameLoops)
{
  for (const std::string& text : {soa + "a CNAME b\nb CNAME c\nc CNAME a\n", soa + "self CNAME self\n",
                                  soa + "*.w CNAME x.w\n"}) {
    TempDir dir;
    std::string err = error_of(dir, text);
    EXPECT_NE(err.find((dir.path() / "zone").string() + ":"), std::string::npos) << err;
    EXPECT_NE(err.find("CNAME loop"), std::string::npos) << err;
  }
}

TEST(ZoneCompiler, CnameChainTooLong)
{
  std::string text = soa;
  for (int i = 0; i < 9; i++)
    text += "c" + std::to_string(i) + " CNAME c" + std::to_string(i + 1) + "\n";
  text += "c9 A 192.0.2.1\n";
  TempDir dir;
  std::string err = error_of(dir, text);
  EXPECT_NE(err.find((dir.path() / "zone").string() + ":2: the CNAME chain from c0.example.net. is longer than 8"),
            std::string::npos)
      << err;
  // Eight links are fine.
  text = soa;
  for (int i = 0; i < 8; i++)
    text += "c" + std::to_string(i) + " CNAME c" + std::to_string(i + 1) + "\n";
  text += "c8 A 192.0.2.1\n";
  TempDir ok;
  EXPECT_EQ(error_of(ok, text), "");
}

TEST(ZoneCompiler, OverlappingZonesAreRejected)
{
  TempDir dir;
  std::string parent = dir.write("parent", soa);
  std::string child = dir.write("child", "@ SOA ns.example.net. admin.example.net. 1 2 3 4 5\n");
  try {
    dns::compile_zones({{"example.net", parent}, {"sub.example.net", child}});
    ADD_FAILURE() << "a zone inside another compiled";
  } catch (const dns::ZoneError& e) {
    EXPECT_NE(std::string(e.what()).find("sub.example.net. lies inside zone example.net."), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("overlapping zones are not supported"), std::string::npos) << e.what();
  }
  try {
    dns::compile_zones({{"example.net", parent}, {"Example.NET.", parent}});
    ADD_FAILURE() << "a zone configured twice compiled";
  } catch (const dns::ZoneError& e) {
    EXPECT_NE(std::string(e.what()).find("configured twice"), std::string::npos) << e.what();
  }
  // Siblings and names that merely end alike are fine.
  std::string other = dir.write("other", "@ SOA ns.example.net. admin.example.net. 1 2 3 4 5\n");
  EXPECT_NO_THROW(dns::compile_zones({{"example.net", parent}, {"badexample.net", other}}));
}

TEST(ZoneReader, UnreadableFileAndBadOrigin)
{
  TempDir dir;
  std::string missing = (dir.path() / "missing.zone").string();
  try {
    dns::compile_zones({{"example.net", missing}});
    ADD_FAILURE() << "a missing file compiled";
  } catch (const dns::ZoneError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  try {
    dns::compile_zones({{"bad..origin", dir.write("z", soa)}});
    ADD_FAILURE() << "a bad origin compiled";
  } catch (const dns::ZoneError& e) {
    EXPECT_NE(std::string(e.what()).find("bad origin"), std::string::npos) << e.what();
  }
}

TEST(ZoneReader, MasterFileFeatures)
{
  TempDir dir;
  dir.write("included.zone", "inc A 192.0.2.9\n");
  dir.write("broken.zone", "\nbroken A 1.2.3\n");
  std::string main = dir.write("main.zone",
                               "$TTL 120\n" + soa +
                               "$INCLUDE included.zone\n"
                               "$ORIGIN sub2.example.net.\n"
                               "rel A 192.0.2.10\n"
                               "abs.example.net. A 192.0.2.11\n"
                               "esc\\.aped TXT \"a\\\"b\" \\# 0\n");
  dns::Zone z = dns::read_zone({"example.net", main});
  EXPECT_TRUE(z.nodes.count(test::wire_name("inc.example.net.")));
  EXPECT_TRUE(z.nodes.count(test::wire_name("rel.sub2.example.net.")));
  EXPECT_TRUE(z.nodes.count(test::wire_name("abs.example.net.")));
  ASSERT_TRUE(z.nodes.count(std::string("\x08" "esc.aped") + test::wire_name("sub2.example.net.")));
  EXPECT_EQ(z.nodes.at(test::wire_name("rel.sub2.example.net.")).rrsets.at(0).ttl, 120u);
  EXPECT_EQ(z.serial, 1u);

  // An error inside an included file names that file.
  std::string with_broken = dir.write("main2.zone", soa + "$INCLUDE broken.zone\n");
  try {
    dns::read_zone({"example.net", with_broken});
    ADD_FAILURE() << "a broken include was read";
  } catch (const dns::ZoneError& e) {
    EXPECT_NE(std::string(e.what()).find((dir.path() / "broken.zone").string() + ":2: "), std::string::npos)
        << e.what();
  }
}

TEST(ZoneReader, DuplicateRecordsAreKeptOnce)
{
  TempDir dir;
  dns::Zone z = dns::read_zone(
      {"example.net", dir.write("z", soa + "www A 192.0.2.1\nWWW A 192.0.2.1\nwww 60 A 192.0.2.2\n")});
  const auto& www = z.nodes.at(test::wire_name("www.example.net."));
  ASSERT_EQ(www.rrsets.size(), 1u);
  EXPECT_EQ(www.rrsets[0].rdata.size(), 2u);
  EXPECT_EQ(www.rrsets[0].ttl, 60u) << "the RRset takes its last record's TTL, as Knot";
  EXPECT_EQ(z.records, 3u);
}

}  // namespace
}  // namespace anycastd::test
